#pragma once
// The HTTP exchanges of the ACME client, behind an interface so the order
// state machine can be fed canned replies in tests. NetworkTransport is the
// real one (QNetworkAccessManager, HTTPS with the system trust store plus
// optional extra CA certificates, e.g. Pebble's root in tests).
// Thread: a transport lives in the thread that created it; callbacks run
// later from its event loop, never inside request().

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QSslCertificate>
#include <QString>

#include <functional>

class QNetworkAccessManager;

namespace rd::acme {

struct HttpReply {
    int status = 0;                      // HTTP status; 0 if there was no HTTP answer
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;
    QString networkError;                // set when status == 0 (connection, TLS, timeout)
    QByteArray header(const char *name) const { return headers.value(QByteArray(name)); }
};

class Transport : public QObject {
    Q_OBJECT
public:
    using Callback = std::function<void(const HttpReply &)>;
    explicit Transport(QObject *parent = nullptr) : QObject(parent) {}
    // method: "GET", "HEAD" or "POST" (POST bodies are sent as application/jose+json).
    // Exactly one callback per request, from the event loop.
    virtual void request(const QByteArray &method, const QString &url, const QByteArray &body, Callback cb) = 0;
};

class NetworkTransport : public Transport {
    Q_OBJECT
public:
    explicit NetworkTransport(QObject *parent = nullptr);
    // Extra trusted roots added to the system ones (the CA bundle setting).
    void setExtraCaCertificates(const QList<QSslCertificate> &certificates) { m_extraCas = certificates; }
    // Per-request timeout (default 30 s).
    void setTimeout(int ms) { m_timeoutMs = ms; }
    void request(const QByteArray &method, const QString &url, const QByteArray &body, Callback cb) override;

private:
    QNetworkAccessManager *m_nam;
    QList<QSslCertificate> m_extraCas;
    int m_timeoutMs = 30000;
};

} // namespace rd::acme

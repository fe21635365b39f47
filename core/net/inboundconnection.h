#pragma once
// One inbound SMTP connection: shuttles bytes between a socket and a
// ServerSession, streams message content to a SpoolFile, and asks the host to
// commit it. No protocol logic lives here.
// Thread: engine thread. Deletes itself when the connection ends.

#include "net/inboundhost.h"
#include "net/plainsocket.h"
#include "smtp/serversession.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTimer>
#include <memory>

namespace rd::queue {
class SpoolFile;
}

namespace rd::net {

class InboundConnection : public QObject {
    Q_OBJECT
public:
    // Takes ownership of `socket` (reparented). `host` must outlive this object.
    // `tls`: the listener's server TLS configuration (null: no TLS). With
    // config.tlsActive (implicit TLS, port 465) the handshake comes first.
    // The plaintext phase runs on the PlainSocket (no idle buffers); TLS, from
    // STARTTLS or the first byte, on a QSslSocket given the same descriptor.
    InboundConnection(PlainSocket *socket, smtp::SessionConfig config, InboundHost *host, int idleTimeoutMs,
                      std::optional<QSslConfiguration> tls, QObject *parent = nullptr);
    ~InboundConnection() override;

    // Sends the greeting and starts reading.
    void start();
    // Server stopping: 421 and close.
    void shutdown();
    // Total session time cap (ms); 421 4.4.2 when it runs out. Call before start().
    void setSessionTimeLimit(int ms);

signals:
    void finished();

private:
    void onReadyRead();
    void onDisconnected();
    void onTimeout();
    void onIdleTimer();
    void touch(); // input or TLS progress: the idle time starts again
    void handle(smtp::Output &out);
    void beginMessage();
    void appendData(const QByteArray &data);
    void endMessage();
    void abortMessage();
    void logRejections(const std::vector<smtp::Rejection> &rejections);
    void finish();
    void startTls();
    void onEncrypted();
    void authenticate(const QByteArray &credentials);
    void gssapiStep(const QByteArray &token);
    void finishAuth(smtp::AuthOutcome outcome, int delayMs);
    void checkPolicy(bool mail, const QByteArray &address);
    void resumeReading();
    // The transport: the PlainSocket until TLS starts, then the QSslSocket.
    bool attachTlsSocket();
    void send(const QByteArray &bytes);
    qint64 inputAvailable() const;
    QByteArray takeInput();
    void flushOutput();
    void closeGracefully();
    void abortSocket();

    PlainSocket *m_plain;
    QSslSocket *m_socket = nullptr; // null until TLS
    std::optional<QSslConfiguration> m_tls;
    bool m_greeted = false;
    smtp::ServerSession m_session;
    InboundHost *m_host;
    QTimer m_idle;
    QTimer m_lifetime;
    int m_idleMs;
    QElapsedTimer m_elapsed;
    qint64 m_lastActivityMs = 0; // m_elapsed at the last touch()
    std::unique_ptr<queue::SpoolFile> m_spool;
    QByteArray m_head;          // first bytes of the message, for Message-ID/Subject
    bool m_eightBit = false;
    qint64 m_receivedMs = 0;
    QString m_queueId;
    QString m_clientName; // verified reverse name, empty until known (or none)
    qint64 m_bytes = 0;
    bool m_closing = false;
    bool m_finished = false;
    int m_rejections = 0;
    QString m_authAttemptUser; // the user name of the last AUTH attempt
    QByteArray m_transcript;   // "C: ..."/"S: ..." lines (SessionConfig::transcript)
    QDateTime m_started = QDateTime::currentDateTimeUtc();
    static constexpr qsizetype kTranscriptLimit = 32768;
    std::unique_ptr<auth::GssapiExchange> m_gssapi; // AUTH GSSAPI in progress
};

} // namespace rd::net

#pragma once
// A temporary, tiny HTTP server for ACME http-01 challenges (RFC 8555 8.3):
// it answers GET /.well-known/acme-challenge/<token> with the key
// authorization of a registered token and 404 to everything else, one request
// per connection. Started only while an order needs it (acme.http01_allowed).
// Thread: the thread that created it; all I/O is asynchronous.

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QTcpServer>

namespace rd::acme {

// Pure request-line check: the token asked for by `request` (the bytes up to
// the end of the header block), "" for any other path, or nullopt while the
// request line is incomplete. Only GET and HEAD are served.
struct Http01Request {
    bool complete = false; // the header block ended (or the request is invalid)
    bool valid = false;    // GET/HEAD of /.well-known/acme-challenge/<token>
    QByteArray token;
};
Http01Request parseHttp01Request(const QByteArray &received);

class Http01Responder : public QObject {
    Q_OBJECT
public:
    explicit Http01Responder(QObject *parent = nullptr);
    ~Http01Responder() override;
    // Listens on address:port; false with *error (port in use, no permission for < 1024).
    bool start(const QHostAddress &address, quint16 port, QString *error);
    void stop();
    bool isListening() const { return m_server.isListening(); }
    quint16 port() const { return m_server.serverPort(); }
    void addToken(const QByteArray &token, const QByteArray &keyAuthorization) { m_tokens.insert(token, keyAuthorization); }
    void removeToken(const QByteArray &token) { m_tokens.remove(token); }

signals:
    // A challenge was fetched (for the progress log): peer address and token.
    void served(const QString &peer, const QByteArray &token);

private:
    void onConnection();
    QTcpServer m_server;
    QHash<QByteArray, QByteArray> m_tokens;
};

} // namespace rd::acme

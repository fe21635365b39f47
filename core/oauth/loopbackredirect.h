#pragma once
// The loopback redirect of a native app's authorization code flow (RFC 8252
// 7.3): a tiny HTTP listener on 127.0.0.1 with a random port that waits for the
// browser to come back with ?code=...&state=... (or ?error=...). A request
// whose state does not match is refused (400) and the listener keeps waiting:
// it may be a forged redirect (RFC 6749 10.12). The parser is pure; the
// listener is asynchronous.
// Thread: the listener lives in one thread; signals are emitted there.

#include <QByteArray>
#include <QByteArrayView>
#include <QObject>
#include <QString>
#include <QUrl>

class QTcpServer;
class QTcpSocket;

namespace rd::oauth {

struct RedirectResult {
    enum class Kind {
        Incomplete, // the request head is not complete yet
        Code,       // the authorization code (state matched)
        Error,      // the provider sent error= (state matched): the user declined, ...
        Refused,    // state missing or wrong, or no code: answered 400, keep waiting
        NotFound,   // another path (favicon.ico, ...): answered 404, keep waiting
        Bad,        // not an HTTP GET request: answered 400, keep waiting
    };
    Kind kind = Kind::Incomplete;
    QByteArray code;    // Kind::Code (a secret until exchanged)
    QString error;      // Kind::Error: "access_denied: the user declined"; Refused/Bad: why
};

// Parses a browser's request head ("GET /callback?code=..&state=.. HTTP/1.1\r\n...\r\n\r\n")
// against the expected path and state. More than 16 KiB without the end of the
// head is Bad.
RedirectResult parseRedirectRequest(QByteArrayView head, const QString &expectedPath, const QByteArray &expectedState);

class LoopbackRedirect : public QObject {
    Q_OBJECT
public:
    // expectedState: the state sent in the authorization request.
    explicit LoopbackRedirect(QByteArray expectedState, QObject *parent = nullptr);
    ~LoopbackRedirect() override;

    // Listens on 127.0.0.1 on a port the system picks; false with errorString().
    bool listen();
    QString errorString() const { return m_error; }
    // http://127.0.0.1:<port>/callback: the redirect_uri of the request.
    QUrl redirectUri() const;
    // Stops listening; no further signals.
    void close();

signals:
    // Once: the code arrived (ok) or the provider said no (error). The listener
    // then stops.
    void finished(bool ok, const QByteArray &code, const QString &error);
    // A request was refused (state mismatch, bad request): for logs and tests.
    void refused(const QString &why);

private:
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);

    QByteArray m_state;
    QTcpServer *m_server = nullptr; // child
    QString m_error;
    bool m_done = false;
};

} // namespace rd::oauth

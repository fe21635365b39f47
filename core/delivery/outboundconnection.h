#pragma once
// One outbound SMTP connection to a smart host: the socket shuttle around the
// pure rd::smtp::ClientSession. It connects, greets, delivers jobs one at a
// time (reusing the connection), streams content from the spool file with
// back-pressure, and turns replies into per-recipient outcomes.
// Thread: lives in one thread; everything is asynchronous (no waitFor*()).
// Signals are emitted synchronously from socket callbacks: slots may call
// deliver() or quit(), but must delete the object only with deleteLater().
// TLS: STARTTLS or implicit TLS per ConnectionOptions::tls; with Verify the
// certificate must chain to the system store (or the given CA file) and match
// tlsName, otherwise the connection fails temporarily (mail stays queued).
// OAuth 2.0 (setOAuth()): before connecting, the connection waits for an
// access token from the TokenManager (asynchronously; a cached one comes at
// once). If the server refuses the token, the token is invalidated and the
// connection starts over once on a new socket with a fresh token; a second
// refusal or a token failure ends the connection with a temporary error.
// MX TLS policy (setMxTlsPolicy(), MX routes only): MTA-STS requires STARTTLS
// and a certificate that chains to a trusted CA and names the MX; DANE
// requires STARTTLS and a chain matching a validated TLSA record (CA errors
// are then ignored). Enforced failures end the connection with a temporary
// error whose text starts "MTA-STS" or "DANE" (mail stays queued); in
// MTA-STS testing mode they are only logged. tlsChecked() reports the
// outcome once per connection (for TLS-RPT).

#include "delivery/deliverytypes.h"
#include "delivery/mxtlspolicy.h"
#include "smtp/clientsession.h"

#include <QElapsedTimer>
#include <QFile>
#include <QObject>
#include <QPointer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#include <QString>
#include <QTimer>

#include <optional>

class QSslSocket;

namespace rd::oauth {
class TokenManager;
}

namespace rd::delivery {

// How a connection signs in with OAuth 2.0: whose tokens and as which mailbox.
struct OAuthBinding {
    QPointer<oauth::TokenManager> tokens; // null: no OAuth (password or no AUTH)
    QString connector;                    // the TokenManager's entry
    QByteArray user;                      // the mailbox to send as
    smtp::OAuthMechanism mechanism = smtp::OAuthMechanism::Auto;

    bool active() const { return !tokens.isNull(); }
};

class OutboundConnection : public QObject {
    Q_OBJECT
public:
    // host: a name (resolved asynchronously) or an IP literal. heloName: our
    // EHLO name (an IP address is sent as an address literal). No I/O yet.
    OutboundConnection(QString host, quint16 port, QString heloName, Timeouts timeouts,
                       QObject *parent = nullptr);
    explicit OutboundConnection(ConnectionOptions options, QObject *parent = nullptr);
    // Aborts the socket silently: a job still running gets no jobFinished.
    ~OutboundConnection() override;

    // Delivers one job, connecting first on the first call. Exactly one
    // jobFinished follows, never from inside this call. Give the next job only
    // after jobFinished; a job given while another runs, or after the
    // connection closed, finishes Deferred without touching the connection.
    void deliver(const DeliveryJob &job);

    // Sends QUIT when idle, then closes; otherwise closes at once and a running
    // job finishes Deferred. closed() follows (unless already closed).
    void quit();

    // Connected, greeted, no job: deliver() reuses this connection.
    bool isIdle() const;
    // The connection is gone (or was never made and never will be).
    bool isClosed() const;
    QString host() const { return m_host; }
    quint16 port() const { return m_port; }
    // IP actually connected to; empty before connecting.
    QString peerAddress() const { return m_peerAddress; }
    // Valid after the first idle()/jobFinished on a live connection.
    const smtp::ServerCapabilities &capabilities() const { return m_session.capabilities(); }
    const smtp::ClientSession &session() const { return m_session; }
    // After a handshake: "TLSv1.3" / cipher name; the certificate the server showed
    // and the verification errors seen (empty when none or not checked).
    QString tlsVersion() const { return m_tlsVersion; }
    QString tlsCipher() const { return m_tlsCipher; }
    QSslCertificate peerCertificate() const;
    QStringList tlsErrors() const { return m_tlsErrors; }
    // Connects and performs greeting, EHLO, STARTTLS and AUTH without a job;
    // probeFinished() follows (for "test connection"). Then quit().
    void probe();
    // What TLS must prove on this MX connection (MTA-STS / DANE). Call before
    // deliver() or probe(); ignored once connecting. Overrides the TLS mode
    // (Required when enforced, at least Opportunistic otherwise) and the
    // certificate name (policy.mxHost).
    void setMxTlsPolicy(const MxTlsPolicy &policy);
    const MxTlsPolicy &mxTlsPolicy() const { return m_mx; }
    // Sign in with OAuth 2.0 instead of a password. Call before deliver() or
    // probe(); `binding.tokens` must live in this thread.
    void setOAuth(const OAuthBinding &binding);
    bool usesOAuth() const { return m_oauth.active(); }
    // OAuth: what the token step did ("token from https://... (expires in 3599 s)"
    // or the error); empty before the first token request. No secrets.
    QString tokenResult() const { return m_tokenResult; }
    // OAuth: a refused token was replaced and the sign-in tried again.
    bool oauthRetried() const { return m_oauthRetried; }
signals:
    // One per deliver() call, whatever happened.
    void jobFinished(const rd::delivery::DeliveryResult &result);
    // Ready for another job on this connection.
    void idle();
    // The connection is gone; the object may now be deleted with deleteLater().
    void closed();
    // probe(): the session is ready (ok) or failed (error says why).
    void probeFinished(bool ok, const QString &error);
    // With an MX TLS policy other than Opportunistic: the TLS outcome of this
    // connection, once (success after the handshake and checks, or the failure).
    void tlsChecked(const rd::delivery::TlsCheck &check);

private:
    enum class Conn { Unconnected, Connecting, Connected, Closed };

    void kick();
    void startConnect();
    void makeSocket();
    smtp::ClientOptions baseSessionOptions() const;
    void requestToken();
    void onToken(bool ok, const QByteArray &token, const QString &text);
    void restartAfterRejectedToken();
    void startJob();
    void onConnected();
    void onReadyRead();
    void onBytesWritten();
    void onSocketError();
    void onTimeout();
    void onEncrypted();
    void onSslErrors(const QList<QSslError> &errors);
    QSslConfiguration tlsConfiguration() const;
    // DANE/MTA-STS checks after the handshake; false: the connection failed.
    bool checkMxTls();
    // RFC 8460 result type of certificate errors ("certificate-host-mismatch", ...).
    static QString tlsErrorType(const QList<QSslError> &errors);
    // MTA-STS testing: certificate errors reported and ignored (true).
    bool mxTlsErrorsIgnored(const QList<QSslError> &errors);
    // MTA-STS enforce: a certificate error ends the connection (true).
    bool failMxTlsCertificate();
    void reportTls(bool success, const QString &resultType, const QString &detail);
    QList<QByteArray> peerChainDer() const;

    void handleOutput(smtp::ClientOutput &out);
    void pumpContent();
    void failConnection(const QString &reason);
    void closeSocket();
    void emitClosed();
    void updateTimer();
    void finishJob(DeliveryResult result);
    void finishJobLater(DeliveryResult result);
    DeliveryResult resultFor(const DeliveryJob &job) const;
    DeliveryResult connectionErrorResult(const DeliveryJob &job, const QString &error, int code,
                                         bool permanent) const;
    DeliveryResult messageResult(const smtp::MessageResult &r) const;
    QString peerText() const;
    QString whileText() const;

    ConnectionOptions m_opt;
    QString m_host;
    quint16 m_port = 0;
    Timeouts m_timeouts;
    QString m_tlsVersion;
    QString m_tlsCipher;
    QStringList m_tlsErrors;
    bool m_probing = false;
    QString m_connId;
    smtp::ClientSession m_session;
    QSslSocket *m_socket = nullptr; // child
    QTimer m_timer;                 // connect, reply and write-progress timeout
    Conn m_conn = Conn::Unconnected;
    QString m_peerAddress;
    bool m_closedEmitted = false;

    // MX TLS policy (MTA-STS / DANE).
    MxTlsPolicy m_mx;
    bool m_tlsReported = false;
    bool m_tlsUp = false;
    QString m_tlsErrorType; // of the certificate errors seen (TLS-RPT result type)

    // OAuth 2.0.
    OAuthBinding m_oauth;
    QByteArray m_token;          // the access token in use (secret)
    QString m_tokenResult;
    bool m_waitingToken = false;
    bool m_oauthRetried = false;
    bool m_restartPending = false;

    // Connection-level failure reported by the session (Failed event).
    QString m_error;
    int m_errorCode = 0;
    bool m_errorPermanent = false;

    // Current job.
    std::optional<DeliveryJob> m_job;
    bool m_jobStarted = false; // given to the session
    QElapsedTimer m_jobClock;
    qint64 m_jobBytes = 0;

    // Content streaming.
    QFile m_file;
    bool m_streaming = false;
    smtp::DotStuffState m_stuff;
    QByteArray m_readBuf;
};

} // namespace rd::delivery

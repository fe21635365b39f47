#pragma once
// A delegated mailbox sign-in: authorization code with PKCE (RFC 7636, S256)
// and a loopback redirect (RFC 8252). start() listens on 127.0.0.1 and gives
// the URL for the system browser; when the browser comes back with the code,
// it is exchanged at the token endpoint (with the code verifier and the
// connector's client authentication) and finished() carries the refresh token
// to store (send_connectors' oauth_tokens row). The GUI opens the URL; core
// never starts a browser.
// Thread: one thread (the engine's); asynchronous; signals in that thread.
// The code, the verifier and the tokens never appear in logs or errors.

#include "oauth/oauthsettings.h"

#include <QObject>
#include <QString>
#include <QTimer>
#include <QUrl>

class QNetworkAccessManager;

namespace rd::oauth {

class LoopbackRedirect;

class DelegatedSignIn : public QObject {
    Q_OBJECT
public:
    // settings/secrets: the connector's (flow authorization_code). timeoutMs
    // bounds the whole sign-in (the user's time in the browser included).
    DelegatedSignIn(OAuthSettings settings, OAuthSecrets secrets, int timeoutMs = 300000, QObject *parent = nullptr);
    ~DelegatedSignIn() override;

    // Starts the listener and returns the authorization URL to open; an empty
    // URL with *error when it cannot start. finished() follows exactly once
    // (never from inside this call) unless start() failed.
    QUrl start(QString *error);
    // Gives up: finished(false, ..., "cancelled").
    void cancel();
    QUrl redirectUri() const;

signals:
    // ok: refreshToken holds the token to store (may be empty if the provider
    // issued none: then "no refresh token" is reported as an error instead).
    void finished(bool ok, const QString &refreshToken, const QString &error);

private:
    void onCode(bool ok, const QByteArray &code, const QString &error);
    void finish(bool ok, const QString &refreshToken, const QString &error);

    OAuthSettings m_settings;
    OAuthSecrets m_secrets;
    QByteArray m_verifier;
    QByteArray m_state;
    LoopbackRedirect *m_redirect = nullptr; // child
    QUrl m_redirectUri;                     // as sent in the authorization request
    QNetworkAccessManager *m_nam = nullptr; // child
    QTimer m_timeout;
    int m_timeoutMs;
    bool m_done = false;
};

} // namespace rd::oauth

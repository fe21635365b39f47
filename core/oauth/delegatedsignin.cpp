#include "oauth/delegatedsignin.h"

#include "oauth/loopbackredirect.h"
#include "oauth/pkce.h"
#include "oauth/tokenclient.h"

#include <QLoggingCategory>
#include <QNetworkAccessManager>

namespace rd::oauth {

Q_LOGGING_CATEGORY(lcSignIn, "relaydesk.oauth.signin", QtInfoMsg)

DelegatedSignIn::DelegatedSignIn(OAuthSettings settings, OAuthSecrets secrets, int timeoutMs, QObject *parent)
    : QObject(parent), m_settings(std::move(settings)), m_secrets(std::move(secrets)), m_timeoutMs(timeoutMs)
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        finish(false, {}, QStringLiteral("no answer from the browser within %1 s").arg(m_timeoutMs / 1000));
    });
}

DelegatedSignIn::~DelegatedSignIn() = default;

QUrl DelegatedSignIn::start(QString *error)
{
    const QStringList problems = validateOAuth(m_settings, QStringLiteral("sign-in"));
    if (!problems.isEmpty()) {
        *error = problems.join(QStringLiteral("; "));
        return {};
    }
    if (m_settings.flow != QLatin1String("authorization_code")) {
        *error = QStringLiteral("sign-in is for connectors with flow authorization_code");
        return {};
    }
    m_verifier = randomToken(32);
    m_state = randomToken(16);
    if (m_verifier.isEmpty() || m_state.isEmpty()) {
        *error = QStringLiteral("no random numbers available for PKCE");
        return {};
    }
    m_redirect = new LoopbackRedirect(m_state, this);
    if (!m_redirect->listen()) {
        *error = QStringLiteral("cannot listen on 127.0.0.1 for the browser's answer: %1").arg(m_redirect->errorString());
        return {};
    }
    connect(m_redirect, &LoopbackRedirect::finished, this, &DelegatedSignIn::onCode);
    connect(m_redirect, &LoopbackRedirect::refused, this, [](const QString &why) {
        qCWarning(lcSignIn).noquote() << QStringLiteral("event=oauth_redirect_refused reason=\"%1\"").arg(why);
    });
    m_timeout.start(m_timeoutMs);
    // Kept: the listener closes once the browser has come back, and the code
    // exchange must send exactly the redirect_uri of the authorization request.
    m_redirectUri = m_redirect->redirectUri();
    AuthorizeRequest req;
    req.authorizeEndpoint = QUrl(m_settings.effectiveAuthorizeEndpoint());
    req.clientId = m_settings.clientId;
    req.redirectUri = m_redirect->redirectUri();
    req.scope = m_settings.effectiveScope();
    req.state = m_state;
    req.codeChallenge = codeChallengeS256(m_verifier);
    req.loginHint = m_settings.mailbox;
    req.offlineAccess = m_settings.provider == QLatin1String("google");
    qCInfo(lcSignIn).noquote() << QStringLiteral("event=oauth_signin_start client_id=%1 mailbox=%2 redirect=%3")
                                      .arg(m_settings.clientId, m_settings.mailbox,
                                           m_redirect->redirectUri().toString());
    return authorizeUrl(req);
}

QUrl DelegatedSignIn::redirectUri() const
{
    return m_redirectUri;
}

void DelegatedSignIn::cancel()
{
    finish(false, {}, QStringLiteral("cancelled"));
}

void DelegatedSignIn::onCode(bool ok, const QByteArray &code, const QString &error)
{
    if (m_done)
        return;
    if (!ok) {
        finish(false, {}, QStringLiteral("the identity provider said %1").arg(error));
        return;
    }
    if (!m_nam)
        m_nam = new QNetworkAccessManager(this);
    const TokenRequest req = buildTokenRequest(Grant::AuthorizationCode, m_settings, m_secrets, code,
                                               m_redirectUri.toString(), m_verifier);
    postTokenRequest(m_nam, req, 30000, this, [this](const TokenResponse &r) {
        if (!r.ok) {
            finish(false, {}, r.message());
        } else if (r.refreshToken.isEmpty()) {
            finish(false, {},
                   QStringLiteral("the token endpoint issued no refresh token (ask for offline access in the scope)"));
        } else {
            finish(true, QString::fromUtf8(r.refreshToken), {});
        }
    });
}

void DelegatedSignIn::finish(bool ok, const QString &refreshToken, const QString &error)
{
    if (m_done)
        return;
    m_done = true;
    m_timeout.stop();
    if (m_redirect)
        m_redirect->close();
    qCInfo(lcSignIn).noquote() << QStringLiteral("event=oauth_signin result=%1 mailbox=%2 error=\"%3\"")
                                      .arg(ok ? QStringLiteral("ok") : QStringLiteral("failed"), m_settings.mailbox,
                                           error);
    QTimer::singleShot(0, this, [this, ok, refreshToken, error] { emit finished(ok, refreshToken, error); });
}

} // namespace rd::oauth

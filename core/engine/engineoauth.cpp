// Engine and facade, delegated OAuth sign-in: authorization code with PKCE
// through the system browser (core/oauth/delegatedsignin.h). The engine
// listens on a loopback port; the GUI only opens the URL it is given.

#include "engine/engine.h"
#include "engine/enginefacade.h"

#include "oauth/delegatedsignin.h"
#include "oauth/tokenmanager.h"

namespace rd::engine {

void Engine::signInOAuth(const rd::config::SendConnectorConfig &c)
{
    const QString name = c.name;
    cancelOAuthSignIn(name);
    auto *signIn = new oauth::DelegatedSignIn(c.oauth, c.oauthSecrets, 300000, this);
    m_signIns.insert(name, signIn);
    connect(signIn, &oauth::DelegatedSignIn::finished, this,
            [this, signIn, name, c](bool ok, const QString &refreshToken, const QString &error) {
                if (m_signIns.value(name) == signIn)
                    m_signIns.remove(name);
                signIn->deleteLater();
                if (!ok) {
                    systemLog(QStringLiteral("oauth_sign_in"),
                              QStringLiteral("connector=%1 result=failed error=%2").arg(name, error),
                              QStringLiteral("warning"));
                    emit oauthSignInFinished(name, false, error);
                    return;
                }
                storeRefreshToken(name, refreshToken);
                if (m_tokens) {
                    for (const config::SendConnectorConfig &running : std::as_const(m_config.sendConnectors)) {
                        if (running.name == name && running.usesOAuth())
                            m_tokens->setConnector(name, running.oauth, running.oauthSecrets);
                    }
                }
                systemLog(QStringLiteral("oauth_sign_in"),
                          QStringLiteral("connector=%1 result=ok mailbox=%2").arg(name, c.oauth.mailbox));
                emit oauthSignInFinished(name, true,
                                         QStringLiteral("Signed in; the refresh token is stored for connector %1.").arg(name));
            });
    QString error;
    const QUrl url = signIn->start(&error);
    if (url.isEmpty()) {
        m_signIns.remove(name);
        signIn->deleteLater();
        emit oauthSignInFinished(name, false, error);
        return;
    }
    emit oauthSignInUrl(name, url);
}

void Engine::cancelOAuthSignIn(const QString &name)
{
    if (QObject *o = m_signIns.take(name))
        static_cast<oauth::DelegatedSignIn *>(o)->cancel();
}

void EngineFacade::signInOAuth(const rd::config::SendConnectorConfig &c)
{
    if (!m_engine) {
        emit oauthSignInFinished(c.name, false, QStringLiteral("no engine"));
        return;
    }
    QMetaObject::invokeMethod(m_engine, [engine = m_engine, c] { engine->signInOAuth(c); }, Qt::QueuedConnection);
}

void EngineFacade::cancelOAuthSignIn(const QString &name)
{
    if (m_engine)
        QMetaObject::invokeMethod(m_engine, [engine = m_engine, name] { engine->cancelOAuthSignIn(name); },
                                  Qt::QueuedConnection);
}

} // namespace rd::engine

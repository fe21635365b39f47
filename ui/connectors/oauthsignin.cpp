#include "connectors/oauthsignin.h"

#include "engine/enginefacade.h"

#include <QDesktopServices>

namespace rd::ui {

OAuthSignIn::OAuthSignIn(rd::engine::EngineFacade *facade, QObject *parent)
    : QObject(parent)
    , m_facade(facade)
    , m_opener([](const QUrl &url) { return QDesktopServices::openUrl(url); })
{
    connect(m_facade, &rd::engine::EngineFacade::oauthSignInUrl, this, &OAuthSignIn::onUrl);
    connect(m_facade, &rd::engine::EngineFacade::oauthSignInFinished, this, &OAuthSignIn::onFinished);
}

void OAuthSignIn::start(const rd::config::SendConnectorConfig &connector)
{
    if (isRunning())
        cancel();
    m_name = connector.name;
    m_url.clear();
    emit stateChanged(tr("Starting the sign-in\u2026"));
    // Without an engine the facade answers inside this call.
    m_facade->signInOAuth(connector);
}

void OAuthSignIn::cancel()
{
    if (!isRunning())
        return;
    const QString name = m_name;
    m_name.clear();
    m_facade->cancelOAuthSignIn(name);
    emit finished(false, tr("Sign-in cancelled."));
}

void OAuthSignIn::onUrl(const QString &name, const QUrl &url)
{
    if (name != m_name || name.isEmpty())
        return;
    m_url = url;
    if (m_opener && m_opener(url)) {
        emit stateChanged(tr("Waiting for the browser\u2026 Sign in as the mailbox that sends and allow access."));
    } else {
        emit stateChanged(tr("Could not open a browser. Open this address yourself, on this computer:\n%1")
                              .arg(url.toString()));
    }
}

void OAuthSignIn::onFinished(const QString &name, bool ok, const QString &message)
{
    if (name != m_name || name.isEmpty())
        return;
    m_name.clear();
    emit finished(ok, message);
}

} // namespace rd::ui

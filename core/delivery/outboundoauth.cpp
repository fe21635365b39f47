// OutboundConnection, the OAuth 2.0 part: wait for an access token before
// connecting, and start over once on a new socket with a fresh token when the
// server refuses the token (535 or the 334 error challenge first).

#include "delivery/outboundconnection.h"

#include "oauth/tokenmanager.h"

#include <QLoggingCategory>
#include <QSslSocket>

namespace rd::delivery {

namespace {

Q_LOGGING_CATEGORY(lcOAuth, "relaydesk.delivery.oauth", QtInfoMsg)

} // namespace

void OutboundConnection::setOAuth(const OAuthBinding &binding)
{
    m_oauth = binding;
}

void OutboundConnection::requestToken()
{
    m_waitingToken = true;
    // The token request has its own timeout; this bounds the wait if the manager goes away.
    m_timer.start(m_timeouts.connectMs + 60000);
    const QString connector = m_oauth.connector;
    m_oauth.tokens->acquire(connector, this, [this](const oauth::TokenOutcome &o) {
        const QString text = o.ok ? QStringLiteral("access token from %1 (%2, expires in %3 s)")
                                        .arg(o.endpoint,
                                             o.fetched ? QStringLiteral("fetched") : QStringLiteral("cached"))
                                        .arg(o.expiresInS)
                                  : o.error;
        onToken(o.ok, o.accessToken, text);
    });
}

void OutboundConnection::onToken(bool ok, const QByteArray &token, const QString &text)
{
    if (!m_waitingToken || m_conn == Conn::Closed)
        return;
    m_waitingToken = false;
    m_timer.stop();
    m_tokenResult = text;
    if (!ok) {
        qCInfo(lcOAuth).noquote() << QStringLiteral("event=oauth_token_failed conn=%1 connector=\"%2\" error=\"%3\"")
                                       .arg(m_connId, m_oauth.connector, text);
        failConnection(QStringLiteral("OAuth 2.0 sign-in for %1 not possible: %2")
                           .arg(QString::fromUtf8(m_oauth.user), text));
        return;
    }
    m_token = token;
    smtp::ClientOptions c = baseSessionOptions();
    c.authUser = m_oauth.user;
    c.authPassword.clear();
    c.oauthToken = m_token;
    c.oauthMechanism = m_oauth.mechanism;
    c.oauthHost = m_opt.tlsName.toUtf8();
    c.oauthPort = m_port;
    m_session = smtp::ClientSession(c);
    startConnect();
}

void OutboundConnection::restartAfterRejectedToken()
{
    qCInfo(lcOAuth).noquote()
        << QStringLiteral("event=oauth_retry conn=%1 connector=\"%2\" mailbox=%3 reason=\"%4\"")
               .arg(m_connId, m_oauth.connector, QString::fromUtf8(m_oauth.user), m_error);
    if (m_oauth.tokens)
        m_oauth.tokens->invalidate(m_oauth.connector, m_token);
    m_token.clear();
    m_timer.stop();
    m_socket->disconnect(this);
    m_socket->abort();
    m_socket->deleteLater();
    makeSocket();
    m_conn = Conn::Unconnected;
    m_peerAddress.clear();
    m_tlsVersion.clear();
    m_tlsCipher.clear();
    m_tlsErrors.clear();
    m_error.clear();
    m_errorCode = 0;
    m_errorPermanent = false;
    m_session = smtp::ClientSession(baseSessionOptions());
    if (!m_oauth.tokens) {
        failConnection(QStringLiteral("OAuth 2.0 token source gone"));
        return;
    }
    requestToken();
}

} // namespace rd::delivery

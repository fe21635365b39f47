// ClientSession, the part between the server's EHLO reply and the first
// message: STARTTLS (RFC 3207) and AUTH PLAIN/LOGIN (RFC 4954, RFC 4616), or
// with an OAuth 2.0 access token XOAUTH2 / OAUTHBEARER (RFC 7628).
// A failure here never bounces mail: every reply made up below is temporary
// (4xx), so the messages stay queued until the admin fixes the connector or
// the server recovers.

#include "oauth/saslbearer.h"
#include "smtp/clientreply.h"
#include "smtp/clientsession.h"

namespace rd::smtp {

using namespace clientreply;

namespace {

void appendReady(ClientOutput &out)
{
    out.events.push_back(ClientEvent{ClientEventKind::Ready, {}, {}});
}

QByteArray mechanismList(const QList<QByteArray> &mechs)
{
    return mechs.isEmpty() ? QByteArray("none") : mechs.join(' ');
}

} // namespace

void ClientSession::afterHello(ClientOutput &out)
{
    if (!m_tlsActive && m_opt.tls != TlsPolicy::None) {
        if (m_caps.startTls) {
            out.toSend += "STARTTLS\r\n";
            m_state = State::StartTls;
            return;
        }
        if (m_opt.tls == TlsPolicy::Required) {
            failAndQuit(localReply(454, "4.7.0",
                                   m_caps.esmtp ? "TLS is required for this destination, but the server does not "
                                                  "offer STARTTLS"
                                                : "TLS is required for this destination, but the server refused EHLO "
                                                  "(no STARTTLS without ESMTP)"),
                        out);
            return;
        }
    }
    if (wantsAuth() && !m_authenticated) {
        startAuth(out);
        return;
    }
    becomeReady(out);
}

void ClientSession::handleStartTlsReply(const ServerReply &reply, ClientOutput &out)
{
    m_startTlsReply = reply;
    if (reply.code == 220) {
        m_state = State::TlsHandshake;
        out.events.push_back(ClientEvent{ClientEventKind::StartTls, {}, {}});
        return;
    }
    if (m_opt.tls == TlsPolicy::Required) {
        failAndQuit(localReply(454, "4.7.0", "TLS is required for this destination, but the server refused STARTTLS: " +
                                                 reply.toString()),
                    out);
        return;
    }
    // Opportunistic: carry on in plain text (RFC 3207 allows it).
    if (wantsAuth() && !m_authenticated) {
        startAuth(out);
        return;
    }
    becomeReady(out);
}

void ClientSession::tlsEstablished(ClientOutput &out)
{
    if (m_state != State::TlsHandshake)
        return;
    m_tlsActive = true;
    m_caps = ServerCapabilities(); // RFC 3207 4.2: forget everything learnt in clear
    out.toSend += "EHLO " + m_heloName + "\r\n";
    m_state = State::Ehlo;
}

void ClientSession::startAuth(ClientOutput &out)
{
    if (!m_tlsActive && !m_opt.allowPlaintextAuth) {
        failAndQuit(localReply(454, "4.7.0",
                               "credentials are configured for this destination, but the connection is not encrypted "
                               "(the server did not offer STARTTLS or it failed); not sending the password in clear"),
                    out);
        return;
    }
    const QList<QByteArray> &mechs = m_caps.authMechanisms;
    if (!m_opt.oauthToken.isEmpty()) {
        if (startOAuth(out))
            m_state = State::Auth;
        return;
    }
    if (mechs.contains("PLAIN")) {
        // RFC 4616: authzid (empty) NUL authcid NUL passwd, as an initial response.
        const QByteArray token = QByteArray(1, '\0') + m_opt.authUser + QByteArray(1, '\0') + m_opt.authPassword;
        out.toSend += "AUTH PLAIN " + token.toBase64() + "\r\n";
        m_authMechanism = "PLAIN";
        m_authStep = AuthStep::Plain;
    } else if (mechs.contains("LOGIN")) {
        out.toSend += "AUTH LOGIN\r\n";
        m_authMechanism = "LOGIN";
        m_authStep = AuthStep::LoginStart;
    } else {
        failAndQuit(localReply(454, "4.7.0",
                               "credentials are configured for this destination, but the server offers no AUTH PLAIN "
                               "or LOGIN (offered: " +
                                   mechanismList(mechs) + ')'),
                    out);
        return;
    }
    m_state = State::Auth;
}

bool ClientSession::startOAuth(ClientOutput &out)
{
    const QList<QByteArray> &mechs = m_caps.authMechanisms;
    const bool x = mechs.contains("XOAUTH2");
    const bool b = mechs.contains("OAUTHBEARER");
    QByteArray mech;
    switch (m_opt.oauthMechanism) {
    case OAuthMechanism::Auto: mech = x ? "XOAUTH2" : b ? "OAUTHBEARER" : QByteArray(); break;
    case OAuthMechanism::XOAuth2: mech = x ? "XOAUTH2" : QByteArray(); break;
    case OAuthMechanism::OAuthBearer: mech = b ? "OAUTHBEARER" : QByteArray(); break;
    }
    if (mech.isEmpty()) {
        const QByteArray wanted = m_opt.oauthMechanism == OAuthMechanism::XOAuth2       ? "XOAUTH2"
                                  : m_opt.oauthMechanism == OAuthMechanism::OAuthBearer ? "OAUTHBEARER"
                                                                                        : "XOAUTH2 or OAUTHBEARER";
        failAndQuit(localReply(454, "4.7.0",
                               "OAuth 2.0 sign-in is configured for this destination, but the server offers no AUTH " +
                                   wanted + " (offered: " + mechanismList(mechs) + ')'),
                    out);
        return false;
    }
    // RFC 4954 4: the initial response goes with the command (no extra round trip).
    const QByteArray ir = mech == "XOAUTH2"
        ? oauth::xoauth2InitialResponse(m_opt.authUser, m_opt.oauthToken)
        : oauth::oauthBearerInitialResponse(m_opt.authUser, m_opt.oauthToken, m_opt.oauthHost, m_opt.oauthPort);
    out.toSend += "AUTH " + mech + ' ' + ir + "\r\n";
    m_authMechanism = mech;
    m_authStep = AuthStep::OAuth;
    return true;
}

void ClientSession::handleAuthReply(const ServerReply &reply, ClientOutput &out)
{
    if (reply.code == 334) {
        switch (m_authStep) {
        case AuthStep::OAuth: {
            // The token was refused: the challenge is a base64 JSON error
            // (RFC 7628 3.2.2; XOAUTH2 alike). Acknowledge it; the final 535 follows.
            const QByteArray challenge = reply.text.trimmed();
            m_oauthChallenge = oauth::parseBearerChallenge(challenge).summary();
            out.toSend += (m_authMechanism == "OAUTHBEARER" ? oauth::oauthBearerErrorAck() : oauth::xoauth2ErrorAck())
                + "\r\n";
            m_authStep = AuthStep::OAuthErrorAck;
            return;
        }
        case AuthStep::LoginStart:
            out.toSend += m_opt.authUser.toBase64() + "\r\n";
            m_authStep = AuthStep::LoginUser;
            return;
        case AuthStep::LoginUser:
            out.toSend += m_opt.authPassword.toBase64() + "\r\n";
            m_authStep = AuthStep::LoginPassword;
            return;
        case AuthStep::Plain:
        case AuthStep::LoginPassword:
        case AuthStep::OAuthErrorAck:
        case AuthStep::None:
            // An unexpected challenge: cancel the exchange (RFC 4954 4: "*").
            out.toSend += "*\r\n";
            m_authStep = AuthStep::None;
            return;
        }
    }
    m_authReply = reply;
    if (reply.code == 235 && m_authStep != AuthStep::None) {
        m_authenticated = true;
        m_authStep = AuthStep::None;
        becomeReady(out);
        return;
    }
    m_authStep = AuthStep::None;
    m_authRefused = reply.code != 0;
    // Wrong credentials are the admin's to fix: keep the mail queued.
    QByteArray text = "AUTH " + m_authMechanism + " refused by the server: " + reply.toString();
    if (!m_oauthChallenge.isEmpty())
        text += " (token error: " + m_oauthChallenge.toUtf8() + ')';
    failAndQuit(localReply(454, "4.7.0", text), out);
}

void ClientSession::becomeReady(ClientOutput &out)
{
    m_state = State::Idle;
    appendReady(out);
}

} // namespace rd::smtp

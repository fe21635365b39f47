#include "net/listener.h"

#include "net/inboundconnection.h"
#include "smtp/replies.h"
#include "util/ids.h"

#include <QTcpSocket>

namespace rd::net {

namespace {
constexpr int kProxyHeaderTimeoutMs = 10000; // a balancer sends it at once
}

void DescriptorServer::incomingConnection(qintptr descriptor)
{
    if (onAccepted)
        onAccepted(descriptor);
    else
        PlainSocket closer(descriptor); // closes it
}

Listener::Listener(ListenerSettings settings, InboundHost *host, std::function<int()> activeSessions,
                   QObject *parent)
    : QObject(parent), m_settings(std::move(settings)), m_host(host), m_activeSessions(std::move(activeSessions))
{
    m_server.onAccepted = [this](qintptr descriptor) { onAccepted(descriptor); };
}

Listener::~Listener()
{
    shutdown();
}

QString Listener::endpoint() const
{
    QHostAddress a(m_settings.config.address);
    const QString host = a.protocol() == QAbstractSocket::IPv6Protocol ? QStringLiteral("[%1]").arg(a.toString())
                                                                         : a.toString();
    return QStringLiteral("%1:%2").arg(host).arg(m_settings.config.port);
}

bool Listener::listen()
{
    const QHostAddress addr(m_settings.config.address);
    // Qt's default backlog (50) drops bursts of connecting clients (a
    // monitoring storm); the kernel caps this at net.core.somaxconn.
    m_server.setListenBacklogSize(4096);
    if (!m_server.listen(addr, m_settings.config.port)) {
        m_error = QStringLiteral("%1: %2").arg(endpoint(), m_server.errorString());
        return false;
    }
    return true;
}

void Listener::shutdown()
{
    m_server.close();
    const auto conns = m_connections;
    for (InboundConnection *c : conns)
        c->shutdown();
}

void Listener::setTlsConfiguration(const QSslConfiguration &tls)
{
    if (m_settings.tls)
        m_settings.tls = tls;
}

void Listener::retire()
{
    m_retired = true;
    m_server.close();
    if (m_connections.isEmpty())
        deleteLater();
}

void Listener::refuse(PlainSocket *socket, const QByteArray &reply)
{
    connect(socket, &PlainSocket::disconnected, socket, &QObject::deleteLater);
    socket->write(reply);
    socket->disconnectFromHost();
}

void Listener::onAccepted(qintptr descriptor)
{
    auto *socket = new PlainSocket(descriptor, this);
    {
        if (m_activeSessions() >= m_settings.maxSessions) {
            refuse(socket, smtp::formatReply(smtp::ReplyId::TooManySessions));
            log::LogEvent e;
            e.kind = log::LogKind::Session;
            e.level = QStringLiteral("warning");
            e.direction = QStringLiteral("in");
            e.clientIp = util::normalizedAddress(socket->peerAddress()).toString();
            e.replyCode = 421;
            e.enhancedCode = QStringLiteral("4.3.2");
            e.result = QStringLiteral("rejected");
            e.rule = QStringLiteral("smtp.max_sessions");
            e.message = QStringLiteral("too many sessions");
            m_host->log(e);
            return;
        }
        const QHostAddress peer = util::normalizedAddress(socket->peerAddress());
        if (!m_settings.proxyFrom.isEmpty() && isTrustedProxy(peer, m_settings.proxyFrom)) {
            // A load balancer: the PROXY header comes first and names the client.
            socket->readProxyHeader(kProxyHeaderTimeoutMs, [this, socket, peer](bool ok, const ProxyHeader &h,
                                                                                const QString &error) {
                if (!ok) {
                    log::LogEvent e;
                    e.kind = log::LogKind::Session;
                    e.level = QStringLiteral("warning");
                    e.direction = QStringLiteral("in");
                    e.clientIp = peer.toString();
                    e.result = QStringLiteral("rejected");
                    e.rule = QStringLiteral("proxy_protocol");
                    e.message = QStringLiteral("load balancer %1: %2").arg(peer.toString(), error);
                    m_host->log(e);
                    socket->abort();
                    socket->deleteLater();
                    return;
                }
                // LOCAL (the balancer's own health check) keeps the balancer's address.
                const QHostAddress client =
                    h.addressesKnown ? util::normalizedAddress(h.source) : peer;
                admit(socket, client, peer.toString());
            });
            return;
        }
        admit(socket, peer, {});
    }
}

void Listener::admit(PlainSocket *socket, const QHostAddress &peer, const QString &viaProxy)
{
    {
        const QString ip = peer.toString();
        if (m_perIp.value(ip) >= m_settings.maxSessionsPerIp) {
            refuse(socket, smtp::formatReply(smtp::ReplyId::TooManySessionsFromIp));
            log::LogEvent e;
            e.kind = log::LogKind::Session;
            e.level = QStringLiteral("warning");
            e.direction = QStringLiteral("in");
            e.clientIp = ip;
            e.replyCode = 421;
            e.enhancedCode = QStringLiteral("4.7.0");
            e.result = QStringLiteral("rejected");
            e.rule = QStringLiteral("smtp.max_sessions_per_ip");
            e.message = QStringLiteral("too many sessions from %1").arg(ip);
            m_host->log(e);
            return;
        }
        smtp::SessionConfig cfg;
        cfg.hostname = m_host->hostname();
        cfg.sessionId = util::newSessionId();
        cfg.clientIp = peer.toString();
        cfg.viaProxy = viaProxy;
        cfg.listener = m_settings.config.name;
        cfg.relayAllowed = m_settings.allow.matches(peer) && !m_settings.deny.matches(peer);
        const smtp::PolicyVerdict admission = m_host->admitConnection(ip, cfg.sessionId, cfg.relayAllowed);
        if (!admission.accepted()) {
            const QByteArray line = smtp::formatReply(*admission.reply, admission.text);
            refuse(socket, line);
            log::LogEvent e;
            e.kind = log::LogKind::Session;
            e.level = QStringLiteral("warning");
            e.sessionId = cfg.sessionId;
            e.direction = QStringLiteral("in");
            e.clientIp = ip;
            e.replyCode = smtp::replySpec(*admission.reply).code;
            e.enhancedCode = QString::fromLatin1(smtp::replySpec(*admission.reply).enhanced);
            e.result = QStringLiteral("rejected");
            e.rule = QString::fromUtf8(admission.rule);
            e.message = QString::fromUtf8(line.trimmed());
            m_host->log(e);
            return;
        }
        cfg.policyChecks = m_host->policyChecksEnabled();
        cfg.transcript = m_host->transcriptsEnabled();
        cfg.acceptedDomains = m_settings.acceptedDomains;
        cfg.limits = m_settings.limits;
        cfg.tlsAvailable = m_settings.tls.has_value();
        cfg.tlsActive = m_settings.implicitTls && m_settings.tls.has_value();
        cfg.requireTls = m_settings.requireTls;
        cfg.authAvailable = m_settings.authAvailable;
        cfg.gssapiAvailable = m_settings.gssapiAvailable;
        cfg.authRequired = m_settings.authRequired;
        // Plaintext AUTH only ever on loopback, whatever the setting says.
        cfg.plaintextAuthAllowed = m_settings.plaintextAuthAllowed && peer.isLoopback();
        socket->setNoDelay(true);
        auto *conn = new InboundConnection(socket, cfg, m_host, m_settings.idleTimeoutMs, m_settings.tls, this);
        conn->setSessionTimeLimit(m_settings.maxSessionTimeMs);
        m_connections.insert(conn);
        ++m_perIp[ip];
        const QString sessionId = cfg.sessionId;
        connect(conn, &InboundConnection::finished, this, [this, conn, ip, sessionId] {
            m_host->connectionEnded(ip, sessionId);
            if (--m_perIp[ip] <= 0)
                m_perIp.remove(ip);
            m_connections.remove(conn);
            if (m_retired && m_connections.isEmpty())
                deleteLater();
        });
        conn->start();
    }
}

} // namespace rd::net

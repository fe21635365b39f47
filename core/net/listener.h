#pragma once
// A receive connector: binds one address:port and turns each accepted socket
// into an InboundConnection with the session settings of this listener
// (relay allowed or not for the client's address, limits).
// Thread: engine thread.

#include "config/configsnapshot.h"
#include "net/inboundhost.h"
#include "net/plainsocket.h"
#include "smtp/serversession.h"
#include "util/cidr.h"

#include <QObject>
#include <QPointer>
#include <QHash>
#include <QSet>
#include <QSslConfiguration>
#include <QTcpServer>
#include <functional>
#include <optional>

namespace rd::net {

class InboundConnection;

struct ListenerSettings {
    config::ListenerConfig config;
    util::CidrList allow;
    util::CidrList deny;
    util::CidrList proxyFrom;   // load balancers that send a PROXY header (empty: none)
    smtp::SessionLimits limits;
    QStringList acceptedDomains;
    int idleTimeoutMs = 300000;
    int maxSessions = 1000;     // engine-wide cap, shared via the host counter
    int maxSessionsPerIp = 20;  // per client address, across this listener
    int maxSessionTimeMs = 1800000; // total time cap per session
    std::optional<QSslConfiguration> tls; // server TLS (certificate + key); null: none
    bool implicitTls = false;   // TLS from the first byte (465)
    bool requireTls = false;    // STARTTLS before MAIL
    bool authAvailable = false; // AUTH PLAIN/LOGIN offered (over TLS)
    bool gssapiAvailable = false; // AUTH GSSAPI offered too (over TLS only)
    bool authRequired = false;  // submission: AUTH before MAIL
    bool plaintextAuthAllowed = false; // AUTH without TLS (only honoured on loopback)
};

// A QTcpServer that hands each accepted descriptor to `onAccepted` (a
// PlainSocket is made of it; QSslSocket only when TLS starts), never queuing
// QTcpSocket objects.
class DescriptorServer : public QTcpServer {
    Q_OBJECT
public:
    using QTcpServer::QTcpServer;
    std::function<void(qintptr)> onAccepted;

protected:
    void incomingConnection(qintptr descriptor) override;
};

class Listener : public QObject {
    Q_OBJECT
public:
    Listener(ListenerSettings settings, InboundHost *host, std::function<int()> activeSessions,
             QObject *parent = nullptr);
    ~Listener() override;

    // Binds; false with errorString() ("127.0.0.1:25: address already in use").
    bool listen();
    QString errorString() const { return m_error; }
    QString endpoint() const; // "127.0.0.1:2525" / "[::1]:2525"

    // Sends 421 to every open session and stops accepting.
    void shutdown();
    // Stops accepting; open sessions go on. Deletes itself when the last ends.
void retire();
    // The same endpoint with new settings (relay lists, limits, TLS...): the
    // listening socket stays open, so no connection waiting in its backlog is
    // reset by a configuration change. Sessions already open keep theirs.
    void reconfigure(ListenerSettings settings) { m_settings = std::move(settings); }
    // The certificate id this listener serves (ListenerConfig::certificate).
    QString certificateId() const { return m_settings.config.certificate; }
    // A renewed certificate for sessions accepted from now on; open sessions
    // keep the one they started with. Ignored by a listener without TLS.
    void setTlsConfiguration(const QSslConfiguration &tls);

private:
    void onAccepted(qintptr descriptor);
    // The session limits, admission and the session itself, for a client at
    // `peer` (the socket's peer, or the one a balancer's PROXY header named).
    void admit(PlainSocket *socket, const QHostAddress &peer, const QString &viaProxy);
    // Answers `reply` and closes (a connection refused before its session).
    static void refuse(PlainSocket *socket, const QByteArray &reply);

    ListenerSettings m_settings;
    InboundHost *m_host;
    std::function<int()> m_activeSessions;
    DescriptorServer m_server;
    QString m_error;
    QSet<InboundConnection *> m_connections;
    QHash<QString, int> m_perIp; // open sessions per client address
    bool m_retired = false;
};

} // namespace rd::net

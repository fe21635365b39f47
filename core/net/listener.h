#pragma once
// A receive connector: binds one address:port and turns each accepted socket
// into an InboundConnection with the session settings of this listener
// (relay allowed or not for the client's address, limits).
// Thread: engine thread.

#include "config/configsnapshot.h"
#include "net/inboundhost.h"
#include "smtp/serversession.h"
#include "util/cidr.h"

#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTcpServer>

namespace rd::net {

class InboundConnection;

struct ListenerSettings {
    config::ListenerConfig config;
    util::CidrList allow;
    util::CidrList deny;
    smtp::SessionLimits limits;
    QStringList acceptedDomains;
    int idleTimeoutMs = 300000;
    int maxSessions = 1000;     // engine-wide cap, shared via the host counter
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

private:
    void onNewConnection();

    ListenerSettings m_settings;
    InboundHost *m_host;
    std::function<int()> m_activeSessions;
    QTcpServer m_server;
    QString m_error;
    QSet<InboundConnection *> m_connections;
};

} // namespace rd::net

#pragma once
// A node's link to its cluster's shared store, on a thread of its own so that
// neither the engine nor the GUI ever waits on PostgreSQL.
//  - Keeps the local configuration and the store the same (configsync.h): at
//    start, on NOTIFY relaydesk_config from another node, when this node's
//    config.db changes (PRAGMA data_version, polled each second), and every
//    30 s as a safety net. configPulled() tells the engine to apply a
//    configuration that came from the store.
//  - Writes this node's row of the registry (nodes) every heartbeat: version,
//    listeners, queue size and oldest message (from queue.db), store latency.
//  - When the store is unreachable the node runs on its local copy; the link
//    retries every few seconds and reports the state (storeState()).
// Thread: create, then moveToThread() a thread of its own and call start() there
// (queued); stop() (blocking queued) before the thread ends.

#include "cluster/clusteroverview.h"
#include "cluster/secretbox.h"
#include "cluster/storelocation.h"

#include <QElapsedTimer>

#include <algorithm>
#include <QHash>
#include <QObject>
#include <QSqlDatabase>
#include <QStringList>
#include <QTimer>

namespace rd::cluster {

struct ClusterOptions {
    StoreLocation store;
    QString keyFile;        // the cluster key (secretbox.h)
    QString nodeName;
    // Node-local: the address that listeners configured on 0.0.0.0 or :: bind
    // on this node (several nodes on one host, or a multi-homed host).
    QString listenAddress;
    int heartbeatMs = 5000;
    int retryMs = 3000;
};

class ClusterNode : public QObject {
    Q_OBJECT
public:
    ClusterNode(QString dataDir, ClusterOptions options, QObject *parent = nullptr);
    ~ClusterNode() override;

public slots:
    void start();
    void stop();
    // The engine saved a configuration change; `actor` made it.
    void localChanged(const QString &actor, const QString &summary);
    // What the heartbeat reports about the listeners.
    void setListeners(const QStringList &endpoints, const QString &state);
    // Reads the registry and the newest 200 history rows -> overviewReady().
    void requestOverview();

signals:
    void overviewReady(const rd::cluster::ClusterOverview &overview);
    // The local copy now holds store revision `revision`; apply it.
    void configPulled(qint64 revision, const QString &changedBy, const QStringList &tables);
    // A change made here reached the store.
    void configPushed(qint64 revision, const QStringList &tables);
    // up: connected and synchronised; message says what went wrong otherwise.
    void storeState(bool up, const QString &message);
    // Other nodes whose heartbeat is older than three heartbeats (15 s by
    // default) and that did not stop cleanly: name -> what is known. Every heartbeat.
    void silentNodes(const QHash<QString, QString> &nodes);
    // A sentence for the engine's system log (kind, text, severity).
    void logLine(const QString &kind, const QString &text, const QString &severity);

private:
    bool connectStore();
    void dropStore(const QString &why);
    void syncNow();
    void heartbeat();
    void pollLocal();
    // A node whose heartbeat is older than this is silent (three heartbeats).
    qint64 silentAfterMs() const { return std::max<qint64>(1000, 3 * qint64(m_options.heartbeatMs)); }

    QString m_dataDir;
    ClusterOptions m_options;
    SecretBox m_box;
    QString m_localName;
    QString m_storeName;
    QString m_queueName;
    bool m_storeUp = false;
    bool m_keyOk = false;
    QString m_lastError;
    QString m_pendingActor;
    QString m_pendingSummary;
    qint64 m_dataVersion = -1;
    qint64 m_started = 0;
    qint64 m_revision = -1;
    qint64 m_applied = -1; // the revision the engine runs
    qint64 m_latencyUs = -1;
    QStringList m_listeners;
    QString m_state = QStringLiteral("starting");
    QTimer *m_heartbeat = nullptr;
    QTimer *m_poll = nullptr;
    QTimer *m_retry = nullptr;
    QTimer *m_safety = nullptr;
    QTimer *m_soon = nullptr;
};

} // namespace rd::cluster

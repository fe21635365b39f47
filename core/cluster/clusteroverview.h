#pragma once
// What the Cluster panel shows: the node registry and the configuration
// history, read from the shared store by the node's cluster thread.

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace rd::cluster {

struct NodeInfo {
    QString name;
    QString version;
    QString state;          // the engine state the node reported ("running", "stopped", ...)
    QString listeners;      // "10.0.0.11:25 10.0.0.11:587"
    qint64 queueSize = 0;
    qint64 oldestMessage = 0; // ms since epoch, 0: empty queue
    qint64 heartbeat = 0;     // ms since epoch
    qint64 storeLatencyUs = -1;
    qint64 revision = -1;
    bool silent = false;      // no heartbeat for three intervals and not stopped cleanly
};

struct HistoryEntry {
    qint64 revision = 0;
    qint64 ts = 0;
    QString actor;
    QString node;
    QStringList tables;
    QString summary;
};

struct ClusterOverview {
    bool clustered = false;  // false: a standalone relay (nothing else is set)
    QString store;           // the store, without password
    QString thisNode;
    bool storeUp = false;
    QString error;           // why the store cannot be read now
    qint64 revision = -1;    // the revision this node runs
    qint64 readAt = 0;       // ms since epoch
    QList<NodeInfo> nodes;
    QList<HistoryEntry> history; // newest first
};

} // namespace rd::cluster

Q_DECLARE_METATYPE(rd::cluster::ClusterOverview)

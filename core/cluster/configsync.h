#pragma once
// Keeps a node's local configuration (config.db, SQLite) and a cluster's shared
// store (PostgreSQL) the same. The local copy is what the engine runs on, so a
// node starts and relays with the last configuration it saw while the store is
// down; the store is the cluster's truth.
//
// One run, in one store transaction that holds the revision row locked:
//  1. Tables changed here since the last run (their hash differs from the one
//     recorded then) are written to the store; the revision goes up by one, a
//     history row says who changed which tables, and NOTIFY relaydesk_config
//     tells the other nodes (delivered on commit).
//  2. If the store's revision moved since our last run, every other table is
//     read back from the store and replaces the local one.
// Conflicts are per table: two nodes that change different tables both keep
// their change; the same table changed on two nodes at once ends as the later
// writer's version, and the history shows both.
//
// A node that never synchronised only reads (a fresh node joins by pulling,
// it never pushes its defaults); Mode::Publish writes every table (the
// migration of a standalone instance into a new store).
// Secrets are sealed with the cluster key (secretbox.h) on the way in and
// opened on the way out; per-node columns (a user's last login) stay local.
// Thread: both connections belong to the calling thread.

#include "cluster/secretbox.h"

#include <QSqlDatabase>
#include <QString>
#include <QStringList>

namespace rd::cluster {

struct SyncRequest {
    enum class Mode { Normal, Publish };
    Mode mode = Mode::Normal;
    bool force = false;      // Publish over a store that already has a configuration
    QString actor;           // who made the local change (history)
    QString node;            // this node's name (history)
    QString summary;         // a sentence for the history, may be empty
};

struct SyncOutcome {
    bool ok = false;
    QString error;
    qint64 revision = -1;    // the store revision the local copy now holds (-1: none)
    QStringList pushed;      // tables written to the store
    QStringList pulled;      // tables replaced locally
    bool storeEmpty = false; // the store holds no configuration yet
    QString changedBy;       // with pulled: "actor on node" of the newest history row
};

// The tables a cluster shares (the configuration; not the node's state such
// as rate counters, greylisting or the queue).
QStringList sharedTables();

// The store revision the local copy holds (-1: never synchronised).
qint64 localRevision(QSqlDatabase &local);

// Whether a table changed locally since the last run (cheap enough to poll).
QStringList locallyChangedTables(QSqlDatabase &local, QString *error);

SyncOutcome synchronize(QSqlDatabase &local, QSqlDatabase &store, const SecretBox &box, const SyncRequest &request);

} // namespace rd::cluster

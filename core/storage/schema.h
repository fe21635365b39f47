#pragma once
// The one schema definition of every RelayDesk database, as ordered
// migrations. Statements stick to SQL that SQLite and PostgreSQL both accept
// (INTEGER/TEXT/BIGINT columns, no AUTOINCREMENT), so a second back end is a
// new connection, not a rewrite.

#include <QString>
#include <QStringList>
#include <QVector>

namespace rd::storage {

enum class DbKind { Config, Queue, Log, Cluster };

// Where a database lives: a SQLite file in the data folder, or the shared
// PostgreSQL store of a cluster (Config and Cluster kinds only).
enum class Backend { Sqlite, Postgres };

struct Migration {
    int version;              // schema version after this step (1, 2, ...)
    QStringList statements;   // run in one transaction
};

// Ordered migrations for a database kind (versions strictly increasing).
const QVector<Migration> &migrations(DbKind kind);

// The newest schema version of a kind.
int latestVersion(DbKind kind);

// File name in the data folder: config.db, queue.db, log.db.
QString fileName(DbKind kind);

// The schema_meta key holding a kind's version (kinds sharing one database
// keep separate versions).
QString versionKey(DbKind kind);

// A migration statement in the back end's dialect. The only difference we
// allow ourselves: `id INTEGER PRIMARY KEY` (SQLite's rowid alias) is an
// identity column on PostgreSQL.
QString forBackend(const QString &statement, Backend backend);

} // namespace rd::storage

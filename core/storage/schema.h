#pragma once
// The one schema definition of every RelayDesk database, as ordered
// migrations. Statements stick to SQL that SQLite and PostgreSQL both accept
// (INTEGER/TEXT/BIGINT columns, no AUTOINCREMENT), so a second back end is a
// new connection, not a rewrite.

#include <QString>
#include <QStringList>
#include <QVector>

namespace rd::storage {

enum class DbKind { Config, Queue, Log };

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

} // namespace rd::storage

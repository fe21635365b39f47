#pragma once
// Opening RelayDesk's SQLite databases through Qt SQL: WAL mode, busy
// timeout, owner-only files, schema migrations, and a clear error for a
// corrupt or newer-than-us file (never deleted or overwritten).
// Thread: a QSqlDatabase connection belongs to the thread that opened it;
// each thread opens its own with a unique connection name.

#include "storage/schema.h"

#include <QSqlDatabase>
#include <QString>

namespace rd::storage {

enum class Durability {
    Full,   // synchronous=FULL: a commit is on disk when it returns
    Normal, // synchronous=NORMAL (WAL): survives a process crash, may lose the
            // last commits on power loss
};

struct OpenOptions {
    bool migrate = true;              // create/upgrade the schema
    Durability durability = Durability::Normal;
};

// Opens dataDir/<fileName(kind)> as a connection named `connectionName`.
// On failure returns an invalid (closed) database and sets *error to a
// sentence that names the file and the cause.
QSqlDatabase openDatabase(const QString &dataDir, DbKind kind, const QString &connectionName,
                          const OpenOptions &options, QString *error);

// Closes and removes the named connection (safe if it does not exist).
void closeDatabase(const QString &connectionName);

// Schema version of a kind stored in the database (0 if none).
int schemaVersion(QSqlDatabase &db, DbKind kind = DbKind::Config);

// Creates or upgrades the tables of a cluster's shared PostgreSQL store (the
// Config tables plus the Cluster ones) on an open connection. Several nodes may
// call it at once. displayName names the store in errors (no password).
bool migrateShared(QSqlDatabase &db, const QString &displayName, QString *error);

// A connection name unique to this call (for per-thread/per-object connections).
QString uniqueConnectionName(const QString &prefix);

} // namespace rd::storage

namespace rd::storage {

// A bind value for a NOT NULL text column: a null QString becomes ''.
inline QString nn(const QString &s)
{
    return s.isNull() ? QStringLiteral("") : s;
}

} // namespace rd::storage

#include "storage/database.h"

#include "util/fsutil.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <atomic>

namespace rd::storage {
namespace {

bool exec(QSqlDatabase &db, const QString &sql, QString *error)
{
    QSqlQuery q(db);
    if (!q.exec(sql)) {
        *error = q.lastError().text();
        return false;
    }
    return true;
}

bool migrate(QSqlDatabase &db, DbKind kind, Backend backend, const QString &path, QString *error)
{
    QString why;
    if (!exec(db, QStringLiteral("CREATE TABLE IF NOT EXISTS schema_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"),
              &why)) {
        *error = QStringLiteral("%1 is not a usable RelayDesk database: %2").arg(path, why);
        return false;
    }
    const int current = schemaVersion(db, kind);
    const int latest = latestVersion(kind);
    if (current > latest) {
        *error = QStringLiteral("%1 has schema version %2, newer than this RelayDesk understands (%3); "
                                "use a newer RelayDesk or restore a backup")
                     .arg(path)
                     .arg(current)
                     .arg(latest);
        return false;
    }
    for (const Migration &m : migrations(kind)) {
        if (m.version <= current)
            continue;
        if (!db.transaction()) {
            *error = QStringLiteral("%1: cannot begin migration: %2").arg(path, db.lastError().text());
            return false;
        }
        if (backend == Backend::Postgres) {
            // Nodes starting together: one migrates, the others wait and then
            // find the step done.
            if (!exec(db, QStringLiteral("SELECT pg_advisory_xact_lock(7242)"), &why)) {
                db.rollback();
                *error = QStringLiteral("%1: cannot lock for migration: %2").arg(path, why);
                return false;
            }
            if (schemaVersion(db, kind) >= m.version) {
                db.rollback();
                continue;
            }
        }
        for (const QString &sql : m.statements) {
            if (!exec(db, forBackend(sql, backend), &why)) {
                db.rollback();
                *error = QStringLiteral("%1: migration to version %2 failed: %3").arg(path).arg(m.version).arg(why);
                return false;
            }
        }
        QSqlQuery q(db);
        q.prepare(QStringLiteral("INSERT INTO schema_meta (key, value) VALUES (?, ?)"
                                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
        q.addBindValue(versionKey(kind));
        q.addBindValue(QString::number(m.version));
        if (!q.exec() || !db.commit()) {
            db.rollback();
            *error = QStringLiteral("%1: cannot record schema version %2: %3")
                         .arg(path)
                         .arg(m.version)
                         .arg(q.lastError().text());
            return false;
        }
    }
    return true;
}

} // namespace

QString uniqueConnectionName(const QString &prefix)
{
    static std::atomic<int> counter{0};
    return QStringLiteral("%1-%2").arg(prefix).arg(counter.fetch_add(1));
}

int schemaVersion(QSqlDatabase &db, DbKind kind)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT value FROM schema_meta WHERE key = ?"));
    q.addBindValue(versionKey(kind));
    if (!q.exec() || !q.next())
        return 0;
    return q.value(0).toInt();
}

QSqlDatabase openDatabase(const QString &dataDir, DbKind kind, const QString &connectionName,
                          const OpenOptions &options, QString *error)
{
    const QString path = QDir(dataDir).filePath(fileName(kind));
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connectionName);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    const bool existed = QFileInfo::exists(path);
    if (!db.open()) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, db.lastError().text());
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(connectionName);
        return QSqlDatabase();
    }
    if (!existed)
        util::makePrivateFile(path);

    QString why;
    // journal_mode is the first statement to touch the file: a corrupt file fails here.
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("PRAGMA journal_mode=WAL")) || !q.next()) {
        *error = QStringLiteral("%1 is not a valid SQLite database (%2); the file was left untouched")
                     .arg(path, q.lastError().text());
        q = QSqlQuery();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(connectionName);
        return QSqlDatabase();
    }
    q.finish();
    const char *sync = options.durability == Durability::Full ? "FULL" : "NORMAL";
    exec(db, QStringLiteral("PRAGMA synchronous=%1").arg(QLatin1String(sync)), &why);
    exec(db, QStringLiteral("PRAGMA foreign_keys=ON"), &why);
    if (options.migrate && !migrate(db, kind, Backend::Sqlite, path, error)) {
        q = QSqlQuery();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(connectionName);
        return QSqlDatabase();
    }
    util::makePrivateFile(path + QStringLiteral("-wal"));
    util::makePrivateFile(path + QStringLiteral("-shm"));
    return db;
}

bool migrateShared(QSqlDatabase &db, const QString &displayName, QString *error)
{
    // A store at our version needs no DDL: nodes connect with a role that may
    // not create tables (docs/CLUSTER.md).
    if (schemaVersion(db, DbKind::Config) == latestVersion(DbKind::Config)
        && schemaVersion(db, DbKind::Cluster) == latestVersion(DbKind::Cluster))
        return true;
    if (migrate(db, DbKind::Config, Backend::Postgres, displayName, error)
        && migrate(db, DbKind::Cluster, Backend::Postgres, displayName, error))
        return true;
    if (error->contains(QLatin1String("permission denied")))
        *error += QStringLiteral(" (the store's tables are created and upgraded by the admin role: run "
                                 "relaydesk --cluster <admin connection> --migrate-to-cluster for a new store, or "
                                 "--cluster-nodes once to upgrade one)");
    return false;
}

void closeDatabase(const QString &connectionName)
{
    {
        QSqlDatabase db = QSqlDatabase::database(connectionName, false);
        if (db.isValid())
            db.close();
    }
    QSqlDatabase::removeDatabase(connectionName);
}

} // namespace rd::storage

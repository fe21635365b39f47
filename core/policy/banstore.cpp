#include "policy/banstore.h"

#include "storage/database.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>

namespace rd::policy {

BanStore::BanStore(QString dataDir, QObject *parent)
    : QObject(parent), m_dataDir(std::move(dataDir))
{
    m_pool.setMaxThreadCount(1);
    m_pool.setObjectName(QStringLiteral("BanStore"));
}

BanStore::~BanStore()
{
    QString error;
    flush(&error);
}

bool BanStore::readAll(QSqlDatabase &db, QList<Ban> *out, QString *error)
{
    out->clear();
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT ip, reason, created, expires, failures FROM bans ORDER BY expires"))) {
        *error = q.lastError().text();
        return false;
    }
    while (q.next()) {
        Ban b;
        b.ip = q.value(0).toString();
        b.reason = q.value(1).toString();
        b.created = QDateTime::fromMSecsSinceEpoch(q.value(2).toLongLong(), Qt::UTC);
        b.expires = QDateTime::fromMSecsSinceEpoch(q.value(3).toLongLong(), Qt::UTC);
        b.failures = q.value(4).toInt();
        out->append(b);
    }
    return true;
}

bool BanStore::writeChanges(QSqlDatabase &db, const BanChanges &changes, QString *error)
{
    if (changes.isEmpty())
        return true;
    if (!db.transaction()) {
        *error = db.lastError().text();
        return false;
    }
    QSqlQuery q(db);
    auto fail = [&] {
        *error = q.lastError().text();
        db.rollback();
        return false;
    };
    q.prepare(QStringLiteral("DELETE FROM bans WHERE ip = ?"));
    for (const QString &key : changes.deletes) {
        q.addBindValue(key);
        if (!q.exec())
            return fail();
    }
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO bans (ip, reason, created, expires, failures)"
                             " VALUES (?, ?, ?, ?, ?)"));
    for (const Ban &b : changes.upserts) {
        q.addBindValue(b.ip);
        q.addBindValue(storage::nn(b.reason));
        q.addBindValue(b.created.toMSecsSinceEpoch());
        q.addBindValue(b.expires.toMSecsSinceEpoch());
        q.addBindValue(b.failures);
        if (!q.exec())
            return fail();
    }
    if (!db.commit()) {
        *error = db.lastError().text();
        db.rollback();
        return false;
    }
    return true;
}

bool BanStore::writeTo(const QString &dataDir, const BanChanges &changes, QString *error)
{
    const QString conn = storage::uniqueConnectionName(QStringLiteral("bans"));
    bool ok = false;
    {
        QSqlDatabase db = storage::openDatabase(dataDir, storage::DbKind::Config, conn, {}, error);
        if (db.isOpen())
            ok = writeChanges(db, changes, error);
    }
    storage::closeDatabase(conn);
    return ok;
}

bool BanStore::load(QList<Ban> *out, QString *error)
{
    const QString conn = storage::uniqueConnectionName(QStringLiteral("bans"));
    bool ok = false;
    {
        QSqlDatabase db = storage::openDatabase(m_dataDir, storage::DbKind::Config, conn, {}, error);
        if (db.isOpen())
            ok = readAll(db, out, error);
    }
    storage::closeDatabase(conn);
    return ok;
}

void BanStore::save(const BanChanges &changes)
{
    if (changes.isEmpty() && m_pending.isEmpty())
        return;
    m_pending = BanChanges::merged(m_pending, changes);
    startWrite();
}

void BanStore::startWrite()
{
    m_retryScheduled = false;
    if (m_busy || m_pending.isEmpty())
        return;
    m_busy = true;
    m_inflight = std::exchange(m_pending, BanChanges{});
    auto result = std::make_shared<Result>();
    m_inflightResult = result;
    const QString dir = m_dataDir;
    const BanChanges batch = m_inflight;
    // `this` outlives the task: the destructor waits for the pool. A queued
    // call to a destroyed object is dropped.
    m_pool.start([this, dir, batch, result] {
        result->ok = writeTo(dir, batch, &result->error);
        QMetaObject::invokeMethod(this, [this, result] { finishWrite(result); }, Qt::QueuedConnection);
    });
}

void BanStore::finishWrite(std::shared_ptr<Result> result)
{
    if (!m_busy || result != m_inflightResult)
        return; // handled already by flush()
    m_busy = false;
    m_inflightResult.reset();
    const BanChanges done = std::exchange(m_inflight, BanChanges{});
    if (result->ok) {
        emit saved(int(done.upserts.size()), int(done.deletes.size()));
        startWrite();
        return;
    }
    m_pending = BanChanges::merged(done, m_pending);
    m_lastError = result->error;
    emit saveFailed(result->error);
    if (!m_retryScheduled) {
        m_retryScheduled = true;
        QTimer::singleShot(5000, this, &BanStore::startWrite);
    }
}

bool BanStore::flush(QString *error)
{
    // Each round ends the running write (success: the next batch may start;
    // failure: its changes go back to pending and are retried at once).
    for (int round = 0; round < 3; ++round) {
        m_pool.waitForDone();
        if (m_busy)
            finishWrite(m_inflightResult);
        if (!m_busy && m_pending.isEmpty())
            return true;
        startWrite();
    }
    m_pool.waitForDone();
    if (m_busy)
        finishWrite(m_inflightResult);
    if (!m_busy && m_pending.isEmpty())
        return true;
    if (error)
        *error = m_lastError;
    return false;
}

} // namespace rd::policy

#include "alerts/alertstore.h"

#include "storage/database.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>
#include "util/errorout.h"
#include "util/clock.h"

namespace rd::alerts {

namespace {
using util::setError;
using util::fromMs;

} // namespace

AlertStore::~AlertStore()
{
    close();
}

bool AlertStore::open(const QString &dataDir, QString *error)
{
    close();
    const QString name = storage::uniqueConnectionName(QStringLiteral("alerts"));
    storage::OpenOptions options;
    QSqlDatabase db = storage::openDatabase(dataDir, storage::DbKind::Log, name, options, error);
    if (!db.isOpen()) {
        storage::closeDatabase(name);
        return false;
    }
    m_connection = name;
    return true;
}

void AlertStore::close()
{
    if (m_connection.isEmpty())
        return;
    storage::closeDatabase(m_connection);
    m_connection.clear();
}

bool AlertStore::insert(const Alert &alert, QString *error)
{
    if (!isOpen()) {
        setError(error, QStringLiteral("the alert store is not open"));
        return false;
    }
    if (alert.id <= 0 || alert.rule.isEmpty()) {
        setError(error, QStringLiteral("an alert needs an id and a rule"));
        return false;
    }
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO alerts (id, ts, rule, subject, severity, message, resolved)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(alert.id);
    q.addBindValue(alert.raised.isValid() ? alert.raised.toMSecsSinceEpoch() : 0);
    q.addBindValue(storage::nn(alert.rule));
    q.addBindValue(storage::nn(alert.subject));
    q.addBindValue(severityName(alert.severity));
    q.addBindValue(storage::nn(alert.message));
    q.addBindValue(alert.resolved.isValid() ? std::max<qint64>(1, alert.resolved.toMSecsSinceEpoch()) : 0);
    if (!q.exec()) {
        setError(error, QStringLiteral("storing alert %1 failed: %2").arg(alert.id).arg(q.lastError().text()));
        return false;
    }
    return true;
}

bool AlertStore::markResolved(qint64 id, const QDateTime &when, QString *error)
{
    if (!isOpen()) {
        setError(error, QStringLiteral("the alert store is not open"));
        return false;
    }
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("UPDATE alerts SET resolved = ? WHERE id = ? AND resolved = 0"));
    q.addBindValue(std::max<qint64>(1, when.isValid() ? when.toMSecsSinceEpoch() : 1));
    q.addBindValue(id);
    if (!q.exec()) {
        setError(error, QStringLiteral("resolving alert %1 failed: %2").arg(id).arg(q.lastError().text()));
        return false;
    }
    if (q.numRowsAffected() != 1) {
        setError(error, QStringLiteral("no open alert with id %1").arg(id));
        return false;
    }
    return true;
}

QList<Alert> AlertStore::select(const QString &sql, const QVariantList &binds, QString *error) const
{
    QList<Alert> out;
    if (!isOpen()) {
        setError(error, QStringLiteral("the alert store is not open"));
        return out;
    }
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.setForwardOnly(true);
    q.prepare(sql);
    for (const QVariant &b : binds)
        q.addBindValue(b);
    if (!q.exec()) {
        setError(error, QStringLiteral("reading alerts failed: %1").arg(q.lastError().text()));
        return out;
    }
    while (q.next()) {
        Alert a;
        a.id = q.value(0).toLongLong();
        a.raised = fromMs(q.value(1).toLongLong());
        a.rule = q.value(2).toString();
        a.subject = q.value(3).toString();
        a.severity = severityFromName(q.value(4).toString());
        a.message = q.value(5).toString();
        const qint64 resolved = q.value(6).toLongLong();
        if (resolved > 0)
            a.resolved = fromMs(resolved);
        out.append(a);
    }
    return out;
}

QList<Alert> AlertStore::loadOpen(QString *error) const
{
    return select(QStringLiteral("SELECT id, ts, rule, subject, severity, message, resolved FROM alerts"
                                 " WHERE resolved = 0 ORDER BY id"),
                  {}, error);
}

QList<Alert> AlertStore::recent(int limit, QString *error) const
{
    return select(QStringLiteral("SELECT id, ts, rule, subject, severity, message, resolved FROM alerts"
                                 " ORDER BY id DESC LIMIT ?"),
                  {std::max(0, limit)}, error);
}

qint64 AlertStore::maxId(QString *error) const
{
    if (!isOpen()) {
        setError(error, QStringLiteral("the alert store is not open"));
        return 0;
    }
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec(QStringLiteral("SELECT COALESCE(MAX(id), 0) FROM alerts")) || !q.next()) {
        setError(error, QStringLiteral("reading alerts failed: %1").arg(q.lastError().text()));
        return 0;
    }
    return q.value(0).toLongLong();
}

int AlertStore::pruneResolved(const QDateTime &before, QString *error)
{
    if (!isOpen()) {
        setError(error, QStringLiteral("the alert store is not open"));
        return 0;
    }
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("DELETE FROM alerts WHERE resolved > 0 AND resolved < ?"));
    q.addBindValue(before.toMSecsSinceEpoch());
    if (!q.exec()) {
        setError(error, QStringLiteral("pruning alerts failed: %1").arg(q.lastError().text()));
        return 0;
    }
    return q.numRowsAffected();
}

} // namespace rd::alerts

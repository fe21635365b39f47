#include "mtasts/policystore.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace rd::mtasts {

QList<CachedPolicy> loadPolicies(QSqlDatabase &db, QString *error)
{
    QList<CachedPolicy> out;
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT domain, policy_id, fetched, expires, raw FROM mta_sts_policies"))) {
        if (error)
            *error = q.lastError().text();
        return out;
    }
    while (q.next()) {
        CachedPolicy c;
        c.domain = q.value(0).toString();
        c.id = q.value(1).toString().toLatin1();
        c.fetchedMs = q.value(2).toLongLong();
        c.expiresMs = q.value(3).toLongLong();
        const std::optional<Policy> p = parsePolicy(q.value(4).toString().toUtf8());
        if (!p)
            continue;
        c.policy = *p;
        out << c;
    }
    return out;
}

bool savePolicy(QSqlDatabase &db, const CachedPolicy &p, QString *error)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO mta_sts_policies (domain, policy_id, mode, mx, max_age,"
                             " fetched, expires, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(p.domain);
    q.addBindValue(QString::fromLatin1(p.id));
    q.addBindValue(modeName(p.policy.mode));
    q.addBindValue(p.policy.mx.join(QLatin1Char(' ')));
    q.addBindValue(p.policy.maxAge);
    q.addBindValue(p.fetchedMs);
    q.addBindValue(p.expiresMs);
    q.addBindValue(QString::fromUtf8(p.policy.raw));
    if (!q.exec()) {
        if (error)
            *error = q.lastError().text();
        return false;
    }
    return true;
}

int purgeExpired(QSqlDatabase &db, qint64 nowMs, QString *error)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("DELETE FROM mta_sts_policies WHERE expires < ?"));
    q.addBindValue(nowMs);
    if (!q.exec()) {
        if (error)
            *error = q.lastError().text();
        return 0;
    }
    return q.numRowsAffected();
}

} // namespace rd::mtasts

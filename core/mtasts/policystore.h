#pragma once
// The MTA-STS policy cache on disk: config.db table mta_sts_policies (one row
// per recipient domain; fetched/expires in ms since the epoch). The resolver
// keeps the cache in memory; these functions load it at start and write a
// row when a policy is fetched, on whatever thread owns `db` (a worker is
// fine: a row is a few hundred bytes). Errors return false with *error.

#include "mtasts/stspolicy.h"

#include <QList>
#include <QString>

class QSqlDatabase;

namespace rd::mtasts {

struct CachedPolicy {
    QString domain;      // recipient domain, lower case
    QByteArray id;       // the TXT record id the policy was fetched for
    Policy policy;
    qint64 fetchedMs = 0;
    qint64 expiresMs = 0; // fetched + max_age: used until then even if refreshing fails (RFC 8461 5.1)

    bool expired(qint64 nowMs) const { return nowMs >= expiresMs; }
};

// All rows whose policy still parses (a row that does not is skipped).
QList<CachedPolicy> loadPolicies(QSqlDatabase &db, QString *error = nullptr);
// Inserts or replaces the row of p.domain.
bool savePolicy(QSqlDatabase &db, const CachedPolicy &p, QString *error = nullptr);
// Deletes rows that expired before `nowMs`; returns how many.
int purgeExpired(QSqlDatabase &db, qint64 nowMs, QString *error = nullptr);

} // namespace rd::mtasts

#include "log/logretention.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>
#include <cmath>
#include <limits>

namespace rd::log {

namespace {

qint64 pragma(const QSqlDatabase &db, const char *name)
{
    QSqlQuery q(db);
    if (q.exec(QStringLiteral("PRAGMA %1").arg(QLatin1String(name))) && q.next())
        return q.value(0).toLongLong();
    return 0;
}

// Runs one DELETE of at most kRetentionBatch rows; returns rows deleted or -1.
qint64 deleteBatch(QSqlDatabase &db, const QString &sql, const QVariantList &binds, QString *error)
{
    QSqlQuery q(db);
    q.prepare(sql);
    for (const QVariant &b : binds)
        q.addBindValue(b);
    if (!db.transaction() || !q.exec()) {
        if (error->isEmpty())
            *error = q.lastError().text();
        db.rollback();
        return -1;
    }
    const qint64 n = q.numRowsAffected();
    q.finish();
    if (!db.commit()) {
        if (error->isEmpty())
            *error = db.lastError().text();
        return -1;
    }
    return n;
}

// Deletes in batches until a batch comes back short (or `maxRows` is reached).
qint64 deleteAll(QSqlDatabase &db, const QString &sqlWithLimit, const QVariantList &binds, qint64 maxRows,
                 const std::function<void()> &betweenBatches, QString *error)
{
    qint64 total = 0;
    while (total < maxRows) {
        const qint64 want = std::min<qint64>(kRetentionBatch, maxRows - total);
        QVariantList b = binds;
        b << want;
        const qint64 n = deleteBatch(db, sqlWithLimit, b, error);
        if (n < 0)
            break;
        total += n;
        if (betweenBatches)
            betweenBatches();
        if (n < want)
            break;
    }
    return total;
}

const QString kEventsBefore = QStringLiteral(
    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ? ORDER BY ts LIMIT ?)");
const QString kTranscriptsBefore = QStringLiteral(
    "DELETE FROM transcripts WHERE rowid IN (SELECT rowid FROM transcripts WHERE ts < ? ORDER BY ts LIMIT ?)");
const QString kAlertsBefore = QStringLiteral(
    "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE ts < ? AND resolved != 0 ORDER BY ts LIMIT ?)");
const QString kMessagesBefore = QStringLiteral(
    "DELETE FROM messages WHERE queue_id IN (SELECT queue_id FROM messages WHERE ts < ? ORDER BY ts LIMIT ?)");
const QString kTlsResultsBefore = QStringLiteral(
    "DELETE FROM tls_results WHERE id IN (SELECT id FROM tls_results WHERE ts < ? ORDER BY ts LIMIT ?)");
const QString kOldestEvents = QStringLiteral(
    "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY ts, id LIMIT ?)");

void deleteOlderThan(QSqlDatabase &db, qint64 cutoff, RetentionResult *r, const std::function<void()> &between)
{
    constexpr qint64 all = std::numeric_limits<qint64>::max();
    r->events += deleteAll(db, kEventsBefore, {cutoff}, all, between, &r->error);
    r->transcripts += deleteAll(db, kTranscriptsBefore, {cutoff}, all, between, &r->error);
    r->alerts += deleteAll(db, kAlertsBefore, {cutoff}, all, between, &r->error);
    r->messages += deleteAll(db, kMessagesBefore, {cutoff}, all, between, &r->error);
    r->tlsResults += deleteAll(db, kTlsResultsBefore, {cutoff}, all, between, &r->error);
}

} // namespace

qint64 usedBytes(const QSqlDatabase &db)
{
    return (pragma(db, "page_count") - pragma(db, "freelist_count")) * pragma(db, "page_size");
}

RetentionResult applyRetention(QSqlDatabase &db, const RetentionPolicy &policy, const QDateTime &now,
                               const std::function<void()> &betweenBatches)
{
    RetentionResult r;
    r.bytesBefore = usedBytes(db);
    if (policy.days > 0)
        deleteOlderThan(db, now.toMSecsSinceEpoch() - qint64(policy.days) * 86400000, &r, betweenBatches);

    if (policy.maxBytes > 0) {
        // Deleted rows free their pages at once; the full-text index shrinks
        // when its segments merge, so merge a bounded amount after each round.
        for (int round = 0; round < 4 && r.error.isEmpty(); ++round) {
            const qint64 used = usedBytes(db);
            if (used <= policy.maxBytes)
                break;
            QSqlQuery count(db);
            qint64 total = 0;
            if (count.exec(QStringLiteral("SELECT count(*) FROM events")) && count.next())
                total = count.value(0).toLongLong();
            if (total == 0)
                break;
            const double excess = double(used - policy.maxBytes * 9 / 10) / double(used);
            const qint64 target = std::max<qint64>(1, qint64(std::ceil(excess * double(total))));
            const qint64 deleted = deleteAll(db, kOldestEvents, {}, target, betweenBatches, &r.error);
            r.events += deleted;
            // Transcripts and resolved alerts older than the oldest event left.
            QSqlQuery oldest(db);
            if (oldest.exec(QStringLiteral("SELECT min(ts) FROM events")) && oldest.next()
                && !oldest.value(0).isNull()) {
                const qint64 cutoff = oldest.value(0).toLongLong();
                oldest.finish();
                constexpr qint64 all = std::numeric_limits<qint64>::max();
                r.transcripts += deleteAll(db, kTranscriptsBefore, {cutoff}, all, betweenBatches, &r.error);
                r.alerts += deleteAll(db, kAlertsBefore, {cutoff}, all, betweenBatches, &r.error);
                r.messages += deleteAll(db, kMessagesBefore, {cutoff}, all, betweenBatches, &r.error);
                r.tlsResults += deleteAll(db, kTlsResultsBefore, {cutoff}, all, betweenBatches, &r.error);
            }
            QSqlQuery merge(db);
            merge.exec(QStringLiteral("INSERT INTO events_fts (events_fts, rank) VALUES ('merge', 2000)"));
            if (deleted == 0)
                break;
        }
    }
    r.bytesAfter = usedBytes(db);
    return r;
}

} // namespace rd::log

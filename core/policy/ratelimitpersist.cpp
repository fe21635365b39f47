// RateLimiter::save()/load(): counters of hour and day windows kept in
// config.db table rate_counters (schema v8) across restarts. One row per
// (rule, key, granule): scope, subject, metric and window_s name the rule as
// in rate_limits; bucket is the granule's start in ms since the epoch (so a
// change of granule size keeps the rows meaningful); count its events.

#include "policy/ratelimiter.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

namespace rd::policy {

namespace {

constexpr int kPersistMinWindowSeconds = 3600;

bool fail(const QString &what, const QSqlError &e, QString *error)
{
    if (error)
        *error = QStringLiteral("rate counters: %1: %2").arg(what, e.text());
    return false;
}

} // namespace

bool RateLimiter::save(QSqlDatabase &db, QString *error) const
{
    const qint64 t = now();
    if (!db.transaction())
        return fail(QStringLiteral("cannot start a transaction"), db.lastError(), error);
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("DELETE FROM rate_counters"))) {
        const QSqlError e = q.lastError();
        db.rollback();
        return fail(QStringLiteral("cannot clear the table"), e, error);
    }
    if (!q.prepare(QStringLiteral("INSERT INTO rate_counters (scope, subject, metric, window_s, key, bucket, count)"
                                  " VALUES (?, ?, ?, ?, ?, ?, ?)"))) {
        const QSqlError e = q.lastError();
        db.rollback();
        return fail(QStringLiteral("cannot prepare the insert"), e, error);
    }
    const auto write = [&](const config::RateLimitRule &rule, const WindowSpec &window,
                           const QHash<QString, SlidingCounter> &counters) {
        const QString scope = config::limitScopeName(rule.scope);
        const QString subject = rule.subject.trimmed();
        const QString metric = config::limitMetricName(rule.metric);
        for (auto it = counters.constBegin(); it != counters.constEnd(); ++it) {
            for (const SlidingCounter::Bucket &b : it->buckets()) {
                if (b.count <= 0 || window.expiryOf(b.index) <= t)
                    continue;
                q.bindValue(0, scope);
                q.bindValue(1, subject);
                q.bindValue(2, metric);
                q.bindValue(3, rule.windowSeconds);
                q.bindValue(4, it.key());
                q.bindValue(5, b.index * window.granuleMs);
                q.bindValue(6, b.count);
                if (!q.exec())
                    return false;
            }
        }
        return true;
    };
    bool ok = true;
    for (const RuleState &st : m_states) {
        if (ok && st.windowed && st.rule.windowSeconds >= kPersistMinWindowSeconds)
            ok = write(st.rule, st.window, st.counters);
    }
    for (const HeldCounters &h : m_held) {
        if (ok)
            ok = write(h.rule, h.window, h.counters);
    }
    if (!ok) {
        const QSqlError e = q.lastError();
        db.rollback();
        return fail(QStringLiteral("cannot write a row"), e, error);
    }
    if (!db.commit()) {
        const QSqlError e = db.lastError();
        db.rollback();
        return fail(QStringLiteral("cannot commit"), e, error);
    }
    return true;
}

bool RateLimiter::load(QSqlDatabase &db, QString *error)
{
    const qint64 t = now();
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT scope, subject, metric, window_s, key, bucket, count FROM rate_counters"
                               " ORDER BY bucket")))
        return fail(QStringLiteral("cannot read the table"), q.lastError(), error);

    // Keys held by counters that load() does not replace count against the cap.
    int keys = 0;
    for (const RuleState &st : m_states) {
        if (st.windowed && st.rule.windowSeconds < kPersistMinWindowSeconds)
            keys += int(st.counters.size()) - (st.counters.contains(kOverflowKey) ? 1 : 0);
    }
    QHash<int, QHash<QString, SlidingCounter>> loaded;
    QHash<QString, HeldCounters> held;
    while (q.next()) {
        config::LimitScope scope;
        config::LimitMetric metric;
        if (!config::parseLimitScope(q.value(0).toString(), &scope)
            || !config::parseLimitMetric(q.value(2).toString(), &metric) || metric == config::LimitMetric::Concurrent)
            continue;
        const int windowSeconds = q.value(3).toInt();
        const QString id = QStringLiteral("%1|%2|%3|%4")
                               .arg(config::limitScopeName(scope), q.value(1).toString().trimmed().toLower(),
                                    config::limitMetricName(metric))
                               .arg(windowSeconds);
        if (windowSeconds < kPersistMinWindowSeconds)
            continue;
        const WindowSpec window = WindowSpec::forSeconds(windowSeconds);
        const qint64 index = window.granuleOf(q.value(5).toLongLong());
        const int count = q.value(6).toInt();
        if (count <= 0 || window.expiryOf(index) <= t)
            continue; // already out of its window
        const auto found = m_stateById.constFind(id);
        QHash<QString, SlidingCounter> *target = nullptr;
        if (found != m_stateById.constEnd()) {
            target = &loaded[*found];
        } else if (m_rulesSet) {
            continue; // the rule no longer exists
        } else {
            // Not set (yet): held for the next setRules().
            HeldCounters &h = held[id];
            if (h.counters.isEmpty()) {
                h.rule.scope = scope;
                h.rule.subject = q.value(1).toString().trimmed();
                h.rule.metric = metric;
                h.rule.windowSeconds = windowSeconds;
                h.window = window;
            }
            target = &h.counters;
        }
        QHash<QString, SlidingCounter> &counters = *target;
        QString key = q.value(4).toString();
        if (!counters.contains(key) && key != kOverflowKey) {
            if (keys >= m_maxKeys)
                key = kOverflowKey;
            else
                ++keys;
        }
        counters[key].addBucket(index, count);
    }
    if (q.lastError().isValid())
        return fail(QStringLiteral("cannot read the table"), q.lastError(), error);

    for (size_t i = 0; i < m_states.size(); ++i) {
        RuleState &st = m_states[i];
        if (st.windowed && st.rule.windowSeconds >= kPersistMinWindowSeconds)
            st.counters = loaded.take(int(i));
    }
    m_held = std::move(held);
    recountKeys();
    return true;
}

} // namespace rd::policy

#include "policy/ratelimiter.h"

#include <QDateTime>

#include <algorithm>

namespace rd::policy {

using config::LimitMetric;
using config::LimitScope;
using config::RateLimitRule;

namespace {

constexpr qint64 kSweepIntervalMs = 60000;   // idle keys expire at least this often
constexpr qint64 kCapSweepIntervalMs = 1000; // at the key cap, try to free keys this often

QString ruleId(LimitScope scope, const QString &subjectLower, LimitMetric metric, int windowSeconds)
{
    return QStringLiteral("%1|%2|%3|%4")
        .arg(config::limitScopeName(scope), subjectLower, config::limitMetricName(metric))
        .arg(metric == LimitMetric::Concurrent ? 0 : windowSeconds);
}

QString periodText(int seconds)
{
    switch (seconds) {
    case 60: return QStringLiteral("minute");
    case 3600: return QStringLiteral("hour");
    case 86400: return QStringLiteral("day");
    default: return QStringLiteral("%1 seconds").arg(seconds);
    }
}

QString counted(int n, const char *singular, const char *plural)
{
    return QStringLiteral("%1 %2").arg(n).arg(QLatin1String(n == 1 ? singular : plural));
}

QString scopeNoun(LimitScope s, bool plural)
{
    switch (s) {
    case LimitScope::ClientIp: return plural ? QStringLiteral("client IPs") : QStringLiteral("client");
    case LimitScope::User: return plural ? QStringLiteral("users") : QStringLiteral("user");
    case LimitScope::Sender: return plural ? QStringLiteral("senders") : QStringLiteral("sender");
    case LimitScope::Connector: return plural ? QStringLiteral("connectors") : QStringLiteral("connector");
    case LimitScope::Domain: return plural ? QStringLiteral("domains") : QStringLiteral("domain");
    }
    return QString();
}

// "sent 100 messages in the last minute", "has 3 sessions open"
QString activityText(const RateLimitRule &rule, int used, bool plural)
{
    const QString period = QStringLiteral(" in the last %1").arg(periodText(rule.windowSeconds));
    const bool outbound = config::isOutboundScope(rule.scope);
    switch (rule.metric) {
    case LimitMetric::Messages:
        if (rule.scope == LimitScope::Connector)
            return QStringLiteral("started %1").arg(counted(used, "message", "messages")) + period;
        if (rule.scope == LimitScope::Domain)
            return QStringLiteral("received %1").arg(counted(used, "message", "messages")) + period;
        return QStringLiteral("sent %1").arg(counted(used, "message", "messages")) + period;
    case LimitMetric::Recipients:
        return QStringLiteral("sent to %1").arg(counted(used, "recipient", "recipients")) + period;
    case LimitMetric::Connections:
        return QStringLiteral("opened %1").arg(counted(used, "connection", "connections")) + period;
    case LimitMetric::Concurrent:
        return QStringLiteral("%1 %2 open")
            .arg(plural ? QStringLiteral("have") : QStringLiteral("has"),
                 outbound ? counted(used, "connection", "connections") : counted(used, "session", "sessions"));
    }
    return QString();
}

} // namespace

RateLimiter::RateLimiter(Clock clock)
    : m_clock(std::move(clock))
{
}

qint64 RateLimiter::now() const
{
    return m_clock ? m_clock() : QDateTime::currentMSecsSinceEpoch();
}

void RateLimiter::setMaxKeys(int maxKeys)
{
    m_maxKeys = std::max(1, maxKeys);
}

void RateLimiter::setRules(const QList<RateLimitRule> &rules)
{
    std::vector<RuleState> states;
    std::vector<Group> groups;
    QHash<QString, int> byId;
    for (const RateLimitRule &rule : rules) {
        if (!rule.enabled)
            continue;
        const QString subject = rule.subject.trimmed().toLower();
        if (subject.isEmpty())
            continue;
        const QString id = ruleId(rule.scope, subject, rule.metric, rule.windowSeconds);
        if (byId.contains(id))
            continue; // a duplicate (validation reports it): the first one counts
        RuleState st;
        st.rule = rule;
        st.id = id;
        st.windowed = rule.metric != LimitMetric::Concurrent;
        st.window = WindowSpec::forSeconds(st.windowed ? rule.windowSeconds : 60);
        if (rule.scope == LimitScope::ClientIp && subject != QLatin1String("*")) {
            QString why;
            if (!util::parseCidr(subject, &st.range, &why))
                continue; // not an IP or CIDR: validation reports it, nothing can match
            st.hasRange = true;
        }
        const int windowKey = st.windowed ? rule.windowSeconds : 0;
        auto g = std::find_if(groups.begin(), groups.end(), [&](const Group &x) {
            return x.scope == rule.scope && x.metric == rule.metric && x.windowSeconds == windowKey;
        });
        if (g == groups.end()) {
            groups.push_back(Group{rule.scope, rule.metric, windowKey, -1, {}, {}});
            g = groups.end() - 1;
        }
        const int index = int(states.size());
        if (subject == QLatin1String("*"))
            g->star = index;
        else if (st.hasRange)
            g->cidrs.push_back(index);
        else
            g->exact.insert(subject, index);
        // Counters of a rule that still exists survive.
        const auto old = m_stateById.constFind(id);
        if (old != m_stateById.constEnd())
            st.counters = std::move(m_states[size_t(*old)].counters);
        // Counters load() read before this rule was set.
        const auto held = m_held.find(id);
        if (held != m_held.end() && st.windowed) {
            for (auto it = held->counters.constBegin(); it != held->counters.constEnd(); ++it) {
                SlidingCounter &c = st.counters[it.key()];
                for (const SlidingCounter::Bucket &b : it->buckets())
                    c.addBucket(b.index, b.count, b.refused);
            }
        }
        byId.insert(id, index);
        states.push_back(std::move(st));
    }
    for (Group &g : groups) {
        std::stable_sort(g.cidrs.begin(), g.cidrs.end(), [&](int a, int b) {
            return states[size_t(a)].range.prefix > states[size_t(b)].range.prefix;
        });
    }
    m_rules = rules;
    m_states = std::move(states);
    m_groups = std::move(groups);
    m_stateById = std::move(byId);
    m_held.clear();
    m_rulesSet = true;
    recountKeys();
}

void RateLimiter::recountKeys()
{
    m_keyCount = 0;
    for (const RuleState &st : m_states) {
        if (st.windowed)
            m_keyCount += int(st.counters.size()) - (st.counters.contains(kOverflowKey) ? 1 : 0);
    }
}

RateLimiter::Subject RateLimiter::ipSubject(const QString &ip)
{
    Subject s{LimitScope::ClientIp, QString(), QHostAddress()};
    const QString t = ip.trimmed();
    QHostAddress a;
    if (!t.isEmpty() && a.setAddress(t)) {
        s.address = util::normalizedAddress(a);
        s.key = s.address.toString();
    } else {
        s.key = t.toLower();
    }
    return s;
}

RateLimiter::Subject RateLimiter::nameSubject(LimitScope scope, const QString &name)
{
    QString key = name.trimmed().toLower();
    if (scope == LimitScope::Sender && key == QLatin1String("<>"))
        key.clear();
    if (scope == LimitScope::Domain && key.endsWith(QLatin1Char('.')))
        key.chop(1);
    return Subject{scope, key, QHostAddress()};
}

int RateLimiter::resolve(const Group &g, const Subject &s) const
{
    if (s.key.isEmpty())
        return -1;
    if (g.scope == LimitScope::ClientIp) {
        if (!s.address.isNull()) {
            for (int index : g.cidrs) {
                if (m_states[size_t(index)].range.contains(s.address))
                    return index;
            }
        }
        return g.star;
    }
    auto it = g.exact.constFind(s.key);
    if (it != g.exact.constEnd())
        return *it;
    if (g.scope == LimitScope::Sender) {
        const qsizetype at = s.key.lastIndexOf(QLatin1Char('@'));
        if (at >= 0) {
            it = g.exact.constFind(s.key.mid(at));
            if (it != g.exact.constEnd())
                return *it;
        }
    }
    return g.star;
}

int RateLimiter::openCount(LimitScope scope, const QString &key) const
{
    switch (scope) {
    case LimitScope::ClientIp: return m_openSessions.value(key);
    case LimitScope::Connector: return m_openConnectors.value(key);
    case LimitScope::Domain: return m_openDomains.value(key);
    default: return 0;
    }
}

void RateLimiter::sweep(qint64 nowMs)
{
    for (RuleState &st : m_states) {
        for (auto it = st.counters.begin(); it != st.counters.end();) {
            it->prune(nowMs, st.window);
            if (it->isEmpty()) {
                if (st.windowed && it.key() != kOverflowKey)
                    --m_keyCount;
                it = st.counters.erase(it);
            } else {
                ++it;
            }
        }
    }
    m_lastSweepMs = nowMs;
}

void RateLimiter::maybeSweep(qint64 nowMs, bool atCap)
{
    const qint64 since = nowMs - m_lastSweepMs;
    if (since < 0 || since >= kSweepIntervalMs || (atCap && since >= kCapSweepIntervalMs))
        sweep(nowMs);
}

std::optional<Refusal> RateLimiter::run(std::initializer_list<LimitMetric> metrics, const QList<Subject> &subjects,
                                        qint64 nowMs)
{
    maybeSweep(nowMs, m_keyCount >= m_maxKeys);
    std::vector<Hit> hits;
    std::vector<size_t> refusing;
    int newKeys = 0;
    for (const Group &g : m_groups) {
        if (std::find(metrics.begin(), metrics.end(), g.metric) == metrics.end())
            continue;
        for (const Subject &s : subjects) {
            if (s.scope != g.scope)
                continue;
            const int index = resolve(g, s);
            if (index < 0)
                continue;
            const RuleState &st = m_states[size_t(index)];
            if (st.rule.maximum <= 0)
                continue; // exempt
            Hit h;
            h.state = index;
            h.subject = s.key;
            h.key = s.key;
            if (!st.windowed) {
                h.used = openCount(s.scope, s.key);
            } else {
                auto it = st.counters.constFind(s.key);
                if (it == st.counters.constEnd() && m_keyCount + newKeys >= m_maxKeys) {
                    h.key = kOverflowKey;
                    it = st.counters.constFind(kOverflowKey);
                } else if (it == st.counters.constEnd()) {
                    ++newKeys;
                }
                if (it != st.counters.constEnd()) {
                    h.used = it->count(nowMs, st.window);
                    h.allowedAtMs = it->allowedAtMs(nowMs, st.window, st.rule.maximum);
                }
            }
            if (h.used >= st.rule.maximum)
                refusing.push_back(hits.size());
            hits.push_back(std::move(h));
        }
    }
    if (refusing.empty()) {
        for (const Hit &h : hits) {
            RuleState &st = m_states[size_t(h.state)];
            if (!st.windowed)
                continue; // open sessions/connections are counted by the caller
            auto it = st.counters.find(h.key);
            if (it == st.counters.end()) {
                it = st.counters.insert(h.key, SlidingCounter());
                if (h.key != kOverflowKey)
                    ++m_keyCount;
            }
            it->add(nowMs, st.window, 1);
        }
        return std::nullopt;
    }
    // Report the windowed refusal that waits longest (a definite time), else
    // the first concurrent one; every refusing counter records the refusal.
    const Hit *report = nullptr;
    for (size_t i : refusing) {
        const Hit &h = hits[i];
        const bool windowed = m_states[size_t(h.state)].windowed;
        if (!report || (windowed && (!m_states[size_t(report->state)].windowed || h.allowedAtMs > report->allowedAtMs)))
            report = &h;
        RuleState &st = m_states[size_t(h.state)];
        // A windowed counter over its limit exists; a concurrent one holds refusals only.
        st.counters[h.key].add(nowMs, st.window, 0, 1);
    }
    return makeRefusal(*report, nowMs);
}

Refusal RateLimiter::makeRefusal(const Hit &hit, qint64 nowMs) const
{
    const RuleState &st = m_states[size_t(hit.state)];
    Refusal r;
    r.rule = st.rule;
    r.key = hit.key;
    r.used = hit.used;
    if (st.windowed)
        r.retryAfterSeconds = int(std::max<qint64>(1, (hit.allowedAtMs - nowMs + 999) / 1000));
    const bool overflow = hit.key == kOverflowKey;
    const QString who = overflow ? QStringLiteral("%1 beyond the tracking cap (including %2)")
                                       .arg(scopeNoun(st.rule.scope, true), hit.subject)
                                 : QStringLiteral("%1 %2").arg(scopeNoun(st.rule.scope, false), hit.subject);
    r.text = QStringLiteral("%1 %2 (limit %3)")
                 .arg(who, activityText(st.rule, hit.used, overflow), config::describeRateLimit(st.rule));
    return r;
}

// ---- inbound ----

std::optional<Refusal> RateLimiter::connect(const QString &ip)
{
    const Subject s = ipSubject(ip);
    auto refusal = run({LimitMetric::Connections, LimitMetric::Concurrent}, {s}, now());
    if (!refusal)
        ++m_openSessions[s.key];
    return refusal;
}

void RateLimiter::disconnect(const QString &ip)
{
    const QString key = ipSubject(ip).key;
    auto it = m_openSessions.find(key);
    if (it == m_openSessions.end())
        return;
    if (--*it <= 0)
        m_openSessions.erase(it);
}

std::optional<Refusal> RateLimiter::message(const QString &ip, const QString &user, const QString &sender)
{
    return run({LimitMetric::Messages},
               {ipSubject(ip), nameSubject(LimitScope::User, user), nameSubject(LimitScope::Sender, sender)}, now());
}

std::optional<Refusal> RateLimiter::recipient(const QString &ip, const QString &user, const QString &sender)
{
    return run({LimitMetric::Recipients},
               {ipSubject(ip), nameSubject(LimitScope::User, user), nameSubject(LimitScope::Sender, sender)}, now());
}

// ---- outbound ----

bool RateLimiter::mayStartMessage(const QString &connector, const QString &domain, qint64 *retryAtMs, Refusal *why)
{
    const qint64 t = now();
    const auto refusal = run({LimitMetric::Messages},
                             {nameSubject(LimitScope::Connector, connector), nameSubject(LimitScope::Domain, domain)},
                             t);
    if (!refusal)
        return true;
    if (retryAtMs)
        *retryAtMs = t + qint64(refusal->retryAfterSeconds) * 1000;
    if (why)
        *why = *refusal;
    return false;
}

bool RateLimiter::mayOpenConnection(const QString &connector, const QString &domain, Refusal *why)
{
    const Subject c = nameSubject(LimitScope::Connector, connector);
    const Subject d = nameSubject(LimitScope::Domain, domain);
    const auto refusal = run({LimitMetric::Concurrent}, {c, d}, now());
    if (refusal) {
        if (why)
            *why = *refusal;
        return false;
    }
    if (!c.key.isEmpty())
        ++m_openConnectors[c.key];
    if (!d.key.isEmpty())
        ++m_openDomains[d.key];
    return true;
}

void RateLimiter::connectionClosed(const QString &connector, const QString &domain)
{
    const auto release = [](QHash<QString, int> &open, const QString &key) {
        auto it = open.find(key);
        if (it != open.end() && --*it <= 0)
            open.erase(it);
    };
    release(m_openConnectors, nameSubject(LimitScope::Connector, connector).key);
    release(m_openDomains, nameSubject(LimitScope::Domain, domain).key);
}

// ---- status ----

QList<LimitUsage> RateLimiter::usage(int max) const
{
    struct Candidate {
        int state;
        QString key;
        int used;
        int refused;
        double ratio;
    };
    const qint64 t = now();
    std::vector<Candidate> all;
    for (size_t i = 0; i < m_states.size(); ++i) {
        const RuleState &st = m_states[i];
        if (st.rule.maximum <= 0)
            continue;
        for (auto it = st.counters.constBegin(); it != st.counters.constEnd(); ++it) {
            const int refused = it->refused(t, st.window);
            const int used = st.windowed ? it->count(t, st.window) : openCount(st.rule.scope, it.key());
            if (used > 0 || refused > 0)
                all.push_back({int(i), it.key(), used, refused, double(used) / st.rule.maximum});
        }
    }
    // Open sessions/connections without refusals have no counter: find their rule.
    for (const Group &g : m_groups) {
        if (g.metric != LimitMetric::Concurrent)
            continue;
        const QHash<QString, int> *open = g.scope == LimitScope::ClientIp    ? &m_openSessions
                                          : g.scope == LimitScope::Connector ? &m_openConnectors
                                          : g.scope == LimitScope::Domain    ? &m_openDomains
                                                                             : nullptr;
        if (!open)
            continue;
        for (auto it = open->constBegin(); it != open->constEnd(); ++it) {
            const Subject s = g.scope == LimitScope::ClientIp ? ipSubject(it.key()) : nameSubject(g.scope, it.key());
            const int index = resolve(g, s);
            if (index < 0)
                continue;
            const RuleState &st = m_states[size_t(index)];
            if (st.rule.maximum <= 0 || st.counters.contains(it.key()))
                continue; // exempt, or listed above with its refusals
            all.push_back({index, it.key(), it.value(), 0, double(it.value()) / st.rule.maximum});
        }
    }
    const auto busier = [](const Candidate &a, const Candidate &b) {
        if (a.ratio != b.ratio)
            return a.ratio > b.ratio;
        if (a.refused != b.refused)
            return a.refused > b.refused;
        if (a.used != b.used)
            return a.used > b.used;
        return a.key < b.key;
    };
    const size_t n = std::min(all.size(), size_t(std::max(0, max)));
    std::partial_sort(all.begin(), all.begin() + std::ptrdiff_t(n), all.end(), busier);
    QList<LimitUsage> out;
    out.reserve(qsizetype(n));
    for (size_t i = 0; i < n; ++i) {
        const Candidate &c = all[i];
        const RuleState &st = m_states[size_t(c.state)];
        LimitUsage u;
        u.rule = st.rule;
        u.key = c.key;
        u.used = c.used;
        u.maximum = st.rule.maximum;
        u.refused = c.refused;
        if (st.windowed) {
            const qint64 expiry = st.counters.value(c.key).oldestExpiryMs(t, st.window);
            u.resetSeconds = expiry > t ? int((expiry - t + 999) / 1000) : 0;
        }
        out.append(u);
    }
    return out;
}

} // namespace rd::policy

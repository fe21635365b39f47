#include "policy/connectioncontrol.h"

#include <algorithm>

namespace rd::policy {
namespace {

// The address as a 128-bit key: IPv4 (and IPv4-mapped IPv6) in the low 32
// bits, IPv6 big-endian. The family is decided from the bytes: Qt's
// toIPv4Address() also accepts "::", which is IPv6.
bool keyOf(const QHostAddress &address, quint64 *hi, quint64 *lo, bool *v4)
{
    if (address.protocol() == QAbstractSocket::IPv4Protocol) {
        *hi = 0;
        *lo = address.toIPv4Address();
        *v4 = true;
        return true;
    }
    if (address.protocol() != QAbstractSocket::IPv6Protocol)
        return false;
    const Q_IPV6ADDR b = address.toIPv6Address();
    bool mapped = b[10] == 0xff && b[11] == 0xff;
    for (int i = 0; i < 10; ++i)
        mapped = mapped && b[i] == 0;
    quint64 h = 0, l = 0;
    for (int i = 0; i < 8; ++i) {
        h = (h << 8) | b[i];
        l = (l << 8) | b[i + 8];
    }
    *hi = mapped ? 0 : h;
    *lo = mapped ? (l & 0xffffffffULL) : l;
    *v4 = mapped;
    return true;
}

} // namespace

ConnectionControl::Key ConnectionControl::mask(Key k, int prefix, bool v4)
{
    if (v4) {
        k.lo &= prefix == 0 ? 0 : (0xffffffffULL << (32 - prefix)) & 0xffffffffULL;
        return k;
    }
    if (prefix == 0)
        return Key{};
    if (prefix <= 64)
        return Key{prefix == 64 ? k.hi : k.hi & (~0ULL << (64 - prefix)), 0};
    return Key{k.hi, prefix == 128 ? k.lo : k.lo & (~0ULL << (128 - prefix))};
}

bool ConnectionControl::better(const Compiled &a, const Compiled &b)
{
    if (a.priority != b.priority)
        return a.priority > b.priority;
    if (a.prefix != b.prefix)
        return a.prefix > b.prefix;
    if (a.deny != b.deny)
        return a.deny;
    return a.index < b.index;
}

void ConnectionControl::addTo(std::vector<Level> &levels, int prefix, const Key &key, int ruleIdx, int priority)
{
    auto it = std::find_if(levels.begin(), levels.end(), [prefix](const Level &l) { return l.prefix == prefix; });
    if (it == levels.end()) {
        levels.push_back(Level{prefix, priority, {}});
        it = levels.end() - 1;
    }
    it->maxPriority = qMax(it->maxPriority, priority);
    it->networks[key].push_back(ruleIdx);
}

QStringList ConnectionControl::setRules(const QList<config::ConnectionRule> &rules)
{
    QStringList problems;
    m_source = rules;
    m_rules.clear();
    m_v4.clear();
    m_v6.clear();
    for (int i = 0; i < rules.size(); ++i) {
        const config::ConnectionRule &r = rules.at(i);
        if (!r.enabled)
            continue;
        util::CidrRange range;
        QString why;
        if (!config::parseRuleNetwork(r.network, &range, &why)) {
            problems << QStringLiteral("connection rule %1 (%2) skipped: %3")
                            .arg(i + 1)
                            .arg(config::connectionRuleLabel(r), why);
            continue;
        }
        Key key;
        bool v4 = false;
        keyOf(range.network, &key.hi, &key.lo, &v4);
        Compiled c;
        c.index = i;
        c.priority = r.priority;
        c.prefix = range.prefix;
        c.deny = r.action == config::ConnectionAction::Deny;
        c.expiresMs = r.expires.isValid() ? qMax<qint64>(1, r.expires.toMSecsSinceEpoch()) : 0;
        m_rules.push_back(c);
        addTo(v4 ? m_v4 : m_v6, range.prefix, mask(key, range.prefix, v4), int(m_rules.size()) - 1,
              r.priority);
    }
    auto longestFirst = [](const Level &a, const Level &b) { return a.prefix > b.prefix; };
    std::sort(m_v4.begin(), m_v4.end(), longestFirst);
    std::sort(m_v6.begin(), m_v6.end(), longestFirst);
    return problems;
}

ConnectionDecision ConnectionControl::decide(const QHostAddress &client, qint64 nowMs) const
{
    ConnectionDecision d;
    Key key;
    bool v4 = false;
    if (m_rules.empty() || !keyOf(client, &key.hi, &key.lo, &v4))
        return d;
    const Compiled *best = nullptr;
    for (const Level &level : v4 ? m_v4 : m_v6) {
        // Levels come longest prefix first: a shorter one wins only with a higher priority.
        if (best && level.maxPriority <= best->priority)
            continue;
        const auto it = level.networks.find(mask(key, level.prefix, v4));
        if (it == level.networks.end())
            continue;
        for (int idx : it->second) {
            const Compiled &c = m_rules[size_t(idx)];
            if (c.expiresMs != 0 && c.expiresMs <= nowMs)
                continue;
            if (!best || better(c, *best))
                best = &c;
        }
    }
    if (!best)
        return d;
    d.verdict = best->deny ? ConnectionDecision::Deny : ConnectionDecision::Allow;
    d.ruleIndex = best->index;
    d.rule = m_source.at(best->index);
    d.label = config::connectionRuleLabel(d.rule);
    return d;
}

} // namespace rd::policy

#pragma once
// rd::policy::ConnectionControl: decides at connect whether a client address
// is explicitly allowed, denied by a rule, or matched by no rule, from the
// connection rules (config/connectionrules.h). Pure: no clock, no I/O; the
// caller passes "now" (wall-clock ms since the epoch, as rule expiries are).
//
// Order: the highest priority wins; on equal priority the longer prefix (the
// more specific range); then Deny over Allow; then the earlier rule in the
// list. Disabled rules, invalid rules and rules whose expiry is at or before
// now are ignored (a temporary allowance ends by itself, no reload needed).
// IPv4-mapped IPv6 clients (::ffff:a.b.c.d) are matched as IPv4.
//
// Speed: setRules() indexes the rules by (family, prefix length, masked
// network) in hash tables, so decide() costs one hash lookup per distinct
// prefix length in use (at most 33 for IPv4, 129 for IPv6) plus the matching
// rules, whatever the number of rules. Thread: setRules() and decide() on one
// thread, or share a const instance (decide() is const and touches no state).

#include "config/connectionrules.h"

#include <QHostAddress>
#include <QList>
#include <QString>
#include <QStringList>

#include <unordered_map>
#include <vector>

namespace rd::policy {

struct ConnectionDecision {
    enum Verdict { NoMatch, Allow, Deny };
    Verdict verdict = NoMatch;
    int ruleIndex = -1;            // position of the deciding rule in the list given to setRules(); -1: none
    config::ConnectionRule rule;   // the deciding rule (default-constructed for NoMatch)
    QString label;                 // config::connectionRuleLabel(rule)

    bool allowed() const { return verdict == Allow; }
    bool denied() const { return verdict == Deny; }
};

class ConnectionControl {
public:
    ConnectionControl() = default;
    explicit ConnectionControl(const QList<config::ConnectionRule> &rules) { setRules(rules); }

    // Replaces the rules and rebuilds the index. Invalid rules are skipped and
    // named in the returned sentences (normally none: the configuration was
    // validated before). O(n).
    QStringList setRules(const QList<config::ConnectionRule> &rules);

    // The verdict for `client` at `nowMs`. A null or non-IP address: NoMatch.
    ConnectionDecision decide(const QHostAddress &client, qint64 nowMs) const;

    // Enabled, valid rules in force (expired ones included).
    int ruleCount() const { return int(m_rules.size()); }
    bool isEmpty() const { return m_rules.empty(); }
    // Distinct prefix lengths indexed (IPv4 + IPv6): the lookups per decide().
    int prefixLevels() const { return int(m_v4.size() + m_v6.size()); }

private:
    struct Key {
        quint64 hi = 0;
        quint64 lo = 0;
        bool operator==(const Key &) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key &k) const noexcept
        {
            return size_t(k.hi * 0x9e3779b97f4a7c15ULL ^ (k.lo + 0x7f4a7c159e3779b9ULL + (k.hi << 6)));
        }
    };
    struct Compiled {
        int index = 0;       // in m_source
        int priority = 0;
        int prefix = 0;
        bool deny = false;
        qint64 expiresMs = 0; // 0: never
    };
    struct Level {
        int prefix = 0;
        int maxPriority = 0; // of its rules: a level that cannot beat the best so far is skipped
        std::unordered_map<Key, std::vector<int>, KeyHash> networks; // masked network -> m_rules indices
    };

    static Key mask(Key k, int prefix, bool v4);
    static bool better(const Compiled &a, const Compiled &b); // a beats b
    static void addTo(std::vector<Level> &levels, int prefix, const Key &key, int ruleIdx, int priority);

    QList<config::ConnectionRule> m_source;
    std::vector<Compiled> m_rules;
    std::vector<Level> m_v4; // longest prefix first
    std::vector<Level> m_v6;
};

} // namespace rd::policy

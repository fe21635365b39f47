#pragma once
// Rate limits and outbound throttles: evaluates config::RateLimitRule lists
// against SMTP sessions (inbound) and deliveries (outbound). Pure and
// single-threaded: it lives on the engine thread, does no I/O except the
// explicit save()/load(), never blocks, and reads time from an injected clock.
//
// Which rule applies. For each (scope, metric, window) the most specific
// enabled rule for the subject wins over "*": ClientIp the narrowest CIDR
// containing the IP (a plain IP is a /32 or /128); User the name
// (case-insensitive); Sender the address, else "@domain" of the address;
// Connector the name; Domain the recipient domain (exact). maximum 0 exempts
// (nothing is counted for that subject under that rule).
//
// What is counted. Every subject key counts separately: a "*" rule counts per
// IP / user / sender / connector / domain, and so does an override (a CIDR
// override gives each IP in the range its own counter with the override's
// maximum; it is not a shared budget for the range). Keys are normalised:
// IPs canonical (IPv4-mapped IPv6 as IPv4), names and addresses lower case.
// The null sender (<>) is exempt from Sender rules (bounces must not be
// pooled); its IP and user limits still apply. No user (not authenticated):
// User rules do not apply; no connector name: Connector rules do not apply.
//
// Windows slide with window/60 granules (ratelimitcounter.h): a burst of N
// against a limit M gets exactly min(N, M) through; allowance returns as the
// granules age out. Concurrent limits count what is open now.
//
// Memory. Counters of idle keys expire (swept every minute). At most
// maxKeys() windowed counters exist (default 200,000). When the cap is
// reached, a key without a counter is counted in one overflow counter per
// rule (key "(overflow)") that is still enforced against the rule's maximum:
// during a flood of source addresses the new ones share one budget (they are
// throttled together), while keys already tracked keep exact counts.

#include "config/policyconfig.h"
#include "policy/policystatus.h"
#include "policy/ratelimitcounter.h"
#include "util/cidr.h"

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QString>

#include <functional>
#include <optional>
#include <vector>

class QSqlDatabase;

namespace rd::policy {

// Why an attempt is refused (inbound: a 421/451 4.7.x reply) or deferred
// (outbound: the message stays queued).
struct Refusal {
    config::RateLimitRule rule;  // the rule over its limit
    QString key;                 // the counted subject ("10.0.0.5", "alice", "(overflow)")
    int used = 0;                // counted in the window (open now, for Concurrent)
    // Seconds until the attempt would pass this rule (>= 1); 0 for Concurrent
    // limits (it passes when a session/connection ends).
    int retryAfterSeconds = 0;
    // One sentence for the SMTP reply and the log, e.g. "client 10.0.0.5 sent
    // 100 messages in the last minute (limit 100 messages per minute per client IP)".
    QString text;
};

class RateLimiter {
public:
    using Clock = std::function<qint64()>; // ms since the epoch

    static constexpr int kDefaultMaxKeys = 200000;
    static inline const QString kOverflowKey = QStringLiteral("(overflow)");

    // clock: null uses QDateTime::currentMSecsSinceEpoch.
    explicit RateLimiter(Clock clock = {});

    // Replaces the rules (disabled ones are ignored). Counters of rules that
    // still exist (same scope, subject, metric and window; the maximum may
    // change) survive; the others are dropped. Open sessions and connections
    // are kept whatever the rules.
    void setRules(const QList<config::RateLimitRule> &rules);
    const QList<config::RateLimitRule> &rules() const { return m_rules; }

    // Cap on windowed counters (see the header comment); at least 1.
    void setMaxKeys(int maxKeys);
    int maxKeys() const { return m_maxKeys; }
    // Windowed counters held now (overflow counters not included).
    int keyCount() const { return m_keyCount; }

    // ---- Inbound (SMTP sessions). Each call checks every applicable rule and
    // counts in all of them only if none refuses; a refusal is counted for the
    // status view and names the rule that would wait longest.

    // A new connection from `ip`: Connections per window and Concurrent
    // sessions. Passing opens a session: call disconnect(ip) once when it ends.
    std::optional<Refusal> connect(const QString &ip);
    // Ends a session opened by a passing connect(ip); extra calls are ignored.
    void disconnect(const QString &ip);
    // A MAIL command: Messages for the client IP, the user (empty: not
    // authenticated) and the envelope sender (empty: <>).
    std::optional<Refusal> message(const QString &ip, const QString &user, const QString &sender);
    // A RCPT command: Recipients for the client IP, user and sender.
    std::optional<Refusal> recipient(const QString &ip, const QString &user, const QString &sender);

    // ---- Outbound (delivery). Nothing is refused for good: the mail waits.

    // Before starting a message for `domain` through `connector`: Messages per
    // window. True counts the message; false sets *retryAtMs (ms since the
    // epoch) to when it would pass and, if given, *why.
    bool mayStartMessage(const QString &connector, const QString &domain, qint64 *retryAtMs,
                         Refusal *why = nullptr);
    // Before opening a connection: Concurrent connections per connector and
    // per domain. True counts the connection as open: call connectionClosed()
    // once when it closes. False: retry when a connection closes (*why if given).
    bool mayOpenConnection(const QString &connector, const QString &domain, Refusal *why = nullptr);
    // Ends a connection counted by a passing mayOpenConnection(); extra calls are ignored.
    void connectionClosed(const QString &connector, const QString &domain);

    // ---- Status and persistence

    // Counters for the GUI, busiest first (used/maximum, then refusals), at
    // most `max`. Exempt subjects (maximum 0) are not listed.
    QList<LimitUsage> usage(int max) const;

    // Replaces all rows of config.db table rate_counters, in one transaction,
    // with the counters of windows >= 3600 s. False with *error on failure
    // (the table is then unchanged).
    bool save(QSqlDatabase &db, QString *error) const;
    // Replaces the counters of windows >= 3600 s with the rows of
    // rate_counters, dropping granules already out of their window and rows
    // of rules that no longer exist. Before the first setRules() no rule is
    // known: the rows are then held, the first setRules() adopts those of the
    // rules it sets and drops the rest (a save() in between writes them back),
    // so load() may come before or after it. False with *error on a database
    // error (counters then unchanged).
    bool load(QSqlDatabase &db, QString *error);

private:
    struct RuleState {
        config::RateLimitRule rule;
        QString id;                 // scope|subject|metric|window
        WindowSpec window;
        bool windowed = true;       // false: Concurrent (counters hold refusals only)
        bool hasRange = false;      // ClientIp override: its range
        util::CidrRange range;
        QHash<QString, SlidingCounter> counters;
    };
    struct Group {
        config::LimitScope scope;
        config::LimitMetric metric;
        int windowSeconds;           // 0 for Concurrent
        int star = -1;               // index into m_states
        std::vector<int> cidrs;      // ClientIp overrides, narrowest first
        QHash<QString, int> exact;   // lower-case subject -> index into m_states
    };
    // One rule to check for one subject in this call.
    struct Hit {
        int state = -1;
        QString key;                 // the counted key (may be kOverflowKey)
        QString subject;             // who, for the text (the IP, user, ...)
        int used = 0;
        qint64 allowedAtMs = 0;      // Concurrent: 0
    };
    struct Subject {
        config::LimitScope scope;
        QString key;                 // normalised; empty: scope does not apply
        QHostAddress address;        // ClientIp: parsed and normalised (null if not an IP)
    };

    qint64 now() const;
    void maybeSweep(qint64 nowMs, bool atCap);
    void sweep(qint64 nowMs);
    void recountKeys();
    int resolve(const Group &g, const Subject &s) const;
    int openCount(config::LimitScope scope, const QString &key) const;
    // Collects the applicable rules of `metric` for the subjects; true if none refuses.
    // Checks the rules of `metrics` for the subjects; counts (windowed) only
    // if none refuses, else counts the refusals and returns the one to report.
    std::optional<Refusal> run(std::initializer_list<config::LimitMetric> metrics,
                               const QList<Subject> &subjects, qint64 nowMs);
    Refusal makeRefusal(const Hit &hit, qint64 nowMs) const;

    static Subject ipSubject(const QString &ip);
    static Subject nameSubject(config::LimitScope scope, const QString &name);

    Clock m_clock;
    QList<config::RateLimitRule> m_rules;
    std::vector<RuleState> m_states;
    std::vector<Group> m_groups;
    QHash<QString, int> m_stateById;
    // load(): counters of rules not set yet, by rule id (see load()).
    struct HeldCounters {
        config::RateLimitRule rule;  // scope, subject, metric, window
        WindowSpec window;
        QHash<QString, SlidingCounter> counters;
    };
    QHash<QString, HeldCounters> m_held;
    bool m_rulesSet = false;               // setRules() was called
    int m_maxKeys = kDefaultMaxKeys;
    int m_keyCount = 0;
    qint64 m_lastSweepMs = 0;
    QHash<QString, int> m_openSessions;    // client IP -> sessions open
    QHash<QString, int> m_openConnectors;  // connector -> outbound connections open
    QHash<QString, int> m_openDomains;     // domain -> outbound connections open
};

} // namespace rd::policy

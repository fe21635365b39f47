#pragma once
// Failed-AUTH bookkeeping: who failed how often in the last window, how long
// the next answer must be delayed, and when a client IP should be cut off.
// Pure: no clock, no timers, no I/O. Every call takes `nowMs` (a monotonic
// millisecond clock of the caller's choosing), so tests drive it with a fake
// clock. Not thread-safe: one owner (the Authenticator, in the engine thread).
//
// Policy (defaults): per client IP and per user name, after 3 failures within
// 15 minutes each further attempt is answered after 1 s, 2 s, 4 s ... capped
// at 30 s. After 10 failures from one IP within 15 minutes the caller should
// disconnect it (and refuse AUTH from it until failures age out). A success
// clears the user name's failures, not the IP's. IPv6 clients are tracked per
// /64 (one host usually owns the whole prefix); IPv4-mapped IPv6 counts as IPv4.
// Memory is bounded: at most maxKeys IPs and maxKeys user names; when full,
// expired entries are dropped first, then the least recently failed one.

#include <QHash>
#include <QString>
#include <QVector>

namespace rd::auth {

struct FailureLimits {
    int freeFailures = 3;              // failures answered without delay
    qint64 windowMs = 15 * 60 * 1000;  // a failure counts for this long
    int baseDelayMs = 1000;            // first delay; doubles per further failure
    int maxDelayMs = 30000;            // delay cap
    int disconnectAfter = 10;          // failures per IP that end the connection
    int maxKeys = 10000;               // tracked IPs (and, separately, user names)
};

class FailureTracker {
public:
    explicit FailureTracker(const FailureLimits &limits = {});

    const FailureLimits &limits() const { return m_limits; }

    // How long to delay the answer to an attempt by `ip` for `user` that is
    // being made now: the larger of the IP's and the user name's delay.
    int delayMs(const QString &ip, const QString &user, qint64 nowMs) const;

    // True once `ip` has disconnectAfter failures within the window.
    bool shouldDisconnect(const QString &ip, qint64 nowMs) const;

    // Counts a failed attempt against the IP and the user name.
    void recordFailure(const QString &ip, const QString &user, qint64 nowMs);

    // A successful login: forgets the user name's failures (the IP keeps its own).
    void recordSuccess(const QString &user);

    // Failures within the window (for logs and tests).
    int ipFailures(const QString &ip, qint64 nowMs) const;
    int userFailures(const QString &user, qint64 nowMs) const;

    // Number of tracked keys (expired ones included until purged).
    int trackedIps() const { return int(m_ips.size()); }
    int trackedUsers() const { return int(m_users.size()); }

    // Drops every entry whose newest failure is older than the window.
    void purgeExpired(qint64 nowMs);

    // The keys used: an IPv4 address, an IPv6 "/64" prefix, or the text as
    // given if it is not an address; user names case-folded, at most 256 chars.
    static QString ipKey(const QString &ip);
    static QString userKey(const QString &user);

private:
    struct Entry {
        QVector<qint64> times; // failure times, oldest first, at most m_keepTimes
    };
    using Map = QHash<QString, Entry>;

    int countIn(const Map &map, const QString &key, qint64 nowMs) const;
    int delayFor(int failures) const;
    void add(Map &map, const QString &key, qint64 nowMs);
    void purge(Map &map, qint64 nowMs);

    FailureLimits m_limits;
    int m_keepTimes = 16;
    Map m_ips;
    Map m_users;
};

} // namespace rd::auth

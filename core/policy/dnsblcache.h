#pragma once
// DNSBL answers kept by TTL: query name ("2.0.0.127.bl.test") -> the zone's
// outcome. Listings and bad answers are kept for the answer's TTL, "not
// listed" for the negative TTL (the zone's SOA minimum, else negativeTtl),
// both clamped to [minTtl, maxTtl]; temporary failures for failureTtl (0:
// not kept). Beyond maxEntries the entry that expires first goes. Time is
// passed in (milliseconds on a monotonic clock) so tests can drive it.
// Not thread-safe: owned by one DnsblChecker (the engine thread).

#include "policy/dnsblanswer.h"

#include <QHash>
#include <QString>

#include <map>
#include <optional>

namespace rd::policy {

struct DnsblCacheLimits {
    quint32 minTtl = 60;       // seconds; shorter TTLs are raised to this
    quint32 maxTtl = 3600;     // seconds; longer TTLs are cut to this
    quint32 negativeTtl = 300; // "not listed" without a TTL from the DNS
    quint32 failureTtl = 60;   // timeouts / SERVFAIL (0: never cached; not clamped)
    int maxEntries = 10000;
};

class DnsblCache {
public:
    explicit DnsblCache(const DnsblCacheLimits &limits = {});

    // Applies new limits; entries beyond the new maxEntries go at once.
    void setLimits(const DnsblCacheLimits &limits, qint64 nowMs);
    const DnsblCacheLimits &limits() const { return m_limits; }

    // Keeps `outcome` for `queryName` (case-insensitive) for the lifetime
    // described above; replaces an older entry.
    void insert(const QString &queryName, const DnsblZoneOutcome &outcome, qint64 nowMs);
    // The outcome with ttl set to the remaining whole seconds (>= 1), or
    // nullopt when absent or expired (an expired entry is dropped).
    std::optional<DnsblZoneOutcome> find(const QString &queryName, qint64 nowMs);

    // Seconds an outcome would be kept (0: not cached).
    quint32 lifetime(const DnsblZoneOutcome &outcome) const;

    // Drops expired entries; returns how many remain.
    int purge(qint64 nowMs);
    int size() const { return int(m_entries.size()); }
    void clear();

private:
    using ExpiryIndex = std::multimap<qint64, QString>;
    struct Entry {
        DnsblZoneOutcome outcome;
        qint64 expiresMs = 0;
        ExpiryIndex::iterator expiry;
    };

    void erase(QHash<QString, Entry>::iterator it);
    void shrinkTo(int maxEntries);

    DnsblCacheLimits m_limits;
    QHash<QString, Entry> m_entries;
    ExpiryIndex m_byExpiry; // soonest first
};

} // namespace rd::policy

#pragma once
// The resolver's answer cache: (name, type) -> Answer, kept for the answer's
// TTL capped at maxTtl, least recently used evicted beyond maxEntries. Only
// Ok, NxDomain and NoData answers with a TTL > 0 are stored; temporary
// failures never are. Time is passed in (milliseconds on a monotonic clock)
// so tests can drive it. Not thread-safe: owned by one resolver.

#include "dns/dnstypes.h"

#include <list>
#include <unordered_map>

namespace rd::dns {

class ResolverCache {
public:
    ResolverCache(int maxEntries, quint32 maxTtl);

    // Stores `answer` for `name`/`type` (name compared case-insensitively)
    // if it is cacheable; replaces an older entry.
    void insert(const QString &name, RecordType type, const Answer &answer, qint64 nowMs);
    // A copy with fromCache set and ttl = the remaining whole seconds (at
    // least 1 while valid), or nullopt if absent or expired (then dropped).
    std::optional<Answer> find(const QString &name, RecordType type, qint64 nowMs);

    void clear();
    int size() const { return int(m_entries.size()); }
    static QString key(const QString &name, RecordType type);

private:
    struct Entry {
        Answer answer;
        qint64 expiresMs = 0;
        std::list<QString>::iterator lru;
    };
    struct KeyHash {
        size_t operator()(const QString &s) const noexcept { return qHash(s); }
    };

    int m_maxEntries;
    quint32 m_maxTtl;
    std::list<QString> m_lru; // front: most recently used
    std::unordered_map<QString, Entry, KeyHash> m_entries;
};

} // namespace rd::dns

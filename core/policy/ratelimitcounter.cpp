#include "policy/ratelimitcounter.h"

#include <algorithm>
#include <limits>

namespace rd::policy {

WindowSpec WindowSpec::forSeconds(int windowSeconds)
{
    WindowSpec w;
    const qint64 seconds = windowSeconds > 0 ? windowSeconds : 60;
    w.windowMs = seconds * 1000;
    w.granuleMs = std::max<qint64>(1000, w.windowMs / 60);
    return w;
}

qint64 WindowSpec::granuleOf(qint64 ms) const
{
    qint64 q = ms / granuleMs;
    if (ms % granuleMs != 0 && ms < 0)
        --q;
    return q;
}

size_t SlidingCounter::firstLive(qint64 nowMs, const WindowSpec &w) const
{
    size_t i = 0;
    while (i < m_buckets.size() && w.expiryOf(m_buckets[i].index) <= nowMs)
        ++i;
    return i;
}

void SlidingCounter::prune(qint64 nowMs, const WindowSpec &w)
{
    const size_t n = firstLive(nowMs, w);
    if (n == 0)
        return;
    for (size_t i = 0; i < n; ++i) {
        m_count -= m_buckets[i].count;
        m_refused -= m_buckets[i].refused;
    }
    m_buckets.erase(m_buckets.begin(), m_buckets.begin() + static_cast<std::ptrdiff_t>(n));
}

void SlidingCounter::add(qint64 nowMs, const WindowSpec &w, int count, int refused)
{
    prune(nowMs, w);
    addBucket(w.granuleOf(nowMs), count, refused);
}

void SlidingCounter::addBucket(qint64 index, int count, int refused)
{
    if (count <= 0 && refused <= 0)
        return;
    // Saturate instead of overflowing (a counter this large refuses anyway).
    constexpr int kMax = std::numeric_limits<int>::max() / 2;
    count = std::min(std::max(count, 0), kMax - std::min(m_count, kMax));
    refused = std::min(std::max(refused, 0), kMax - std::min(m_refused, kMax));
    // Nearly always the newest granule: look from the back.
    auto it = m_buckets.end();
    while (it != m_buckets.begin() && (it - 1)->index > index)
        --it;
    if (it != m_buckets.begin() && (it - 1)->index == index) {
        (it - 1)->count += count;
        (it - 1)->refused += refused;
    } else {
        m_buckets.insert(it, Bucket{index, count, refused});
    }
    m_count += count;
    m_refused += refused;
}

int SlidingCounter::count(qint64 nowMs, const WindowSpec &w) const
{
    int c = m_count;
    const size_t n = firstLive(nowMs, w);
    for (size_t i = 0; i < n; ++i)
        c -= m_buckets[i].count;
    return c;
}

int SlidingCounter::refused(qint64 nowMs, const WindowSpec &w) const
{
    int c = m_refused;
    const size_t n = firstLive(nowMs, w);
    for (size_t i = 0; i < n; ++i)
        c -= m_buckets[i].refused;
    return c;
}

qint64 SlidingCounter::allowedAtMs(qint64 nowMs, const WindowSpec &w, int maximum) const
{
    const int used = count(nowMs, w);
    if (maximum <= 0 || used < maximum)
        return nowMs;
    // Granules must leave until used - removed < maximum.
    const int need = used - maximum + 1;
    int removed = 0;
    for (size_t i = firstLive(nowMs, w); i < m_buckets.size(); ++i) {
        removed += m_buckets[i].count;
        if (removed >= need)
            return std::max(nowMs, w.expiryOf(m_buckets[i].index));
    }
    return nowMs + w.windowMs; // not reached: the live granules hold `used`
}

qint64 SlidingCounter::oldestExpiryMs(qint64 nowMs, const WindowSpec &w) const
{
    for (size_t i = firstLive(nowMs, w); i < m_buckets.size(); ++i) {
        if (m_buckets[i].count > 0)
            return w.expiryOf(m_buckets[i].index);
    }
    return 0;
}

} // namespace rd::policy

#pragma once
// A count of events in a sliding time window, kept in sparse sub-buckets: the
// building block of RateLimiter. Pure value type, no clock of its own (every
// call is given "now"), single-threaded.
//
// The window is cut into granules of window/60 (at least one second): a
// minute counts per second, an hour per minute, a day per 24 minutes. Only
// granules that saw an event are stored, so memory follows activity. A
// granule stays counted until all of it is older than the window, i.e. an
// event leaves the count between `window` and `window + granule` after it
// happened: the limit is never exceeded in any true sliding window, and
// allowance comes back granule by granule as old events age out.

#include <QtGlobal>

#include <vector>

namespace rd::policy {

struct WindowSpec {
    qint64 windowMs = 60000;
    qint64 granuleMs = 1000;

    // window/60 granules, at least 1 s; a non-positive window is taken as 60 s.
    static WindowSpec forSeconds(int windowSeconds);
    // The granule an instant falls into (floor division, also for negative times).
    qint64 granuleOf(qint64 ms) const;
    // When granule `index` has entirely left the window.
    qint64 expiryOf(qint64 index) const { return (index + 1) * granuleMs + windowMs; }
};

class SlidingCounter {
public:
    struct Bucket {
        qint64 index = 0;   // granule number (ms since epoch / granuleMs)
        int count = 0;      // events counted
        int refused = 0;    // attempts refused (or deferred) while over the limit
    };

    // Adds events at `nowMs` (after dropping granules that left the window).
    void add(qint64 nowMs, const WindowSpec &w, int count, int refused = 0);
    // Adds a granule as stored (load): merged with an existing one, kept sorted.
    void addBucket(qint64 index, int count, int refused = 0);
    // Drops granules that left the window.
    void prune(qint64 nowMs, const WindowSpec &w);

    // Events / refusals in the window at `nowMs` (no pruning needed beforehand).
    int count(qint64 nowMs, const WindowSpec &w) const;
    int refused(qint64 nowMs, const WindowSpec &w) const;
    // The instant from which fewer than `maximum` events are in the window
    // (nowMs if that is already so, or if maximum <= 0).
    qint64 allowedAtMs(qint64 nowMs, const WindowSpec &w, int maximum) const;
    // When the oldest counted event leaves the window (0: nothing counted).
    qint64 oldestExpiryMs(qint64 nowMs, const WindowSpec &w) const;

    bool isEmpty() const { return m_buckets.empty(); }
    const std::vector<Bucket> &buckets() const { return m_buckets; }

private:
    // Index of the first granule still in the window at nowMs.
    size_t firstLive(qint64 nowMs, const WindowSpec &w) const;

    std::vector<Bucket> m_buckets; // ascending index
    int m_count = 0;               // sum over m_buckets
    int m_refused = 0;
};

} // namespace rd::policy

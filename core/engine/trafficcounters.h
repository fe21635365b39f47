#pragma once
// Bounded counting structures behind TrafficStats. Pure: no clock, no I/O;
// every call that depends on time takes `nowMs` (UTC epoch milliseconds).
// Not thread-safe: one owner (TrafficStats, in the engine thread).

#include <QHash>
#include <QList>
#include <QString>

#include <vector>

namespace rd::engine {

// Space-saving heavy hitters (Metwally, Agrawal, El Abbadi 2005) with
// `capacity` counters. Memory is O(capacity) whatever the number of distinct
// keys. For a stream of N additions every reported count overestimates the
// true count by at most its `error`, and error <= N / capacity; any key whose
// true count exceeds N / capacity is present. An absent key's true count is
// at most minCount().
class SpaceSaving {
public:
    struct Item {
        QString key;
        qint64 count = 0;  // estimate (>= true count)
        qint64 error = 0;  // overestimation bound: true count >= count - error
    };

    explicit SpaceSaving(int capacity = 100);

    // Counts `n` (> 0) occurrences of `key`. O(log capacity).
    void add(const QString &key, qint64 n = 1);

    // The counters, in no particular order.
    const std::vector<Item> &items() const { return m_heap; }
    // The counter of `key`, or null when it has none. Valid until the next add().
    const Item *find(const QString &key) const;
    // Smallest counter once all `capacity` counters are in use, else 0 (then
    // an absent key has really never been seen).
    qint64 minCount() const;
    qint64 total() const { return m_total; }
    int capacity() const { return m_capacity; }
    int size() const { return int(m_heap.size()); }
    void clear();

private:
    void siftDown(int i);
    void siftUp(int i);
    void swapItems(int a, int b);

    int m_capacity;
    qint64 m_total = 0;
    std::vector<Item> m_heap;  // min-heap on count
    QHash<QString, int> m_pos; // key -> index in m_heap
};

// Merges summaries of disjoint time slots into the `limit` largest keys
// (mergeable summaries, Agarwal et al. 2012): a key absent from a slot gets
// that slot's minCount() added to both its count and its error, so each
// result keeps true count in [count - error, count]. Sorted by count
// (descending), then key.
struct TopItem {
    QString key;
    qint64 count = 0;
    qint64 error = 0;
};
QList<TopItem> mergeTop(const QList<const SpaceSaving *> &summaries, int limit);

// Per-key counts in a sliding window of `slotCount` slots of `slotMs` each
// (the current slot plus the slotCount-1 before it), with at most `maxKeys` keys.
// Each key also keeps its usual count per "period" (the window length,
// aligned to the epoch, so an hour for 12 x 5 min): an exponentially
// weighted moving average of its completed periods with weight `alpha`,
// bias-corrected so the first full period counts fully. The period a key
// was first seen in is partial and not averaged.
// Bounds: when more than maxKeys keys are tracked, the least busy ones
// (window count, then usual rate) are dropped down to 3/4 of maxKeys; a
// dropped key restarts from zero when seen again, so counts can be low for
// keys among heavy churn, never high.
class KeyedWindow {
public:
    struct Params {
        qint64 slotMs = 60000;
        int slotCount = 10;
        int maxKeys = 4096;
        double alpha = 0.1;
    };
    struct Info {
        QString key;
        qint64 inWindow = 0;      // count in the window ending now
        double usual = 0;         // usual count per period (0 when periods == 0)
        int periods = 0;          // completed periods averaged into `usual`
        qint64 firstSeenMs = 0;   // when this key was first counted (since it was last dropped)
    };

    explicit KeyedWindow(const Params &params);

    // Counts `n` (> 0) for `key` at `nowMs`. Times earlier than the newest
    // seen are treated as the newest (a clock stepping back does not rewrite history).
    void add(const QString &key, qint64 nowMs, int n = 1);
    // The key's count in the window ending at nowMs (0 when unknown).
    qint64 count(const QString &key, qint64 nowMs) const;
    // Every key whose window count is at least `minimum` (>= 1), busiest first.
    QList<Info> atLeast(qint64 minimum, qint64 nowMs);
    // The key's state (advanced to nowMs); key empty when unknown.
    Info info(const QString &key, qint64 nowMs);
    // Drops keys with nothing in the window and a usual rate below 0.05.
    void purge(qint64 nowMs);

    int size() const { return int(m_entries.size()); }
    const Params &params() const { return m_params; }
    qint64 windowMs() const { return m_params.slotMs * m_params.slotCount; }

private:
    struct Entry {
        qint64 slot = 0;          // absolute index of the newest slot in `ring`
        std::vector<int> ring;    // counts by absolute slot % slotCount
        double ewma = 0;
        int periods = 0;
        bool partial = true;      // still in the period it was first seen in
        qint64 firstSeenMs = 0;
    };

    qint64 slotOf(qint64 nowMs) const;
    void advance(Entry &e, qint64 nowSlot) const;
    void completePeriod(Entry &e) const;
    qint64 windowSum(const Entry &e, qint64 nowSlot) const;
    double usual(const Entry &e) const;
    void shrink(qint64 nowMs);

    Params m_params;
    qint64 m_newestMs = 0;
    QHash<QString, Entry> m_entries;
};

} // namespace rd::engine

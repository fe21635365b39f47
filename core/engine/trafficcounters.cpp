#include "engine/trafficcounters.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace rd::engine {

// --- SpaceSaving -------------------------------------------------------------

SpaceSaving::SpaceSaving(int capacity)
    : m_capacity(std::max(1, capacity))
{
    m_heap.reserve(size_t(m_capacity));
}

qint64 SpaceSaving::minCount() const
{
    return int(m_heap.size()) < m_capacity || m_heap.empty() ? 0 : m_heap.front().count;
}

const SpaceSaving::Item *SpaceSaving::find(const QString &key) const
{
    const auto it = m_pos.constFind(key);
    return it == m_pos.constEnd() ? nullptr : &m_heap[size_t(it.value())];
}

void SpaceSaving::clear()
{
    m_heap.clear();
    m_pos.clear();
    m_total = 0;
}

void SpaceSaving::add(const QString &key, qint64 n)
{
    if (n <= 0)
        return;
    m_total += n;
    const auto it = m_pos.constFind(key);
    if (it != m_pos.constEnd()) {
        const int i = it.value();
        m_heap[size_t(i)].count += n;
        siftDown(i);
        return;
    }
    if (int(m_heap.size()) < m_capacity) {
        m_heap.push_back(Item{key, n, 0});
        const int i = int(m_heap.size()) - 1;
        m_pos.insert(key, i);
        siftUp(i);
        return;
    }
    // Replace the smallest counter: the newcomer inherits its count as error.
    Item &root = m_heap.front();
    m_pos.remove(root.key);
    const qint64 min = root.count;
    root = Item{key, min + n, min};
    m_pos.insert(key, 0);
    siftDown(0);
}

void SpaceSaving::swapItems(int a, int b)
{
    std::swap(m_heap[size_t(a)], m_heap[size_t(b)]);
    m_pos[m_heap[size_t(a)].key] = a;
    m_pos[m_heap[size_t(b)].key] = b;
}

void SpaceSaving::siftDown(int i)
{
    const int n = int(m_heap.size());
    for (;;) {
        const int l = 2 * i + 1;
        const int r = l + 1;
        int smallest = i;
        if (l < n && m_heap[size_t(l)].count < m_heap[size_t(smallest)].count)
            smallest = l;
        if (r < n && m_heap[size_t(r)].count < m_heap[size_t(smallest)].count)
            smallest = r;
        if (smallest == i)
            return;
        swapItems(i, smallest);
        i = smallest;
    }
}

void SpaceSaving::siftUp(int i)
{
    while (i > 0) {
        const int parent = (i - 1) / 2;
        if (m_heap[size_t(parent)].count <= m_heap[size_t(i)].count)
            return;
        swapItems(i, parent);
        i = parent;
    }
}

QList<TopItem> mergeTop(const QList<const SpaceSaving *> &summaries, int limit)
{
    QHash<QString, TopItem> merged;
    for (const SpaceSaving *s : summaries) {
        for (const SpaceSaving::Item &item : s->items())
            merged[item.key].key = item.key;
    }
    for (auto it = merged.begin(); it != merged.end(); ++it) {
        TopItem &t = it.value();
        for (const SpaceSaving *s : summaries) {
            if (const SpaceSaving::Item *item = s->find(t.key)) {
                t.count += item->count;
                t.error += item->error;
            } else {
                t.count += s->minCount();
                t.error += s->minCount();
            }
        }
    }
    QList<TopItem> out = merged.values();
    const auto busier = [](const TopItem &a, const TopItem &b) {
        return a.count != b.count ? a.count > b.count : a.key < b.key;
    };
    if (limit >= 0 && out.size() > limit) {
        std::partial_sort(out.begin(), out.begin() + limit, out.end(), busier);
        out.resize(limit);
    } else {
        std::sort(out.begin(), out.end(), busier);
    }
    return out;
}

// --- KeyedWindow ---------------------------------------------------------------

KeyedWindow::KeyedWindow(const Params &params)
    : m_params(params)
{
    m_params.slotMs = std::max<qint64>(1, m_params.slotMs);
    m_params.slotCount = std::max(1, m_params.slotCount);
    m_params.maxKeys = std::max(4, m_params.maxKeys);
    m_params.alpha = std::clamp(m_params.alpha, 0.001, 1.0);
}

qint64 KeyedWindow::slotOf(qint64 nowMs) const
{
    return std::max<qint64>(0, std::max(nowMs, m_newestMs)) / m_params.slotMs;
}

void KeyedWindow::completePeriod(Entry &e) const
{
    if (e.partial) {
        e.partial = false;
        return;
    }
    qint64 sum = 0;
    for (int v : e.ring)
        sum += v;
    e.ewma = m_params.alpha * double(sum) + (1.0 - m_params.alpha) * e.ewma;
    e.periods = std::min(e.periods + 1, 1000000);
}

void KeyedWindow::advance(Entry &e, qint64 nowSlot) const
{
    const qint64 n = m_params.slotCount;
    while (e.slot < nowSlot) {
        const bool empty = std::all_of(e.ring.begin(), e.ring.end(), [](int v) { return v == 0; });
        if (empty) {
            // Nothing left to count: complete the remaining periods at zero in one step.
            qint64 boundaries = nowSlot / n - e.slot / n;
            if (boundaries > 0 && e.partial) {
                e.partial = false;
                --boundaries;
            }
            if (boundaries > 0) {
                const qint64 b = std::min<qint64>(boundaries, 100000);
                e.ewma *= std::pow(1.0 - m_params.alpha, double(b));
                e.periods = int(std::min<qint64>(e.periods + b, 1000000));
            }
            e.slot = nowSlot;
            return;
        }
        ++e.slot;
        if (e.slot % n == 0)
            completePeriod(e);
        e.ring[size_t(e.slot % n)] = 0;
    }
}

qint64 KeyedWindow::windowSum(const Entry &e, qint64 nowSlot) const
{
    const qint64 n = m_params.slotCount;
    qint64 sum = 0;
    for (qint64 i = 0; i < n; ++i) {
        const qint64 abs = e.slot - i;
        if (abs < 0)
            break;
        if (abs > nowSlot - n && abs <= nowSlot)
            sum += e.ring[size_t(abs % n)];
    }
    return sum;
}

double KeyedWindow::usual(const Entry &e) const
{
    if (e.periods <= 0)
        return 0;
    const double correction = 1.0 - std::pow(1.0 - m_params.alpha, double(e.periods));
    return correction > 0 ? e.ewma / correction : e.ewma;
}

void KeyedWindow::add(const QString &key, qint64 nowMs, int n)
{
    if (n <= 0)
        return;
    m_newestMs = std::max(m_newestMs, nowMs);
    const qint64 nowSlot = slotOf(nowMs);
    auto it = m_entries.find(key);
    if (it == m_entries.end()) {
        if (m_entries.size() >= m_params.maxKeys)
            shrink(m_newestMs);
        Entry e;
        e.slot = nowSlot;
        e.ring.assign(size_t(m_params.slotCount), 0);
        e.partial = nowSlot % m_params.slotCount != 0;
        e.firstSeenMs = m_newestMs;
        it = m_entries.insert(key, std::move(e));
    }
    Entry &e = it.value();
    advance(e, nowSlot);
    int &cell = e.ring[size_t(nowSlot % m_params.slotCount)];
    cell = cell > INT_MAX - n ? INT_MAX : cell + n;
}

qint64 KeyedWindow::count(const QString &key, qint64 nowMs) const
{
    const auto it = m_entries.constFind(key);
    return it == m_entries.constEnd() ? 0 : windowSum(it.value(), slotOf(nowMs));
}

KeyedWindow::Info KeyedWindow::info(const QString &key, qint64 nowMs)
{
    auto it = m_entries.find(key);
    if (it == m_entries.end())
        return {};
    const qint64 nowSlot = slotOf(nowMs);
    advance(it.value(), nowSlot);
    const Entry &e = it.value();
    return Info{key, windowSum(e, nowSlot), usual(e), e.periods, e.firstSeenMs};
}

QList<KeyedWindow::Info> KeyedWindow::atLeast(qint64 minimum, qint64 nowMs)
{
    minimum = std::max<qint64>(1, minimum);
    const qint64 nowSlot = slotOf(nowMs);
    QList<Info> out;
    for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
        const qint64 sum = windowSum(it.value(), nowSlot);
        if (sum < minimum)
            continue;
        advance(it.value(), nowSlot);
        const Entry &e = it.value();
        out.append(Info{it.key(), sum, usual(e), e.periods, e.firstSeenMs});
    }
    std::sort(out.begin(), out.end(), [](const Info &a, const Info &b) {
        return a.inWindow != b.inWindow ? a.inWindow > b.inWindow : a.key < b.key;
    });
    return out;
}

// Removal rebuilds the table: Qt 6's QHash erases by shifting the probe
// chain, which turns thousands of single erases into quadratic work.
void KeyedWindow::purge(qint64 nowMs)
{
    const qint64 nowSlot = slotOf(nowMs);
    QHash<QString, Entry> kept;
    kept.reserve(m_entries.size());
    for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
        advance(it.value(), nowSlot);
        if (windowSum(it.value(), nowSlot) > 0 || usual(it.value()) >= 0.05)
            kept.insert(it.key(), std::move(it.value()));
    }
    m_entries.swap(kept);
}

void KeyedWindow::shrink(qint64 nowMs)
{
    purge(nowMs);
    const int target = m_params.maxKeys * 3 / 4;
    if (m_entries.size() <= target)
        return;
    const qint64 nowSlot = slotOf(nowMs);
    struct Weight {
        qint64 inWindow;
        double usual;
        QString key;
    };
    std::vector<Weight> weights;
    weights.reserve(size_t(m_entries.size()));
    for (auto it = m_entries.cbegin(); it != m_entries.cend(); ++it)
        weights.push_back({windowSum(it.value(), nowSlot), usual(it.value()), it.key()});
    // Busiest first; the first `target` stay.
    std::nth_element(weights.begin(), weights.begin() + qsizetype(target), weights.end(),
                     [](const Weight &a, const Weight &b) {
        return a.inWindow != b.inWindow ? a.inWindow > b.inWindow : a.usual > b.usual;
    });
    QHash<QString, Entry> kept;
    kept.reserve(target);
    for (size_t i = 0; i < size_t(target); ++i) {
        auto it = m_entries.find(weights[i].key);
        kept.insert(it.key(), std::move(it.value()));
    }
    m_entries.swap(kept);
}

} // namespace rd::engine

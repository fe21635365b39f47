#include "policy/dnsblcache.h"

#include <algorithm>

namespace rd::policy {

DnsblCache::DnsblCache(const DnsblCacheLimits &limits) : m_limits(limits) {}

void DnsblCache::setLimits(const DnsblCacheLimits &limits, qint64 nowMs)
{
    m_limits = limits;
    purge(nowMs);
    shrinkTo(std::max(0, m_limits.maxEntries));
}

quint32 DnsblCache::lifetime(const DnsblZoneOutcome &outcome) const
{
    if (outcome.verdict == DnsblVerdict::Error && outcome.temporary)
        return m_limits.failureTtl;
    quint32 ttl = outcome.ttl;
    if (ttl == 0 && outcome.verdict == DnsblVerdict::NotListed)
        ttl = m_limits.negativeTtl;
    const quint32 lo = std::min(m_limits.minTtl, m_limits.maxTtl);
    return std::clamp(ttl, lo, m_limits.maxTtl);
}

void DnsblCache::insert(const QString &queryName, const DnsblZoneOutcome &outcome, qint64 nowMs)
{
    const QString key = queryName.toLower();
    auto old = m_entries.find(key);
    if (old != m_entries.end())
        erase(old);
    const quint32 seconds = lifetime(outcome);
    if (seconds == 0 || m_limits.maxEntries <= 0)
        return;
    if (m_entries.size() >= m_limits.maxEntries) {
        purge(nowMs);
        shrinkTo(m_limits.maxEntries - 1);
    }
    Entry e;
    e.outcome = outcome;
    e.expiresMs = nowMs + qint64(seconds) * 1000;
    e.expiry = m_byExpiry.emplace(e.expiresMs, key);
    m_entries.insert(key, std::move(e));
}

std::optional<DnsblZoneOutcome> DnsblCache::find(const QString &queryName, qint64 nowMs)
{
    auto it = m_entries.find(queryName.toLower());
    if (it == m_entries.end())
        return std::nullopt;
    if (it->expiresMs <= nowMs) {
        erase(it);
        return std::nullopt;
    }
    DnsblZoneOutcome out = it->outcome;
    out.ttl = quint32(std::max<qint64>(1, (it->expiresMs - nowMs) / 1000));
    return out;
}

int DnsblCache::purge(qint64 nowMs)
{
    while (!m_byExpiry.empty() && m_byExpiry.begin()->first <= nowMs) {
        auto it = m_entries.find(m_byExpiry.begin()->second);
        if (it != m_entries.end())
            erase(it);
        else
            m_byExpiry.erase(m_byExpiry.begin()); // cannot happen; keeps the loop finite
    }
    return size();
}

void DnsblCache::clear()
{
    m_entries.clear();
    m_byExpiry.clear();
}

void DnsblCache::erase(QHash<QString, Entry>::iterator it)
{
    m_byExpiry.erase(it->expiry);
    m_entries.erase(it);
}

void DnsblCache::shrinkTo(int maxEntries)
{
    while (m_entries.size() > std::max(0, maxEntries) && !m_byExpiry.empty()) {
        auto it = m_entries.find(m_byExpiry.begin()->second);
        if (it != m_entries.end())
            erase(it);
        else
            m_byExpiry.erase(m_byExpiry.begin());
    }
}

} // namespace rd::policy

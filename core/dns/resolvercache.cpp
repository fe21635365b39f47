#include "dns/resolvercache.h"

#include <algorithm>

namespace rd::dns {

ResolverCache::ResolverCache(int maxEntries, quint32 maxTtl)
    : m_maxEntries(std::max(1, maxEntries)), m_maxTtl(maxTtl)
{
}

QString ResolverCache::key(const QString &name, RecordType type)
{
    QString n = name.toLower();
    if (n.endsWith(QLatin1Char('.')))
        n.chop(1);
    return QString::number(recordTypeCode(type)) + QLatin1Char('/') + n;
}

void ResolverCache::insert(const QString &name, RecordType type, const Answer &answer,
                           qint64 nowMs)
{
    const bool cacheable = answer.status == Status::Ok || answer.status == Status::NxDomain
        || answer.status == Status::NoData;
    const quint32 ttl = std::min(answer.ttl, m_maxTtl);
    if (!cacheable || ttl == 0)
        return;
    const QString k = key(name, type);
    auto it = m_entries.find(k);
    if (it != m_entries.end()) {
        m_lru.erase(it->second.lru);
        m_entries.erase(it);
    }
    while (int(m_entries.size()) >= m_maxEntries && !m_lru.empty()) {
        m_entries.erase(m_lru.back());
        m_lru.pop_back();
    }
    m_lru.push_front(k);
    Entry e;
    e.answer = answer;
    e.answer.fromCache = false;
    e.expiresMs = nowMs + qint64(ttl) * 1000;
    e.lru = m_lru.begin();
    m_entries.emplace(k, std::move(e));
}

std::optional<Answer> ResolverCache::find(const QString &name, RecordType type, qint64 nowMs)
{
    auto it = m_entries.find(key(name, type));
    if (it == m_entries.end())
        return std::nullopt;
    Entry &e = it->second;
    if (e.expiresMs <= nowMs) {
        m_lru.erase(e.lru);
        m_entries.erase(it);
        return std::nullopt;
    }
    m_lru.splice(m_lru.begin(), m_lru, e.lru);
    Answer a = e.answer;
    a.name = name;
    a.fromCache = true;
    a.ttl = quint32(std::max<qint64>(1, (e.expiresMs - nowMs) / 1000));
    const quint32 remaining = a.ttl;
    for (AddressRecord &r : a.addresses)
        r.ttl = std::min(r.ttl, remaining);
    for (MxRecord &r : a.mx)
        r.ttl = std::min(r.ttl, remaining);
    for (TxtRecord &r : a.txt)
        r.ttl = std::min(r.ttl, remaining);
    for (NameRecord &r : a.names)
        r.ttl = std::min(r.ttl, remaining);
    return a;
}

void ResolverCache::clear()
{
    m_entries.clear();
    m_lru.clear();
}

} // namespace rd::dns

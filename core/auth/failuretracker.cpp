#include "auth/failuretracker.h"

#include <QHostAddress>

#include <limits>

namespace rd::auth {

FailureTracker::FailureTracker(const FailureLimits &limits)
    : m_limits(limits)
{
    m_limits.freeFailures = qMax(0, m_limits.freeFailures);
    m_limits.windowMs = qMax<qint64>(1, m_limits.windowMs);
    m_limits.baseDelayMs = qMax(0, m_limits.baseDelayMs);
    m_limits.maxDelayMs = qMax(m_limits.baseDelayMs, m_limits.maxDelayMs);
    m_limits.disconnectAfter = qMax(1, m_limits.disconnectAfter);
    m_limits.maxKeys = qMax(1, m_limits.maxKeys);

    // Keep enough timestamps per key to tell every distinct answer apart: up
    // to the disconnect limit and up to the failure count where the delay caps.
    int steps = 0;
    for (qint64 d = qMax(1, m_limits.baseDelayMs); d < m_limits.maxDelayMs && steps < 62; d *= 2)
        ++steps;
    m_keepTimes = qMax(m_limits.disconnectAfter, m_limits.freeFailures + steps + 1);
}

QString FailureTracker::ipKey(const QString &ip)
{
    QString text = ip.trimmed();
    if (text.startsWith(QLatin1Char('[')) && text.endsWith(QLatin1Char(']')))
        text = text.mid(1, text.size() - 2);
    QHostAddress addr;
    if (!addr.setAddress(text))
        return text.left(256);
    bool isV4 = false;
    const quint32 v4 = addr.toIPv4Address(&isV4); // also unwraps ::ffff:a.b.c.d
    if (isV4)
        return QHostAddress(v4).toString();
    Q_IPV6ADDR bytes = addr.toIPv6Address();
    for (int i = 8; i < 16; ++i)
        bytes[i] = 0;
    return QHostAddress(bytes).toString() + QStringLiteral("/64");
}

QString FailureTracker::userKey(const QString &user)
{
    return user.left(256).toCaseFolded();
}

int FailureTracker::countIn(const Map &map, const QString &key, qint64 nowMs) const
{
    const auto it = map.constFind(key);
    if (it == map.constEnd())
        return 0;
    const qint64 since = nowMs - m_limits.windowMs;
    int n = 0;
    for (qint64 t : it->times) {
        if (t > since)
            ++n;
    }
    return n;
}

int FailureTracker::delayFor(int failures) const
{
    if (failures < m_limits.freeFailures)
        return 0;
    qint64 d = m_limits.baseDelayMs;
    for (int i = m_limits.freeFailures; i < failures && d < m_limits.maxDelayMs; ++i)
        d *= 2;
    return int(qMin<qint64>(d, m_limits.maxDelayMs));
}

int FailureTracker::delayMs(const QString &ip, const QString &user, qint64 nowMs) const
{
    const int byIp = delayFor(countIn(m_ips, ipKey(ip), nowMs));
    const int byUser = delayFor(countIn(m_users, userKey(user), nowMs));
    return qMax(byIp, byUser);
}

bool FailureTracker::shouldDisconnect(const QString &ip, qint64 nowMs) const
{
    return countIn(m_ips, ipKey(ip), nowMs) >= m_limits.disconnectAfter;
}

int FailureTracker::ipFailures(const QString &ip, qint64 nowMs) const
{
    return countIn(m_ips, ipKey(ip), nowMs);
}

int FailureTracker::userFailures(const QString &user, qint64 nowMs) const
{
    return countIn(m_users, userKey(user), nowMs);
}

void FailureTracker::purge(Map &map, qint64 nowMs)
{
    const qint64 since = nowMs - m_limits.windowMs;
    for (auto it = map.begin(); it != map.end();) {
        if (it->times.isEmpty() || it->times.last() <= since)
            it = map.erase(it);
        else
            ++it;
    }
}

void FailureTracker::add(Map &map, const QString &key, qint64 nowMs)
{
    auto it = map.find(key);
    if (it == map.end()) {
        if (map.size() >= m_limits.maxKeys) {
            purge(map, nowMs);
            if (map.size() >= m_limits.maxKeys) {
                // Evict the entry whose newest failure is the oldest.
                auto oldest = map.begin();
                qint64 oldestTime = std::numeric_limits<qint64>::max();
                for (auto j = map.begin(); j != map.end(); ++j) {
                    const qint64 t = j->times.isEmpty() ? std::numeric_limits<qint64>::min() : j->times.last();
                    if (t < oldestTime) {
                        oldestTime = t;
                        oldest = j;
                    }
                }
                map.erase(oldest);
            }
        }
        it = map.insert(key, Entry{});
    }
    QVector<qint64> &times = it->times;
    // Drop what has aged out, then the oldest beyond the per-key cap.
    const qint64 since = nowMs - m_limits.windowMs;
    qsizetype stale = 0;
    while (stale < times.size() && times.at(stale) <= since)
        ++stale;
    if (stale > 0)
        times.remove(0, stale);
    times.append(nowMs);
    if (times.size() > m_keepTimes)
        times.remove(0, times.size() - m_keepTimes);
}

void FailureTracker::recordFailure(const QString &ip, const QString &user, qint64 nowMs)
{
    add(m_ips, ipKey(ip), nowMs);
    add(m_users, userKey(user), nowMs);
}

void FailureTracker::recordSuccess(const QString &user)
{
    m_users.remove(userKey(user));
}

void FailureTracker::purgeExpired(qint64 nowMs)
{
    purge(m_ips, nowMs);
    purge(m_users, nowMs);
}

} // namespace rd::auth

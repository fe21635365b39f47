#include "engine/trafficstats.h"

#include <QDateTime>

#include <algorithm>
#include <climits>

namespace rd::engine {

namespace {

constexpr qint64 kMinuteMs = 60 * 1000;
constexpr qint64 kHourMs = 60 * kMinuteMs;

KeyedWindow::Params authParams()
{
    return KeyedWindow::Params{kMinuteMs, 10, TrafficStats::kAuthKeys, 0.1};
}

KeyedWindow::Params volumeParams()
{
    return KeyedWindow::Params{TrafficStats::kTopSlotMs, TrafficStats::kTopSlots, TrafficStats::kVolumeKeys, 0.1};
}

int saturatingAdd(int a, int b)
{
    const qint64 sum = qint64(a) + qint64(b);
    return int(std::clamp<qint64>(sum, 0, INT_MAX));
}

} // namespace

QString senderKey(const QString &sender)
{
    return sender.isEmpty() ? QStringLiteral("<>") : sender.toLower();
}

TrafficStats::TrafficStats(Clock clock)
    : m_clock(clock ? std::move(clock) : Clock([] { return QDateTime::currentMSecsSinceEpoch(); }))
    , m_minutes(size_t(kMinutes))
    , m_authIps(authParams())
    , m_authUsers(authParams())
    , m_senders(volumeParams())
    , m_users(volumeParams())
{
    m_startedMs = now();
    m_lastPurgeHour = m_startedMs / kHourMs;
}

qint64 TrafficStats::now() const
{
    m_lastMs = std::max(m_lastMs, m_clock());
    return m_lastMs;
}

TrafficMinute &TrafficStats::minute(qint64 nowMs)
{
    const qint64 start = nowMs / kMinuteMs * kMinuteMs;
    TrafficMinute &m = m_minutes[size_t((nowMs / kMinuteMs) % kMinutes)];
    if (m.start != start) {
        m = TrafficMinute{};
        m.start = start;
    }
    return m;
}

TrafficStats::TopSlot &TrafficStats::topSlot(qint64 nowMs)
{
    const qint64 slot = nowMs / kTopSlotMs;
    TopSlot &s = m_topSlots[size_t(slot % kTopSlots)];
    if (s.slot != slot) {
        s.slot = slot;
        s.senders.clear();
        s.clients.clear();
        s.refused.clear();
    }
    return s;
}

void TrafficStats::housekeeping(qint64 nowMs)
{
    // Once per clock hour: forget keys that went quiet, so idle memory shrinks.
    const qint64 hour = nowMs / kHourMs;
    if (hour == m_lastPurgeHour)
        return;
    m_lastPurgeHour = hour;
    m_authIps.purge(nowMs);
    m_authUsers.purge(nowMs);
    m_senders.purge(nowMs);
    m_users.purge(nowMs);
}

void TrafficStats::sessionEnded(const QString &ip, bool tls)
{
    Q_UNUSED(ip);
    const qint64 t = now();
    housekeeping(t);
    TrafficMinute &m = minute(t);
    m.sessions = saturatingAdd(m.sessions, 1);
    ++m_sessions;
    if (tls) {
        m.tlsSessions = saturatingAdd(m.tlsSessions, 1);
        ++m_tlsSessions;
    }
}

void TrafficStats::accepted(const QString &sender, const QString &user, const QString &ip, int recipients)
{
    Q_UNUSED(recipients);
    const qint64 t = now();
    housekeeping(t);
    TrafficMinute &m = minute(t);
    m.accepted = saturatingAdd(m.accepted, 1);
    ++m_accepted;
    const QString key = senderKey(sender);
    TopSlot &s = topSlot(t);
    s.senders.add(key);
    if (!ip.isEmpty())
        s.clients.add(ip);
    m_senders.add(key, t);
    if (!user.isEmpty())
        m_users.add(user.toLower(), t);
}

void TrafficStats::rejected(const QString &ip, const QString &reason)
{
    Q_UNUSED(reason);
    const qint64 t = now();
    housekeeping(t);
    TrafficMinute &m = minute(t);
    m.rejected = saturatingAdd(m.rejected, 1);
    ++m_rejected;
    if (!ip.isEmpty())
        topSlot(t).refused.add(ip);
}

void TrafficStats::delivered()
{
    TrafficMinute &m = minute(now());
    m.delivered = saturatingAdd(m.delivered, 1);
    ++m_delivered;
}

void TrafficStats::deferred()
{
    TrafficMinute &m = minute(now());
    m.deferred = saturatingAdd(m.deferred, 1);
    ++m_deferred;
}

void TrafficStats::failed()
{
    TrafficMinute &m = minute(now());
    m.failed = saturatingAdd(m.failed, 1);
    ++m_failed;
}

void TrafficStats::authFailure(const QString &ip, const QString &user)
{
    const qint64 t = now();
    housekeeping(t);
    ++m_authFailures;
    if (!ip.isEmpty())
        m_authIps.add(ip, t);
    if (!user.isEmpty())
        m_authUsers.add(user.toLower(), t);
}

void TrafficStats::sampleQueue(int size)
{
    minute(now()).queueSize = std::max(0, size);
}

QList<TrafficTopEntry> TrafficStats::top(SpaceSaving TopSlot::*list, qint64 nowMs) const
{
    const qint64 current = nowMs / kTopSlotMs;
    QList<const SpaceSaving *> live;
    for (const TopSlot &s : m_topSlots) {
        if (s.slot >= 0 && s.slot > current - kTopSlots && s.slot <= current)
            live.append(&(s.*list));
    }
    QList<TrafficTopEntry> out;
    for (const TopItem &t : mergeTop(live, kTopSize))
        out.append(TrafficTopEntry{t.key, t.count, t.error});
    return out;
}

TrafficSnapshot TrafficStats::snapshot()
{
    const qint64 t = now();
    housekeeping(t);
    TrafficSnapshot s;
    s.taken = t;
    const qint64 nowMinute = t / kMinuteMs;
    const qint64 first = std::max(nowMinute - kMinutes + 1, m_startedMs / kMinuteMs);
    s.minutes.reserve(int(nowMinute - first + 1));
    for (qint64 i = first; i <= nowMinute; ++i) {
        const TrafficMinute &m = m_minutes[size_t(i % kMinutes)];
        if (m.start == i * kMinuteMs) {
            s.minutes.append(m);
        } else {
            TrafficMinute empty;
            empty.start = i * kMinuteMs;
            s.minutes.append(empty);
        }
    }
    for (const TrafficMinute &m : s.lastMinutes(60)) {
        s.sessionsLastHour += m.sessions;
        s.tlsSessionsLastHour += m.tlsSessions;
    }
    s.topSenders = top(&TopSlot::senders, t);
    s.topClients = top(&TopSlot::clients, t);
    s.topRefused = top(&TopSlot::refused, t);
    s.topWindowMs = (t % kTopSlotMs) + (kTopSlots - 1) * kTopSlotMs;
    s.totalAccepted = m_accepted;
    s.totalDelivered = m_delivered;
    s.totalDeferred = m_deferred;
    s.totalFailed = m_failed;
    s.totalRejected = m_rejected;
    s.totalAuthFailures = m_authFailures;
    s.totalSessions = m_sessions;
    s.totalTlsSessions = m_tlsSessions;
    return s;
}

qint64 TrafficStats::authFailuresForIp(const QString &ip) const
{
    return m_authIps.count(ip, now());
}

qint64 TrafficStats::authFailuresForUser(const QString &user) const
{
    return m_authUsers.count(user.toLower(), now());
}

QList<KeyedWindow::Info> TrafficStats::ipsWithAuthFailures(qint64 minimum)
{
    return m_authIps.atLeast(minimum, now());
}

QList<KeyedWindow::Info> TrafficStats::usersWithAuthFailures(qint64 minimum)
{
    return m_authUsers.atLeast(minimum, now());
}

QList<KeyedWindow::Info> TrafficStats::sendersWithVolume(qint64 minimum)
{
    return m_senders.atLeast(minimum, now());
}

QList<KeyedWindow::Info> TrafficStats::usersWithVolume(qint64 minimum)
{
    return m_users.atLeast(minimum, now());
}

KeyedWindow::Info TrafficStats::senderVolume(const QString &sender)
{
    return m_senders.info(senderKey(sender), now());
}

KeyedWindow::Info TrafficStats::userVolume(const QString &user)
{
    return m_users.info(user.toLower(), now());
}

int TrafficStats::trackedKeys() const
{
    int n = m_authIps.size() + m_authUsers.size() + m_senders.size() + m_users.size();
    for (const TopSlot &s : m_topSlots)
        n += s.senders.size() + s.clients.size() + s.refused.size();
    return n;
}

} // namespace rd::engine

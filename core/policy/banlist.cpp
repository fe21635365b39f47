#include "policy/banlist.h"

#include "config/settings.h"
#include "util/cidr.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace rd::policy {
namespace {

QString reasonFor(FailureKind kind, int n)
{
    switch (kind) {
    case FailureKind::AuthFailure: return QStringLiteral("after %1 failed AUTH attempts").arg(n);
    case FailureKind::RejectedRecipient: return QStringLiteral("after %1 rejected recipients").arg(n);
    case FailureKind::ProtocolError: return QStringLiteral("after %1 protocol errors").arg(n);
    }
    return QString();
}

// Printable ASCII only: the text goes into an SMTP reply line.
QString replySafe(const QString &s)
{
    QString out;
    out.reserve(s.size());
    for (QChar c : s)
        out += (c.unicode() >= 0x20 && c.unicode() < 0x7f) ? c : QLatin1Char('?');
    return out;
}

} // namespace

QString failureKindName(FailureKind kind)
{
    switch (kind) {
    case FailureKind::AuthFailure: return QStringLiteral("auth_failure");
    case FailureKind::RejectedRecipient: return QStringLiteral("rejected_recipient");
    case FailureKind::ProtocolError: return QStringLiteral("protocol_error");
    }
    return QString();
}

int BanParams::threshold(FailureKind kind) const
{
    switch (kind) {
    case FailureKind::AuthFailure: return authFailures;
    case FailureKind::RejectedRecipient: return rejectedRecipients;
    case FailureKind::ProtocolError: return protocolErrors;
    }
    return 0;
}

BanParams BanParams::fromConfig(const config::ConfigSnapshot &config)
{
    using namespace config::keys;
    BanParams p;
    p.enabled = config.boolValue(kBansEnabled);
    p.authFailures = int(config.intValue(kBanAuthFailures));
    p.rejectedRecipients = int(config.intValue(kBanRejectedRecipients));
    p.protocolErrors = int(config.intValue(kBanProtocolErrors));
    p.windowSeconds = int(config.intValue(kBanWindow));
    p.durationSeconds = int(config.intValue(kBanDuration));
    return p;
}

BanChanges BanChanges::merged(const BanChanges &older, const BanChanges &newer)
{
    QHash<QString, Ban> up;
    QSet<QString> del;
    auto apply = [&](const BanChanges &c) {
        for (const QString &k : c.deletes) {
            up.remove(k);
            del.insert(k);
        }
        for (const Ban &b : c.upserts) {
            del.remove(b.ip);
            up.insert(b.ip, b);
        }
    };
    apply(older);
    apply(newer);
    BanChanges out;
    out.upserts = up.values();
    out.deletes = QStringList(del.begin(), del.end());
    return out;
}

BanList::BanList(const BanParams &params)
{
    setParams(params);
}

void BanList::setParams(const BanParams &params)
{
    m_params = params;
    m_params.windowSeconds = qMax(1, m_params.windowSeconds);
    m_params.durationSeconds = qMax(1, m_params.durationSeconds);
    m_params.maxTrackedIps = qMax(8, m_params.maxTrackedIps);
    m_params.maxBans = qMax(8, m_params.maxBans);
}

QString BanList::keyFor(const QHostAddress &client)
{
    const QHostAddress a = util::normalizedAddress(client);
    if (a.protocol() == QAbstractSocket::IPv4Protocol)
        return a.toString();
    if (a.protocol() != QAbstractSocket::IPv6Protocol)
        return QString();
    Q_IPV6ADDR b = a.toIPv6Address();
    for (int i = 8; i < 16; ++i)
        b[i] = 0;
    return QHostAddress(b).toString() + QStringLiteral("/64");
}

bool BanList::isHostItself(const QHostAddress &client)
{
    const QHostAddress a = util::normalizedAddress(client);
    return a == QHostAddress(QHostAddress::LocalHost) || a == QHostAddress(QHostAddress::LocalHostIPv6);
}

QString BanList::refusalText(const Ban &ban, qint64 nowMs)
{
    const QDateTime until = ban.expires.toUTC();
    const QDateTime now = QDateTime::fromMSecsSinceEpoch(nowMs, Qt::UTC);
    const QString when = until.date() == now.date() ? until.toString(QStringLiteral("HH:mm"))
                                                    : until.toString(QStringLiteral("yyyy-MM-dd HH:mm"));
    QString text = QStringLiteral("Address banned until %1 UTC").arg(when);
    if (!ban.reason.trimmed().isEmpty())
        text += QLatin1Char(' ') + replySafe(ban.reason.trimmed().left(200));
    return text;
}

qint64 BanList::slotMs() const
{
    return qMax<qint64>(1000, windowMs() / 60);
}

void BanList::trim(Counters &c, qint64 nowMs) const
{
    const qint64 oldest = nowMs - windowMs(); // a slot ending at or before this is out
    const qint64 slot = slotMs();
    for (auto &buckets : c.kinds) {
        int drop = 0;
        while (drop < buckets.size() && buckets.at(drop).start + slot <= oldest)
            ++drop;
        if (drop > 0)
            buckets.erase(buckets.begin(), buckets.begin() + drop);
    }
}

int BanList::count(const Counters &c, int kind, qint64 nowMs) const
{
    const qint64 oldest = nowMs - windowMs();
    const qint64 slot = slotMs();
    int n = 0;
    for (const Slot &s : c.kinds[size_t(kind)]) {
        if (s.start + slot > oldest)
            n += s.count;
    }
    return n;
}

bool BanList::agedOut(const Counters &c, qint64 nowMs) const
{
    return c.lastMs + windowMs() + slotMs() <= nowMs;
}

void BanList::makeRoomForCounters(qint64 nowMs)
{
    if (m_counters.size() < m_params.maxTrackedIps)
        return;
    for (auto it = m_counters.begin(); it != m_counters.end();) {
        if (agedOut(*it, nowMs)) {
            it = m_counters.erase(it);
        } else {
            ++it;
        }
    }
    if (m_counters.size() < m_params.maxTrackedIps)
        return;
    // Still full: drop the eighth with the fewest failures in the window (the
    // oldest first among equals), so a flood of one-shot addresses cannot
    // flush a persistent offender's count. Amortized O(1) per new address.
    using Score = std::pair<qint64, qint64>; // (failures, last failure)
    std::vector<Score> scores;
    scores.reserve(size_t(m_counters.size()));
    auto scoreOf = [&](const Counters &c) {
        qint64 n = 0;
        for (int k = 0; k < kFailureKinds; ++k)
            n += count(c, k, nowMs);
        return Score{n, c.lastMs};
    };
    for (const Counters &c : std::as_const(m_counters))
        scores.push_back(scoreOf(c));
    const size_t k = qMax<size_t>(1, scores.size() / 8);
    std::nth_element(scores.begin(), scores.begin() + qsizetype(k - 1), scores.end());
    const Score cutoff = scores[k - 1];
    size_t dropped = 0;
    for (auto it = m_counters.begin(); it != m_counters.end() && dropped < k;) {
        if (scoreOf(*it) <= cutoff) {
            it = m_counters.erase(it);
            ++dropped;
        } else {
            ++it;
        }
    }
    m_evicted += qint64(dropped);
}

void BanList::makeRoomForBans(qint64 nowMs)
{
    if (m_bans.size() < m_params.maxBans)
        return;
    purgeExpired(nowMs);
    if (m_bans.size() < m_params.maxBans)
        return;
    std::vector<qint64> ends;
    ends.reserve(size_t(m_bans.size()));
    for (const Ban &b : std::as_const(m_bans))
        ends.push_back(b.expires.toMSecsSinceEpoch());
    const size_t k = qMax<size_t>(1, ends.size() / 8);
    std::nth_element(ends.begin(), ends.begin() + qsizetype(k - 1), ends.end());
    const qint64 cutoff = ends[k - 1];
    QStringList victims;
    for (auto it = m_bans.cbegin(); it != m_bans.cend() && size_t(victims.size()) < k; ++it) {
        if (it->expires.toMSecsSinceEpoch() <= cutoff)
            victims << it.key();
    }
    for (const QString &key : std::as_const(victims))
        dropBan(key);
}

void BanList::storeBan(const Ban &ban)
{
    m_bans.insert(ban.ip, ban);
    m_deleted.remove(ban.ip);
    m_dirty.insert(ban.ip);
}

void BanList::dropBan(const QString &key)
{
    if (m_bans.remove(key) > 0) {
        m_dirty.remove(key);
        m_deleted.insert(key);
    }
}

std::optional<Ban> BanList::recordFailure(const QHostAddress &client, FailureKind kind, qint64 nowMs)
{
    if (!m_params.enabled)
        return std::nullopt;
    const QString key = keyFor(client);
    if (key.isEmpty() || isHostItself(client))
        return std::nullopt;
    if (isBanned(client, nowMs))
        return std::nullopt;
    if (m_exemption && m_exemption(client, nowMs))
        return std::nullopt;
    const int threshold = m_params.threshold(kind);
    if (threshold <= 0)
        return std::nullopt;
    auto it = m_counters.find(key);
    if (it == m_counters.end()) {
        makeRoomForCounters(nowMs);
        it = m_counters.insert(key, Counters{});
    }
    Counters &c = *it;
    trim(c, nowMs);
    auto &buckets = c.kinds[size_t(kind)];
    const qint64 start = nowMs - (nowMs % slotMs());
    if (!buckets.isEmpty() && buckets.last().start == start)
        ++buckets.last().count;
    else
        buckets.append(Slot{start, 1});
    c.lastMs = qMax(c.lastMs, nowMs);
    const int n = count(c, int(kind), nowMs);
    if (n < threshold)
        return std::nullopt;
    m_counters.erase(it);
    return ban(client, reasonFor(kind, n), m_params.durationSeconds, nowMs, n);
}

Ban BanList::ban(const QHostAddress &client, const QString &reason, int durationSeconds, qint64 nowMs, int failures)
{
    Ban b;
    b.ip = keyFor(client);
    if (b.ip.isEmpty())
        return b;
    b.reason = reason;
    b.created = QDateTime::fromMSecsSinceEpoch(nowMs, Qt::UTC);
    b.expires = QDateTime::fromMSecsSinceEpoch(nowMs + qint64(qMax(1, durationSeconds)) * 1000, Qt::UTC);
    b.failures = failures;
    if (!m_bans.contains(b.ip))
        makeRoomForBans(nowMs);
    storeBan(b);
    return b;
}

bool BanList::unban(const QString &ipOrKey)
{
    QString key = ipOrKey.trimmed();
    if (!m_bans.contains(key)) {
        const QHostAddress a(key);
        if (!a.isNull())
            key = keyFor(a);
    }
    m_counters.remove(key);
    if (!m_bans.contains(key))
        return false;
    dropBan(key);
    return true;
}

std::optional<Ban> BanList::isBanned(const QHostAddress &client, qint64 nowMs) const
{
    if (m_bans.isEmpty())
        return std::nullopt;
    const auto it = m_bans.constFind(keyFor(client));
    if (it == m_bans.cend() || it->expires.toMSecsSinceEpoch() <= nowMs)
        return std::nullopt;
    return *it;
}

QList<Ban> BanList::list(qint64 nowMs) const
{
    QList<Ban> out;
    for (const Ban &b : m_bans) {
        if (b.expires.toMSecsSinceEpoch() > nowMs)
            out << b;
    }
    std::sort(out.begin(), out.end(), [](const Ban &a, const Ban &b) {
        return a.expires != b.expires ? a.expires < b.expires : a.ip < b.ip;
    });
    return out;
}

int BanList::purgeExpired(qint64 nowMs)
{
    QStringList expired;
    for (auto it = m_bans.cbegin(); it != m_bans.cend(); ++it) {
        if (it->expires.toMSecsSinceEpoch() <= nowMs)
            expired << it.key();
    }
    for (const QString &key : std::as_const(expired))
        dropBan(key);
    for (auto it = m_counters.begin(); it != m_counters.end();) {
        if (agedOut(*it, nowMs))
            it = m_counters.erase(it);
        else
            ++it;
    }
    return int(expired.size());
}

int BanList::failures(const QHostAddress &client, FailureKind kind, qint64 nowMs) const
{
    const auto it = m_counters.constFind(keyFor(client));
    return it == m_counters.cend() ? 0 : count(*it, int(kind), nowMs);
}

void BanList::load(const QList<Ban> &stored, qint64 nowMs)
{
    m_bans.clear();
    m_dirty.clear();
    m_deleted.clear();
    for (const Ban &b : stored) {
        if (b.expires.toMSecsSinceEpoch() <= nowMs || b.ip.isEmpty())
            m_deleted.insert(b.ip);
        else
            m_bans.insert(b.ip, b);
    }
}

BanChanges BanList::takeChanges()
{
    BanChanges c;
    for (const QString &key : std::as_const(m_dirty)) {
        const auto it = m_bans.constFind(key);
        if (it != m_bans.cend())
            c.upserts << *it;
    }
    c.deletes = QStringList(m_deleted.begin(), m_deleted.end());
    m_dirty.clear();
    m_deleted.clear();
    return c;
}

void BanList::restoreChanges(const BanChanges &changes)
{
    // Newer changes (made since takeChanges) win: only keys untouched since are restored.
    for (const Ban &b : changes.upserts) {
        if (!m_dirty.contains(b.ip) && !m_deleted.contains(b.ip) && m_bans.contains(b.ip))
            m_dirty.insert(b.ip);
    }
    for (const QString &key : changes.deletes) {
        if (!m_dirty.contains(key) && !m_bans.contains(key))
            m_deleted.insert(key);
    }
}

} // namespace rd::policy

#include "policy/greylist.h"

#include "util/cidr.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>
#include <vector>

namespace rd::policy {

namespace {

const QChar kSep(0x1f); // unit separator: never part of an address we key on
constexpr qint64 kDayMs = 86400LL * 1000;
// A passed triplet's last use is rewritten at most this often (its expiry is
// counted in days; this keeps one write per message away).
constexpr qint64 kLastSeenSlackMs = 3600LL * 1000;

QString stripAddress(const QString &address)
{
    QString a = address.trimmed();
    if (a.startsWith(QLatin1Char('<')) && a.endsWith(QLatin1Char('>')))
        a = a.mid(1, a.size() - 2).trimmed();
    a.replace(kSep, QLatin1Char('?'));
    return a.toLower();
}

QString sqlError(const QString &what, const QSqlError &e)
{
    return QStringLiteral("greylist: %1: %2").arg(what, e.text());
}

} // namespace

Greylist::Greylist(const GreylistParams &params) : m_params(params) {}

QString Greylist::clientNetwork(const QHostAddress &client)
{
    const QHostAddress a = util::normalizedAddress(client);
    if (a.protocol() == QAbstractSocket::IPv4Protocol) {
        const quint32 v4 = a.toIPv4Address() & 0xffffff00u;
        return QHostAddress(v4).toString() + QStringLiteral("/24");
    }
    if (a.protocol() == QAbstractSocket::IPv6Protocol) {
        Q_IPV6ADDR v6 = a.toIPv6Address();
        for (int i = 8; i < 16; ++i)
            v6[i] = 0;
        return QHostAddress(v6).toString() + QStringLiteral("/64");
    }
    return QStringLiteral("?") + client.toString(); // not an IP: keyed as given
}

QString Greylist::normalizedSender(const QString &sender)
{
    const QString s = stripAddress(sender);
    if (s.isEmpty())
        return QStringLiteral("<>");
    const qsizetype at = s.lastIndexOf(QLatin1Char('@'));
    QString local = at < 0 ? s : s.left(at);
    const QString domain = at < 0 ? QString() : s.mid(at);
    // BATV (draft-levine-smtp-batv): "prvs=TAG=local"; Microsoft's "msprvs1=TAG=local".
    static const QRegularExpression batv(QStringLiteral("^(?:prvs|msprvs[0-9]*)=[^=]+=(.+)$"));
    const QRegularExpressionMatch m = batv.match(local);
    if (m.hasMatch())
        local = m.captured(1);
    return local + domain;
}

QString Greylist::normalizedRecipient(const QString &recipient)
{
    return stripAddress(recipient);
}

QString Greylist::key(const QString &net, const QString &sender, const QString &recipient)
{
    return net + kSep + sender + kSep + recipient;
}

QString Greylist::autoPassKey(const QString &net, const QString &sender)
{
    const qsizetype at = sender.lastIndexOf(QLatin1Char('@'));
    if (sender == QLatin1String("<>") || at < 0 || at + 1 >= sender.size())
        return {};
    return net + kSep + sender.mid(at + 1);
}

GreylistRow Greylist::rowFor(const QString &key, const Triplet &t)
{
    GreylistRow row;
    const qsizetype first = key.indexOf(kSep);
    const qsizetype last = key.lastIndexOf(kSep);
    row.clientNet = key.left(first);
    row.sender = key.mid(first + 1, last - first - 1);
    row.recipient = key.mid(last + 1);
    row.firstSeenMs = t.firstSeenMs;
    row.lastSeenMs = t.lastSeenMs;
    row.passed = t.passed;
    return row;
}

bool Greylist::expired(const Triplet &t, qint64 nowMs) const
{
    if (t.passed)
        return nowMs - t.lastSeenMs > qint64(m_params.expiryDays) * kDayMs;
    return nowMs - t.firstSeenMs > qint64(m_params.retryWindowSeconds) * 1000;
}

GreylistDecision Greylist::check(const QHostAddress &client, const QString &sender,
                                 const QString &recipient, qint64 nowMs)
{
    const QString net = clientNetwork(client);
    const QString from = normalizedSender(sender);
    const QString k = key(net, from, normalizedRecipient(recipient));
    const qint64 delayMs = qint64(std::max(0, m_params.delaySeconds)) * 1000;
    GreylistDecision d;

    QString restartReason = QStringLiteral("new");
    auto it = m_triplets.find(k);
    if (it != m_triplets.end() && expired(*it, nowMs)) {
        if (!it->passed)
            restartReason = QStringLiteral("retry window expired");
        remove(it);
        it = m_triplets.end();
    }
    if (it != m_triplets.end()) {
        Triplet &t = *it;
        t.lastSeenMs = std::max(t.lastSeenMs, nowMs);
        if (t.passed) {
            if (t.storedLastSeenMs < 0 || t.lastSeenMs - t.storedLastSeenMs >= kLastSeenSlackMs)
                markDirty(k);
            auto ap = m_autoPass.find(autoPassKey(net, from));
            if (ap != m_autoPass.end())
                ap->lastUseMs = std::max(ap->lastUseMs, t.lastSeenMs);
            d.verdict = GreylistDecision::Pass;
            d.reason = QStringLiteral("passed");
            return d;
        }
        const qint64 waited = nowMs - t.firstSeenMs;
        if (waited < delayMs && autoPasses(autoPassKey(net, from), nowMs)) {
            markPassed(k, t); // a sibling triplet passed meanwhile
            d.verdict = GreylistDecision::Pass;
            d.reason = QStringLiteral("auto-pass");
            return d;
        }
        if (waited < delayMs) {
            d.verdict = GreylistDecision::Defer;
            d.secondsLeft = int(std::max<qint64>(1, (delayMs - waited + 999) / 1000));
            d.reason = QStringLiteral("early retry");
            return d;
        }
        markPassed(k, t);
        d.verdict = GreylistDecision::Pass;
        d.reason = QStringLiteral("retried");
        return d;
    }

    Triplet t;
    t.firstSeenMs = nowMs;
    t.lastSeenMs = nowMs;
    makeRoom(nowMs);
    if (autoPasses(autoPassKey(net, from), nowMs)) {
        Triplet &added = *m_triplets.insert(k, t);
        ++m_pending; // markPassed counts it back down
        markPassed(k, added);
        d.verdict = GreylistDecision::Pass;
        d.reason = QStringLiteral("auto-pass");
        return d;
    }
    m_triplets.insert(k, t);
    ++m_pending;
    markDirty(k);
    d.verdict = GreylistDecision::Defer;
    d.secondsLeft = int(std::max<qint64>(1, (delayMs + 999) / 1000));
    d.reason = restartReason;
    return d;
}

bool Greylist::autoPasses(const QString &apKey, qint64 nowMs) const
{
    if (apKey.isEmpty())
        return false;
    const auto ap = m_autoPass.constFind(apKey);
    return ap != m_autoPass.cend() && nowMs - ap->lastUseMs <= qint64(m_params.expiryDays) * kDayMs;
}

void Greylist::markPassed(const QString &key, Triplet &t)
{
    if (!t.passed) {
        t.passed = true;
        --m_pending;
        const QString apKey = autoPassKey(key.section(kSep, 0, 0), rowFor(key, t).sender);
        if (!apKey.isEmpty()) {
            AutoPass &ap = m_autoPass[apKey];
            ++ap.passedTriplets;
            ap.lastUseMs = std::max(ap.lastUseMs, t.lastSeenMs);
        }
    }
    markDirty(key);
}

QHash<QString, Greylist::Triplet>::iterator Greylist::remove(QHash<QString, Triplet>::iterator it)
{
    const QString k = it.key();
    const GreylistRow row = rowFor(k, *it);
    if (it->passed) {
        auto ap = m_autoPass.find(autoPassKey(row.clientNet, row.sender));
        if (ap != m_autoPass.end() && --ap->passedTriplets <= 0)
            m_autoPass.erase(ap);
    } else {
        --m_pending;
    }
    m_dirty.remove(k);
    m_deleted.insert(k, row); // harmless if it was never written
    return m_triplets.erase(it);
}

void Greylist::markDirty(const QString &key)
{
    m_dirty.insert(key);
    m_deleted.remove(key);
}

void Greylist::makeRoom(qint64 nowMs)
{
    if (m_params.maxTriplets <= 0 || m_triplets.size() < m_params.maxTriplets)
        return;
    expire(nowMs);
    if (m_triplets.size() < m_params.maxTriplets)
        return;
    // Still full: the oldest tenth goes, pending triplets (by first sight)
    // before passed ones (by last use).
    std::vector<std::pair<qint64, QString>> order;
    order.reserve(size_t(m_triplets.size()));
    for (auto it = m_triplets.cbegin(); it != m_triplets.cend(); ++it) {
        const qint64 rank = it->passed ? it->lastSeenMs : it->firstSeenMs - (qint64(1) << 52);
        order.emplace_back(rank, it.key());
    }
    const size_t drop = std::max<size_t>(1, order.size() / 10);
    std::nth_element(order.begin(), order.begin() + qsizetype(drop - 1), order.end());
    for (size_t i = 0; i < drop; ++i) {
        auto it = m_triplets.find(order[i].second);
        if (it != m_triplets.end())
            remove(it);
    }
}

int Greylist::expire(qint64 nowMs)
{
    int removed = 0;
    for (auto it = m_triplets.begin(); it != m_triplets.end();) {
        if (expired(*it, nowMs)) {
            it = remove(it);
            ++removed;
        } else {
            ++it;
        }
    }
    return removed;
}

Greylist::Stats Greylist::stats() const
{
    Stats s;
    s.triplets = int(m_triplets.size());
    s.pending = m_pending;
    s.autoPassNets = int(m_autoPass.size());
    return s;
}

GreylistChanges Greylist::takeChanges()
{
    GreylistChanges c;
    for (const QString &k : std::as_const(m_dirty)) {
        auto it = m_triplets.find(k);
        if (it == m_triplets.end())
            continue;
        c.upserts.append(rowFor(k, *it));
        it->storedLastSeenMs = it->lastSeenMs;
    }
    for (const GreylistRow &row : std::as_const(m_deleted))
        c.deletes.append(row);
    m_dirty.clear();
    m_deleted.clear();
    return c;
}

void Greylist::restoreChanges(const GreylistChanges &changes)
{
    for (const GreylistRow &row : changes.upserts) {
        const QString k = key(row.clientNet, row.sender, row.recipient);
        auto it = m_triplets.find(k);
        if (it == m_triplets.end())
            continue; // removed meanwhile: its deletion is queued if it was ever stored
        it->storedLastSeenMs = -1;
        if (!m_deleted.contains(k))
            m_dirty.insert(k);
    }
    for (const GreylistRow &row : changes.deletes) {
        const QString k = key(row.clientNet, row.sender, row.recipient);
        if (!m_triplets.contains(k))
            m_deleted.insert(k, row);
    }
}

bool Greylist::flush(QSqlDatabase &db, QString *error, qint64 nowMs)
{
    expire(nowMs < 0 ? QDateTime::currentMSecsSinceEpoch() : nowMs);
    const GreylistChanges changes = takeChanges();
    if (changes.isEmpty())
        return true;
    if (writeChanges(db, changes, error))
        return true;
    restoreChanges(changes);
    return false;
}

bool Greylist::writeChanges(QSqlDatabase &db, const GreylistChanges &changes, QString *error)
{
    if (changes.isEmpty())
        return true;
    if (!db.transaction()) {
        if (error)
            *error = sqlError(QStringLiteral("cannot begin a transaction"), db.lastError());
        return false;
    }
    const auto fail = [&](const QString &what, const QSqlError &e) {
        if (error)
            *error = sqlError(what, e);
        db.rollback();
        return false;
    };
    QSqlQuery del(db);
    if (!del.prepare(QStringLiteral("DELETE FROM greylist WHERE client_net = ? AND sender = ? AND recipient = ?")))
        return fail(QStringLiteral("prepare delete"), del.lastError());
    for (const GreylistRow &row : changes.deletes) {
        del.addBindValue(row.clientNet);
        del.addBindValue(row.sender);
        del.addBindValue(row.recipient);
        if (!del.exec())
            return fail(QStringLiteral("delete"), del.lastError());
    }
    QSqlQuery up(db);
    if (!up.prepare(QStringLiteral(
            "INSERT INTO greylist (client_net, sender, recipient, first_seen, last_seen, passed)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (client_net, sender, recipient) DO UPDATE SET"
            " first_seen = excluded.first_seen, last_seen = excluded.last_seen, passed = excluded.passed")))
        return fail(QStringLiteral("prepare upsert"), up.lastError());
    for (const GreylistRow &row : changes.upserts) {
        up.addBindValue(row.clientNet);
        up.addBindValue(row.sender);
        up.addBindValue(row.recipient);
        up.addBindValue(row.firstSeenMs);
        up.addBindValue(row.lastSeenMs);
        up.addBindValue(row.passed ? 1 : 0);
        if (!up.exec())
            return fail(QStringLiteral("upsert"), up.lastError());
    }
    if (!db.commit())
        return fail(QStringLiteral("commit"), db.lastError());
    return true;
}

bool Greylist::load(QSqlDatabase &db, qint64 nowMs, QString *error)
{
    m_triplets.clear();
    m_autoPass.clear();
    m_dirty.clear();
    m_deleted.clear();
    m_pending = 0;
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT client_net, sender, recipient, first_seen, last_seen, passed FROM greylist"))) {
        if (error)
            *error = sqlError(QStringLiteral("cannot read the table"), q.lastError());
        return false;
    }
    while (q.next()) {
        const QString net = q.value(0).toString();
        const QString sender = q.value(1).toString();
        const QString recipient = q.value(2).toString();
        const QString k = key(net, sender, recipient);
        Triplet t;
        t.firstSeenMs = q.value(3).toLongLong();
        t.lastSeenMs = q.value(4).toLongLong();
        t.storedLastSeenMs = t.lastSeenMs;
        t.passed = q.value(5).toInt() != 0;
        if (expired(t, nowMs)) {
            m_deleted.insert(k, rowFor(k, t));
            continue;
        }
        m_triplets.insert(k, t);
        if (t.passed) {
            AutoPass &ap = m_autoPass[autoPassKey(net, sender)];
            ++ap.passedTriplets;
            ap.lastUseMs = std::max(ap.lastUseMs, t.lastSeenMs);
        } else {
            ++m_pending;
        }
    }
    m_autoPass.remove(QString()); // null senders and senders without a domain never auto-pass
    return true;
}

} // namespace rd::policy

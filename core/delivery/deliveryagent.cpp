#include "delivery/deliveryagent.h"

#include "config/settings.h"
#include "delivery/outboundconnection.h"

#include <QDateTime>
#include <QTimeZone>

namespace rd::delivery {

using queue::MessageState;
using queue::RecipientState;

namespace {

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

bool schedulable(MessageState s)
{
    return s == MessageState::Queued || s == MessageState::Deferred;
}

} // namespace

DeliveryAgent::DeliveryAgent(queue::QueueStore *store, LogFn log, QObject *parent)
    : QObject(parent), m_store(store), m_log(std::move(log))
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &DeliveryAgent::pump);
}

DeliveryAgent::~DeliveryAgent()
{
    stop();
}

void DeliveryAgent::configure(const DeliverySettings &settings)
{
    m_settings = settings;
    m_host.clear();
    m_port = 0;
    if (!settings.smartHost.isEmpty()) {
        QString error;
        if (!config::parseHostPort(settings.smartHost, &m_host, &m_port, &error)) {
            m_host.clear();
            m_port = 0;
        }
    }
    QMetaObject::invokeMethod(this, &DeliveryAgent::pump, Qt::QueuedConnection);
}

void DeliveryAgent::load(const QVector<queue::QueueEntry> &entries)
{
    for (const queue::QueueEntry &e : entries) {
        m_entries.insert(e.info.queueId, e);
        if (schedulable(e.info.state)) {
            const qint64 due = e.info.nextAttempt.isValid() ? e.info.nextAttempt.toMSecsSinceEpoch() : 0;
            schedule(e.info.queueId, due);
        }
    }
    emit changed();
    QMetaObject::invokeMethod(this, &DeliveryAgent::pump, Qt::QueuedConnection);
}

void DeliveryAgent::enqueue(const queue::QueueEntry &entry)
{
    m_entries.insert(entry.info.queueId, entry);
    schedule(entry.info.queueId, 0);
    emit changed();
    // Pump on the next turn of the event loop so that a burst of commits is
    // scheduled together (and can share connections).
    if (!m_timer.isActive() || m_timer.remainingTime() > 0)
        m_timer.start(0);
}

void DeliveryAgent::schedule(const QString &qid, qint64 dueMs)
{
    m_due.emplace(dueMs, qid);
}

bool DeliveryAgent::takeDue(QString *qid)
{
    const qint64 now = nowMs();
    while (!m_due.empty()) {
        auto it = m_due.begin();
        if (it->first > now)
            return false;
        const QString id = it->second;
        const qint64 due = it->first;
        m_due.erase(it);
        auto e = m_entries.find(id);
        if (e == m_entries.end() || m_inFlight.contains(id) || !schedulable(e->info.state))
            continue;
        // Skip stale schedule entries (the message was rescheduled later).
        const qint64 next = e->info.nextAttempt.isValid() ? e->info.nextAttempt.toMSecsSinceEpoch() : 0;
        if (next > due)
            continue;
        *qid = id;
        return true;
    }
    return false;
}

void DeliveryAgent::armTimer()
{
    if (m_due.empty() || m_stopping)
        return;
    const qint64 wait = std::max<qint64>(0, m_due.begin()->first - nowMs());
    m_timer.start(int(std::min<qint64>(wait, 60000)));
}

void DeliveryAgent::pump()
{
    if (m_stopping)
        return;
    if (m_host.isEmpty()) {
        // No route: mail waits; say so once per message.
        QString qid;
        while (takeDue(&qid))
            failUnroutable(qid, QStringLiteral("no smart host configured (delivery.smarthost)"));
        armTimer();
        return;
    }
    // Idle connections first, then new ones up to the limit.
    for (auto it = m_connections.begin(); it != m_connections.end(); ++it) {
        if (!it.value().isEmpty())
            continue;
        QString qid;
        if (!takeDue(&qid))
            break;
        startOn(it.key(), qid);
    }
    while (m_connections.size() < m_settings.maxConnections) {
        QString qid;
        if (!takeDue(&qid))
            break;
        startOn(newConnection(), qid);
    }
    armTimer();
}

void DeliveryAgent::failUnroutable(const QString &qid, const QString &why)
{
    auto e = m_entries.find(qid);
    if (e == m_entries.end())
        return;
    // Keep it queued and look again later (or when the settings change).
    e->info.lastError = why;
    e->info.nextAttempt = QDateTime::fromMSecsSinceEpoch(nowMs() + 60000, Qt::UTC);
    schedule(qid, e->info.nextAttempt.toMSecsSinceEpoch());
    m_store->setState(qid, e->info.state, e->info.nextAttempt);
}

OutboundConnection *DeliveryAgent::newConnection()
{
    auto *conn = new OutboundConnection(m_host, m_port, m_settings.heloName, m_settings.timeouts, this);
    m_connections.insert(conn, QString());
    connect(conn, &OutboundConnection::jobFinished, this,
            [this, conn](const DeliveryResult &r) { onJobFinished(conn, r); });
    connect(conn, &OutboundConnection::idle, this, [this, conn] { onIdle(conn); });
    connect(conn, &OutboundConnection::closed, this, [this, conn] {
        const QString qid = m_connections.take(conn);
        conn->deleteLater();
        Q_UNUSED(qid);
        if (!m_stopping)
            QMetaObject::invokeMethod(this, &DeliveryAgent::pump, Qt::QueuedConnection);
    });
    return conn;
}

DeliveryJob DeliveryAgent::makeJob(const queue::QueueEntry &e) const
{
    DeliveryJob job;
    job.queueId = e.info.queueId;
    job.mailFrom = e.info.sender;
    for (const queue::RecipientInfo &r : e.info.recipients) {
        if (r.state == RecipientState::Pending)
            job.rcpts.append(r.address);
    }
    job.spoolPath = e.spoolPath;
    job.bodyOffset = e.bodyOffset;
    job.size = e.info.size;
    job.eightBit = e.eightBit;
    job.smtpUtf8 = e.smtpUtf8;
    return job;
}

void DeliveryAgent::startOn(OutboundConnection *conn, const QString &qid)
{
    queue::QueueEntry &e = m_entries[qid];
    e.info.state = MessageState::InDelivery;
    m_inFlight.insert(qid);
    m_connections[conn] = qid;
    conn->deliver(makeJob(e));
    emit changed();
}

void DeliveryAgent::onIdle(OutboundConnection *conn)
{
    if (!m_connections.contains(conn))
        return;
    m_connections[conn].clear();
    QString qid;
    if (!m_stopping && !m_host.isEmpty() && takeDue(&qid)) {
        startOn(conn, qid); // connection reuse
        return;
    }
    conn->quit();
}

qint64 DeliveryAgent::retryDelayMs(int attempts) const
{
    const QVector<int> &s = m_settings.retrySchedule;
    if (s.isEmpty())
        return 300000;
    const int i = std::clamp(attempts - 1, 0, int(s.size()) - 1);
    return qint64(s.at(i)) * 1000;
}

void DeliveryAgent::onJobFinished(OutboundConnection *conn, const DeliveryResult &result)
{
    if (m_connections.contains(conn))
        m_connections[conn] = QStringLiteral("-"); // finishing: reusable after idle()
    const QString qid = result.queueId;
    m_inFlight.remove(qid);
    auto it = m_entries.find(qid);
    if (it == m_entries.end())
        return;
    queue::QueueEntry &e = *it;
    const qint64 now = nowMs();
    e.info.attempts += 1;

    // Apply per-recipient outcomes to the pending recipients, in order.
    QList<RcptStatus> statuses;
    QHash<QByteArray, RecipientOutcome> byRcpt;
    for (const RecipientOutcome &o : result.recipients)
        byRcpt.insert(o.rcpt, o);
    QStringList delivered, deferred, failed;
    QString lastReply;
    for (queue::RecipientInfo &r : e.info.recipients) {
        if (r.state != RecipientState::Pending)
            continue;
        r.attempts += 1;
        const auto o = byRcpt.constFind(r.address);
        RcptStatus st = RcptStatus::Deferred;
        QString reply = result.error.isEmpty() ? QStringLiteral("no result for this recipient") : result.error;
        if (o != byRcpt.cend()) {
            st = o->status;
            reply = o->reply;
        }
        r.lastReply = reply;
        lastReply = reply;
        switch (st) {
        case RcptStatus::Delivered:
            r.state = RecipientState::Delivered;
            delivered << QString::fromUtf8(r.address);
            break;
        case RcptStatus::Failed:
            r.state = RecipientState::Failed;
            failed << QString::fromUtf8(r.address);
            break;
        case RcptStatus::Deferred:
            deferred << QString::fromUtf8(r.address);
            break;
        }
    }

    // Expired? Pending recipients past the maximum age fail now.
    const qint64 ageMs = now - e.info.received.toMSecsSinceEpoch();
    QStringList expired;
    if (!deferred.isEmpty() && ageMs > m_settings.maxAgeSeconds * 1000) {
        for (queue::RecipientInfo &r : e.info.recipients) {
            if (r.state == RecipientState::Pending) {
                r.state = RecipientState::Failed;
                r.lastReply = QStringLiteral("expired after %1 s in the queue; last error: %2")
                                  .arg(ageMs / 1000)
                                  .arg(r.lastReply);
                expired << QString::fromUtf8(r.address);
            }
        }
        failed << expired;
        deferred.clear();
    }

    queue::AttemptUpdate u;
    u.queueId = qid;
    u.attempts = e.info.attempts;
    u.host = QStringLiteral("%1:%2").arg(result.host).arg(result.port);
    u.lastError = lastReply;
    e.info.lastError = lastReply;
    if (!deferred.isEmpty()) {
        e.info.state = MessageState::Deferred;
        e.info.nextAttempt = QDateTime::fromMSecsSinceEpoch(now + retryDelayMs(e.info.attempts), Qt::UTC);
        u.result = delivered.isEmpty() && failed.isEmpty() ? QStringLiteral("deferred") : QStringLiteral("partial");
    } else if (!failed.isEmpty()) {
        e.info.state = MessageState::Failed;
        e.info.nextAttempt = QDateTime();
        u.result = QStringLiteral("failed");
    } else {
        u.result = QStringLiteral("delivered");
        u.remove = true;
    }
    u.state = e.info.state;
    u.nextAttempt = e.info.nextAttempt;
    u.recipients = e.info.recipients;

    // One log row per outcome group.
    auto logGroup = [&](const QStringList &rcpts, const QString &res, const QString &level) {
        if (rcpts.isEmpty())
            return;
        log::LogEvent ev;
        ev.kind = log::LogKind::Delivery;
        ev.level = level;
        ev.direction = QStringLiteral("out");
        ev.clientIp = result.peerAddress.isEmpty() ? result.host : result.peerAddress;
        ev.clientName = result.host;
        ev.sender = QString::fromUtf8(e.info.sender);
        ev.recipients = rcpts.join(QLatin1Char(','));
        ev.queueId = qid;
        ev.bytes = res == QLatin1String("delivered") ? result.bytes : 0;
        ev.durationMs = result.durationMs;
        ev.result = res;
        // The reply of the first recipient of the group.
        QString reply;
        for (const RecipientOutcome &o : result.recipients) {
            if (o.rcpt == rcpts.first().toUtf8()) {
                reply = o.reply;
                ev.replyCode = o.code;
            }
        }
        if (reply.isEmpty())
            reply = result.error;
        for (const queue::RecipientInfo &r : e.info.recipients) {
            if (r.address == rcpts.first().toUtf8() && reply.isEmpty())
                reply = r.lastReply;
        }
        const QStringList parts = reply.split(QLatin1Char(' '));
        if (ev.replyCode == 0 && !parts.isEmpty())
            ev.replyCode = parts.first().toInt();
        if (parts.size() > 1 && parts.at(1).count(QLatin1Char('.')) == 2)
            ev.enhancedCode = parts.at(1);
        ev.message = reply;
        if (res == QLatin1String("deferred"))
            ev.message += QStringLiteral(" (attempt %1, next in %2 s)")
                              .arg(e.info.attempts)
                              .arg(retryDelayMs(e.info.attempts) / 1000);
        m_log(ev);
    };
    logGroup(delivered, QStringLiteral("delivered"), QStringLiteral("info"));
    logGroup(deferred, QStringLiteral("deferred"), QStringLiteral("warning"));
    logGroup(failed, QStringLiteral("failed"), QStringLiteral("error"));
    m_counters.delivered += delivered.size();
    m_counters.deferred += deferred.size();
    m_counters.failed += failed.size();

    m_store->recordAttempt(u);
    if (u.remove || m_removeWhenDone.contains(qid)) {
        if (!u.remove)
            m_store->remove(qid);
        m_removeWhenDone.remove(qid);
        m_entries.erase(it);
    } else if (e.info.state == MessageState::Deferred) {
        schedule(qid, e.info.nextAttempt.toMSecsSinceEpoch());
        armTimer();
    }
    emit changed();
}

QString DeliveryAgent::retryNow(const QStringList &ids)
{
    int n = 0;
    for (const QString &id : ids) {
        auto it = m_entries.find(id);
        if (it == m_entries.end() || m_inFlight.contains(id) || it->info.state == MessageState::Held)
            continue;
        if (it->info.state == MessageState::Failed)
            continue;
        it->info.state = MessageState::Queued;
        it->info.nextAttempt = QDateTime::currentDateTimeUtc();
        schedule(id, 0);
        m_store->setState(id, MessageState::Queued, it->info.nextAttempt);
        ++n;
    }
    QMetaObject::invokeMethod(this, &DeliveryAgent::pump, Qt::QueuedConnection);
    emit changed();
    return QStringLiteral("%1 of %2 message(s) scheduled for delivery now").arg(n).arg(ids.size());
}

QString DeliveryAgent::hold(const QStringList &ids)
{
    int n = 0;
    for (const QString &id : ids) {
        auto it = m_entries.find(id);
        if (it == m_entries.end() || it->info.state == MessageState::Failed)
            continue;
        it->info.state = MessageState::Held; // an attempt in flight still completes
        m_store->setState(id, MessageState::Held, QDateTime());
        ++n;
    }
    emit changed();
    return QStringLiteral("%1 of %2 message(s) held").arg(n).arg(ids.size());
}

QString DeliveryAgent::release(const QStringList &ids)
{
    int n = 0;
    for (const QString &id : ids) {
        auto it = m_entries.find(id);
        if (it == m_entries.end() || it->info.state != MessageState::Held)
            continue;
        it->info.state = MessageState::Queued;
        it->info.nextAttempt = QDateTime::currentDateTimeUtc();
        m_store->setState(id, MessageState::Queued, it->info.nextAttempt);
        schedule(id, 0);
        ++n;
    }
    QMetaObject::invokeMethod(this, &DeliveryAgent::pump, Qt::QueuedConnection);
    emit changed();
    return QStringLiteral("%1 of %2 message(s) released").arg(n).arg(ids.size());
}

QString DeliveryAgent::remove(const QStringList &ids)
{
    int n = 0;
    for (const QString &id : ids) {
        if (!m_entries.contains(id))
            continue;
        if (m_inFlight.contains(id)) {
            m_removeWhenDone.insert(id);
        } else {
            m_entries.remove(id);
            m_store->remove(id);
        }
        ++n;
    }
    emit changed();
    return QStringLiteral("%1 of %2 message(s) deleted").arg(n).arg(ids.size());
}

void DeliveryAgent::stop()
{
    m_stopping = true;
    m_timer.stop();
    const auto conns = m_connections.keys();
    for (OutboundConnection *c : conns) {
        c->disconnect(this);
        delete c;
    }
    m_connections.clear();
}

} // namespace rd::delivery

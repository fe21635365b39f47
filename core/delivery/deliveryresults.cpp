// DeliveryAgent, part 2: what happens after a job — per-recipient state, the
// retry schedule, expiry, bounces (DSNs through BounceFn), log rows — and the
// admin actions that end a message (delete, bounce).

#include "delivery/deliveryagent.h"

#include <QDateTime>
#include <QPointer>
#include "util/clock.h"

namespace rd::delivery {

using queue::MessageState;
using queue::RecipientState;

namespace {
using util::nowMs;

// Admin delete-with-bounce / bounce: every recipient not yet delivered or
// bounced fails with `why`; returns them for the DSN.
QList<BounceRecipient> failUndelivered(queue::QueueEntry &e, const QString &why)
{
    QList<BounceRecipient> rcpts;
    for (queue::RecipientInfo &r : e.info.recipients) {
        if (r.state != RecipientState::Pending && r.state != RecipientState::Failed)
            continue;
        r.state = RecipientState::Failed;
        r.lastReply = QStringLiteral("%1; last reply: %2").arg(why, r.lastReply);
        rcpts << BounceRecipient{r.address, r.lastReply, QString()};
    }
    return rcpts;
}

} // namespace

void DeliveryAgent::logOutcome(const queue::QueueEntry &e, const DeliveryResult &result, const QStringList &rcpts,
                               const QString &res, const QString &level)
{
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
    ev.queueId = e.info.queueId;
    ev.bytes = res == QLatin1String("delivered") ? result.bytes : 0;
    ev.durationMs = result.durationMs;
    ev.tlsVersion = result.tlsVersion;
    ev.tlsCipher = result.tlsCipher;
    ev.result = res;
    QString reply;
    const QByteArray first = rcpts.first().toUtf8();
    for (const RecipientOutcome &o : result.recipients) {
        if (o.rcpt == first) {
            reply = o.reply;
            ev.replyCode = o.code;
        }
    }
    if (reply.isEmpty())
        reply = result.error;
    const QStringList parts = reply.split(QLatin1Char(' '));
    if (ev.replyCode == 0 && !parts.isEmpty())
        ev.replyCode = parts.first().toInt();
    if (parts.size() > 1 && parts.at(1).count(QLatin1Char('.')) == 2 && parts.at(1).at(0).isDigit())
        ev.enhancedCode = parts.at(1);
    ev.message = reply;
    if (res == QLatin1String("deferred")) {
        const int attempt = e.info.attempts + 1;
        ev.message += QStringLiteral(" (attempt %1, next in %2 s)").arg(attempt).arg(retryDelayMs(attempt) / 1000);
    }
    m_log(ev);
}

void DeliveryAgent::jobDone(const QString &qid, const DeliveryResult &result)
{
    auto rit = m_rounds.find(qid);
    if (rit == m_rounds.end())
        return;
    auto eit = m_entries.find(qid);
    if (eit != m_entries.end()) {
        QStringList delivered, deferred, failed;
        for (const RecipientOutcome &o : result.recipients) {
            const QString a = QString::fromUtf8(o.rcpt);
            switch (o.status) {
            case RcptStatus::Delivered: delivered << a; break;
            case RcptStatus::Deferred: deferred << a; break;
            case RcptStatus::Failed: failed << a; break;
            }
        }
        logOutcome(*eit, result, delivered, QStringLiteral("delivered"), QStringLiteral("info"));
        logOutcome(*eit, result, deferred, QStringLiteral("deferred"), QStringLiteral("warning"));
        logOutcome(*eit, result, failed, QStringLiteral("failed"), QStringLiteral("error"));
    }
    rit->merged.recipients << result.recipients;
    if (!result.host.isEmpty()) {
        const QString h = result.port ? QStringLiteral("%1:%2").arg(result.host).arg(result.port) : result.host;
        if (!rit->hosts.contains(h))
            rit->hosts << h;
    }
    if (--rit->jobsLeft <= 0)
        finishRound(qid);
}

void DeliveryAgent::finishRound(const QString &qid)
{
    const Round round = m_rounds.take(qid);
    auto it = m_entries.find(qid);
    if (it == m_entries.end())
        return;
    queue::QueueEntry &e = *it;
    const qint64 now = nowMs();
    e.info.attempts += 1;
    const QString hosts = round.hosts.join(QStringLiteral(", "));

    QHash<QByteArray, RecipientOutcome> byRcpt;
    for (const RecipientOutcome &o : round.merged.recipients)
        byRcpt.insert(o.rcpt, o);
    QList<BounceRecipient> failedNow;
    bool pending = false, delivered = false;
    QString lastReply;
    for (queue::RecipientInfo &r : e.info.recipients) {
        if (r.state != RecipientState::Pending)
            continue;
        r.attempts += 1;
        const auto o = byRcpt.constFind(r.address);
        const RcptStatus st = o == byRcpt.cend() ? RcptStatus::Deferred : o->status;
        r.lastReply = o == byRcpt.cend() ? QStringLiteral("no result for this recipient") : o->reply;
        lastReply = r.lastReply;
        switch (st) {
        case RcptStatus::Delivered:
            r.state = RecipientState::Delivered;
            delivered = true;
            ++m_counters.delivered;
            break;
        case RcptStatus::Failed:
            r.state = RecipientState::Failed;
            failedNow << BounceRecipient{r.address, r.lastReply, hosts};
            ++m_counters.failed;
            break;
        case RcptStatus::Deferred:
            pending = true;
            ++m_counters.deferred;
            break;
        }
    }

    // Pending recipients past the maximum age, or returned by the admin, fail now.
    const qint64 ageMs = now - e.info.received.toMSecsSinceEpoch();
    const bool adminBounce = m_bounceWhenDone.remove(qid);
    if (pending && (adminBounce || ageMs > m_settings.maxAgeSeconds * 1000)) {
        QStringList expired;
        for (queue::RecipientInfo &r : e.info.recipients) {
            if (r.state != RecipientState::Pending)
                continue;
            r.state = RecipientState::Failed;
            r.lastReply = adminBounce
                ? QStringLiteral("returned to the sender by the administrator; last reply: %1").arg(r.lastReply)
                : QStringLiteral("4.4.7 expired after %1 s in the queue; last reply: %2").arg(ageMs / 1000).arg(r.lastReply);
            failedNow << BounceRecipient{r.address, r.lastReply, hosts};
            expired << QString::fromUtf8(r.address);
            ++m_counters.failed;
        }
        DeliveryResult r;
        r.host = hosts;
        r.error = e.info.recipients.isEmpty() ? QString() : failedNow.last().reply;
        logOutcome(e, r, expired, adminBounce ? QStringLiteral("bounced") : QStringLiteral("expired"),
                   QStringLiteral("error"));
        pending = false;
    }
    bool unbounced = false;
    for (const queue::RecipientInfo &r : std::as_const(e.info.recipients))
        unbounced = unbounced || r.state == RecipientState::Failed;

    queue::AttemptUpdate u;
    u.queueId = qid;
    u.attempts = e.info.attempts;
    u.host = hosts;
    u.lastError = lastReply;
    e.info.lastError = lastReply;
    if (pending) {
        e.info.state = MessageState::Deferred;
        e.info.nextAttempt = QDateTime::fromMSecsSinceEpoch(now + retryDelayMs(e.info.attempts), Qt::UTC);
        u.result = delivered || !failedNow.isEmpty() ? QStringLiteral("partial") : QStringLiteral("deferred");
    } else if (unbounced) {
        e.info.state = MessageState::Failed; // until its bounce is queued
        e.info.nextAttempt = QDateTime();
        u.result = delivered ? QStringLiteral("partial") : QStringLiteral("failed");
    } else {
        u.result = QStringLiteral("delivered");
        u.remove = true;
    }
    u.state = e.info.state;
    u.nextAttempt = e.info.nextAttempt;
    u.recipients = e.info.recipients;
    m_store->recordAttempt(u);

    const bool removeNow = m_removeWhenDone.remove(qid) && failedNow.isEmpty();
    if (u.remove || removeNow) {
        if (removeNow && !u.remove)
            m_store->remove(qid);
        m_entries.erase(it);
    } else {
        if (pending) {
            schedule(qid, e.info.nextAttempt.toMSecsSinceEpoch());
            armTimer();
            if (m_settings.delayWarningSeconds > 0 && !e.delayWarned &&
                ageMs > m_settings.delayWarningSeconds * 1000) {
                e.delayWarned = true;
                QList<BounceRecipient> waiting;
                for (const queue::RecipientInfo &r : std::as_const(e.info.recipients)) {
                    if (r.state == RecipientState::Pending)
                        waiting << BounceRecipient{r.address, r.lastReply, hosts};
                }
                sendBounces(qid, waiting, true);
            }
        }
        if (!failedNow.isEmpty())
            sendBounces(qid, failedNow, false);
    }
    emit changed();
}

void DeliveryAgent::sendBounces(const QString &qid, QList<BounceRecipient> rcpts, bool delay)
{
    auto it = m_entries.find(qid);
    if (it == m_entries.end() || rcpts.isEmpty())
        return;
    QPointer<DeliveryAgent> self(this);
    auto finish = [self, qid, rcpts, delay](bool ok) {
        if (!self || delay)
            return;
        auto it = self->m_entries.find(qid);
        if (it == self->m_entries.end())
            return;
        queue::QueueEntry &e = *it;
        if (!ok)
            return; // stays Failed: bounced again at the next start
        bool pending = false;
        for (queue::RecipientInfo &r : e.info.recipients) {
            for (const BounceRecipient &b : rcpts) {
                if (r.address == b.address && r.state == RecipientState::Failed)
                    r.state = RecipientState::Bounced;
            }
            pending = pending || r.state == RecipientState::Pending;
        }
        ++self->m_counters.bounces;
        queue::AttemptUpdate u; // a state update, no attempt row (empty result)
        u.queueId = qid;
        u.attempts = e.info.attempts;
        u.state = pending ? e.info.state : MessageState::Failed;
        u.nextAttempt = e.info.nextAttempt;
        u.lastError = e.info.lastError;
        u.recipients = e.info.recipients;
        u.remove = !pending && e.info.state != MessageState::InDelivery;
        self->m_store->recordAttempt(u);
        if (u.remove)
            self->m_entries.erase(it);
        emit self->changed();
    };
    const queue::QueueEntry &e = *it;
    if (e.info.sender.isEmpty() || !m_bounce) {
        if (!delay) {
            QStringList list;
            for (const BounceRecipient &b : rcpts)
                list << QString::fromUtf8(b.address);
            log::LogEvent ev;
            ev.kind = log::LogKind::Delivery;
            ev.level = QStringLiteral("warning");
            ev.direction = QStringLiteral("out");
            ev.queueId = qid;
            ev.recipients = list.join(QLatin1Char(','));
            ev.result = QStringLiteral("dropped");
            ev.message = e.info.sender.isEmpty()
                ? QStringLiteral("undeliverable message from the null sender <>: no bounce is sent (RFC 5321 4.5.5)")
                : QStringLiteral("undeliverable; no bounce service available");
            m_log(ev);
            if (m_badmail) {
                QStringList replies;
                for (const BounceRecipient &b : rcpts)
                    replies << QStringLiteral("%1: %2").arg(QString::fromUtf8(b.address), b.reply);
                m_badmail(e, QStringLiteral("%1; %2").arg(ev.message, replies.join(QStringLiteral("; "))));
            }
        }
        finish(true);
        return;
    }
    m_bounce(e, rcpts, delay, finish);
}

QString DeliveryAgent::remove(const QStringList &ids, bool withBounce)
{
    int n = 0;
    for (const QString &id : ids) {
        auto it = m_entries.find(id);
        if (it == m_entries.end())
            continue;
        ++n;
        if (m_rounds.contains(id)) {
            m_removeWhenDone.insert(id);
            if (withBounce)
                m_bounceWhenDone.insert(id);
            continue;
        }
        const QList<BounceRecipient> rcpts =
            withBounce ? failUndelivered(*it, QStringLiteral("deleted by the administrator")) : QList<BounceRecipient>();
        if (rcpts.isEmpty() || it->info.sender.isEmpty()) {
            m_store->remove(id);
            m_entries.erase(it);
            continue;
        }
        it->info.state = MessageState::Failed;
        sendBounces(id, rcpts, false); // removes the message once the bounce is queued
    }
    emit changed();
    return QStringLiteral("%1 of %2 message(s) deleted").arg(n).arg(ids.size());
}

QString DeliveryAgent::bounce(const QStringList &ids)
{
    int n = 0;
    for (const QString &id : ids) {
        auto it = m_entries.find(id);
        if (it == m_entries.end())
            continue;
        ++n;
        if (m_rounds.contains(id)) {
            m_bounceWhenDone.insert(id);
            continue;
        }
        const QList<BounceRecipient> rcpts =
            failUndelivered(*it, QStringLiteral("returned to the sender by the administrator"));
        it->info.state = MessageState::Failed;
        queue::AttemptUpdate u;
        u.queueId = id;
        u.attempts = it->info.attempts;
        u.state = MessageState::Failed;
        u.host = QStringLiteral("administrator");
        u.result = QStringLiteral("bounced");
        u.lastError = QStringLiteral("returned to the sender by the administrator");
        u.recipients = it->info.recipients;
        m_store->recordAttempt(u);
        sendBounces(id, rcpts, false);
    }
    emit changed();
    return QStringLiteral("%1 of %2 message(s) returned to the sender").arg(n).arg(ids.size());
}

} // namespace rd::delivery

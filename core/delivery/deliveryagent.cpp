// DeliveryAgent, part 1: scheduling, routing to destinations, connection
// pools and admin actions. Results, bounces and logging: deliveryresults.cpp.

#include "delivery/deliveryagent.h"

#include "config/settings.h"
#include "delivery/connectorprobe.h"
#include "delivery/outboundconnection.h"

#include <QDateTime>
#include <QHostAddress>
#include <QPointer>
#include <QUrl>
#include "util/clock.h"

namespace rd::delivery {

using queue::MessageState;
using queue::RecipientState;

namespace {
using util::nowMs;

constexpr qint64 kMxCacheMs = 60000;     // the resolver caches by TTL; re-ask it after this
constexpr int kIdleLingerMs = 2000;      // keep an idle connection for mail arriving soon
constexpr int kMaxTargets = 10;          // addresses tried per destination and attempt

bool schedulable(MessageState s)
{
    return s == MessageState::Queued || s == MessageState::Deferred;
}

QString domainOf(const QByteArray &address)
{
    const qsizetype at = address.lastIndexOf('@');
    return at < 0 ? QString() : QString::fromUtf8(address.mid(at + 1)).toLower();
}

} // namespace

DeliveryAgent::DeliveryAgent(queue::QueueStore *store, LogFn log, QObject *parent)
    : QObject(parent), m_store(store), m_log(std::move(log))
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &DeliveryAgent::pump);
    m_throttleTimer.setSingleShot(true);
    connect(&m_throttleTimer, &QTimer::timeout, this, &DeliveryAgent::pump);
    m_clock.start();
    m_lingerSweep.setInterval(kIdleLingerMs / 4);
    connect(&m_lingerSweep, &QTimer::timeout, this, &DeliveryAgent::sweepIdleConnections);
}

void DeliveryAgent::sweepIdleConnections()
{
    const qint64 now = m_clock.elapsed();
    bool anyIdle = false;
    QList<OutboundConnection *> expired;
    for (auto it = m_connections.begin(); it != m_connections.end(); ++it) {
        if (it->jobId != 0 || !it.key()->isIdle())
            continue;
        if (now - it->idleSinceMs >= kIdleLingerMs)
            expired << it.key();
        else
            anyIdle = true;
    }
    for (OutboundConnection *c : std::as_const(expired))
        c->quit(); // may call back into this object: not while iterating
    if (!anyIdle)
        m_lingerSweep.stop();
}

DeliveryAgent::~DeliveryAgent()
{
    stop();
}

void DeliveryAgent::setTokens(oauth::TokenManager *tokens)
{
    m_tokens = tokens;
    if (m_tokens)
        configureTokens(m_tokens, m_settings.connectors);
}

void DeliveryAgent::configure(const DeliverySettings &settings)
{
    m_settings = settings;
    if (m_tokens)
        configureTokens(m_tokens, m_settings.connectors);
    // Routes may have changed: forget destinations with nothing in flight;
    // the others are dropped when their last connection closes.
    for (auto it = m_destinations.begin(); it != m_destinations.end();) {
        if ((*it)->connections == 0 && (*it)->pending.empty())
            it = m_destinations.erase(it);
        else
            ++it;
    }
    for (auto it = m_connections.begin(); it != m_connections.end(); ++it) {
        if (it->jobId == 0 && it.key()->isIdle())
            it.key()->quit();
    }
    QMetaObject::invokeMethod(this, &DeliveryAgent::pump, Qt::QueuedConnection);
}

void DeliveryAgent::load(const QVector<queue::QueueEntry> &entries)
{
    QStringList unbounced;
    for (queue::QueueEntry e : entries) {
        if (e.info.state == MessageState::InDelivery)
            e.info.state = MessageState::Queued; // the attempt died with the previous run
        m_entries.insert(e.info.queueId, e);
        bool failed = false;
        for (const queue::RecipientInfo &r : e.info.recipients)
            failed = failed || r.state == RecipientState::Failed;
        if (failed)
            unbounced << e.info.queueId; // the bounce was not queued before the stop
        if (schedulable(e.info.state)) {
            const qint64 due = e.info.nextAttempt.isValid() ? e.info.nextAttempt.toMSecsSinceEpoch() : 0;
            schedule(e.info.queueId, due);
        }
    }
    for (const QString &qid : unbounced) {
        QList<BounceRecipient> rcpts;
        for (const queue::RecipientInfo &r : m_entries[qid].info.recipients) {
            if (r.state == RecipientState::Failed)
                rcpts << BounceRecipient{r.address, r.lastReply, QString()};
        }
        sendBounces(qid, rcpts, false);
    }
    emit changed();
    QMetaObject::invokeMethod(this, &DeliveryAgent::pump, Qt::QueuedConnection);
}

void DeliveryAgent::enqueue(const queue::QueueEntry &entry)
{
    m_entries.insert(entry.info.queueId, entry);
    if (schedulable(entry.info.state))
        schedule(entry.info.queueId, 0); // a message held on arrival waits for release()
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
        if (e == m_entries.end() || m_rounds.contains(id) || !schedulable(e->info.state))
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
    QString qid;
    while (takeDue(&qid))
        dispatch(qid);
    const auto dests = m_destinations.values(); // service() may add or drop entries
    for (const std::shared_ptr<Destination> &d : dests) {
        if (!d->pending.empty())
            service(*d);
    }
    armTimer();
}

void DeliveryAgent::dispatch(const QString &qid)
{
    queue::QueueEntry &e = m_entries[qid];
    DeliveryResult unrouted; // recipients no connector takes: they wait (and expire) like deferred ones
    unrouted.queueId = qid;
    QStringList order;
    QHash<QString, Job> jobs;
    for (const queue::RecipientInfo &r : std::as_const(e.info.recipients)) {
        if (r.state != RecipientState::Pending)
            continue;
        QString why;
        Destination *d = destinationFor(domainOf(r.address), &why);
        if (!d) {
            unrouted.error = why;
            unrouted.recipients << RecipientOutcome{r.address, RcptStatus::Deferred, 0, why};
            continue;
        }
        if (!jobs.contains(d->key)) {
            order << d->key;
            Job j;
            j.id = m_nextJobId++;
            j.qid = qid;
            jobs.insert(d->key, j);
        }
        jobs[d->key].rcpts << r.address;
    }
    Round round;
    round.merged.queueId = qid;
    round.jobsLeft = int(jobs.size()) + (unrouted.recipients.isEmpty() ? 0 : 1);
    if (round.jobsLeft == 0)
        return; // nothing pending
    m_rounds.insert(qid, round);
    e.info.state = MessageState::InDelivery;
    m_store->setState(qid, MessageState::InDelivery, e.info.nextAttempt); // for the queue viewer
    for (const QString &key : std::as_const(order))
        m_destinations.value(key)->pending.push_back(jobs.value(key));
    if (!unrouted.recipients.isEmpty())
        jobDone(qid, unrouted);
    emit changed();
}

DeliveryAgent::Destination *DeliveryAgent::destinationFor(const QString &domain, QString *why)
{
    const int idx = config::routeFor(m_settings.connectors, domain);
    if (idx < 0) {
        *why = m_settings.connectors.isEmpty()
            ? QStringLiteral("no route: no send connector and no smart host (delivery.smarthost) configured")
            : QStringLiteral("no route: no send connector matches domain %1").arg(domain);
        return nullptr;
    }
    const config::SendConnectorConfig &c = m_settings.connectors.at(idx);
    const QString key = c.usesMx() ? c.name + QLatin1Char('|') + domain : c.name;
    auto it = m_destinations.find(key);
    if (it != m_destinations.end() && (*it)->connector == idx)
        return it->get();
    auto d = std::make_shared<Destination>();
    d->key = key;
    d->connector = idx;
    d->domain = domain;
    if (!c.usesMx()) {
        for (const QString &hp : c.smartHosts) {
            Target t;
            QString err;
            if (config::parseHostPort(hp, &t.host, &t.port, &err)) {
                t.tlsName = t.host;
                d->targets << t;
            }
        }
        d->resolvedAtMs = nowMs();
    }
    m_destinations.insert(key, d);
    return d.get();
}

void DeliveryAgent::service(Destination &d)
{
    if (d.pending.empty() || m_stopping)
        return;
    if (d.connector < 0 || d.connector >= m_settings.connectors.size()) {
        failJobsNow(d, RcptStatus::Deferred, 0, QStringLiteral("no route: the send connector was removed"));
        return;
    }
    const config::SendConnectorConfig &c = m_settings.connectors.at(d.connector);
    if (c.usesMx()) {
        if (d.resolving)
            return;
        if (d.resolvedAtMs < 0 || nowMs() - d.resolvedAtMs > kMxCacheMs) {
            resolve(d);
            return;
        }
        switch (d.status) {
        case MxAnswer::Status::Ok: break;
        case MxAnswer::Status::NullMx:
            failJobsNow(d, RcptStatus::Failed, 556,
                        QStringLiteral("556 5.1.10 domain %1 accepts no mail (null MX, RFC 7505)").arg(d.domain));
            return;
        case MxAnswer::Status::NoSuchDomain:
            failJobsNow(d, RcptStatus::Failed, 550,
                        QStringLiteral("550 5.1.2 domain %1 not found: %2").arg(d.domain, d.error));
            return;
        case MxAnswer::Status::TempFail:
            failJobsNow(d, RcptStatus::Deferred, 0,
                        QStringLiteral("451 4.4.3 DNS lookup for %1 failed: %2").arg(d.domain, d.error));
            return;
        }
    }
    if (d.targets.isEmpty()) {
        failJobsNow(d, RcptStatus::Deferred, 0, QStringLiteral("no usable host for send connector %1").arg(c.name));
        return;
    }
    for (auto it = m_connections.begin(); it != m_connections.end() && !d.pending.empty(); ++it) {
        if (it->destKey == d.key && it->jobId == 0 && it.key()->isIdle() &&
            it->messages < c.maxMessagesPerConnection) {
            if (throttled(d, d.pending.front()))
                return;
            Job job = d.pending.front();
            d.pending.pop_front();
            startJob(it.key(), d, job);
        }
    }
    while (!d.pending.empty() && d.connections < c.maxConnections &&
           m_connections.size() < m_settings.maxConnections) {
        const QString domain = domainOf(d.pending.front().rcpts.value(0));
        if (m_throttle.mayOpenConnection && !m_throttle.mayOpenConnection(c.name, domain))
            break; // a connection closing pumps again
        if (throttled(d, d.pending.front())) {
            if (m_throttle.connectionClosed)
                m_throttle.connectionClosed(c.name, domain);
            return;
        }
        Job job = d.pending.front();
        d.pending.pop_front();
        const Target &t = d.targets.at(job.targetIndex % d.targets.size());
        OutboundConnection *conn = newConnection(d, t);
        m_connections[conn].throttleDomain = domain;
        startJob(conn, d, job);
    }
    if (!d.pending.empty() && m_connections.size() >= m_settings.maxConnections) {
        // At the global limit: free a slot held by an idle connection elsewhere.
        for (auto it = m_connections.begin(); it != m_connections.end(); ++it) {
            if (it->destKey != d.key && it->jobId == 0 && it.key()->isIdle()) {
                it.key()->quit(); // closed() follows, then pump()
                break;
            }
        }
    }
}

void DeliveryAgent::resolve(Destination &d)
{
    d.resolving = true;
    const QString key = d.key;
    const QString domain = d.domain;
    auto apply = [this, key](const MxAnswer &a) {
        auto it = m_destinations.find(key);
        if (it == m_destinations.end())
            return;
        Destination &dest = **it;
        dest.resolving = false;
        dest.resolvedAtMs = nowMs();
        dest.status = a.status;
        dest.error = a.detail;
        dest.targets.clear();
        dest.tlsPolicies = a.tlsPolicies;
        for (const MxHost &h : a.hosts) {
            for (const QString &addr : h.addresses) {
                if (dest.targets.size() < kMaxTargets)
                    dest.targets << Target{addr, m_settings.mxPort, h.name};
            }
        }
        if (a.status == MxAnswer::Status::Ok && dest.targets.isEmpty()) {
            dest.status = MxAnswer::Status::TempFail;
            dest.error = QStringLiteral("no address for any MX host");
        }
        service(dest);
    };
    // An address literal (user@[192.0.2.1]) needs no DNS.
    if (domain.startsWith(QLatin1Char('[')) && domain.endsWith(QLatin1Char(']'))) {
        QString lit = domain.mid(1, domain.size() - 2);
        if (lit.startsWith(QLatin1String("ipv6:"), Qt::CaseInsensitive))
            lit = lit.mid(5);
        MxAnswer a;
        QHostAddress addr;
        if (addr.setAddress(lit)) {
            a.status = MxAnswer::Status::Ok;
            a.hosts << MxHost{lit, {addr.toString()}};
        } else {
            a.status = MxAnswer::Status::NoSuchDomain;
            a.detail = QStringLiteral("not a valid address literal");
        }
        QMetaObject::invokeMethod(this, [apply, a] { apply(a); }, Qt::QueuedConnection);
        return;
    }
    if (!m_mxLookup) {
        MxAnswer a;
        a.detail = QStringLiteral("no DNS resolver available");
        QMetaObject::invokeMethod(this, [apply, a] { apply(a); }, Qt::QueuedConnection);
        return;
    }
    QPointer<DeliveryAgent> self(this);
    m_mxLookup(domain, [self, apply](MxAnswer a) {
        if (self && !self->m_stopping)
            apply(a);
    });
}

void DeliveryAgent::failJobsNow(Destination &d, RcptStatus status, int code, const QString &reply)
{
    std::deque<Job> jobs;
    jobs.swap(d.pending);
    for (const Job &job : jobs) {
        DeliveryResult r;
        r.queueId = job.qid;
        r.jobId = job.id;
        r.host = d.domain.isEmpty() ? d.key : d.domain;
        r.error = reply;
        for (const QByteArray &rcpt : job.rcpts)
            r.recipients << RecipientOutcome{rcpt, status, code, reply};
        jobDone(job.qid, r);
    }
}

OutboundConnection *DeliveryAgent::newConnection(Destination &d, const Target &t)
{
    ConnectionOptions o = connectionOptionsFor(m_settings.connectors.at(d.connector), t.host, t.port,
                                               m_settings.heloName);
    o.tlsName = t.tlsName;
    auto *conn = new OutboundConnection(o, this);
    conn->setOAuth(oauthBindingFor(m_settings.connectors.at(d.connector), m_tokens));
    if (m_settings.connectors.at(d.connector).usesMx()) {
        const auto policy = d.tlsPolicies.constFind(t.tlsName.toLower());
        if (policy != d.tlsPolicies.constEnd())
            conn->setMxTlsPolicy(*policy);
        connect(conn, &OutboundConnection::tlsChecked, this, &DeliveryAgent::tlsChecked);
    }
    ++d.connections;
    m_connections.insert(conn, ConnState{d.key, 0, 0});
    connect(conn, &OutboundConnection::jobFinished, this,
            [this, conn](const DeliveryResult &r) { onJobFinished(conn, r); });
    connect(conn, &OutboundConnection::idle, this, [this, conn] { onIdle(conn); });
    connect(conn, &OutboundConnection::closed, this, [this, conn] { onClosed(conn); });
    return conn;
}

QByteArray masquerade(const QByteArray &sender, const QString &domain)
{
    const int at = sender.lastIndexOf('@');
    if (domain.isEmpty() || sender.isEmpty() || at <= 0)
        return sender;
    return sender.left(at + 1) + QUrl::toAce(domain);
}

DeliveryJob DeliveryAgent::makeJob(const queue::QueueEntry &e, const Job &job) const
{
    DeliveryJob dj;
    dj.queueId = e.info.queueId;
    dj.jobId = job.id;
    dj.mailFrom = masquerade(e.info.sender, m_settings.masqueradeDomain);
    dj.rcpts = job.rcpts;
    dj.spoolPath = e.spoolPath;
    dj.bodyOffset = e.bodyOffset;
    dj.size = e.info.size;
    dj.eightBit = e.eightBit;
    dj.smtpUtf8 = e.smtpUtf8;
    dj.prepend = (m_headers ? m_headers(e) : QByteArray()) + e.prepend;
    return dj;
}

QDateTime DeliveryAgent::oldestReceived() const
{
    QDateTime oldest;
    for (const queue::QueueEntry &e : m_entries) {
        if (e.info.received.isValid() && (!oldest.isValid() || e.info.received < oldest))
            oldest = e.info.received;
    }
    return oldest;
}

QString DeliveryAgent::connectorName(const Destination &d) const
{
    if (d.connector < 0 || d.connector >= m_settings.connectors.size())
        return QString();
    return m_settings.connectors.at(d.connector).name;
}

bool DeliveryAgent::throttled(const Destination &d, const Job &job)
{
    if (!m_throttle.mayStartMessage)
        return false;
    qint64 retryAt = 0;
    if (m_throttle.mayStartMessage(connectorName(d), domainOf(job.rcpts.value(0)), &retryAt))
        return false;
    const qint64 wait = std::clamp<qint64>(retryAt - nowMs(), 50, 60000);
    if (!m_throttleTimer.isActive() || m_throttleTimer.remainingTime() > wait)
        m_throttleTimer.start(int(wait));
    return true;
}

void DeliveryAgent::startJob(OutboundConnection *conn, Destination &d, Job job)
{
    Q_UNUSED(d);
    ConnState &cs = m_connections[conn];
    cs.jobId = job.id;
    ++cs.messages;
    m_runningJobs.insert(job.id, job);
    conn->deliver(makeJob(m_entries.value(job.qid), job));
}

bool DeliveryAgent::connectionLevelFailure(const DeliveryResult &r)
{
    if (r.error.isEmpty())
        return false;
    for (const RecipientOutcome &o : r.recipients) {
        if (o.status != RcptStatus::Deferred)
            return false;
    }
    return true;
}

void DeliveryAgent::onJobFinished(OutboundConnection *conn, const DeliveryResult &result)
{
    auto cs = m_connections.find(conn);
    QString destKey;
    if (cs != m_connections.end()) {
        cs->jobId = -1; // finishing: reusable after idle()
        destKey = cs->destKey;
    }
    Job job = m_runningJobs.take(result.jobId);
    if (job.id == 0)
        return;
    const std::shared_ptr<Destination> d = m_destinations.value(destKey);
    DeliveryResult r = result;
    if (connectionLevelFailure(r) && d && !m_stopping && job.targetIndex + 1 < d->targets.size()) {
        // Try the next smart host / MX address in this same attempt.
        job.errors << r.error;
        ++job.targetIndex;
        d->pending.push_front(job);
        QMetaObject::invokeMethod(this, &DeliveryAgent::pump, Qt::QueuedConnection);
        return;
    }
    if (!job.errors.isEmpty() && connectionLevelFailure(r)) {
        job.errors << r.error;
        r.error = job.errors.join(QStringLiteral("; "));
        for (RecipientOutcome &o : r.recipients)
            o.reply = r.error;
    }
    jobDone(job.qid, r);
}

void DeliveryAgent::onIdle(OutboundConnection *conn)
{
    auto cs = m_connections.find(conn);
    if (cs == m_connections.end())
        return;
    cs->jobId = 0;
    const std::shared_ptr<Destination> d = m_destinations.value(cs->destKey);
    if (!m_stopping && d && d->connector >= 0 && d->connector < m_settings.connectors.size()) {
        const config::SendConnectorConfig &c = m_settings.connectors.at(d->connector);
        if (cs->messages >= c.maxMessagesPerConnection) {
            conn->quit();
            return;
        }
        if (!d->pending.empty() && !throttled(*d, d->pending.front())) {
            Job job = d->pending.front();
            d->pending.pop_front();
            startJob(conn, *d, job); // connection reuse
            return;
        }
        // Keep it a moment for mail that is about to arrive for the same place.
        cs->idleSinceMs = m_clock.elapsed();
        if (!m_lingerSweep.isActive())
            m_lingerSweep.start();
        return;
    }
    conn->quit();
}

void DeliveryAgent::onClosed(OutboundConnection *conn)
{
    const ConnState cs = m_connections.take(conn);
    conn->deleteLater();
    if (m_throttle.connectionClosed) {
        const auto dest = m_destinations.constFind(cs.destKey);
        if (dest != m_destinations.constEnd())
            m_throttle.connectionClosed(connectorName(**dest), cs.throttleDomain);
    }
    auto it = m_destinations.find(cs.destKey);
    if (it != m_destinations.end()) {
        --(*it)->connections;
        if ((*it)->connections == 0 && (*it)->pending.empty() && !(*it)->resolving &&
            ((*it)->connector >= m_settings.connectors.size() ||
             m_settings.connectors.at((*it)->connector).usesMx()))
            m_destinations.erase(it); // MX destinations come and go; smart hosts stay
    }
    if (!m_stopping)
        QMetaObject::invokeMethod(this, &DeliveryAgent::pump, Qt::QueuedConnection);
}

qint64 DeliveryAgent::retryDelayMs(int attempts) const
{
    const QVector<int> &s = m_settings.retrySchedule;
    if (s.isEmpty())
        return 300000;
    const int i = std::clamp(attempts - 1, 0, int(s.size()) - 1);
    return qint64(s.at(i)) * 1000;
}

QString DeliveryAgent::retryNow(const QStringList &ids)
{
    int n = 0;
    for (const QString &id : ids) {
        auto it = m_entries.find(id);
        if (it == m_entries.end() || m_rounds.contains(id) || it->info.state == MessageState::Held ||
            it->info.state == MessageState::Failed)
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

void DeliveryAgent::stop()
{
    m_stopping = true;
    m_timer.stop();
    m_lingerSweep.stop();
    const auto conns = m_connections.keys();
    for (OutboundConnection *c : conns) {
        c->disconnect(this);
        delete c;
    }
    m_connections.clear();
    m_destinations.clear();
    m_runningJobs.clear();
}

} // namespace rd::delivery

#include "policy/dnsbl.h"

#include "util/cidr.h"

#include <QSet>
#include <QTimer>

namespace rd::policy {

namespace {

QString quoted(const QString &s)
{
    QString out = s;
    out.replace(QLatin1Char('"'), QLatin1Char('\''));
    return QLatin1Char('"') + out + QLatin1Char('"');
}

} // namespace

QString DnsblResult::summary() const
{
    QString s;
    if (listed) {
        s = QStringLiteral("dnsbl=listed zone=%1 answer=%2 meaning=%3")
                .arg(zone, answer.toString(), quoted(meaning));
        if (!reason.isEmpty())
            s += QStringLiteral(" reason=") + quoted(reason);
        if (fromCache)
            s += QStringLiteral(" cached=1");
    } else {
        s = QStringLiteral("dnsbl=pass");
    }
    if (!errors.isEmpty())
        s += QStringLiteral(" dnsbl_errors=%1").arg(errors.size());
    return s;
}

DnsblChecker::DnsblChecker(dns::Resolver *resolver, QObject *parent)
    : QObject(parent), m_resolver(resolver)
{
    m_clock.start();
}

DnsblChecker::~DnsblChecker() = default;

void DnsblChecker::setZones(const QList<config::DnsblZone> &zones, QStringList *errors)
{
    m_zones.clear();
    QSet<QString> seen;
    for (const config::DnsblZone &z : zones) {
        if (!z.enabled)
            continue;
        Zone zone;
        zone.name = normalizedDnsblZone(z.zone);
        QString why;
        if (zone.name.isEmpty() || !dns::isValidQueryName(zone.name)) {
            if (errors)
                errors->append(QStringLiteral("DNSBL zone \"%1\" is not a valid zone name; skipped").arg(z.zone));
            continue;
        }
        if (!config::parseDnsblCodes(z.codes, &zone.codes, &why)) {
            if (errors)
                errors->append(QStringLiteral("DNSBL zone %1: codes: %2; skipped").arg(zone.name, why));
            continue;
        }
        if (seen.contains(zone.name))
            continue;
        // Cached verdicts depend on the codes: other codes, other entries.
        zone.cachePrefix = z.codes.simplified() + QLatin1Char(' ');
        seen.insert(zone.name);
        m_zones.append(zone);
    }
}

QStringList DnsblChecker::zones() const
{
    QStringList out;
    for (const Zone &z : m_zones)
        out.append(z.name);
    return out;
}

void DnsblChecker::setCacheLimits(const DnsblCacheLimits &limits)
{
    m_cache.setLimits(limits, nowMs());
}

DnsblCheckId DnsblChecker::check(const QHostAddress &client, QObject *context, DnsblCallback done)
{
    const DnsblCheckId id = m_nextId++;
    auto job = std::make_shared<Job>();
    job->id = id;
    job->client = util::normalizedAddress(client);
    job->context = context;
    job->hasContext = context != nullptr;
    job->done = std::move(done);
    m_jobs.emplace(id, job);

    const bool usable = !job->client.isNull()
        && (job->client.protocol() == QAbstractSocket::IPv4Protocol
            || job->client.protocol() == QAbstractSocket::IPv6Protocol);
    if (!usable) {
        job->extraErrors.append({QString(), QStringLiteral("the client address \"%1\" is not an IP address; not checked")
                                                 .arg(client.toString()), false});
    } else {
        const qint64 now = nowMs();
        bool asking = false;
        for (const Zone &zone : m_zones) {
            Slot slot;
            slot.zone = zone;
            slot.queryName = dnsblQueryName(job->client, zone.name);
            slot.key = zone.cachePrefix + slot.queryName;
            if (const auto cached = m_cache.find(slot.key, now)) {
                slot.outcome = *cached;
                slot.fromCache = true;
            } else {
                asking = true;
                QList<DnsblCheckId> &waiters = m_waiting[slot.key];
                waiters.append(id);
                if (waiters.size() == 1)
                    ask(zone, slot.queryName, slot.key);
            }
            job->parts.append(slot);
        }
        if (asking && m_timeoutMs > 0)
            QTimer::singleShot(m_timeoutMs, this, [this, id] { expire(id); });
    }
    // Always answered from the event loop, even when everything is cached.
    QMetaObject::invokeMethod(this, [this, id] { evaluate(id); }, Qt::QueuedConnection);
    return id;
}

void DnsblChecker::cancel(DnsblCheckId id)
{
    m_jobs.erase(id);
}

int DnsblChecker::cachedCount()
{
    return m_cache.purge(nowMs());
}

void DnsblChecker::ask(const Zone &zone, const QString &queryName, const QString &key)
{
    if (!m_resolver) {
        DnsblZoneOutcome failed;
        failed.verdict = DnsblVerdict::Error;
        failed.temporary = true;
        failed.error = QStringLiteral("no DNS resolver");
        QMetaObject::invokeMethod(
            this, [this, key, failed] { settle(key, failed); }, Qt::QueuedConnection);
        return;
    }
    m_resolver->lookup(queryName, dns::RecordType::A, this,
                       [this, zone, queryName, key](const dns::Answer &answer) {
                           onAnswer(zone, queryName, key, answer);
                       });
}

void DnsblChecker::onAnswer(const Zone &zone, const QString &queryName, const QString &key,
                            const dns::Answer &answer)
{
    DnsblZoneOutcome outcome = classifyDnsblAnswer(answer, zone.codes);
    if (outcome.verdict == DnsblVerdict::Listed && m_fetchReasons && m_resolver) {
        m_resolver->lookup(queryName, dns::RecordType::TXT, this,
                           [this, key, outcome](const dns::Answer &txt) {
                               onReason(key, outcome, txt);
                           });
        return;
    }
    settle(key, outcome);
}

void DnsblChecker::onReason(const QString &key, DnsblZoneOutcome outcome, const dns::Answer &txt)
{
    outcome.reason = dnsblReasonText(txt); // a missing TXT is no error: the listing stands
    settle(key, outcome);
}

void DnsblChecker::settle(const QString &key, const DnsblZoneOutcome &outcome)
{
    m_cache.insert(key, outcome, nowMs());
    const QList<DnsblCheckId> waiters = m_waiting.take(key);
    for (DnsblCheckId id : waiters) {
        auto it = m_jobs.find(id);
        if (it == m_jobs.end())
            continue; // answered, cancelled or dropped meanwhile: the cache still has it
        for (Slot &slot : it->second->parts) {
            if (slot.key == key && !slot.outcome)
                slot.outcome = outcome;
        }
        evaluate(id);
    }
}

void DnsblChecker::expire(DnsblCheckId id)
{
    auto it = m_jobs.find(id);
    if (it == m_jobs.end())
        return;
    for (Slot &slot : it->second->parts) {
        if (slot.outcome)
            continue;
        DnsblZoneOutcome late;
        late.verdict = DnsblVerdict::Error;
        late.temporary = true;
        late.error = QStringLiteral("no answer within %1 ms; not listed").arg(m_timeoutMs);
        slot.outcome = late; // this check only: the lookup goes on and fills the cache
    }
    evaluate(id);
}

void DnsblChecker::evaluate(DnsblCheckId id)
{
    auto it = m_jobs.find(id);
    if (it == m_jobs.end())
        return;
    const Job &job = *it->second;
    if (job.hasContext && !job.context) {
        m_jobs.erase(it); // the client hung up
        return;
    }
    DnsblResult result;
    result.client = job.client;
    result.errors = job.extraErrors;
    for (const Slot &slot : job.parts) {
        if (!slot.outcome)
            return; // an earlier zone is still pending: it would win
        const DnsblZoneOutcome &o = *slot.outcome;
        if (o.verdict == DnsblVerdict::Error) {
            result.errors.append({slot.zone.name, o.error, o.temporary});
        } else if (o.verdict == DnsblVerdict::Listed) {
            result.listed = true;
            result.zone = slot.zone.name;
            result.answer = o.answer;
            result.meaning = o.meaning;
            result.reason = o.reason;
            result.fromCache = slot.fromCache;
            break;
        }
    }
    deliver(it, result);
}

void DnsblChecker::deliver(std::unordered_map<DnsblCheckId, std::shared_ptr<Job>>::iterator it,
                           const DnsblResult &result)
{
    const std::shared_ptr<Job> job = it->second;
    m_jobs.erase(it); // first: the callback may start or cancel checks
    if (job->done)
        job->done(result);
}

} // namespace rd::policy

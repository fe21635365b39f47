#include "mtasts/stsresolver.h"

#include "dns/resolver.h"
#include "mtasts/stsrecord.h"

#include <QDateTime>
#include <QLoggingCategory>

namespace rd::mtasts {

namespace {
Q_LOGGING_CATEGORY(lcSts, "relaydesk.mtasts", QtInfoMsg)
}

StsResolver::StsResolver(dns::Resolver *resolver, FetchFn fetch, QObject *parent)
    : QObject(parent)
    , m_resolver(resolver)
    , m_fetch(std::move(fetch))
{
}

StsResolver::~StsResolver() = default;

FetchFn StsResolver::makeFetchFn(dns::Resolver *resolver, const FetcherOptions &options, QObject *owner)
{
    QPointer<PolicyFetcher> fetcher(new PolicyFetcher(resolver, options, owner));
    return [fetcher](const QString &domain, std::function<void(const FetchResult &)> done) {
        if (!fetcher) {
            FetchResult r;
            r.error = QStringLiteral("policy fetcher gone");
            r.resultType = QStringLiteral("sts-policy-fetch-error");
            done(r);
            return;
        }
        fetcher->fetch(domain, std::move(done));
    };
}

qint64 StsResolver::now() const
{
    return m_clock ? m_clock() : QDateTime::currentMSecsSinceEpoch();
}

void StsResolver::preload(const QList<CachedPolicy> &policies)
{
    const qint64 t = now();
    for (const CachedPolicy &p : policies) {
        if (!p.expired(t))
            m_cache.insert(p.domain.toLower(), p);
    }
}

const CachedPolicy *StsResolver::cached(const QString &domain) const
{
    auto it = m_cache.constFind(domain.toLower());
    return it == m_cache.constEnd() ? nullptr : &it.value();
}

StsLookup StsResolver::fromCache(const QString &domain, const QString &why, bool announced) const
{
    StsLookup r;
    r.domain = domain;
    const CachedPolicy *c = cached(domain);
    if (c && !c->expired(now())) {
        r.hasPolicy = true;
        r.id = c->id;
        r.policy = c->policy;
        r.source = why.isEmpty() ? QStringLiteral("cache") : QStringLiteral("cache (%1)").arg(why);
        return r;
    }
    r.source = why.isEmpty() ? QStringLiteral("none") : QStringLiteral("none (%1)").arg(why);
    Q_UNUSED(announced);
    return r;
}

void StsResolver::lookup(const QString &domainIn, QObject *context, std::function<void(const StsLookup &)> done)
{
    const QString domain = domainIn.toLower();
    Waiter w{QPointer<QObject>(context), context != nullptr, std::move(done)};
    auto it = m_waiting.find(domain);
    if (it != m_waiting.end()) {
        it->append(std::move(w));
        return;
    }
    m_waiting.insert(domain, {std::move(w)});
    if (!m_resolver) {
        QMetaObject::invokeMethod(
            this, [this, domain] { complete(domain, fromCache(domain, QStringLiteral("no DNS resolver"), false)); },
            Qt::QueuedConnection);
        return;
    }
    QPointer<StsResolver> self(this);
    m_resolver->lookupTxt(QStringLiteral("_mta-sts.") + domain, this, [self, domain](const dns::Answer &a) {
        if (!self)
            return;
        if (!a.ok()) {
            // No record (NXDOMAIN/NODATA) or a DNS failure: a cached policy
            // still applies until it expires (5.1); otherwise no MTA-STS.
            const QString why = dns::isTemporary(a.status)
                ? QStringLiteral("TXT lookup failed: %1").arg(dns::statusName(a.status))
                : QString();
            self->complete(domain, self->fromCache(domain, why, false));
            return;
        }
        QList<QByteArray> texts;
        for (const dns::TxtRecord &t : a.txt)
            texts << t.text();
        const StsRecordResult rec = selectStsRecord(texts);
        if (rec.status != StsRecordResult::Status::Ok) {
            const QString why = rec.status == StsRecordResult::Status::Invalid
                ? QStringLiteral("invalid TXT record: %1").arg(rec.error)
                : QString();
            self->complete(domain, self->fromCache(domain, why, false));
            return;
        }
        self->onTxt(domain, StsLookup(), rec.record.id, true);
    });
}

void StsResolver::onTxt(const QString &domain, const StsLookup &, const QByteArray &id, bool)
{
    const CachedPolicy *c = cached(domain);
    if (c && c->id == id && !c->expired(now())) {
        complete(domain, fromCache(domain, QString(), true));
        return;
    }
    if (!m_fetch) {
        complete(domain, fromCache(domain, QStringLiteral("no policy fetcher"), true));
        return;
    }
    ++m_fetches;
    QPointer<StsResolver> self(this);
    m_fetch(domain, [self, domain, id](const FetchResult &f) {
        if (!self)
            return;
        QString failureType = f.resultType;
        QString failure = f.error;
        std::optional<Policy> policy;
        if (f.ok) {
            QString error;
            policy = parsePolicy(f.body, &error);
            if (!policy) {
                failureType = QStringLiteral("sts-policy-invalid");
                failure = QStringLiteral("policy of %1 invalid: %2").arg(domain, error);
            }
        }
        if (!policy) {
            qCInfo(lcSts).noquote() << QStringLiteral("event=mtasts_fetch_failed domain=%1 id=%2 result=%3 error=\"%4\"")
                                           .arg(domain, QString::fromLatin1(id), failureType, failure);
            StsLookup r = self->fromCache(domain, QStringLiteral("refresh failed: %1").arg(failure), true);
            r.failureType = failureType.isEmpty() ? QStringLiteral("sts-policy-fetch-error") : failureType;
            r.failureDetail = failure;
            self->complete(domain, r);
            return;
        }
        CachedPolicy c;
        c.domain = domain;
        c.id = id;
        c.policy = *policy;
        c.fetchedMs = self->now();
        c.expiresMs = c.fetchedMs + policy->maxAge * 1000;
        self->m_cache.insert(domain, c);
        qCInfo(lcSts).noquote() << QStringLiteral("event=mtasts_policy domain=%1 id=%2 mode=%3 mx=\"%4\" max_age=%5")
                                       .arg(domain, QString::fromLatin1(id), modeName(policy->mode),
                                            policy->mx.join(QLatin1Char(' ')), QString::number(policy->maxAge));
        if (self->m_persist)
            self->m_persist(c);
        StsLookup r;
        r.hasPolicy = true;
        r.domain = domain;
        r.id = id;
        r.policy = *policy;
        r.source = QStringLiteral("fetched");
        self->complete(domain, r);
    });
}

void StsResolver::complete(const QString &domain, const StsLookup &result)
{
    const QList<Waiter> waiters = m_waiting.take(domain);
    for (const Waiter &w : waiters) {
        if (w.hasContext && !w.context)
            continue;
        w.done(result);
    }
}

} // namespace rd::mtasts

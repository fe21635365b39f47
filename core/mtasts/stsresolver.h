#pragma once
// rd::mtasts::StsResolver: "what is the MTA-STS policy of this domain?"
// (RFC 8461 sections 3 and 5). Asks TXT _mta-sts.<domain>; when the id is
// new (or nothing is cached) fetches the policy over HTTPS; keeps policies
// in memory until max_age and uses a cached, unexpired policy when the TXT
// lookup or the fetch fails. Without any usable policy the answer is "no
// policy" (deliver as before); MTA-STS never makes a domain undeliverable
// by itself, it only restricts MX hosts and TLS.
// Thread: the engine's; lookup() answers later from the event loop. Lookups
// for the same domain in flight share one TXT query and one fetch.
// Persistence: preload() at start (rows from loadPolicies()) and a persist
// hook called with each newly fetched policy (run savePolicy() on a worker).

#include "mtasts/policyfetcher.h"
#include "mtasts/policystore.h"

#include <QHash>
#include <QObject>
#include <QPointer>

#include <functional>

namespace rd::dns {
class Resolver;
}

namespace rd::mtasts {

struct StsLookup {
    bool hasPolicy = false;       // false: no MTA-STS for this domain now
    QString domain;
    QByteArray id;
    Policy policy;                // valid when hasPolicy
    QString source;               // "fetched", "cache", "cache (refresh failed: ...)", "none", "none (...)"
    // When the domain announced MTA-STS (TXT) but no fresh policy could be had:
    // the TLS-RPT result type ("sts-policy-fetch-error", "sts-policy-invalid",
    // "sts-webpki-invalid") and the reason; empty otherwise.
    QString failureType;
    QString failureDetail;
};

using FetchFn = std::function<void(const QString &domain, std::function<void(const FetchResult &)> done)>;

class StsResolver : public QObject {
    Q_OBJECT
public:
    // `resolver` must outlive this object. fetch: how policies are fetched
    // (normally a PolicyFetcher; see makeFetchFn()).
    StsResolver(dns::Resolver *resolver, FetchFn fetch, QObject *parent = nullptr);
    ~StsResolver() override;

    // Builds a FetchFn around a PolicyFetcher owned by `owner`.
    static FetchFn makeFetchFn(dns::Resolver *resolver, const FetcherOptions &options, QObject *owner);

    // Answers exactly once, later, unless `context` (may be null) is destroyed
    // first or this object is. Never fails: no usable policy is hasPolicy=false.
    void lookup(const QString &domain, QObject *context, std::function<void(const StsLookup &)> done);

    // Policies loaded from disk (expired ones are ignored).
    void preload(const QList<CachedPolicy> &policies);
    // Called with every policy fetched and accepted (for savePolicy()).
    void setPersist(std::function<void(const CachedPolicy &)> persist) { m_persist = std::move(persist); }
    // Milliseconds since the epoch; tests move time.
    void setClock(std::function<qint64()> clock) { m_clock = std::move(clock); }

    // The cached entry of `domain` (expired or not), or null.
    const CachedPolicy *cached(const QString &domain) const;
    int fetchCount() const { return m_fetches; }

private:
    struct Waiter {
        QPointer<QObject> context;
        bool hasContext = false;
        std::function<void(const StsLookup &)> done;
    };
    void onTxt(const QString &domain, const StsLookup &partial, const QByteArray &id, bool announced);
    void complete(const QString &domain, const StsLookup &result);
    StsLookup fromCache(const QString &domain, const QString &why, bool announced) const;
    qint64 now() const;

    QPointer<dns::Resolver> m_resolver;
    FetchFn m_fetch;
    std::function<void(const CachedPolicy &)> m_persist;
    std::function<qint64()> m_clock;
    QHash<QString, CachedPolicy> m_cache;
    QHash<QString, QList<Waiter>> m_waiting; // domain -> lookups in flight
    int m_fetches = 0;
};

} // namespace rd::mtasts

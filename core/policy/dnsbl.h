#pragma once
// rd::policy::DnsblChecker: looks a client address up in the configured DNS
// block lists (RFC 5782), asynchronously over rd::dns::Resolver.
//
// Every enabled zone is asked in parallel. The result is the first zone in
// list order that lists the client: a listing by a later zone is held until
// every earlier zone has answered "not listed"; a listing by the first zone
// still pending is answered at once. Bad answers (outside 127.0.0.0/8, the
// 127.255.255.0/24 error codes) and DNS failures are never listings: they are
// reported in DnsblResult::errors and the client passes (fail open).
// Answers are cached by TTL (DnsblCache); lookups still running when a
// result was given finish in the background and fill the cache.
//
// Thread: lives in the thread of its resolver (the engine's); use it from
// there only. Exempting clients (relay right, authenticated users) is the
// caller's business: any address, loopback included, is checked.

#include "config/policyconfig.h"
#include "dns/resolver.h"
#include "policy/dnsblanswer.h"
#include "policy/dnsblcache.h"

#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QStringList>

#include <functional>
#include <memory>
#include <unordered_map>

namespace rd::policy {

// A zone that could not give a usable answer.
struct DnsblError {
    QString zone;
    QString message;        // e.g. "DNS timeout", "answer 10.0.0.1 is outside 127.0.0.0/8 ..."
    bool temporary = false; // a DNS failure (timeout, SERVFAIL) rather than a bad answer
    QString toString() const { return zone + QStringLiteral(": ") + message; }
};

struct DnsblResult {
    QHostAddress client;   // as asked (IPv4-mapped IPv6 as IPv4)
    bool listed = false;
    QString zone;          // listed: the zone that lists the client
    QHostAddress answer;   // listed: the listing answer, e.g. 127.0.0.2
    QString meaning;       // listed: from the zone's codes ("listed" without codes)
    QString reason;        // listed: the zone's TXT text when reasons are fetched (may be empty)
    bool fromCache = false; // listed: the listing came from the cache
    // Zones that failed (bad answers, errors codes, timeouts) among those
    // decided when the result was given. Log them; they never reject.
    QList<DnsblError> errors;

    // key=value text for log lines: "dnsbl=listed zone=bl.test answer=127.0.0.2
    // meaning=\"...\"" or "dnsbl=pass errors=2".
    QString summary() const;
};

using DnsblCheckId = quint64; // 0 is never a valid id
using DnsblCallback = std::function<void(const DnsblResult &)>;

class DnsblChecker : public QObject {
    Q_OBJECT
public:
    // `resolver` must outlive the checker (or be its parent's sibling that
    // dies later); not owned.
    explicit DnsblChecker(dns::Resolver *resolver, QObject *parent = nullptr);
    ~DnsblChecker() override;

    // The zones to ask, in order; disabled zones and zones whose codes do not
    // parse are skipped (each of those is described in *errors if given).
    // Cached answers of zones still configured with the same codes stay
    // valid; checks already running keep the zones they started with.
    void setZones(const QList<config::DnsblZone> &zones, QStringList *errors = nullptr);
    // The enabled zones in use (normalized names).
    QStringList zones() const;

    // Also ask the TXT record of a listing for DnsblResult::reason (default
    // on; it costs one more query for listed clients only).
    void setFetchReasons(bool on) { m_fetchReasons = on; }
    // The longest a check may take: zones still unanswered then count as
    // timed out (fail open). Default 10000 ms; <= 0: only the resolver's own
    // timeouts apply.
    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    // Cache lifetimes and size (see DnsblCache).
    void setCacheLimits(const DnsblCacheLimits &limits);

    // Checks `client`. `done` is called exactly once, later, from the event
    // loop (never from inside check()), unless cancel(id) comes first, the
    // `context` (may be null) is destroyed first (a client that hung up), or
    // the checker is destroyed first. With no enabled zones, or a null
    // address, the result is "not listed" (a null address adds an error).
    DnsblCheckId check(const QHostAddress &client, QObject *context, DnsblCallback done);
    // The check's callback will not be called; unknown ids are ignored. Its
    // lookups still fill the cache.
    void cancel(DnsblCheckId id);

    // Live cache entries (expired ones dropped first).
    int cachedCount();
    void clearCache() { m_cache.clear(); }
    // Checks still waiting for their result.
    int pendingCount() const { return int(m_jobs.size()); }

private:
    struct Zone {
        QString name;
        QList<config::DnsblCode> codes;
        QString cachePrefix; // the codes' text: a cache key is prefix + query name
    };
    struct Slot {
        Zone zone;
        QString queryName;
        QString key; // cache and in-flight key
        std::optional<DnsblZoneOutcome> outcome;
        bool fromCache = false;
    };
    struct Job {
        DnsblCheckId id = 0;
        QHostAddress client;
        QPointer<QObject> context;
        bool hasContext = false;
        DnsblCallback done;
        QList<Slot> parts;
        QList<DnsblError> extraErrors;
    };

    void ask(const Zone &zone, const QString &queryName, const QString &key);
    void onAnswer(const Zone &zone, const QString &queryName, const QString &key, const dns::Answer &answer);
    void onReason(const QString &key, DnsblZoneOutcome outcome, const dns::Answer &txt);
    void settle(const QString &key, const DnsblZoneOutcome &outcome);
    void evaluate(DnsblCheckId id);
    void expire(DnsblCheckId id);
    void deliver(std::unordered_map<DnsblCheckId, std::shared_ptr<Job>>::iterator it,
                 const DnsblResult &result);
    qint64 nowMs() const { return m_clock.elapsed(); }

    QPointer<dns::Resolver> m_resolver;
    QList<Zone> m_zones;
    bool m_fetchReasons = true;
    int m_timeoutMs = 10000;
    DnsblCache m_cache;
    QElapsedTimer m_clock;
    DnsblCheckId m_nextId = 1;
    std::unordered_map<DnsblCheckId, std::shared_ptr<Job>> m_jobs;
    // Cache key -> checks waiting for it (a query in flight is asked once).
    QHash<QString, QList<DnsblCheckId>> m_waiting;
};

} // namespace rd::policy

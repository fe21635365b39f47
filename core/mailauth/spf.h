#pragma once
// SPF (RFC 7208): check_host() over the asynchronous DNS resolver, and the
// pure record check for the DNS checks panel (spfrecord.h).
//
// Thread: SpfEvaluator lives in the resolver's thread (the engine's) and is
// used only from there; results arrive from that thread's event loop.

#include "dns/resolver.h"
#include "mailauth/spfrecord.h"

#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <memory>
#include <unordered_map>

namespace rd::mailauth {

enum class SpfResult { None, Neutral, Pass, Fail, SoftFail, TempError, PermError };

// "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror".
QString spfResultName(SpfResult r);

struct SpfRequest {
    QHostAddress ip;  // client address (IPv4-mapped IPv6 is treated as IPv4)
    QString helo;     // HELO/EHLO name
    QString sender;   // MAIL FROM address; empty: postmaster@helo (RFC 7208 2.4)
    QString receiver; // our host name (the %{r} macro)
    QString domain;   // evaluate this domain instead of the sender's; empty: the sender's
};

struct SpfOutcome {
    SpfResult result = SpfResult::None;
    QString domain;      // the domain evaluated
    QString record;      // the top-level record text used ("" if none)
    QString mechanism;   // the term that decided ("ip4:192.0.2.0/24", "include:x", "default")
    QString explanation; // the exp= text for Fail (macro-expanded), else empty
    QString problem;     // why, for PermError / TempError / None
    int dnsLookups = 0;  // DNS-querying terms used (RFC 7208 4.6.4)
    int voidLookups = 0; // of those, answers with no records (NXDOMAIN / no data)
};

class SpfSession;

class SpfEvaluator : public QObject {
    Q_OBJECT
public:
    // `resolver` must outlive the evaluator or be destroyed with it (checks in
    // progress then end without a callback).
    explicit SpfEvaluator(dns::Resolver *resolver, QObject *parent = nullptr);
    ~SpfEvaluator() override;

    // Evaluates check_host() for the request. `done` is called exactly once,
    // later, from the event loop (never from inside check()), unless `context`
    // (may be null) is destroyed first or the evaluator is destroyed first.
    // Bounded: 10 DNS-querying terms, 2 void lookups, 10 MX names, 10 PTR
    // names, and the time limit (TempError when it passes).
    void check(const SpfRequest &request, QObject *context,
               std::function<void(const SpfOutcome &)> done);

    // The overall time limit of one check (default 20 s; at least 1 ms).
    void setTimeLimitMs(int ms);
    int timeLimitMs() const { return m_timeLimitMs; }
    // Checks in progress.
    int activeChecks() const { return int(m_sessions.size()); }

private:
    void sessionFinished(quint64 id);

    QPointer<dns::Resolver> m_resolver;
    int m_timeLimitMs = 20000;
    quint64 m_nextId = 1;
    std::unordered_map<quint64, std::unique_ptr<SpfSession>> m_sessions;
};

} // namespace rd::mailauth

#include "delivery/mxresolve.h"

#include "dns/resolver.h"
#include "mtasts/stsresolver.h"

#include <QLoggingCategory>

#include <memory>

namespace rd::delivery {
namespace {

Q_LOGGING_CATEGORY(lcMx, "relaydesk.delivery.mx", QtInfoMsg)

// DNSSEC status of the answers behind an MxAnswer (DANE needs it).
struct MxSecurity {
    bool mxSecure = false;         // the MX RRset (or the implicit MX's addresses) validated
    QHash<QString, bool> hostSecure; // per exchange (lower case): its address records validated
};
using DetailedDone = std::function<void(MxAnswer, MxSecurity)>;

struct Collect {
    QList<MxHost> hosts;     // by preference
    QStringList temporary;   // exchanges whose lookup failed temporarily
    QStringList missing;     // exchanges with no address
    int left = 0;
    MxSecurity security;
    DetailedDone done;
};

void finishCollect(const std::shared_ptr<Collect> &c, const QString &domain)
{
    MxAnswer a;
    for (const MxHost &h : c->hosts) {
        if (!h.addresses.isEmpty())
            a.hosts << h;
    }
    if (!a.hosts.isEmpty()) {
        a.status = MxAnswer::Status::Ok;
    } else if (!c->temporary.isEmpty()) {
        a.status = MxAnswer::Status::TempFail;
        a.detail = QStringLiteral("address lookup failed for MX host(s) of %1: %2")
                       .arg(domain, c->temporary.join(QStringLiteral(", ")));
    } else {
        a.status = MxAnswer::Status::NoSuchDomain;
        a.detail = QStringLiteral("no MX host of %1 has an address (%2)")
                       .arg(domain, c->missing.join(QStringLiteral(", ")));
    }
    c->done(a, c->security);
}

QStringList addressList(const dns::AddressAnswer &a)
{
    QStringList out;
    for (const dns::AddressRecord &r : a.addresses)
        out << r.address.toString();
    return out;
}

void resolveMxDetailed(dns::Resolver *resolver, QObject *context, const QString &domain, DetailedDone done)
{
    QPointer<dns::Resolver> res(resolver);
    resolver->lookupMx(domain, context, [res, context, domain, done](const dns::Answer &mx) {
        if (!res)
            return;
        if (mx.ok() && mx.isNullMx()) {
            MxAnswer a;
            a.status = MxAnswer::Status::NullMx;
            a.detail = QStringLiteral("null MX");
            done(a, MxSecurity());
            return;
        }
        if (mx.status == dns::Status::NoData) {
            // No MX: the domain itself is the implicit MX (RFC 5321 5.1).
            const bool mxSecure = mx.authenticated;
            res->lookupAddresses(domain, context, [domain, done, mxSecure](const dns::AddressAnswer &addr) {
                MxAnswer a;
                MxSecurity sec;
                sec.mxSecure = mxSecure && addr.authenticated;
                sec.hostSecure.insert(domain.toLower(), addr.authenticated);
                if (addr.ok()) {
                    a.status = MxAnswer::Status::Ok;
                    a.hosts << MxHost{domain, addressList(addr)};
                } else if (dns::isTemporary(addr.status)) {
                    a.status = MxAnswer::Status::TempFail;
                    a.detail = QStringLiteral("no MX; address lookup: %1").arg(dns::statusName(addr.status));
                } else {
                    a.status = MxAnswer::Status::NoSuchDomain;
                    a.detail = QStringLiteral("no MX and no address record");
                }
                done(a, sec);
            });
            return;
        }
        if (!mx.ok()) {
            MxAnswer a;
            a.status = dns::isTemporary(mx.status) ? MxAnswer::Status::TempFail : MxAnswer::Status::NoSuchDomain;
            a.detail = mx.error.isEmpty() ? dns::statusName(mx.status) : mx.error;
            done(a, MxSecurity());
            return;
        }
        auto c = std::make_shared<Collect>();
        c->done = done;
        c->security.mxSecure = mx.authenticated;
        for (const dns::MxRecord &r : mx.mx) {
            if (r.isNull() || r.exchange.isEmpty() || c->hosts.size() >= kMaxMxHosts)
                continue;
            c->hosts << MxHost{r.exchange, {}};
        }
        c->left = int(c->hosts.size());
        if (c->left == 0) {
            finishCollect(c, domain);
            return;
        }
        for (int i = 0; i < c->hosts.size(); ++i) {
            const QString host = c->hosts.at(i).name;
            res->lookupAddresses(host, context, [c, i, host, domain](const dns::AddressAnswer &addr) {
                c->security.hostSecure.insert(host.toLower(), addr.authenticated);
                if (addr.ok())
                    c->hosts[i].addresses = addressList(addr);
                else if (dns::isTemporary(addr.status))
                    c->temporary << host;
                else
                    c->missing << host;
                if (--c->left == 0)
                    finishCollect(c, domain);
            });
        }
    });
}

} // namespace

void resolveMx(dns::Resolver *resolver, QObject *context, const QString &domain, std::function<void(MxAnswer)> done)
{
    resolveMxDetailed(resolver, context, domain, [done](MxAnswer a, MxSecurity) { done(std::move(a)); });
}

namespace {

struct SecureState {
    QString domain;
    MxSecurityOptions options;
    MxAnswer mx;
    MxSecurity security;
    bool mxDone = false;
    mtasts::StsLookup sts;
    bool stsDone = false;
    QHash<QString, dns::Answer> tlsa; // host (lower case) -> TLSA answer
    int tlsaLeft = 0;
    std::function<void(SecureMxAnswer)> done;
};

MxTlsPolicy stsPolicyFor(const SecureState &st, const QString &host, const mtasts::MxDecision &d)
{
    MxTlsPolicy p;
    p.kind = MxTlsPolicy::Kind::MtaSts;
    p.domain = st.domain;
    p.mxHost = host;
    p.testing = d.reportOnly;
    p.caFile = st.options.mtaStsCaFile;
    p.policyStrings = st.sts.policy.policyStrings();
    return p;
}

void finishSecure(const std::shared_ptr<SecureState> &st)
{
    SecureMxAnswer out;
    out.answer = st->mx;
    out.mtaStsSource = st->sts.source;
    out.mtaStsFailureType = st->sts.failureType;
    out.mtaStsFailureDetail = st->sts.failureDetail;
    if (st->mx.status != MxAnswer::Status::Ok) {
        st->done(out);
        return;
    }
    const mtasts::Policy *sts = st->sts.hasPolicy ? &st->sts.policy : nullptr;
    QList<MxHost> kept;
    QStringList reasons;
    for (const MxHost &h : std::as_const(st->mx.hosts)) {
        const QString key = h.name.toLower();
        // DANE first: validated TLSA records win over MTA-STS (RFC 8461 2).
        auto t = st->tlsa.constFind(key);
        if (t != st->tlsa.constEnd()) {
            const dns::Answer &a = *t;
            if (a.ok() && a.authenticated) {
                QList<dane::TlsaRecord> records;
                for (const QByteArray &rd : a.rdata) {
                    if (std::optional<dane::TlsaRecord> r = dane::parseTlsaRdata(rd))
                        records << *r;
                }
                const QList<dane::TlsaRecord> usable = dane::usableRecords(records);
                if (!usable.isEmpty()) {
                    MxTlsPolicy p;
                    p.kind = MxTlsPolicy::Kind::Dane;
                    p.domain = st->domain;
                    p.mxHost = h.name;
                    p.tlsa = usable;
                    for (const dane::TlsaRecord &r : usable)
                        p.policyStrings << QStringLiteral("_25._tcp.%1 IN TLSA %2").arg(h.name, r.toString());
                    out.policies.insert(key, p);
                    kept << h;
                    continue;
                }
            } else if (dns::isTemporary(a.status)) {
                // A secure MX host whose TLSA lookup fails (bogus answers come
                // back SERVFAIL from a validating resolver): do not use it
                // (RFC 7672 2.2: the TLSA status is unknown, so defer).
                TlsCheck c;
                c.policy.kind = MxTlsPolicy::Kind::Dane;
                c.policy.domain = st->domain;
                c.policy.mxHost = h.name;
                c.resultType = QStringLiteral("dnssec-invalid");
                c.detail = QStringLiteral("DANE: TLSA lookup for _25._tcp.%1 failed (%2); not using this MX")
                               .arg(h.name, a.error.isEmpty() ? dns::statusName(a.status) : a.error);
                out.rejected << c;
                reasons << c.detail;
                continue;
            }
        }
        if (sts && sts->mode != mtasts::Mode::None) {
            const mtasts::MxDecision d = mtasts::decideMx(sts, st->domain, h.name);
            if (!d.useMx) {
                TlsCheck c;
                c.policy = stsPolicyFor(*st, h.name, d);
                c.resultType = QStringLiteral("validation-failure");
                c.detail = d.reason;
                out.rejected << c;
                reasons << d.reason;
                continue;
            }
            if (!d.reason.isEmpty())
                qCInfo(lcMx).noquote() << QStringLiteral("event=mtasts_testing_failure domain=%1 mx=%2 detail=\"%3\"")
                                              .arg(st->domain, h.name, d.reason);
            out.policies.insert(key, stsPolicyFor(*st, h.name, d));
        }
        kept << h;
    }
    for (const TlsCheck &c : std::as_const(out.rejected)) {
        qCInfo(lcMx).noquote() << QStringLiteral("event=mx_rejected domain=%1 mx=%2 policy=%3 result=%4 detail=\"%5\"")
                                      .arg(st->domain, c.policy.mxHost, c.policy.policyType(), c.resultType, c.detail);
    }
    out.answer.hosts = kept;
    if (kept.isEmpty()) {
        out.answer.status = MxAnswer::Status::TempFail;
        out.answer.detail = reasons.join(QStringLiteral("; "));
    }
    st->done(out);
}

void maybeContinue(const std::shared_ptr<SecureState> &st, dns::Resolver *resolver, QObject *context)
{
    if (!st->mxDone || !st->stsDone)
        return;
    QStringList hosts;
    if (st->options.dane && st->mx.status == MxAnswer::Status::Ok && st->security.mxSecure) {
        for (const MxHost &h : std::as_const(st->mx.hosts)) {
            if (st->security.hostSecure.value(h.name.toLower()))
                hosts << h.name;
        }
    }
    if (hosts.isEmpty() || !resolver) {
        finishSecure(st);
        return;
    }
    st->tlsaLeft = int(hosts.size());
    for (const QString &host : std::as_const(hosts)) {
        resolver->lookup(QStringLiteral("_25._tcp.") + host, dns::RecordType::TLSA, context,
                         [st, host](const dns::Answer &a) {
                             st->tlsa.insert(host.toLower(), a);
                             if (--st->tlsaLeft == 0)
                                 finishSecure(st);
                         });
    }
}

} // namespace

void resolveMxSecure(dns::Resolver *resolver, const MxSecurityOptions &options, QObject *context,
                     const QString &domain, std::function<void(SecureMxAnswer)> done)
{
    auto st = std::make_shared<SecureState>();
    st->domain = domain.toLower();
    st->options = options;
    st->done = std::move(done);
    QPointer<dns::Resolver> res(resolver);
    QPointer<QObject> ctx(context);
    if (!options.mtaSts) {
        st->stsDone = true;
        st->sts.source = QStringLiteral("off");
    } else {
        options.mtaSts->lookup(st->domain, context, [st, res, ctx](const mtasts::StsLookup &l) {
            st->sts = l;
            st->stsDone = true;
            maybeContinue(st, res.data(), ctx.data());
        });
    }
    resolveMxDetailed(resolver, context, domain, [st, res, ctx](MxAnswer a, MxSecurity sec) {
        st->mx = std::move(a);
        st->security = std::move(sec);
        st->mxDone = true;
        maybeContinue(st, res.data(), ctx.data());
    });
}

} // namespace rd::delivery

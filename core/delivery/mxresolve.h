#pragma once
// "Where does mail for this domain go?" (RFC 5321 5.1) on the project's
// asynchronous resolver: MX records by preference, each exchange's A/AAAA
// records, the implicit MX (the domain's own addresses) when there is no MX,
// and RFC 7505 null MX. Permanent answers (NXDOMAIN, null MX) bounce; DNS
// failures and timeouts defer.
// resolveMxSecure() adds what TLS each MX must prove: DANE (RFC 7672) when
// the MX and its TLSA records are DNSSEC-validated, else MTA-STS (RFC 8461)
// when the domain has a policy; under an enforced policy MX hosts that the
// policy excludes are dropped (no MX left: TempFail, the mail stays queued).
// Thread: the resolver's (the engine's); done() runs later in that thread.

#include "delivery/deliveryagent.h"
#include "delivery/mxtlspolicy.h"

#include <QHash>

namespace rd::dns {
class Resolver;
}
namespace rd::mtasts {
class StsResolver;
}

namespace rd::delivery {

inline constexpr int kMaxMxHosts = 5; // exchanges looked up per domain (Postfix: smtp_mx_address_limit-like)

void resolveMx(dns::Resolver *resolver, QObject *context, const QString &domain, std::function<void(MxAnswer)> done);

struct MxSecurityOptions {
    mtasts::StsResolver *mtaSts = nullptr; // null: MTA-STS off (settings mtasts.enabled)
    bool dane = false;                     // DANE on (settings dane.enabled): the resolver must validate (AD)
    QString mtaStsCaFile;                  // tests: CA bundle for MX certificates under MTA-STS; empty: system
};

struct SecureMxAnswer {
    MxAnswer answer;                     // as resolveMx(), minus MX hosts an enforced policy excludes
    QHash<QString, MxTlsPolicy> policies; // per MX host name (lower case): give it to OutboundConnection
    QList<TlsCheck> rejected;            // MX hosts skipped (policy mismatch, TLSA lookup failure): log + TLS-RPT
    QString mtaStsSource;                // "fetched", "cache", "none (...)": for the log
    // TLS-RPT: the policy could not be had ("sts-policy-fetch-error", ...); empty when fine.
    QString mtaStsFailureType;
    QString mtaStsFailureDetail;

    MxTlsPolicy policyFor(const QString &mxHost) const { return policies.value(mxHost.toLower()); }
};

// resolveMx() plus TLS policies. Without MTA-STS and DANE it is resolveMx()
// with empty policies. MX answers whose lookup is temporary stay TempFail.
void resolveMxSecure(dns::Resolver *resolver, const MxSecurityOptions &options, QObject *context,
                     const QString &domain, std::function<void(SecureMxAnswer)> done);

} // namespace rd::delivery

#pragma once
// "Where does mail for this domain go?" (RFC 5321 5.1) on the project's
// asynchronous resolver: MX records by preference, each exchange's A/AAAA
// records, the implicit MX (the domain's own addresses) when there is no MX,
// and RFC 7505 null MX. Permanent answers (NXDOMAIN, null MX) bounce; DNS
// failures and timeouts defer.
// Thread: the resolver's (the engine's); done() runs later in that thread.

#include "delivery/deliveryagent.h"

namespace rd::dns {
class Resolver;
}

namespace rd::delivery {

inline constexpr int kMaxMxHosts = 5; // exchanges looked up per domain (Postfix: smtp_mx_address_limit-like)

void resolveMx(dns::Resolver *resolver, QObject *context, const QString &domain, std::function<void(MxAnswer)> done);

} // namespace rd::delivery

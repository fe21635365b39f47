#pragma once
// Internal helpers shared by the DNS checker's source files (not an API).

#include "dns/dnstypes.h"
#include "dnscheck/dnscheckreport.h"

namespace rd::dnscheck::detail {

inline Finding finding(const char *check, Status s, const QString &title, const QString &detail = {})
{
    Finding f;
    f.check = QString::fromLatin1(check);
    f.status = s;
    f.title = title;
    f.detail = detail;
    return f;
}

inline QString dnsProblem(const dns::Answer &a)
{
    return a.error.isEmpty() ? dns::statusName(a.status) : a.error;
}

} // namespace rd::dnscheck::detail

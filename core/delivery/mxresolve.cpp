#include "delivery/mxresolve.h"

#include "dns/resolver.h"

#include <memory>

namespace rd::delivery {
namespace {

struct Collect {
    QList<MxHost> hosts;     // by preference
    QStringList temporary;   // exchanges whose lookup failed temporarily
    QStringList missing;     // exchanges with no address
    int left = 0;
    std::function<void(MxAnswer)> done;
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
    c->done(a);
}

QStringList addressList(const dns::AddressAnswer &a)
{
    QStringList out;
    for (const dns::AddressRecord &r : a.addresses)
        out << r.address.toString();
    return out;
}

} // namespace

void resolveMx(dns::Resolver *resolver, QObject *context, const QString &domain, std::function<void(MxAnswer)> done)
{
    QPointer<dns::Resolver> res(resolver);
    resolver->lookupMx(domain, context, [res, context, domain, done](const dns::Answer &mx) {
        if (!res)
            return;
        if (mx.ok() && mx.isNullMx()) {
            MxAnswer a;
            a.status = MxAnswer::Status::NullMx;
            a.detail = QStringLiteral("null MX");
            done(a);
            return;
        }
        if (mx.status == dns::Status::NoData) {
            // No MX: the domain itself is the implicit MX (RFC 5321 5.1).
            res->lookupAddresses(domain, context, [domain, done](const dns::AddressAnswer &addr) {
                MxAnswer a;
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
                done(a);
            });
            return;
        }
        if (!mx.ok()) {
            MxAnswer a;
            a.status = dns::isTemporary(mx.status) ? MxAnswer::Status::TempFail : MxAnswer::Status::NoSuchDomain;
            a.detail = mx.error.isEmpty() ? dns::statusName(mx.status) : mx.error;
            done(a);
            return;
        }
        auto c = std::make_shared<Collect>();
        c->done = done;
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

} // namespace rd::delivery

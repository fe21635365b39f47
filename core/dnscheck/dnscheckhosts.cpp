// The DNS checker, the host-level checks: MX hosts answering SMTP, reverse
// DNS of the public addresses, and DNS block lists.

#include "dnscheck/dnschecker.h"

#include "config/sendconnector.h"
#include "delivery/connectorprobe.h"
#include "dns/resolver.h"
#include "dnscheck/dnscheckutil.h"

#include <algorithm>
#include <memory>

namespace rd::dnscheck {
namespace {

using detail::dnsProblem;
using detail::finding;

QString reversedV4(const QHostAddress &a, bool *ok)
{
    const quint32 v = a.toIPv4Address(ok);
    if (!*ok)
        return {};
    return QStringLiteral("%1.%2.%3.%4").arg(v & 0xff).arg((v >> 8) & 0xff).arg((v >> 16) & 0xff).arg(v >> 24);
}

} // namespace

// --- MX --------------------------------------------------------------------

void DnsChecker::checkMx()
{
    beginStep(QStringLiteral("MX hosts of %1").arg(m_input.domain));
    m_resolver->lookupMx(m_input.domain, this, [this](const dns::Answer &a) {
        if (dns::isTemporary(a.status)) {
            add(finding("mx", Status::Warn, QStringLiteral("The MX records could not be read"),
                        QStringLiteral("DNS said: %1.").arg(dnsProblem(a))));
            endStep();
            return;
        }
        if (a.status == dns::Status::NxDomain) {
            add(finding("mx", Status::Fail, QStringLiteral("%1 does not exist in DNS").arg(m_input.domain)));
            endStep();
            return;
        }
        if (a.isNullMx()) {
            add(finding("mx", Status::Warn, QStringLiteral("Null MX: %1 receives no mail").arg(m_input.domain),
                        QStringLiteral("Replies and bounces to addresses of this domain cannot be delivered; "
                                       "receivers may distrust a sender domain that cannot receive.")));
            endStep();
            return;
        }
        if (!a.ok() || a.mx.isEmpty()) {
            add(finding("mx", Status::Warn, QStringLiteral("No MX record"),
                        QStringLiteral("Mail to %1 goes to the domain's own address (implicit MX), if it has one. "
                                       "Publish MX records for the servers that receive its mail.")
                            .arg(m_input.domain)));
            endStep();
            return;
        }
        QStringList hosts;
        for (const dns::MxRecord &m : a.mx)
            hosts << QStringLiteral("%1 %2").arg(m.preference).arg(m.exchange);
        add(finding("mx", Status::Info, QStringLiteral("%1 MX record(s)").arg(a.mx.size()), hosts.join(QStringLiteral(", "))));
        const int n = int(std::min<qsizetype>(a.mx.size(), m_input.maxMxHosts));
        for (int i = 0; i < n; ++i) {
            const QString host = a.mx.at(i).exchange;
            beginStep(QStringLiteral("SMTP at %1").arg(host));
            // The host's address through our resolver (the servers the admin
            // configured), then the SMTP test against that address.
            m_resolver->lookupAddresses(host, this, [this, host](const dns::AddressAnswer &addr) {
                if (!addr.ok() || addr.addresses.isEmpty()) {
                    add(finding("mx", Status::Fail, QStringLiteral("%1 has no address").arg(host),
                                QStringLiteral("DNS said: %1. Mail to the domain cannot reach this MX host.")
                                    .arg(dns::statusName(addr.status))));
                    endStep();
                    return;
                }
                const QHostAddress ip = addr.addresses.first().address;
                config::SendConnectorConfig c;
                c.name = QStringLiteral("dns-check");
                c.domains = {m_input.domain};
                c.route = QStringLiteral("smarthost");
                const QString target = ip.protocol() == QAbstractSocket::IPv6Protocol
                                           ? QStringLiteral("[%1]:%2").arg(ip.toString()).arg(m_input.smtpPort)
                                           : QStringLiteral("%1:%2").arg(ip.toString()).arg(m_input.smtpPort);
                c.smartHosts = {target};
                c.tls = QStringLiteral("opportunistic");
                c.connectTimeoutS = m_input.smtpTimeoutS;
                c.commandTimeoutS = m_input.smtpTimeoutS;
                auto *probe = new delivery::ConnectorProbe(c, m_input.heloName, target, this);
                connect(probe, &delivery::ConnectorProbe::finished, this,
                        [this, host, target](const delivery::ProbeReport &r) {
                    const QString where = QStringLiteral("%1 (%2)").arg(host, target);
                    if (!r.banner.isEmpty() && r.startTlsOffered && r.ok) {
                        add(finding("mx", Status::Pass, QStringLiteral("%1 answers SMTP and offers STARTTLS").arg(host),
                                    QStringLiteral("%1: %2\nTLS: %3 %4").arg(where, r.banner, r.tlsVersion, r.tlsCipher)));
                    } else if (!r.banner.isEmpty() && !r.startTlsOffered) {
                        add(finding("mx", Status::Warn, QStringLiteral("%1 answers SMTP without STARTTLS").arg(host),
                                    QStringLiteral("%1: %2\nMail to it travels unencrypted.").arg(where, r.banner)));
                    } else if (!r.banner.isEmpty()) {
                        add(finding("mx", Status::Warn, QStringLiteral("%1 answers SMTP; STARTTLS failed").arg(host),
                                    QStringLiteral("%1: %2\n%3")
                                        .arg(where, r.banner, r.error.isEmpty() ? r.startTlsResult : r.error)));
                    } else {
                        add(finding("mx", Status::Fail, QStringLiteral("%1 does not answer SMTP").arg(host),
                                    QStringLiteral("%1: %2").arg(where, r.error.isEmpty() ? QStringLiteral("no greeting")
                                                                                          : r.error)));
                    }
                    endStep();
                });
                probe->start();
            });
        }
        endStep();
    });
}

// --- PTR -------------------------------------------------------------------

void DnsChecker::checkPtr()
{
    beginStep(QStringLiteral("Reverse DNS of the public addresses"));
    if (m_input.publicAddresses.isEmpty()) {
        QMetaObject::invokeMethod(this, [this] { endStep(); }, Qt::QueuedConnection);
        return;
    }
    auto left = std::make_shared<int>(int(m_input.publicAddresses.size()));
    for (const QHostAddress &ip : m_input.publicAddresses) {
        m_resolver->lookupPtr(ip, this, [this, ip, left](const dns::Answer &a) {
            auto done = [this, left] {
                if (--*left == 0)
                    endStep();
            };
            const QString helo = m_input.heloName.toLower();
            if (dns::isTemporary(a.status)) {
                add(finding("ptr", Status::Warn, QStringLiteral("PTR of %1 \u2014 could not be read").arg(ip.toString()),
                            QStringLiteral("DNS said: %1.").arg(dnsProblem(a))));
                done();
                return;
            }
            if (!a.ok() || a.names.isEmpty()) {
                Finding f = finding(
                    "ptr", Status::Fail, QStringLiteral("PTR of %1 \u2014 none").arg(ip.toString()),
                    QStringLiteral("Many receivers refuse or score mail from addresses without reverse DNS. Ask "
                                   "whoever runs the address (ISP, hosting provider) to set its PTR to %1.")
                        .arg(helo));
                f.fixName = dns::reverseName(ip);
                f.fixType = QStringLiteral("PTR");
                f.fixValue = helo + QLatin1Char('.');
                add(f);
                done();
                return;
            }
            const QString name = a.names.first().name.toLower();
            m_resolver->lookupAddresses(name, this, [this, ip, name, helo, done](const dns::AddressAnswer &fwd) {
                bool confirmed = false;
                for (const dns::AddressRecord &r : fwd.addresses)
                    confirmed = confirmed || r.address.isEqual(ip, QHostAddress::TolerantConversion);
                if (!confirmed) {
                    add(finding("ptr", Status::Fail,
                                QStringLiteral("PTR of %1 \u2014 %2 does not resolve back").arg(ip.toString(), name),
                                QStringLiteral("Forward-confirmed reverse DNS fails: %1 has no A/AAAA record "
                                               "with %2. Add one, or change the PTR.")
                                    .arg(name, ip.toString())));
                } else if (name != helo) {
                    Finding f = finding(
                        "ptr", Status::Warn,
                        QStringLiteral("PTR of %1 \u2014 %2, confirmed, but the HELO name is %3").arg(ip.toString(), name, helo),
                        QStringLiteral("Receivers compare the EHLO name with reverse DNS. Set RelayDesk's host name "
                                       "(smtp.hostname) to %1, or change the PTR to %2.")
                            .arg(name, helo));
                    add(f);
                } else {
                    add(finding("ptr", Status::Pass,
                                QStringLiteral("PTR of %1 \u2014 %2, confirmed, matches HELO").arg(ip.toString(), name)));
                }
                done();
            });
        });
    }
}

// --- DNSBL -----------------------------------------------------------------

void DnsChecker::checkDnsbl()
{
    beginStep(QStringLiteral("Block lists"));
    if (m_input.dnsblZones.isEmpty() || m_input.publicAddresses.isEmpty()) {
        if (m_input.dnsblZones.isEmpty())
            add(finding("dnsbl", Status::Info, QStringLiteral("No DNS block lists configured"),
                        QStringLiteral("Add block list zones (for example zen.spamhaus.org) to check whether the "
                                       "relay's public addresses are listed.")));
        QMetaObject::invokeMethod(this, [this] { endStep(); }, Qt::QueuedConnection);
        return;
    }
    auto left = std::make_shared<int>(0);
    for (const QHostAddress &ip : m_input.publicAddresses) {
        bool v4 = false;
        const QString rev = reversedV4(ip, &v4);
        if (!v4) {
            add(finding("dnsbl", Status::Info, QStringLiteral("%1 \u2014 IPv6, not checked").arg(ip.toString()),
                        QStringLiteral("Most block lists list IPv4 addresses only.")));
            continue;
        }
        for (const QString &zoneRaw : m_input.dnsblZones) {
            const QString zone = zoneRaw.trimmed().toLower();
            if (zone.isEmpty())
                continue;
            ++*left;
            m_resolver->lookup(rev + QLatin1Char('.') + zone, dns::RecordType::A, this,
                               [this, ip, zone, left](const dns::Answer &a) {
                const QString what = QStringLiteral("%1 on %2").arg(ip.toString(), zone);
                if (a.status == dns::Status::NxDomain || a.status == dns::Status::NoData) {
                    add(finding("dnsbl", Status::Pass, QStringLiteral("%1 \u2014 not listed").arg(what)));
                } else if (a.ok()) {
                    QStringList codes;
                    bool refused = false;
                    for (const dns::AddressRecord &r : a.addresses) {
                        codes << r.address.toString();
                        refused = refused || r.address.toString().startsWith(QLatin1String("127.255.255."));
                    }
                    if (refused)
                        add(finding("dnsbl", Status::Warn, QStringLiteral("%1 \u2014 the list refused the query").arg(what),
                                    QStringLiteral("Answer %1: the list blocks queries from this resolver (public "
                                                   "DNS resolvers often are). Use your own resolver.")
                                        .arg(codes.join(QStringLiteral(", ")))));
                    else
                        add(finding("dnsbl", Status::Fail, QStringLiteral("%1 \u2014 listed").arg(what),
                                    QStringLiteral("Answer %1. Receivers using this list refuse mail from the relay; "
                                                   "find the cause (an open relay, a compromised account) and ask "
                                                   "the list to delist the address.")
                                        .arg(codes.join(QStringLiteral(", ")))));
                } else {
                    add(finding("dnsbl", Status::Warn, QStringLiteral("%1 \u2014 could not be checked").arg(what),
                                QStringLiteral("DNS said: %1.").arg(dnsProblem(a))));
                }
                if (--*left == 0)
                    endStep();
            });
        }
    }
    if (*left == 0)
        QMetaObject::invokeMethod(this, [this] { endStep(); }, Qt::QueuedConnection);
}

} // namespace rd::dnscheck

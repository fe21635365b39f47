#include "dnscheck/dnschecker.h"

#include "config/sendconnector.h"
#include "delivery/connectorprobe.h"
#include "dns/resolver.h"
#include "mailauth/dmarc.h"
#include "mailauth/publicsuffix.h"
#include "mailauth/spf.h"

#include <QPointer>
#include <QRegularExpression>

#include <algorithm>
#include <memory>

namespace rd::dnscheck {
namespace {

const QStringList kOrder = {QStringLiteral("spf"),   QStringLiteral("dkim"), QStringLiteral("dmarc"),
                            QStringLiteral("mx"),    QStringLiteral("ptr"),  QStringLiteral("dnsbl"),
                            QStringLiteral("engine")};

Finding finding(const char *check, Status s, const QString &title, const QString &detail = {})
{
    Finding f;
    f.check = QString::fromLatin1(check);
    f.status = s;
    f.title = title;
    f.detail = detail;
    return f;
}

QString dnsProblem(const dns::Answer &a)
{
    return a.error.isEmpty() ? dns::statusName(a.status) : a.error;
}

bool isSpfRecord(const QByteArray &text)
{
    const QByteArray lower = text.toLower();
    return lower == "v=spf1" || lower.startsWith("v=spf1 ");
}

// "ip4:192.0.2.1" / "ip6:2001:db8::1"
QString spfTerm(const QHostAddress &a)
{
    QHostAddress addr = a;
    bool ok = false;
    const quint32 v4 = addr.toIPv4Address(&ok);
    if (ok)
        return QStringLiteral("ip4:") + QHostAddress(v4).toString();
    return QStringLiteral("ip6:") + addr.toString();
}

// The record with `terms` added before its "all"/"redirect=" (or at the end).
QString spfWith(const QString &record, const QStringList &terms)
{
    QStringList parts = record.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (parts.isEmpty())
        parts << QStringLiteral("v=spf1");
    qsizetype at = parts.size();
    for (qsizetype i = 1; i < parts.size(); ++i) {
        const QString p = parts.at(i).toLower();
        static const QRegularExpression allRe(QStringLiteral("^[+?~-]?all$"));
        if (allRe.match(p).hasMatch() || p.startsWith(QLatin1String("redirect="))) {
            at = i;
            break;
        }
    }
    for (const QString &t : terms) {
        if (!parts.contains(t, Qt::CaseInsensitive))
            parts.insert(at++, t);
    }
    return parts.join(QLatin1Char(' '));
}

// The p= value of a DKIM key record (white space removed); null if absent.
QString dkimPublicKey(const QString &record)
{
    for (const QString &tag : record.split(QLatin1Char(';'))) {
        const qsizetype eq = tag.indexOf(QLatin1Char('='));
        if (eq < 0)
            continue;
        if (tag.left(eq).trimmed() == QLatin1String("p")) {
            QString v = tag.mid(eq + 1);
            v.remove(QRegularExpression(QStringLiteral("\\s")));
            return v.isNull() ? QStringLiteral("") : v;
        }
    }
    return {};
}

QString reversedV4(const QHostAddress &a, bool *ok)
{
    const quint32 v = a.toIPv4Address(ok);
    if (!*ok)
        return {};
    return QStringLiteral("%1.%2.%3.%4").arg(v & 0xff).arg((v >> 8) & 0xff).arg((v >> 16) & 0xff).arg(v >> 24);
}

} // namespace

CheckInput checkInputFor(const config::ConfigSnapshot &config, const QString &dataDir, const QString &domain)
{
    using namespace config::keys;
    CheckInput in;
    in.domain = domain.trimmed().toLower();
    for (const QString &a : config.stringValue(kPublicAddresses).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QHostAddress addr(a.trimmed());
        if (!addr.isNull())
            in.publicAddresses << addr;
    }
    in.heloName = config.stringValue(kHostname);
    for (const QString &z : config.stringValue(kDnsblZones).split(QLatin1Char(','), Qt::SkipEmptyParts))
        in.dnsblZones << z.trimmed();
    in.smtpPort = quint16(config.intValue(kMxPort));
    config::DkimKeyStore store(dataDir);
    QString error;
    for (const config::DkimKeyInfo &k : store.list(&error)) {
        if (k.domain == in.domain)
            in.keys << k;
    }
    return in;
}

DnsChecker::DnsChecker(dns::Resolver *resolver, CheckInput input, QObject *parent)
    : QObject(parent), m_resolver(resolver), m_input(std::move(input))
{
    m_input.domain = m_input.domain.trimmed().toLower();
    if (m_input.domain.endsWith(QLatin1Char('.')))
        m_input.domain.chop(1);
    m_report.domain = m_input.domain;
}

DnsChecker::~DnsChecker() = default;

void DnsChecker::start()
{
    m_clock.start();
    m_report.when = QDateTime::currentDateTimeUtc();
    m_total = 1; // the start step, ended below from the event loop
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (!dns::isValidQueryName(m_input.domain) || !m_input.domain.contains(QLatin1Char('.'))) {
                add(finding("engine", Status::Fail, QStringLiteral("\"%1\" is not a domain name").arg(m_input.domain)));
                endStep();
                return;
            }
            checkSpf();
            checkDkim();
            checkDmarc();
            checkMx();
            checkPtr();
            checkDnsbl();
            endStep();
        },
        Qt::QueuedConnection);
}

void DnsChecker::add(const Finding &f)
{
    m_report.findings << f;
}

void DnsChecker::beginStep(const QString &step)
{
    ++m_total;
    emit progress(step, m_done, m_total);
}

void DnsChecker::endStep()
{
    ++m_done;
    if (m_done < m_total) {
        emit progress(QString(), m_done, m_total);
        return;
    }
    if (m_finished)
        return;
    m_finished = true;
    std::stable_sort(m_report.findings.begin(), m_report.findings.end(), [](const Finding &a, const Finding &b) {
        return kOrder.indexOf(a.check) < kOrder.indexOf(b.check);
    });
    m_report.durationMs = m_clock.elapsed();
    emit progress(QString(), m_done, m_total);
    emit finished(m_report);
}

// --- SPF -------------------------------------------------------------------

void DnsChecker::checkSpf()
{
    beginStep(QStringLiteral("SPF record of %1").arg(m_input.domain));
    m_resolver->lookupTxt(m_input.domain, this, [this](const dns::Answer &a) {
        QStringList suggestion;
        for (const QHostAddress &ip : m_input.publicAddresses)
            suggestion << spfTerm(ip);
        if (suggestion.isEmpty())
            suggestion << QStringLiteral("mx");
        if (dns::isTemporary(a.status)) {
            add(finding("spf", Status::Warn, QStringLiteral("The SPF record could not be read"),
                        QStringLiteral("DNS said: %1. Run the check again later.").arg(dnsProblem(a))));
            endStep();
            return;
        }
        QList<QByteArray> records;
        for (const dns::TxtRecord &t : a.txt) {
            if (isSpfRecord(t.text()))
                records << t.text();
        }
        if (records.isEmpty()) {
            Finding f = finding(
                "spf", Status::Fail, QStringLiteral("No SPF record"),
                QStringLiteral("%1 publishes no \"v=spf1\" TXT record, so receivers cannot tell your relay from a "
                               "forger and many will file the mail as spam. Publish this record (add the other "
                               "servers that send as %1, such as your mail provider's include: term).")
                    .arg(m_input.domain));
            f.fixName = m_input.domain;
            f.fixType = QStringLiteral("TXT");
            f.fixValue = spfWith(QStringLiteral("v=spf1 -all"), suggestion);
            add(f);
            endStep();
            return;
        }
        if (records.size() > 1) {
            QStringList texts;
            for (const QByteArray &r : records)
                texts << QString::fromUtf8(r);
            Finding f = finding("spf", Status::Fail,
                                QStringLiteral("%1 SPF records \u2014 receivers treat this as an error").arg(records.size()),
                                QStringLiteral("RFC 7208 allows exactly one: with more, every check ends in "
                                               "permerror. Merge them into one: %1")
                                    .arg(texts.join(QStringLiteral(" | "))));
            add(f);
            endStep();
            return;
        }
        const QString text = QString::fromUtf8(records.first());
        const mailauth::SpfRecordCheck check = mailauth::checkSpfRecord(text);
        if (!check.valid) {
            add(finding("spf", Status::Fail, QStringLiteral("The SPF record is invalid"),
                        QStringLiteral("%1\nRecord: %2").arg(check.error, text)));
            endStep();
            return;
        }
        add(finding("spf", Status::Pass, QStringLiteral("One valid SPF record"), text));
        for (const QString &w : check.warnings)
            add(finding("spf", Status::Warn, w, QStringLiteral("Record: %1").arg(text)));
        if (m_input.publicAddresses.isEmpty()) {
            add(finding("spf", Status::Info, QStringLiteral("No public address to check against SPF"),
                        QStringLiteral("Enter the relay's public IP addresses (as the Internet sees them) to check "
                                       "that the record authorises them.")));
            endStep();
            return;
        }
        // Evaluate the record for every public address, as a receiver would.
        auto *spf = new mailauth::SpfEvaluator(m_resolver, this);
        auto left = std::make_shared<int>(int(m_input.publicAddresses.size()));
        auto missing = std::make_shared<QStringList>();
        for (const QHostAddress &ip : m_input.publicAddresses) {
            mailauth::SpfRequest req;
            req.ip = ip;
            req.helo = m_input.heloName;
            req.sender = QStringLiteral("postmaster@") + m_input.domain;
            req.receiver = m_input.heloName;
            req.domain = m_input.domain;
            spf->check(req, this, [this, ip, text, left, missing, spf](const mailauth::SpfOutcome &o) {
                using R = mailauth::SpfResult;
                const QString name = mailauth::spfResultName(o.result);
                const QString lookups = QStringLiteral("%1 DNS lookups (limit 10), %2 void lookups (limit 2).")
                                            .arg(o.dnsLookups)
                                            .arg(o.voidLookups);
                if (o.result == R::Pass) {
                    add(finding("spf", Status::Pass, QStringLiteral("SPF authorises %1").arg(ip.toString()),
                                QStringLiteral("Matched by \"%1\". %2").arg(o.mechanism, lookups)));
                } else if (o.result == R::TempError) {
                    add(finding("spf", Status::Warn,
                                QStringLiteral("SPF authorises %1 \u2014 could not tell (temperror)").arg(ip.toString()),
                                o.problem));
                } else if (o.result == R::PermError) {
                    add(finding("spf", Status::Fail,
                                QStringLiteral("SPF authorises %1 \u2014 no: the record is broken (permerror)")
                                    .arg(ip.toString()),
                                QStringLiteral("%1 %2").arg(o.problem, lookups)));
                } else {
                    Finding f = finding(
                        "spf", Status::Fail,
                        QStringLiteral("SPF authorises %1 \u2014 no (%2)").arg(ip.toString(), name),
                        QStringLiteral("A receiver checking mail from this relay gets \"%1\"%2. Add the address "
                                       "to the record.")
                            .arg(name, o.mechanism.isEmpty() ? QString() : QStringLiteral(" (from \"%1\")").arg(o.mechanism)));
                    missing->append(spfTerm(ip));
                    f.fixName = m_input.domain;
                    f.fixType = QStringLiteral("TXT");
                    f.fixValue = spfWith(text, *missing);
                    add(f);
                }
                if (--*left == 0) {
                    spf->deleteLater();
                    endStep();
                }
            });
        }
    });
}

// --- DKIM ------------------------------------------------------------------

void DnsChecker::checkDkim()
{
    beginStep(QStringLiteral("DKIM selectors of %1").arg(m_input.domain));
    if (m_input.keys.isEmpty()) {
        add(finding("dkim", Status::Warn, QStringLiteral("RelayDesk has no DKIM key for %1").arg(m_input.domain),
                    QStringLiteral("Mail from %1 leaves unsigned, so DMARC can pass only through SPF (which breaks "
                                   "when mail is forwarded). Generate a key under Certificates \u2192 DKIM keys and "
                                   "publish its record.")
                        .arg(m_input.domain)));
        QMetaObject::invokeMethod(this, [this] { endStep(); }, Qt::QueuedConnection);
        return;
    }
    auto left = std::make_shared<int>(int(m_input.keys.size()));
    for (const config::DkimKeyInfo &k : m_input.keys) {
        m_resolver->lookupTxt(k.dnsName, this, [this, k, left](const dns::Answer &a) {
            const QString label = QStringLiteral("Selector %1").arg(k.selector);
            auto withFix = [&](Finding f) {
                f.fixName = k.dnsName;
                f.fixType = QStringLiteral("TXT");
                f.fixValue = k.dnsRecord;
                return f;
            };
            if (!k.problem.isEmpty()) {
                add(finding("dkim", Status::Fail, QStringLiteral("%1 \u2014 RelayDesk's key is unusable").arg(label),
                            k.problem));
            } else if (dns::isTemporary(a.status)) {
                add(finding("dkim", Status::Warn, QStringLiteral("%1 \u2014 the record could not be read").arg(label),
                            QStringLiteral("DNS said: %1.").arg(dnsProblem(a))));
            } else if (!a.ok()) {
                add(withFix(finding(
                    "dkim", Status::Fail, QStringLiteral("%1 \u2014 no record at %2").arg(label, k.dnsName),
                    QStringLiteral("Receivers cannot verify mail RelayDesk signs with this key%1. Publish the record.")
                        .arg(k.enabled ? QString() : QStringLiteral(" (the key is disabled now)")))));
            } else {
                QString published;
                for (const dns::TxtRecord &t : a.txt) {
                    const QString text = QString::fromUtf8(t.text());
                    if (!dkimPublicKey(text).isNull()) {
                        published = text;
                        break;
                    }
                }
                const QString ours = dkimPublicKey(k.dnsRecord);
                const QString theirs = dkimPublicKey(published);
                if (published.isEmpty()) {
                    add(withFix(finding("dkim", Status::Fail,
                                        QStringLiteral("%1 \u2014 the record has no key (p=)").arg(label),
                                        QStringLiteral("Found: %1").arg(QString::fromUtf8(a.txt.first().text())))));
                } else if (theirs.isEmpty()) {
                    add(withFix(finding("dkim", Status::Fail,
                                        QStringLiteral("%1 \u2014 the published key is revoked (empty p=)").arg(label),
                                        QStringLiteral("Mail signed with this key fails verification."))));
                } else if (theirs != ours) {
                    add(withFix(finding(
                        "dkim", Status::Fail, QStringLiteral("%1 \u2014 the record carries a different key").arg(label),
                        QStringLiteral("Mail RelayDesk signs fails verification. Replace the record with ours."))));
                } else {
                    add(finding("dkim", Status::Pass,
                                QStringLiteral("%1 \u2014 published and matches our key").arg(label),
                                QStringLiteral("%1, %2 bits, %3.")
                                    .arg(k.algorithm)
                                    .arg(k.bits)
                                    .arg(k.enabled ? QStringLiteral("signing") : QStringLiteral("disabled"))));
                    if (k.algorithm == QLatin1String("rsa-sha256") && k.bits < 2048)
                        add(finding("dkim", Status::Warn, QStringLiteral("%1 \u2014 key shorter than 2048 bits").arg(label),
                                    QStringLiteral("Generate a 2048-bit key under a new selector and retire this one.")));
                }
            }
            if (--*left == 0)
                endStep();
        });
    }
}

// --- DMARC -----------------------------------------------------------------

void DnsChecker::checkDmarc()
{
    beginStep(QStringLiteral("DMARC policy of %1").arg(m_input.domain));
    const QString org = mailauth::PublicSuffixList::system().organizationalDomain(m_input.domain);
    auto evaluate = [this](const QString &where, const dns::Answer &a, bool inherited) -> bool {
        QStringList records;
        for (const dns::TxtRecord &t : a.txt) {
            const QString text = QString::fromUtf8(t.text());
            if (text.trimmed().startsWith(QLatin1String("v=DMARC1"), Qt::CaseInsensitive))
                records << text;
        }
        if (records.isEmpty())
            return false;
        if (records.size() > 1) {
            add(finding("dmarc", Status::Fail, QStringLiteral("%1 DMARC records at %2").arg(records.size()).arg(where),
                        QStringLiteral("With more than one record receivers apply none (RFC 7489 6.6.3). Keep one.")));
            return true;
        }
        const mailauth::DmarcRecord r = mailauth::parseDmarcRecord(records.first());
        if (!r.applies) {
            Finding f = finding("dmarc", Status::Fail, QStringLiteral("The DMARC record at %1 is not usable").arg(where),
                                QStringLiteral("%1\nRecord: %2").arg(r.error, records.first()));
            f.fixName = QStringLiteral("_dmarc.") + m_input.domain;
            f.fixType = QStringLiteral("TXT");
            f.fixValue = QStringLiteral("v=DMARC1; p=none; rua=mailto:dmarc-reports@%1").arg(m_input.domain);
            add(f);
            return true;
        }
        const QString policy = inherited ? r.sp : r.p;
        const QString source = inherited ? QStringLiteral("inherited from %1 (sp=%2)").arg(where, policy)
                                         : QStringLiteral("at %1").arg(where);
        const Status ps = policy == QLatin1String("none") ? Status::Warn : Status::Pass;
        add(finding("dmarc", ps, QStringLiteral("DMARC policy %1").arg(policy),
                    QStringLiteral("Record %1: %2").arg(source, records.first())));
        for (int i = 0; i < r.warnings.size(); ++i) {
            if (r.warnings.at(i) == QLatin1String("policy-none"))
                continue; // said above
            add(finding("dmarc", Status::Warn, r.warningTexts.value(i, r.warnings.at(i)),
                        QStringLiteral("Record: %1").arg(records.first())));
        }
        return true;
    };
    m_resolver->lookupTxt(QStringLiteral("_dmarc.") + m_input.domain, this, [this, org, evaluate](const dns::Answer &a) {
        if (dns::isTemporary(a.status)) {
            add(finding("dmarc", Status::Warn, QStringLiteral("The DMARC record could not be read"),
                        QStringLiteral("DNS said: %1.").arg(dnsProblem(a))));
            endStep();
            return;
        }
        if (evaluate(QStringLiteral("_dmarc.") + m_input.domain, a, false)) {
            endStep();
            return;
        }
        auto none = [this] {
            Finding f = finding(
                "dmarc", Status::Fail, QStringLiteral("No DMARC record"),
                QStringLiteral("Without DMARC, receivers apply their own guess and you get no reports about who "
                               "sends as %1. Start with p=none and reports; move to quarantine, then reject, once "
                               "the reports show that all your mail passes.")
                    .arg(m_input.domain));
            f.fixName = QStringLiteral("_dmarc.") + m_input.domain;
            f.fixType = QStringLiteral("TXT");
            f.fixValue = QStringLiteral("v=DMARC1; p=none; rua=mailto:dmarc-reports@%1").arg(m_input.domain);
            add(f);
            endStep();
        };
        if (org.isEmpty() || org == m_input.domain) {
            none();
            return;
        }
        m_resolver->lookupTxt(QStringLiteral("_dmarc.") + org, this, [this, org, evaluate, none](const dns::Answer &b) {
            if (dns::isTemporary(b.status)) {
                add(finding("dmarc", Status::Warn, QStringLiteral("The DMARC record could not be read"),
                            QStringLiteral("DNS said: %1.").arg(dnsProblem(b))));
                endStep();
                return;
            }
            if (evaluate(QStringLiteral("_dmarc.") + org, b, true))
                endStep();
            else
                none();
        });
    });
}

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

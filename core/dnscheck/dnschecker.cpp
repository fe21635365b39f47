#include "dnscheck/dnschecker.h"

#include "dnscheck/dnscheckutil.h"

#include "config/sendconnector.h"
#include "delivery/connectorprobe.h"
#include "dns/resolver.h"
#include "mailauth/dkimkeyrecord.h"
#include "mailauth/dmarc.h"
#include "mailauth/publicsuffix.h"
#include "mailauth/spf.h"

#include <QPointer>
#include <QRegularExpression>

#include <algorithm>
#include <memory>

namespace rd::dnscheck {
namespace {

using detail::dnsProblem;
using detail::finding;

const QStringList kOrder = {QStringLiteral("spf"),   QStringLiteral("dkim"), QStringLiteral("dmarc"),
                            QStringLiteral("mx"),    QStringLiteral("ptr"),  QStringLiteral("dnsbl"),
                            QStringLiteral("engine")};

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
    for (const config::DnsblZone &z : config.dnsblZones) {
        if (z.enabled)
            in.dnsblZones << z.zone.trimmed();
    }
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
            if (mailauth::isSpfRecordText(QByteArrayView(t.text())))
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
                // The key record parser the verifier uses: a record it refuses is one
                // receivers refuse too.
                const std::optional<mailauth::DkimKeyRecord> ours = mailauth::parseDkimKeyRecord(k.dnsRecord.toLatin1());
                std::optional<mailauth::DkimKeyRecord> theirs;
                QString why;
                for (const dns::TxtRecord &t : a.txt) {
                    theirs = mailauth::parseDkimKeyRecord(t.text(), &why);
                    if (theirs)
                        break;
                }
                if (!theirs) {
                    add(withFix(finding("dkim", Status::Fail,
                                        QStringLiteral("%1 \u2014 the record is not a usable key record").arg(label),
                                        QStringLiteral("%1\nFound: %2").arg(why, QString::fromUtf8(a.txt.first().text())))));
                } else if (theirs->revoked) {
                    add(withFix(finding("dkim", Status::Fail,
                                        QStringLiteral("%1 \u2014 the published key is revoked (empty p=)").arg(label),
                                        QStringLiteral("Mail signed with this key fails verification."))));
                } else if (!ours || theirs->publicKey != ours->publicKey) {
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
            if (mailauth::isDmarcRecordText(text))
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

} // namespace rd::dnscheck

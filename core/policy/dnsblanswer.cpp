#include "policy/dnsblanswer.h"

#include "util/cidr.h"

#include <QStringList>

namespace rd::policy {

namespace {

constexpr quint32 kLoopbackNet = 0x7f000000;    // 127.0.0.0/8
constexpr quint32 kErrorNet = 0x7fffff00;       // 127.255.255.0/24 (Spamhaus error codes)
constexpr int kMaxReason = 300;

QString errorCodeText(quint32 v4)
{
    switch (v4 & 0xff) {
    case 252:
        return QStringLiteral("typing error in the DNSBL zone name");
    case 254:
        return QStringLiteral("query refused: asked through a public/open resolver or from an "
                              "unattributable address");
    case 255:
        return QStringLiteral("query refused: excessive number of queries");
    default:
        return QStringLiteral("query error code");
    }
}

} // namespace

QString normalizedDnsblZone(const QString &zone)
{
    QString z = zone.trimmed().toLower();
    while (z.startsWith(QLatin1Char('.')))
        z.remove(0, 1);
    while (z.endsWith(QLatin1Char('.')))
        z.chop(1);
    return z;
}

QString dnsblQueryName(const QHostAddress &client, const QString &zone)
{
    const QString z = normalizedDnsblZone(zone);
    if (z.isEmpty() || client.isNull())
        return {};
    const QString reverse = dns::reverseName(util::normalizedAddress(client));
    // reverseName gives "<labels>.in-addr.arpa" / "<nibbles>.ip6.arpa".
    for (const QLatin1String suffix : {QLatin1String(".in-addr.arpa"), QLatin1String(".ip6.arpa")}) {
        if (reverse.endsWith(suffix))
            return reverse.left(reverse.size() - suffix.size()) + QLatin1Char('.') + z;
    }
    return {};
}

DnsblZoneOutcome classifyDnsblAnswer(const dns::Answer &answer,
                                     const QList<config::DnsblCode> &codes)
{
    DnsblZoneOutcome out;
    out.ttl = answer.ttl;
    switch (answer.status) {
    case dns::Status::Ok:
        break;
    case dns::Status::NxDomain:
    case dns::Status::NoData:
        return out; // not listed
    default:
        out.verdict = DnsblVerdict::Error;
        out.temporary = dns::isTemporary(answer.status);
        out.error = QStringLiteral("DNS %1%2")
                        .arg(dns::statusName(answer.status),
                             answer.error.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(answer.error));
        return out;
    }

    // Any bad record spoils the whole answer.
    for (const dns::AddressRecord &r : answer.addresses) {
        bool isV4 = false;
        const quint32 v4 = r.address.toIPv4Address(&isV4);
        if (!isV4 || (v4 & 0xff000000) != kLoopbackNet) {
            out.verdict = DnsblVerdict::Error;
            out.answer = r.address;
            out.error = QStringLiteral("answer %1 is outside 127.0.0.0/8 (a broken or wildcarded "
                                       "zone); ignored")
                            .arg(r.address.toString());
            return out;
        }
        if ((v4 & 0xffffff00) == kErrorNet) {
            out.verdict = DnsblVerdict::Error;
            out.answer = r.address;
            out.error = QStringLiteral("answer %1: %2; not a listing")
                            .arg(r.address.toString(), errorCodeText(v4));
            return out;
        }
    }

    QStringList meanings;
    for (const dns::AddressRecord &r : answer.addresses) {
        const quint32 v4 = r.address.toIPv4Address();
        QString meaning;
        if (codes.isEmpty()) {
            meaning = QStringLiteral("listed");
        } else {
            for (const config::DnsblCode &c : codes) {
                if (v4 >= c.first && v4 <= c.last) {
                    meaning = c.meaning.isEmpty() ? QStringLiteral("listed") : c.meaning;
                    break;
                }
            }
        }
        if (meaning.isEmpty())
            continue; // a code the admin did not configure: not a listing here
        if (out.verdict != DnsblVerdict::Listed) {
            out.verdict = DnsblVerdict::Listed;
            out.answer = r.address;
        }
        if (!meanings.contains(meaning))
            meanings.append(meaning);
    }
    out.meaning = meanings.join(QStringLiteral("; "));
    return out;
}

QString dnsblReasonText(const dns::Answer &txtAnswer)
{
    if (!txtAnswer.ok())
        return {};
    QStringList parts;
    for (const dns::TxtRecord &r : txtAnswer.txt)
        parts.append(QString::fromUtf8(r.text()));
    QString text = parts.join(QStringLiteral("; "));
    for (QChar &c : text) { // printable ASCII only: safe in an SMTP reply
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            c = QLatin1Char(' ');
        else if (c.unicode() > 0x7f)
            c = QLatin1Char('?');
    }
    text = text.simplified();
    if (text.size() > kMaxReason)
        text = text.left(kMaxReason - 3) + QStringLiteral("...");
    return text;
}

} // namespace rd::policy

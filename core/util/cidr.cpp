#include "util/cidr.h"

namespace rd::util {

QHostAddress normalizedAddress(const QHostAddress &address)
{
    // Only a real IPv4-mapped address (::ffff:a.b.c.d) becomes IPv4; Qt also
    // converts "::" to 0.0.0.0, which would make "::/0" an IPv4 range.
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        const Q_IPV6ADDR b = address.toIPv6Address();
        bool mapped = b[10] == 0xff && b[11] == 0xff;
        for (int i = 0; i < 10 && mapped; ++i)
            mapped = b[i] == 0;
        if (mapped)
            return QHostAddress(quint32(b[12]) << 24 | quint32(b[13]) << 16 | quint32(b[14]) << 8 | quint32(b[15]));
    }
    QHostAddress a = address;
    a.setScopeId(QString());
    return a;
}

bool CidrRange::contains(const QHostAddress &address) const
{
    return normalizedAddress(address).isInSubnet(network, prefix);
}

QString CidrRange::toString() const
{
    return network.toString() + QLatin1Char('/') + QString::number(prefix);
}

bool parseCidr(const QString &text, CidrRange *out, QString *error)
{
    const QString t = text.trimmed();
    if (t.isEmpty()) {
        *error = QStringLiteral("empty entry");
        return false;
    }
    const int slash = t.indexOf(QLatin1Char('/'));
    const QString addrPart = slash < 0 ? t : t.left(slash);
    QHostAddress addr;
    if (!addr.setAddress(addrPart) || addrPart.contains(QLatin1Char('%'))) {
        *error = QStringLiteral("\"%1\" is not an IPv4 or IPv6 address").arg(addrPart);
        return false;
    }
    addr = normalizedAddress(addr);
    const bool v4 = addr.protocol() == QAbstractSocket::IPv4Protocol;
    const int maxPrefix = v4 ? 32 : 128;
    int prefix = maxPrefix;
    if (slash >= 0) {
        const QString p = t.mid(slash + 1);
        bool ok = false;
        prefix = p.toInt(&ok);
        if (!ok || p.isEmpty() || !p.at(0).isDigit()) {
            *error = QStringLiteral("prefix length \"%1\" is not a number").arg(p);
            return false;
        }
        if (prefix < 0 || prefix > maxPrefix) {
            *error = QStringLiteral("prefix length %1 is out of range (0-%2)").arg(prefix).arg(maxPrefix);
            return false;
        }
    }
    // Host bits must be zero: "10.0.0.1/8" is almost always a typo.
    const auto parsed = QHostAddress::parseSubnet(addr.toString() + QLatin1Char('/') + QString::number(prefix));
    if (parsed.first.isNull() || parsed.first != addr) {
        *error = QStringLiteral("%1/%2 has host bits set (did you mean %3/%2?)")
                     .arg(addr.toString())
                     .arg(prefix)
                     .arg(parsed.first.toString());
        return false;
    }
    out->network = addr;
    out->prefix = prefix;
    return true;
}

bool CidrList::parse(const QStringList &entries, QString *error)
{
    QList<CidrRange> ranges;
    for (int i = 0; i < entries.size(); ++i) {
        CidrRange r;
        QString why;
        if (!parseCidr(entries.at(i), &r, &why)) {
            *error = QStringLiteral("entry %1 (\"%2\"): %3").arg(i + 1).arg(entries.at(i), why);
            return false;
        }
        ranges.append(r);
    }
    m_ranges = ranges;
    return true;
}

bool CidrList::matches(const QHostAddress &address) const
{
    const QHostAddress a = normalizedAddress(address);
    for (const CidrRange &r : m_ranges) {
        if (a.isInSubnet(r.network, r.prefix))
            return true;
    }
    return false;
}

} // namespace rd::util

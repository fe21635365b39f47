#include "dns/dnstypes.h"

#include <algorithm>

namespace rd::dns {

QString statusName(Status status)
{
    switch (status) {
    case Status::Ok: return QStringLiteral("ok");
    case Status::NxDomain: return QStringLiteral("nxdomain");
    case Status::NoData: return QStringLiteral("nodata");
    case Status::ServerFailure: return QStringLiteral("servfail");
    case Status::Timeout: return QStringLiteral("timeout");
    case Status::Malformed: return QStringLiteral("malformed");
    case Status::InvalidName: return QStringLiteral("invalid_name");
    }
    return QStringLiteral("unknown");
}

QString recordTypeName(RecordType type)
{
    switch (type) {
    case RecordType::A: return QStringLiteral("A");
    case RecordType::AAAA: return QStringLiteral("AAAA");
    case RecordType::MX: return QStringLiteral("MX");
    case RecordType::TXT: return QStringLiteral("TXT");
    case RecordType::PTR: return QStringLiteral("PTR");
    case RecordType::CNAME: return QStringLiteral("CNAME");
    case RecordType::TLSA: return QStringLiteral("TLSA");
    }
    return QStringLiteral("?");
}

int recordTypeCode(RecordType type)
{
    switch (type) {
    case RecordType::A: return 1;
    case RecordType::AAAA: return 28;
    case RecordType::MX: return 15;
    case RecordType::TXT: return 16;
    case RecordType::PTR: return 12;
    case RecordType::CNAME: return 5;
    case RecordType::TLSA: return 52;
    }
    return 0;
}

bool isTemporary(Status status)
{
    return status == Status::ServerFailure || status == Status::Timeout
        || status == Status::Malformed;
}

bool isPermanent(Status status)
{
    return status == Status::NxDomain || status == Status::NoData
        || status == Status::InvalidName;
}

QByteArray TxtRecord::text() const
{
    QByteArray out;
    for (const QByteArray &s : strings)
        out += s;
    return out;
}

quint32 AddressAnswer::ttl() const
{
    return std::min(a.ttl, aaaa.ttl);
}

AddressAnswer combineAddressAnswers(const QString &name, Answer a, Answer aaaa)
{
    AddressAnswer out;
    out.name = name;
    out.addresses = a.addresses + aaaa.addresses;
    out.canonicalName = a.ok() ? a.canonicalName : aaaa.ok() ? aaaa.canonicalName : name;
    if (!out.addresses.isEmpty())
        out.status = Status::Ok;
    else if (a.status == Status::NxDomain || aaaa.status == Status::NxDomain)
        out.status = Status::NxDomain;
    else if (isTemporary(a.status))
        out.status = a.status;
    else if (isTemporary(aaaa.status))
        out.status = aaaa.status;
    else if (a.status == Status::InvalidName || aaaa.status == Status::InvalidName)
        out.status = Status::InvalidName;
    else
        out.status = Status::NoData;
    out.authenticated = a.authenticated && aaaa.authenticated;
    out.a = std::move(a);
    out.aaaa = std::move(aaaa);
    return out;
}

QString ServerAddress::toString() const
{
    if (address.protocol() == QAbstractSocket::IPv6Protocol)
        return QStringLiteral("[%1]:%2").arg(address.toString()).arg(port);
    return QStringLiteral("%1:%2").arg(address.toString()).arg(port);
}

std::optional<ServerAddress> parseServerAddress(const QString &text, QString *error)
{
    const auto fail = [&](const QString &why) -> std::optional<ServerAddress> {
        if (error)
            *error = QStringLiteral("bad DNS server \"%1\": %2").arg(text, why);
        return std::nullopt;
    };
    const QString t = text.trimmed();
    QString host = t;
    QString portText;
    if (t.startsWith(QLatin1Char('['))) {
        const qsizetype close = t.indexOf(QLatin1Char(']'));
        if (close < 0)
            return fail(QStringLiteral("missing ]"));
        host = t.mid(1, close - 1);
        const QString rest = t.mid(close + 1);
        if (!rest.isEmpty()) {
            if (!rest.startsWith(QLatin1Char(':')))
                return fail(QStringLiteral("expected :port after ]"));
            portText = rest.mid(1);
            if (portText.isEmpty())
                return fail(QStringLiteral("empty port"));
        }
    } else if (t.count(QLatin1Char(':')) == 1) { // IPv4 with a port (an IPv6 address has 2+)
        const qsizetype colon = t.indexOf(QLatin1Char(':'));
        host = t.left(colon);
        portText = t.mid(colon + 1);
        if (portText.isEmpty())
            return fail(QStringLiteral("empty port"));
    }
    ServerAddress server;
    if (host.contains(QLatin1Char('%')) || !server.address.setAddress(host))
        return fail(QStringLiteral("not an IP address"));
    if (!t.startsWith(QLatin1Char('[')) && !portText.isEmpty()
        && server.address.protocol() != QAbstractSocket::IPv4Protocol)
        return fail(QStringLiteral("write an IPv6 address with a port as [address]:port"));
    if (!portText.isEmpty()) {
        bool ok = false;
        const uint port = portText.toUInt(&ok);
        if (!ok || port == 0 || port > 65535)
            return fail(QStringLiteral("bad port"));
        server.port = quint16(port);
    }
    return server;
}

QString reverseName(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    if (isV4 && address.protocol() == QAbstractSocket::IPv4Protocol) {
        return QStringLiteral("%1.%2.%3.%4.in-addr.arpa")
            .arg(v4 & 0xff).arg((v4 >> 8) & 0xff).arg((v4 >> 16) & 0xff).arg(v4 >> 24);
    }
    if (address.protocol() != QAbstractSocket::IPv6Protocol)
        return {};
    const Q_IPV6ADDR v6 = address.toIPv6Address();
    QString out;
    out.reserve(72);
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
        out += QLatin1Char(hex[v6[i] & 0xf]);
        out += QLatin1Char('.');
        out += QLatin1Char(hex[v6[i] >> 4]);
        out += QLatin1Char('.');
    }
    out += QLatin1String("ip6.arpa");
    return out;
}

bool isValidQueryName(const QString &name)
{
    QString n = name;
    if (n.endsWith(QLatin1Char('.')))
        n.chop(1);
    const QByteArray bytes = n.toUtf8();
    if (bytes.isEmpty() || bytes.size() > 253)
        return false;
    for (const QByteArray &label : bytes.split('.')) {
        if (label.isEmpty() || label.size() > 63)
            return false;
    }
    return true;
}

} // namespace rd::dns

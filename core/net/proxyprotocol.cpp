#include "net/proxyprotocol.h"

#include "util/cidr.h"

#include <QList>

namespace rd::net {

namespace {

constexpr char V1Prefix[] = "PROXY "; // 6 octets
constexpr qsizetype V1PrefixLength = 6;
constexpr unsigned char V2Signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr qsizetype V2FixedLength = 16; // signature, ver/cmd, fam/proto, 16-bit length

QString hexOctet(unsigned char c)
{
    return QStringLiteral("0x%1").arg(uint(c), 2, 16, QLatin1Char('0'));
}

// Decimal port: "0" or 1-5 digits without a leading zero, at most 65535.
bool parsePort(QByteArrayView s, quint16 *out)
{
    if (s.isEmpty() || s.size() > 5 || (s.size() > 1 && s[0] == '0'))
        return false;
    quint32 v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + quint32(c - '0');
    }
    if (v > 65535)
        return false;
    *out = quint16(v);
    return true;
}

// Dotted decimal, exactly four octets 0-255 without leading zeros (what
// inet_pton(AF_INET) accepts; "010" would be octal to some parsers).
bool parseIPv4(QByteArrayView s, QHostAddress *out)
{
    quint32 addr = 0;
    int parts = 0;
    qsizetype i = 0;
    while (true) {
        const qsizetype start = i;
        quint32 v = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + quint32(s[i] - '0');
            if (i - start >= 3)
                return false;
            ++i;
        }
        const qsizetype len = i - start;
        if (len == 0 || (len > 1 && s[start] == '0') || v > 255)
            return false;
        addr = addr << 8 | v;
        if (++parts == 4)
            break;
        if (i >= s.size() || s[i] != '.')
            return false;
        ++i;
    }
    if (i != s.size())
        return false;
    *out = QHostAddress(addr);
    return true;
}

// An IPv6 address in text: hex digits, ':' and '.' (an embedded IPv4) only,
// so no scope id ("%eth0") and nothing Qt might be lenient about.
bool parseIPv6(QByteArrayView s, QHostAddress *out)
{
    if (s.size() < 2 || s.size() > 45)
        return false;
    for (char c : s) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':'
                        || c == '.';
        if (!ok)
            return false;
    }
    QHostAddress a;
    if (!a.setAddress(QString::fromLatin1(s.data(), s.size())) || a.protocol() != QAbstractSocket::IPv6Protocol)
        return false;
    *out = a;
    return true;
}

bool isV1AddressChar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'
           || c == ' ';
}

} // namespace

ProxyProtocolParser::Status ProxyProtocolParser::fail(const QString &why)
{
    m_status = Status::Invalid;
    m_error = why;
    m_header = ProxyHeader();
    return m_status;
}

ProxyProtocolParser::Status ProxyProtocolParser::feed(QByteArrayView data)
{
    if (m_status != Status::NeedMore || data.isEmpty())
        return m_status;
    if (m_version == 0) {
        const auto first = static_cast<unsigned char>(data[0]);
        if (first == 'P')
            m_version = 1;
        else if (first == V2Signature[0])
            m_version = 2;
        else
            return fail(QStringLiteral("the client did not send a PROXY header (its first octet is %1)")
                            .arg(hexOctet(first)));
    }
    return m_version == 1 ? feedV1(data) : feedV2(data);
}

// ---- version 1: "PROXY TCP4|TCP6|UNKNOWN ...\r\n" -------------------------

ProxyProtocolParser::Status ProxyProtocolParser::feedV1(QByteArrayView data)
{
    static const QByteArrayView tokens[] = {"TCP4 ", "TCP6 ", "UNKNOWN ", "UNKNOWN\r"};
    for (qsizetype n = 0; n < data.size(); ++n) {
        const char c = data[n];
        const qsizetype i = m_buffer.size();
        const char prev = i > 0 ? m_buffer.back() : '\0';
        m_buffer.append(c);
        if (i < V1PrefixLength) {
            if (c != V1Prefix[i])
                return fail(QStringLiteral("the client did not send a PROXY header (a version 1 header begins "
                                           "with \"PROXY \", octet %1 is %2)")
                                .arg(i + 1)
                                .arg(hexOctet(static_cast<unsigned char>(c))));
            continue;
        }
        if (prev == '\r') {
            if (c != '\n')
                return fail(QStringLiteral("PROXY v1 header: CR not followed by LF"));
            return parseV1Line();
        }
        if (c == '\n')
            return fail(QStringLiteral("PROXY v1 header: line ends in a bare LF (CRLF required)"));
        // The protocol token, checked as soon as it arrives.
        const QByteArrayView tok = QByteArrayView(m_buffer).sliced(V1PrefixLength);
        if (tok.size() <= 8) {
            bool possible = false;
            for (QByteArrayView t : tokens)
                possible = possible || t.startsWith(tok) || tok.startsWith(t);
            if (!possible)
                return fail(QStringLiteral("PROXY v1 header: the protocol is not TCP4, TCP6 or UNKNOWN"));
        }
        // TCP4/TCP6 lines hold only addresses, ports and single spaces.
        if (tok.size() > 5 && tok.startsWith("TCP") && c != '\r' && !isV1AddressChar(c))
            return fail(QStringLiteral("PROXY v1 header: unexpected octet %1 in the addresses")
                            .arg(hexOctet(static_cast<unsigned char>(c))));
        if (m_buffer.size() >= MaxV1Length)
            return fail(QStringLiteral("PROXY v1 header: no CRLF within %1 octets").arg(MaxV1Length));
    }
    return Status::NeedMore;
}

ProxyProtocolParser::Status ProxyProtocolParser::parseV1Line()
{
    const QByteArrayView line = QByteArrayView(m_buffer).chopped(2).sliced(V1PrefixLength);
    ProxyHeader h;
    h.version = 1;
    if (line == "UNKNOWN" || line.startsWith("UNKNOWN ")) {
        // The rest of the line, if any, is to be ignored (spec 2.1).
        h.command = ProxyHeader::Command::Local;
        m_header = h;
        m_status = Status::Done;
        return m_status;
    }
    const QList<QByteArray> parts = QByteArray(line.data(), line.size()).split(' ');
    if (parts.size() != 5)
        return fail(QStringLiteral("PROXY v1 header: expected protocol, two addresses and two ports "
                                   "separated by single spaces"));
    for (const QByteArray &p : parts) {
        if (p.isEmpty())
            return fail(QStringLiteral("PROXY v1 header: empty field (fields are separated by single spaces)"));
    }
    const bool v4 = parts[0] == "TCP4";
    if (!v4 && parts[0] != "TCP6")
        return fail(QStringLiteral("PROXY v1 header: the protocol is not TCP4, TCP6 or UNKNOWN"));
    const auto parseAddr = v4 ? parseIPv4 : parseIPv6;
    if (!parseAddr(parts[1], &h.source))
        return fail(QStringLiteral("PROXY v1 header: the source address is not a valid %1 address")
                        .arg(v4 ? QStringLiteral("IPv4") : QStringLiteral("IPv6")));
    if (!parseAddr(parts[2], &h.destination))
        return fail(QStringLiteral("PROXY v1 header: the destination address is not a valid %1 address")
                        .arg(v4 ? QStringLiteral("IPv4") : QStringLiteral("IPv6")));
    if (!parsePort(parts[3], &h.sourcePort))
        return fail(QStringLiteral("PROXY v1 header: the source port is not a number 0-65535"));
    if (!parsePort(parts[4], &h.destinationPort))
        return fail(QStringLiteral("PROXY v1 header: the destination port is not a number 0-65535"));
    h.command = ProxyHeader::Command::Proxy;
    h.addressesKnown = true;
    m_header = h;
    m_status = Status::Done;
    return m_status;
}

// ---- version 2: binary ---------------------------------------------------

ProxyProtocolParser::Status ProxyProtocolParser::feedV2(QByteArrayView data)
{
    qsizetype n = 0;
    // The fixed 16 octets, checked one by one so a bad one fails at once.
    while (m_buffer.size() < V2FixedLength && n < data.size()) {
        const auto c = static_cast<unsigned char>(data[n]);
        const qsizetype i = m_buffer.size();
        m_buffer.append(char(c));
        ++n;
        if (i < 12 && c != V2Signature[i])
            return fail(QStringLiteral("the client did not send a PROXY header (octet %1 of the version 2 "
                                       "signature is %2)")
                            .arg(i + 1)
                            .arg(hexOctet(c)));
        if (i == 12) {
            if ((c >> 4) != 2)
                return fail(QStringLiteral("PROXY v2 header: unsupported version %1").arg(c >> 4));
            if ((c & 0x0F) > 1)
                return fail(QStringLiteral("PROXY v2 header: unknown command %1").arg(c & 0x0F));
        }
        if (i == 13 && (static_cast<unsigned char>(m_buffer[12]) & 0x0F) == 1) {
            // PROXY: only stream (TCP or UNIX stream) connections make sense for SMTP.
            switch (c) {
            case 0x00: // UNSPEC
            case 0x11: // TCP over IPv4
            case 0x21: // TCP over IPv6
            case 0x31: // UNIX stream
                break;
            case 0x12:
            case 0x22:
            case 0x32:
                return fail(QStringLiteral("PROXY v2 header: datagram (UDP) connections are not accepted"));
            default:
                return fail(QStringLiteral("PROXY v2 header: unknown address family/protocol %1").arg(hexOctet(c)));
            }
        }
        if (i == 15) {
            const qsizetype len = qsizetype(static_cast<unsigned char>(m_buffer[14])) << 8
                                  | static_cast<unsigned char>(m_buffer[15]);
            if (len > MaxV2Payload)
                return fail(QStringLiteral("PROXY v2 header: address block of %1 octets is too long (at most %2)")
                                .arg(len)
                                .arg(MaxV2Payload));
            if ((static_cast<unsigned char>(m_buffer[12]) & 0x0F) == 1) {
                const auto fam = static_cast<unsigned char>(m_buffer[13]);
                const qsizetype need = fam == 0x11 ? 12 : fam == 0x21 ? 36 : fam == 0x31 ? 216 : 0;
                if (len < need)
                    return fail(QStringLiteral("PROXY v2 header: length %1 is shorter than the %2-octet address "
                                               "block")
                                    .arg(len)
                                    .arg(need));
            }
        }
    }
    if (m_buffer.size() < V2FixedLength)
        return Status::NeedMore;
    const qsizetype total = V2FixedLength
                            + (qsizetype(static_cast<unsigned char>(m_buffer[14])) << 8
                               | static_cast<unsigned char>(m_buffer[15]));
    const qsizetype take = qMin(total - m_buffer.size(), data.size() - n);
    m_buffer.append(data.data() + n, take);
    if (m_buffer.size() < total)
        return Status::NeedMore;
    return parseV2();
}

ProxyProtocolParser::Status ProxyProtocolParser::parseV2()
{
    const auto *b = reinterpret_cast<const unsigned char *>(m_buffer.constData());
    const QByteArrayView payload = QByteArrayView(m_buffer).sliced(V2FixedLength);
    const bool local = (b[12] & 0x0F) == 0;
    const unsigned char fam = b[13];
    const qsizetype block = fam == 0x11 || fam == 0x12 ? 12
                            : fam == 0x21 || fam == 0x22 ? 36
                            : fam == 0x31 || fam == 0x32 ? 216
                                                         : 0;
    ProxyHeader h;
    h.version = 2;
    // LOCAL: the family is to be ignored; the block is skipped whatever it holds.
    h.command = local ? ProxyHeader::Command::Local : ProxyHeader::Command::Proxy;
    h.tlvs = payload.size() >= block ? payload.sliced(block).toByteArray() : payload.toByteArray();
    if (!local) {
        const unsigned char *a = b + V2FixedLength;
        if (fam == 0x11) {
            h.source = QHostAddress(quint32(a[0]) << 24 | quint32(a[1]) << 16 | quint32(a[2]) << 8 | a[3]);
            h.destination = QHostAddress(quint32(a[4]) << 24 | quint32(a[5]) << 16 | quint32(a[6]) << 8 | a[7]);
            h.sourcePort = quint16(a[8] << 8 | a[9]);
            h.destinationPort = quint16(a[10] << 8 | a[11]);
            h.addressesKnown = true;
        } else if (fam == 0x21) {
            h.source = QHostAddress(a);
            h.destination = QHostAddress(a + 16);
            h.sourcePort = quint16(a[32] << 8 | a[33]);
            h.destinationPort = quint16(a[34] << 8 | a[35]);
            h.addressesKnown = true;
        }
        // 0x00 (UNSPEC) and 0x31 (UNIX): keep the socket's addresses.
    }
    m_header = h;
    m_status = Status::Done;
    return m_status;
}

bool isTrustedProxy(const QHostAddress &peer, const rd::util::CidrList &trusted)
{
    return trusted.matches(peer);
}

} // namespace rd::net

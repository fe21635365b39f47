// The PROXY protocol header parser (core/net/proxyprotocol): versions 1 and 2,
// incremental feeding, strict rejection, and headers recorded from HAProxy.
#include "net/proxyprotocol.h"
#include "util/cidr.h"

#include <QTest>

using namespace rd::net;
using Status = ProxyProtocolParser::Status;
using Command = ProxyHeader::Command;

Q_DECLARE_METATYPE(rd::net::ProxyHeader::Command)

namespace {

const QByteArray Smtp = QByteArrayLiteral("EHLO x\r\n");
const QByteArray Sig = QByteArray::fromHex("0d0a0d0a000d0a515549540a");

// A v2 header: signature, ver/cmd, fam/proto, 16-bit length, payload.
QByteArray v2(quint8 verCmd, quint8 fam, const QByteArray &payload, int lengthOverride = -1)
{
    const int len = lengthOverride < 0 ? int(payload.size()) : lengthOverride;
    QByteArray h = Sig;
    h.append(char(verCmd)).append(char(fam)).append(char(len >> 8)).append(char(len & 0xFF));
    return h + payload;
}

QByteArray ipv4Block(const char *src, const char *dst, quint16 sp, quint16 dp)
{
    QByteArray b;
    for (const char *a : {src, dst}) {
        const quint32 v = QHostAddress(QString::fromLatin1(a)).toIPv4Address();
        b.append(char(v >> 24)).append(char(v >> 16)).append(char(v >> 8)).append(char(v));
    }
    b.append(char(sp >> 8)).append(char(sp)).append(char(dp >> 8)).append(char(dp));
    return b;
}

QByteArray ipv6Block(const char *src, const char *dst, quint16 sp, quint16 dp)
{
    QByteArray b;
    for (const char *a : {src, dst}) {
        const Q_IPV6ADDR v = QHostAddress(QString::fromLatin1(a)).toIPv6Address();
        b.append(reinterpret_cast<const char *>(v.c), 16);
    }
    b.append(char(sp >> 8)).append(char(sp)).append(char(dp >> 8)).append(char(dp));
    return b;
}

// A TLV: type, 16-bit length, value.
QByteArray tlv(quint8 type, const QByteArray &value)
{
    QByteArray t;
    t.append(char(type)).append(char(value.size() >> 8)).append(char(value.size() & 0xFF));
    return t + value;
}

Status feedAll(ProxyProtocolParser &p, const QByteArray &bytes)
{
    return p.feed(bytes);
}

// Byte by byte; returns the final status and, in *at, the 1-based octet at
// which the status stopped being NeedMore (0 if it never did).
Status feedBytes(ProxyProtocolParser &p, const QByteArray &bytes, qsizetype *at = nullptr)
{
    Status s = Status::NeedMore;
    if (at)
        *at = 0;
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        s = p.feed(QByteArrayView(bytes).sliced(i, 1));
        if (s != Status::NeedMore) {
            if (at)
                *at = i + 1;
            return s;
        }
    }
    return s;
}

} // namespace

class TestProxyProtocol : public QObject {
    Q_OBJECT

    void addValidColumns()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<int>("version");
        QTest::addColumn<Command>("command");
        QTest::addColumn<bool>("known");
        QTest::addColumn<QString>("src");
        QTest::addColumn<QString>("dst");
        QTest::addColumn<int>("sport");
        QTest::addColumn<int>("dport");
        QTest::addColumn<QByteArray>("tlvs");
    }

    void addValidRows()
    {
        const QByteArray none;
        // --- version 1 ---
        QTest::newRow("v1 tcp4") << QByteArray("PROXY TCP4 192.0.2.10 198.51.100.1 56324 25\r\n") << 1
                                 << Command::Proxy << true << "192.0.2.10" << "198.51.100.1" << 56324 << 25 << none;
        QTest::newRow("v1 tcp6") << QByteArray("PROXY TCP6 2001:db8::1 2001:db8:0:1::25 65535 587\r\n") << 1
                                 << Command::Proxy << true << "2001:db8::1" << "2001:db8:0:1::25" << 65535 << 587
                                 << none;
        QTest::newRow("v1 tcp6 upper") << QByteArray("PROXY TCP6 2001:DB8::A ::1 1 2\r\n") << 1 << Command::Proxy
                                       << true << "2001:db8::a" << "::1" << 1 << 2 << none;
        QTest::newRow("v1 tcp6 mapped") << QByteArray("PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n") << 1
                                        << Command::Proxy << true << "::ffff:192.0.2.1" << "::1" << 1 << 2 << none;
        QTest::newRow("v1 ports 0") << QByteArray("PROXY TCP4 0.0.0.0 255.255.255.255 0 0\r\n") << 1
                                    << Command::Proxy << true << "0.0.0.0" << "255.255.255.255" << 0 << 0 << none;
        QTest::newRow("v1 unknown") << QByteArray("PROXY UNKNOWN\r\n") << 1 << Command::Local << false << ""
                                    << "" << 0 << 0 << none;
        QTest::newRow("v1 unknown rest") << QByteArray("PROXY UNKNOWN ffff:f...f:ffff 1.2.3.4  junk 99999\r\n")
                                         << 1 << Command::Local << false << "" << "" << 0 << 0 << none;
        // The spec's worst case: 107 octets exactly.
        const QByteArray worst = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                                 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
        QTest::newRow("v1 107 octets") << worst << 1 << Command::Proxy << true
                                       << "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
                                       << "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" << 65535 << 65535 << none;
        QByteArray unk107 = "PROXY UNKNOWN " + QByteArray(107 - 16, 'x') + "\r\n";
        QTest::newRow("v1 unknown 107") << unk107 << 1 << Command::Local << false << "" << "" << 0 << 0 << none;

        // --- version 2 ---
        QTest::newRow("v2 tcp4") << v2(0x21, 0x11, ipv4Block("192.0.2.10", "198.51.100.1", 56324, 25)) << 2
                                 << Command::Proxy << true << "192.0.2.10" << "198.51.100.1" << 56324 << 25 << none;
        QTest::newRow("v2 tcp6") << v2(0x21, 0x21, ipv6Block("2001:db8::1", "2001:db8::25", 1025, 465)) << 2
                                 << Command::Proxy << true << "2001:db8::1" << "2001:db8::25" << 1025 << 465
                                 << none;
        const QByteArray tlvs = tlv(0x04, "") + tlv(0x02, "mx.example") + tlv(0x05, "id-1");
        QTest::newRow("v2 tcp4 tlvs") << v2(0x21, 0x11, ipv4Block("10.1.2.3", "10.0.0.1", 40000, 25) + tlvs) << 2
                                      << Command::Proxy << true << "10.1.2.3" << "10.0.0.1" << 40000 << 25 << tlvs;
        QTest::newRow("v2 tcp6 tlvs") << v2(0x21, 0x21, ipv6Block("::2", "::1", 7, 8) + tlvs) << 2
                                      << Command::Proxy << true << "::2" << "::1" << 7 << 8 << tlvs;
        // Any octets after the address block are kept as they are, even when not well-formed TLVs.
        QTest::newRow("v2 odd tail") << v2(0x21, 0x11, ipv4Block("1.2.3.4", "5.6.7.8", 1, 2) + "\x01") << 2
                                     << Command::Proxy << true << "1.2.3.4" << "5.6.7.8" << 1 << 2
                                     << QByteArray("\x01");
        QTest::newRow("v2 local") << v2(0x20, 0x00, {}) << 2 << Command::Local << false << "" << "" << 0 << 0
                                  << none;
        // LOCAL ignores the family and skips the block, whatever it says.
        QTest::newRow("v2 local with block") << v2(0x20, 0x11, ipv4Block("1.2.3.4", "5.6.7.8", 1, 2)) << 2
                                             << Command::Local << false << "" << "" << 0 << 0 << none;
        QTest::newRow("v2 local udp fam") << v2(0x20, 0x12, {}) << 2 << Command::Local << false << "" << "" << 0
                                          << 0 << none;
        QTest::newRow("v2 local odd fam") << v2(0x20, 0xFF, "ab") << 2 << Command::Local << false << "" << ""
                                          << 0 << 0 << QByteArray("ab");
        QTest::newRow("v2 unspec") << v2(0x21, 0x00, {}) << 2 << Command::Proxy << false << "" << "" << 0 << 0
                                   << none;
        QTest::newRow("v2 unspec tlv") << v2(0x21, 0x00, tlv(0x04, "")) << 2 << Command::Proxy << false << ""
                                       << "" << 0 << 0 << tlv(0x04, "");
        QTest::newRow("v2 unix") << v2(0x21, 0x31, QByteArray(216, 'u')) << 2 << Command::Proxy << false << ""
                                 << "" << 0 << 0 << none;
        QTest::newRow("v2 max len") << v2(0x21, 0x11, ipv4Block("1.2.3.4", "5.6.7.8", 1, 2) + QByteArray(500, 0))
                                    << 2 << Command::Proxy << true << "1.2.3.4" << "5.6.7.8" << 1 << 2
                                    << QByteArray(500, 0);

        // --- recorded from HAProxy 2.6.12 (Debian bookworm 2.6.12-1+deb12u4), see haproxyFixtures() ---
        QTest::newRow("haproxy v1 tcp4")
            << QByteArray::fromHex("50524f58592054435034203132372e302e302e31203132372e302e302e31203434333638"
                                   "2031373030310d0a")
            << 1 << Command::Proxy << true << "127.0.0.1" << "127.0.0.1" << 44368 << 17001 << none;
        QTest::newRow("haproxy v1 tcp6")
            << QByteArray::fromHex("50524f58592054435036203a3a31203a3a312035323933302031373030310d0a") << 1
            << Command::Proxy << true << "::1" << "::1" << 52930 << 17001 << none;
        QTest::newRow("haproxy v2 tcp4")
            << QByteArray::fromHex("0d0a0d0a000d0a515549540a2111000c7f0000017f000001aa74426a") << 2
            << Command::Proxy << true << "127.0.0.1" << "127.0.0.1" << 43636 << 17002 << none;
        QTest::newRow("haproxy v2 tcp6")
            << QByteArray::fromHex("0d0a0d0a000d0a515549540a2121002400000000000000000000000000000001000000000000"
                                   "00000000000000000001e960426a")
            << 2 << Command::Proxy << true << "::1" << "::1" << 59744 << 17002 << none;
        // proxy-v2-options crc32c,unique-id,authority (no SNI, so no authority TLV):
        // PP2_TYPE_CRC32C (0x03, 4 octets) and PP2_TYPE_UNIQUE_ID (0x05, "abc-<uuid>").
        const QByteArray haproxyTlv = QByteArray::fromHex(
            "0d0a0d0a000d0a515549540a2111003e7f0000017f0000019a6e426b03000474c29c3e0500286162632d32636331306365362d"
            "346330392d346161612d383166352d36353437323839643365643145484c4f20636c69656e742e6578616d706c650d0a");
        const qsizetype haproxyTlvLength = 16 + 0x3e; // the recording ends with the client's "EHLO client.example\r\n"
        QTest::newRow("haproxy v2 tlvs") << haproxyTlv.left(haproxyTlvLength) << 2 << Command::Proxy << true
                                         << "127.0.0.1" << "127.0.0.1" << 39534 << 17003
                                         << haproxyTlv.mid(28, haproxyTlvLength - 28);
        // A health check with "check-send-proxy" and send-proxy-v2: LOCAL, AF_UNSPEC, no payload.
        QTest::newRow("haproxy v2 check") << QByteArray::fromHex("0d0a0d0a000d0a515549540a20000000") << 2
                                          << Command::Local << false << "" << "" << 0 << 0 << none;
        // A health check with send-proxy (v1): HAProxy sends TCP4 with the check's own endpoints.
        QTest::newRow("haproxy v1 check")
            << QByteArray::fromHex("50524f58592054435034203132372e302e302e31203132372e302e302e31203437363936"
                                   "2031373530300d0a")
            << 1 << Command::Proxy << true << "127.0.0.1" << "127.0.0.1" << 47696 << 17500 << none;
    }

    void checkHeader(const ProxyHeader &h)
    {
        QFETCH(int, version);
        QFETCH(Command, command);
        QFETCH(bool, known);
        QFETCH(QString, src);
        QFETCH(QString, dst);
        QFETCH(int, sport);
        QFETCH(int, dport);
        QFETCH(QByteArray, tlvs);
        QCOMPARE(h.version, version);
        QCOMPARE(h.command, command);
        QCOMPARE(h.addressesKnown, known);
        if (known) {
            QCOMPARE(h.source, QHostAddress(src));
            QCOMPARE(h.destination, QHostAddress(dst));
            QCOMPARE(h.source.protocol(), QHostAddress(src).protocol());
            QCOMPARE(int(h.sourcePort), sport);
            QCOMPARE(int(h.destinationPort), dport);
        } else {
            QVERIFY(h.source.isNull());
            QVERIFY(h.destination.isNull());
            QCOMPARE(int(h.sourcePort), 0);
            QCOMPARE(int(h.destinationPort), 0);
        }
        QCOMPARE(h.tlvs.toHex(), tlvs.toHex());
    }

private slots:
    void valid_data()
    {
        addValidColumns();
        addValidRows();
    }
    void valid()
    {
        QFETCH(QByteArray, input);
        ProxyProtocolParser p;
        QCOMPARE(feedAll(p, input), Status::Done);
        QCOMPARE(p.consumed(), input.size());
        QVERIFY(p.error().isEmpty());
        checkHeader(p.header());
    }

    void validByteByByte_data()
    {
        addValidColumns();
        addValidRows();
    }
    void validByteByByte()
    {
        QFETCH(QByteArray, input);
        ProxyProtocolParser p;
        qsizetype at = 0;
        QCOMPARE(feedBytes(p, input, &at), Status::Done);
        QCOMPARE(at, input.size()); // NeedMore up to the very last octet
        QCOMPARE(p.consumed(), input.size());
        checkHeader(p.header());
    }

    // The header followed by SMTP in the same read, split at every position.
    void validFollowedBySmtp_data()
    {
        addValidColumns();
        addValidRows();
    }
    void validFollowedBySmtp()
    {
        QFETCH(QByteArray, input);
        const QByteArray all = input + Smtp;
        {
            ProxyProtocolParser p;
            QCOMPARE(p.feed(all), Status::Done);
            QCOMPARE(p.consumed(), input.size());
            QCOMPARE(all.mid(p.consumed()), Smtp);
            checkHeader(p.header());
        }
        for (qsizetype split = 1; split < all.size(); ++split) {
            ProxyProtocolParser p;
            Status s = p.feed(QByteArrayView(all).first(split));
            if (split < input.size()) {
                QCOMPARE(s, Status::NeedMore);
                QCOMPARE(p.consumed(), 0);
                s = p.feed(QByteArrayView(all).sliced(split));
            }
            QCOMPARE(s, Status::Done);
            QCOMPARE(p.consumed(), input.size());
            // Done is final: later data is not looked at.
            QCOMPARE(p.feed("PROXY garbage"), Status::Done);
            QCOMPARE(p.consumed(), input.size());
            checkHeader(p.header());
        }
    }

    void invalid_data()
    {
        QTest::addColumn<QByteArray>("input");
        // The octet (1-based) by which Invalid must be reported when fed byte by byte; 0: only at the end.
        QTest::addColumn<int>("failsBy");

        // --- a direct client, not a balancer: Invalid on the first octet ---
        QTest::newRow("EHLO") << QByteArray("EHLO client.example\r\n") << 1;
        QTest::newRow("HELO") << QByteArray("HELO client.example\r\n") << 1;
        QTest::newRow("ehlo lower") << QByteArray("ehlo x\r\n") << 1;
        QTest::newRow("TLS ClientHello") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) << 1;
        QTest::newRow("QUIT") << QByteArray("QUIT\r\n") << 1;
        QTest::newRow("NUL") << QByteArray(1, '\0') << 1;
        QTest::newRow("LF") << QByteArray("\n") << 1;
        QTest::newRow("proxy lower") << QByteArray("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n") << 1;

        // --- version 1 ---
        QTest::newRow("POST") << QByteArray("POST / HTTP/1.0\r\n") << 2;
        QTest::newRow("PROXY no space") << QByteArray("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n") << 6;
        QTest::newRow("Proxy mixed") << QByteArray("Proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n") << 2;
        QTest::newRow("tcp4 lower") << QByteArray("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n") << 7;
        QTest::newRow("UDP4") << QByteArray("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n") << 8; // "U" could still be "UNKNOWN"
        QTest::newRow("TCP5") << QByteArray("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n") << 10;
        QTest::newRow("UNKNOWNX") << QByteArray("PROXY UNKNOWNX\r\n") << 14;
        QTest::newRow("empty proto") << QByteArray("PROXY \r\n") << 7;
        QTest::newRow("double space after PROXY") << QByteArray("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n") << 7;
        QTest::newRow("double space") << QByteArray("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n") << 0;
        QTest::newRow("double space ports") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n") << 0;
        QTest::newRow("trailing space") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n") << 0;
        QTest::newRow("tab") << QByteArray("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n") << 19;
        QTest::newRow("missing port") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n") << 0;
        QTest::newRow("extra field") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n") << 0;
        QTest::newRow("tcp4 only") << QByteArray("PROXY TCP4\r\n") << 11;
        QTest::newRow("bare LF") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n") << 31;
        QTest::newRow("bare LF unknown") << QByteArray("PROXY UNKNOWN\n") << 14;
        QTest::newRow("CR without LF") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX") << 32;
        QTest::newRow("CR CR LF") << QByteArray("PROXY UNKNOWN\r\r\n") << 15;
        QTest::newRow("CR inside unknown") << QByteArray("PROXY UNKNOWN a\rb\r\n") << 17;
        QTest::newRow("no CRLF 107") << QByteArray("PROXY UNKNOWN " + QByteArray(200, 'x')) << 107;
        QTest::newRow("CRLF at 108") << QByteArray("PROXY UNKNOWN " + QByteArray(107 - 15, 'x') + "\r\n") << 107;
        // Well-formed but 116 octets: longer than the spec's 107-octet bound.
        QTest::newRow("tcp6 too long") << QByteArray("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
                                                     "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 65535 65535\r\n")
                                       << 107;
        QTest::newRow("bad v4 octet") << QByteArray("PROXY TCP4 256.1.1.1 5.6.7.8 1 2\r\n") << 0;
        QTest::newRow("v4 leading zero") << QByteArray("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n") << 0;
        QTest::newRow("v4 three parts") << QByteArray("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n") << 0;
        QTest::newRow("v4 five parts") << QByteArray("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n") << 0;
        QTest::newRow("v4 empty part") << QByteArray("PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n") << 0;
        QTest::newRow("v4 trailing dot") << QByteArray("PROXY TCP4 1.2.3.4. 5.6.7.8 1 2\r\n") << 0;
        QTest::newRow("v4 hex") << QByteArray("PROXY TCP4 0x7f.0.0.1 5.6.7.8 1 2\r\n") << 13;
        QTest::newRow("v4 long octet") << QByteArray("PROXY TCP4 1.2.3.0004 5.6.7.8 1 2\r\n") << 0;
        QTest::newRow("v4 1000") << QByteArray("PROXY TCP4 1.2.3.1000 5.6.7.8 1 2\r\n") << 0;
        QTest::newRow("bad dst") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7 1 2\r\n") << 0;
        QTest::newRow("name") << QByteArray("PROXY TCP4 localhost 5.6.7.8 1 2\r\n") << 12;
        QTest::newRow("IPv6 in TCP4") << QByteArray("PROXY TCP4 2001:db8::1 5.6.7.8 1 2\r\n") << 0;
        QTest::newRow("IPv4 in TCP6") << QByteArray("PROXY TCP6 1.2.3.4 ::1 1 2\r\n") << 0;
        QTest::newRow("IPv4 dst in TCP6") << QByteArray("PROXY TCP6 ::1 1.2.3.4 1 2\r\n") << 0;
        QTest::newRow("v6 scope") << QByteArray("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n") << 19;
        QTest::newRow("v6 brackets") << QByteArray("PROXY TCP6 [::1] ::1 1 2\r\n") << 12;
        QTest::newRow("v6 bad") << QByteArray("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n") << 0;
        QTest::newRow("v6 triple colon") << QByteArray("PROXY TCP6 1:::2 ::1 1 2\r\n") << 0;
        QTest::newRow("v6 two ::") << QByteArray("PROXY TCP6 1::2::3 ::1 1 2\r\n") << 0;
        QTest::newRow("v6 group 5 digits") << QByteArray("PROXY TCP6 12345::1 ::1 1 2\r\n") << 0;
        QTest::newRow("port 65536") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 65536 25\r\n") << 0;
        QTest::newRow("dport 65536") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 25 65536\r\n") << 0;
        QTest::newRow("port 99999") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 99999 25\r\n") << 0;
        QTest::newRow("port 6 digits") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 100000 25\r\n") << 0;
        QTest::newRow("port leading zero") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 025 25\r\n") << 0;
        QTest::newRow("port 00") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 00 25\r\n") << 0;
        QTest::newRow("dport leading zero") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 25 0587\r\n") << 0;
        QTest::newRow("port sign") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 +25 25\r\n") << 28;
        QTest::newRow("port hex") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 ab 25\r\n") << 0;
        QTest::newRow("port with dot") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 2.5 25\r\n") << 0;
        QTest::newRow("NUL in line") << QByteArray("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n", 33) << 19;
        QTest::newRow("8bit in line") << QByteArray("PROXY TCP4 1.2.3.\xff 5.6.7.8 1 2\r\n") << 18;

        // --- version 2 ---
        const QByteArray a4 = ipv4Block("1.2.3.4", "5.6.7.8", 1, 2);
        const QByteArray a6 = ipv6Block("::1", "::2", 1, 2);
        QTest::newRow("v2 bad signature 2") << QByteArray("\r\r\n") << 2;
        QTest::newRow("v2 CRLF CRLF") << QByteArray("\r\n\r\nEHLO") << 5;
        QTest::newRow("v2 bad signature 12") << QByteArray(Sig.left(11) + "X" + QByteArray(20, 0)) << 12;
        QTest::newRow("v2 version 1") << v2(0x11, 0x11, a4) << 13;
        QTest::newRow("v2 version 3") << v2(0x31, 0x11, a4) << 13;
        QTest::newRow("v2 version 0") << v2(0x01, 0x11, a4) << 13;
        QTest::newRow("v2 command 2") << v2(0x22, 0x11, a4) << 13;
        QTest::newRow("v2 command F") << v2(0x2F, 0x11, a4) << 13;
        QTest::newRow("v2 udp4") << v2(0x21, 0x12, a4) << 14;
        QTest::newRow("v2 udp6") << v2(0x21, 0x22, a6) << 14;
        QTest::newRow("v2 unix dgram") << v2(0x21, 0x32, QByteArray(216, 0)) << 14;
        QTest::newRow("v2 inet unspec proto") << v2(0x21, 0x10, a4) << 14;
        QTest::newRow("v2 unspec stream") << v2(0x21, 0x01, {}) << 14;
        QTest::newRow("v2 family 4") << v2(0x21, 0x41, a4) << 14;
        QTest::newRow("v2 proto 3") << v2(0x21, 0x13, a4) << 14;
        QTest::newRow("v2 length 513") << v2(0x21, 0x11, a4 + QByteArray(501, 0)) << 16;
        QTest::newRow("v2 length 65535") << v2(0x21, 0x11, a4, 65535) << 16;
        QTest::newRow("v2 local length 513") << v2(0x20, 0x00, QByteArray(513, 0)) << 16;
        QTest::newRow("v2 short inet") << v2(0x21, 0x11, a4.left(11)) << 16;
        QTest::newRow("v2 zero inet") << v2(0x21, 0x11, {}) << 16;
        QTest::newRow("v2 short inet6") << v2(0x21, 0x21, a4) << 16; // 12 < 36
        QTest::newRow("v2 short unix") << v2(0x21, 0x31, QByteArray(215, 0)) << 16;
    }
    void invalid()
    {
        QFETCH(QByteArray, input);
        QFETCH(int, failsBy);
        {
            ProxyProtocolParser p;
            QCOMPARE(p.feed(input), Status::Invalid);
            QVERIFY(!p.error().isEmpty());
            QCOMPARE(p.consumed(), 0);
            QCOMPARE(p.header().version, 0);
            // Invalid is final.
            QCOMPARE(p.feed("PROXY UNKNOWN\r\n"), Status::Invalid);
        }
        {
            ProxyProtocolParser p;
            qsizetype at = 0;
            QCOMPARE(feedBytes(p, input, &at), Status::Invalid);
            if (failsBy > 0)
                QCOMPARE(at, qsizetype(failsBy));
            else
                QCOMPARE(at, input.size());
        }
    }

    void directClientMessage()
    {
        ProxyProtocolParser p;
        QCOMPARE(p.feed("E"), Status::Invalid);
        QVERIFY2(p.error().contains(QLatin1String("did not send a PROXY header")), qPrintable(p.error()));
        QVERIFY2(p.error().contains(QLatin1String("0x45")), qPrintable(p.error()));
    }

    void emptyFeed()
    {
        ProxyProtocolParser p;
        QCOMPARE(p.feed({}), Status::NeedMore);
        QCOMPARE(p.feed(QByteArrayView("")), Status::NeedMore);
        QCOMPARE(p.status(), Status::NeedMore);
        QCOMPARE(p.consumed(), 0);
        QCOMPARE(p.feed("PROXY UNKNOWN\r\n"), Status::Done);
        QCOMPARE(p.feed({}), Status::Done);
    }

    // Partial headers stay NeedMore (the caller's timeout ends them).
    void partial_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::newRow("P") << QByteArray("P");
        QTest::newRow("PROXY") << QByteArray("PROXY");
        QTest::newRow("v1 no CRLF") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 1 2");
        QTest::newRow("v1 CR") << QByteArray("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r");
        QTest::newRow("v1 106") << QByteArray("PROXY UNKNOWN " + QByteArray(106 - 14, 'x'));
        QTest::newRow("v2 CR") << QByteArray("\r");
        QTest::newRow("v2 sig") << Sig;
        QTest::newRow("v2 15") << v2(0x21, 0x11, {}).left(15);
        QTest::newRow("v2 truncated block")
            << v2(0x21, 0x11, ipv4Block("1.2.3.4", "5.6.7.8", 1, 2)).chopped(1);
        QTest::newRow("v2 truncated tlv")
            << v2(0x21, 0x11, ipv4Block("1.2.3.4", "5.6.7.8", 1, 2) + tlv(4, "abc")).chopped(1);
        QTest::newRow("v2 local truncated") << v2(0x20, 0x00, "abc").chopped(3);
    }
    void partial()
    {
        QFETCH(QByteArray, input);
        ProxyProtocolParser p;
        QCOMPARE(p.feed(input), Status::NeedMore);
        QCOMPARE(p.consumed(), 0);
        QVERIFY(p.error().isEmpty());
        ProxyProtocolParser q;
        QCOMPARE(feedBytes(q, input), Status::NeedMore);
    }

    // A v2 header whose length says more than was sent must not eat the SMTP
    // bytes that follow as TLVs until the declared length is reached.
    void v2LengthCountsExactly()
    {
        const QByteArray h = v2(0x21, 0x11, ipv4Block("1.2.3.4", "5.6.7.8", 1, 2) + tlv(4, "abc"));
        ProxyProtocolParser p;
        QCOMPARE(p.feed(QByteArrayView(h).chopped(6)), Status::NeedMore);
        QCOMPARE(p.feed(h.right(6) + QByteArray("EHLO")), Status::Done);
        QCOMPARE(p.consumed(), h.size());
        QCOMPARE(p.header().tlvs, tlv(4, "abc"));
    }

    // Provenance: HAProxy 2.6.12 (Debian bookworm package 2.6.12-1+deb12u4) in TCP mode on
    // 127.0.0.1 / [::1], with backends "server ... send-proxy", "send-proxy-v2" and
    // "send-proxy-v2 proxy-v2-options crc32c,unique-id,authority" (unique-id-format
    // abc-%[uuid]) pointing at a Python TCP server that recorded the first bytes of each
    // connection; a Python client connected through HAProxy and sent "EHLO client.example\r\n".
    // The checks are "option tcp-check", "tcp-check connect default", "check-send-proxy".
    // Each recording is the whole first read: the PROXY header, then the client's bytes.
    void haproxyFixtures_data()
    {
        QTest::addColumn<QByteArray>("recorded");
        QTest::addColumn<QByteArray>("after");
        const QByteArray ehlo("EHLO client.example\r\n");
        const QByteArray quit("QUIT\r\n");
        QTest::newRow("send-proxy tcp4") << QByteArray::fromHex(
            "50524f58592054435034203132372e302e302e31203132372e302e302e312034343336382031373030310d0a45484c4f2063"
            "6c69656e742e6578616d706c650d0a") << ehlo;
        QTest::newRow("send-proxy tcp6") << QByteArray::fromHex(
            "50524f58592054435036203a3a31203a3a312035323933302031373030310d0a45484c4f20636c69656e742e6578616d706c"
            "650d0a") << ehlo;
        QTest::newRow("send-proxy-v2 tcp4") << QByteArray::fromHex(
            "0d0a0d0a000d0a515549540a2111000c7f0000017f000001aa74426a45484c4f20636c69656e742e6578616d706c650d0a")
                                            << ehlo;
        QTest::newRow("send-proxy-v2 tcp6") << QByteArray::fromHex(
            "0d0a0d0a000d0a515549540a212100240000000000000000000000000000000100000000000000000000000000000001e960"
            "426a45484c4f20636c69656e742e6578616d706c650d0a") << ehlo;
        QTest::newRow("send-proxy-v2 tlvs") << QByteArray::fromHex(
            "0d0a0d0a000d0a515549540a2111003e7f0000017f0000019a6e426b03000474c29c3e0500286162632d32636331306365362d"
            "346330392d346161612d383166352d36353437323839643365643145484c4f20636c69656e742e6578616d706c650d0a")
                                            << ehlo;
        QTest::newRow("send-proxy-v2 check") << QByteArray::fromHex("0d0a0d0a000d0a515549540a20000000515549540d0a")
                                             << quit;
        QTest::newRow("send-proxy check") << QByteArray::fromHex(
            "50524f58592054435034203132372e302e302e31203132372e302e302e312034373639362031373530300d0a515549540d0a")
                                          << quit;
    }
    void haproxyFixtures()
    {
        QFETCH(QByteArray, recorded);
        QFETCH(QByteArray, after);
        for (qsizetype chunk : {recorded.size(), qsizetype(1), qsizetype(3), qsizetype(7)}) {
            ProxyProtocolParser p;
            Status s = Status::NeedMore;
            for (qsizetype i = 0; i < recorded.size() && s == Status::NeedMore; i += chunk)
                s = p.feed(QByteArrayView(recorded).sliced(i, qMin(chunk, recorded.size() - i)));
            QCOMPARE(s, Status::Done);
            QCOMPARE(recorded.mid(p.consumed()), after);
        }
    }

    void haproxyTlvs()
    {
        const QByteArray h = QByteArray::fromHex(
            "0d0a0d0a000d0a515549540a2111003e7f0000017f0000019a6e426b03000474c29c3e0500286162632d32636331306365362d"
            "346330392d346161612d383166352d363534373238396433656431");
        ProxyProtocolParser p;
        QCOMPARE(p.feed(h), Status::Done);
        const QByteArray t = p.header().tlvs;
        QCOMPARE(t.size(), 0x3e - 12);
        QCOMPARE(quint8(t[0]), quint8(0x03)); // PP2_TYPE_CRC32C
        QCOMPARE(int(t[2]), 4);
        QCOMPARE(quint8(t[7]), quint8(0x05)); // PP2_TYPE_UNIQUE_ID
        QCOMPARE(int(t[9]), 0x28);
        QVERIFY(t.mid(10).startsWith("abc-"));
    }

    void trustedProxy()
    {
        rd::util::CidrList list;
        QString error;
        QVERIFY(list.parse({QStringLiteral("10.0.0.0/8"), QStringLiteral("2001:db8::/32")}, &error));
        QVERIFY(isTrustedProxy(QHostAddress(QStringLiteral("10.1.2.3")), list));
        QVERIFY(isTrustedProxy(QHostAddress(QStringLiteral("::ffff:10.1.2.3")), list));
        QVERIFY(isTrustedProxy(QHostAddress(QStringLiteral("2001:db8::5")), list));
        QVERIFY(!isTrustedProxy(QHostAddress(QStringLiteral("192.0.2.1")), list));
        QVERIFY(!isTrustedProxy(QHostAddress(QStringLiteral("2001:db9::5")), list));
        QVERIFY(!isTrustedProxy(QHostAddress(), list));
        QVERIFY(!isTrustedProxy(QHostAddress(QStringLiteral("10.1.2.3")), rd::util::CidrList()));
    }
};

QTEST_APPLESS_MAIN(TestProxyProtocol)
#include "tst_proxyprotocol.moc"

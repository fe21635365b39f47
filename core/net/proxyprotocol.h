#pragma once
// The PROXY protocol, versions 1 and 2 (HAProxy's proxy-protocol.txt): the
// header a load balancer (HAProxy "send-proxy" / "send-proxy-v2") sends first
// on a connection to tell the real client's address. A pure, incremental
// parser: no sockets, no timers (a header timeout is the caller's job).

#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QString>

namespace rd::util {
class CidrList;
}

namespace rd::net {

struct ProxyHeader {
    // Local: v2 LOCAL (the balancer's own health checks) or v1 "UNKNOWN":
    // keep the socket's own addresses.
    enum class Command { Proxy, Local };
    Command command = Command::Proxy;
    int version = 0; // 1 or 2
    // Valid only when addressesKnown (PROXY over TCP/IPv4 or TCP/IPv6).
    QHostAddress source, destination;
    quint16 sourcePort = 0, destinationPort = 0;
    // False for LOCAL, v1 UNKNOWN, v2 AF_UNSPEC and v2 AF_UNIX.
    bool addressesKnown = false;
    // v2 only: the raw bytes after the address block (TLVs, not validated or
    // interpreted by us; kept for logging and tests).
    QByteArray tlvs;
};

class ProxyProtocolParser {
public:
    enum class Status { NeedMore, Done, Invalid };

    // Longest v1 line, CRLF included (the spec's worst case).
    static constexpr qsizetype MaxV1Length = 107;
    // Longest v2 address + TLV block we accept (the 16-bit length field is
    // bounded; HAProxy's own headers are far smaller).
    static constexpr qsizetype MaxV2Payload = 512;

    // Feed bytes as they arrive. The parser never looks past the end of the
    // header: NeedMore until it is complete; Done once it is (header() is set
    // and consumed() says how many of ALL the bytes fed so far belong to the
    // header: the rest is SMTP and the caller must keep it); Invalid with
    // error() saying why. Done and Invalid are final: later calls return the
    // same status and ignore their data.
    Status feed(QByteArrayView data);

    Status status() const { return m_status; }
    const ProxyHeader &header() const { return m_header; }
    // The header's length in octets once Done; 0 before (and when Invalid).
    qsizetype consumed() const { return m_status == Status::Done ? m_buffer.size() : 0; }
    QString error() const { return m_error; }

private:
    Status fail(const QString &why);
    Status feedV1(QByteArrayView data);
    Status feedV2(QByteArrayView data);
    Status parseV1Line();
    Status parseV2();

    Status m_status = Status::NeedMore;
    int m_version = 0; // decided from the first octet
    QByteArray m_buffer; // the header octets received so far (never more)
    ProxyHeader m_header;
    QString m_error;
};

// True when the connection's peer is one of the configured balancers, whose
// PROXY header may be believed. IPv4-mapped IPv6 peers match IPv4 ranges.
bool isTrustedProxy(const QHostAddress &peer, const rd::util::CidrList &trusted);

} // namespace rd::net

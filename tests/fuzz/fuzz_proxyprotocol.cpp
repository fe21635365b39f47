// libFuzzer target: the PROXY protocol header parser of core/net/proxyprotocol.h.
// Any violated invariant calls __builtin_trap().
//
// The first input octet chooses two split points; the rest is the byte stream
// a balancer (or anyone) sends first on a connection.
//
// Invariants:
//   - consumed() <= the number of octets fed, and 0 unless Done;
//   - Done and Invalid are final (a later feed returns the same status and
//     does not change consumed() or the header);
//   - Done: version is 1 or 2; consumed() is at most 107 (v1) or 16 + 512 (v2);
//     v1 headers end in CRLF; the header octets are a prefix of the input
//     and re-parsing just them gives the same result; addresses are known
//     exactly for Proxy over IPv4/IPv6, with the family of the protocol;
//     Local has no addresses; only v2 has TLVs;
//   - Invalid: error() is not empty; NeedMore: no error;
//   - feeding the same bytes whole, byte by byte and in two other splits
//     gives the same status, consumed() and header.

#include "net/proxyprotocol.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <utility>

using namespace rd::net;
using Status = ProxyProtocolParser::Status;

namespace {

[[noreturn]] void violation(const char *what)
{
    std::fprintf(stderr, "fuzz_proxyprotocol: invariant violated: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

#define CHECK(cond, what)       \
    do {                        \
        if (!(cond))            \
            violation(what);    \
    } while (0)

bool sameHeader(const ProxyHeader &a, const ProxyHeader &b)
{
    return a.command == b.command && a.version == b.version && a.source == b.source
           && a.destination == b.destination && a.sourcePort == b.sourcePort
           && a.destinationPort == b.destinationPort && a.addressesKnown == b.addressesKnown && a.tlvs == b.tlvs;
}

// Feeds data in chunks cut at the given positions (ascending, may repeat);
// checks the per-call invariants on the way.
Status feedSplit(ProxyProtocolParser &p, QByteArrayView data, const qsizetype *cuts, int ncuts)
{
    Status s = Status::NeedMore;
    qsizetype pos = 0;
    for (int i = 0; i <= ncuts; ++i) {
        const qsizetype end = i < ncuts ? cuts[i] : data.size();
        const Status before = p.status();
        const qsizetype consumedBefore = p.consumed();
        s = p.feed(data.sliced(pos, end - pos));
        pos = end;
        CHECK(s == p.status(), "feed() and status() disagree");
        CHECK(p.consumed() <= pos, "consumed() exceeds the octets fed");
        if (before != Status::NeedMore) {
            CHECK(s == before, "Done/Invalid is not final");
            CHECK(p.consumed() == consumedBefore, "consumed() changed after Done/Invalid");
        }
        if (s != Status::Done)
            CHECK(p.consumed() == 0, "consumed() is not 0 before Done");
        CHECK((s == Status::Invalid) == !p.error().isEmpty(), "error() set exactly when Invalid");
    }
    return s;
}

void checkDone(const ProxyProtocolParser &p, QByteArrayView data)
{
    const ProxyHeader &h = p.header();
    const qsizetype n = p.consumed();
    CHECK(h.version == 1 || h.version == 2, "Done without version 1 or 2");
    CHECK(n > 0 && n <= data.size(), "consumed() out of range");
    if (h.version == 1) {
        CHECK(n <= ProxyProtocolParser::MaxV1Length, "v1 header longer than 107 octets");
        CHECK(n >= 2 && data[n - 2] == '\r' && data[n - 1] == '\n', "v1 header does not end in CRLF");
        CHECK(data.first(n).indexOf('\n') == n - 1, "v1 header goes past its first LF");
        CHECK(data.startsWith("PROXY "), "v1 header does not begin with \"PROXY \"");
        CHECK(h.tlvs.isEmpty(), "v1 header with TLVs");
    } else {
        CHECK(n >= 16 && n <= 16 + ProxyProtocolParser::MaxV2Payload, "v2 header length out of range");
        const qsizetype len = qsizetype(uint8_t(data[14])) << 8 | uint8_t(data[15]);
        CHECK(n == 16 + len, "v2 consumed() is not 16 + length");
        CHECK(h.tlvs.size() <= len, "v2 TLVs longer than the payload");
    }
    if (h.command == ProxyHeader::Command::Local)
        CHECK(!h.addressesKnown, "Local with addresses");
    if (h.addressesKnown) {
        const auto proto = h.source.protocol();
        CHECK(proto == QAbstractSocket::IPv4Protocol || proto == QAbstractSocket::IPv6Protocol,
              "known source address is not IPv4/IPv6");
        CHECK(h.destination.protocol() == proto, "source and destination families differ");
    } else {
        CHECK(h.source.isNull() && h.destination.isNull() && h.sourcePort == 0 && h.destinationPort == 0,
              "addresses set although not known");
    }
    // The header alone parses the same.
    ProxyProtocolParser q;
    CHECK(q.feed(data.first(n)) == Status::Done, "the header octets alone do not parse");
    CHECK(q.consumed() == n && sameHeader(q.header(), h), "the header octets alone parse differently");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t sel = bytes[0];
    const QByteArrayView data(reinterpret_cast<const char *>(bytes + 1), qsizetype(size - 1));
    const qsizetype n = data.size();

    // Whole.
    ProxyProtocolParser whole;
    const Status s = feedSplit(whole, data, nullptr, 0);
    if (s == Status::Done)
        checkDone(whole, data);
    else
        CHECK(whole.header().version == 0, "header set although not Done");

    // Two "random" splits derived from the selector octet.
    qsizetype cutsA[2] = {n ? (sel & 0x0F) * n / 15 : 0, n ? (sel >> 4) * n / 15 : 0};
    if (cutsA[0] > cutsA[1])
        std::swap(cutsA[0], cutsA[1]);
    const qsizetype cutsB[2] = {n ? qsizetype(sel) % (n + 1) : 0, n};
    for (const qsizetype *cuts : {static_cast<const qsizetype *>(cutsA), cutsB}) {
        ProxyProtocolParser p;
        const Status t = feedSplit(p, data, cuts, 2);
        CHECK(t == s, "a different split gives a different status");
        CHECK(p.consumed() == whole.consumed(), "a different split gives a different consumed()");
        CHECK(sameHeader(p.header(), whole.header()), "a different split gives a different header");
    }

    // Byte by byte (bounded: the header is at most 528 octets, so no more is needed).
    {
        ProxyProtocolParser p;
        Status t = Status::NeedMore;
        for (qsizetype i = 0; i < n && i < 600; ++i) {
            t = p.feed(data.sliced(i, 1));
            CHECK(p.consumed() <= i + 1, "consumed() exceeds the octets fed (byte by byte)");
        }
        CHECK(t == s, "byte-by-byte status differs");
        CHECK(p.consumed() == whole.consumed(), "byte-by-byte consumed() differs");
        CHECK(sameHeader(p.header(), whole.header()), "byte-by-byte header differs");
    }
    return 0;
}

#pragma once
// A small, pure walker over a DNS response (RFC 1035 4.1): the header, the
// answer section's records (owner, type, TTL, and the target of CNAME/PTR)
// and the negative-caching TTL of a SOA in the authority section (RFC 2308).
// c-ares's ares_parse_*_reply functions give the record data but not every
// TTL, nor the SOA of a negative answer; this fills that gap. Names are
// decompressed with ares_expand_name(). No I/O, any thread.

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace rd::dns::wire {

constexpr int TypeA = 1;
constexpr int TypeNS = 2;
constexpr int TypeCNAME = 5;
constexpr int TypeSOA = 6;
constexpr int TypePTR = 12;
constexpr int TypeMX = 15;
constexpr int TypeTXT = 16;
constexpr int TypeAAAA = 28;
constexpr int TypeTLSA = 52;
constexpr int ClassIN = 1;

constexpr int RcodeNoError = 0;
constexpr int RcodeFormErr = 1;
constexpr int RcodeServFail = 2;
constexpr int RcodeNxDomain = 3;
constexpr int RcodeNotImp = 4;
constexpr int RcodeRefused = 5;

struct Record {
    QString owner;  // without the trailing dot
    int type = 0;
    int rrClass = 0;
    quint32 ttl = 0;
    QString target; // CNAME and PTR: the name in the RDATA (no trailing dot); else empty
    QByteArray rdata; // TLSA: the raw RDATA; else empty
};

struct Message {
    int rcode = 0;
    bool truncated = false;
    bool authenticData = false; // AD bit (RFC 4035 3.2.3)
    int answerCount = 0;        // ANCOUNT
    QString questionName; // first question, without the trailing dot
    int questionType = 0;
    QList<Record> answers;
    // min(SOA TTL, SOA MINIMUM) of the first SOA in the authority section.
    std::optional<quint32> negativeTtl;

    // TTLs of the answer records of `type`, in message order.
    QList<quint32> ttlsOf(int type) const;
    // Smallest TTL over all answer records; nullopt if there are none.
    std::optional<quint32> minTtl() const;
    // questionName after following the CNAME records of the answer section
    // (at most 16 steps; a loop stops there).
    QString canonicalName() const;
};

// nullopt if the buffer is not a well-formed response up to the end of the
// authority section (the additional section is not read).
std::optional<Message> parseMessage(const unsigned char *data, int length);
inline std::optional<Message> parseMessage(const QByteArray &data)
{
    return parseMessage(reinterpret_cast<const unsigned char *>(data.constData()),
                        int(data.size()));
}

} // namespace rd::dns::wire

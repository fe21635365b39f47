#pragma once
// Value types of the DNS resolver: record types, the result status, answers
// and the resolver's configuration. Plain values, no I/O; any thread.
//
// The status tells a permanent answer (NxDomain, NoData: the DNS said so)
// from a temporary failure (ServerFailure, Timeout: ask again later). Mail
// routing and SPF must never treat a temporary failure as "no such domain".

#include <QHostAddress>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace rd::dns {

enum class RecordType { A, AAAA, MX, TXT, PTR, CNAME, TLSA };

enum class Status {
    Ok,            // at least one record of the asked type
    NxDomain,      // the name does not exist (RCODE 3): permanent
    NoData,        // the name exists but has no record of this type: permanent
    ServerFailure, // SERVFAIL / REFUSED / NOTIMP, connection refused, no server: temporary
    Timeout,       // no answer in time from any server: temporary
    Malformed,     // an answer we could not parse (FORMERR, bad packet): temporary
    InvalidName,   // the name cannot be asked (empty, label > 63, name > 253): permanent
};

// "ok", "nxdomain", "nodata", "servfail", "timeout", "malformed", "invalid_name"
// (for key=value log lines).
QString statusName(Status status);
// "A", "AAAA", "MX", "TXT", "PTR", "CNAME", "TLSA".
QString recordTypeName(RecordType type);
// DNS wire type code (1, 28, 15, 16, 12, 5, 52).
int recordTypeCode(RecordType type);
// ServerFailure, Timeout and Malformed: try again later.
bool isTemporary(Status status);
// NxDomain, NoData, InvalidName: the answer will not change soon.
bool isPermanent(Status status);

struct AddressRecord {
    QHostAddress address;
    quint32 ttl = 0;
};

struct MxRecord {
    quint16 preference = 0;
    QString exchange; // without the trailing dot; "." for the root (RFC 7505 null MX)
    quint32 ttl = 0;
    bool isNull() const { return exchange == QLatin1String("."); }
};

// One TXT record: its character-strings as received (RFC 1035 3.3.14). SPF
// (RFC 7208 3.3) and DKIM join them without separators: text().
struct TxtRecord {
    QList<QByteArray> strings;
    quint32 ttl = 0;
    QByteArray text() const;
};

// A PTR or CNAME target.
struct NameRecord {
    QString name; // without the trailing dot
    quint32 ttl = 0;
};

// The answer to one query. Exactly one of the record lists is filled when
// status is Ok (the one of `type`); all are empty otherwise.
struct Answer {
    QString name;          // as asked: no trailing dot, non-ASCII in IDNA ("xn--") form
    RecordType type = RecordType::A;
    Status status = Status::ServerFailure;
    QString canonicalName; // name after following CNAMEs (== name without any)
    // Seconds this answer may be reused: the smallest TTL of the answer's
    // records (CNAMEs included) when Ok, the negative TTL (RFC 2308: SOA
    // minimum, else the configured default) for NxDomain/NoData, 0 otherwise.
    // From the cache: the remaining time.
    quint32 ttl = 0;
    bool fromCache = false;
    QString error; // human-readable reason when not Ok (for logs)

    QList<AddressRecord> addresses; // A, AAAA (server order)
    QList<MxRecord> mx;             // MX, sorted by preference (stable: server order on ties)
    QList<TxtRecord> txt;           // TXT (server order)
    QList<NameRecord> names;        // PTR targets, or the CNAME target
    QList<QByteArray> rdata;        // TLSA: each record's RDATA (RFC 6698 2.1), server order
    // The AD bit of the response (RFC 4035 3.2.3): the answering resolver
    // validated it with DNSSEC. Only meaningful from a validating resolver
    // the admin trusts (asked with AD set: TLSA always, others when
    // ResolverConfig::requestAd); false from the cache of older answers.
    bool authenticated = false;

    bool ok() const { return status == Status::Ok; }
    // RFC 7505: a single MX whose exchange is the root ("."): the domain
    // accepts no mail. (Any preference; the RFC says 0.)
    bool isNullMx() const { return mx.size() == 1 && mx.first().isNull(); }
};

// A and AAAA asked together (lookupAddresses()).
struct AddressAnswer {
    QString name;
    // Ok if either family has addresses. Otherwise NxDomain if either said
    // so; else the temporary failure of either (ServerFailure, Timeout,
    // Malformed: "no address" would be premature); else NoData.
    Status status = Status::ServerFailure;
    QString canonicalName;
    QList<AddressRecord> addresses; // the A records, then the AAAA records
    // Both answers that exist were DNSSEC-validated (AD): an answer that is
    // Ok must be authenticated, a NoData/NxDomain one too.
    bool authenticated = false;
    Answer a;                       // the two underlying answers
    Answer aaaa;

    bool ok() const { return status == Status::Ok; }
    quint32 ttl() const; // the smaller TTL of the two answers
};

// Combines the two answers as described in AddressAnswer::status.
AddressAnswer combineAddressAnswers(const QString &name, Answer a, Answer aaaa);

// A DNS server to ask: address and port (53 unless given).
struct ServerAddress {
    QHostAddress address;
    quint16 port = 53;
    QString toString() const; // "ip:port" or "[v6]:port"
    bool operator==(const ServerAddress &o) const { return address == o.address && port == o.port; }
};

// Parses "ip", "ip:port", "v6", "[v6]" or "[v6]:port". nullopt (and
// *error) if it is not an IP address (names are not accepted) or the port
// is not 1..65535.
std::optional<ServerAddress> parseServerAddress(const QString &text, QString *error = nullptr);

struct ResolverConfig {
    // "ip", "ip:port", "[v6]:port"; empty: the system's (resolv.conf on Unix,
    // the adapters' servers on Windows).
    QStringList servers;
    int timeoutMs = 3000; // first try per server; c-ares doubles it on each retry round
    int tries = 2;        // rounds over the server list
    bool cacheEnabled = true;
    int cacheMaxEntries = 10000;
    quint32 maxTtl = 3600;         // positive and negative answers are kept at most this long
    quint32 defaultNegativeTtl = 300; // NxDomain/NoData without a SOA in the answer
    // Ask every query with the AD bit set (RFC 6840 5.7), so a validating
    // resolver reports DNSSEC status (Answer::authenticated) for MX and
    // address records too (DANE, RFC 7672 2.2). TLSA queries always set it.
    bool requestAd = false;
};

// "4.3.2.1.in-addr.arpa" or the ip6.arpa nibble name; empty for a null address.
QString reverseName(const QHostAddress &address);

// Whether `name` (without or with one trailing dot) can be sent as a query:
// non-empty, no empty label, labels <= 63 octets, <= 253 octets in all.
bool isValidQueryName(const QString &name);

} // namespace rd::dns

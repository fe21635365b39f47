#pragma once
// The pure half of DNSBL checks: the query name of a client in a zone
// (RFC 5782 section 2.1 for IPv4, 2.4 for IPv6) and what one zone's answer
// means. No I/O, any thread.
//
// Only answers in 127.0.0.0/8 can list a client (RFC 5782 section 2.3);
// 127.255.255.0/24 is the Spamhaus error range (252: typo in the zone name,
// 254: query through a public/open resolver, 255: too many queries) and an
// answer outside 127.0.0.0/8 means a broken or wildcarded zone. Both are
// errors to log, never listings. A temporary DNS failure is "not listed"
// (fail open) with an error.

#include "config/policyconfig.h"
#include "dns/dnstypes.h"

#include <QHostAddress>
#include <QList>
#include <QString>

namespace rd::policy {

enum class DnsblVerdict {
    NotListed, // NXDOMAIN / NODATA, or a 127.x answer that no configured code covers
    Listed,    // an answer covered by the zone's codes (any 127.x when codes are empty)
    Error,     // a bogus answer or a DNS failure: not a listing, report it
};

// One zone's verdict on one client.
struct DnsblZoneOutcome {
    DnsblVerdict verdict = DnsblVerdict::NotListed;
    QHostAddress answer;  // Listed: the first listing answer; Error: the bad answer (if any)
    QString meaning;      // Listed: the meanings of every listing answer, "; "-joined
    QString reason;       // Listed: the zone's TXT text (sanitized), may be empty
    QString error;        // Error: what went wrong, one sentence
    bool temporary = false; // Error from a timeout / SERVFAIL (worth asking again soon)
    quint32 ttl = 0;      // seconds the DNS allows reusing the answer (0: unknown)
};

// IPv4 client as d.c.b.a.<zone>, IPv6 as 32 reversed nibbles + <zone>;
// IPv4-mapped IPv6 (::ffff:a.b.c.d) is asked as IPv4. Empty for a null
// address or an empty zone. The zone is used as given (trailing dot removed).
QString dnsblQueryName(const QHostAddress &client, const QString &zone);

// The verdict for an A answer of dnsblQueryName(). `codes` from
// config::parseDnsblCodes (empty: any 127.0.0.0/8 answer lists, meaning
// "listed"). Any bad record (outside 127/8 or in 127.255.255.0/24) makes the
// whole answer an Error: a zone that misbehaves never rejects anyone.
DnsblZoneOutcome classifyDnsblAnswer(const dns::Answer &answer,
                                     const QList<config::DnsblCode> &codes);

// The TXT records of a listing as one line: strings joined, records "; "-
// joined, control characters as spaces, non-ASCII as '?', at most 300
// characters (safe to put into an SMTP reply or a log line).
QString dnsblReasonText(const dns::Answer &txtAnswer);

// Zone name as used in queries and results: trimmed, lower-cased, without
// leading/trailing dots.
QString normalizedDnsblZone(const QString &zone);

} // namespace rd::policy

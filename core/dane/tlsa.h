#pragma once
// TLSA records (RFC 6698 2.1) and their use for SMTP (RFC 7672): which
// records are usable, and whether a server's certificate chain matches.
// Pure (OpenSSL for hashing and chain checks), no I/O, any thread.

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace rd::dane {

enum Usage : quint8 { PkixTa = 0, PkixEe = 1, DaneTa = 2, DaneEe = 3 };
enum Selector : quint8 { FullCert = 0, Spki = 1 };
enum Matching : quint8 { Exact = 0, Sha256 = 1, Sha512 = 2 };

struct TlsaRecord {
    quint8 usage = 0;
    quint8 selector = 0;
    quint8 matching = 0;
    QByteArray data; // certificate association data (binary)

    // "3 1 1 <hex>" (presentation format, for logs and TLS-RPT policy-string).
    QString toString() const;
    bool operator==(const TlsaRecord &o) const = default;
};

// Parses TLSA RDATA (usage, selector, matching type, data). nullopt if it is
// shorter than 4 octets.
std::optional<TlsaRecord> parseTlsaRdata(const QByteArray &rdata);
// Parses "3 1 1 ABCD..." (hex may contain spaces). nullopt if malformed.
std::optional<TlsaRecord> parseTlsaText(const QString &text);

// RFC 7672 3.1.3: only DANE-TA(2) and DANE-EE(3) with selector 0/1 and
// matching 0/1/2 (and a digest of the right length) are usable for SMTP.
bool isUsable(const TlsaRecord &r);
// The usable subset. If a validated TLSA RRset has records but none usable,
// the connection is "opportunistic, unauthenticated" (RFC 7672 2.2).
QList<TlsaRecord> usableRecords(const QList<TlsaRecord> &records);

struct DaneMatch {
    bool matched = false;
    int usage = -1;         // of the record that matched
    int depth = -1;         // position in the chain of the matched certificate (0: leaf)
    QString detail;         // why not (for the log), or what matched
    // TLS-RPT result type when not matched (RFC 8460 4.3.2): "validation-failure",
    // "certificate-host-mismatch", "certificate-expired".
    QString resultType;
};

// Checks a peer chain (DER, leaf first, as sent) against usable TLSA records:
//  - DANE-EE(3): the leaf matches; no name or expiry check (RFC 7672 3.1.1).
//  - DANE-TA(2): some certificate of the chain matches and the leaf chains to
//    it (signatures, validity at `now`) and the leaf names one of `names`
//    (the MX host; RFC 7672 3.2.2; wildcards in the leftmost label only).
// Records that are not usable are ignored.
DaneMatch matchChain(const QList<QByteArray> &chainDer, const QList<TlsaRecord> &records, const QStringList &names,
                     const QDateTime &now = QDateTime::currentDateTimeUtc());

// The association data a record of (selector, matching) would need for `certDer`.
QByteArray associationData(const QByteArray &certDer, quint8 selector, quint8 matching);

// DANE rests on the resolver's AD bit (DNSSEC validated), and a stub resolver may trust
// that bit only over a channel it trusts (RFC 4035 4.9.3, RFC 6698 4.1): in practice a
// validating resolver on this machine. Of the resolver's servers ("ip", "ip:port",
// "[v6]:port"), those that are not loopback addresses, in the given order; a server that
// is not an IP address counts as not local.
QStringList daneRemoteResolvers(const QStringList &servers);

} // namespace rd::dane

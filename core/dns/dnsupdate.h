#pragma once
// DNS UPDATE (RFC 2136) messages signed with TSIG (RFC 8945), pure: building
// the request, signing it, and reading and verifying the reply are functions
// of bytes (no I/O, any thread). The client that sends them over TCP is
// dns/dnsupdateclient.h.
//
// What is built: an UPDATE whose zone section names the zone (class IN, type
// SOA) and whose update section adds TXT records (class IN, a TTL) or deletes
// exactly those TXT records (class NONE, TTL 0, RFC 2136 2.5.4), then one TSIG
// record (HMAC-SHA256 or HMAC-SHA512) in the additional section. The reply's
// TSIG is verified with the request MAC prepended (RFC 8945 5.3).
// The TSIG secret is key material: never log TsigKey::secret or a MAC.

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace rd::dns::update {

constexpr int OpcodeUpdate = 5;
constexpr int TypeSoa = 6;
constexpr int TypeTxt = 16;
constexpr int TypeTsig = 250;
constexpr int ClassIn = 1;
constexpr int ClassNone = 254;
constexpr int ClassAny = 255;
constexpr quint16 DefaultFudge = 300;

// RCODEs (RFC 1035, RFC 2136 2.2) and TSIG errors (RFC 8945 4.2, 5.2).
constexpr int RcodeNoError = 0;
constexpr int RcodeNotAuth = 9;
constexpr int TsigBadSig = 16;
constexpr int TsigBadKey = 17;
constexpr int TsigBadTime = 18;
constexpr int TsigBadTrunc = 22;

enum class TsigAlgorithm { HmacSha256, HmacSha512 };

// "hmac-sha256" / "hmac-sha512" (case-insensitive, a trailing dot allowed).
std::optional<TsigAlgorithm> parseTsigAlgorithm(const QString &name);
// The algorithm's domain name, without the trailing dot ("hmac-sha256").
QString tsigAlgorithmName(TsigAlgorithm algorithm);

struct TsigKey {
    QString name;                                   // the key's name, e.g. "acme-key" (no trailing dot)
    TsigAlgorithm algorithm = TsigAlgorithm::HmacSha256;
    QByteArray secret;                              // raw key bytes (secret: never log)
    bool isValid() const { return !name.isEmpty() && !secret.isEmpty(); }
};

// A key from its settings: name, algorithm name, base64 secret. nullopt with
// *error (which never contains the secret) when one is missing or invalid.
std::optional<TsigKey> makeTsigKey(const QString &name, const QString &algorithm, const QString &base64Secret,
                                   QString *error);

struct TxtRr {
    QString name;     // owner, e.g. "_acme-challenge.mail.example.com" (a trailing dot is allowed)
    QByteArray value; // the text (split into 255-byte strings on the wire)
};

enum class UpdateAction { Add, Delete };

// A domain name in uncompressed wire form, lower-cased (the canonical form
// TSIG digests use). Non-ASCII labels are converted to IDNA. Empty on an
// invalid name (an empty label, a label over 63 bytes, over 255 in total).
QByteArray encodeName(const QString &name);

// The unsigned UPDATE message: header (id, opcode UPDATE, ZOCOUNT 1, UPCOUNT
// records.size()), the zone, and one RR per record. Empty when a name is
// invalid, a record is not inside the zone, or there are no records.
QByteArray buildUpdate(quint16 id, const QString &zone, const QList<TxtRr> &records, UpdateAction action,
                       quint32 ttl, QString *error = nullptr);

// A plain query (RD off) for the SOA of `name`: its authoritative reply names
// the zone that holds `name` (the answer's or the authority section's SOA owner).
QByteArray buildSoaQuery(quint16 id, const QString &name);

struct SignedMessage {
    QByteArray message; // the request with its TSIG record (ARCOUNT + 1)
    QByteArray mac;     // the request MAC, needed to verify the reply
};

// RFC 8945 4.3.3: HMAC over the message (as is, before the TSIG record) and
// the TSIG variables (key name, class ANY, TTL 0, algorithm, time signed,
// fudge, error 0, no other data); the TSIG record appended with original ID =
// the message's ID. timeSigned: seconds since the epoch (48 bits).
SignedMessage signMessage(const QByteArray &message, const TsigKey &key, quint64 timeSigned,
                          quint16 fudge = DefaultFudge);

// The MAC of `data` under `key` (HMAC with the key's hash; OpenSSL).
QByteArray tsigHmac(const TsigKey &key, const QByteArray &data);

struct UpdateReply {
    bool ok = false;        // NOERROR, TSIG present and verified
    int rcode = -1;         // the header's RCODE (0..15)
    int tsigError = 0;      // the TSIG record's Error field (0 if none)
    bool signedReply = false; // a TSIG record was present
    QString error;          // why !ok, one sentence ("the server said NOTAUTH (BADSIG): ...")
};

// Checks a reply to a request with `requestId` and `requestMac`:
// it must be a response with the same id and opcode, carry a TSIG record of
// `key` (last in the additional section) whose MAC verifies over
// requestMac + the reply without the TSIG record (ARCOUNT - 1, original ID)
// + the TSIG variables (RFC 8945 5.3), time signed within fudge of `now`
// (seconds since the epoch), and RCODE NOERROR. A server's error reply that
// it could not sign (BADKEY, BADSIG: MAC size 0) is reported by its error.
UpdateReply parseUpdateReply(const QByteArray &reply, quint16 requestId, const TsigKey &key,
                             const QByteArray &requestMac, quint64 now);

// The zone named by a reply to buildSoaQuery(id, ...): the owner of a SOA in
// the answer or authority section (no trailing dot, lower case). nullopt with
// *error when the reply is malformed, not for `id`, an error (REFUSED: the
// server is not authoritative) or has no SOA.
std::optional<QString> zoneFromSoaReply(const QByteArray &reply, quint16 id, QString *error);

// "NOERROR", "NOTAUTH", "REFUSED" ...; "RCODE 12" for the unnamed.
QString rcodeName(int rcode);
// "BADSIG", "BADKEY", "BADTIME" ...; "TSIG error 30" for the unnamed.
QString tsigErrorName(int error);

} // namespace rd::dns::update

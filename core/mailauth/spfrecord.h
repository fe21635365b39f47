#pragma once
// The SPF record (RFC 7208 sections 4.6, 5, 6 and 12): a pure parser from the
// record text to mechanisms and modifiers, the address networks of ip4/ip6,
// and the record check of the DNS checks panel. No I/O, QtCore only; any
// thread.

#include "mailauth/spfmacro.h"

#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>
#include <QStringView>

#include <array>
#include <optional>

namespace rd::mailauth {

// The processing limits of RFC 7208 4.6.4 (the evaluation and the record check).
namespace spflimits {
constexpr int kLookupLimit = 10; // RFC 7208 4.6.4: DNS-querying terms
constexpr int kVoidLimit = 2;    // RFC 7208 4.6.4: void lookups
constexpr int kMxLimit = 10;     // MX names per mx mechanism (more: PermError)
constexpr int kPtrLimit = 10;    // PTR names looked at (the rest ignored)
} // namespace spflimits

enum class SpfQualifier { Pass, Fail, SoftFail, Neutral }; // "+", "-", "~", "?"
enum class SpfMechanismKind { All, Include, A, Mx, Ptr, Ip4, Ip6, Exists };

// An address and prefix: IPv4 uses bytes[0..3].
struct SpfNetwork {
    bool v6 = false;
    std::array<quint8, 16> bytes{};
    int prefix = 0;

    // Whether the address (4 or 16 bytes by `v6`) is inside. An IPv4
    // address is never inside an IPv6 network and vice versa.
    bool contains(bool addrV6, const quint8 *addr) const;
    // Whether bits below the prefix are set ("192.0.2.5/24").
    bool hostBitsSet() const;
};

struct SpfMechanism {
    SpfQualifier qualifier = SpfQualifier::Pass;
    SpfMechanismKind kind = SpfMechanismKind::All;
    QString text; // the term as written, qualifier included ("ip4:192.0.2.0/24", "-all")
    // include, exists: the target; a, mx, ptr: nullopt means the current domain.
    std::optional<SpfMacroString> domain;
    int cidr4 = 32;     // a, mx
    int cidr6 = 128;    // a, mx
    SpfNetwork network; // ip4, ip6

    // include, a, mx, ptr, exists: the terms that query DNS (RFC 7208 4.6.4).
    bool usesDns() const;
};

struct SpfModifier {
    QString name; // as written
    SpfMacroString value;
};

struct SpfRecord {
    QList<SpfMechanism> mechanisms;
    std::optional<SpfMacroString> redirect;
    std::optional<SpfMacroString> exp;
    QList<SpfModifier> unknownModifiers; // ignored when evaluating

    // DNS-querying terms: mechanisms that use DNS plus redirect.
    int lookupTerms() const;
    bool hasAll() const;
};

struct SpfParseResult {
    std::optional<SpfRecord> record;
    QString error; // the reason for a PermError when there is no record

    bool ok() const { return record.has_value(); }
};

// Whether `text` is an SPF version 1 record: "v=spf1" (any case) followed by a
// space or the end (RFC 7208 4.5).
bool isSpfRecordText(QByteArrayView text);
bool isSpfRecordText(QStringView text);

// Parses a whole record ("v=spf1 ..."). Any syntax error anywhere, an unknown
// mechanism, a duplicate redirect= or exp=, or a character outside printable
// ASCII gives an error naming the term (RFC 7208: PermError).
SpfParseResult parseSpfRecord(QStringView text);

// Strict dotted quad (no leading zeros) into bytes[0..3].
bool parseSpfIp4(QStringView text, std::array<quint8, 16> *out);
// RFC 4291 text forms ("::", embedded dotted quad) into 16 bytes.
bool parseSpfIp6(QStringView text, std::array<quint8, 16> *out);

// "+", "-", "~", "?".
QChar spfQualifierChar(SpfQualifier q);

// The pure record check for the DNS checks panel: whether the record parses
// (else `error` is the PermError text), and warnings an administrator should
// see (ptr used, +all / ?all, no all and no redirect, redirect ignored,
// terms after all, too many lookup terms, too long for one string or one UDP
// answer, obsolete or unknown modifiers, host bits in networks, ...).
// lookupTerms: the DNS-querying terms of this record (includes not followed).
struct SpfRecordCheck {
    bool valid = false;
    QString error;
    QStringList warnings;
    int lookupTerms = 0;
};
SpfRecordCheck checkSpfRecord(const QString &txt);

} // namespace rd::mailauth

#pragma once
// SPF macro strings (RFC 7208 section 7): parsing and expansion. Pure: no I/O,
// no DNS, QtCore only; any thread.
//
// A macro string is parsed once (parseSpfMacroString) into tokens; expanding
// it needs the values of the macro letters (SpfMacroContext), which the
// evaluator fills in (it looks up %{p} first when usesP is set).

#include <QList>
#include <QString>
#include <QStringView>

#include <optional>

namespace rd::mailauth {

// Where a macro string appears: a domain-spec (mechanism/modifier argument,
// letters c, r, t are an error), an unknown modifier's value (any letter), or
// the explanation text fetched for exp= (any letter, spaces allowed).
enum class SpfMacroMode { DomainSpec, ModifierValue, Explanation };

struct SpfMacroToken {
    enum Kind { Literal, Macro };
    Kind kind = Literal;
    QString text;          // Literal: the text (%%, %_ and %- already replaced)
    char letter = 0;       // Macro: lower-case letter (s l o d i p h c r t v)
    bool urlEscape = false; // Macro: the letter was upper case
    int digits = 0;        // Macro: keep this many right-hand parts; 0 = all
    bool reverse = false;  // Macro: the "r" transformer
    QString delimiters;    // Macro: split characters; empty = "."
};

struct SpfMacroString {
    QList<SpfMacroToken> tokens;
    bool usesP = false;        // needs the validated client name (%{p})
    QString source;            // the text as written
    // Offset in `source` of the literal text after the last macro-expand
    // ("%{..}", "%%", "%_", "%-"); source.size() if it ends with one.
    qsizetype literalTailStart = 0;
};

// The values of the macro letters.
struct SpfMacroContext {
    QString sender;       // s: local-part@domain (postmaster@ substituted)
    QString localPart;    // l
    QString senderDomain; // o
    QString domain;       // d: the domain being evaluated
    QString ip;           // i: dotted IPv4, or 32 dot-separated hex nibbles for IPv6
    QString validatedName; // p: validated client name, or "unknown"
    bool ipv6 = false;    // v: "ip6" or "in-addr"
    QString helo;         // h
    QString clientIp;     // c: readable address (RFC 5952 for IPv6)
    QString receiver;     // r
    qint64 timestamp = 0; // t: seconds since the epoch
};

// Parses `text` as a macro string in `mode`. On a syntax error returns nullopt
// and sets *error ("bad macro '%(ir)' at offset 7", "macro letter 'r' is only
// allowed in explanation text", ...). Characters outside printable ASCII are
// errors (spaces too, except in Explanation mode).
std::optional<SpfMacroString> parseSpfMacroString(QStringView text, SpfMacroMode mode,
                                                  QString *error = nullptr);

// Expands the tokens with `ctx`. Never fails.
QString expandSpfMacros(const SpfMacroString &macro, const SpfMacroContext &ctx);

// Expands a domain-spec for a DNS query: expandSpfMacros, a trailing dot
// removed, and (RFC 7208 7.3) left-hand labels dropped while the name is
// longer than 253 characters.
QString expandSpfDomain(const SpfMacroString &macro, const SpfMacroContext &ctx);

// Whether `spec` is a valid domain-spec per RFC 7208 section 12 (it ends with
// a macro expansion, or with "." toplabel ["."]). Sets *error if not.
bool isValidSpfDomainSpec(const SpfMacroString &spec, QString *error = nullptr);

} // namespace rd::mailauth

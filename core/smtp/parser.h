#pragma once
// Pure parsers for SMTP server commands (RFC 5321 section 4.1).
// No state, no I/O, no allocation beyond the returned values.
// Thread: all functions are reentrant.

#include "smtp/replies.h"
#include "smtp/serversession.h" // Param

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <optional>

namespace rd::smtp {

enum class Verb {
    Unknown,
    Ehlo,
    Helo,
    Mail,
    Rcpt,
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Expn,
    Help,
    StartTls,
    Auth,
    Bdat,
    Proxy, // a PROXY protocol v1 header reaching the session: never from a trusted balancer
};

struct Command {
    Verb verb = Verb::Unknown;
    QByteArray verbText; // the verb as sent (original case)
    QByteArray arg;      // the rest, leading and trailing SP/HT removed
};

// Splits one command line (without its CRLF) into verb and argument. The verb
// ends at the first SP or HT and is matched case-insensitively. Never fails:
// an empty or unknown verb gives Verb::Unknown. Does not check the bytes.
Command parseCommand(QByteArrayView line);

// The canonical upper-case name of a verb ("EHLO", ...; "" for Unknown).
const char *verbName(Verb verb);

// Result of parsing a MAIL FROM / RCPT TO argument.
struct PathResult {
    QByteArray address;            // without <> and source route; empty = null sender
    QList<Param> params;           // ESMTP parameters, keys upper-cased, in order
    std::optional<ReplyId> error;  // set on failure: the reply to send
    bool utf8 = false;             // the address has non-ASCII (valid UTF-8) octets (RFC 6531)
    bool ok() const { return !error.has_value(); }
};

// Parses "FROM:<reverse-path> [params]" (RFC 5321 4.1.1.2). One SP after the
// colon is tolerated. "<>" is the null sender. Errors: MailSyntax (no "FROM:"),
// BadSenderAddress (5.1.7), PathTooLong, ParamSyntax.
PathResult parseMailFrom(QByteArrayView arg);

// Parses "TO:<forward-path> [params]" (RFC 5321 4.1.1.3). "<postmaster>" (any
// case) is accepted without a domain; "<>" is not. Errors: RcptSyntax,
// BadRecipientAddress (5.1.3), PathTooLong, ParamSyntax.
PathResult parseRcptTo(QByteArrayView arg);

// True for a Domain of RFC 5321 4.1.2 (dot-separated LDH labels of 1..63
// octets, 255 octets at most, no trailing dot) or an address literal
// "[1.2.3.4]" / "[IPv6:...]" (RFC 5321 4.1.3).
bool isValidDomain(QByteArrayView domain);

// EHLO/HELO argument check: isValidDomain(), but like Postfix's default more
// lenient with what real clients send: '_' in labels and one trailing dot.
bool isValidHeloName(QByteArrayView name);

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates).
bool isValidUtf8Text(QByteArrayView text);

// xtext of RFC 3461 4 (DSN ENVID and ORCPT values): printable ASCII except
// '+' and '=', or "+XX" hex escapes.
bool isValidXtext(QByteArrayView text);

// The domain of an address (after the last '@'), ASCII lower-cased; empty when
// there is no '@' (e.g. "postmaster").
QByteArray domainOf(QByteArrayView address);

// The local part of an address (before the last '@'), as given (quotes kept).
QByteArrayView localPartOf(QByteArrayView address);

} // namespace rd::smtp

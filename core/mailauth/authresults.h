#pragma once
// The Authentication-Results header field (RFC 8601): a builder for the
// field RelayDesk adds to received mail, and a parser (for tests, and for
// removing forged fields that carry our authserv-id from inbound mail).
// Pure; any thread.

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace rd::mailauth {

// One resinfo: "method=result [reason=...] ptype.property=value ...".
struct AuthResultsEntry {
    QString method; // "spf", "dkim", "dmarc", "iprev", "auth" ... (lower case)
    QString result; // "pass", "fail", "none", "temperror" ...
    QString reason; // free text; empty: no reason= part
    QList<QPair<QString, QString>> properties; // {"smtp.mailfrom","a@b"}, {"header.d","x"}
};

// One complete, folded field: "Authentication-Results: <id>;\r\n\t<resinfo>;
// ...\r\n". Each resinfo starts on its own continuation line; longer ones are
// folded at spaces so lines stay under 78 octets where a break is possible
// (a single unbreakable value may exceed it). Values that are not RFC 2045
// tokens (or, for properties, a plain local-part@domain) are written as
// quoted strings; CR and LF in any input become spaces, so the field cannot
// be split. Method, result and property names keep only [A-Za-z0-9._-]
// characters; an entry whose method or result ends up empty is skipped. No
// entries: "<id>; none" (RFC 8601 2.2).
QByteArray authenticationResultsHeader(const QString &authservId, const QList<AuthResultsEntry> &entries);

struct ParsedAuthResults {
    QString authservId;
    int version = 1;                 // the optional authres-version after the id
    QList<AuthResultsEntry> entries; // empty for "id; none"
    bool ok = false;
    QString error; // why it is not a valid field (ok == false)
};

// Parses a field value (the text after "Authentication-Results:"; a leading
// field name is accepted and skipped). Folding, comments (ignored), quoted
// strings and "method/version=" are understood; method, result and property
// names are returned in lower case, the reason and values unquoted.
// Anything else gives ok = false with an error naming the problem; never
// crashes on arbitrary bytes.
ParsedAuthResults parseAuthenticationResults(const QByteArray &fieldValue);

} // namespace rd::mailauth

#pragma once
// MIME header values: the structured fields Content-Type and
// Content-Disposition (RFC 2045 5.1, RFC 2183) with their parameters, RFC
// 2231 continuations and charsets included. Pure; any thread.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>

namespace rd::mime {

// One header field as received: the name as written, the value unfolded
// (CRLF before whitespace removed), leading and trailing whitespace removed,
// still RFC 2047 encoded (decode with decodeHeaderText()).
struct HeaderField {
    QByteArray name;
    QByteArray value;
};

// One parameter after RFC 2231 processing: "filename*0*=utf-8''a%C3%A4;
// filename*1=.pdf" gives {"filename", "aä.pdf", true}. A plain value is
// read as UTF-8 (else Latin-1) with RFC 2047 encoded words decoded (a common
// non-standard form for file names).
struct MimeParam {
    QByteArray name;       // lower case, without the '*' suffixes
    QString value;
    bool extended = false; // came from RFC 2231 "name*" / "name*N" parts
    QByteArray raw;        // the octets before charset decoding (a boundary is matched on these)
};

// A parsed Content-Type or Content-Disposition value.
struct StructuredValue {
    QByteArray value;          // lower case: "multipart/mixed", "attachment"; empty if missing
    QList<MimeParam> params;   // in order; an RFC 2231 value comes before a plain one of the same name
    QStringList defects;       // what was wrong, in words
};

// Parses a structured field value: a token (for Content-Type "type/subtype")
// then "; name=value" parameters (tokens or quoted strings; comments and
// whitespace skipped). Lenient: an unquoted value runs to the next ';' (so
// "name=my file.pdf" keeps its spaces), an unterminated quoted string runs to
// the end, and duplicate names are all kept. `isContentType` requires the
// "type/subtype" form: without it the value is empty and a defect says why.
StructuredValue parseStructuredValue(QByteArrayView fieldValue, bool isContentType);

// The first parameter named `name` (lower case), or a null QString.
QString paramValue(const QList<MimeParam> &params, QByteArrayView name);

// True for an RFC 5322 field name: one or more printable ASCII characters
// except ':'.
bool isFieldName(QByteArrayView name);

} // namespace rd::mime

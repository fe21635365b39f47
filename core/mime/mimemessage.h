#pragma once
// A MIME message (RFC 2045/2046, RFC 5322) parsed into a tree of parts.
// Value types; the parts refer to byte ranges of the source, which the
// message keeps (implicitly shared, not copied). Built by parseMime()
// (mimeparser.h). Pure; any thread.

#include "mime/mimeheaders.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>

namespace rd::mime {

// [begin, end) in MimeMessage::source; begin == end: empty.
struct ByteRange {
    qsizetype begin = 0;
    qsizetype end = 0;
    qsizetype size() const { return end - begin; }
    bool isEmpty() const { return end <= begin; }
};

struct MimePart {
    int parent = -1;            // index in MimeMessage::parts; -1 for the message itself
    int depth = 0;              // 0 for the message; children one more
    QList<int> children;        // multipart: the body parts; message/rfc822: the one embedded message

    QList<HeaderField> fields;  // in order, unfolded, RFC 2047 still encoded
    ByteRange header;           // the header section, without the empty line
    ByteRange body;             // the content; for multiparts preamble, parts and epilogue
    ByteRange preamble;         // multipart: before the first boundary line
    ByteRange epilogue;         // multipart: after the close boundary line (empty at the body end if none)

    // Content-Type (RFC 2045 5.2 defaults: text/plain, or message/rfc822 in a
    // multipart/digest; an invalid type also gives text/plain, with a defect).
    QByteArray type = "text";        // lower case
    QByteArray subtype = "plain";    // lower case
    QList<MimeParam> typeParams;
    QByteArray disposition;          // lower case: "attachment", "inline", or empty
    QList<MimeParam> dispositionParams;
    QByteArray transferEncoding;     // lower case; empty: none given (7bit)

    QByteArray mediaType() const { return type + '/' + subtype; }
    bool isMultipart() const { return type == "multipart"; }
    // A message/rfc822 (or message/global) part; its child is the embedded
    // message when it was parsed (identity transfer encoding, depth limit).
    bool isMessage() const { return type == "message" && (subtype == "rfc822" || subtype == "global"); }
    bool isText() const { return type == "text"; }
    // The charset parameter, lower case; empty if none.
    QByteArray charset() const;
    // The name a mail reader shows: the Content-Disposition filename, else
    // the Content-Type name; decoded (RFC 2231/2047). Empty if neither.
    QString filename() const;
    // Every distinct file name the part carries (all filename and name
    // parameters, RFC 2231 and plain forms): what a filter must look at,
    // since readers differ in which one they use.
    QStringList fileNames() const;
    // The first field called `name` (case-insensitive), raw; null if none.
    QByteArray field(QByteArrayView name) const;
    // Every field called `name`, RFC 2047 decoded, in order.
    QStringList decodedFields(QByteArrayView name) const;
};

// Something wrong with the input; the parse went on with a best guess.
struct MimeDefect {
    int part = 0;     // the part it concerns (index in parts)
    QString text;
};

struct MimeMessage {
    QByteArray source;          // the message as given
    QList<MimePart> parts;      // pre-order: parts[0] is the message itself, never empty after parseMime()
    QList<MimeDefect> defects;
    // False when a limit (parts, depth) stopped the parse: some content was
    // not split into parts (a defect says which limit).
    bool complete = true;

    QByteArrayView rawBody(int part) const;
    // The body with its Content-Transfer-Encoding undone; *defect set on
    // broken base64 / quoted-printable or an unknown encoding.
    QByteArray decodedBody(int part, bool *defect = nullptr) const;
    // decodedBody() read in the part's charset (see decodeCharset()).
    QString bodyText(int part, bool *defect = nullptr) const;
    // Defects as "part N: text" lines, for logs and tests.
    QStringList defectTexts() const;
};

} // namespace rd::mime

#pragma once
// DKIM tag=value lists (RFC 6376 3.2), as used by the DKIM-Signature header
// field and by DKIM key records in DNS. Pure: bytes in, tags or an error out;
// any thread.
//
//   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
//   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//   tag-name  = ALPHA *( ALPHA / DIGIT / "_" )
//   tag-value = [ tval *( 1*(WSP / FWS) tval ) ], tval = 1*( %x21-3A / %x3C-7E )
//
// Whitespace is SP, HTAB, CR and LF (folded header fields and TXT records are
// both accepted as they come). Tag names are case-sensitive; a repeated tag
// is an error (RFC 6376 3.2: "MUST be interpreted as a syntax error").

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <optional>

namespace rd::mailauth {

struct DkimTag {
    QByteArray name;
    QByteArray value;    // without the surrounding whitespace; inner FWS kept as it was
    qsizetype valueStart = 0; // offset in the input just after the '='
    qsizetype specEnd = 0;    // offset of the ';' ending the tag-spec, or the input's size
};

class DkimTagList {
public:
    QList<DkimTag> tags; // in input order

    bool contains(QByteArrayView name) const { return find(name) != nullptr; }
    // The tag named `name` (case-sensitive), or null.
    const DkimTag *find(QByteArrayView name) const;
    // The value of `name`, or `fallback` when the tag is absent.
    QByteArray value(QByteArrayView name, const QByteArray &fallback = QByteArray()) const;
};

// Parses a tag list. nullopt and *error ("duplicate tag 'b'", "tag-spec without
// '=' ...", "invalid tag name ...", "invalid character 0x.. in the value of ...")
// on a syntax error. An empty (or all-whitespace) input is an empty list.
std::optional<DkimTagList> parseDkimTagList(QByteArrayView input, QString *error = nullptr);

// The value with every SP/HTAB/CR/LF removed (for base64 values: b=, bh=, p=).
QByteArray dkimStripWhitespace(QByteArrayView value);

// A colon-separated list (h= of a signature, h=/s=/t= of a key record) split
// into items with surrounding whitespace removed. Empty items are kept as
// empty strings (so callers can reject "a::b").
QList<QByteArray> dkimSplitColonList(QByteArrayView value);

} // namespace rd::mailauth

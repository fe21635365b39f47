#pragma once
// RFC 2047 encoded words ("=?charset?B|Q?text?=") in header values. Pure;
// any thread.

#include <QByteArrayView>
#include <QString>

namespace rd::mime {

struct DecodedText {
    QString text;
    bool unknownCharset = false; // some word's charset was read as Latin-1
    bool defect = false;         // a malformed encoded word or encoding
};

// Decodes an unfolded header value: encoded words anywhere in the value
// (lenient: also inside words and quoted strings, as mail readers do) are
// decoded in their charset; whitespace between two adjacent encoded words is
// dropped, and adjacent words in the same charset are joined before charset
// decoding (a character split across words survives). Text outside encoded
// words is read as UTF-8 when valid, else Latin-1 (RFC 6532). Something that
// looks like an encoded word but is not one stays as it is. Linear time.
DecodedText decodeEncodedWords(QByteArrayView value);

// The same, returning the text only.
QString decodeHeaderText(QByteArrayView value);

} // namespace rd::mime

#pragma once
// Character set decoding for MIME text (RFC 2045 charset parameters, RFC 2047
// and RFC 2231 charsets). Pure; any thread.

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace rd::mime {

// Decodes `bytes` declared in `charset` (a MIME charset name, any case,
// quotes and whitespace tolerated). Empty, "us-ascii" and unknown labels
// that are really UTF-8 are read as UTF-8 when the bytes are valid UTF-8,
// else as Latin-1. A charset QStringDecoder does not know is read as Latin-1
// and *unknownCharset (if given) is set to true; invalid sequences in a known
// charset become U+FFFD. Never fails.
QString decodeCharset(QByteArrayView bytes, QByteArrayView charset, bool *unknownCharset = nullptr);

// Raw 8-bit text without a declared charset (RFC 6532 header values,
// undeclared parameter bytes): UTF-8 when valid, else Latin-1.
QString decodeUtf8OrLatin1(QByteArrayView bytes);

} // namespace rd::mime

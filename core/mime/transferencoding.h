#pragma once
// Content-Transfer-Encoding decoders (RFC 2045 6.7 quoted-printable, 6.8
// base64) and the RFC 2047 "Q" variant. Lenient: they decode what they can
// and report whether the input broke the rules. Pure; any thread.

#include <QByteArray>
#include <QByteArrayView>

namespace rd::mime {

// Base64 with everything outside the alphabet skipped (line breaks, spaces,
// garbage). '=' ends a quantum: its partial bits are dropped and decoding
// continues (concatenated encodings). *defect (if given) is set when a
// character other than whitespace was skipped or a quantum was incomplete.
QByteArray decodeBase64(QByteArrayView in, bool *defect = nullptr);

// Quoted-printable: "=XX" (either case), soft line breaks "=" CRLF or "=" LF
// (whitespace before the break tolerated), trailing whitespace on a line
// removed. A '=' not followed by two hex digits or a soft break is kept
// literally and sets *defect.
QByteArray decodeQuotedPrintable(QByteArrayView in, bool *defect = nullptr);

// The RFC 2047 "Q" encoding: like quoted-printable without line structure,
// and '_' stands for a space.
QByteArray decodeQEncoding(QByteArrayView in, bool *defect = nullptr);

// Undoes a Content-Transfer-Encoding given by name (any case): base64,
// quoted-printable; 7bit, 8bit, binary and empty are the identity. An
// unknown encoding is returned unchanged with *defect set.
QByteArray decodeTransferEncoding(QByteArrayView in, QByteArrayView encoding, bool *defect = nullptr);

} // namespace rd::mime

#pragma once
// DKIM canonicalisation (RFC 6376 3.4) and the message split it works on.
// Pure functions over bytes; any thread.
//
// Messages are as on the wire (CRLF line ends, not dot-stuffed): header
// fields, an empty line, the body. A bare LF or CR is kept as content.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

namespace rd::mailauth {

enum class DkimCanon { Simple, Relaxed };

// One header field exactly as in the message, continuation lines included.
struct DkimHeaderField {
    QByteArray name; // the text before the first ':', trailing WSP removed (as written)
    QByteArray raw;  // the whole field including its final CRLF (if it had one)
};

struct DkimMessage {
    QList<DkimHeaderField> headers; // top to bottom
    QByteArray body;                // after the empty line; empty if there is none
};

// Splits `message` into header fields and body. A line that is neither a
// field nor a continuation (no ':') becomes a field whose name is the whole
// line (it matches no h= entry). A message without the empty line is all
// header.
DkimMessage splitDkimMessage(QByteArrayView message);

// RFC 6376 3.4.1 / 3.4.2: the canonical form of one header field including
// its CRLF (relaxed: lower-case name, unfolded, WSP runs -> one SP, no WSP at
// the end of the value or around the colon).
QByteArray canonicalizeHeader(const DkimHeaderField &field, DkimCanon canon);

// RFC 6376 3.4.3 / 3.4.4: the canonical body. Simple: trailing empty lines
// removed, an empty body becomes CRLF. Relaxed: WSP at line ends removed, WSP
// runs -> one SP, trailing empty lines removed, an empty body stays empty. A
// non-empty body always ends with CRLF.
QByteArray canonicalizeBody(QByteArrayView body, DkimCanon canon);

// Header selection (RFC 6376 5.4.2): for each name of `names` (case-
// insensitive) the last instance not yet used, bottom-up; a name with no
// instance left selects nothing. Returns indexes into message.headers.
QList<qsizetype> selectDkimHeaders(const DkimMessage &message, const QList<QByteArray> &names);

// Case-insensitive ASCII comparison of header names.
bool dkimHeaderNameEquals(QByteArrayView a, QByteArrayView b);

} // namespace rd::mailauth

#pragma once
// The MIME parser: a whole RFC 5322 message into a MimeMessage tree
// (RFC 2045 headers, RFC 2046 multiparts and message/rfc822, RFC 2231
// parameters, RFC 2047 words in parameters). Pure; any thread.

#include "mime/mimemessage.h"

#include <QByteArray>

namespace rd::mime {

struct MimeLimits {
    int maxDepth = 32;    // parts deeper than this are not split further
    int maxParts = 1000;  // the parse stops when this many parts exist
};

// Parses `message` (header section, empty line, body; CRLF or bare LF line
// ends). Always returns a tree with at least the message itself; anything
// malformed is recorded in defects and parsed as well as it can be:
// boundaries are matched per RFC 2046 5.1.1 (a line "--boundary" with
// optional trailing whitespace, "--boundary--" closes; the line break before
// it belongs to it), a missing close boundary ends the multipart where its
// enclosing part ends, a header section without an empty line ends at the
// first line that is not a header field. Work is linear in the size of the
// message times the nesting depth for lines starting with "--"; the limits
// bound depth and part count (MimeMessage::complete tells if one was hit).
MimeMessage parseMime(const QByteArray &message, const MimeLimits &limits = {});

} // namespace rd::mime

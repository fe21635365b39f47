#pragma once
// Reply parsing shared by the SMTP client session (internal to core/smtp):
// multi-line reply blocks, RFC 3463 codes, EHLO capabilities, local replies.
// Pure functions; no I/O.

#include "smtp/clientsession.h"

namespace rd::smtp::clientreply {

constexpr qsizetype kMaxReplyLine = 4096; // RFC 5321 allows 512; be lenient
constexpr int kMaxReplyLines = 256;       // per multi-line reply

bool isDigit(char c);
// A reply made up by the client (never sent by a server).
ServerReply localReply(int code, QByteArrayView enhanced, QByteArrayView text);
// One complete reply block ("250-a\r\n250 b\r\n"): code, enhanced code, joined text.
ServerReply parseReply(QByteArrayView block);
// The capabilities of a successful EHLO reply block.
void parseCapabilities(QByteArrayView block, ServerCapabilities &caps);
QByteArray firstWord(QByteArrayView text);
// An address we can put between <> without breaking the command line.
bool usableAddress(QByteArrayView a);
// At most 80 octets with control and non-ASCII octets replaced by '?'.
QByteArray printable(QByteArrayView s);

} // namespace rd::smtp::clientreply

#pragma once
// Every reply the SMTP server sends: code, enhanced status code, text, RFC.
// One table (replies.cpp) so that wording and codes are reviewed in one place.
// Thread: all functions are pure and reentrant.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <span>

namespace rd::smtp {

enum class ReplyId {
    // Session and greeting
    Greeting,                 // 220 <host> ESMTP RelayDesk
    EhloOk,                   // 250-<host> (first line of the EHLO reply)
    HeloOk,                   // 250 <host>
    Bye,                      // 221 2.0.0
    // Transaction
    MailOk,                   // 250 2.1.0
    RcptOk,                   // 250 2.1.5
    DataStart,                // 354
    MessageQueued,            // 250 2.0.0 Ok: queued as <id>
    RsetOk,                   // 250 2.0.0
    NoopOk,                   // 250 2.0.0
    VrfyCannotVerify,         // 252 2.5.2
    Help,                     // 214 2.0.0
    // Command errors
    CommandUnrecognized,      // 500 5.5.2
    CommandLineTooLong,       // 500 5.5.2
    CommandInvalidCharacters, // 500 5.5.2 (NUL, control or non-ASCII bytes)
    SyntaxError,              // 501 5.5.4 (arguments where none allowed, ...)
    HeloSyntax,               // 501 5.5.4 Syntax: EHLO hostname
    MailSyntax,               // 501 5.5.4 Syntax: MAIL FROM:<address>
    RcptSyntax,               // 501 5.5.4 Syntax: RCPT TO:<address>
    ParamSyntax,              // 501 5.5.4 bad esmtp-keyword / value
    BadSizeParam,             // 501 5.5.4
    BadBodyParam,             // 501 5.5.4
    PathTooLong,              // 501 5.5.4 (more than 256 octets)
    BadSenderAddress,         // 501 5.1.7
    BadRecipientAddress,      // 501 5.1.3
    CommandNotImplemented,    // 502 5.5.1 (STARTTLS, AUTH, BDAT for now)
    ExpnDisabled,             // 502 5.5.1
    BadSequence,              // 503 5.5.1
    UnknownParameter,         // 555 5.5.4
    // Policy and limits
    RelayDenied,              // 554 5.7.1
    RoutingDenied,            // 554 5.7.1 (%, ! or quoted @ in the local part)
    SenderNotOwned,           // 553 5.7.1 (a directory user's "send as" check)
    TooManyRecipients,        // 452 4.5.3
    NoValidRecipients,        // 554 5.5.1
    MessageTooBig,            // 552 5.3.4
    BareLineEnding,           // 550 5.6.0 (SMTP smuggling policy)
    DataLineTooLong,          // 550 5.6.0
    QueueTemporaryFailure,    // 451 4.3.0
    QueuePermanentFailure,    // 554 5.3.0
    // Closing the channel (all followed by a Close action)
    ProxyRefused,             // 554 5.7.1 (a PROXY header from an address that is not a balancer)
    TooManyErrors,            // 421 4.7.0
    TooManyMessages,          // 421 4.7.0
    TooManySessions,          // 421 4.3.2 (sent by the listener, not the session)
    Timeout,                  // 421 4.4.2
    ShuttingDown,             // 421 4.3.2
    // STARTTLS (RFC 3207) and AUTH (RFC 4954)
    TlsReady,                 // 220 2.0.0
    TlsNotAvailable,          // 454 4.7.0
    TlsRequired,              // 530 5.7.0 Must issue a STARTTLS command first
    AuthRequired,             // 530 5.7.0 Authentication required
    AuthChallenge,            // 334 <base64 challenge>
    AuthSucceeded,            // 235 2.7.0
    AuthFailed,               // 535 5.7.8
    AuthTemporaryFailure,     // 454 4.7.0
    AuthEncryptionRequired,   // 538 5.7.11
    AuthUnknownMechanism,     // 504 5.5.4
    AuthCancelled,            // 501 5.0.0
    AuthBadResponse,          // 501 5.5.2 (not base64, or not a valid PLAIN message)
    AuthTooManyFailures,      // 421 4.7.0
    // SMTPUTF8 (RFC 6531), DSN (RFC 3461), CHUNKING (RFC 3030)
    NonAsciiNeedsSmtpUtf8,    // 553 5.6.7
    BadDsnParameter,          // 501 5.5.4
    ChunkReceived,            // 250 2.0.0 <n> octets received
    TooManySessionsFromIp,    // 421 4.7.0 (sent by the listener)
    SessionTimeLimit,         // 421 4.4.2 (total session time cap)
    // Abuse control (core/policy); %1 names the limit, list or rule
    RateLimited,              // 451 4.7.1 (MAIL/RCPT over a rate limit)
    ConnectionRateLimited,    // 421 4.7.0 (connections per window; sent at connect)
    DnsblListed,              // 554 5.7.1 (client on a DNS block list)
    Greylisted,               // 450 4.7.1
    SenderRejected,           // 550 5.7.1 (blocked sender address or domain)
    RecipientRejected,        // 550 5.7.1 (blocked recipient address or domain)
    ContentRejected,          // 550 5.7.1 (a header, body, attachment or size rule)
    TooManyHops,              // 554 5.4.6 (more Received fields than delivery.max_hops: a mail loop)
    ConnectionRefused,        // 554 5.7.1 (a connection-control deny rule or a ban; sent at connect)

    Count // keep last
};

struct ReplySpec {
    ReplyId id;
    int code;             // 3-digit basic reply code (RFC 5321 4.2)
    const char *enhanced; // RFC 3463 status code, "" where ESC are not used (220, EHLO/HELO, 354)
    const char *text;     // may contain one "%1", filled with formatReply()'s `extra`
    const char *rfc;      // where the reply is specified, e.g. "RFC 5321 4.2.2"
};

// The spec of one reply. Never fails for a valid id.
const ReplySpec &replySpec(ReplyId id);

// The whole table, in ReplyId order (for tests and documentation).
std::span<const ReplySpec> allReplySpecs();

// "code esc text\r\n" (or "code text\r\n" without ESC); the text's "%1" is
// replaced by `extra` with CR, LF and other control bytes replaced by '?'.
QByteArray formatReply(ReplyId id, QByteArrayView extra = {});

// Same as formatReply() but appends to `out` (no temporary allocation).
void appendReply(QByteArray &out, ReplyId id, QByteArrayView extra = {});

// Multi-line reply (RFC 5321 4.2.1): the first line is `id`'s text with
// `extra`, then one line per entry of `lines`; every line but the last uses
// "code-", the last "code ". Each line carries the ESC if the spec has one.
// Used for EHLO: 250-host / 250-PIPELINING / ... / 250 ENHANCEDSTATUSCODES.
QByteArray formatMultilineReply(ReplyId id, QByteArrayView extra, const QList<QByteArray> &lines);

} // namespace rd::smtp

#include "smtp/replies.h"

#include <array>
#include <cstring>

namespace rd::smtp {

namespace {

using R = ReplyId;

// The reply table. Rows must stay in ReplyId order (checked at compile time).
// ESC: RFC 3463 / RFC 5248. No ESC on the greeting, the EHLO/HELO reply
// (RFC 2034 section 3) and the 354 intermediate reply.
constexpr std::array<ReplySpec, static_cast<size_t>(ReplyId::Count)> kReplies{{
    // id                          code  esc      text                                                   rfc
    {R::Greeting,                  220, "",      "%1 ESMTP RelayDesk",                                  "RFC 5321 4.3.1"},
    {R::EhloOk,                    250, "",      "%1",                                                  "RFC 5321 4.1.1.1"},
    {R::HeloOk,                    250, "",      "%1",                                                  "RFC 5321 4.1.1.1"},
    {R::Bye,                       221, "2.0.0", "Bye",                                                 "RFC 5321 4.1.1.10"},

    {R::MailOk,                    250, "2.1.0", "Sender OK",                                           "RFC 5321 4.1.1.2"},
    {R::RcptOk,                    250, "2.1.5", "Recipient OK",                                        "RFC 5321 4.1.1.3"},
    {R::DataStart,                 354, "",      "End data with <CR><LF>.<CR><LF>",                     "RFC 5321 4.1.1.4"},
    {R::MessageQueued,             250, "2.0.0", "Ok: queued as %1",                                    "RFC 5321 4.1.1.4"},
    {R::RsetOk,                    250, "2.0.0", "Ok",                                                  "RFC 5321 4.1.1.5"},
    {R::NoopOk,                    250, "2.0.0", "Ok",                                                  "RFC 5321 4.1.1.9"},
    {R::VrfyCannotVerify,          252, "2.5.2", "Cannot VRFY user, but will accept message",           "RFC 5321 3.5.3"},
    {R::Help,                      214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP",
                                                                                                        "RFC 5321 4.1.1.8"},

    {R::CommandUnrecognized,       500, "5.5.2", "Command unrecognized",                                "RFC 5321 4.2.4"},
    {R::CommandLineTooLong,        500, "5.5.2", "Line too long",                                       "RFC 5321 4.5.3.1.4"},
    {R::CommandInvalidCharacters,  500, "5.5.2", "Invalid characters in command",                       "RFC 5321 4.1.1"},
    {R::SyntaxError,               501, "5.5.4", "Syntax error in parameters or arguments",             "RFC 5321 4.2.2"},
    {R::HeloSyntax,                501, "5.5.4", "Syntax: %1 hostname",                                 "RFC 5321 4.1.1.1"},
    {R::MailSyntax,                501, "5.5.4", "Syntax: MAIL FROM:<address>",                         "RFC 5321 4.1.1.2"},
    {R::RcptSyntax,                501, "5.5.4", "Syntax: RCPT TO:<address>",                           "RFC 5321 4.1.1.3"},
    {R::ParamSyntax,               501, "5.5.4", "Syntax error in parameters",                          "RFC 5321 4.1.2"},
    {R::BadSizeParam,              501, "5.5.4", "Bad message size syntax",                             "RFC 1870 6"},
    {R::BadBodyParam,              501, "5.5.4", "Bad BODY keyword value",                              "RFC 6152 2"},
    {R::PathTooLong,               501, "5.5.4", "Path too long",                                       "RFC 5321 4.5.3.1.3"},
    {R::BadSenderAddress,          501, "5.1.7", "Bad sender address syntax",                           "RFC 3463 3.2"},
    {R::BadRecipientAddress,       501, "5.1.3", "Bad recipient address syntax",                        "RFC 3463 3.2"},
    {R::CommandNotImplemented,     502, "5.5.1", "Command not implemented",                             "RFC 5321 4.2.4"},
    {R::ExpnDisabled,              502, "5.5.1", "EXPN not available",                                  "RFC 5321 3.5.2"},
    {R::BadSequence,               503, "5.5.1", "Bad sequence of commands",                            "RFC 5321 4.3.2"},
    {R::UnknownParameter,          555, "5.5.4", "MAIL FROM/RCPT TO parameters not recognized or not implemented",
                                                                                                        "RFC 5321 4.1.1.11"},

    {R::RelayDenied,               554, "5.7.1", "Relay access denied",                                 "RFC 5321 3.6.2"},
    {R::RoutingDenied,             554, "5.7.1", "Relay access denied",                                 "RFC 5321 3.6.2"},
    {R::SenderNotOwned,            553, "5.7.1", "Sender address not owned by the authenticated user",  "RFC 3463 3.8; Postfix reject_sender_login_mismatch"},
    {R::TooManyRecipients,         452, "4.5.3", "Too many recipients",                                 "RFC 5321 4.5.3.1.10"},
    {R::NoValidRecipients,         554, "5.5.1", "No valid recipients",                                 "RFC 5321 3.3"},
    {R::MessageTooBig,             552, "5.3.4", "Message size exceeds fixed limit",                    "RFC 1870 6"},
    {R::BareLineEnding,            550, "5.6.0", "Message refused: bare CR or LF in message content",   "RFC 5321 2.3.8"},
    {R::DataLineTooLong,           550, "5.6.0", "Message refused: line too long",                      "RFC 5321 4.5.3.1.6"},
    {R::QueueTemporaryFailure,     451, "4.3.0", "Error: queue file write error",                       "RFC 5321 4.2.3"},
    {R::QueuePermanentFailure,     554, "5.3.0", "Error: transaction failed",                           "RFC 5321 4.2.3"},

    {R::ProxyRefused,              554, "5.7.1", "PROXY header not accepted from this address",          "RFC 3463 3.8 (HAProxy proxy-protocol.txt)"},
    {R::TooManyErrors,             421, "4.7.0", "Too many errors",                                     "RFC 5321 4.2.3"},
    {R::TooManyMessages,           421, "4.7.0", "Too many messages in this session",                   "RFC 5321 4.2.3"},
    {R::TooManySessions,           421, "4.3.2", "Too many sessions, try again later",                  "RFC 5321 3.8"},
    {R::Timeout,                   421, "4.4.2", "%1 Error: timeout exceeded",                          "RFC 5321 4.5.3.2"},
    {R::ShuttingDown,              421, "4.3.2", "Service shutting down",                               "RFC 5321 3.8"},
    {R::TlsReady,                  220, "2.0.0", "Ready to start TLS",                                  "RFC 3207 4"},
    {R::TlsNotAvailable,           454, "4.7.0", "TLS not available due to temporary reason",           "RFC 3207 4"},
    {R::TlsRequired,               530, "5.7.0", "Must issue a STARTTLS command first",                 "RFC 3207 4"},
    {R::AuthRequired,              530, "5.7.0", "Authentication required",                             "RFC 4954 6"},
    {R::AuthChallenge,             334, "",      "%1",                                                  "RFC 4954 4"},
    {R::AuthSucceeded,             235, "2.7.0", "Authentication successful",                           "RFC 4954 6"},
    {R::AuthFailed,                535, "5.7.8", "Authentication credentials invalid",                  "RFC 4954 6"},
    {R::AuthTemporaryFailure,      454, "4.7.0", "Temporary authentication failure",                    "RFC 4954 6"},
    {R::AuthEncryptionRequired,    538, "5.7.11", "Encryption required for requested authentication mechanism", "RFC 4954 6"},
    {R::AuthUnknownMechanism,      504, "5.5.4", "Unrecognized authentication type",                    "RFC 4954 4"},
    {R::AuthCancelled,             501, "5.0.0", "Authentication cancelled",                            "RFC 4954 4"},
    {R::AuthBadResponse,           501, "5.5.2", "Cannot decode authentication response",               "RFC 4954 4"},
    {R::AuthTooManyFailures,       421, "4.7.0", "Too many authentication failures",                    "RFC 4954 4"},
    {R::NonAsciiNeedsSmtpUtf8,     553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 extension",   "RFC 6531 3.5"},
    {R::BadDsnParameter,           501, "5.5.4", "Invalid DSN parameter",                               "RFC 3461 4"},
    {R::ChunkReceived,             250, "2.0.0", "%1 octets received",                                  "RFC 3030 2"},
    {R::TooManySessionsFromIp,     421, "4.7.0", "Too many sessions from your address, try again later", "RFC 5321 3.8"},
    {R::SessionTimeLimit,          421, "4.4.2", "Session time limit exceeded",                         "RFC 5321 4.5.3.2"},
    // Abuse control (core/policy): %1 names the limit, list or rule that decided.
    {R::RateLimited,               451, "4.7.1", "Rate limit exceeded: %1",                             "RFC 3463 3.8"},
    {R::ConnectionRateLimited,     421, "4.7.0", "Rate limit exceeded: %1",                             "RFC 5321 3.8"},
    {R::DnsblListed,               554, "5.7.1", "Service unavailable; %1",                             "RFC 5782 2.1"},
    {R::Greylisted,                450, "4.7.1", "Greylisted: %1",                                      "RFC 6647 2.1"},
    {R::SenderRejected,            550, "5.7.1", "Sender address rejected: %1",                         "RFC 3463 3.8"},
    {R::RecipientRejected,         550, "5.7.1", "Recipient address rejected: %1",                      "RFC 3463 3.8"},
    {R::ContentRejected,           550, "5.7.1", "Message rejected: %1",                                "RFC 3463 3.8"},
    {R::TooManyHops,               554, "5.4.6", "Too many hops: %1",                                   "RFC 5321 6.3"},
    {R::ConnectionRefused,         554, "5.7.1", "%1",                                                  "RFC 5321 3.1"},
}};

constexpr bool tableInIdOrder()
{
    for (size_t i = 0; i < kReplies.size(); ++i) {
        if (static_cast<size_t>(kReplies[i].id) != i)
            return false;
    }
    return true;
}
static_assert(tableInIdOrder(), "kReplies rows must be in ReplyId order, one per id");

void appendCode(QByteArray &out, int code, char sep)
{
    const char digits[4] = {char('0' + code / 100), char('0' + code / 10 % 10), char('0' + code % 10), sep};
    out.append(digits, 4);
}

// Appends `text` with its "%1" replaced by a sanitised `extra`.
void appendText(QByteArray &out, const char *text, QByteArrayView extra)
{
    const char *hole = std::strstr(text, "%1");
    if (!hole) {
        out.append(text);
        return;
    }
    out.append(text, hole - text);
    for (char c : extra) {
        const auto u = static_cast<unsigned char>(c);
        out.append((u < 0x20 || u == 0x7f) ? '?' : c);
    }
    out.append(hole + 2);
}

void appendLine(QByteArray &out, const ReplySpec &spec, char sep, const char *text, QByteArrayView extra)
{
    appendCode(out, spec.code, sep);
    if (spec.enhanced[0] != '\0') {
        out.append(spec.enhanced);
        out.append(' ');
    }
    appendText(out, text, extra);
    out.append("\r\n", 2);
}

} // namespace

const ReplySpec &replySpec(ReplyId id)
{
    const auto index = static_cast<size_t>(id);
    Q_ASSERT(index < kReplies.size());
    return kReplies[index < kReplies.size() ? index : 0];
}

std::span<const ReplySpec> allReplySpecs()
{
    return {kReplies.data(), kReplies.size()};
}

void appendReply(QByteArray &out, ReplyId id, QByteArrayView extra)
{
    appendLine(out, replySpec(id), ' ', replySpec(id).text, extra);
}

QByteArray formatReply(ReplyId id, QByteArrayView extra)
{
    QByteArray out;
    appendReply(out, id, extra);
    return out;
}

QByteArray formatMultilineReply(ReplyId id, QByteArrayView extra, const QList<QByteArray> &lines)
{
    const ReplySpec &spec = replySpec(id);
    QByteArray out;
    appendLine(out, spec, lines.isEmpty() ? ' ' : '-', spec.text, extra);
    for (qsizetype i = 0; i < lines.size(); ++i) {
        // Extension lines are ours (no "%1"); sanitise them through `extra` anyway.
        appendLine(out, spec, i + 1 == lines.size() ? ' ' : '-', "%1", lines[i]);
    }
    return out;
}

} // namespace rd::smtp

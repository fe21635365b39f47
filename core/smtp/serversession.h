#pragma once
// SMTP server session: a pure, socket-free state machine (RFC 5321).
// Fed the client's bytes, it appends the replies to write and the actions the
// caller must carry out (stream the body to the spool, commit, close).
// Thread: used by one thread at a time; no I/O, no timers, no globals.

#include "smtp/replies.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>
#include <memory>
#include <optional>
#include <vector>

namespace rd::smtp {

struct SessionLimits {
    int maxCommandLine = 512;        // octets incl. CRLF (RFC 5321 4.5.3.1.4)
    int maxTextLine = 1000;          // octets incl. CRLF (RFC 5321 4.5.3.1.6)
    qint64 maxMessageSize = 36700160; // octets of message content (SIZE)
    int maxRecipients = 100;         // per transaction; more gets 452 4.5.3
    int maxErrors = 10;              // bad commands before 421 and close
    int maxMessagesPerSession = 1000;
    int maxHops = 30;                // Received fields a message may carry (more: 554 5.4.6)
};

struct SessionConfig {
    QString hostname = QStringLiteral("localhost"); // our name in banner/EHLO
    QString sessionId;               // for log lines
    QString clientIp;                // textual peer address
    QString listener;                // the listener's name (message tracking)
    QString viaProxy;                // the load balancer whose PROXY header named clientIp, if any
    bool relayAllowed = false;       // client may relay to any domain
    QStringList acceptedDomains;     // domains accepted from anyone (lower case)
    SessionLimits limits;
    bool tlsAvailable = false;       // a certificate is configured: offer STARTTLS
    bool tlsActive = false;          // implicit TLS: the connection is already encrypted
    bool requireTls = false;         // MAIL needs TLS first (530 5.7.0)
    bool authAvailable = false;      // offer AUTH PLAIN LOGIN (only over TLS, see below)
    bool authRequired = false;       // MAIL needs AUTH first (530 5.7.0; submission)
    bool plaintextAuthAllowed = false; // offer AUTH without TLS (loopback listeners only)
    // Also offer AUTH GSSAPI (RFC 4752, Kerberos) where AUTH is offered, but
    // only over TLS (never in plaintext, even on loopback). Command lines may
    // then be 12288 octets (RFC 4954 4: a ticket is larger than 512).
    bool gssapiAvailable = false;
    bool policyChecks = false;       // ask the host about each MAIL and RCPT (CheckSender/CheckRecipient)
    bool transcript = false;         // fill Output::transcript with commands and replies
};

// A parsed ESMTP parameter (e.g. SIZE=1234, BODY=8BITMIME).
struct Param {
    QByteArray key;   // upper-cased
    QByteArray value; // as given (may be empty)
};

// The transaction being received. Valid from MAIL until the message ends.
struct Envelope {
    QByteArray mailFrom;             // reverse-path without <>, empty for null sender
    QList<Param> mailParams;
    QList<QByteArray> rcptTo;        // forward-paths without <>
    QList<QList<Param>> rcptParams;  // parallel to rcptTo
    QByteArray helo;                 // EHLO/HELO argument
    bool esmtp = false;              // EHLO (true) or HELO (false)
};

enum class ActionKind {
    BeginMessage,  // 354 was sent: open a spool file for envelope()
    MessageData,   // `data`: message content, dot-unstuffed, CRLF lines
    EndMessage,    // end of data seen and content acceptable: commit it durably,
                   // then call commitFinished(); the session waits meanwhile
    AbortMessage,  // discard the spool file opened at BeginMessage
    Close,         // close the connection after writing pending replies
    StartTls,      // 220 was sent: start the TLS handshake now, then call
                   // tlsStarted() (or close on failure); the session waits
    Authenticate,  // `data` is user '\0' password: verify, then call
                   // authFinished(); the session waits. NEVER log `data`.
    GssapiBegin,   // AUTH GSSAPI: start a new exchange (drop any earlier one)
    GssapiStep,    // `data` is the client's raw GSSAPI token (may be empty
                   // after the server's last context token): step the
                   // exchange, then call saslChallenge() or authFinished()
    CheckSender,   // `data` is the reverse-path of a MAIL that passed every
                   // protocol check: apply the policy (rate limits, DNSBL,
                   // blocked senders), then call policyFinished(); the session waits
    CheckRecipient, // `data` is the forward-path of a RCPT that passed every
                   // protocol and relay check: likewise (greylisting, limits)
};

struct Action {
    ActionKind kind;
    QByteArray data;
};

// A 4xx/5xx reply and the command it answered, for the log.
struct Rejection {
    int code = 0;
    QByteArray reply;   // the reply line without CRLF
    QByteArray command; // the client's command line (printable ASCII, at most 200
                        // octets; empty for data-phase and session-level replies)
    QByteArray rule;    // the policy rule that decided (PolicyVerdict/CommitResult), if any
};

struct Output {
    QByteArray replies;          // bytes for the socket, in order, CRLF-terminated
    std::vector<Action> actions; // in order
    std::vector<Rejection> rejections; // every 4xx/5xx reply in `replies`, in order
    // With SessionConfig::transcript: "C: <command>" and "S: <reply line>" in
    // wire order; AUTH arguments and SASL responses are redacted, message
    // content is summarised ("C: <message content, N octets>").
    QByteArrayList transcript;
    void clear() { replies.clear(); actions.clear(); rejections.clear(); transcript.clear(); }
};

struct AuthOutcome {
    enum Kind { Success, Failure, Temporary, Disconnect };
    Kind kind = Failure;
    bool mayRelay = false;   // Success: the user may relay to any domain
    QByteArray user;         // Success: the authenticated name when the mechanism
                             // itself names it (GSSAPI: the principal)
    // Success: when set, MAIL FROM must be one of `ownAddresses` (case-insensitive)
    // or the null sender; else 553 5.7.1 (a directory user's "send as" check).
    bool restrictSenders = false;
    QStringList ownAddresses;

    static AuthOutcome of(Kind kind)
    {
        AuthOutcome o;
        o.kind = kind;
        return o;
    }
};

// The host's answer to CheckSender/CheckRecipient, and a content decision.
struct PolicyVerdict {
    std::optional<ReplyId> reply; // empty: accept; else the refusal (4xx/5xx from replies.h)
    QByteArray text;              // fills the reply's %1 (a sentence naming the limit or list)
    QByteArray rule;              // the deciding rule, for the log
    bool accepted() const { return !reply.has_value(); }
};

struct CommitResult {
    bool ok = false;
    bool temporary = true;   // on failure: 451 4.3.0 (true) or 554 5.3.0 (false)
    QString queueId;         // on success, quoted in the 250 reply
    QString error;           // on failure, for the log
    PolicyVerdict policy;    // on failure: a policy refusal replaces 451/554 (content rules)
};

class ServerSession {
public:
    explicit ServerSession(SessionConfig config);
    ~ServerSession();
    ServerSession(ServerSession &&) noexcept;
    ServerSession &operator=(ServerSession &&) noexcept;

    // Appends the 220 greeting. Call once, first.
    void start(Output &out);

    // Consumes client bytes. Complete lines are processed in order (pipelining);
    // a partial line is buffered. While waiting for commitFinished() the input
    // is buffered, not processed. After Close, further input is ignored.
    void feed(QByteArrayView bytes, Output &out);

    // Resumes after an EndMessage action: 250 with the queue id, or 451/554.
    // Then processes any input buffered meanwhile.
    void commitFinished(const CommitResult &result, Output &out);

    // Resumes after a StartTls action: the handshake succeeded. The session
    // forgets everything said before TLS (RFC 3207 4.2); the client must EHLO again.
    void tlsStarted(const QString &protocol, const QString &cipher, Output &out);

    // Resumes after an Authenticate action: 235, 535, 454 or 421 + Close.
    // Then processes any input buffered meanwhile.
    void authFinished(const AuthOutcome &outcome, Output &out);
    // Resumes after a GssapiStep that needs another round: "334 <base64>",
    // and the client's next line is the next GssapiStep.
    void saslChallenge(const QByteArray &challenge, Output &out);

    // Resumes after a CheckSender/CheckRecipient action: 250 and the transition,
    // or the verdict's refusal. Then processes any input buffered meanwhile.
    void policyFinished(const PolicyVerdict &verdict, Output &out);

    // Idle timeout: 421 4.4.2 and Close.
    void timeout(Output &out);
    // Server shutting down: 421 4.3.2 and Close.
    void shutdown(Output &out);
    // The session's total time is up: 421 4.4.2 and Close.
    void sessionTimeLimit(Output &out);

    bool waitingForCommit() const;
    bool waitingForAuth() const;
    bool waitingForTls() const;
    bool waitingForPolicy() const;
    bool tlsActive() const;
    QString tlsProtocol() const;   // e.g. "TLSv1.3", empty without TLS
    QString tlsCipher() const;
    QByteArray authenticatedUser() const; // empty when not authenticated
    // The client may relay to any domain: a listed address, or a user with the
    // relay right. Mail from such clients is "ours" (DKIM-signed, not checked).
    bool hasRelayRight() const;
    bool closed() const;
    const Envelope &envelope() const;
    const SessionConfig &config() const;
    int messagesAccepted() const;
    // Last reply code sent (e.g. 250), for logging.
    int lastReplyCode() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace rd::smtp

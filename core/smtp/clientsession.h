#pragma once
// SMTP client session: a pure, socket-free state machine (RFC 5321, RFC 2920
// pipelining, RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 3463 enhanced codes).
// Fed the server's bytes, it appends the bytes to write and the events the
// caller must act on. It never buffers message content: on SendContent the
// caller streams the content through dotStuff() and then calls contentDone().
// Thread: used by one thread at a time; no I/O, no timers, no globals.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <vector>

namespace rd::smtp {

// One reply, possibly multi-line, as received (or made up locally).
struct ServerReply {
    int code = 0;        // 3-digit reply code; 0 = no reply (transport or local failure)
    QByteArray enhanced; // RFC 3463 code, e.g. "5.1.1"; empty if the server sent none
    QByteArray text;     // the lines' text joined by one space, codes removed
    bool local = false;  // made up by the client (SIZE check, lost connection, ...)

    bool success() const { return code >= 200 && code < 300; }
    bool permanent() const { return code >= 500 && code < 600; }
    // Anything that is neither 2xx nor 5xx (4xx, code 0, odd codes) is retried.
    bool temporary() const { return !success() && !permanent(); }
    // "550 5.1.1 text" (code and enhanced code omitted when absent).
    QByteArray toString() const;
};

// What the server announced in its EHLO reply. All false/empty after HELO.
struct ServerCapabilities {
    bool esmtp = false;               // EHLO was accepted
    bool pipelining = false;          // PIPELINING (RFC 2920)
    bool sizeSupported = false;       // SIZE (RFC 1870)
    qint64 sizeLimit = 0;             // SIZE n; 0 = no fixed limit
    bool eightBitMime = false;        // 8BITMIME
    bool smtpUtf8 = false;            // SMTPUTF8
    bool startTls = false;            // STARTTLS
    bool enhancedStatusCodes = false; // ENHANCEDSTATUSCODES
    QList<QByteArray> authMechanisms; // AUTH (or AUTH=) mechanisms, upper-cased
    QList<QByteArray> keywords;       // every EHLO keyword, upper-cased
    QByteArray serverName;            // first word of the EHLO/HELO reply
};

// How the client handles TLS and AUTH before the first message.
enum class TlsPolicy {
    None,          // never STARTTLS
    Opportunistic, // STARTTLS when offered; plain text when not offered or refused
    Required,      // STARTTLS must succeed, or the session fails (temporarily)
};

// Which SASL mechanism carries an OAuth 2.0 access token.
enum class OAuthMechanism {
    Auto,        // XOAUTH2 when the server offers it (Microsoft 365, Gmail), else OAUTHBEARER
    XOAuth2,     // Google/Microsoft XOAUTH2 only
    OAuthBearer, // RFC 7628 OAUTHBEARER only
};

struct ClientOptions {
    QByteArray heloName;             // a domain, or an address literal "[192.0.2.1]"
    TlsPolicy tls = TlsPolicy::None;
    bool tlsActive = false;          // implicit TLS: encrypted from the first byte
    QByteArray authUser;             // empty: no AUTH (with OAuth: the mailbox to send as)
    QByteArray authPassword;
    bool allowPlaintextAuth = false; // send credentials without TLS (tests on loopback only)
    // OAuth 2.0: non-empty = sign in with this access token (XOAUTH2/OAUTHBEARER)
    // instead of a password. Secret: never logged.
    QByteArray oauthToken;
    OAuthMechanism oauthMechanism = OAuthMechanism::Auto;
    QByteArray oauthHost;            // OAUTHBEARER host= (the server's name); empty: left out
    quint16 oauthPort = 0;           // OAUTHBEARER port=; 0: left out
};

// One message to send. Addresses are without <>; an empty mailFrom is <>.
struct ClientMessage {
    QByteArray mailFrom;
    QList<QByteArray> rcpts;
    qint64 size = 0;        // content octets (for SIZE= and the limit check)
    bool eightBit = false;  // content has 8-bit octets (BODY=8BITMIME if offered)
    bool smtpUtf8 = false;  // needs SMTPUTF8 (RFC 6531): sent when offered, refused (553 5.6.7) when not
};

struct RecipientReply {
    QByteArray rcpt;
    ServerReply reply; // the RCPT reply; see MessageResult for unanswered ones
};

// Outcome of one message. Contract:
// - rcpts[i] is recipient i's RCPT reply. A recipient whose RCPT was never
//   answered meaningfully (MAIL refused, message too big, connection lost)
//   carries a copy of `reply`; one with an unusable address (CR/LF/NUL) a local
//   553 5.1.3.
// - `reply` ended the transaction: the reply to "." when content was sent;
//   otherwise the MAIL or DATA refusal, the first temporary (else first) RCPT
//   refusal when every RCPT failed, or a local reply.
struct MessageResult {
    ServerReply reply;
    QList<RecipientReply> rcpts;
    // Non-empty if the connection ended during this transaction (421,
    // malformed reply, transport failure); the text for the log.
    QByteArray connectionError;

    bool success() const { return reply.success(); }
    bool temporary() const { return reply.temporary(); }
    // The reply that decides recipient i: its RCPT reply unless that was 2xx,
    // in which case `reply`.
    const ServerReply &outcome(qsizetype i) const;
};

// Where the session is, for timeouts and log text.
enum class ClientPhase { Greeting, Ehlo, Helo, StartTls, Auth, Idle, Mail, Rcpt, Data, Content, EndOfData, Rset, Quit, Closed };

enum class ClientEventKind {
    Ready,       // EHLO/HELO (and STARTTLS, AUTH) done; capabilities() valid; sendMessage() allowed
    StartTls,    // 220 to STARTTLS: start the TLS handshake, then call tlsEstablished()
    SendContent, // 354 received: stream the content, then call contentDone()
    MessageDone, // `result` is final; readyForMessage() tells if another may follow
    Failed,      // the session cannot go on; `reply` says why (temporary or not)
    Closed,      // close the socket now; the session ignores further input
};

struct ClientEvent {
    ClientEventKind kind;
    MessageResult result;                    // MessageDone
    ServerReply reply;                       // Failed
    ClientPhase phase = ClientPhase::Closed; // Failed: the phase that failed
};

struct ClientOutput {
    QByteArray toSend;               // bytes for the socket, in order
    std::vector<ClientEvent> events; // in order
    void clear() { toSend.resize(0); events.clear(); }
};

// Streaming dot-stuffing state; start each message with a default value.
struct DotStuffState {
    bool atLineStart = true; // the next octet starts a line
    bool afterCR = false;    // the last octet was a CR
};

class ClientSession {
public:
    // heloName: our name for EHLO/HELO (a domain, or an address literal "[192.0.2.1]").
    explicit ClientSession(QByteArray heloName);
    explicit ClientSession(ClientOptions options);

    // Consumes server bytes (the greeting first). Complete replies are handled
    // in order; a partial reply is buffered. While content is being sent the
    // input is buffered, not handled. After Closed, input is ignored.
    void feed(QByteArrayView serverBytes, ClientOutput &out);

    // Starts one transaction. Allowed only when readyForMessage(); otherwise a
    // MessageDone with a temporary local reply is appended at once. Local
    // refusals (too big for SIZE, no usable recipient) also end at once.
    void sendMessage(const ClientMessage &message, ClientOutput &out);

    // After SendContent, once all content went through dotStuff(): appends the
    // terminator (CRLF if needed, then ".\r\n") and waits for the final reply.
    void contentDone(const DotStuffState &state, ClientOutput &out);

    // Sends QUIT when idle (Closed follows the reply). In any other phase it
    // ends the current message with a temporary local reply and closes now.
    void quit(ClientOutput &out);

    // The transport failed (disconnect, timeout, read error): ends the current
    // message with a temporary local reply `reason`, then Failed and Closed.
    void abort(QByteArrayView reason, ClientOutput &out);

    // The TLS handshake after StartTls succeeded: the session forgets what it
    // knew (RFC 3207 4.2) and sends EHLO again.
    void tlsEstablished(ClientOutput &out);

    bool readyForMessage() const;
    bool closed() const;
    // True while a server reply is due (the caller runs its reply timer).
    bool awaitingReply() const;
    ClientPhase phase() const;
    // "RCPT", "end of data", ...: for log and error texts.
    static const char *phaseName(ClientPhase phase);
    const ServerCapabilities &capabilities() const { return m_caps; }
    bool tlsActive() const { return m_tlsActive; }
    bool authenticated() const { return m_authenticated; }
    QByteArray authMechanism() const { return m_authMechanism; }
    // The server answered AUTH with a refusal (not 235): wrong credentials or
    // a rejected token, as opposed to AUTH not being possible at all.
    bool authRefused() const { return m_authRefused; }
    // OAuth: what the server's error challenge said ("status=401 ..."); empty if none came.
    const QString &oauthChallenge() const { return m_oauthChallenge; }
    // For "test connection": the greeting, and the replies to STARTTLS and AUTH
    // (code 0 when the command was not sent).
    const ServerReply &greeting() const { return m_greeting; }
    const ServerReply &startTlsReply() const { return m_startTlsReply; }
    const ServerReply &authReply() const { return m_authReply; }

    // Appends `chunk` to `out` dot-stuffed (RFC 5321 4.5.2): a "." starting a
    // line gets a second "."; bare LF becomes CRLF. Works across chunk
    // boundaries through `state`. Pure.
    static void dotStuff(QByteArrayView chunk, DotStuffState &state, QByteArray &out);
    // Appends the end of data: CRLF unless content ended with one, then ".\r\n".
    static void appendEndOfData(const DotStuffState &state, QByteArray &out);

private:
    enum class State { Greeting, Ehlo, Helo, StartTls, TlsHandshake, Auth, Idle, Transaction, Content, Quit, Closed };
    enum class AuthStep { None, Plain, LoginStart, LoginUser, LoginPassword, OAuth, OAuthErrorAck };
    enum class Cmd : quint8 { Mail, Rcpt, Data, Dot, Rset };
    struct Expect {
        Cmd cmd;
        int rcpt; // recipient index for Rcpt
    };

    void processInput(ClientOutput &out);
    // clientsetup.cpp: what follows a successful EHLO/HELO (STARTTLS, AUTH, Ready).
    void afterHello(ClientOutput &out);
    void handleStartTlsReply(const ServerReply &reply, ClientOutput &out);
    void startAuth(ClientOutput &out);
    bool startOAuth(ClientOutput &out);
    bool wantsAuth() const { return !m_opt.authUser.isEmpty() || !m_opt.oauthToken.isEmpty(); }
    void handleAuthReply(const ServerReply &reply, ClientOutput &out);
    void becomeReady(ClientOutput &out);
    void handleReply(const ServerReply &reply, ClientOutput &out);
    void handleTransactionReply(const ServerReply &reply, ClientOutput &out);
    void sendNextRcptOrData(ClientOutput &out);
    void decide(const ServerReply &reply);
    void decideAllRejected();
    void finishMessage(ClientOutput &out);
    void failAndQuit(const ServerReply &reply, ClientOutput &out);
    void connectionFailed(const ServerReply &reply, bool reportFailed, ClientOutput &out);
    void expect(Cmd cmd, int rcpt = -1);

    ClientOptions m_opt;
    QByteArray m_heloName;
    State m_state = State::Greeting;
    ServerCapabilities m_caps;
    bool m_tlsActive = false;
    bool m_authenticated = false;
    QByteArray m_authMechanism;
    AuthStep m_authStep = AuthStep::None;
    ServerReply m_greeting;
    ServerReply m_startTlsReply;
    ServerReply m_authReply;
    bool m_authRefused = false;
    QString m_oauthChallenge;
    bool m_failedReported = false;

    // Input: [0, m_replyStart) handled; [m_replyStart, m_scan) lines of the
    // reply being received; [m_scan, end) not yet scanned.
    QByteArray m_in;
    qsizetype m_replyStart = 0;
    qsizetype m_scan = 0;
    int m_replyLines = 0;
    int m_replyCode = 0;

    // Current transaction.
    ClientMessage m_msg;
    MessageResult m_result;
    std::vector<Expect> m_expect; // replies due, oldest first
    qsizetype m_expectHead = 0;
    int m_nextRcpt = 0;           // non-pipelined: next recipient to send
    int m_accepted = 0;           // recipients accepted at RCPT
    bool m_mailAccepted = false;
    bool m_decided = false;       // m_result.reply is final
};

} // namespace rd::smtp

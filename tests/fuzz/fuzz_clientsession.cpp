// libFuzzer target: the outbound side. Drives rd::smtp::ClientSession
// (core/smtp/clientsession.h) with arbitrary server replies, and checks that
// ClientSession::dotStuff() + appendEndOfData() can never end a message early
// when read back by our own ServerSession (the outbound half of SMTP smuggling).
// Any violated invariant calls __builtin_trap().
//
// Input layout:
//   byte 0   flags: bits 0-2 server chunk size (kChunk), bit 3 send an address with
//            CR/LF (must become a local 553, never reach the wire), bit 4 quit()
//            after the first message, bit 5 abort() when the server stream ends
//   byte 1   split: the next (byte1 * rest / 255) bytes are message content,
//            the remainder is the server's byte stream
//   content  dot-stuffed in chunks whose sizes cycle through the content's own bytes
//
// Invariants:
//   client:  every write ends with CRLF; outside message content every line is one
//            of EHLO/HELO/MAIL/RCPT/DATA/RSET/QUIT without CR, LF or NUL inside;
//            no output or event after Closed; Closed is last and comes once;
//            Failed at most once; one MessageDone per sendMessage() with one
//            recipient result per recipient and codes 0..999 (odd codes are
//            retried); a recipient counts as delivered only with a 2xx RCPT and a
//            2xx message reply; a message succeeds only if its content was sent
//            (SendContent, contentDone()); a CR/LF address gets a local 553 and is
//            never sent.
//   content: dot-stuffing in chunks equals dot-stuffing at once; fed to a
//            ServerSession the stuffed content causes no reply and no EndMessage
//            before the terminator; after it, either EndMessage with exactly the
//            content (bare LF -> CRLF, final line break added) or a 550/552
//            refusal (bare CR, over-long line) with nothing stored.

#include "smtp/clientsession.h"
#include "smtp/serversession.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>

using namespace rd::smtp;

namespace {

[[noreturn]] void violation(const char *what)
{
    std::fprintf(stderr, "fuzz_clientsession: invariant violated: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

#define CHECK(cond, what)       \
    do {                        \
        if (!(cond))            \
            violation(what);    \
    } while (0)

constexpr qsizetype kChunk[8] = {1, 2, 3, 5, 16, 64, 512, 1 << 30};
const QByteArray kEvil = "evil\r\nRSET\r\nMAIL FROM:<x@y>@inject.example";

const QByteArray kFuzzUser = "fuzzuser";
const QByteArray kFuzzPassword = "fuzzpass";

// tlsActive: the session has TLS, so AUTH and credentials may be on the wire.
void checkCommands(QByteArrayView bytes, bool tlsActive)
{
    if (bytes.isEmpty())
        return;
    CHECK(bytes.endsWith("\r\n"), "client write does not end with CRLF");
    qsizetype pos = 0;
    while (pos < bytes.size()) {
        const qsizetype end = bytes.indexOf("\r\n", pos);
        CHECK(end >= 0, "client command without CRLF");
        const QByteArrayView line = bytes.sliced(pos, end - pos);
        for (char c : line)
            CHECK(c != '\r' && c != '\n' && c != '\0', "CR, LF or NUL inside a client command");
        // A lone "." ends a DATA the server accepted after every RCPT failed (RFC 2920 3.1).
        const bool credentials = line.startsWith("AUTH ") || line == kFuzzUser.toBase64()
            || line == kFuzzPassword.toBase64() || line == "*";
        const bool known = line.startsWith("EHLO ") || line.startsWith("HELO ") || line.startsWith("MAIL FROM:<")
            || line.startsWith("RCPT TO:<") || line == "DATA" || line == "RSET" || line == "QUIT" || line == "."
            || line == "STARTTLS" || credentials;
        CHECK(known, "client sent an unknown command");
        CHECK(!credentials || tlsActive, "AUTH or credentials sent without TLS");
        CHECK(!line.contains("inject.example"), "a CR/LF address reached the wire");
        pos = end + 2;
    }
}

// What the receiving side must store for `content`.
QByteArray normalized(QByteArrayView content)
{
    QByteArray out;
    for (qsizetype i = 0; i < content.size(); ++i) {
        if (content[i] == '\n' && (i == 0 || content[i - 1] != '\r'))
            out.append('\r');
        out.append(content[i]);
    }
    if (!out.isEmpty() && !out.endsWith('\n'))
        out.append(out.endsWith('\r') ? "\n" : "\r\n");
    return out;
}

void checkDotStuffing(QByteArrayView content)
{
    // In chunks (sizes from the content itself) and at once: the same bytes.
    QByteArray stuffed;
    DotStuffState state;
    qsizetype pos = 0;
    qsizetype k = 0;
    while (pos < content.size()) {
        const qsizetype n = std::min<qsizetype>(content.size() - pos, 1 + (uint8_t(content[k % content.size()]) & 31));
        ClientSession::dotStuff(content.sliced(pos, n), state, stuffed);
        pos += n;
        ++k;
    }
    QByteArray once;
    DotStuffState onceState;
    ClientSession::dotStuff(content, onceState, once);
    CHECK(once == stuffed, "dot-stuffing depends on chunking");
    CHECK(onceState.atLineStart == state.atLineStart && onceState.afterCR == state.afterCR,
          "dot-stuffing state depends on chunking");
    QByteArray terminator;
    ClientSession::appendEndOfData(state, terminator);

    // Read back by our own server.
    SessionConfig config;
    config.relayAllowed = true;
    config.limits.maxMessageSize = 1 << 24;
    ServerSession server(config);
    Output out;
    server.start(out);
    out.clear();
    server.feed("EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\nDATA\r\n", out);
    CHECK(out.replies.endsWith("354 End data with <CR><LF>.<CR><LF>\r\n"), "server did not reach DATA");
    out.clear();
    server.feed(stuffed, out);
    CHECK(out.replies.isEmpty(), "server replied before the terminator (message ended early)");
    QByteArray stored;
    bool aborted = false;
    for (const Action &a : out.actions) {
        CHECK(a.kind != ActionKind::EndMessage, "message ended before the terminator");
        if (a.kind == ActionKind::MessageData)
            stored += a.data;
        if (a.kind == ActionKind::AbortMessage)
            aborted = true;
    }
    out.clear();
    server.feed(terminator, out);
    bool ended = false;
    for (const Action &a : out.actions) {
        if (a.kind == ActionKind::MessageData)
            stored += a.data;
        if (a.kind == ActionKind::AbortMessage)
            aborted = true;
        if (a.kind == ActionKind::EndMessage)
            ended = true;
    }
    if (ended) {
        CHECK(!aborted, "EndMessage after AbortMessage");
        CHECK(out.replies.isEmpty(), "reply together with EndMessage");
        CHECK(stored == normalized(content), "stored content differs from what was sent");
    } else {
        CHECK(out.replies.startsWith("550 5.6.0") || out.replies.startsWith("552 5.3.4"),
              "terminator neither ended the message nor got 550/552");
        CHECK(out.replies.count("\r\n") == 1, "more than one reply after the terminator");
    }
}

struct ClientDriver {
    explicit ClientDriver(const ClientOptions &o) : session(o) {}
    ClientSession session;
    bool closed = false;
    bool failed = false;
    int messagesSent = 0;
    int messagesDone = 0;
    bool inContent = false;
    bool contentSent = false; // contentDone() was called for the current message
    ClientMessage current;

    void checkEvents(const ClientOutput &out)
    {
        for (size_t i = 0; i < out.events.size(); ++i) {
            const ClientEvent &e = out.events[i];
            CHECK(!closed, "client event after Closed");
            switch (e.kind) {
            case ClientEventKind::Closed:
                CHECK(i + 1 == out.events.size(), "Closed is not the last event");
                CHECK(session.closed(), "Closed event but closed() is false");
                closed = true;
                break;
            case ClientEventKind::Failed:
                CHECK(!failed, "Failed twice");
                failed = true;
                // Any 3-digit code may come from the server (e.g. a "219" greeting);
                // OutboundConnection only asks permanent(), so odd codes are retried.
                CHECK(e.reply.code >= 0 && e.reply.code <= 999, "Failed code not 0..999");
                break;
            case ClientEventKind::MessageDone:
                ++messagesDone;
                CHECK(messagesDone <= messagesSent, "MessageDone without sendMessage");
                CHECK(e.result.rcpts.size() == current.rcpts.size(), "one result per recipient");
                for (qsizetype r = 0; r < e.result.rcpts.size(); ++r) {
                    const int code = e.result.rcpts[r].reply.code;
                    CHECK(code >= 0 && code <= 999, "recipient code not 0..999");
                    if (current.rcpts[r] == kEvil)
                        CHECK(code == 553 && e.result.rcpts[r].reply.local, "CR/LF recipient not refused locally");
                    // A recipient counts as delivered only if both its RCPT and the message got 2xx.
                    if (e.result.outcome(r).success())
                        CHECK(e.result.success() && (e.result.rcpts[r].reply.success()), "recipient delivered without 2xx");
                }
                CHECK(e.result.reply.code >= 0 && e.result.reply.code <= 999, "message reply code not 0..999");
                // A message only succeeds if the server said 2xx; anything odd is retried.
                CHECK(e.result.success() == (e.result.reply.code >= 200 && e.result.reply.code < 300),
                      "success() disagrees with the reply code");
                if (!e.result.connectionError.isEmpty())
                    CHECK(!e.result.success(), "a message succeeded although the connection broke");
                // Success means the server took the content: never without sending it.
                if (e.result.success())
                    CHECK(contentSent, "a message succeeded although its content was never sent");
                inContent = false;
                break;
            case ClientEventKind::SendContent:
                CHECK(messagesSent == messagesDone + 1, "SendContent outside a transaction");
                inContent = true;
                break;
            case ClientEventKind::Ready:
                break;
            case ClientEventKind::StartTls:
                CHECK(!session.tlsActive(), "StartTls on an encrypted session");
                break;
            }
        }
    }

    void checkOutput(const ClientOutput &out, qsizetype contentPrefix = 0)
    {
        if (closed && out.events.empty()) {
            CHECK(out.toSend.isEmpty(), "client output after Closed");
            return;
        }
        checkCommands(QByteArrayView(out.toSend).sliced(contentPrefix), session.tlsActive());
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 16384)
        return 0;
    const uint8_t flags = data[0];
    const size_t rest = size - 2;
    const size_t contentLength = rest * data[1] / 255;
    const QByteArrayView content(reinterpret_cast<const char *>(data + 2), qsizetype(contentLength));
    QByteArrayView server(reinterpret_cast<const char *>(data + 2 + contentLength), qsizetype(rest - contentLength));

    checkDotStuffing(content);

    // 0x40: opportunistic STARTTLS; 0x80: AUTH with STARTTLS required; both: opportunistic + AUTH.
    ClientOptions options;
    options.heloName = "relay.fuzz.test";
    options.tls = (flags & 0x40) ? TlsPolicy::Opportunistic : (flags & 0x80) ? TlsPolicy::Required : TlsPolicy::None;
    if (flags & 0x80) {
        options.authUser = kFuzzUser;
        options.authPassword = kFuzzPassword;
    }
    ClientDriver d(options);
    const qsizetype chunk = kChunk[flags & 7];
    const bool quitAfterFirst = flags & 0x10;

    // Checks one output and reacts to its events like OutboundConnection does;
    // reactions that raise events themselves are handled recursively (bounded:
    // at most 3 messages, and each reaction needs a Ready/MessageDone/SendContent).
    std::function<void(const ClientOutput &, qsizetype, int)> handle;
    handle = [&](const ClientOutput &out, qsizetype contentPrefix, int depth) {
        CHECK(depth < 16, "unbounded reaction chain");
        const bool wasClosed = d.closed;
        d.checkEvents(out);
        if (wasClosed)
            CHECK(out.toSend.isEmpty() && out.events.empty(), "client output after Closed");
        else
            d.checkOutput(out, contentPrefix);
        for (const ClientEvent &e : out.events) {
            if (d.closed)
                return;
            ClientOutput next;
            qsizetype prefix = 0;
            if ((e.kind == ClientEventKind::Ready || e.kind == ClientEventKind::MessageDone)
                && d.session.readyForMessage()) {
                if (d.messagesSent >= 3 || (quitAfterFirst && d.messagesSent >= 1)) {
                    d.session.quit(next);
                } else {
                    ClientMessage m;
                    m.mailFrom = d.messagesSent == 1 ? QByteArray() : QByteArray("sender@relay.fuzz.test");
                    m.rcpts = {"a@one.example", "b@two.example"};
                    if (flags & 0x08)
                        m.rcpts.insert(1, kEvil);
                    m.size = content.size();
                    m.eightBit = d.messagesSent == 2;
                    d.current = m;
                    d.contentSent = false;
                    ++d.messagesSent;
                    d.session.sendMessage(m, next);
                }
            } else if (e.kind == ClientEventKind::StartTls) {
                d.session.tlsEstablished(next); // as if the handshake succeeded
                CHECK(d.session.tlsActive(), "tlsEstablished() did not activate TLS");
                CHECK(next.toSend == "EHLO relay.fuzz.test\r\n", "no fresh EHLO after STARTTLS");
            } else if (e.kind == ClientEventKind::SendContent && d.session.phase() == ClientPhase::Content) {
                DotStuffState st;
                QByteArray stuffed;
                ClientSession::dotStuff(content, st, stuffed);
                d.session.contentDone(st, next);
                d.contentSent = true;
                QByteArray terminator;
                ClientSession::appendEndOfData(st, terminator);
                CHECK(next.toSend.startsWith(terminator), "contentDone() does not start with the terminator");
                prefix = terminator.size();
            } else {
                continue;
            }
            handle(next, prefix, depth + 1);
        }
    };

    for (int rounds = 0; !d.closed && rounds < 20000; ++rounds) {
        ClientOutput out;
        if (!server.isEmpty()) {
            const qsizetype n = std::min(chunk, server.size());
            d.session.feed(server.first(n), out);
            server = server.sliced(n);
        } else if (flags & 0x20) {
            d.session.abort("fuzz: connection lost", out);
        } else {
            d.session.quit(out);
            if (out.events.empty() && out.toSend.isEmpty())
                d.session.abort("fuzz: end of input", out);
        }
        handle(out, 0, 0);
    }
    if (!d.closed) {
        ClientOutput out;
        d.session.abort("fuzz: done", out);
        d.checkEvents(out);
    }
    CHECK(d.closed, "client not closed after abort()");
    CHECK(d.messagesDone == d.messagesSent, "a sendMessage() without MessageDone");
    return 0;
}

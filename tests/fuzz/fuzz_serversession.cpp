// libFuzzer target: drives rd::smtp::ServerSession (core/smtp/serversession.h)
// with arbitrary client bytes, split into input-chosen chunks, and checks the
// session's invariants. Any violation calls __builtin_trap().
//
// Input layout:
//   byte 0        configuration flags (relay allowed, small limits, ...)
//   byte 1        n = (byte & 15) + 1 control bytes follow
//   bytes 2..n+1  control bytes, used cyclically, one per chunk:
//                   bits 0-3  chunk size (kChunkSizes)
//                   bit  4    commit/auth result: failure
//                   bit  5    commit failure temporary (451) vs permanent (554);
//                             auth: Temporary (with bit 4), may relay (without)
//                   bits 6-7  0: nothing; 1: nothing, but a failed auth is
//                             Disconnect; 2: answer a pending commit only after
//                             the next chunk (input is held meanwhile); 3: timeout()
//                             (bit 5 set) or shutdown() after the chunk
//   the rest      the client's byte stream
// Seeds in corpus/session/ are SMTP transcripts behind such a header, e.g.
// "\x01\x00\x0f" (relay allowed, one control byte: feed everything at once).
//
// Invariants checked:
//   1. every non-empty reply block ends with CRLF; every reply line is
//      "DDD" + (' ' | '-') + text with D a digit and the first in 2..5,
//      no bare CR or LF inside a line;
//   2. after a Close action, no call produces any reply or action, and Close
//      is the last action of its output;
//   3. MessageData only between BeginMessage and EndMessage/AbortMessage;
//      no nested BeginMessage; EndMessage/AbortMessage only for an open message;
//   4. the MessageData bytes of one message never exceed maxMessageSize; the
//      content is CRLF lines without bare CR/LF (DATA and BDAT alike: our SMTP
//      smuggling policy, and what keeps the outbound DATA safe), each at most
//      maxTextLine octets for DATA (no data after a 550/552 reaches the store);
//   5. a message (open after a call, or at EndMessage) has 1..maxRecipients recipients,
//      addresses without CR, LF, NUL and without '<'/'>' outside a quoted local part
//      (anywhere with -DFUZZ_STRICT_ADDRESSES=ON); a client that may not
//      relay only has recipients in acceptedDomains (or <postmaster>), with no
//      '%', '!' or quoted '@' routing in the local part;
//   6. every Rejection has a 4xx/5xx code matching a reply line;
//   7. commitFinished() when not waiting for a commit produces nothing;
//   8. the data phase ends (EndMessage, or the 550/552 reply to a refused message)
//      at most as often as the bytes fed so far contain "\r\n.\r\n" (or a bare-LF
//      DATA line followed by ".\r\n"): no bare CR/LF variant ever ends a message;
//   9. (STARTTLS builds) nothing pipelined after STARTTLS is answered after the
//      handshake (CVE-2011-0411 class).

#include "smtp/parser.h"
#include "smtp/serversession.h"

#include <QByteArray>
#include <QString>

#include <algorithm>
#include <cstddef>
#include <vector>
#include <cstdint>
#include <cstdio>

using namespace rd::smtp;

namespace {

[[noreturn]] void violation(const char *what)
{
    std::fprintf(stderr, "fuzz_serversession: invariant violated: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

#define CHECK(cond, what)       \
    do {                        \
        if (!(cond))            \
            violation(what);    \
    } while (0)

constexpr int kChunkSizes[16] = {1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, 100, 255, 512, 1500, 1 << 30};

bool isDigit(char c) { return c >= '0' && c <= '9'; }

#ifdef RD_FUZZ_STRICT_ADDRESSES
constexpr bool strictAddresses = true;
#else
constexpr bool strictAddresses = false;
#endif

// The address with a leading quoted local part removed.
QByteArrayView unquoted(QByteArrayView address)
{
    if (address.isEmpty() || address.front() != '"')
        return address;
    for (qsizetype i = 1; i < address.size(); ++i) {
        if (address[i] == '\\')
            ++i;
        else if (address[i] == '"')
            return address.sliced(i + 1);
    }
    violation("unterminated quoted local part in an accepted address");
}

struct Tracker {
    SessionConfig config;
    bool closed = false;
    bool messageOpen = false;
    qint64 messageBytes = 0;
    bool prevEndedCrlf = true; // content so far ends at a line boundary
    qsizetype lineLength = 0;  // octets of the current (unfinished) content line
    bool prevCr = false;       // the last content byte was CR
    bool authMayRelay = false;
    bool waitingTls = false;
    int dataEnds = 0;          // EndMessage actions + data-phase refusals (550/552)
    bool messageIsBdat = false; // the open message came with BDAT (RFC 3030), not DATA

    void checkReplies(const QByteArray &replies)
    {
        if (replies.isEmpty())
            return;
        CHECK(replies.endsWith("\r\n"), "reply block does not end with CRLF");
        qsizetype pos = 0;
        while (pos < replies.size()) {
            const qsizetype end = replies.indexOf("\r\n", pos);
            CHECK(end >= 0, "reply line without CRLF");
            const QByteArrayView line(replies.constData() + pos, end - pos);
            CHECK(line.size() >= 3, "reply line shorter than 3 octets");
            CHECK(isDigit(line[0]) && isDigit(line[1]) && isDigit(line[2]),
                  "reply line does not start with 3 digits");
            CHECK(line[0] >= '2' && line[0] <= '5', "reply code not 2xx..5xx");
            CHECK(line.size() == 3 || line[3] == ' ' || line[3] == '-',
                  "reply code not followed by SP or '-'");
            for (char c : line)
                CHECK(c != '\r' && c != '\n' && c != '\0', "bare CR/LF/NUL inside a reply line");
            CHECK(line.size() + 2 <= 512, "reply line over 512 octets incl. CRLF");
            pos = end + 2;
        }
    }

    void checkContent(const QByteArray &data)
    {
        for (char c : data) {
            if (c == '\n') {
                CHECK(prevCr, "bare LF in stored content");
                if (!messageIsBdat) // BDAT chunks are counted octets, not text lines
                    CHECK(lineLength + 1 <= config.limits.maxTextLine,
                          "stored content line longer than maxTextLine");
                lineLength = 0;
                prevCr = false;
                prevEndedCrlf = true;
                continue;
            }
            CHECK(!prevCr, "bare CR in stored content");
            prevCr = c == '\r';
            ++lineLength;
            prevEndedCrlf = false;
        }
    }

    bool routedLocalPart(QByteArrayView local) const
    {
        return local.contains('%') || local.contains('!')
            || (local.startsWith('"') && local.contains('@'));
    }

    void checkEnvelope(const ServerSession &session)
    {
        const Envelope &env = session.envelope();
        CHECK(!env.rcptTo.isEmpty(), "BeginMessage without recipients");
        CHECK(env.rcptTo.size() <= config.limits.maxRecipients, "more recipients than maxRecipients");
        CHECK(env.rcptTo.size() == env.rcptParams.size(), "rcptParams not parallel to rcptTo");
        for (const QByteArray &rcpt : env.rcptTo) {
            for (char c : rcpt)
                CHECK(c != '\r' && c != '\n' && c != '\0', "recipient with CR, LF or NUL");
            // RFC 5321 allows '<' and '>' inside a quoted local part ("a>b"@x); the
            // strict build (-DFUZZ_STRICT_ADDRESSES=ON) forbids them everywhere.
            for (char c : strictAddresses ? QByteArrayView(rcpt) : unquoted(rcpt))
                CHECK(c != '<' && c != '>', "recipient with '<' or '>'");
            if (config.relayAllowed || authMayRelay)
                continue;
            const QByteArray domain = domainOf(rcpt);
            if (domain.isEmpty()) {
                CHECK(rcpt.compare("postmaster", Qt::CaseInsensitive) == 0,
                      "domain-less recipient other than postmaster from a non-relay client");
                continue;
            }
            bool accepted = false;
            for (const QString &d : config.acceptedDomains)
                accepted = accepted || d.toLower().toUtf8() == domain;
            CHECK(accepted, "non-relay client got a recipient outside acceptedDomains (open relay)");
            CHECK(!routedLocalPart(localPartOf(rcpt)), "non-relay client got a routed local part");
        }
        for (char c : env.mailFrom)
            CHECK(c != '\r' && c != '\n' && c != '\0', "sender with CR, LF or NUL");
        for (char c : strictAddresses ? QByteArrayView(env.mailFrom) : unquoted(env.mailFrom))
            CHECK(c != '<' && c != '>', "sender with '<' or '>'");
    }

    // Checks one call's output; `session` is the session after the call.
    void check(const Output &out, const ServerSession &session)
    {
        if (closed) {
            CHECK(out.replies.isEmpty() && out.actions.empty() && out.rejections.empty(),
                  "output after Close");
            return;
        }
        checkReplies(out.replies);
        for (const Rejection &r : out.rejections) {
            CHECK(r.code >= 400 && r.code <= 599, "rejection code not 4xx/5xx");
            CHECK(r.reply.startsWith(QByteArray::number(r.code)), "rejection text does not start with its code");
            CHECK(out.replies.contains(r.reply), "rejection not among the replies");
            for (char c : r.command) {
                const auto u = static_cast<unsigned char>(c);
                CHECK(u >= 0x20 && u < 0x7f, "rejection command not printable ASCII");
            }
            CHECK(r.command.size() <= 220, "rejection command longer than 200 octets (+ redaction)");
            // The reply to a refused message's final dot. (Its command should be
            // empty per serversession.h; today it still names the DATA command.)
            const bool dataPhase = r.command.isEmpty() || r.command.left(4).toUpper() == "DATA";
            if (dataPhase && (r.code == 550 || r.code == 552))
                ++dataEnds;
        }
        // A DATA message begins with a 354 reply, a BDAT message without one. When
        // an output holds more BeginMessage actions than 354 replies, treat all of
        // its messages as BDAT ones (only the line-length checks are relaxed).
        int begins = 0;
        for (const Action &a : out.actions)
            begins += a.kind == ActionKind::BeginMessage;
        int intermediates = out.replies.startsWith("354 ") ? 1 : 0;
        for (qsizetype p = out.replies.indexOf("\r\n354 "); p >= 0; p = out.replies.indexOf("\r\n354 ", p + 1))
            ++intermediates;
        const bool bdatOutput = begins > intermediates;
        for (size_t i = 0; i < out.actions.size(); ++i) {
            const Action &a = out.actions[i];
            CHECK(!closed, "action after Close in the same output");
            switch (a.kind) {
            case ActionKind::BeginMessage:
                CHECK(!messageOpen, "nested BeginMessage");
                messageOpen = true;
                messageIsBdat = bdatOutput;
                messageBytes = 0;
                lineLength = 0;
                prevCr = false;
                prevEndedCrlf = true;
                // The envelope is checked when the message ends (or is still open
                // after this call): later input of the same feed may reset it.
                break;
            case ActionKind::MessageData:
                CHECK(messageOpen, "MessageData outside BeginMessage..EndMessage/AbortMessage");
                CHECK(!a.data.isEmpty(), "empty MessageData");
                messageBytes += a.data.size();
                CHECK(messageBytes <= session.config().limits.maxMessageSize,
                      "stored content exceeds maxMessageSize");
                checkContent(a.data);
                break;
            case ActionKind::EndMessage:
                CHECK(messageOpen, "EndMessage without an open message");
                if (!messageIsBdat)
                    CHECK(prevEndedCrlf, "stored content does not end with CRLF");
                CHECK(i + 1 == out.actions.size(), "EndMessage is not the last action");
                ++dataEnds;
                checkEnvelope(session);
                messageOpen = false;
                CHECK(session.waitingForCommit() || session.closed(),
                      "EndMessage but the session does not wait for the commit");
                break;
            case ActionKind::AbortMessage:
                CHECK(messageOpen, "AbortMessage without an open message");
                messageOpen = false;
                break;
            case ActionKind::Close:
                CHECK(i + 1 == out.actions.size(), "Close is not the last action");
                CHECK(!messageOpen, "Close while a message is open (no AbortMessage)");
                CHECK(session.closed(), "Close action but session not closed()");
                closed = true;
                break;
#ifdef RD_FUZZ_TLS_AUTH
            case ActionKind::StartTls:
                CHECK(!messageOpen, "StartTls during a message");
                CHECK(session.waitingForTls(), "StartTls action but the session does not wait");
                waitingTls = true;
                break;
            case ActionKind::Authenticate:
                CHECK(!messageOpen, "Authenticate during a message");
                CHECK(session.waitingForAuth(), "Authenticate action but the session does not wait");
                break;
#endif
            default:
                break;
            }
        }
        if (messageOpen)
            checkEnvelope(session);
        if (!closed)
            CHECK(!session.closed(), "session closed() without a Close action");
    }
};

// End offsets of every place in the client's stream where a message may end:
// "\r\n.\r\n", a DATA command line ended by a bare LF (tolerated for
// commands) directly followed by ".\r\n", or a "LAST" (BDAT <n> LAST). Smuggling invariant: the data phase
// ends at most that many times within the bytes fed so far.
std::vector<qsizetype> terminatorEnds(QByteArrayView s)
{
    std::vector<qsizetype> ends;
    for (qsizetype i = 0; i + 5 <= s.size(); ++i) {
        if (s.sliced(i, 5) == "\r\n.\r\n")
            ends.push_back(i + 5);
    }
    qsizetype lineStart = 0;
    while (lineStart < s.size()) {
        const qsizetype lf = s.indexOf('\n', lineStart);
        if (lf < 0)
            break;
        QByteArrayView line = s.sliced(lineStart, lf - lineStart);
        while (!line.isEmpty() && (line.back() == ' ' || line.back() == '\t'))
            line.chop(1);
        if (line.size() == 4 && QByteArray(line.data(), 4).toUpper() == "DATA" && s.sliced(lf + 1).startsWith(".\r\n"))
            ends.push_back(lf + 4);
        lineStart = lf + 1;
    }
    // BDAT <n> LAST ends a message without a dot (RFC 3030): every "LAST" in the
    // stream (any case) may be one.
    for (qsizetype i = 0; i + 4 <= s.size(); ++i) {
        if (QByteArray(s.data() + i, 4).toUpper() == "LAST")
            ends.push_back(i + 4);
    }
    std::sort(ends.begin(), ends.end());
    return ends;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const uint8_t flags = data[0];
    const size_t nControl = (data[1] & 15u) + 1;
    if (size < 2 + nControl)
        return 0;
    const uint8_t *control = data + 2;
    QByteArrayView stream(reinterpret_cast<const char *>(data + 2 + nControl),
                          qsizetype(size - 2 - nControl));

    const std::vector<qsizetype> ends = terminatorEnds(stream);
    const qsizetype streamSize = stream.size();
    auto checkDataEnds = [&](const auto &tracker) {
        const qsizetype fed = streamSize - stream.size();
        const auto allowed = std::upper_bound(ends.begin(), ends.end(), fed) - ends.begin();
        CHECK(tracker.dataEnds <= allowed, "message ended without CRLF.CRLF (SMTP smuggling)");
    };

    Tracker t;
    SessionConfig &c = t.config;
    c.hostname = QStringLiteral("mx.fuzz.test");
    c.sessionId = QStringLiteral("fuzz");
    c.clientIp = QStringLiteral("192.0.2.1");
    c.relayAllowed = flags & 0x01;
    if (!(flags & 0x02))
        c.acceptedDomains = {QStringLiteral("accepted.example"), QStringLiteral("Mixed.Example")};
    c.limits.maxMessageSize = (flags & 0x04) ? 200 : 100000;
    c.limits.maxRecipients = (flags & 0x08) ? 3 : 100;
    c.limits.maxErrors = (flags & 0x10) ? 3 : 10;
    c.limits.maxMessagesPerSession = (flags & 0x20) ? 2 : 1000;
#ifdef RD_FUZZ_TLS_AUTH
    c.tlsAvailable = flags & 0x40;
    c.authAvailable = flags & 0x80;
    c.plaintextAuthAllowed = (flags & 0xc0) == 0x80;
    c.requireTls = (flags & 0x42) == 0x42;
    c.authRequired = (flags & 0x81) == 0x81;
#endif

    ServerSession session(t.config);
    {
        Output out;
        session.start(out);
        t.check(out, session);
        CHECK(out.replies.startsWith("220 "), "greeting is not 220");
    }

    CommitResult okCommit;
    okCommit.ok = true;
    okCommit.queueId = QStringLiteral("Q1\r\nFAKE 250 injected");

    size_t index = 0;
    bool commitDeferred = false;
    uint8_t deferredControl = 0;
    auto answer = [&](uint8_t ctl) {
        // Answers whatever the session waits for, as the connection would.
        for (int rounds = 0; rounds < 4; ++rounds) {
            Output out;
            if (session.waitingForCommit()) {
                if (ctl & 0x10) {
                    CommitResult fail;
                    fail.ok = false;
                    fail.temporary = ctl & 0x20;
                    fail.error = QStringLiteral("fuzz");
                    session.commitFinished(fail, out);
                } else {
                    session.commitFinished(okCommit, out);
                }
#ifdef RD_FUZZ_TLS_AUTH
            } else if (session.waitingForTls()) {
                session.tlsStarted(QStringLiteral("TLSv1.3"), QStringLiteral("TLS_AES_128_GCM_SHA256"), out);
                t.waitingTls = false;
                t.authMayRelay = false;
                CHECK(out.replies.isEmpty(), "reply after the TLS handshake to input pipelined after STARTTLS");
            } else if (session.waitingForAuth()) {
                AuthOutcome outcome;
                outcome.kind = (ctl & 0x10) ? ((ctl & 0x20) ? AuthOutcome::Temporary : AuthOutcome::Failure)
                                            : AuthOutcome::Success;
                outcome.mayRelay = ctl & 0x20;
                if ((ctl >> 6) == 1 && (ctl & 0x10))
                    outcome.kind = AuthOutcome::Disconnect; // 421 and Close
                if (outcome.kind == AuthOutcome::Success && outcome.mayRelay)
                    t.authMayRelay = true;
                session.authFinished(outcome, out);
#endif
            } else {
                return;
            }
            t.check(out, session);
            checkDataEnds(t);
        }
    };

    while (!stream.isEmpty() && !t.closed) {
        const uint8_t ctl = control[index % nControl];
        ++index;
        const qsizetype n = std::min<qsizetype>(kChunkSizes[ctl & 15], stream.size());
        {
            Output out;
            session.feed(stream.first(n), out);
            t.check(out, session);
        }
        stream = stream.sliced(n);
        checkDataEnds(t);

        if (commitDeferred) {
            commitDeferred = false;
            answer(deferredControl);
        }
        const unsigned mode = ctl >> 6;
        if (mode == 2 && session.waitingForCommit()) {
            commitDeferred = true;
            deferredControl = ctl;
        } else {
            answer(ctl);
        }
        if (!session.waitingForCommit()) {
            // A stray commit result must be ignored.
            Output out;
            session.commitFinished(okCommit, out);
            CHECK(out.replies.isEmpty() && out.actions.empty(), "commitFinished() answered while not waiting");
        }
        if (mode == 3) {
            Output out;
            if (ctl & 0x20)
                session.timeout(out);
            else
                session.shutdown(out);
            const bool wasClosed = t.closed;
            t.check(out, session);
            if (!wasClosed)
                CHECK(out.replies.startsWith("421 "), "timeout()/shutdown() without 421");
            CHECK(t.closed, "timeout()/shutdown() did not close");
        }
    }
    // The peer goes away: the connection would call shutdown().
    answer(0);
    Output out;
    session.shutdown(out);
    t.check(out, session);
    CHECK(t.closed && session.closed(), "shutdown() did not close");
    CHECK(!t.messageOpen, "message still open after close");
    return 0;
}

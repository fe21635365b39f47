// Unit tests for the socket-free SMTP server session (core/smtp/serversession.*).
// Each test feeds client bytes and asserts the exact replies and actions.

#include "smtp/serversession.h"

#include <QRandomGenerator>
#include <QTest>

using namespace rd::smtp;

namespace {

const QByteArray kEhlo = "250-mx.test\r\n"
                         "250-PIPELINING\r\n"
                         "250-SIZE 1000000\r\n"
                         "250-8BITMIME\r\n"
                         "250-ENHANCEDSTATUSCODES\r\n"
                         "250-SMTPUTF8\r\n"
                         "250-DSN\r\n"
                         "250 CHUNKING\r\n";
const QByteArray kMailOk = "250 2.1.0 Sender OK\r\n";
const QByteArray kRcptOk = "250 2.1.5 Recipient OK\r\n";
const QByteArray k354 = "354 End data with <CR><LF>.<CR><LF>\r\n";
const QByteArray k503 = "503 5.5.1 Bad sequence of commands\r\n";
const QByteArray kRelay = "554 5.7.1 Relay access denied\r\n";
const QByteArray kBare = "550 5.6.0 Message refused: bare CR or LF in message content\r\n";
const QByteArray kQueued = "250 2.0.0 Ok: queued as Q1\r\n";
const QByteArray kOpen = "EHLO client.test\r\nMAIL FROM:<a@sender.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n";
const QByteArray kOpenReplies = kEhlo + kMailOk + kRcptOk + k354;

// The code of the last reply line in `replies`.
int lastCode(const QByteArray &replies)
{
    const qsizetype start = replies.lastIndexOf("\r\n", replies.size() - 3);
    return replies.mid(start < 0 ? 0 : start + 2, 3).toInt();
}

SessionConfig defaultConfig()
{
    SessionConfig c;
    c.hostname = QStringLiteral("mx.test");
    c.sessionId = QStringLiteral("s1");
    c.clientIp = QStringLiteral("192.0.2.9");
    c.acceptedDomains = {QStringLiteral("example.com"), QStringLiteral("Other.Example")};
    c.limits.maxMessageSize = 1000000;
    return c;
}

// Drives one session and records everything it emits.
class Harness {
public:
    explicit Harness(SessionConfig config = defaultConfig())
        : m_session(std::move(config))
    {
        Output out;
        m_session.start(out);
        greeting = out.replies;
    }

    // Feeds `bytes` in pieces of `chunk` bytes (0: all at once). Returns the replies.
    QByteArray feed(QByteArrayView bytes, qsizetype chunk = 0)
    {
        QByteArray replies;
        if (chunk <= 0)
            chunk = qMax<qsizetype>(1, bytes.size());
        for (qsizetype i = 0; i < bytes.size(); i += chunk) {
            Output out;
            m_session.feed(bytes.sliced(i, qMin(chunk, bytes.size() - i)), out);
            replies += collect(out);
            while (autoCommit && m_session.waitingForCommit())
                replies += commit();
        }
        return replies;
    }

    QByteArray commit(bool ok = true, bool temporary = true)
    {
        CommitResult result;
        result.ok = ok;
        result.temporary = temporary;
        result.queueId = QStringLiteral("Q1");
        Output out;
        m_session.commitFinished(result, out);
        return collect(out);
    }

    QByteArray timeout()
    {
        Output out;
        m_session.timeout(out);
        return collect(out);
    }

    QByteArray shutdown()
    {
        Output out;
        m_session.shutdown(out);
        return collect(out);
    }

    ServerSession &session() { return m_session; }

    QByteArray greeting;
    QByteArray actions;       // one letter per action: B D E A C
    QByteArray data;          // all MessageData content
    QByteArray envelopeAtEnd; // "from>to,to" captured when EndMessage is seen
    int maxDataPerFeed = 0;
    int emptyData = 0; // MessageData actions without content (must stay 0)
    bool autoCommit = false;

private:
    QByteArray collect(const Output &out)
    {
        int dataActions = 0;
        for (const Action &a : out.actions) {
            switch (a.kind) {
            case ActionKind::BeginMessage: actions += 'B'; break;
            case ActionKind::MessageData:
                actions += 'D';
                data += a.data;
                emptyData += a.data.isEmpty() ? 1 : 0;
                ++dataActions;
                break;
            case ActionKind::EndMessage: {
                actions += 'E';
                const Envelope &e = m_session.envelope();
                envelopeAtEnd = e.mailFrom + '>' + e.rcptTo.join(',');
                break;
            }
            case ActionKind::AbortMessage: actions += 'A'; break;
            case ActionKind::Close: actions += 'C'; break;
            }
        }
        maxDataPerFeed = qMax(maxDataPerFeed, dataActions);
        return out.replies;
    }

    ServerSession m_session;
};

} // namespace

class TestServerSession : public QObject {
    Q_OBJECT

private slots:
    void greeting();
    void ehloAndHelo();
    void conversation_data();
    void conversation();
    void relayAllowedClient();
    void tooManyRecipients();
    void fullMessage();
    void emptyMessageAndDotStuffing();
    void byteByByteData();
    void smuggling_data();
    void smuggling();
    void dataLineLength();
    void dataTooBig();
    void commitFailures();
    void pipelinedAfterDot();
    void pipelinedGroup();
    void commandLineTooLong();
    void commandInvalidBytes();
    void tooManyErrors();
    void quitAndClosed();
    void timeoutAndShutdown();
    void tooManyMessages();
    void chunkingInvariance();
};

void TestServerSession::greeting()
{
    Harness h;
    QCOMPARE(h.greeting, QByteArray("220 mx.test ESMTP RelayDesk\r\n"));
    QCOMPARE(h.session().lastReplyCode(), 220);
    QVERIFY(!h.session().closed());
    QVERIFY(!h.session().waitingForCommit());
    QCOMPARE(h.session().config().sessionId, QStringLiteral("s1"));
}

void TestServerSession::ehloAndHelo()
{
    Harness h;
    QCOMPARE(h.feed("EHLO client.test\r\n"), kEhlo);
    QCOMPARE(h.session().envelope().helo, QByteArray("client.test"));
    QVERIFY(h.session().envelope().esmtp);
    QCOMPARE(h.feed("HELO other.test\r\n"), QByteArray("250 mx.test\r\n"));
    QCOMPARE(h.session().envelope().helo, QByteArray("other.test"));
    QVERIFY(!h.session().envelope().esmtp);
    QCOMPARE(h.session().lastReplyCode(), 250);
    QCOMPARE(h.feed("EHLO\r\n"), QByteArray("501 5.5.4 Syntax: EHLO hostname\r\n"));
    QCOMPARE(h.feed("helo\r\n"), QByteArray("501 5.5.4 Syntax: HELO hostname\r\n"));
    QCOMPARE(h.feed("EHLO two words\r\n"), QByteArray("501 5.5.4 Syntax: EHLO hostname\r\n"));
    QCOMPARE(h.feed("EHLO <bad>\r\n"), QByteArray("501 5.5.4 Syntax: EHLO hostname\r\n"));
    QCOMPARE(h.session().lastReplyCode(), 501);
    QCOMPARE(h.feed("ehlo [192.0.2.1]\r\n"), kEhlo);
    QCOMPARE(h.feed("EHLO Printer_3\r\n"), kEhlo); // lenient like Postfix
    QCOMPARE(h.actions, QByteArray());
}

void TestServerSession::conversation_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");

    const QByteArray ehlo = "EHLO c.test\r\n";
    const QByteArray mail = "MAIL FROM:<a@sender.test>\r\n";
    const QByteArray rcpt = "RCPT TO:<b@example.com>\r\n";
    const QByteArray open = ehlo + mail;
    const QByteArray openOk = kEhlo + kMailOk;
    auto row = [](const char *name, QByteArray in, QByteArray out) { QTest::newRow(name) << in << out; };

    // Sequence
    row("mail before helo", mail, k503);
    row("rcpt before mail", ehlo + rcpt, kEhlo + k503);
    row("data before mail", ehlo + "DATA\r\n", kEhlo + k503);
    row("data before helo", "DATA\r\n", k503);
    row("nested mail", open + mail, openOk + k503);
    row("nested mail after rcpt", open + rcpt + mail, openOk + kRcptOk + k503);
    row("ehlo resets", open + ehlo + rcpt, openOk + kEhlo + k503);
    row("rset resets", open + "RSET\r\n" + rcpt, openOk + "250 2.0.0 Ok\r\n" + k503);
    row("rset keeps helo", open + "RSET\r\n" + mail, openOk + "250 2.0.0 Ok\r\n" + kMailOk);
    row("rset before helo", "RSET\r\n" + mail, "250 2.0.0 Ok\r\n" + k503);
    row("no valid rcpt", open + "RCPT TO:<x@foreign.test>\r\nDATA\r\n",
        openOk + kRelay + "554 5.5.1 No valid recipients\r\n");
    row("sequence before syntax", "MAIL garbage\r\n", k503);
    // Simple commands
    row("noop", "NOOP\r\n", "250 2.0.0 Ok\r\n");
    row("noop arg", "NOOP hello\r\n", "250 2.0.0 Ok\r\n");
    row("vrfy", "VRFY bob\r\n", "252 2.5.2 Cannot VRFY user, but will accept message\r\n");
    row("vrfy no arg", "VRFY\r\n", "501 5.5.4 Syntax error in parameters or arguments\r\n");
    row("expn", "EXPN list\r\n", "502 5.5.1 EXPN not available\r\n");
    row("help", "HELP\r\n", "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP\r\n");
    row("starttls", ehlo + "STARTTLS\r\n", kEhlo + "454 4.7.0 TLS not available due to temporary reason\r\n");
    row("auth", "AUTH PLAIN AGFhAGI=\r\n", "503 5.5.1 Bad sequence of commands\r\n");
    row("bdat before ehlo", "BDAT 5 LAST\r\nHELLO", "503 5.5.1 Bad sequence of commands\r\n");
    row("unknown", "XYZZY\r\n", "500 5.5.2 Command unrecognized\r\n");
    row("empty line", "\r\n", "500 5.5.2 Command unrecognized\r\n");
    row("rset arg", "RSET now\r\n", "501 5.5.4 Syntax error in parameters or arguments\r\n");
    row("data arg", open + rcpt + "DATA now\r\n",
        openOk + kRcptOk + "501 5.5.4 Syntax error in parameters or arguments\r\n");
    row("lower case", "ehlo c.test\r\nmail from:<a@sender.test>\r\nrcpt to:<b@EXAMPLE.com>\r\n",
        kEhlo + kMailOk + kRcptOk);
    row("bare lf commands", "EHLO c.test\nMAIL FROM:<a@sender.test>\n", kEhlo + kMailOk);
    // MAIL syntax and parameters
    row("mail no arg", ehlo + "MAIL\r\n", kEhlo + "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
    row("mail bad addr", ehlo + "MAIL FROM:<a b@c.test>\r\n", kEhlo + "501 5.1.7 Bad sender address syntax\r\n");
    row("mail no brackets", ehlo + "MAIL FROM:a@c.test\r\n", kEhlo + "501 5.1.7 Bad sender address syntax\r\n");
    row("mail space", ehlo + "MAIL FROM: <a@c.test>\r\n", kEhlo + kMailOk);
    row("null sender", ehlo + "MAIL FROM:<>\r\n", kEhlo + kMailOk);
    row("size ok", ehlo + "MAIL FROM:<a@c.test> SIZE=1000000\r\n", kEhlo + kMailOk);
    row("size zeros", ehlo + "MAIL FROM:<a@c.test> SIZE=0000000000000000000000001\r\n", kEhlo + kMailOk);
    row("size too big", ehlo + "MAIL FROM:<a@c.test> SIZE=1000001\r\n",
        kEhlo + "552 5.3.4 Message size exceeds fixed limit\r\n");
    row("size huge", ehlo + "MAIL FROM:<a@c.test> SIZE=99999999999999999999999\r\n",
        kEhlo + "552 5.3.4 Message size exceeds fixed limit\r\n");
    row("size bad", ehlo + "MAIL FROM:<a@c.test> SIZE=12k\r\n", kEhlo + "501 5.5.4 Bad message size syntax\r\n");
    row("size negative", ehlo + "MAIL FROM:<a@c.test> SIZE=-1\r\n", kEhlo + "501 5.5.4 Bad message size syntax\r\n");
    row("body", ehlo + "MAIL FROM:<a@c.test> BODY=7bit\r\n", kEhlo + kMailOk);
    row("body 8bit", ehlo + "MAIL FROM:<a@c.test> BODY=8BITMIME SIZE=10\r\n", kEhlo + kMailOk);
    row("body binary", ehlo + "MAIL FROM:<a@c.test> BODY=BINARYMIME\r\n",
        kEhlo + "501 5.5.4 Bad BODY keyword value\r\n");
    row("unknown param", ehlo + "MAIL FROM:<a@c.test> XFOO\r\n",
        kEhlo + "555 5.5.4 MAIL FROM/RCPT TO parameters not recognized or not implemented\r\n");
    row("param syntax", ehlo + "MAIL FROM:<a@c.test> SIZE==1\r\n", kEhlo + "501 5.5.4 Syntax error in parameters\r\n");
    // RCPT and relay policy
    row("rcpt no arg", open + "RCPT\r\n", openOk + "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
    row("rcpt accepted", open + rcpt, openOk + kRcptOk);
    row("rcpt accepted case", open + "RCPT TO:<B@Other.EXAMPLE>\r\n", openOk + kRcptOk);
    row("rcpt relay", open + "RCPT TO:<b@foreign.test>\r\n", openOk + kRelay);
    row("rcpt subdomain", open + "RCPT TO:<b@sub.example.com>\r\n", openOk + kRelay);
    row("rcpt suffix trick", open + "RCPT TO:<b@evilexample.com>\r\n", openOk + kRelay);
    row("rcpt trailing dot", open + "RCPT TO:<b@example.com.>\r\n",
        openOk + "501 5.1.3 Bad recipient address syntax\r\n");
    row("rcpt literal", open + "RCPT TO:<b@[192.0.2.1]>\r\n", openOk + kRelay);
    row("rcpt postmaster", open + "RCPT TO:<Postmaster>\r\n", openOk + kRcptOk);
    row("rcpt percent", open + "RCPT TO:<b%foreign.test@example.com>\r\n", openOk + kRelay);
    row("rcpt bang", open + "RCPT TO:<foreign.test!b@example.com>\r\n", openOk + kRelay);
    row("rcpt quoted at", open + "RCPT TO:<\"b@foreign.test\"@example.com>\r\n", openOk + kRelay);
    row("rcpt quoted plain", open + "RCPT TO:<\"b c\"@example.com>\r\n", openOk + kRcptOk);
    row("rcpt route", open + "RCPT TO:<@foreign.test:b@example.com>\r\n", openOk + kRcptOk);
    row("rcpt route relay", open + "RCPT TO:<@example.com:b@foreign.test>\r\n", openOk + kRelay);
    row("rcpt null", open + "RCPT TO:<>\r\n", openOk + "501 5.1.3 Bad recipient address syntax\r\n");
    row("rcpt param", open + "RCPT TO:<b@example.com> XFOO=NEVER\r\n",
        openOk + "555 5.5.4 MAIL FROM/RCPT TO parameters not recognized or not implemented\r\n");
    row("rcpt too long", open + "RCPT TO:<" + QByteArray(300, 'a') + "@example.com>\r\n",
        openOk + "501 5.5.4 Path too long\r\n");
    row("rcpt local 65", open + "RCPT TO:<" + QByteArray(65, 'a') + "@example.com>\r\n",
        openOk + "501 5.1.3 Bad recipient address syntax\r\n");
}

void TestServerSession::conversation()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    Harness whole;
    QCOMPARE(whole.feed(input), expected);
    QCOMPARE(whole.actions, QByteArray());
    Harness split; // the same bytes one at a time give the same replies
    QCOMPARE(split.feed(input, 1), expected);
    QVERIFY(!whole.session().closed());
    QCOMPARE(whole.session().lastReplyCode(), lastCode(expected));
}

void TestServerSession::relayAllowedClient()
{
    SessionConfig c = defaultConfig();
    c.relayAllowed = true;
    Harness h(c);
    h.feed("EHLO c.test\r\nMAIL FROM:<a@sender.test>\r\n");
    QCOMPARE(h.feed("RCPT TO:<b@foreign.test>\r\n"), kRcptOk);
    QCOMPARE(h.feed("RCPT TO:<b@[192.0.2.1]>\r\n"), kRcptOk);
    QCOMPARE(h.feed("RCPT TO:<b%c@foreign.test>\r\n"), kRcptOk);
    // Routing through one of our own domains is refused from anybody.
    QCOMPARE(h.feed("RCPT TO:<b%foreign.test@example.com>\r\n"), kRelay);
    QCOMPARE(h.feed("RCPT TO:<b@bad_domain.test>\r\n"), QByteArray("501 5.1.3 Bad recipient address syntax\r\n"));
    QCOMPARE(h.session().envelope().rcptTo,
             QList<QByteArray>({"b@foreign.test", "b@[192.0.2.1]", "b%c@foreign.test"}));
    QCOMPARE(h.session().envelope().rcptParams.size(), 3);
}

void TestServerSession::tooManyRecipients()
{
    SessionConfig c = defaultConfig();
    c.limits.maxRecipients = 2;
    c.limits.maxErrors = 3;
    Harness h(c);
    h.feed("EHLO c.test\r\nMAIL FROM:<a@sender.test>\r\n");
    QCOMPARE(h.feed("RCPT TO:<b1@example.com>\r\nRCPT TO:<b2@example.com>\r\n"), kRcptOk + kRcptOk);
    const QByteArray k452 = "452 4.5.3 Too many recipients\r\n";
    // 4xx replies are not counted as errors: three of them do not close.
    QCOMPARE(h.feed("RCPT TO:<b3@example.com>\r\nRCPT TO:<b4@example.com>\r\nRCPT TO:<b5@example.com>\r\n"),
             k452 + k452 + k452);
    QCOMPARE(h.session().lastReplyCode(), 452);
    QCOMPARE(h.feed("DATA\r\n"), k354);
    QCOMPARE(h.session().envelope().rcptTo.size(), 2);
}

void TestServerSession::fullMessage()
{
    Harness h;
    QCOMPARE(h.feed(kOpen), kOpenReplies);
    QCOMPARE(h.actions, QByteArray("B"));
    QCOMPARE(h.session().envelope().mailFrom, QByteArray("a@sender.test"));
    QCOMPARE(h.feed("Subject: hi\r\n\r\nline 1\r\n"), QByteArray());
    QCOMPARE(h.feed("..dotted\r\n.\r\n"), QByteArray());
    QCOMPARE(h.actions, QByteArray("BDDE"));
    QCOMPARE(h.data, QByteArray("Subject: hi\r\n\r\nline 1\r\n.dotted\r\n"));
    QCOMPARE(h.envelopeAtEnd, QByteArray("a@sender.test>b@example.com"));
    QVERIFY(h.session().waitingForCommit());
    QCOMPARE(h.feed("NOOP\r\n"), QByteArray()); // held until the commit finishes
    QCOMPARE(h.commit(), kQueued + "250 2.0.0 Ok\r\n");
    QVERIFY(!h.session().waitingForCommit());
    QCOMPARE(h.session().messagesAccepted(), 1);
    QCOMPARE(h.session().envelope().mailFrom, QByteArray());
    QCOMPARE(h.session().envelope().rcptTo.size(), 0);
    QCOMPARE(h.session().envelope().helo, QByteArray("client.test"));
    // A second transaction on the same session.
    QCOMPARE(h.feed("MAIL FROM:<>\r\nRCPT TO:<c@example.com>\r\nDATA\r\nx\r\n.\r\n"), kMailOk + kRcptOk + k354);
    QCOMPARE(h.envelopeAtEnd, QByteArray(">c@example.com"));
    QCOMPARE(h.commit(), kQueued);
    QCOMPARE(h.session().messagesAccepted(), 2);
    QCOMPARE(h.session().lastReplyCode(), 250);
}

void TestServerSession::emptyMessageAndDotStuffing()
{
    Harness h;
    h.feed(kOpen);
    QCOMPARE(h.feed(".\r\n"), QByteArray());
    QCOMPARE(h.actions, QByteArray("BE"));
    QCOMPARE(h.data, QByteArray());
    QCOMPARE(h.commit(), kQueued);

    Harness s;
    s.feed(kOpen + "..\r\n...\r\n.a.\r\n .\r\nend.\r\n.\r\n");
    QCOMPARE(s.data, QByteArray(".\r\n..\r\na.\r\n .\r\nend.\r\n"));
    QCOMPARE(s.actions, QByteArray("BDE"));
}

void TestServerSession::byteByByteData()
{
    // "\r\n.\r\n" ends the message; what follows is pipelined commands.
    const QByteArray body = "From: a\r\n\r\n.\r\n..x\r\nlast line\r\n";
    Harness h;
    h.feed(kOpen);
    QCOMPARE(h.feed(body, 1), QByteArray());
    QCOMPARE(h.data, QByteArray("From: a\r\n\r\n"));
    QCOMPARE(h.actions, QByteArray("BDDE")); // one MessageData per feed() that completed a line
    QCOMPARE(h.maxDataPerFeed, 1);
    // The rest was pipelined after the dot and is held, then run as commands.
    QCOMPARE(h.commit(), kQueued + "500 5.5.2 Command unrecognized\r\n500 5.5.2 Command unrecognized\r\n");

    Harness g;
    g.feed(kOpen);
    g.feed("a\r\n..b\r\n\r\n.c\r\n.\r\n", 1);
    QCOMPARE(g.data, QByteArray("a\r\n.b\r\n\r\nc\r\n"));
    QCOMPARE(g.actions.count('E'), 1);
    QCOMPARE(g.maxDataPerFeed, 1);
}

void TestServerSession::smuggling_data()
{
    QTest::addColumn<QByteArray>("body");
    // Each body ends with a real CRLF.CRLF; what precedes must not end the data.
    const QByteArray smuggled = "MAIL FROM:<evil@x.test>\r\nRCPT TO:<v@example.com>\r\nDATA\r\nevil\r\n";
    QTest::newRow("lf dot lf") << "a\n.\n" + smuggled + ".\r\n";
    QTest::newRow("cr dot cr") << "a\r.\r" + smuggled + ".\r\n";
    QTest::newRow("crlf dot lf") << "a\r\n.\n" + smuggled + ".\r\n";
    QTest::newRow("lf dot crlf") << "a\n.\r\n" + smuggled + ".\r\n";
    QTest::newRow("cr dot crlf") << "a\r.\r\n" + smuggled + ".\r\n";
    QTest::newRow("crlf dot cr") << "a\r\n.\r" + smuggled + ".\r\n";
    QTest::newRow("bare lf line") << QByteArray("a\nb\r\n.\r\n");
    QTest::newRow("bare cr in line") << QByteArray("a\rb\r\n.\r\n");
    QTest::newRow("cr cr lf") << QByteArray("a\r\r\n.\r\n");
    QTest::newRow("first line bare lf") << ".\n" + smuggled + ".\r\n";
    QTest::newRow("first line bare cr") << ".\r" + smuggled + ".\r\n";
}

void TestServerSession::smuggling()
{
    QFETCH(QByteArray, body);
    for (qsizetype chunk : {qsizetype(0), qsizetype(1), qsizetype(3)}) {
        Harness h;
        QCOMPARE(h.feed(kOpen), kOpenReplies);
        QCOMPARE(h.feed(body + "NOOP\r\n", chunk), kBare + "250 2.0.0 Ok\r\n");
        // AbortMessage once, no EndMessage; nothing after the violation forwarded.
        QVERIFY2(h.actions == "BA" || h.actions == "BDA", h.actions.constData());
        QVERIFY(!h.data.contains("MAIL") && !h.data.contains("evil") && !h.data.contains('b'));
        QCOMPARE(h.session().messagesAccepted(), 0);
        // The transaction is reset, the EHLO kept.
        QCOMPARE(h.feed("RCPT TO:<b@example.com>\r\nMAIL FROM:<a@b.test>\r\n"), k503 + kMailOk);
    }
}

void TestServerSession::dataLineLength()
{
    const QByteArray line998 = QByteArray(998, 'x') + "\r\n";
    const QByteArray stuffed = "." + QByteArray(998, 'x') + "\r\n"; // 1000 after unstuffing
    Harness ok;
    ok.feed(kOpen);
    QCOMPARE(ok.feed(line998 + stuffed + ".\r\n"), QByteArray());
    QCOMPARE(ok.actions, QByteArray("BDE"));
    QCOMPARE(ok.data, line998 + line998);

    const QByteArray kLong = "550 5.6.0 Message refused: line too long\r\n";
    for (qsizetype chunk : {qsizetype(0), qsizetype(1), qsizetype(700)}) {
        Harness h;
        h.feed(kOpen);
        const QByteArray long999 = "ok\r\n" + QByteArray(999, 'y') + "\r\n" + "after\r\n.\r\n";
        QCOMPARE(h.feed(long999, chunk), kLong);
        QVERIFY(h.actions == "BA" || h.actions == "BDA");
        QVERIFY(!h.data.contains('y'));
    }
    // An endless line does not grow memory and still ends at CRLF.CRLF.
    Harness e;
    e.feed(kOpen);
    for (int i = 0; i < 200; ++i)
        QCOMPARE(e.feed(QByteArray(4096, 'z')), QByteArray());
    QCOMPARE(e.feed("\r\n.\r\n"), kLong);
    QCOMPARE(e.actions, QByteArray("BA"));
}

void TestServerSession::dataTooBig()
{
    SessionConfig c = defaultConfig();
    c.limits.maxMessageSize = 100;
    QByteArray exact;
    for (int i = 0; i < 10; ++i)
        exact += QByteArray(8, char('a' + i)) + "\r\n";
    QCOMPARE(exact.size(), 100);
    Harness ok(c);
    ok.feed("EHLO c.test\r\nMAIL FROM:<a@b.test> SIZE=100\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    QCOMPARE(ok.feed(exact + ".\r\n"), QByteArray());
    QCOMPARE(ok.data, exact);
    QCOMPARE(ok.actions, QByteArray("BDE"));

    Harness big(c);
    big.feed("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    QCOMPARE(big.feed(exact), QByteArray());
    QCOMPARE(big.feed("x\r\nmore\r\n"), QByteArray());
    QCOMPARE(big.feed(".\r\nQUIT\r\n"), "552 5.3.4 Message size exceeds fixed limit\r\n" + QByteArray("221 2.0.0 Bye\r\n"));
    QCOMPARE(big.actions, QByteArray("BDAC"));
    QCOMPARE(big.data, exact);
}

void TestServerSession::commitFailures()
{
    Harness t;
    t.feed(kOpen + "x\r\n.\r\n");
    QCOMPARE(t.commit(false, true), QByteArray("451 4.3.0 Error: queue file write error\r\n"));
    QCOMPARE(t.session().messagesAccepted(), 0);
    QCOMPARE(t.session().lastReplyCode(), 451);
    QCOMPARE(t.feed("RCPT TO:<b@example.com>\r\n"), k503); // transaction reset
    QCOMPARE(t.commit(), QByteArray());                    // not waiting: ignored

    Harness p;
    p.feed(kOpen + "x\r\n.\r\n");
    QCOMPARE(p.commit(false, false), QByteArray("554 5.3.0 Error: transaction failed\r\n"));
    QCOMPARE(p.feed("MAIL FROM:<a@b.test>\r\n"), kMailOk);
}

void TestServerSession::pipelinedAfterDot()
{
    Harness h;
    QCOMPARE(h.feed(kOpen + "body\r\n.\r\nMAIL FROM:<n@b.test>\r\nRCPT TO:<c@example.com>\r\n"), kOpenReplies);
    QCOMPARE(h.actions, QByteArray("BDE"));
    QCOMPARE(h.envelopeAtEnd, QByteArray("a@sender.test>b@example.com"));
    QCOMPARE(h.session().envelope().rcptTo, QList<QByteArray>({"b@example.com"}));
    QCOMPARE(h.feed("DATA\r\nsecond\r\n.\r\nQU"), QByteArray());
    QCOMPARE(h.feed("IT\r\n"), QByteArray());
    QCOMPARE(h.commit(), kQueued + kMailOk + kRcptOk + k354);
    QCOMPARE(h.envelopeAtEnd, QByteArray("n@b.test>c@example.com"));
    QVERIFY(h.session().waitingForCommit());
    QCOMPARE(h.commit(), kQueued + "221 2.0.0 Bye\r\n");
    QCOMPARE(h.actions, QByteArray("BDEBDEC"));
    QCOMPARE(h.data, QByteArray("body\r\nsecond\r\n"));
    QCOMPARE(h.session().messagesAccepted(), 2);
    QVERIFY(h.session().closed());
}

void TestServerSession::pipelinedGroup()
{
    Harness h;
    const QByteArray group = "EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@foreign.test>\r\n"
                             "RCPT TO:<y@example.com>\r\nRCPT TO:<bad>\r\nDATA\r\n";
    QCOMPARE(h.feed(group), kEhlo + kMailOk + kRelay + kRcptOk
                                + "501 5.1.3 Bad recipient address syntax\r\n" + k354);
    QCOMPARE(h.actions, QByteArray("B"));
    QCOMPARE(h.session().envelope().rcptTo, QList<QByteArray>({"y@example.com"}));
}

void TestServerSession::commandLineTooLong()
{
    const QByteArray kTooLong = "500 5.5.2 Line too long\r\n";
    Harness h; // maxCommandLine 512 including CRLF
    const QByteArray noop512 = "NOOP " + QByteArray(505, 'a') + "\r\n";
    QCOMPARE(noop512.size(), 512);
    QCOMPARE(h.feed(noop512), QByteArray("250 2.0.0 Ok\r\n"));
    QCOMPARE(h.feed("NOOP " + QByteArray(506, 'a') + "\r\n"), kTooLong);
    // The rest of an over-long line is never run as a command, however it is split.
    QCOMPARE(h.feed(QByteArray(520, 'A')), QByteArray());
    QCOMPARE(h.feed("QUIT\r\nNOOP\r\n"), kTooLong + "250 2.0.0 Ok\r\n");
    QCOMPARE(h.feed(QByteArray(300, 'B')), QByteArray());
    QCOMPARE(h.feed(QByteArray(300, 'B') + " QUIT\nNOOP\n"), kTooLong + "250 2.0.0 Ok\r\n");
    QVERIFY(!h.session().closed());
    QCOMPARE(h.actions, QByteArray());
}

void TestServerSession::commandInvalidBytes()
{
    const QByteArray kInvalid = "500 5.5.2 Invalid characters in command\r\n";
    Harness h;
    QCOMPARE(h.feed(QByteArray("NO\0OP\r\n", 7)), kInvalid);
    QCOMPARE(h.feed("EHLO b\xc3.test\r\n"), kInvalid);   // not UTF-8
    QCOMPARE(h.feed("EHLO b\xc3\xbc.test\r\n"), QByteArray("501 5.5.4 Syntax: EHLO hostname\r\n")); // UTF-8, not a host name
    QCOMPARE(h.feed("NOOP\rQUIT\r\n"), kInvalid);
    QCOMPARE(h.feed("NOOP\x1b\r\n"), kInvalid);
    QCOMPARE(h.feed("NOOP\r\r\n"), kInvalid);
    QCOMPARE(h.feed("NOOP\x7f\r\n"), kInvalid);
    QVERIFY(!h.session().closed());
    QCOMPARE(h.feed("NOOP\r\n"), QByteArray("250 2.0.0 Ok\r\n"));
}

void TestServerSession::tooManyErrors()
{
    SessionConfig c = defaultConfig();
    c.limits.maxErrors = 3;
    Harness h(c);
    QCOMPARE(h.feed("FOO\r\nNOOP\r\nMAIL FROM:<a@b.test>\r\n"),
             "500 5.5.2 Command unrecognized\r\n250 2.0.0 Ok\r\n" + k503);
    QCOMPARE(h.actions, QByteArray());
    QCOMPARE(h.feed("EHLO\r\nNOOP\r\n"),
             "501 5.5.4 Syntax: EHLO hostname\r\n421 4.7.0 Too many errors\r\n");
    QCOMPARE(h.actions, QByteArray("C"));
    QVERIFY(h.session().closed());
    QCOMPARE(h.session().lastReplyCode(), 421);
    QCOMPARE(h.feed("NOOP\r\n"), QByteArray());
    QCOMPARE(h.timeout(), QByteArray());
    QCOMPARE(h.actions, QByteArray("C"));
}

void TestServerSession::quitAndClosed()
{
    Harness h;
    QCOMPARE(h.feed("QUIT\r\nNOOP\r\n"), QByteArray("221 2.0.0 Bye\r\n"));
    QCOMPARE(h.actions, QByteArray("C"));
    QVERIFY(h.session().closed());
    QCOMPARE(h.feed("NOOP\r\n"), QByteArray());
    QCOMPARE(h.shutdown(), QByteArray());
    QCOMPARE(h.actions, QByteArray("C"));

    Harness m; // the session can be moved
    ServerSession moved(std::move(m.session()));
    Output out;
    moved.feed("NOOP\r\n", out);
    QCOMPARE(out.replies, QByteArray("250 2.0.0 Ok\r\n"));
}

void TestServerSession::timeoutAndShutdown()
{
    Harness idle;
    QCOMPARE(idle.timeout(), QByteArray("421 4.4.2 mx.test Error: timeout exceeded\r\n"));
    QCOMPARE(idle.actions, QByteArray("C"));
    QVERIFY(idle.session().closed());

    Harness inData;
    inData.feed(kOpen + "partial line\r\nmore");
    QCOMPARE(inData.timeout(), QByteArray("421 4.4.2 mx.test Error: timeout exceeded\r\n"));
    QCOMPARE(inData.actions, QByteArray("BDAC"));

    Harness down;
    down.feed(kOpen + "x\r\n");
    QCOMPARE(down.shutdown(), QByteArray("421 4.3.2 Service shutting down\r\n"));
    QCOMPARE(down.actions, QByteArray("BDAC"));
    QCOMPARE(down.session().lastReplyCode(), 421);

    Harness waiting; // EndMessage already handed over: no AbortMessage
    waiting.feed(kOpen + "x\r\n.\r\n");
    QCOMPARE(waiting.shutdown(), QByteArray("421 4.3.2 Service shutting down\r\n"));
    QCOMPARE(waiting.actions, QByteArray("BDEC"));
    QCOMPARE(waiting.commit(), QByteArray());
    QCOMPARE(waiting.session().messagesAccepted(), 0);

    Harness aborted; // already aborted for bare LF: no second AbortMessage
    aborted.feed(kOpen + "x\ny\r\n");
    QCOMPARE(aborted.timeout(), QByteArray("421 4.4.2 mx.test Error: timeout exceeded\r\n"));
    QCOMPARE(aborted.actions, QByteArray("BAC"));
}

void TestServerSession::tooManyMessages()
{
    SessionConfig c = defaultConfig();
    c.limits.maxMessagesPerSession = 1;
    Harness h(c);
    h.feed(kOpen + "x\r\n.\r\n");
    QCOMPARE(h.commit(), kQueued);
    QCOMPARE(h.feed("MAIL FROM:<a@b.test>\r\nNOOP\r\n"), QByteArray("421 4.7.0 Too many messages in this session\r\n"));
    QCOMPARE(h.actions, QByteArray("BDEC"));
    QVERIFY(h.session().closed());
}

void TestServerSession::chunkingInvariance()
{
    // Random conversations must give the same replies and content whether fed
    // whole or in random pieces, and must never hold more than one MessageData
    // per feed() or emit a reply not ending in CRLF.
    const QList<QByteArray> tokens = {
        "EHLO c.test\r\n", "HELO c.test\r\n", "MAIL FROM:<a@b.test>\r\n", "RCPT TO:<x@example.com>\r\n",
        "RCPT TO:<x@foreign.test>\r\n", "DATA\r\n", "RSET\r\n", "NOOP\r\n", "\r\n.\r\n", ".\r\n", "..\r\n",
        "\n", "\r", ".", "text", QByteArray("\0", 1), "\xff", QByteArray(600, 'L'), "QUIT\r\n", "VRFY x\r\n",
    };
    QRandomGenerator rng(20240601);
    for (int round = 0; round < 300; ++round) {
        QByteArray input;
        const int n = rng.bounded(1, 40);
        for (int i = 0; i < n; ++i)
            input += tokens[rng.bounded(int(tokens.size()))];
        SessionConfig c = defaultConfig();
        c.limits.maxErrors = 1000;
        Harness whole(c);
        whole.autoCommit = true;
        const QByteArray expected = whole.feed(input);
        Harness pieces(c);
        pieces.autoCommit = true;
        QByteArray got;
        for (qsizetype i = 0; i < input.size();) {
            const qsizetype len = qMin<qsizetype>(rng.bounded(1, 64), input.size() - i);
            got += pieces.feed(input.sliced(i, len));
            i += len;
        }
        QCOMPARE(got, expected);
        QCOMPARE(pieces.data, whole.data);
        QCOMPARE(pieces.session().messagesAccepted(), whole.session().messagesAccepted());
        QCOMPARE(pieces.session().closed(), whole.session().closed());
        QVERIFY(expected.isEmpty() || expected.endsWith("\r\n"));
        QVERIFY(pieces.maxDataPerFeed <= 1);
        QVERIFY(whole.maxDataPerFeed <= 1);
        QCOMPARE(whole.emptyData + pieces.emptyData, 0);
        QByteArray wholeKinds = whole.actions, pieceKinds = pieces.actions;
        wholeKinds.replace("DD", "D");
        while (pieceKinds.contains("DD"))
            pieceKinds.replace("DD", "D");
        QCOMPARE(pieceKinds, wholeKinds);
    }
}

QTEST_APPLESS_MAIN(TestServerSession)
#include "tst_serversession.moc"

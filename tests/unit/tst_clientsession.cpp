// Unit tests for rd::smtp::ClientSession: server replies go in as strings,
// the exact bytes to send and the events come out. No sockets.

#include "smtp/clientsession.h"

#include <QTest>

using namespace rd::smtp;

namespace {

const QByteArray kGreeting = "220 mx.example.com ESMTP Postfix\r\n";
const QByteArray kEhloPipelining = "250-mx.example.com Hello client.example [127.0.0.1]\r\n"
                                   "250-PIPELINING\r\n"
                                   "250-SIZE 10240000\r\n"
                                   "250-8BITMIME\r\n"
                                   "250-SMTPUTF8\r\n"
                                   "250-STARTTLS\r\n"
                                   "250-AUTH PLAIN LOGIN cram-md5\r\n"
                                   "250-ENHANCEDSTATUSCODES\r\n"
                                   "250 DSN\r\n";
const QByteArray kEhloPlain = "250-mx.example.com\r\n"
                              "250-SIZE 10240000\r\n"
                              "250 ENHANCEDSTATUSCODES\r\n";

const char *kindName(ClientEventKind k)
{
    switch (k) {
    case ClientEventKind::Ready: return "Ready";
    case ClientEventKind::StartTls: return "StartTls";
    case ClientEventKind::SendContent: return "SendContent";
    case ClientEventKind::MessageDone: return "MessageDone";
    case ClientEventKind::Failed: return "Failed";
    case ClientEventKind::Closed: return "Closed";
    }
    return "?";
}

// "Ready MessageDone ..." for readable comparisons.
QByteArray eventsOf(const ClientOutput &o)
{
    QByteArray s;
    for (const ClientEvent &e : o.events) {
        if (!s.isEmpty())
            s += ' ';
        s += kindName(e.kind);
    }
    return s;
}

ClientOutput feed(ClientSession &s, QByteArrayView bytes)
{
    ClientOutput o;
    s.feed(bytes, o);
    return o;
}

ClientSession readySession(const QByteArray &ehloReply)
{
    ClientSession s("client.example");
    feed(s, kGreeting);
    feed(s, ehloReply);
    return s;
}

ClientMessage message(QList<QByteArray> rcpts, qint64 size = 1234, bool eightBit = false)
{
    ClientMessage m;
    m.mailFrom = "sender@example.org";
    m.rcpts = std::move(rcpts);
    m.size = size;
    m.eightBit = eightBit;
    return m;
}

QByteArray stuffAll(const QList<QByteArray> &chunks)
{
    DotStuffState st;
    QByteArray out;
    for (const QByteArray &c : chunks)
        ClientSession::dotStuff(c, st, out);
    ClientSession::appendEndOfData(st, out);
    return out;
}

} // namespace

class TstClientSession : public QObject {
    Q_OBJECT

private slots:
    void greetingThenEhlo();
    void ehloCapabilitiesParsed();
    void replySplitAcrossFeeds();
    void heloFallback();
    void ehloTemporaryFailureQuits();
    void greetingRefusedQuits();
    void greeting421Closes();
    void pipelinedMixedRecipients();
    void nonPipelinedMixedRecipients();
    void secondMessageReusesConnection();
    void allRejectedPipelinedDataRefused();
    void allRejectedPipelinedData354();
    void allRejectedNonPipelinedSendsRset();
    void mailRefusedPipelined();
    void mailRefusedNonPipelined();
    void dataRefusedSendsRset();
    void reply421MidTransaction();
    void reply421AfterEndOfData();
    void malformedReply_data();
    void malformedReply();
    void sizeTooBig();
    void mailParameters_data();
    void mailParameters();
    void unusableAddresses();
    void enhancedCodes_data();
    void enhancedCodes();
    void repliesBufferedWhileSendingContent();
    void abortDuringContent();
    void quitWhenIdle();
    void sendMessageWhenNotReady();
    void dotStuff_data();
    void dotStuff();
    void dotStuffEverySplit();
};

void TstClientSession::greetingThenEhlo()
{
    ClientSession s("client.example");
    QCOMPARE(s.phase(), ClientPhase::Greeting);
    QVERIFY(s.awaitingReply());
    ClientOutput o = feed(s, kGreeting);
    QCOMPARE(o.toSend, QByteArray("EHLO client.example\r\n"));
    QCOMPARE(eventsOf(o), QByteArray());
    QCOMPARE(s.phase(), ClientPhase::Ehlo);
    QVERIFY(!s.readyForMessage());

    o = feed(s, kEhloPipelining);
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray("Ready"));
    QVERIFY(s.readyForMessage());
    QVERIFY(!s.awaitingReply());
    QCOMPARE(s.phase(), ClientPhase::Idle);
}

void TstClientSession::ehloCapabilitiesParsed()
{
    ClientSession s = readySession(kEhloPipelining);
    const ServerCapabilities &c = s.capabilities();
    QVERIFY(c.esmtp);
    QVERIFY(c.pipelining);
    QVERIFY(c.sizeSupported);
    QCOMPARE(c.sizeLimit, 10240000);
    QVERIFY(c.eightBitMime);
    QVERIFY(c.smtpUtf8);
    QVERIFY(c.startTls);
    QVERIFY(c.enhancedStatusCodes);
    QCOMPARE(c.authMechanisms, (QList<QByteArray>{"PLAIN", "LOGIN", "CRAM-MD5"}));
    QCOMPARE(c.serverName, QByteArray("mx.example.com"));
    QVERIFY(c.keywords.contains("DSN"));
    QCOMPARE(c.keywords.size(), 8);

    // Old "AUTH=" form, bare SIZE (no limit), lower-case keywords.
    ClientSession t = readySession("250-relay.example\r\n250-auth=LOGIN\r\n250-size\r\n250 pipelining\r\n");
    QCOMPARE(t.capabilities().authMechanisms, (QList<QByteArray>{"LOGIN"}));
    QVERIFY(t.capabilities().sizeSupported);
    QCOMPARE(t.capabilities().sizeLimit, 0);
    QVERIFY(t.capabilities().pipelining);
    QVERIFY(!t.capabilities().eightBitMime);
    QVERIFY(!t.capabilities().startTls);
}

void TstClientSession::replySplitAcrossFeeds()
{
    ClientSession s("client.example");
    QByteArray sent;
    QByteArray events;
    const QByteArray all = kGreeting + kEhloPipelining;
    for (char c : all) {
        ClientOutput o = feed(s, QByteArrayView(&c, 1));
        sent += o.toSend;
        events += eventsOf(o);
    }
    QCOMPARE(sent, QByteArray("EHLO client.example\r\n"));
    QCOMPARE(events, QByteArray("Ready"));
    QVERIFY(s.capabilities().pipelining);

    // Bare LF line ends are tolerated.
    ClientSession t("client.example");
    feed(t, "220 hi\n");
    ClientOutput o = feed(t, "250-x\n250 8BITMIME\n");
    QCOMPARE(eventsOf(o), QByteArray("Ready"));
    QVERIFY(t.capabilities().eightBitMime);
}

void TstClientSession::heloFallback()
{
    ClientSession s("client.example");
    feed(s, kGreeting);
    ClientOutput o = feed(s, "500 5.5.2 Error: command not recognized\r\n");
    QCOMPARE(o.toSend, QByteArray("HELO client.example\r\n"));
    QCOMPARE(eventsOf(o), QByteArray());
    QCOMPARE(s.phase(), ClientPhase::Helo);

    o = feed(s, "250 mx.example.com\r\n");
    QCOMPARE(eventsOf(o), QByteArray("Ready"));
    QVERIFY(!s.capabilities().esmtp);
    QVERIFY(!s.capabilities().pipelining);
    QCOMPARE(s.capabilities().serverName, QByteArray("mx.example.com"));

    // No ESMTP: no SIZE or BODY parameter, one command at a time.
    o = ClientOutput();
    s.sendMessage(message({"a@example.com", "b@example.com"}, 1234, true), o);
    QCOMPARE(o.toSend, QByteArray("MAIL FROM:<sender@example.org>\r\n"));
    o = feed(s, "250 Ok\r\n");
    QCOMPARE(o.toSend, QByteArray("RCPT TO:<a@example.com>\r\n"));
}

void TstClientSession::ehloTemporaryFailureQuits()
{
    ClientSession s("client.example");
    feed(s, kGreeting);
    ClientOutput o = feed(s, "454 4.7.0 try again later\r\n");
    QCOMPARE(o.toSend, QByteArray("QUIT\r\n"));
    QCOMPARE(eventsOf(o), QByteArray("Failed"));
    QCOMPARE(o.events[0].reply.code, 454);
    QVERIFY(o.events[0].reply.temporary());
    QCOMPARE(o.events[0].reply.toString(), QByteArray("454 4.7.0 try again later"));
    QCOMPARE(o.events[0].phase, ClientPhase::Ehlo);

    o = feed(s, "221 2.0.0 Bye\r\n");
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray("Closed"));
    QVERIFY(s.closed());
}

void TstClientSession::greetingRefusedQuits()
{
    ClientSession s("client.example");
    ClientOutput o = feed(s, "554 5.7.1 no service for you\r\n");
    QCOMPARE(o.toSend, QByteArray("QUIT\r\n"));
    QCOMPARE(eventsOf(o), QByteArray("Failed"));
    QVERIFY(o.events[0].reply.permanent());
    QCOMPARE(o.events[0].reply.enhanced, QByteArray("5.7.1"));
    QCOMPARE(o.events[0].phase, ClientPhase::Greeting);
    QCOMPARE(s.phase(), ClientPhase::Quit);

    // The server may just close instead of answering QUIT.
    o = ClientOutput();
    s.abort("lost connection", o);
    QCOMPARE(eventsOf(o), QByteArray("Closed"));
}

void TstClientSession::greeting421Closes()
{
    ClientSession s("client.example");
    ClientOutput o = feed(s, "421 4.3.2 Service shutting down\r\n");
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray("Failed Closed"));
    QCOMPARE(o.events[0].reply.code, 421);
    QVERIFY(s.closed());
    QVERIFY(!s.awaitingReply());
}

void TstClientSession::pipelinedMixedRecipients()
{
    ClientSession s = readySession(kEhloPipelining);
    QVERIFY(s.readyForMessage());
    ClientOutput o;
    s.sendMessage(message({"a@example.com", "b@example.com", "c@example.com"}), o);
    // RFC 2920: MAIL, all RCPTs and DATA in one write.
    QCOMPARE(o.toSend, QByteArray("MAIL FROM:<sender@example.org> SIZE=1234\r\n"
                                  "RCPT TO:<a@example.com>\r\n"
                                  "RCPT TO:<b@example.com>\r\n"
                                  "RCPT TO:<c@example.com>\r\n"
                                  "DATA\r\n"));
    QCOMPARE(eventsOf(o), QByteArray());
    QCOMPARE(s.phase(), ClientPhase::Mail);

    o = feed(s, "250 2.1.0 Ok\r\n"
                "250 2.1.5 Ok\r\n"
                "550 5.1.1 <b@example.com>: Recipient address rejected: User unknown\r\n"
                "450 4.2.0 <c@example.com>: Recipient address rejected: Greylisted\r\n"
                "354 End data with <CR><LF>.<CR><LF>\r\n");
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray("SendContent"));
    QCOMPARE(s.phase(), ClientPhase::Content);
    QVERIFY(!s.awaitingReply());

    DotStuffState st;
    QByteArray content;
    ClientSession::dotStuff("Subject: hi\r\n\r\n.hello\r\n", st, content);
    QCOMPARE(content, QByteArray("Subject: hi\r\n\r\n..hello\r\n"));
    o = ClientOutput();
    s.contentDone(st, o);
    QCOMPARE(o.toSend, QByteArray(".\r\n"));
    QCOMPARE(s.phase(), ClientPhase::EndOfData);
    QVERIFY(s.awaitingReply());

    o = feed(s, "250 2.0.0 Ok: queued as 4Xy7Z\r\n");
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    const MessageResult &r = o.events[0].result;
    QCOMPARE(r.reply.code, 250);
    QCOMPARE(r.reply.enhanced, QByteArray("2.0.0"));
    QCOMPARE(r.reply.text, QByteArray("Ok: queued as 4Xy7Z"));
    QVERIFY(r.success());
    QVERIFY(r.connectionError.isEmpty());
    QCOMPARE(r.rcpts.size(), 3);
    QCOMPARE(r.rcpts[0].rcpt, QByteArray("a@example.com"));
    QCOMPARE(r.rcpts[0].reply.code, 250);
    QCOMPARE(r.rcpts[0].reply.enhanced, QByteArray("2.1.5"));
    QCOMPARE(r.rcpts[1].reply.code, 550);
    QCOMPARE(r.rcpts[1].reply.enhanced, QByteArray("5.1.1"));
    QCOMPARE(r.rcpts[1].reply.text, QByteArray("<b@example.com>: Recipient address rejected: User unknown"));
    QCOMPARE(r.rcpts[2].reply.code, 450);
    QCOMPARE(r.outcome(0).toString(), QByteArray("250 2.0.0 Ok: queued as 4Xy7Z"));
    QVERIFY(r.outcome(1).permanent());
    QCOMPARE(r.outcome(1).code, 550);
    QVERIFY(r.outcome(2).temporary());
    QCOMPARE(r.outcome(2).toString(),
             QByteArray("450 4.2.0 <c@example.com>: Recipient address rejected: Greylisted"));
    QVERIFY(!r.rcpts[0].reply.local);
    QVERIFY(s.readyForMessage());
}

void TstClientSession::nonPipelinedMixedRecipients()
{
    ClientSession s = readySession(kEhloPlain);
    QVERIFY(!s.capabilities().pipelining);
    ClientOutput o;
    s.sendMessage(message({"a@example.com", "b@example.com", "c@example.com"}), o);
    QCOMPARE(o.toSend, QByteArray("MAIL FROM:<sender@example.org> SIZE=1234\r\n"));

    o = feed(s, "250 2.1.0 Ok\r\n");
    QCOMPARE(o.toSend, QByteArray("RCPT TO:<a@example.com>\r\n"));
    QCOMPARE(s.phase(), ClientPhase::Rcpt);
    o = feed(s, "250 2.1.5 Ok\r\n");
    QCOMPARE(o.toSend, QByteArray("RCPT TO:<b@example.com>\r\n"));
    o = feed(s, "550 5.1.1 no such user\r\n");
    QCOMPARE(o.toSend, QByteArray("RCPT TO:<c@example.com>\r\n"));
    o = feed(s, "450 4.2.0 greylisted\r\n");
    QCOMPARE(o.toSend, QByteArray("DATA\r\n"));
    QCOMPARE(s.phase(), ClientPhase::Data);
    o = feed(s, "354 go ahead\r\n");
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray("SendContent"));

    DotStuffState st;
    QByteArray content;
    ClientSession::dotStuff("no newline at end", st, content);
    o = ClientOutput();
    s.contentDone(st, o);
    QCOMPARE(o.toSend, QByteArray("\r\n.\r\n"));
    o = feed(s, "250 2.0.0 Ok\r\n");
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    const MessageResult &r = o.events[0].result;
    QCOMPARE(r.outcome(0).code, 250);
    QCOMPARE(r.outcome(1).code, 550);
    QCOMPARE(r.outcome(2).code, 450);
    QCOMPARE(r.outcome(1).text, QByteArray("no such user"));
}

void TstClientSession::secondMessageReusesConnection()
{
    ClientSession s = readySession(kEhloPipelining);
    ClientOutput o;
    s.sendMessage(message({"a@example.com"}), o);
    feed(s, "250 ok\r\n250 ok\r\n354 go\r\n");
    o = ClientOutput();
    s.contentDone(DotStuffState(), o);
    o = feed(s, "250 2.0.0 queued\r\n");
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    QVERIFY(s.readyForMessage());

    // No RSET after a completed transaction.
    o = ClientOutput();
    s.sendMessage(message({"z@example.com"}, 10), o);
    QCOMPARE(o.toSend, QByteArray("MAIL FROM:<sender@example.org> SIZE=10\r\nRCPT TO:<z@example.com>\r\nDATA\r\n"));
}

void TstClientSession::allRejectedPipelinedDataRefused()
{
    ClientSession s = readySession(kEhloPipelining);
    ClientOutput o;
    s.sendMessage(message({"a@example.com", "b@example.com"}), o);
    o = feed(s, "250 2.1.0 Ok\r\n"
                "550 5.1.1 unknown a\r\n"
                "450 4.1.1 try later b\r\n"
                "554 5.5.1 Error: no valid recipients\r\n");
    // No content; the open transaction is reset.
    QCOMPARE(o.toSend, QByteArray("RSET\r\n"));
    QCOMPARE(eventsOf(o), QByteArray());
    QCOMPARE(s.phase(), ClientPhase::Rset);
    o = feed(s, "250 2.0.0 Ok\r\n");
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    const MessageResult &r = o.events[0].result;
    // The first temporary refusal decides the message as a whole.
    QCOMPARE(r.reply.code, 450);
    QVERIFY(r.temporary());
    QCOMPARE(r.outcome(0).code, 550);
    QCOMPARE(r.outcome(1).code, 450);
    QVERIFY(s.readyForMessage());
}

void TstClientSession::allRejectedPipelinedData354()
{
    ClientSession s = readySession(kEhloPipelining);
    ClientOutput o;
    s.sendMessage(message({"a@example.com", "b@example.com"}), o);
    o = feed(s, "250 2.1.0 Ok\r\n"
                "550 5.1.1 unknown a\r\n"
                "550 5.1.1 unknown b\r\n"
                "354 go ahead\r\n");
    // RFC 2920 3.1: DATA accepted after every RCPT failed: a lone "." and no content.
    QCOMPARE(o.toSend, QByteArray(".\r\n"));
    QCOMPARE(eventsOf(o), QByteArray());
    QCOMPARE(s.phase(), ClientPhase::EndOfData);
    o = feed(s, "554 5.5.1 Error: no valid recipients\r\n");
    QCOMPARE(o.toSend, QByteArray()); // no RSET: "." ended the transaction
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    const MessageResult &r = o.events[0].result;
    QCOMPARE(r.reply.code, 550);
    QVERIFY(!r.success());
    QCOMPARE(r.outcome(0).toString(), QByteArray("550 5.1.1 unknown a"));
    QCOMPARE(r.outcome(1).toString(), QByteArray("550 5.1.1 unknown b"));
    QVERIFY(s.readyForMessage());
}

void TstClientSession::allRejectedNonPipelinedSendsRset()
{
    ClientSession s = readySession(kEhloPlain);
    ClientOutput o;
    s.sendMessage(message({"a@example.com", "b@example.com"}), o);
    o = feed(s, "250 ok\r\n");
    QCOMPARE(o.toSend, QByteArray("RCPT TO:<a@example.com>\r\n"));
    o = feed(s, "550 5.1.1 no a\r\n");
    QCOMPARE(o.toSend, QByteArray("RCPT TO:<b@example.com>\r\n"));
    o = feed(s, "553 5.7.1 no b\r\n");
    QCOMPARE(o.toSend, QByteArray("RSET\r\n")); // never DATA
    QCOMPARE(eventsOf(o), QByteArray());
    o = feed(s, "250 2.0.0 Ok\r\n");
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    QCOMPARE(o.events[0].result.reply.code, 550);
    QCOMPARE(o.events[0].result.outcome(1).code, 553);
    QVERIFY(o.events[0].result.reply.permanent());
}

void TstClientSession::mailRefusedPipelined()
{
    ClientSession s = readySession(kEhloPipelining);
    ClientOutput o;
    s.sendMessage(message({"a@example.com", "b@example.com"}), o);
    o = feed(s, "451 4.3.0 sender check failed, try later\r\n"
                "503 5.5.1 Error: need MAIL command\r\n"
                "503 5.5.1 Error: need MAIL command\r\n"
                "503 5.5.1 Error: need MAIL command\r\n");
    QCOMPARE(o.toSend, QByteArray()); // no transaction open: no RSET
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    const MessageResult &r = o.events[0].result;
    QCOMPARE(r.reply.code, 451);
    // The 503s that follow a refused MAIL do not decide the recipients.
    QCOMPARE(r.outcome(0).code, 451);
    QCOMPARE(r.outcome(1).code, 451);
    QVERIFY(r.outcome(1).temporary());
    QVERIFY(s.readyForMessage());
}

void TstClientSession::mailRefusedNonPipelined()
{
    ClientSession s = readySession(kEhloPlain);
    ClientOutput o;
    s.sendMessage(message({"a@example.com"}), o);
    o = feed(s, "553 5.7.1 sender rejected\r\n");
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    QCOMPARE(o.events[0].result.outcome(0).toString(), QByteArray("553 5.7.1 sender rejected"));
    QVERIFY(s.readyForMessage());
}

void TstClientSession::dataRefusedSendsRset()
{
    ClientSession s = readySession(kEhloPlain);
    ClientOutput o;
    s.sendMessage(message({"a@example.com"}), o);
    feed(s, "250 ok\r\n");
    o = feed(s, "250 ok\r\n");
    QCOMPARE(o.toSend, QByteArray("DATA\r\n"));
    o = feed(s, "554 5.7.1 not today\r\n");
    QCOMPARE(o.toSend, QByteArray("RSET\r\n"));
    o = feed(s, "250 ok\r\n");
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    QCOMPARE(o.events[0].result.outcome(0).code, 554);
}

void TstClientSession::reply421MidTransaction()
{
    ClientSession s = readySession(kEhloPipelining);
    ClientOutput o;
    s.sendMessage(message({"a@example.com", "b@example.com", "c@example.com"}), o);
    o = feed(s, "250 2.1.0 Ok\r\n"
                "250 2.1.5 Ok\r\n"
                "421 4.4.2 mx.example.com Error: timeout exceeded\r\n");
    QCOMPARE(o.toSend, QByteArray()); // no QUIT after 421
    QCOMPARE(eventsOf(o), QByteArray("MessageDone Failed Closed"));
    const MessageResult &r = o.events[0].result;
    QCOMPARE(r.reply.code, 421);
    QVERIFY(r.temporary());
    QCOMPARE(r.connectionError, QByteArray("421 4.4.2 mx.example.com Error: timeout exceeded"));
    QCOMPARE(r.rcpts[0].reply.code, 250);  // accepted at RCPT ...
    QCOMPARE(r.outcome(0).code, 421);       // ... but not delivered
    QCOMPARE(r.outcome(1).code, 421);
    QCOMPARE(r.outcome(2).code, 421);       // never answered
    QCOMPARE(o.events[1].reply.code, 421);
    QCOMPARE(o.events[1].phase, ClientPhase::Rcpt);
    QVERIFY(s.closed());
    QVERIFY(!s.readyForMessage());

    o = feed(s, "250 late\r\n");
    QCOMPARE(eventsOf(o), QByteArray());
    QCOMPARE(o.toSend, QByteArray());
}

void TstClientSession::reply421AfterEndOfData()
{
    ClientSession s = readySession(kEhloPlain);
    ClientOutput o;
    s.sendMessage(message({"a@example.com"}), o);
    feed(s, "250 ok\r\n");
    feed(s, "250 ok\r\n");
    feed(s, "354 go\r\n");
    o = ClientOutput();
    s.contentDone(DotStuffState(), o);
    o = feed(s, "421 4.3.0 shutting down\r\n");
    QCOMPARE(eventsOf(o), QByteArray("MessageDone Failed Closed"));
    QCOMPARE(o.events[0].result.outcome(0).toString(), QByteArray("421 4.3.0 shutting down"));
    QVERIFY(o.events[0].result.temporary());
}

void TstClientSession::malformedReply_data()
{
    QTest::addColumn<QByteArray>("reply");
    QTest::newRow("text") << QByteArray("hello there\r\n");
    QTest::newRow("two digits") << QByteArray("25\r\n");
    QTest::newRow("letter in code") << QByteArray("2x0 Ok\r\n");
    QTest::newRow("bad separator") << QByteArray("250+Ok\r\n");
    QTest::newRow("empty line") << QByteArray("\r\n");
    QTest::newRow("code changes mid-reply") << QByteArray("250-first\r\n251 second\r\n");
    QTest::newRow("line too long") << QByteArray(5000, '2');
}

void TstClientSession::malformedReply()
{
    QFETCH(QByteArray, reply);
    ClientSession s = readySession(kEhloPipelining);
    ClientOutput o;
    s.sendMessage(message({"a@example.com"}), o);
    o = feed(s, reply);
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray("MessageDone Failed Closed"));
    const MessageResult &r = o.events[0].result;
    QVERIFY(r.temporary());
    QCOMPARE(r.reply.code, 0);
    QVERIFY(r.reply.local);
    QVERIFY2(r.reply.text.startsWith("malformed reply from server"), r.reply.text.constData());
    QCOMPARE(r.outcome(0).code, 0);
    QVERIFY(r.outcome(0).temporary());
    QVERIFY(!r.connectionError.isEmpty());
    QVERIFY(o.events[1].reply.temporary());
    QVERIFY(s.closed());
}

void TstClientSession::sizeTooBig()
{
    ClientSession s = readySession(kEhloPipelining);
    ClientOutput o;
    s.sendMessage(message({"a@example.com", "b@example.com"}, 20000000), o);
    QCOMPARE(o.toSend, QByteArray()); // nothing sent
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    const MessageResult &r = o.events[0].result;
    QCOMPARE(r.reply.toString(), QByteArray("552 5.3.4 message too big for next hop (SIZE 10240000)"));
    QVERIFY(r.reply.local);
    QVERIFY(r.reply.permanent());
    QCOMPARE(r.outcome(0).code, 552);
    QCOMPARE(r.outcome(1).code, 552);
    QVERIFY(s.readyForMessage());

    // Exactly the limit is fine.
    o = ClientOutput();
    s.sendMessage(message({"a@example.com"}, 10240000), o);
    QVERIFY(o.toSend.startsWith("MAIL FROM:<sender@example.org> SIZE=10240000\r\n"));
}

void TstClientSession::mailParameters_data()
{
    QTest::addColumn<QByteArray>("ehlo");
    QTest::addColumn<QByteArray>("from");
    QTest::addColumn<qint64>("size");
    QTest::addColumn<bool>("eightBit");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("8bit offered") << kEhloPipelining << QByteArray("s@x") << qint64(99) << true
                                  << QByteArray("MAIL FROM:<s@x> SIZE=99 BODY=8BITMIME\r\n");
    QTest::newRow("7bit content") << kEhloPipelining << QByteArray("s@x") << qint64(99) << false
                                  << QByteArray("MAIL FROM:<s@x> SIZE=99\r\n");
    QTest::newRow("8bit not offered") << kEhloPlain << QByteArray("s@x") << qint64(99) << true
                                      << QByteArray("MAIL FROM:<s@x> SIZE=99\r\n");
    QTest::newRow("null sender") << kEhloPlain << QByteArray() << qint64(99) << false
                                 << QByteArray("MAIL FROM:<> SIZE=99\r\n");
    QTest::newRow("no SIZE offered") << QByteArray("250-x\r\n250 8BITMIME\r\n") << QByteArray("s@x") << qint64(99)
                                     << true << QByteArray("MAIL FROM:<s@x> BODY=8BITMIME\r\n");
}

void TstClientSession::mailParameters()
{
    QFETCH(QByteArray, ehlo);
    QFETCH(QByteArray, from);
    QFETCH(qint64, size);
    QFETCH(bool, eightBit);
    QFETCH(QByteArray, expected);
    ClientSession s = readySession(ehlo);
    ClientMessage m = message({"r@y"}, size, eightBit);
    m.mailFrom = from;
    ClientOutput o;
    s.sendMessage(m, o);
    QVERIFY2(o.toSend.startsWith(expected), o.toSend.constData());
}

void TstClientSession::unusableAddresses()
{
    ClientSession s = readySession(kEhloPipelining);
    ClientOutput o;
    s.sendMessage(message({"good@example.com", "evil@example.com>\r\nRSET"}), o);
    QCOMPARE(o.toSend, QByteArray("MAIL FROM:<sender@example.org> SIZE=1234\r\n"
                                  "RCPT TO:<good@example.com>\r\n"
                                  "DATA\r\n"));
    o = feed(s, "250 ok\r\n250 ok\r\n354 go\r\n");
    QCOMPARE(eventsOf(o), QByteArray("SendContent"));
    o = ClientOutput();
    s.contentDone(DotStuffState(), o);
    o = feed(s, "250 ok\r\n");
    const MessageResult &r = o.events[0].result;
    QCOMPARE(r.outcome(0).code, 250);
    QCOMPARE(r.outcome(1).code, 553);
    QVERIFY(r.outcome(1).local);

    ClientMessage m = message({"a@example.com"});
    m.mailFrom = "bad\nsender";
    o = ClientOutput();
    s.sendMessage(m, o);
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    QCOMPARE(o.events[0].result.outcome(0).enhanced, QByteArray("5.1.7"));

    o = ClientOutput();
    s.sendMessage(message({}), o);
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    QVERIFY(o.events[0].result.reply.permanent());
}

void TstClientSession::enhancedCodes_data()
{
    QTest::addColumn<QByteArray>("reply");
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("enhanced");
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("multi-line") << QByteArray("550-5.1.1 The email account that you tried to reach does\r\n"
                                              "550-5.1.1 not exist. Please check.\r\n"
                                              "550 5.1.1 https://support.example/answer\r\n")
                                << 550 << QByteArray("5.1.1")
                                << QByteArray("The email account that you tried to reach does not exist. Please "
                                              "check. https://support.example/answer");
    QTest::newRow("no enhanced") << QByteArray("550 User unknown\r\n") << 550 << QByteArray()
                                 << QByteArray("User unknown");
    QTest::newRow("class mismatch") << QByteArray("550 4.1.1 odd\r\n") << 550 << QByteArray()
                                    << QByteArray("4.1.1 odd");
    QTest::newRow("code only") << QByteArray("550\r\n") << 550 << QByteArray() << QByteArray();
    QTest::newRow("enhanced only") << QByteArray("550 5.7.1\r\n") << 550 << QByteArray("5.7.1") << QByteArray();
    QTest::newRow("three-digit parts") << QByteArray("452 4.5.300 too many\r\n") << 452 << QByteArray("4.5.300")
                                       << QByteArray("too many");
    QTest::newRow("not a code") << QByteArray("550 5.1.1x bad\r\n") << 550 << QByteArray()
                                << QByteArray("5.1.1x bad");
}

void TstClientSession::enhancedCodes()
{
    QFETCH(QByteArray, reply);
    QFETCH(int, code);
    QFETCH(QByteArray, enhanced);
    QFETCH(QByteArray, text);
    ClientSession s = readySession(kEhloPlain);
    ClientOutput o;
    s.sendMessage(message({"a@example.com"}), o);
    feed(s, "250 ok\r\n");
    feed(s, reply);
    o = feed(s, "250 ok\r\n"); // RSET
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    const ServerReply &r = o.events[0].result.rcpts[0].reply;
    QCOMPARE(r.code, code);
    QCOMPARE(r.enhanced, enhanced);
    QCOMPARE(r.text, text);
}

void TstClientSession::repliesBufferedWhileSendingContent()
{
    ClientSession s = readySession(kEhloPipelining);
    ClientOutput o;
    s.sendMessage(message({"a@example.com"}), o);
    o = feed(s, "250 ok\r\n250 ok\r\n354 go\r\n250 2.0.0 early\r\n");
    QCOMPARE(eventsOf(o), QByteArray("SendContent"));
    o = feed(s, "250 2.0.0 later\r\n");
    QCOMPARE(eventsOf(o), QByteArray()); // held until the content ends
    o = ClientOutput();
    s.contentDone(DotStuffState(), o);
    QCOMPARE(o.toSend, QByteArray(".\r\n"));
    // The second reply is unexpected while idle: a protocol error ends the session.
    QCOMPARE(eventsOf(o), QByteArray("MessageDone Failed Closed"));
    QCOMPARE(o.events[0].result.reply.text, QByteArray("early"));
    QVERIFY(o.events[1].reply.text.startsWith("unexpected reply"));
    QVERIFY(s.closed());
}

void TstClientSession::abortDuringContent()
{
    ClientSession s = readySession(kEhloPipelining);
    ClientOutput o;
    s.sendMessage(message({"a@example.com", "b@example.com"}), o);
    feed(s, "250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n");
    QCOMPARE(s.phase(), ClientPhase::Content);
    o = ClientOutput();
    s.abort("lost connection with mx[192.0.2.1] while sending message body", o);
    QCOMPARE(eventsOf(o), QByteArray("MessageDone Failed Closed"));
    const MessageResult &r = o.events[0].result;
    QCOMPARE(r.outcome(0).code, 0);
    QCOMPARE(r.outcome(0).toString(), QByteArray("lost connection with mx[192.0.2.1] while sending message body"));
    QVERIFY(r.outcome(0).temporary());
    QCOMPARE(r.outcome(1).code, 550); // already refused: stays refused
    QVERIFY(s.closed());
    // contentDone after the end is ignored.
    o = ClientOutput();
    s.contentDone(DotStuffState(), o);
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray());
}

void TstClientSession::quitWhenIdle()
{
    ClientSession s = readySession(kEhloPipelining);
    ClientOutput o;
    s.quit(o);
    QCOMPARE(o.toSend, QByteArray("QUIT\r\n"));
    QCOMPARE(eventsOf(o), QByteArray());
    QVERIFY(s.awaitingReply());
    o = feed(s, "221 2.0.0 Bye\r\n");
    QCOMPARE(eventsOf(o), QByteArray("Closed"));
    QVERIFY(s.closed());

    // Quit mid-transaction closes at once and ends the message temporarily.
    ClientSession t = readySession(kEhloPipelining);
    o = ClientOutput();
    t.sendMessage(message({"a@example.com"}), o);
    o = ClientOutput();
    t.quit(o);
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray("MessageDone Closed"));
    QVERIFY(o.events[0].result.temporary());
}

void TstClientSession::sendMessageWhenNotReady()
{
    ClientSession s("client.example");
    ClientOutput o;
    s.sendMessage(message({"a@example.com"}), o);
    QCOMPARE(o.toSend, QByteArray());
    QCOMPARE(eventsOf(o), QByteArray("MessageDone"));
    QVERIFY(o.events[0].result.temporary());
    QCOMPARE(o.events[0].result.rcpts.size(), 1);
    QCOMPARE(s.phase(), ClientPhase::Greeting); // unchanged
}

void TstClientSession::dotStuff_data()
{
    QTest::addColumn<QList<QByteArray>>("chunks");
    QTest::addColumn<QByteArray>("expected"); // stuffed content plus terminator
    QTest::newRow("plain") << QList<QByteArray>{"a\r\nb\r\n"} << QByteArray("a\r\nb\r\n.\r\n");
    QTest::newRow("empty") << QList<QByteArray>{} << QByteArray(".\r\n");
    QTest::newRow("lone dot line") << QList<QByteArray>{"line1\r\n.\r\nline3\r\n"}
                                   << QByteArray("line1\r\n..\r\nline3\r\n.\r\n");
    QTest::newRow("leading dot first line") << QList<QByteArray>{".hidden\r\n"} << QByteArray("..hidden\r\n.\r\n");
    QTest::newRow("dot mid-line untouched") << QList<QByteArray>{"a.b .\r\n"} << QByteArray("a.b .\r\n.\r\n");
    QTest::newRow("two dots") << QList<QByteArray>{"x\r\n..\r\n"} << QByteArray("x\r\n...\r\n.\r\n");
    QTest::newRow("no final CRLF") << QList<QByteArray>{"abc"} << QByteArray("abc\r\n.\r\n");
    QTest::newRow("ends with dot, no CRLF") << QList<QByteArray>{"abc\r\n."} << QByteArray("abc\r\n..\r\n.\r\n");
    QTest::newRow("ends with CR") << QList<QByteArray>{"abc\r"} << QByteArray("abc\r\n.\r\n");
    QTest::newRow("split CR|LF") << QList<QByteArray>{"a\r", "\n.b\r\n"} << QByteArray("a\r\n..b\r\n.\r\n");
    QTest::newRow("split LF|dot") << QList<QByteArray>{"a\r\n", ".b\r\n"} << QByteArray("a\r\n..b\r\n.\r\n");
    QTest::newRow("split dot|CRLF") << QList<QByteArray>{"a\r\n.", "\r\nb\r\n"} << QByteArray("a\r\n..\r\nb\r\n.\r\n");
    QTest::newRow("split CR|LF|dot") << QList<QByteArray>{"a\r", "\n", ".", "\r\n"} << QByteArray("a\r\n..\r\n.\r\n");
    QTest::newRow("bare LF normalized") << QList<QByteArray>{"a\n.b\nc"} << QByteArray("a\r\n..b\r\nc\r\n.\r\n");
    QTest::newRow("bare LF at chunk start") << QList<QByteArray>{"a", "\n.", "x\n"}
                                            << QByteArray("a\r\n..x\r\n.\r\n");
    QTest::newRow("smuggling attempt") << QList<QByteArray>{"a\r\n.\nMAIL FROM:<x>\r\n"}
                                       << QByteArray("a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n");
    QTest::newRow("empty chunks") << QList<QByteArray>{"", "a\r\n", "", ".", ""} << QByteArray("a\r\n..\r\n.\r\n");
}

void TstClientSession::dotStuff()
{
    QFETCH(QList<QByteArray>, chunks);
    QFETCH(QByteArray, expected);
    QCOMPARE(stuffAll(chunks), expected);
}

void TstClientSession::dotStuffEverySplit()
{
    const QByteArray content = ".a\r\n.\r\n..b\r\nc.d\r\n\r\n.\r\nlast.";
    const QByteArray expected = "..a\r\n..\r\n...b\r\nc.d\r\n\r\n..\r\nlast.\r\n.\r\n";
    QCOMPARE(stuffAll({content}), expected);
    for (int i = 0; i <= content.size(); ++i) {
        for (int j = i; j <= content.size(); ++j) {
            const QList<QByteArray> chunks{content.first(i), content.sliced(i, j - i), content.sliced(j)};
            QCOMPARE(stuffAll(chunks), expected);
        }
    }
    QList<QByteArray> bytes;
    for (char c : content)
        bytes.append(QByteArray(1, c));
    QCOMPARE(stuffAll(bytes), expected);

    // Appends to what is already in `out`.
    DotStuffState st;
    QByteArray out = "prefix";
    ClientSession::dotStuff(".x", st, out);
    QCOMPARE(out, QByteArray("prefix..x"));
}

QTEST_GUILESS_MAIN(TstClientSession)
#include "tst_clientsession.moc"

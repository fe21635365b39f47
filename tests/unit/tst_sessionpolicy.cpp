// The session's policy hooks (SessionConfig::policyChecks): MAIL and RCPT wait
// for the host's verdict, pipelined input is held and replayed in order, a
// refusal carries the limit's text and the rule into the reply and the log
// record, and content refusals replace the 250 after DATA. Also transcripts.
#include "smtp/serversession.h"

#include <QTest>

using namespace rd::smtp;

namespace {

SessionConfig policyConfig()
{
    SessionConfig c;
    c.hostname = QStringLiteral("mx.test");
    c.clientIp = QStringLiteral("192.0.2.7");
    c.relayAllowed = true;
    c.policyChecks = true;
    return c;
}

int countActions(const Output &out, ActionKind k)
{
    int n = 0;
    for (const Action &a : out.actions)
        n += a.kind == k ? 1 : 0;
    return n;
}

QByteArray firstData(const Output &out, ActionKind k)
{
    for (const Action &a : out.actions) {
        if (a.kind == k)
            return a.data;
    }
    return {};
}

ServerSession greeted(const SessionConfig &c)
{
    ServerSession s(c);
    Output out;
    s.start(out);
    out.clear();
    s.feed("EHLO client.test\r\n", out);
    return s;
}

PolicyVerdict refuse(ReplyId id, const QByteArray &text, const QByteArray &rule)
{
    PolicyVerdict v;
    v.reply = id;
    v.text = text;
    v.rule = rule;
    return v;
}

} // namespace

class TestSessionPolicy : public QObject {
    Q_OBJECT
private slots:
    void mailWaitsForTheVerdict()
    {
        ServerSession s = greeted(policyConfig());
        Output out;
        s.feed("MAIL FROM:<a@example.org>\r\n", out);
        QVERIFY(out.replies.isEmpty());
        QCOMPARE(countActions(out, ActionKind::CheckSender), 1);
        QCOMPARE(firstData(out, ActionKind::CheckSender), QByteArray("a@example.org"));
        QVERIFY(s.waitingForPolicy());
        out.clear();
        s.policyFinished({}, out);
        QCOMPARE(out.replies, QByteArray("250 2.1.0 Sender OK\r\n"));
        QVERIFY(!s.waitingForPolicy());
        QCOMPARE(s.envelope().mailFrom, QByteArray("a@example.org"));
    }

    void withoutPolicyChecksNothingWaits()
    {
        SessionConfig c = policyConfig();
        c.policyChecks = false;
        ServerSession s = greeted(c);
        Output out;
        s.feed("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n", out);
        QCOMPARE(out.replies, QByteArray("250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n"));
        QCOMPARE(countActions(out, ActionKind::CheckSender), 0);
        QCOMPARE(countActions(out, ActionKind::CheckRecipient), 0);
    }

    void pipelinedCommandsAreHeldAndReplayedInOrder()
    {
        ServerSession s = greeted(policyConfig());
        Output out;
        s.feed("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n", out);
        QCOMPARE(countActions(out, ActionKind::CheckSender), 1);
        QCOMPARE(countActions(out, ActionKind::CheckRecipient), 0); // held behind the MAIL
        out.clear();
        s.policyFinished({}, out);
        QCOMPARE(out.replies, QByteArray("250 2.1.0 Sender OK\r\n"));
        QCOMPARE(firstData(out, ActionKind::CheckRecipient), QByteArray("b@example.net"));
        out.clear();
        s.policyFinished(refuse(ReplyId::Greylisted, "try again in 300 seconds", "greylisting"), out);
        QCOMPARE(out.replies, QByteArray("450 4.7.1 Greylisted: try again in 300 seconds\r\n"));
        QCOMPARE(firstData(out, ActionKind::CheckRecipient), QByteArray("c@example.net"));
        QCOMPARE(out.rejections.size(), size_t(1));
        QCOMPARE(out.rejections.front().rule, QByteArray("greylisting"));
        QCOMPARE(out.rejections.front().command, QByteArray("RCPT TO:<b@example.net>"));
        out.clear();
        s.policyFinished({}, out);
        QVERIFY(out.replies.startsWith("250 2.1.5 Recipient OK\r\n354 "));
        QCOMPARE(countActions(out, ActionKind::BeginMessage), 1);
        QCOMPARE(s.envelope().rcptTo, QList<QByteArray>{QByteArray("c@example.net")});
    }

    void refusedMailLeavesNoTransaction()
    {
        ServerSession s = greeted(policyConfig());
        Output out;
        s.feed("MAIL FROM:<a@example.org>\r\n", out);
        out.clear();
        s.policyFinished(refuse(ReplyId::RateLimited, "client 192.0.2.7 sent 10 messages in the last minute",
                                "10 messages per minute per client IP"),
                         out);
        QCOMPARE(out.replies, QByteArray("451 4.7.1 Rate limit exceeded: client 192.0.2.7 sent 10 messages in the "
                                         "last minute\r\n"));
        out.clear();
        s.feed("RCPT TO:<b@example.net>\r\n", out);
        QVERIFY(out.replies.startsWith("503 5.5.1")); // no MAIL in force
        out.clear();
        s.feed("MAIL FROM:<a@example.org>\r\n", out);
        QCOMPARE(countActions(out, ActionKind::CheckSender), 1); // a new attempt is asked again
    }

    void permanentRefusalsCountAsErrors()
    {
        SessionConfig c = policyConfig();
        c.limits.maxErrors = 2;
        ServerSession s = greeted(c);
        Output out;
        s.feed("MAIL FROM:<a@example.org>\r\n", out);
        out.clear();
        s.policyFinished(refuse(ReplyId::DnsblListed, "client [192.0.2.7] blocked using bl.test", "bl.test"), out);
        QCOMPARE(out.replies, QByteArray("554 5.7.1 Service unavailable; client [192.0.2.7] blocked using bl.test\r\n"));
        out.clear();
        s.feed("MAIL FROM:<a@example.org>\r\n", out);
        out.clear();
        s.policyFinished(refuse(ReplyId::SenderRejected, "blocked by rule \"spammer\"", "spammer"), out);
        QVERIFY(out.replies.startsWith("550 5.7.1 Sender address rejected: blocked by rule \"spammer\"\r\n"));
        QVERIFY(out.replies.contains("421 4.7.0 Too many errors\r\n"));
        QCOMPARE(countActions(out, ActionKind::Close), 1);
        QVERIFY(s.closed());
    }

    void a421VerdictCloses()
    {
        ServerSession s = greeted(policyConfig());
        Output out;
        s.feed("MAIL FROM:<a@example.org>\r\nQUIT\r\n", out);
        out.clear();
        s.policyFinished(refuse(ReplyId::ConnectionRateLimited, "too many connections", "x"), out);
        QCOMPARE(out.replies, QByteArray("421 4.7.0 Rate limit exceeded: too many connections\r\n"));
        QCOMPARE(countActions(out, ActionKind::Close), 1);
        QVERIFY(s.closed());
    }

    void verdictWithoutWaitIsIgnored()
    {
        ServerSession s = greeted(policyConfig());
        Output out;
        s.policyFinished(refuse(ReplyId::RateLimited, "x", "y"), out);
        QVERIFY(out.replies.isEmpty());
        QVERIFY(out.actions.empty());
    }

    void contentRefusalReplacesThe250()
    {
        SessionConfig c = policyConfig();
        c.policyChecks = false;
        ServerSession s = greeted(c);
        Output out;
        s.feed("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n", out);
        QCOMPARE(countActions(out, ActionKind::EndMessage), 1);
        out.clear();
        CommitResult r;
        r.ok = false;
        r.policy = refuse(ReplyId::ContentRejected, "attachment \"run.exe\" is not allowed (rule \"executables\")",
                          "executables");
        s.commitFinished(r, out);
        QCOMPARE(out.replies, QByteArray("550 5.7.1 Message rejected: attachment \"run.exe\" is not allowed (rule "
                                         "\"executables\")\r\n"));
        QCOMPARE(out.rejections.front().rule, QByteArray("executables"));
        QCOMPARE(s.messagesAccepted(), 0);
        out.clear();
        s.feed("MAIL FROM:<a@example.org>\r\n", out);
        QCOMPARE(out.replies, QByteArray("250 2.1.0 Sender OK\r\n")); // the session goes on
    }

    void transcriptRedactsAuthAndSummarisesContent()
    {
        SessionConfig c = policyConfig();
        c.policyChecks = false;
        c.transcript = true;
        c.authAvailable = true;
        c.plaintextAuthAllowed = true;
        ServerSession s(c);
        Output out;
        s.start(out);
        s.feed("EHLO client.test\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", out);
        s.authFinished({AuthOutcome::Success, true}, out);
        s.feed("AUTH LOGIN\r\n", out); // 503: already authenticated
        s.feed("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nhello secret body\r\n.\r\n", out);
        const QByteArray t = out.transcript.join('\n');
        QVERIFY(t.startsWith("S: 220 mx.test ESMTP RelayDesk\nC: EHLO client.test\nS: 250-mx.test\n"));
        QVERIFY(t.contains("C: AUTH PLAIN [redacted]\nS: 235 2.7.0"));
        QVERIFY(!t.contains("AGFsaWNl"));
        QVERIFY(t.contains("C: MAIL FROM:<a@example.org>\nS: 250 2.1.0 Sender OK"));
        QVERIFY(t.contains("C: <message content, 19 octets>"));
        QVERIFY(!t.contains("secret body"));

        // AUTH LOGIN: the user name and password lines are redacted too.
        ServerSession s2(c);
        Output o2;
        s2.start(o2);
        s2.feed("EHLO client.test\r\nAUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\n", o2);
        const QByteArray t2 = o2.transcript.join('\n');
        QVERIFY(t2.contains("C: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: [AUTH response redacted]\nS: 334 UGFzc3dvcmQ6\n"
                            "C: [AUTH response redacted]"));
        QVERIFY(!t2.contains("YWxpY2U=") && !t2.contains("c2VjcmV0"));
    }

    void noTranscriptUnlessAsked()
    {
        SessionConfig c = policyConfig();
        c.policyChecks = false;
        ServerSession s(c);
        Output out;
        s.start(out);
        s.feed("EHLO client.test\r\nNOOP\r\n", out);
        QVERIFY(out.transcript.isEmpty());
    }
};

QTEST_APPLESS_MAIN(TestSessionPolicy)
#include "tst_sessionpolicy.moc"

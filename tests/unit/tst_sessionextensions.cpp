// CHUNKING/BDAT (RFC 3030), DSN parameters (RFC 3461) and SMTPUTF8 (RFC 6531).
#include "smtp/serversession.h"

#include <QTest>

using namespace rd::smtp;

namespace {

struct Session {
    ServerSession s;
    QByteArray content;   // MessageData received
    QList<ActionKind> kinds;
    explicit Session(SessionConfig c = relayConfig()) : s(std::move(c))
    {
        Output out;
        s.start(out);
    }
    static SessionConfig relayConfig()
    {
        SessionConfig c;
        c.hostname = QStringLiteral("mx.test");
        c.relayAllowed = true;
        c.limits.maxMessageSize = 1000;
        return c;
    }
    QByteArray feed(const QByteArray &in)
    {
        Output out;
        s.feed(in, out);
        for (const Action &a : out.actions) {
            kinds << a.kind;
            if (a.kind == ActionKind::MessageData)
                content += a.data;
        }
        return out.replies;
    }
    QByteArray commit()
    {
        Output out;
        s.commitFinished({true, true, QStringLiteral("Q1"), {}}, out);
        return out.replies;
    }
};

} // namespace

class TestSessionExtensions : public QObject {
    Q_OBJECT
private slots:
    void ehloAdvertises()
    {
        Session t;
        const QByteArray r = t.feed("EHLO c.test\r\n");
        QVERIFY(r.contains("250-SMTPUTF8\r\n"));
        QVERIFY(r.contains("250-DSN\r\n"));
        QVERIFY(r.contains("CHUNKING\r\n"));
    }

    void bdatChunksAreExactAndBinary()
    {
        Session t;
        t.feed("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n");
        // A chunk holding what would end DATA: BDAT content is counted, not parsed.
        const QByteArray part1 = "Subject: x\r\n\r\n.\r\nMAIL FROM:<evil@x>\r\n";
        QCOMPARE(t.feed("BDAT " + QByteArray::number(part1.size()) + "\r\n" + part1),
                 "250 2.0.0 " + QByteArray::number(part1.size()) + " octets received\r\n");
        QVERIFY(t.kinds.contains(ActionKind::BeginMessage));
        // The LAST chunk, split across feeds.
        const QByteArray part2 = QByteArray("binary \x00 NUL and \xff\r\n", 21);
        QCOMPARE(t.feed("BDAT " + QByteArray::number(part2.size()) + " LAST\r\n" + part2.left(5)), QByteArray());
        QCOMPARE(t.feed(part2.mid(5)), QByteArray());
        QVERIFY(t.kinds.contains(ActionKind::EndMessage));
        QVERIFY(t.s.waitingForCommit());
        QCOMPARE(t.commit(), QByteArray("250 2.0.0 Ok: queued as Q1\r\n"));
        QCOMPARE(t.content, part1 + part2);
        // A new transaction works.
        QCOMPARE(t.feed("MAIL FROM:<a@b.test>\r\n"), QByteArray("250 2.1.0 Sender OK\r\n"));
    }

    void bdatBareLineEndingsRefused_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<int>("split");
        QTest::newRow("bare LF") << QByteArray("a\n.\nMAIL FROM:<x@y>\r\n") << 0;
        QTest::newRow("bare CR") << QByteArray("a\r.\rMAIL FROM:<x@y>\r\n") << 0;
        QTest::newRow("CR at chunk end, no LF") << QByteArray("abc\rdef\r\n") << 4;
        QTest::newRow("ends in CR") << QByteArray("abc\r") << 0;
    }
    void bdatBareLineEndingsRefused()
    {
        QFETCH(QByteArray, content);
        QFETCH(int, split);
        Session t;
        t.feed("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n");
        QByteArray replies;
        if (split > 0) {
            replies += t.feed("BDAT " + QByteArray::number(split) + "\r\n" + content.left(split));
            replies += t.feed("BDAT " + QByteArray::number(content.size() - split) + " LAST\r\n" + content.mid(split));
        } else {
            replies += t.feed("BDAT " + QByteArray::number(content.size()) + " LAST\r\n" + content);
        }
        QVERIFY2(replies.endsWith("550 5.6.0 Message refused: bare CR or LF in message content\r\n"), replies.constData());
        QVERIFY(!t.kinds.contains(ActionKind::EndMessage));
        QVERIFY(!t.s.waitingForCommit());
    }

    void bdatPipelinedWithCommands()
    {
        Session t;
        const QByteArray r = t.feed("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nBDAT 3 LAST\r\nabcQUIT\r\n");
        QVERIFY(r.endsWith("250 2.1.5 Recipient OK\r\n"));
        QCOMPARE(t.commit(), QByteArray("250 2.0.0 Ok: queued as Q1\r\n221 2.0.0 Bye\r\n"));
        QCOMPARE(t.content, QByteArray("abc"));
    }

    void bdatErrors()
    {
        Session t;
        t.feed("EHLO c.test\r\n");
        // No MAIL: the chunk is read and dropped, then 503; the stream stays in sync.
        QCOMPARE(t.feed("BDAT 4\r\nNOOPNOOP\r\n"), QByteArray("503 5.5.1 Bad sequence of commands\r\n250 2.0.0 Ok\r\n"));
        t.feed("MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n");
        t.feed("BDAT 2\r\nab");
        // No DATA and no RCPT once BDAT began.
        QCOMPARE(t.feed("DATA\r\n"), QByteArray("503 5.5.1 Bad sequence of commands\r\n"));
        QCOMPARE(t.feed("RCPT TO:<e@f.test>\r\n"), QByteArray("503 5.5.1 Bad sequence of commands\r\n"));
        // RSET abandons the open message.
        QCOMPARE(t.feed("RSET\r\n"), QByteArray("250 2.0.0 Ok\r\n"));
        QVERIFY(t.kinds.contains(ActionKind::AbortMessage));
        // Over the size limit (1000): the chunk is consumed, 552 at its end, nothing committed.
        t.feed("MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n");
        QCOMPARE(t.feed("BDAT 1200 LAST\r\n" + QByteArray(1200, 'x')),
                 QByteArray("552 5.3.4 Message size exceeds fixed limit\r\n"));
        QVERIFY(!t.s.waitingForCommit());
        QCOMPARE(t.feed("NOOP\r\n"), QByteArray("250 2.0.0 Ok\r\n"));
        // A size that is not a number cannot be skipped: the session closes.
        QVERIFY(t.feed("BDAT x\r\n").contains("421"));
        QVERIFY(t.s.closed());
    }

    void dsnParameters_data()
    {
        QTest::addColumn<QByteArray>("mail");
        QTest::addColumn<QByteArray>("rcpt");
        QTest::addColumn<QByteArray>("expected");
        const QByteArray ok = "250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n";
        QTest::newRow("full") << QByteArray("RET=FULL ENVID=QQ314159") << QByteArray("NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+40c.test") << ok;
        QTest::newRow("hdrs never") << QByteArray("RET=hdrs") << QByteArray("NOTIFY=NEVER") << ok;
        QTest::newRow("bad ret") << QByteArray("RET=ALL") << QByteArray() << QByteArray("501 5.5.4 Invalid DSN parameter\r\n503 5.5.1 Bad sequence of commands\r\n");
        QTest::newRow("never plus") << QByteArray() << QByteArray("NOTIFY=NEVER,DELAY")
                                    << QByteArray("250 2.1.0 Sender OK\r\n501 5.5.4 Invalid DSN parameter\r\n");
        QTest::newRow("bad orcpt") << QByteArray() << QByteArray("ORCPT=b@c.test")
                                   << QByteArray("250 2.1.0 Sender OK\r\n501 5.5.4 Invalid DSN parameter\r\n");
        QTest::newRow("long envid") << QByteArray("ENVID=" + QByteArray(101, 'e')) << QByteArray()
                                   << QByteArray("501 5.5.4 Invalid DSN parameter\r\n503 5.5.1 Bad sequence of commands\r\n");
    }
    void dsnParameters()
    {
        QFETCH(QByteArray, mail);
        QFETCH(QByteArray, rcpt);
        QFETCH(QByteArray, expected);
        Session t;
        t.feed("EHLO c.test\r\n");
        QCOMPARE(t.feed("MAIL FROM:<a@b.test>" + (mail.isEmpty() ? QByteArray() : " " + mail) + "\r\nRCPT TO:<c@d.test>" +
                        (rcpt.isEmpty() ? QByteArray() : " " + rcpt) + "\r\n"),
                 expected);
        if (expected.startsWith("250 2.1.0") && expected.endsWith("Recipient OK\r\n")) {
            QCOMPARE(t.s.envelope().rcptParams.size(), 1);
            QCOMPARE(t.s.envelope().rcptParams.first().isEmpty(), rcpt.isEmpty());
        }
    }

    void smtpUtf8()
    {
        Session t;
        t.feed("EHLO c.test\r\n");
        // Without SMTPUTF8 a UTF-8 address is refused with 553 5.6.7.
        QCOMPARE(t.feed("MAIL FROM:<j\xc3\xb6rg@example.test>\r\n"),
                 QByteArray("553 5.6.7 Non-ASCII address requires the SMTPUTF8 extension\r\n"));
        QCOMPARE(t.feed("MAIL FROM:<j\xc3\xb6rg@example.test> SMTPUTF8\r\n"), QByteArray("250 2.1.0 Sender OK\r\n"));
        QCOMPARE(t.feed("RCPT TO:<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.test>\r\n"),
                 QByteArray("250 2.1.5 Recipient OK\r\n"));
        QCOMPARE(t.s.envelope().rcptTo.first(), QByteArray("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.test"));
        t.feed("RSET\r\nMAIL FROM:<a@b.test>\r\n");
        QCOMPARE(t.feed("RCPT TO:<\xc3\xbc@b.test>\r\n"),
                 QByteArray("553 5.6.7 Non-ASCII address requires the SMTPUTF8 extension\r\n"));
        // Malformed UTF-8 in a command is never interpreted.
        QCOMPARE(t.feed("RCPT TO:<\xc3@b.test>\r\n"), QByteArray("500 5.5.2 Invalid characters in command\r\n"));
    }
};

QTEST_APPLESS_MAIN(TestSessionExtensions)
#include "tst_sessionextensions.moc"

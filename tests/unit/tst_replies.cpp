// Unit tests for the SMTP reply table (core/smtp/replies.*).

#include "smtp/replies.h"

#include <QSet>
#include <QTest>

#include <cstring>

using namespace rd::smtp;

class TestReplies : public QObject {
    Q_OBJECT

private slots:
    void tableCoversEveryIdOnce();
    void codesAndEnhancedCodesAgree();
    void textsAreSafe();
    void formatReply_data();
    void formatReply();
    void extraIsSanitised();
    void multilineEhlo();
    void multilineWithoutLines();
    void multilineWithEnhancedCode();
};

void TestReplies::tableCoversEveryIdOnce()
{
    const auto specs = allReplySpecs();
    QCOMPARE(qsizetype(specs.size()), qsizetype(ReplyId::Count));
    QSet<int> seen;
    for (size_t i = 0; i < specs.size(); ++i) {
        const int id = int(specs[i].id);
        QVERIFY2(!seen.contains(id), qPrintable(QStringLiteral("duplicate ReplyId %1").arg(id)));
        seen.insert(id);
        QCOMPARE(id, int(i)); // replySpec() indexes the table by id
        QCOMPARE(int(replySpec(specs[i].id).id), id);
    }
}

void TestReplies::codesAndEnhancedCodesAgree()
{
    // Replies that RFC 2034 / RFC 5321 send without an enhanced status code.
    const QSet<ReplyId> withoutEsc = {ReplyId::Greeting, ReplyId::EhloOk, ReplyId::HeloOk, ReplyId::DataStart,
                                      ReplyId::AuthChallenge}; // 334 carries base64 (RFC 4954 4)
    for (const ReplySpec &spec : allReplySpecs()) {
        const QByteArray name = QByteArray::number(int(spec.id));
        QVERIFY2(spec.code >= 200 && spec.code <= 599, name.constData());
        QVERIFY2(spec.text && spec.text[0] != '\0', name.constData());
        QVERIFY2(spec.rfc && (std::strncmp(spec.rfc, "RFC ", 4) == 0), name.constData());
        const QByteArray esc = spec.enhanced;
        if (withoutEsc.contains(spec.id)) {
            QVERIFY2(esc.isEmpty(), name.constData());
            continue;
        }
        QVERIFY2(!esc.isEmpty(), name.constData());
        // class.subject.detail, class == first digit of the basic code (2, 4 or 5).
        const QList<QByteArray> parts = esc.split('.');
        QCOMPARE(parts.size(), 3);
        bool ok1 = false, ok2 = false, ok3 = false;
        const int cls = parts[0].toInt(&ok1);
        parts[1].toInt(&ok2);
        parts[2].toInt(&ok3);
        QVERIFY2(ok1 && ok2 && ok3, name.constData());
        QVERIFY2(cls == 2 || cls == 4 || cls == 5, name.constData());
        QVERIFY2(cls == spec.code / 100, (name + " " + esc).constData());
    }
}

void TestReplies::textsAreSafe()
{
    for (const ReplySpec &spec : allReplySpecs()) {
        const QByteArray text = spec.text;
        QVERIFY2(!text.contains('\r') && !text.contains('\n'), text.constData());
        QVERIFY2(text.count("%1") <= 1, text.constData());
        QVERIFY2(!text.contains("%2"), text.constData());
        const QByteArray line = rd::smtp::formatReply(spec.id, "x");
        QVERIFY2(line.size() <= 512, text.constData()); // RFC 5321 4.5.3.1.5
    }
}

void TestReplies::formatReply_data()
{
    QTest::addColumn<int>("id");
    QTest::addColumn<QByteArray>("extra");
    QTest::addColumn<QByteArray>("expected");

    auto row = [](const char *name, ReplyId id, QByteArray extra, QByteArray expected) {
        QTest::newRow(name) << int(id) << extra << expected;
    };
    row("greeting", ReplyId::Greeting, "mx.example.test", "220 mx.example.test ESMTP RelayDesk\r\n");
    row("helo", ReplyId::HeloOk, "mx.example.test", "250 mx.example.test\r\n");
    row("mail", ReplyId::MailOk, {}, "250 2.1.0 Sender OK\r\n");
    row("rcpt", ReplyId::RcptOk, {}, "250 2.1.5 Recipient OK\r\n");
    row("data", ReplyId::DataStart, {}, "354 End data with <CR><LF>.<CR><LF>\r\n");
    row("queued", ReplyId::MessageQueued, "ABC123", "250 2.0.0 Ok: queued as ABC123\r\n");
    row("bye", ReplyId::Bye, {}, "221 2.0.0 Bye\r\n");
    row("badseq", ReplyId::BadSequence, {}, "503 5.5.1 Bad sequence of commands\r\n");
    row("relay", ReplyId::RelayDenied, {}, "554 5.7.1 Relay access denied\r\n");
    row("bare", ReplyId::BareLineEnding, {},
        "550 5.6.0 Message refused: bare CR or LF in message content\r\n");
    row("timeout", ReplyId::Timeout, "mx", "421 4.4.2 mx Error: timeout exceeded\r\n");
    row("extra ignored", ReplyId::NoopOk, "unused", "250 2.0.0 Ok\r\n");
    row("helo syntax", ReplyId::HeloSyntax, "EHLO", "501 5.5.4 Syntax: EHLO hostname\r\n");
    row("empty extra", ReplyId::MessageQueued, {}, "250 2.0.0 Ok: queued as \r\n");
}

void TestReplies::formatReply()
{
    QFETCH(int, id);
    QFETCH(QByteArray, extra);
    QFETCH(QByteArray, expected);
    QCOMPARE(rd::smtp::formatReply(ReplyId(id), extra), expected);
    QByteArray appended = "prefix";
    appendReply(appended, ReplyId(id), extra);
    QCOMPARE(appended, "prefix" + expected);
}

void TestReplies::extraIsSanitised()
{
    // A host name or queue id must never inject a second reply line.
    QCOMPARE(rd::smtp::formatReply(ReplyId::Greeting, QByteArrayView("evil\r\n250 ok", 12)),
             QByteArray("220 evil??250 ok ESMTP RelayDesk\r\n"));
    QCOMPARE(rd::smtp::formatReply(ReplyId::MessageQueued, QByteArrayView("a\0b", 3)),
             QByteArray("250 2.0.0 Ok: queued as a?b\r\n"));
}

void TestReplies::multilineEhlo()
{
    const QByteArray reply = formatMultilineReply(ReplyId::EhloOk, "mx.example.test",
                                                  {"PIPELINING", "SIZE 1000", "ENHANCEDSTATUSCODES"});
    QCOMPARE(reply, QByteArray("250-mx.example.test\r\n"
                               "250-PIPELINING\r\n"
                               "250-SIZE 1000\r\n"
                               "250 ENHANCEDSTATUSCODES\r\n"));
}

void TestReplies::multilineWithoutLines()
{
    QCOMPARE(formatMultilineReply(ReplyId::EhloOk, "mx", {}), QByteArray("250 mx\r\n"));
}

void TestReplies::multilineWithEnhancedCode()
{
    QCOMPARE(formatMultilineReply(ReplyId::Help, {}, {"more"}),
             QByteArray("214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP\r\n"
                        "214 2.0.0 more\r\n"));
}

QTEST_APPLESS_MAIN(TestReplies)
#include "tst_replies.moc"

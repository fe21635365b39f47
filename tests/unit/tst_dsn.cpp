// Unit tests for delivery status notifications (core/delivery/dsn.*): status
// derivation, NOTIFY handling, the report structure, and an independent check
// of the generated messages by Python's email package (dsn_check.py).

#include "delivery/dsn.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QProcess>
#include <QTemporaryFile>
#include <QTest>

using namespace rd::delivery;

Q_DECLARE_METATYPE(rd::delivery::DsnAction)

namespace {

const QByteArray kOriginalHeaders = "Received: from client.example.org (client.example.org [192.0.2.7])\r\n"
                                    "\tby relay.example.net (RelayDesk) with ESMTP id Q1ABC\r\n"
                                    "From: Alice <alice@example.org>\r\n"
                                    "To: Bob <bob@example.com>\r\n"
                                    "Subject: Quarterly figures\r\n"
                                    "Message-ID: <orig-1@example.org>\r\n"
                                    "Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n";
const QByteArray kOriginalBody = "Hello Bob,\r\n\r\nthe figures are attached.\r\nBODY-MARKER\r\n";

QDateTime utc(int y, int mo, int d, int h, int mi, int s)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s), Qt::UTC);
}

DsnRecipient failedRcpt(const QByteArray &address, const QString &reply)
{
    DsnRecipient r;
    r.address = address;
    r.action = DsnAction::Failed;
    r.remoteMta = QStringLiteral("mx.example.com");
    r.reply = reply;
    r.lastAttempt = utc(2024, 1, 2, 15, 4, 5);
    return r;
}

DsnRequest baseRequest()
{
    DsnRequest req;
    req.reportingMta = QStringLiteral("relay.example.net");
    req.date = utc(2024, 1, 2, 15, 4, 5);
    req.dsnQueueId = QStringLiteral("Q2DSN");
    req.sender = "alice@example.org";
    req.queueId = QStringLiteral("Q1ABC");
    req.arrivalDate = utc(2024, 1, 1, 10, 0, 1);
    req.clientIp = QStringLiteral("192.0.2.7");
    req.clientHelo = QStringLiteral("client.example.org");
    req.original = kOriginalHeaders + "\r\n" + kOriginalBody;
    req.recipients << failedRcpt("bob@example.com", QStringLiteral("550 5.1.1 <bob@example.com>: user unknown"));
    return req;
}

// The body of the MIME part whose Content-Type line starts with `type`.
QByteArray partBody(const DsnMessage &m, const QByteArray &type)
{
    const QByteArray delimiter = "\r\n--" + m.boundary;
    const qsizetype at = m.content.indexOf("Content-Type: " + type);
    if (at < 0)
        return {};
    const qsizetype start = m.content.indexOf("\r\n\r\n", at) + 4;
    const qsizetype end = m.content.indexOf(delimiter, start - 2); // the CRLF belongs to the delimiter
    return end < start ? QByteArray() : m.content.mid(start, end - start);
}

// No bare CR or LF; no line above 998 octets (RFC 5322 2.1.1).
bool wellFormedLines(const QByteArray &content, QByteArray *why)
{
    if (!content.endsWith("\r\n")) {
        *why = "no final CRLF";
        return false;
    }
    qsizetype lineStart = 0;
    for (qsizetype i = 0; i < content.size(); ++i) {
        const char c = content[i];
        if (c == '\r' && (i + 1 >= content.size() || content[i + 1] != '\n')) {
            *why = "bare CR at " + QByteArray::number(i);
            return false;
        }
        if (c == '\n') {
            if (i == 0 || content[i - 1] != '\r') {
                *why = "bare LF at " + QByteArray::number(i);
                return false;
            }
            if (i - 1 - lineStart > 998) {
                *why = "line of " + QByteArray::number(i - 1 - lineStart) + " octets";
                return false;
            }
            lineStart = i + 1;
        }
    }
    return true;
}

// Unfolds the field `name` of a header block (RFC 5322 2.2.3).
QByteArray unfoldedField(const QByteArray &block, const QByteArray &name)
{
    const qsizetype at = block.indexOf("\r\n" + name + ": ");
    if (at < 0)
        return {};
    qsizetype end = at + 2;
    do {
        end = block.indexOf("\r\n", end) + 2;
    } while (end < block.size() && (block[end] == ' ' || block[end] == '\t'));
    QByteArray field = block.mid(at + 2 + name.size() + 2, end - 2 - (at + 2 + name.size() + 2));
    return field.replace("\r\n", "");
}

} // namespace

class TestDsn : public QObject {
    Q_OBJECT

private slots:
    void status_data();
    void status();
    void parseParams();
    void notify_data();
    void notify();
    void neverToNullSender();
    void failedStructure();
    void delayedStructure();
    void retFullVsHeaders();
    void largeOriginalFallsBackToHeaders();
    void boundaryNotInContent();
    void longDiagnosticFolded();
    void bareLineEndsNormalised();
    void englishDatesInAnyLocale();
    void utf8Addresses();
    void oracle_data();
    void oracle();
};

void TestDsn::status_data()
{
    QTest::addColumn<DsnAction>("action");
    QTest::addColumn<bool>("expired");
    QTest::addColumn<QString>("reply");
    QTest::addColumn<QByteArray>("given");
    QTest::addColumn<QByteArray>("expected");
    const DsnAction F = DsnAction::Failed, D = DsnAction::Delayed;
    QTest::newRow("enhanced code") << F << false << QStringLiteral("550 5.1.1 <x>: user unknown") << QByteArray() << QByteArray("5.1.1");
    QTest::newRow("no enhanced code") << F << false << QStringLiteral("554 no code") << QByteArray() << QByteArray("5.0.0");
    QTest::newRow("no reply, failed") << F << false << QString() << QByteArray() << QByteArray("5.0.0");
    QTest::newRow("no reply, delayed") << D << false << QString() << QByteArray() << QByteArray("4.0.0");
    QTest::newRow("delayed with code") << D << false << QStringLiteral("451 4.3.0 try later") << QByteArray() << QByteArray("4.3.0");
    QTest::newRow("delayed, 4xx only") << D << false << QStringLiteral("421 busy") << QByteArray() << QByteArray("4.0.0");
    QTest::newRow("delayed ignores 5xx") << D << false << QStringLiteral("550 5.1.1 x") << QByteArray() << QByteArray("4.0.0");
    QTest::newRow("expired, no reply") << F << true << QString() << QByteArray() << QByteArray("4.4.7");
    QTest::newRow("expired, basic code") << F << true << QStringLiteral("451 try later") << QByteArray() << QByteArray("4.4.7");
    QTest::newRow("expired, enhanced code") << F << true << QStringLiteral("421 4.4.2 timeout") << QByteArray() << QByteArray("4.4.2");
    QTest::newRow("class mismatch ignored") << F << false << QStringLiteral("550 4.1.1 odd") << QByteArray() << QByteArray("5.0.0");
    QTest::newRow("multi-line reply") << F << false << QStringLiteral("550-5.7.1 first\r\n550 5.7.1 second") << QByteArray() << QByteArray("5.7.1");
    QTest::newRow("local error text") << F << false << QStringLiteral("connection refused") << QByteArray() << QByteArray("5.0.0");
    QTest::newRow("explicit status") << F << false << QStringLiteral("550 5.1.1 x") << QByteArray("5.2.2") << QByteArray("5.2.2");
    QTest::newRow("invalid explicit status") << F << false << QStringLiteral("550 5.1.1 x") << QByteArray("9.9.9") << QByteArray("5.1.1");
    QTest::newRow("delivered") << DsnAction::Delivered << false << QStringLiteral("250 2.0.0 ok") << QByteArray() << QByteArray("2.0.0");
}

void TestDsn::status()
{
    QFETCH(DsnAction, action);
    QFETCH(bool, expired);
    QFETCH(QString, reply);
    QFETCH(QByteArray, given);
    QFETCH(QByteArray, expected);
    DsnRecipient r;
    r.address = "x@example.com";
    r.action = action;
    r.expired = expired;
    r.reply = reply;
    r.status = given;
    QCOMPARE(dsnStatus(r), expected);
}

void TestDsn::parseParams()
{
    const MailDsnParams m = parseMailDsnParams("BODY=8BITMIME ret=hdrs ENVID=abc+2Bdef SMTPUTF8");
    QCOMPARE(m.ret, DsnRet::Headers);
    QCOMPARE(m.envid, QByteArray("abc+2Bdef"));
    QVERIFY(m.eightBitMime);
    QVERIFY(m.smtpUtf8);
    QCOMPARE(parseMailDsnParams("RET=FULL").ret, DsnRet::Full);
    QCOMPARE(parseMailDsnParams("").ret, DsnRet::Unspecified);
    QVERIFY(parseMailDsnParams("ENVID=a=b").envid.isEmpty()); // not xtext: dropped
    QVERIFY(!parseMailDsnParams("BODY=7BIT").eightBitMime);

    const RcptDsnParams r = parseRcptDsnParams("NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob+2Bx@example.com");
    QVERIFY(r.notifyGiven);
    QVERIFY(r.failure && r.delay && !r.success && !r.never);
    QCOMPARE(r.orcpt, QByteArray("rfc822;bob+2Bx@example.com"));
    QVERIFY(!parseRcptDsnParams("").notifyGiven);
    QVERIFY(parseRcptDsnParams("ORCPT=nosemicolon").orcpt.isEmpty());
    QVERIFY(parseRcptDsnParams("notify=never").never);
}

void TestDsn::notify_data()
{
    QTest::addColumn<QByteArray>("params");
    QTest::addColumn<DsnAction>("action");
    QTest::addColumn<bool>("wanted");
    const DsnAction F = DsnAction::Failed, D = DsnAction::Delayed, S = DsnAction::Delivered;
    QTest::newRow("absent, failed") << QByteArray() << F << true;
    QTest::newRow("absent, delayed") << QByteArray() << D << true;
    QTest::newRow("absent, delivered") << QByteArray() << S << false;
    QTest::newRow("orcpt only, failed") << QByteArray("ORCPT=rfc822;a@b") << F << true;
    QTest::newRow("never, failed") << QByteArray("NOTIFY=NEVER") << F << false;
    QTest::newRow("never, delayed") << QByteArray("NOTIFY=NEVER ORCPT=rfc822;a@b") << D << false;
    QTest::newRow("failure, failed") << QByteArray("NOTIFY=FAILURE") << F << true;
    QTest::newRow("failure, delayed") << QByteArray("NOTIFY=FAILURE") << D << false;
    QTest::newRow("delay, failed") << QByteArray("NOTIFY=DELAY") << F << false;
    QTest::newRow("delay, delayed") << QByteArray("NOTIFY=DELAY") << D << true;
    QTest::newRow("success, failed") << QByteArray("NOTIFY=SUCCESS") << F << false;
    QTest::newRow("success, delivered") << QByteArray("NOTIFY=SUCCESS") << S << true;
    QTest::newRow("lower case list") << QByteArray("notify=success,failure") << F << true;
    QTest::newRow("all, delayed") << QByteArray("NOTIFY=SUCCESS,FAILURE,DELAY") << D << true;
}

void TestDsn::notify()
{
    QFETCH(QByteArray, params);
    QFETCH(DsnAction, action);
    QFETCH(bool, wanted);
    QCOMPARE(wantsDsn(params, action), wanted);
    QCOMPARE(shouldSendDsn("alice@example.org", params, action), wanted);
}

void TestDsn::neverToNullSender()
{
    QVERIFY(!shouldSendDsn("", "", DsnAction::Failed));
    QVERIFY(!shouldSendDsn("", "NOTIFY=FAILURE,DELAY", DsnAction::Failed));
    QVERIFY(!shouldSendDsn("", "", DsnAction::Delayed));
    QVERIFY(shouldSendDsn("alice@example.org", "", DsnAction::Failed));
}

void TestDsn::failedStructure()
{
    DsnRequest req = baseRequest();
    req.mail = parseMailDsnParams("BODY=8BITMIME ENVID=env+2B1");
    req.recipients[0].orcpt = parseRcptDsnParams("NOTIFY=FAILURE ORCPT=rfc822;Bob@example.com").orcpt;
    DsnRecipient local = failedRcpt("carol@example.com", QStringLiteral("connection refused"));
    local.replyIsLocal = true;
    local.remoteMta.clear();
    req.recipients << local;
    const DsnMessage m = buildDsn(req);
    const QByteArray &c = m.content;

    QVERIFY(c.startsWith("From: Mail Delivery System <MAILER-DAEMON@relay.example.net>\r\n"));
    QVERIFY(c.contains("\r\nTo: <alice@example.org>\r\n"));
    QVERIFY(c.contains("\r\nSubject: Undelivered Mail Returned to Sender\r\n"));
    QVERIFY(c.contains("\r\nDate: Tue, 02 Jan 2024 15:04:05 +0000\r\n"));
    QVERIFY(c.contains("\r\nMessage-ID: <20240102150405.Q2DSN@relay.example.net>\r\n"));
    QVERIFY(c.contains("\r\nMIME-Version: 1.0\r\n"));
    QVERIFY(c.contains("\r\nAuto-Submitted: auto-replied\r\n"));
    QVERIFY(c.contains("\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\""
                       + m.boundary + "\"\r\n"));
    QCOMPARE(m.boundary, QByteArray("RD-DSN.Q2DSN.1"));
    QCOMPARE(c.count("\r\n--" + m.boundary + "\r\n"), 3);
    QVERIFY(c.endsWith("\r\n--" + m.boundary + "--\r\n"));
    QVERIFY(!m.eightBit);
    QVERIFY(!m.smtpUtf8);
    QVERIFY(!m.fullMessage);
    QVERIFY(!m.truncated);

    const QByteArray text = partBody(m, "text/plain");
    QVERIFY(text.contains("<bob@example.com>: delivery failed permanently (status 5.1.1)"));
    QVERIFY(text.contains("Host mx.example.com said: 550 5.1.1 <bob@example.com>: user unknown"));
    QVERIFY(text.contains("Error: connection refused"));
    QVERIFY(text.contains("Queue ID: Q1ABC"));

    const QByteArray report = partBody(m, "message/delivery-status");
    const QList<QByteArray> blocks = report.split('\n'); // line count sanity only
    QVERIFY(blocks.size() > 10);
    const QByteArray expected = "Reporting-MTA: dns; relay.example.net\r\n"
                                "X-RelayDesk-Queue-ID: Q1ABC\r\n"
                                "X-RelayDesk-Sender: rfc822; alice@example.org\r\n"
                                "Original-Envelope-Id: env+2B1\r\n"
                                "Received-From-MTA: dns; client.example.org (192.0.2.7)\r\n"
                                "Arrival-Date: Mon, 01 Jan 2024 10:00:01 +0000\r\n"
                                "\r\n"
                                "Original-Recipient: rfc822;Bob@example.com\r\n"
                                "Final-Recipient: rfc822; bob@example.com\r\n"
                                "Action: failed\r\n"
                                "Status: 5.1.1\r\n"
                                "Remote-MTA: dns; mx.example.com\r\n"
                                "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: user unknown\r\n"
                                "Last-Attempt-Date: Tue, 02 Jan 2024 15:04:05 +0000\r\n"
                                "\r\n"
                                "Final-Recipient: rfc822; carol@example.com\r\n"
                                "Action: failed\r\n"
                                "Status: 5.0.0\r\n"
                                "Diagnostic-Code: X-RelayDesk; connection refused\r\n"
                                "Last-Attempt-Date: Tue, 02 Jan 2024 15:04:05 +0000\r\n";
    QCOMPARE(report, expected);
    QCOMPARE(partBody(m, "text/rfc822-headers"), kOriginalHeaders);
}

void TestDsn::delayedStructure()
{
    DsnRequest req = baseRequest();
    DsnRecipient &r = req.recipients[0];
    r.action = DsnAction::Delayed;
    r.reply = QStringLiteral("451 4.3.0 mailbox busy");
    r.willRetryUntil = utc(2024, 1, 6, 10, 0, 1);
    const DsnMessage m = buildDsn(req);
    QVERIFY(m.content.contains("\r\nSubject: Delayed Mail (still being retried)\r\n"));
    const QByteArray report = partBody(m, "message/delivery-status");
    QVERIFY(report.contains("\r\nAction: delayed\r\nStatus: 4.3.0\r\n"));
    QVERIFY(report.contains("\r\nWill-Retry-Until: Sat, 06 Jan 2024 10:00:01 +0000\r\n"));
    const QByteArray text = partBody(m, "text/plain").replace("\r\n", " ");
    QVERIFY(text.contains("THIS IS A WARNING ONLY"));
    QVERIFY(text.contains("no action is needed"));
    QVERIFY(text.contains("until Sat, 06 Jan 2024 10:00:01 +0000"));
    QVERIFY(partBody(m, "text/rfc822-headers").contains("Message-ID: <orig-1@example.org>"));

    // A failure among delayed recipients makes it a bounce.
    req.recipients << failedRcpt("carol@example.com", QStringLiteral("550 5.1.1 no"));
    QVERIFY(buildDsn(req).content.contains("\r\nSubject: Undelivered Mail Returned to Sender\r\n"));
}

void TestDsn::retFullVsHeaders()
{
    DsnRequest req = baseRequest();
    req.mail.ret = DsnRet::Full;
    DsnMessage m = buildDsn(req);
    QVERIFY(m.fullMessage);
    QVERIFY(!m.truncated);
    QCOMPARE(partBody(m, "message/rfc822"), req.original);
    QVERIFY(!m.content.contains("text/rfc822-headers"));

    req.mail.ret = DsnRet::Headers;
    m = buildDsn(req);
    QVERIFY(!m.fullMessage);
    QVERIFY(!m.content.contains("BODY-MARKER"));
    QCOMPARE(partBody(m, "text/rfc822-headers"), kOriginalHeaders);

    req.mail.ret = DsnRet::Unspecified; // default: headers only
    m = buildDsn(req);
    QVERIFY(!m.content.contains("BODY-MARKER"));
    QVERIFY(m.content.contains("Content-Type: text/rfc822-headers\r\n"));

    // 8-bit body returned in full: the part says 8bit, so does the message.
    req.mail = parseMailDsnParams("RET=FULL BODY=8BITMIME");
    req.original = kOriginalHeaders + "\r\nGr\xc3\xbc\xc3\x9f" "e\r\n";
    m = buildDsn(req);
    QVERIFY(m.eightBit);
    QVERIFY(m.content.contains("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n"));
}

void TestDsn::largeOriginalFallsBackToHeaders()
{
    DsnRequest req = baseRequest();
    req.mail.ret = DsnRet::Full;
    QByteArray body;
    while (body.size() <= 300 * 1024)
        body += QByteArray(76, 'x') + "\r\n";
    req.original = kOriginalHeaders + "\r\n" + body;
    const DsnMessage m = buildDsn(req);
    QVERIFY(!m.fullMessage);
    QVERIFY(m.truncated);
    QCOMPARE(partBody(m, "text/rfc822-headers"), kOriginalHeaders);
    QVERIFY(m.content.size() < 8 * 1024);
    QVERIFY(QByteArray(partBody(m, "text/plain")).replace("\r\n", " ").contains("larger than 256 KiB"));
}

void TestDsn::boundaryNotInContent()
{
    DsnRequest req = baseRequest();
    req.mail.ret = DsnRet::Full;
    req.original = kOriginalHeaders + "X-Trap: RD-DSN.Q2DSN.1\r\n\r\n--RD-DSN.Q2DSN.2\r\nRD-DSN.Q2DSN.3--\r\n";
    const DsnMessage m = buildDsn(req);
    QCOMPARE(m.boundary, QByteArray("RD-DSN.Q2DSN.4"));
    QCOMPARE(m.content.count(m.boundary), 5); // Content-Type, three delimiters, the close
    QCOMPARE(partBody(m, "message/rfc822"), req.original);
}

void TestDsn::longDiagnosticFolded()
{
    DsnRequest req = baseRequest();
    QString reply = QStringLiteral("550-5.7.1 Message rejected\r\n550 5.7.1");
    for (int i = 0; i < 200; ++i)
        reply += QStringLiteral(" word%1").arg(i);
    reply += QLatin1Char(' ') + QString(2500, QLatin1Char('z')); // an unbreakable run
    req.recipients[0].reply = reply;
    const DsnMessage m = buildDsn(req);
    QByteArray why;
    QVERIFY2(wellFormedLines(m.content, &why), why.constData());
    const QByteArray report = partBody(m, "message/delivery-status");
    QVERIFY(report.contains("\r\nStatus: 5.7.1\r\n"));
    const QByteArray diag = unfoldedField("\r\n" + report, "Diagnostic-Code");
    QVERIFY(diag.startsWith("smtp; 550-5.7.1 Message rejected 550 5.7.1 word0 word1 word2"));
    QVERIFY(diag.contains(" word198 word199 zzz"));
    QCOMPARE(QByteArray(diag).replace(' ', "").count('z'), 2500);
    // Continuation lines only where words allowed: the words part stays within 78 octets.
    for (const QByteArray &line : report.split('\n')) {
        if (line.contains("word"))
            QVERIFY2(line.size() <= 79, line.constData());
    }
}

void TestDsn::bareLineEndsNormalised()
{
    DsnRequest req = baseRequest();
    req.mail.ret = DsnRet::Full;
    req.original = "Message-ID: <lf@example.org>\nSubject: bare\r\r\nbody\nline\rend";
    req.recipients[0].reply = QStringLiteral("550 5.1.1 bad\nreply\r\nhere");
    const DsnMessage m = buildDsn(req);
    QByteArray why;
    QVERIFY2(wellFormedLines(m.content, &why), why.constData());
    QCOMPARE(partBody(m, "message/rfc822"),
             QByteArray("Message-ID: <lf@example.org>\r\nSubject: bare\r\n\r\nbody\r\nline\r\nend\r\n"));
    QVERIFY(m.content.contains("Diagnostic-Code: smtp; 550 5.1.1 bad reply here\r\n"));
}

void TestDsn::englishDatesInAnyLocale()
{
    const QLocale before;
    QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
    const QByteArray d = rfc5322Date(QDateTime(QDate(2024, 3, 5), QTime(7, 8, 9), Qt::UTC));
    const QByteArray shifted = rfc5322Date(QDateTime(QDate(2024, 3, 5), QTime(1, 0, 0), Qt::OffsetFromUTC, -7200));
    const DsnMessage m = buildDsn(baseRequest());
    QLocale::setDefault(before);
    QCOMPARE(d, QByteArray("Tue, 05 Mar 2024 07:08:09 +0000"));
    QCOMPARE(shifted, QByteArray("Tue, 05 Mar 2024 03:00:00 +0000"));
    QVERIFY(m.content.contains("\r\nDate: Tue, 02 Jan 2024 15:04:05 +0000\r\n"));
}

void TestDsn::utf8Addresses()
{
    DsnRequest req = baseRequest();
    req.sender = "j\xc3\xb6rg@example.org";
    req.mail = parseMailDsnParams("SMTPUTF8 BODY=8BITMIME");
    req.original = "Subject: Gr\xc3\xbc\xc3\x9f" "e\r\nMessage-ID: <u8@example.org>\r\n\r\nhi\r\n";
    req.recipients[0].address = "m\xc3\xbcller+x@example.com";
    const DsnMessage m = buildDsn(req);
    QVERIFY(m.eightBit);
    QVERIFY(m.smtpUtf8);
    const QByteArray report = partBody(m, "message/global-delivery-status");
    QVERIFY(report.contains("\r\nFinal-Recipient: utf-8; m\xc3\xbcller\\x{2B}x@example.com\r\n"));
    QVERIFY(report.contains("\r\nX-RelayDesk-Sender: utf-8; j\xc3\xb6rg@example.org\r\n"));
    QVERIFY(m.content.contains("Content-Type: message/global-delivery-status\r\nContent-Transfer-Encoding: 8bit\r\n"));
    QVERIFY(m.content.contains("Content-Type: message/global-headers\r\nContent-Transfer-Encoding: 8bit\r\n"));
    QVERIFY(m.content.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"));
}

void TestDsn::oracle_data()
{
    QTest::addColumn<int>("scenario");
    QTest::newRow("failed, headers") << 0;
    QTest::newRow("delayed") << 1;
    QTest::newRow("full message") << 2;
    QTest::newRow("too large for full") << 3;
    QTest::newRow("utf-8") << 4;
    QTest::newRow("long diagnostic, two recipients") << 5;
}

void TestDsn::oracle()
{
    QFETCH(int, scenario);
    const QString script = QFINDTESTDATA("dsn_check.py");
    QVERIFY2(!script.isEmpty(), "dsn_check.py not found next to tst_dsn.cpp");
    if (!QFile::exists(QStringLiteral("/usr/bin/python3")))
        QSKIP("no /usr/bin/python3");

    DsnRequest req = baseRequest();
    QJsonObject expect{{QStringLiteral("to"), QStringLiteral("alice@example.org")},
                       {QStringLiteral("subject"), QStringLiteral("Undelivered Mail Returned to Sender")},
                       {QStringLiteral("message_id"), QStringLiteral("<orig-1@example.org>")},
                       {QStringLiteral("part3"), QStringLiteral("text/rfc822-headers")}};
    QJsonArray rcpts{QJsonObject{{QStringLiteral("final"), QStringLiteral("rfc822; bob@example.com")},
                                 {QStringLiteral("action"), QStringLiteral("failed")},
                                 {QStringLiteral("status"), QStringLiteral("5.1.1")},
                                 {QStringLiteral("remote_mta"), QStringLiteral("dns; mx.example.com")},
                                 {QStringLiteral("diagnostic"),
                                  QStringLiteral("smtp; 550 5.1.1 <bob@example.com>: user unknown")}}};
    switch (scenario) {
    case 0:
        req.mail = parseMailDsnParams("RET=HDRS ENVID=abc+2B1");
        req.recipients[0].orcpt = "rfc822;bob@example.com";
        expect[QStringLiteral("envid")] = QStringLiteral("abc+2B1");
        rcpts[0] = [&] {
            QJsonObject o = rcpts[0].toObject();
            o[QStringLiteral("original")] = QStringLiteral("rfc822;bob@example.com");
            return o;
        }();
        break;
    case 1: {
        DsnRecipient &r = req.recipients[0];
        r.action = DsnAction::Delayed;
        r.reply = QStringLiteral("451 4.3.0 mailbox busy");
        r.willRetryUntil = utc(2024, 1, 6, 10, 0, 1);
        expect[QStringLiteral("subject")] = QStringLiteral("Delayed Mail (still being retried)");
        rcpts = QJsonArray{QJsonObject{{QStringLiteral("final"), QStringLiteral("rfc822; bob@example.com")},
                                       {QStringLiteral("action"), QStringLiteral("delayed")},
                                       {QStringLiteral("status"), QStringLiteral("4.3.0")}}};
        break;
    }
    case 2:
        req.mail.ret = DsnRet::Full;
        expect[QStringLiteral("part3")] = QStringLiteral("message/rfc822");
        break;
    case 3:
        req.mail.ret = DsnRet::Full;
        req.original += QByteArray(300 * 1024, 'b').replace(QByteArray(77, 'b'), QByteArray(75, 'b') + "\r\n");
        break;
    case 4:
        req.mail = parseMailDsnParams("SMTPUTF8 BODY=8BITMIME RET=FULL");
        req.original = "Subject: Gr\xc3\xbc\xc3\x9f" "e\r\nMessage-ID: <orig-1@example.org>\r\n\r\nh\xc3\xa9\r\n";
        req.recipients[0].address = "m\xc3\xbcller@example.com";
        req.recipients[0].reply = QStringLiteral("550 5.1.1 unknown");
        expect[QStringLiteral("part3")] = QStringLiteral("message/global");
        expect[QStringLiteral("report_type")] = QStringLiteral("message/global-delivery-status");
        rcpts = QJsonArray{QJsonObject{{QStringLiteral("final"), QStringLiteral("utf-8; m\u00fcller@example.com")},
                                       {QStringLiteral("action"), QStringLiteral("failed")},
                                       {QStringLiteral("status"), QStringLiteral("5.1.1")}}};
        break;
    case 5: {
        QString reply = QStringLiteral("550 5.7.1");
        for (int i = 0; i < 300; ++i)
            reply += QStringLiteral(" policy%1").arg(i);
        req.recipients[0].reply = reply;
        DsnRecipient expired = failedRcpt("carol@example.com", QString());
        expired.expired = true;
        req.recipients << expired;
        rcpts = QJsonArray{QJsonObject{{QStringLiteral("final"), QStringLiteral("rfc822; bob@example.com")},
                                       {QStringLiteral("status"), QStringLiteral("5.7.1")},
                                       {QStringLiteral("diagnostic"), QStringLiteral("smtp; ") + reply}},
                           QJsonObject{{QStringLiteral("final"), QStringLiteral("rfc822; carol@example.com")},
                                       {QStringLiteral("action"), QStringLiteral("failed")},
                                       {QStringLiteral("status"), QStringLiteral("4.4.7")}}};
        break;
    }
    }
    expect[QStringLiteral("recipients")] = rcpts;

    const DsnMessage m = buildDsn(req);
    QTemporaryFile file;
    QVERIFY(file.open());
    QCOMPARE(file.write(m.content), m.content.size());
    file.close();

    QProcess py;
    py.start(QStringLiteral("/usr/bin/python3"),
             {script, file.fileName(), QString::fromUtf8(QJsonDocument(expect).toJson(QJsonDocument::Compact))});
    QVERIFY2(py.waitForFinished(60000), "dsn_check.py did not finish");
    const QByteArray err = py.readAllStandardError();
    if (py.exitStatus() != QProcess::NormalExit || py.exitCode() != 0)
        QFAIL(qPrintable(QStringLiteral("dsn_check.py failed (exit %1):\n%2\n--- message ---\n%3")
                             .arg(py.exitCode())
                             .arg(QString::fromUtf8(err), QString::fromUtf8(m.content.left(4000)))));
}

QTEST_GUILESS_MAIN(TestDsn)
#include "tst_dsn.moc"

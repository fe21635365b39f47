// The pickup-folder parser and its address-list reader. Oracle: Python's email
// package (tests/data/pickup/pickup_oracle.py) for addresses and recipient
// lists; the sample files are written as System.Net.Mail and scripts write them.

#include "pickup/addresslist.h"
#include "pickup/pickupparser.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

using namespace rd::pickup;

namespace {

QByteArray readData(const QString &name)
{
    QFile f(QFINDTESTDATA(QStringLiteral("../data/pickup/") + name));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

QString oraclePath()
{
    return QFINDTESTDATA("../data/pickup/pickup_oracle.py");
}

bool runOracle(const QStringList &args, const QByteArray &input, QJsonDocument *out)
{
    QProcess p;
    p.start(QStringLiteral("/usr/bin/python3"), QStringList{oraclePath()} + args);
    if (!p.waitForStarted(10000))
        return false;
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(30000) || p.exitCode() != 0)
        return false;
    *out = QJsonDocument::fromJson(p.readAllStandardOutput());
    return !out->isNull();
}

QStringList addrs(const QList<Mailbox> &boxes)
{
    QStringList s;
    for (const Mailbox &b : boxes)
        s << QString::fromUtf8(b.address);
    return s;
}

QStringList strings(const QList<QByteArray> &list)
{
    QStringList s;
    for (const QByteArray &b : list)
        s << QString::fromUtf8(b);
    return s;
}

// Header field names of a CRLF message, in order.
QStringList headerNames(const QByteArray &content)
{
    QStringList names;
    const qsizetype end = content.indexOf("\r\n\r\n");
    const QList<QByteArray> lines = content.left(end < 0 ? content.size() : end).split('\n');
    for (const QByteArray &l : lines) {
        if (l.isEmpty() || l[0] == ' ' || l[0] == '\t')
            continue;
        names << QString::fromLatin1(l.left(l.indexOf(':')));
    }
    return names;
}

bool hasBareLineEnd(const QByteArray &c)
{
    for (qsizetype i = 0; i < c.size(); ++i) {
        if (c[i] == '\n' && (i == 0 || c[i - 1] != '\r'))
            return true;
        if (c[i] == '\r' && (i + 1 >= c.size() || c[i + 1] != '\n'))
            return true;
    }
    return false;
}

} // namespace

class TestPickupParser : public QObject {
    Q_OBJECT
private slots:
    void addressesAgreeWithPython();
    void addressErrors();
    void systemNetMailFile();
    void systemNetMailUnicode();
    void scriptLfFileMatchesPython();
    void bccOnlyAndReturnPath();
    void lineEnds();
    void errors();
    void sizeLimit();
    void randomJunkNeverCrashes();
};

void TestPickupParser::addressesAgreeWithPython()
{
    const QStringList values = {
        QStringLiteral("alice@example.org"),
        QStringLiteral("\"Doe, John\" <john.doe@example.com>, bob@example.net"),
        QStringLiteral("=?utf-8?Q?M=C3=BCller?= <mueller@example.de>"),
        QStringLiteral("a@b.example (comment, with comma), c@d.example"),
        QStringLiteral("team: x@a.example, \"Y, Z\" <y@b.example>;, w@c.example"),
        QStringLiteral("undisclosed-recipients:;"),
        QStringLiteral("\"john doe\"@example.com"),
        QStringLiteral("John Q. Public <jqp@example.com>"),
        QStringLiteral("  (nested (comment) here) user@example.com  "),
        QStringLiteral("\"quoted \\\"inside\\\"\" <q@example.com>"),
        QStringLiteral("user+tag@sub.example.co.uk"),
        QStringLiteral("a@[192.0.2.1]"),
        QStringLiteral("Name <a@example.com>,, b@example.com"),
        QStringLiteral("\"john\"@example.com"),
        QStringLiteral("first.last@example.com,\r\n second@example.com"),
        QStringLiteral("Ops <ops@example.com> (pager)"),
        QStringLiteral("=?iso-8859-1?Q?J=F6rg?= <joerg@example.de>, \"=?utf-8?B?w6k=?=\" <e@example.fr>"),
        QStringLiteral("Group One: a@one.example;, Group Two: \"Two, B\" <b@two.example> (x);"),
    };
    QJsonDocument doc;
    QByteArray input = QJsonDocument(QJsonArray::fromStringList(values)).toJson();
    if (!runOracle({QStringLiteral("addresses")}, input, &doc))
    {
        if (qEnvironmentVariableIsSet("CI"))
            QFAIL("python3 email oracle not available");
        QSKIP("python3 email oracle not available");
    }
    const QJsonArray answers = doc.array();
    QCOMPARE(answers.size(), values.size());
    int compared = 0;
    for (int i = 0; i < values.size(); ++i) {
        const QJsonObject a = answers[i].toObject();
        const AddressListResult r = parseAddressList(values[i].toUtf8());
        QVERIFY2(r.ok(), qPrintable(values[i] + QStringLiteral(": ") + r.error));
        if (a.value(QStringLiteral("defects")).toInt() != 0)
            continue; // Python found something odd; our own assertions cover these
        QStringList want;
        for (const QJsonValue &v : a.value(QStringLiteral("addrs")).toArray())
            want << v.toString();
        QCOMPARE(addrs(r.mailboxes), want);
        ++compared;
    }
    QVERIFY(compared >= 15);
    // Display names are decoded.
    const AddressListResult m = parseAddressList("=?utf-8?Q?M=C3=BCller?= <mueller@example.de>");
    QCOMPARE(m.mailboxes.value(0).displayName, QStringLiteral("M\u00fcller"));
    const AddressListResult q = parseAddressList("\"Doe, John\" <john.doe@example.com>");
    QCOMPARE(q.mailboxes.value(0).displayName, QStringLiteral("Doe, John"));
    // The obsolete route is dropped.
    QCOMPARE(addrs(parseAddressList("<@route.example:u@d.example>").mailboxes), QStringList{"u@d.example"});
}

void TestPickupParser::addressErrors()
{
    const QList<QByteArray> bad = {
        "john",                         // no domain
        "John Smith",                   // a phrase only
        "\"unterminated <a@b.example>", // quote not closed
        "a@b.example (open comment",    // comment not closed
        "Name <a@b.example",            // angle not closed
        "a@",                           // empty domain
        "@b.example",                   // empty local part
        "a@b.example c@d.example",      // missing comma
        "a@[192.0.2.1",                 // literal not closed
        "a@b..example",                 // bad domain
        "x > y",
    };
    for (const QByteArray &v : bad) {
        const AddressListResult r = parseAddressList(v);
        QVERIFY2(!r.ok(), v.constData());
        QVERIFY(r.mailboxes.isEmpty());
        QVERIFY2(r.error.size() > 10, qPrintable(r.error));
    }
    QVERIFY(parseAddressList("john").error.contains(QStringLiteral("no @domain")));
}

void TestPickupParser::systemNetMailFile()
{
    const QByteArray data = readData(QStringLiteral("snm-plain.eml"));
    QVERIFY(!data.isEmpty());
    const PickupParseResult r = parsePickupFile(data, 10 * 1024 * 1024);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.message.format, PickupFormat::SystemNetMail);
    QCOMPARE(r.message.sender, QByteArray("app@example.com"));
    QCOMPARE(strings(r.message.recipients),
             (QStringList{"alice@example.org", "bob@example.net", "audit@example.com"}));
    // The envelope block is gone; the message is the rest, byte for byte.
    const qsizetype mime = data.indexOf("MIME-Version:");
    QCOMPARE(r.message.content, data.mid(mime));
    QCOMPARE(headerNames(r.message.content).first(), QStringLiteral("MIME-Version"));
    QVERIFY(!r.message.content.contains("X-Receiver"));
    // Lines starting with dots stay unstuffed.
    QVERIFY(r.message.content.contains("\r\n.\r\n..a line"));
    QVERIFY(!r.message.eightBit);
    QVERIFY(!r.message.smtpUtf8);
}

void TestPickupParser::systemNetMailUnicode()
{
    const PickupParseResult r = parsePickupFile(readData(QStringLiteral("snm-unicode.eml")), 0);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.message.sender, QByteArray("noreply@example.de"));
    QCOMPARE(strings(r.message.recipients), (QStringList{"juergen@example.de", "cc@example.org"}));
    QVERIFY(r.message.content.startsWith("MIME-Version: 1.0\r\n"));
}

void TestPickupParser::scriptLfFileMatchesPython()
{
    const QString path = QFINDTESTDATA("../data/pickup/script-lf.eml");
    const PickupParseResult r = parsePickupFile(readData(QStringLiteral("script-lf.eml")), 0);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.message.format, PickupFormat::PlainEml);
    QCOMPARE(r.message.sender, QByteArray("backup@example.com"));
    QJsonDocument doc;
    if (!runOracle({QStringLiteral("file"), path}, QByteArray(), &doc))
    {
        if (qEnvironmentVariableIsSet("CI"))
            QFAIL("python3 email oracle not available");
        QSKIP("python3 email oracle not available");
    }
    QStringList want;
    for (const QJsonValue &v : doc.object().value(QStringLiteral("recipients")).toArray())
        want << v.toString();
    QCOMPARE(strings(r.message.recipients), want);
    QVERIFY(want.contains(QStringLiteral("secret-archive@example.com")));
    // Bcc removed, every other field kept in order.
    QStringList names;
    for (const QJsonValue &v : doc.object().value(QStringLiteral("headers")).toArray())
        names << v.toString();
    names.removeAll(QStringLiteral("Bcc"));
    QCOMPARE(headerNames(r.message.content), names);
    QVERIFY(!r.message.content.contains("secret-archive"));
    // LF-only became CRLF, the dot line stays as it is.
    QVERIFY(!hasBareLineEnd(r.message.content));
    QVERIFY(r.message.content.endsWith("All 12 volumes done.\r\n.\r\nend\r\n"));
}

void TestPickupParser::bccOnlyAndReturnPath()
{
    const PickupParseResult r = parsePickupFile(readData(QStringLiteral("script-bcc-only.eml")), 0);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.message.sender, QByteArray("bounces@example.com"));
    QCOMPARE(strings(r.message.recipients), (QStringList{"one@example.org", "two@example.org"}));
    QVERIFY(!r.message.content.contains("Bcc"));
    QVERIFY(!r.message.content.contains("two@example.org")); // the folded continuation went too
    QVERIFY(!r.message.content.contains("Return-Path"));
    QVERIFY(r.message.content.startsWith("From: \"Report Bot\""));

    // Return-Path <> is the null sender; duplicates are sent once.
    const PickupParseResult n = parsePickupFile(
        "Return-Path: <>\nFrom: a@example.com\nTo: X@Example.com, x@example.com\nCc: x@EXAMPLE.COM\n\nbody\n", 0);
    QVERIFY2(n.ok(), qPrintable(n.error));
    QVERIFY(n.message.sender.isEmpty());
    QCOMPARE(n.message.recipients.size(), 1);

    // X-Sender without X-Receiver: the recipients come from the header.
    const PickupParseResult x = parsePickupFile("X-Sender: app@example.com\r\nTo: t@example.org\r\n\r\nhi\r\n", 0);
    QVERIFY2(x.ok(), qPrintable(x.error));
    QCOMPARE(x.message.sender, QByteArray("app@example.com"));
    QCOMPARE(strings(x.message.recipients), QStringList{"t@example.org"});
    QCOMPARE(x.message.content, QByteArray("To: t@example.org\r\n\r\nhi\r\n"));

    // 8-bit content and UTF-8 addresses are flagged.
    const PickupParseResult u = parsePickupFile("From: j\xc3\xbcrgen@example.de\nTo: b@example.com\n\n\xc3\xa4\n", 0);
    QVERIFY2(u.ok(), qPrintable(u.error));
    QVERIFY(u.message.eightBit);
    QVERIFY(u.message.smtpUtf8);
}

void TestPickupParser::lineEnds()
{
    QCOMPARE(normalizeLineEnds("a\nb\rc\r\nd"), QByteArray("a\r\nb\r\nc\r\nd\r\n"));
    QCOMPARE(normalizeLineEnds("\r\r\n\n"), QByteArray("\r\n\r\n\r\n"));
    QCOMPARE(normalizeLineEnds(""), QByteArray());
    const PickupParseResult r = parsePickupFile("From: a@example.com\rTo: b@example.com\r\rbody\rline2", 0);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.message.content, QByteArray("From: a@example.com\r\nTo: b@example.com\r\n\r\nbody\r\nline2\r\n"));
}

void TestPickupParser::errors()
{
    struct Case {
        QByteArray data;
        const char *mustContain;
    };
    const QList<Case> cases = {
        {readData(QStringLiteral("no-recipients.eml")), "no recipients: the file has no X-Receiver, To, Cc or Bcc"},
        {readData(QStringLiteral("junk-binary.eml")), "NUL"},
        {readData(QStringLiteral("junk-text.eml")), "does not start with a header field"},
        {"", "empty"},
        {"\r\n\r\n  \n", "empty"},
        {"To: a@example.com\n\nbody\n", "no sender"},
        {"From: a@example.com\nTo: john\n\n", "the To field"},
        {"From: a@example.com\nTo: b@example.com\nthis is not a header\n\nbody", "line 3 of the header"},
        {"  indented: x\nFrom: a@example.com\n", "indented"},
        {"X-Sender: a@example.com\nX-Sender: b@example.com\nX-Receiver: c@example.com\n\n", "exactly one"},
        {"From: <>\nTo: b@example.com\n\n", "no sender"},
        {"From: a@example.com\nTo: <>\n\n", "empty address"},
        {"From a@example.com Thu Nov 26 2026\nTo: b@example.com\n\n", "does not start with a header field"},
    };
    for (const Case &c : cases) {
        const PickupParseResult r = parsePickupFile(c.data, 0);
        QVERIFY2(!r.ok(), c.data.left(40).constData());
        QVERIFY2(r.error.contains(QLatin1String(c.mustContain)), qPrintable(r.error));
        QVERIFY(r.message.recipients.isEmpty());
    }
}

void TestPickupParser::sizeLimit()
{
    QByteArray body(200 * 1024, 'x');
    for (qsizetype i = 76; i < body.size(); i += 77)
        body[i] = '\n';
    const QByteArray msg = "From: a@example.com\nTo: b@example.com\n\n" + body;
    QVERIFY(parsePickupFile(msg, 0).ok());
    // LF -> CRLF grows the message: the limit counts the normalized size.
    const qint64 limit = msg.size() + 100;
    const PickupParseResult r = parsePickupFile(msg, limit);
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(QStringLiteral("smtp.max_message_size")), qPrintable(r.error));
    QVERIFY(parsePickupFile(msg, msg.size() * 2).ok());
    // A huge file is refused by its size before any work.
    const QByteArray huge(40 * 1024 * 1024, 'a');
    QElapsedTimer t;
    t.start();
    const PickupParseResult h = parsePickupFile(huge, 10 * 1024 * 1024);
    QVERIFY(!h.ok());
    QVERIFY(h.error.contains(QStringLiteral("41943040 bytes")));
}

void TestPickupParser::randomJunkNeverCrashes()
{
    // Mutations of a valid file: every result is either a message or an error sentence.
    const QByteArray base = readData(QStringLiteral("script-lf.eml"));
    QRandomGenerator rng(12);
    int ok = 0, bad = 0;
    for (int i = 0; i < 3000; ++i) {
        QByteArray d = base;
        const int edits = 1 + int(rng.bounded(8));
        for (int e = 0; e < edits; ++e) {
            const int pos = int(rng.bounded(d.size()));
            static const char pool[] = ":<>\"(),;@[]\\\r\n \t=?\x80\xff";
            d[pos] = pool[rng.bounded(int(sizeof(pool) - 1))];
        }
        const PickupParseResult r = parsePickupFile(d, 0);
        if (r.ok()) {
            ++ok;
            QVERIFY(!r.message.recipients.isEmpty());
            QVERIFY(!hasBareLineEnd(r.message.content));
        } else {
            ++bad;
            QVERIFY(!r.error.isEmpty());
        }
    }
    QVERIFY(ok > 0);
    QVERIFY(bad > 0);
}

QTEST_GUILESS_MAIN(TestPickupParser)
#include "tst_pickupparser.moc"

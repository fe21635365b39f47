// The MIME parser (core/mime). Oracles: Python's `email` package (it builds
// the messages in mime_build.py and parses them back; every part's type,
// file name, charset, decoded text and decoded payload hash must agree),
// the examples of RFC 2047 section 8 and RFC 2231 sections 3-5, and
// malformed input that must give a tree plus defects, never a crash or a
// hang.

#include "mime/encodedwords.h"
#include "mime/mimecharset.h"
#include "mime/mimeheaders.h"
#include "mime/mimeparser.h"
#include "mime/transferencoding.h"
#include "mimetestdata.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QTest>

using namespace rd::mime;

namespace {

bool sanitizer()
{
    return qEnvironmentVariableIsSet("RELAYDESK_SANITIZER");
}

// Structural invariants every parse must keep.
QString checkTree(const MimeMessage &m)
{
    if (m.parts.isEmpty())
        return QStringLiteral("no parts");
    const qsizetype n = m.source.size();
    for (int i = 0; i < m.parts.size(); ++i) {
        const MimePart &p = m.parts.at(i);
        auto inRange = [n](ByteRange r) { return r.begin >= 0 && r.begin <= r.end && r.end <= n; };
        if (!inRange(p.header) || !inRange(p.body))
            return QStringLiteral("part %1: range outside the source").arg(i);
        if (p.header.end > p.body.begin)
            return QStringLiteral("part %1: header overlaps the body").arg(i);
        if (i == 0 ? p.parent != -1 : (p.parent < 0 || p.parent >= i))
            return QStringLiteral("part %1: bad parent").arg(i);
        if (i > 0) {
            const MimePart &parent = m.parts.at(p.parent);
            if (!parent.children.contains(i) || p.depth != parent.depth + 1)
                return QStringLiteral("part %1: not its parent's child").arg(i);
            if (p.header.begin < parent.body.begin || p.body.end > parent.body.end)
                return QStringLiteral("part %1: outside its parent's body").arg(i);
        }
        if (p.isMultipart() && p.children.size() > 0) {
            auto inBody = [&p](ByteRange r) { return r.begin >= p.body.begin && r.begin <= r.end && r.end <= p.body.end; };
            if (!inBody(p.preamble) || !inBody(p.epilogue))
                return QStringLiteral("part %1: preamble/epilogue outside the body").arg(i);
        }
    }
    return QString();
}

QByteArray nested(int depth, bool rfc822)
{
    QByteArray head;
    QByteArray tail;
    for (int i = 0; i < depth; ++i) {
        if (rfc822) {
            head += "Subject: level " + QByteArray::number(i) + "\r\nContent-Type: message/rfc822\r\n\r\n";
        } else {
            const QByteArray b = "b" + QByteArray::number(i);
            head += "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\npreamble\r\n--" + b + "\r\n";
            tail = "\r\n--" + b + "--\r\n" + tail;
        }
    }
    return head + "Content-Type: application/octet-stream; name=\"deep.exe\"\r\n\r\nMZ" + tail;
}

} // namespace

class TestMime : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void pythonCorpus_data();
    void pythonCorpus();
    void preambleEpilogue();
    void rfc2047Examples_data();
    void rfc2047Examples();
    void encodedWordEdges();
    void rfc2231Examples();
    void structuredValues();
    void transferEncodings();
    void charsets();
    void boundaryRules();
    void rfc822Nesting();
    void malformed();
    void deepNesting();
    void partLimit();
    void randomInput();
    void linearTime();

private:
    rd::test::MimeCorpus m_corpus;
    bool m_haveCorpus = false;
};

void TestMime::initTestCase()
{
    m_haveCorpus = rd::test::buildMimeCorpus(QFINDTESTDATA("mime_build.py"), &m_corpus);
    if (!m_haveCorpus)
        qWarning("%s", qPrintable(m_corpus.error));
}

void TestMime::pythonCorpus_data()
{
    QTest::addColumn<QString>("name");
    for (const char *n : {"plain_qp", "latin1", "base64_text", "nested", "attachments", "rfc822", "outlook_2047_name",
                          "digest", "missing_end", "bad_base64", "garbage_headers"})
        QTest::newRow(n) << QString::fromLatin1(n);
}

void TestMime::pythonCorpus()
{
    QFETCH(QString, name);
    if (!m_haveCorpus)
        QFAIL(qPrintable(m_corpus.error));
    const QByteArray data = m_corpus.message(name);
    QVERIFY(!data.isEmpty());
    const QJsonObject e = m_corpus.expected.value(name).toObject();
    const MimeMessage m = parseMime(data);
    QCOMPARE(checkTree(m), QString());

    const QJsonArray parts = e.value(QStringLiteral("parts")).toArray();
    QCOMPARE(m.parts.size(), parts.size());
    QStringList names;
    for (int i = 0; i < parts.size(); ++i) {
        const QJsonObject pe = parts.at(i).toObject();
        const MimePart &p = m.parts.at(i);
        const QByteArray where = name.toUtf8() + " part " + QByteArray::number(i);
        QVERIFY2(QString::fromLatin1(p.mediaType()) == pe.value(QStringLiteral("content_type")).toString(), where);
        QCOMPARE(p.filename(), pe.value(QStringLiteral("filename")).toString());
        QCOMPARE(QString::fromLatin1(p.disposition), pe.value(QStringLiteral("disposition")).toString());
        QCOMPARE(QString::fromLatin1(p.charset()), pe.value(QStringLiteral("charset")).toString());
        if (pe.contains(QStringLiteral("text"))) {
            bool defect = false;
            QCOMPARE(m.bodyText(i, &defect), pe.value(QStringLiteral("text")).toString());
            QVERIFY2(!defect, where);
        }
        if (pe.contains(QStringLiteral("sha256"))) {
            const QByteArray sha = QCryptographicHash::hash(m.decodedBody(i), QCryptographicHash::Sha256).toHex();
            QVERIFY2(QString::fromLatin1(sha) == pe.value(QStringLiteral("sha256")).toString(), where);
        }
        names += p.fileNames();
    }
    // The texts the script put in come back.
    const QJsonObject intent = e.value(QStringLiteral("intent")).toObject();
    for (const QJsonValue &v : intent.value(QStringLiteral("filenames")).toArray())
        QVERIFY2(names.contains(v.toString()), qPrintable(v.toString()));
    const QStringList subjects = m.parts.at(0).decodedFields("Subject");
    if (e.value(QStringLiteral("subject")).isNull()) {
        QVERIFY(subjects.isEmpty());
    } else {
        QCOMPARE(subjects.size(), 1);
        QCOMPARE(subjects.at(0), e.value(QStringLiteral("subject")).toString());
        QCOMPARE(subjects.at(0), intent.value(QStringLiteral("subject")).toString());
    }
    if (!e.value(QStringLiteral("x_note")).isNull())
        QCOMPARE(m.parts.at(0).decodedFields("X-Note").value(0), e.value(QStringLiteral("x_note")).toString());
    if (intent.contains(QStringLiteral("inner_subject"))) {
        bool found = false;
        for (const MimePart &p : m.parts)
            found = found || p.decodedFields("Subject").contains(intent.value(QStringLiteral("inner_subject")).toString());
        QVERIFY(found);
    }
    // Malformed inputs report defects (as Python does for two of them); the
    // well-formed ones report none.
    const bool malformed = name == QLatin1String("missing_end") || name == QLatin1String("garbage_headers");
    QCOMPARE(!m.defects.isEmpty(), malformed);
    QCOMPARE(e.value(QStringLiteral("py_defects")).toInt() > 0, malformed);
    QVERIFY(m.complete);
    if (name == QLatin1String("bad_base64")) {
        bool defect = false;
        m.decodedBody(int(m.parts.size()) - 1, &defect);
        QVERIFY(defect);
    }
}

void TestMime::preambleEpilogue()
{
    if (!m_haveCorpus)
        QFAIL(qPrintable(m_corpus.error));
    const MimeMessage m = parseMime(m_corpus.message(QStringLiteral("nested")));
    const QJsonObject e = m_corpus.expected.value(QStringLiteral("nested")).toObject();
    const MimePart &root = m.parts.at(0);
    auto text = [&m](ByteRange r) { return QString::fromUtf8(m.source.mid(r.begin, r.size())).trimmed(); };
    QCOMPARE(text(root.preamble), e.value(QStringLiteral("preamble")).toString().trimmed());
    QCOMPARE(text(root.epilogue), e.value(QStringLiteral("epilogue")).toString().trimmed());
    QCOMPARE(text(root.preamble), QStringLiteral("This is a multi-part message in MIME format."));
    QCOMPARE(text(root.epilogue), QStringLiteral("epilogue text"));
    // The inner multiparts have no preamble text.
    QVERIFY(text(m.parts.at(1).preamble).isEmpty());
}

void TestMime::rfc2047Examples_data()
{
    QTest::addColumn<QByteArray>("encoded");
    QTest::addColumn<QString>("decoded");
    // RFC 2047 section 8 (the folded example is given unfolded).
    QTest::newRow("a") << QByteArray("(=?ISO-8859-1?Q?a?=)") << QStringLiteral("(a)");
    QTest::newRow("a b") << QByteArray("(=?ISO-8859-1?Q?a?= b)") << QStringLiteral("(a b)");
    QTest::newRow("ab") << QByteArray("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)") << QStringLiteral("(ab)");
    QTest::newRow("ab, two spaces") << QByteArray("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)") << QStringLiteral("(ab)");
    QTest::newRow("ab, folded") << QByteArray("(=?ISO-8859-1?Q?a?=    =?ISO-8859-1?Q?b?=)") << QStringLiteral("(ab)");
    QTest::newRow("a_b") << QByteArray("(=?ISO-8859-1?Q?a_b?=)") << QStringLiteral("(a b)");
    QTest::newRow("two charsets") << QByteArray("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)") << QStringLiteral("(a b)");
    QTest::newRow("Keld") << QByteArray("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=") << QStringLiteral("Keld J\u00f8rn Simonsen");
    QTest::newRow("Andre") << QByteArray("=?ISO-8859-1?Q?Andr=E9?= Pirard") << QStringLiteral("Andr\u00e9 Pirard");
    QTest::newRow("subject B")
        << QByteArray("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=")
        << QStringLiteral("If you can read this you understand the example.");
}

void TestMime::rfc2047Examples()
{
    QFETCH(QByteArray, encoded);
    QFETCH(QString, decoded);
    const DecodedText d = decodeEncodedWords(encoded);
    QCOMPARE(d.text, decoded);
    QVERIFY(!d.defect);
    QVERIFY(!d.unknownCharset);
}

void TestMime::encodedWordEdges()
{
    // A character split across two words in one charset is joined first.
    QCOMPARE(decodeHeaderText("=?UTF-8?Q?=C3?= =?UTF-8?Q?=A9t=C3=A9?="), QStringLiteral("\u00e9t\u00e9"));
    QCOMPARE(decodeHeaderText("=?utf-8?b?w6k=?=t=?utf-8?q?=C3=A9?="), QStringLiteral("\u00e9t\u00e9"));
    // Unknown charset: read as Latin-1 and flagged.
    const DecodedText u = decodeEncodedWords("=?x-bogus-charset?Q?caf=E9?=");
    QCOMPARE(u.text, QStringLiteral("caf\u00e9"));
    QVERIFY(u.unknownCharset);
    // RFC 2231 language suffix in an encoded word (RFC 2231 section 5).
    QCOMPARE(decodeHeaderText("=?US-ASCII*EN?Q?Keith_Moore?="), QStringLiteral("Keith Moore"));
    // Not encoded words: left alone.
    QCOMPARE(decodeHeaderText("=?utf-8?X?abc?= and =? and ?= =?utf-8?q?"),
             QStringLiteral("=?utf-8?X?abc?= and =? and ?= =?utf-8?q?"));
    // Raw UTF-8 (RFC 6532) and raw Latin-1.
    QCOMPARE(decodeHeaderText("Gr\xc3\xbc\xc3\x9f" "e"), QStringLiteral("Gr\u00fc\u00dfe"));
    QCOMPARE(decodeHeaderText("Gr\xfc\xdf" "e"), QStringLiteral("Gr\u00fc\u00dfe"));
    // Bad base64 inside a word: decoded leniently, flagged.
    const DecodedText b = decodeEncodedWords("=?utf-8?B?aGV*sbG8=?=");
    QCOMPARE(b.text, QStringLiteral("hello"));
    QVERIFY(b.defect);
}

void TestMime::rfc2231Examples()
{
    // RFC 2231 section 3 (continuations), 4 (charset), 4.1 (both).
    StructuredValue v = parseStructuredValue(
        "message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
        true);
    QCOMPARE(v.value, QByteArray("message/external-body"));
    QCOMPARE(paramValue(v.params, "url"), QStringLiteral("ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"));
    QCOMPARE(paramValue(v.params, "access-type"), QStringLiteral("URL"));
    v = parseStructuredValue("application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", true);
    QCOMPARE(paramValue(v.params, "title"), QStringLiteral("This is ***fun***"));
    v = parseStructuredValue("application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
                             " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*2=\"isn't it!\"",
                             true);
    QCOMPARE(paramValue(v.params, "title"), QStringLiteral("This is even more ***fun*** isn't it!"));
    QVERIFY(v.defects.isEmpty());
    // Out of order sections are put in order; a gap stops the value.
    v = parseStructuredValue("attachment; filename*1=\"b.exe\"; filename*0=\"a\"", false);
    QCOMPARE(paramValue(v.params, "filename"), QStringLiteral("ab.exe"));
    v = parseStructuredValue("attachment; filename*0=\"a\"; filename*2=\"c\"", false);
    QCOMPARE(paramValue(v.params, "filename"), QStringLiteral("a"));
    QVERIFY(!v.defects.isEmpty());
    // ISO-8859-1 in RFC 2231.
    v = parseStructuredValue("attachment; filename*=iso-8859-1''M%FCller.doc", false);
    QCOMPARE(paramValue(v.params, "filename"), QStringLiteral("M\u00fcller.doc"));
}

void TestMime::structuredValues()
{
    StructuredValue v = parseStructuredValue("Text/HTML (comment) ; Charset=\"UTF-8\" (another);format=flowed", true);
    QCOMPARE(v.value, QByteArray("text/html"));
    QCOMPARE(paramValue(v.params, "charset"), QStringLiteral("UTF-8"));
    QCOMPARE(paramValue(v.params, "format"), QStringLiteral("flowed"));
    v = parseStructuredValue("text/plain; charset=us-ascii (Plain text)", true);
    QCOMPARE(paramValue(v.params, "charset"), QStringLiteral("us-ascii"));
    // Unquoted value with spaces, quoted-pair, duplicates all kept.
    v = parseStructuredValue("attachment; filename=my report.pdf; filename=\"x\\\"y.exe\"", false);
    QCOMPARE(v.params.size(), 2);
    QCOMPARE(v.params.at(0).value, QStringLiteral("my report.pdf"));
    QCOMPARE(v.params.at(1).value, QStringLiteral("x\"y.exe"));
    // Invalid type: empty value, defect.
    v = parseStructuredValue("text", true);
    QVERIFY(v.value.isEmpty());
    QVERIFY(!v.defects.isEmpty());
    v = parseStructuredValue("application/octet-stream; name=\"unterminated.exe", true);
    QCOMPARE(paramValue(v.params, "name"), QStringLiteral("unterminated.exe"));
    QVERIFY(!v.defects.isEmpty());
    // A part whose Content-Type is invalid is text/plain but keeps its name.
    const MimeMessage m = parseMime("Content-Type: garbage; name=\"x.exe\"\r\n\r\nbody");
    QCOMPARE(m.parts.at(0).mediaType(), QByteArray("text/plain"));
    QCOMPARE(m.parts.at(0).fileNames(), QStringList{QStringLiteral("x.exe")});
    QVERIFY(!m.defects.isEmpty());
}

void TestMime::transferEncodings()
{
    bool defect = false;
    QCOMPARE(decodeBase64("aGVsbG8gd29ybGQ=", &defect), QByteArray("hello world"));
    QVERIFY(!defect);
    QCOMPARE(decodeBase64("aGVs\r\nbG8g\r\n d29y bGQ", &defect), QByteArray("hello world"));
    QVERIFY(!defect);
    QCOMPARE(decodeBase64("aGVs!bG8=", &defect), QByteArray("hello"));
    QVERIFY(defect);
    // RFC 2045 6.7: soft breaks, trailing whitespace, lower-case hex tolerated.
    defect = false;
    QCOMPARE(decodeQuotedPrintable("caf=C3=A9 =\r\nsuite  \r\nend=3d=3D", &defect), QByteArray("caf\xc3\xa9 suite\r\nend=="));
    QVERIFY(!defect);
    QCOMPARE(decodeQuotedPrintable("a=\nb=  \nc\n", &defect), QByteArray("abc\n"));
    QCOMPARE(decodeQuotedPrintable("100% = sure =ZZ", &defect), QByteArray("100% = sure =ZZ"));
    QVERIFY(defect);
    QCOMPARE(decodeQEncoding("a_b=20c=3F"), QByteArray("a b c?"));
    defect = false;
    QCOMPARE(decodeTransferEncoding("x", "x-uuencode", &defect), QByteArray("x"));
    QVERIFY(defect);
}

void TestMime::charsets()
{
    bool unknown = false;
    QCOMPARE(decodeCharset("Gr\xfc\xdf" "e", "ISO-8859-1", &unknown), QStringLiteral("Gr\u00fc\u00dfe"));
    QCOMPARE(decodeCharset("\x80 5", "windows-1252", &unknown), QStringLiteral("\u20ac 5"));
    QCOMPARE(decodeCharset("\xa4", "\"iso-8859-15\"", &unknown), QStringLiteral("\u20ac"));
    QVERIFY(!unknown);
    QCOMPARE(decodeCharset("caf\xe9", "no-such-charset", &unknown), QStringLiteral("caf\u00e9"));
    QVERIFY(unknown);
    // us-ascii that is really UTF-8 / Latin-1.
    QCOMPARE(decodeCharset("\xc3\xa9", "us-ascii"), QStringLiteral("\u00e9"));
    QCOMPARE(decodeCharset("\xe9", "us-ascii"), QStringLiteral("\u00e9"));
}

void TestMime::boundaryRules()
{
    // Transport padding after the boundary; a boundary that only starts
    // like ours is content; the CRLF before a boundary belongs to it.
    const QByteArray msg = "Content-Type: multipart/mixed; boundary=abc\r\n\r\n"
                           "--abc \t\r\n\r\nfirst\r\n--abcd\r\nstill first\r\n"
                           "--abc\r\nContent-Type: text/plain\r\n\r\nsecond\r\n\r\n--abc--  \r\n";
    const MimeMessage m = parseMime(msg);
    QCOMPARE(checkTree(m), QString());
    QCOMPARE(m.parts.size(), 3);
    QCOMPARE(m.rawBody(1), QByteArrayView("first\r\n--abcd\r\nstill first"));
    QCOMPARE(m.rawBody(2), QByteArrayView("second\r\n"));
    QVERIFY(m.defects.isEmpty());
    // Bare LF line ends.
    const MimeMessage lf = parseMime("Content-Type: multipart/mixed; boundary=\"q\"\n\n--q\n\none\n--q\n\ntwo\n--q--\n");
    QCOMPARE(lf.parts.size(), 3);
    QCOMPARE(lf.rawBody(1), QByteArrayView("one"));
    QCOMPARE(lf.rawBody(2), QByteArrayView("two"));
    // An inner part that omits its close boundary ends at the outer one.
    const QByteArray inner = "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n"
                             "Content-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\nx\r\n"
                             "--o\r\nContent-Disposition: attachment; filename=after.exe\r\n\r\ny\r\n--o--\r\n";
    const MimeMessage mi = parseMime(inner);
    QCOMPARE(checkTree(mi), QString());
    QCOMPARE(mi.parts.size(), 4);
    QCOMPARE(mi.parts.at(3).filename(), QStringLiteral("after.exe"));
    QCOMPARE(mi.parts.at(3).parent, 0);
    QCOMPARE(mi.defects.size(), 1);
    QCOMPARE(mi.defects.at(0).part, 1);
    // No boundary parameter: one body, a defect.
    const MimeMessage nb = parseMime("Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n");
    QCOMPARE(nb.parts.size(), 1);
    QVERIFY(!nb.defects.isEmpty());
}

void TestMime::rfc822Nesting()
{
    // message/rfc822 in base64 is not entered (RFC 2046 5.2.1 forbids it);
    // the defect says so.
    const QByteArray msg = "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + QByteArray("Subject: inner\r\n\r\nbody\r\n").toBase64() + "\r\n";
    const MimeMessage m = parseMime(msg);
    QCOMPARE(m.parts.size(), 1);
    QVERIFY(m.parts.at(0).isMessage());
    QVERIFY(!m.defects.isEmpty());
    QCOMPARE(m.decodedBody(0), QByteArray("Subject: inner\r\n\r\nbody\r\n"));
    // Identity encoding: the embedded message is parsed.
    const MimeMessage m2 = parseMime("Content-Type: message/rfc822\r\n\r\nSubject: =?utf-8?q?inn=C3=A9r?=\r\n\r\nbody\r\n");
    QCOMPARE(m2.parts.size(), 2);
    QCOMPARE(m2.parts.at(1).decodedFields("subject"), QStringList{QStringLiteral("inn\u00e9r")});
    QCOMPARE(m2.rawBody(1), QByteArrayView("body\r\n"));
    // An attached message with an empty body right before the boundary: its
    // blank line's CRLF is the boundary's; the tree stays nested.
    const MimeMessage m3 = parseMime("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                                     "Content-Type: message/rfc822\r\n\r\nSubject: empty\r\n\r\n--b--\r\n");
    QCOMPARE(checkTree(m3), QString());
    QCOMPARE(m3.parts.size(), 3);
    QCOMPARE(m3.parts.at(2).decodedFields("Subject"), QStringList{QStringLiteral("empty")});
    QVERIFY(m3.rawBody(2).isEmpty());
    QVERIFY(m3.defects.isEmpty());
}

void TestMime::malformed()
{
    const QList<QByteArray> inputs = {
        QByteArray(),
        "\r\n",
        "no colon at all",
        " leading continuation\r\nSubject: x\r\n\r\nbody",
        "Subject: x",                                     // no body, no line end
        "Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\n",
        "Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: text/plain",  // ends in a header
        "Content-Type: multipart/mixed; boundary=z\r\n\r\n--z--\r\n--z\r\n",
        "Content-Type: multipart/mixed; boundary=z\r\n\r\nno boundary ever\r\n",
        "Content-Type: multipart/mixed; boundary*0=a; boundary*1=b\r\n\r\n--ab\r\n\r\nx\r\n--ab--\r\n",
        "Content-Type: text/plain; charset*=''\r\nContent-Transfer-Encoding: base64\r\n\r\n====\r\n",
        "Content-Type: ;;;=;=\"\r\nContent-Disposition: ; filename*0*=%%%; filename*999*=x\r\n\r\n",
        QByteArray(5000, '-'),
        QByteArray("\0\0\0:\0\r\n\r\n\0", 11),
    };
    for (const QByteArray &in : inputs) {
        const MimeMessage m = parseMime(in);
        QVERIFY2(checkTree(m).isEmpty(), in.left(60).constData());
        for (int i = 0; i < m.parts.size(); ++i) {
            m.bodyText(i);
            m.parts.at(i).fileNames();
        }
    }
    // RFC 2231 boundary continuation works as a boundary.
    QCOMPARE(parseMime(inputs.at(9)).parts.size(), 2);
    // Garbage lines end the header section, and say so.
    const MimeMessage g = parseMime("Subject: a\r\nthis is not a header\r\nX: y\r\n\r\n");
    QCOMPARE(g.parts.at(0).fields.size(), 1);
    QVERIFY(!g.defects.isEmpty());
    QCOMPARE(g.rawBody(0), QByteArrayView("this is not a header\r\nX: y\r\n\r\n"));
}

void TestMime::deepNesting()
{
    for (bool rfc822 : {false, true}) {
        const MimeMessage m = parseMime(nested(1000, rfc822));
        QCOMPARE(checkTree(m), QString());
        QVERIFY(!m.complete);
        QCOMPARE(m.parts.size(), 33); // depths 0..32
        QCOMPARE(m.parts.last().depth, 32);
        bool saysDepth = false;
        for (const MimeDefect &d : m.defects)
            saysDepth = saysDepth || d.text.contains(QLatin1String("nesting deeper than 32"));
        QVERIFY(saysDepth);
    }
    // Within the limit, the deepest part is found with its name.
    const MimeMessage ok = parseMime(nested(20, false));
    QVERIFY(ok.complete);
    QCOMPARE(ok.parts.size(), 21);
    QCOMPARE(ok.parts.last().filename(), QStringLiteral("deep.exe"));
    QVERIFY(ok.defects.isEmpty());
}

void TestMime::partLimit()
{
    QByteArray msg = "Content-Type: multipart/mixed; boundary=p\r\n\r\n";
    for (int i = 0; i < 5000; ++i)
        msg += "--p\r\nContent-Type: text/plain; name=\"f" + QByteArray::number(i) + ".txt\"\r\n\r\nx\r\n";
    msg += "--p--\r\n";
    const MimeMessage m = parseMime(msg);
    QCOMPARE(checkTree(m), QString());
    QCOMPARE(m.parts.size(), 1000);
    QVERIFY(!m.complete);
    MimeLimits small;
    small.maxParts = 10;
    QCOMPARE(parseMime(msg, small).parts.size(), 10);
}

void TestMime::randomInput()
{
    // Random bytes and random mutations of real messages.
    QRandomGenerator rng(20240606);
    QList<QByteArray> seeds;
    if (m_haveCorpus) {
        for (const QString &n : m_corpus.expected.keys())
            seeds.append(m_corpus.message(n));
    }
    seeds.append(nested(40, false));
    const QByteArray alphabet = "-=?\"';:\r\n \t*%bBqQ0123456789abcdefXYZ/\\()<>";
    const int rounds = sanitizer() ? 300 : 2000;
    for (int r = 0; r < rounds; ++r) {
        QByteArray in;
        if (r % 2 == 0 || seeds.isEmpty()) {
            const int len = int(rng.bounded(600));
            for (int i = 0; i < len; ++i)
                in.append(r % 4 == 0 ? char(rng.bounded(256)) : alphabet.at(int(rng.bounded(int(alphabet.size())))));
        } else {
            in = seeds.at(int(rng.bounded(int(seeds.size()))));
            const int edits = 1 + int(rng.bounded(20));
            for (int e = 0; e < edits && !in.isEmpty(); ++e) {
                const int pos = int(rng.bounded(int(in.size())));
                switch (rng.bounded(3)) {
                case 0: in[pos] = alphabet.at(int(rng.bounded(int(alphabet.size())))); break;
                case 1: in.remove(pos, int(rng.bounded(40))); break;
                default: in.insert(pos, in.mid(int(rng.bounded(int(in.size()))), 50)); break;
                }
            }
        }
        const MimeMessage m = parseMime(in);
        const QString problem = checkTree(m);
        QVERIFY2(problem.isEmpty(), qPrintable(problem + QStringLiteral(" for round %1").arg(r)));
        for (int i = 0; i < m.parts.size(); ++i) {
            m.bodyText(i);
            for (const HeaderField &f : m.parts.at(i).fields)
                decodeHeaderText(f.value);
        }
    }
}

void TestMime::linearTime()
{
    if (sanitizer())
        QSKIP("timing is meaningless under sanitizers");
    // 8 MB of boundary-like lines under 32 open multiparts, and 1 MB header
    // values made of encoded-word starts: each must parse in well under a
    // second on this small machine (a quadratic scan would take minutes).
    QByteArray deep;
    for (int i = 0; i < 32; ++i)
        deep += "Content-Type: multipart/mixed; boundary=\"boundary-" + QByteArray::number(i) + "\"\r\n\r\n--boundary-"
            + QByteArray::number(i) + "\r\n";
    QByteArray lines;
    while (lines.size() < 8 * 1024 * 1024)
        lines += "--boundary-9x\r\n--boundary-\r\n";
    deep += lines;
    QElapsedTimer t;
    t.start();
    MimeMessage m = parseMime(deep);
    QVERIFY2(t.elapsed() < 30000, qPrintable(QString::number(t.elapsed()))); // a guard against quadratic work, not a speed target
    QCOMPARE(m.parts.size(), 33);

    QByteArray words = "Subject: ";
    while (words.size() < 1024 * 1024)
        words += "=?=?utf-8?q?=?x?Q?";
    words += "\r\n\r\n";
    t.restart();
    m = parseMime(words);
    const QStringList s = m.parts.at(0).decodedFields("Subject");
    QVERIFY2(t.elapsed() < 30000, qPrintable(QString::number(t.elapsed()))); // a guard against quadratic work, not a speed target
    QCOMPARE(s.size(), 1);
}

QTEST_GUILESS_MAIN(TestMime)
#include "tst_mime.moc"

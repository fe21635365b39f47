// Content rules (core/policy/contentfilter): envelope rules on addresses and
// domains, and message rules on real messages built by Python's `email`
// package (mime_build.py): RFC 2047 subjects in UTF-8 and ISO-8859-1,
// quoted-printable and base64 bodies, nested multiparts, RFC 2231 and RFC
// 2047 file names, attached messages.

#include "policy/contentfilter.h"
#include "policy/contentscan.h"
#include "mimetestdata.h"

#include <QTest>

using namespace rd::config;
using namespace rd::policy;

namespace {

ContentRule rule(const QString &name, RuleTarget target, RuleMatch match, const QString &pattern,
                 RuleAction action = RuleAction::Reject, const QString &field = QString(), const QString &arg = QString())
{
    ContentRule r;
    r.name = name;
    r.target = target;
    r.match = match;
    r.pattern = pattern;
    r.action = action;
    r.field = field;
    r.actionArg = arg;
    return r;
}

} // namespace

class TestContentFilter : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void envelope();
    void envelopeAcceptStops();
    void needsMessage();
    void messageRules_data();
    void messageRules();
    void everyAction();
    void stopAt();
    void attachedMessageInBase64();
    void sizeRule();
    void extensions_data();
    void extensions();
    void badRules();

private:
    rd::test::MimeCorpus m_corpus;
    bool m_haveCorpus = false;
};

void TestContentFilter::initTestCase()
{
    m_haveCorpus = rd::test::buildMimeCorpus(QFINDTESTDATA("mime_build.py"), &m_corpus);
    if (!m_haveCorpus)
        qWarning("%s", qPrintable(m_corpus.error));
}

void TestContentFilter::envelope()
{
    ContentFilter f;
    ContentRule off = rule(QStringLiteral("disabled"), RuleTarget::Sender, RuleMatch::Domain, QStringLiteral("example.org"));
    off.enabled = false;
    f.setRules({
        off,
        rule(QStringLiteral("bad-domains"), RuleTarget::Sender, RuleMatch::Domain, QStringLiteral("spam.example, @bad.test")),
        rule(QStringLiteral("one-address"), RuleTarget::Sender, RuleMatch::Address, QStringLiteral("evil@ok.example"),
             RuleAction::Hold),
        rule(QStringLiteral("bulk"), RuleTarget::Sender, RuleMatch::Regex, QStringLiteral("^bulk-[0-9]+@"),
             RuleAction::AddHeader, QString(), QStringLiteral("X-Bulk: yes")),
        rule(QStringLiteral("idn"), RuleTarget::Sender, RuleMatch::Domain, QStringLiteral("b\u00fccher.example")),
        rule(QStringLiteral("rcpt"), RuleTarget::Recipient, RuleMatch::Domain, QStringLiteral("closed.example")),
    });
    QVERIFY(f.errors().isEmpty());
    QCOMPARE(f.checkSender(QStringLiteral("x@SPAM.example")).ruleName, QStringLiteral("bad-domains"));
    QCOMPARE(f.checkSender(QStringLiteral("x@mail.spam.example.")).ruleName, QStringLiteral("bad-domains"));
    QCOMPARE(f.checkSender(QStringLiteral("x@bad.test")).ruleName, QStringLiteral("bad-domains"));
    QVERIFY(!f.checkSender(QStringLiteral("x@notspam.example")).matched);   // a suffix, not a subdomain
    QVERIFY(!f.checkSender(QStringLiteral("x@example.org")).matched);       // the rule is disabled
    QVERIFY(!f.checkSender(QStringLiteral("spam.example@x.org")).matched);  // the domain is what counts
    const ContentVerdict hold = f.checkSender(QStringLiteral("<Evil@OK.example>"));
    QCOMPARE(hold.action, RuleAction::Hold);
    QCOMPARE(hold.ruleIndex, 2);
    QVERIFY(hold.reason.contains(QLatin1String("one-address")));
    const ContentVerdict bulk = f.checkSender(QStringLiteral("BULK-17@lists.example"));
    QCOMPARE(bulk.action, RuleAction::AddHeader);
    QCOMPARE(bulk.headerLine, QByteArray("X-Bulk: yes\r\n"));
    QVERIFY(!f.checkSender(QString()).matched); // null sender
    QCOMPARE(f.checkSender(QStringLiteral("a@xn--bcher-kva.example")).ruleName, QStringLiteral("idn"));
    QCOMPARE(f.checkSender(QStringLiteral("a@shop.B\u00dcCHER.example")).ruleName, QStringLiteral("idn"));
    // Sender rules do not apply to recipients and vice versa.
    QVERIFY(!f.checkRecipient(QStringLiteral("x@spam.example")).matched);
    QCOMPARE(f.checkRecipient(QStringLiteral("x@sub.closed.example")).ruleName, QStringLiteral("rcpt"));
    QVERIFY(!f.checkSender(QStringLiteral("x@closed.example")).matched);
    QVERIFY(!f.needsMessage());
    QVERIFY(!f.check("Subject: anything\r\n\r\nbody\r\n").matched);
}

void TestContentFilter::envelopeAcceptStops()
{
    ContentFilter f;
    f.setRules({
        rule(QStringLiteral("postmaster"), RuleTarget::Recipient, RuleMatch::Address,
             QStringLiteral("postmaster@example.com, abuse@example.com"), RuleAction::Accept),
        rule(QStringLiteral("closed"), RuleTarget::Recipient, RuleMatch::Domain, QStringLiteral("example.com")),
    });
    const ContentVerdict pm = f.checkRecipient(QStringLiteral("PostMaster@Example.com"));
    QCOMPARE(pm.action, RuleAction::Accept);
    QCOMPARE(pm.ruleIndex, 0);
    const ContentVerdict other = f.checkRecipient(QStringLiteral("bob@example.com"));
    QCOMPARE(other.action, RuleAction::Reject);
    QCOMPARE(other.ruleName, QStringLiteral("closed"));
}

void TestContentFilter::needsMessage()
{
    ContentFilter f;
    QVERIFY(!f.needsMessage());
    ContentRule body = rule(QStringLiteral("b"), RuleTarget::Body, RuleMatch::Contains, QStringLiteral("x"));
    body.enabled = false;
    f.setRules({rule(QStringLiteral("s"), RuleTarget::Sender, RuleMatch::Domain, QStringLiteral("a.example")), body});
    QVERIFY(!f.needsMessage());
    body.enabled = true;
    f.setRules({body});
    QVERIFY(f.needsMessage());
    f.setRules({rule(QStringLiteral("size"), RuleTarget::Size, RuleMatch::Greater, QStringLiteral("10"))});
    QVERIFY(f.needsMessage());
}

void TestContentFilter::messageRules_data()
{
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("ruleName"); // empty: no rule matches
    QTest::newRow("utf-8 QP body") << QStringLiteral("plain_qp") << QStringLiteral("president");
    QTest::newRow("ISO-8859-1 subject") << QStringLiteral("latin1") << QStringLiteral("mueller-subject");
    QTest::newRow("base64 UTF-8 body") << QStringLiteral("base64_text") << QStringLiteral("japanese-body");
    QTest::newRow(".exe in nested multipart") << QStringLiteral("nested") << QStringLiteral("executables");
    QTest::newRow(".JS with RFC 2231 name") << QStringLiteral("attachments") << QStringLiteral("executables");
    QTest::newRow("inside message/rfc822") << QStringLiteral("rfc822") << QStringLiteral("inner-word");
    QTest::newRow("RFC 2047 file name") << QStringLiteral("outlook_2047_name") << QStringLiteral("executables");
    QTest::newRow("digest: nothing") << QStringLiteral("digest") << QString();
    QTest::newRow("missing end boundary") << QStringLiteral("missing_end") << QStringLiteral("executables");
    QTest::newRow("bad base64: nothing") << QStringLiteral("bad_base64") << QString();
}

void TestContentFilter::messageRules()
{
    QFETCH(QString, message);
    QFETCH(QString, ruleName);
    if (!m_haveCorpus)
        QFAIL(qPrintable(m_corpus.error));
    ContentFilter f;
    f.setRules({
        rule(QStringLiteral("mueller-subject"), RuleTarget::Header, RuleMatch::Contains, QStringLiteral("M\u00dcLLER"),
             RuleAction::AddHeader, QStringLiteral("subject"), QStringLiteral("X-Filter: mueller")),
        rule(QStringLiteral("president"), RuleTarget::Body, RuleMatch::Regex, QStringLiteral("pr\u00e4sident\\s+l\u00e4dt")),
        rule(QStringLiteral("japanese-body"), RuleTarget::Body, RuleMatch::Contains, QStringLiteral("\u672c\u6587")),
        rule(QStringLiteral("executables"), RuleTarget::Attachment, RuleMatch::Extension, QStringLiteral("exe, .js, *.scr")),
        rule(QStringLiteral("inner-word"), RuleTarget::Body, RuleMatch::Contains, QStringLiteral("wiretransfer"),
             RuleAction::Hold),
        rule(QStringLiteral("scripts"), RuleTarget::Attachment, RuleMatch::Extension, QStringLiteral("vbs"), RuleAction::Hold),
    });
    QVERIFY(f.errors().isEmpty());
    const ContentVerdict v = f.check(m_corpus.message(message));
    QCOMPARE(v.ruleName, ruleName);
    QCOMPARE(v.matched, !ruleName.isEmpty());
    if (v.matched) {
        QVERIFY(v.reason.startsWith(QStringLiteral("content rule \"%1\"").arg(ruleName)));
        QVERIFY(!v.reason.contains(QLatin1Char('\n')) && !v.reason.contains(QLatin1Char('\r')));
    }
    QCOMPARE(v.mimeIncomplete, false);
}

void TestContentFilter::everyAction()
{
    if (!m_haveCorpus)
        QFAIL(qPrintable(m_corpus.error));
    const QByteArray latin1 = m_corpus.message(QStringLiteral("latin1"));
    const QByteArray attachments = m_corpus.message(QStringLiteral("attachments"));
    ContentFilter f;
    // Reject on the ISO-8859-1 QP body, with a regex (case-insensitive).
    f.setRules({rule(QStringLiteral("cheap"), RuleTarget::Body, RuleMatch::Regex, QStringLiteral("viagra g\u00fcnstig"))});
    ContentVerdict v = f.check(latin1);
    QCOMPARE(v.action, RuleAction::Reject);
    QVERIFY(v.headerLine.isEmpty());
    // Hold on a header decoded from ISO-8859-1 (X-Note: "Café crème").
    f.setRules({rule(QStringLiteral("note"), RuleTarget::Header, RuleMatch::Regex, QStringLiteral("^caf\u00e9 CR\u00c8ME$"),
                     RuleAction::Hold, QStringLiteral("X-Note"))});
    v = f.check(latin1);
    QCOMPARE(v.action, RuleAction::Hold);
    QVERIFY(v.reason.contains(QStringLiteral("Caf\u00e9 cr\u00e8me")));
    // AddHeader on an attachment name (RFC 2231 encoded).
    f.setRules({rule(QStringLiteral("resume"), RuleTarget::Attachment, RuleMatch::Regex, QStringLiteral("^r\u00e9sum\u00e9 "),
                     RuleAction::AddHeader, QString(), QStringLiteral("X-Resume:\tattached\r\n"))});
    v = f.check(attachments);
    QCOMPARE(v.action, RuleAction::AddHeader);
    QCOMPARE(v.headerLine, QByteArray("X-Resume:\tattached\r\n"));
    // Accept stops the evaluation: the later Reject does not apply.
    f.setRules({rule(QStringLiteral("trusted"), RuleTarget::Attachment, RuleMatch::Contains, QStringLiteral("notes.txt"),
                     RuleAction::Accept),
                rule(QStringLiteral("no-js"), RuleTarget::Attachment, RuleMatch::Extension, QStringLiteral("js"))});
    v = f.check(attachments);
    QCOMPARE(v.action, RuleAction::Accept);
    QCOMPARE(v.ruleName, QStringLiteral("trusted"));
    // Without the Accept rule, the .JS attachment is rejected.
    f.setRules({rule(QStringLiteral("no-js"), RuleTarget::Attachment, RuleMatch::Extension, QStringLiteral("js"))});
    QCOMPARE(f.check(attachments).action, RuleAction::Reject);
    // Header rules look at the top-level header only, not at attached
    // messages' headers, and at every occurrence of the field.
    f.setRules({rule(QStringLiteral("fwd-subject"), RuleTarget::Header, RuleMatch::Contains, QStringLiteral("\u00dcberweisung"),
                     RuleAction::Reject, QStringLiteral("Subject"))});
    QVERIFY(!f.check(m_corpus.message(QStringLiteral("rfc822"))).matched);
    f.setRules({rule(QStringLiteral("received"), RuleTarget::Header, RuleMatch::Contains, QStringLiteral("relay2"),
                     RuleAction::Reject, QStringLiteral("Received"))});
    QCOMPARE(f.check("Received: from relay1\r\nReceived: from relay2\r\n\r\nbody\r\n").ruleName, QStringLiteral("received"));
}

void TestContentFilter::stopAt()
{
    ContentFilter f;
    f.setRules({rule(QStringLiteral("vip"), RuleTarget::Sender, RuleMatch::Address, QStringLiteral("ceo@example.com"),
                     RuleAction::Accept),
                rule(QStringLiteral("big"), RuleTarget::Size, RuleMatch::Greater, QStringLiteral("10"))});
    const QByteArray msg = "Subject: hi\r\n\r\nmore than ten octets\r\n";
    const ContentVerdict vip = f.checkSender(QStringLiteral("ceo@example.com"));
    QVERIFY(vip.matched);
    QVERIFY(!f.check(msg, vip.ruleIndex).matched);
    QCOMPARE(f.check(msg).ruleName, QStringLiteral("big"));
}

void TestContentFilter::attachedMessageInBase64()
{
    // A message/rfc822 attachment in base64 (forbidden by RFC 2046 but sent
    // by some clients) still has its attachment names looked at.
    const QByteArray inner = "Subject: inner\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\n"
                             "Content-Type: application/octet-stream\r\n"
                             "Content-Disposition: attachment; filename*=utf-8''hidden%2Eexe\r\n\r\nMZ\r\n--in--\r\n";
    const QByteArray outer = "Content-Type: multipart/mixed; boundary=out\r\n\r\n--out\r\n\r\ntext\r\n--out\r\n"
                             "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + inner.toBase64() + "\r\n--out--\r\n";
    ContentFilter f;
    f.setRules({rule(QStringLiteral("exe"), RuleTarget::Attachment, RuleMatch::Extension, QStringLiteral("exe"))});
    const ContentVerdict v = f.check(outer);
    QCOMPARE(v.ruleName, QStringLiteral("exe"));
    QVERIFY(v.reason.contains(QLatin1String("hidden.exe")));
    QVERIFY(v.mimeDefects > 0); // the base64 message/rfc822 is a defect
}

void TestContentFilter::sizeRule()
{
    ContentFilter f;
    f.setRules({rule(QStringLiteral("max1k"), RuleTarget::Size, RuleMatch::Greater, QStringLiteral("1024"), RuleAction::Hold)});
    QByteArray msg = "Subject: s\r\n\r\n";
    msg += QByteArray(1024 - msg.size(), 'x');
    QCOMPARE(msg.size(), 1024);
    QVERIFY(!f.check(msg).matched);
    msg += 'x';
    const ContentVerdict v = f.check(msg);
    QCOMPARE(v.action, RuleAction::Hold);
    QVERIFY(v.reason.contains(QLatin1String("1025")));
}

void TestContentFilter::extensions_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("ext");
    QTest::newRow("double") << QStringLiteral("invoice.pdf.exe") << QStringLiteral("exe");
    QTest::newRow("upper") << QStringLiteral("REPORT.VBS") << QStringLiteral("vbs");
    QTest::newRow("trailing dot and space") << QStringLiteral("run.exe. ") << QStringLiteral("exe");
    QTest::newRow("path") << QStringLiteral("C:\\tmp.d\\evil.scr") << QStringLiteral("scr");
    QTest::newRow("unix path") << QStringLiteral("../x.y/run") << QString();
    QTest::newRow("rtl override") << QStringLiteral("invoice\u202Efdp.exe") << QStringLiteral("exe");
    QTest::newRow("nul") << QStringLiteral("a.exe") + QChar(0) << QStringLiteral("exe");
    QTest::newRow("none") << QStringLiteral("README") << QString();
    QTest::newRow("dotfile") << QStringLiteral(".bashrc") << QStringLiteral("bashrc");
}

void TestContentFilter::extensions()
{
    QFETCH(QString, name);
    QFETCH(QString, ext);
    QCOMPARE(fileExtension(name), ext);
}

void TestContentFilter::badRules()
{
    ContentFilter f;
    f.setRules({rule(QStringLiteral("broken"), RuleTarget::Body, RuleMatch::Regex, QStringLiteral("([a-")),
                rule(QStringLiteral("mismatch"), RuleTarget::Size, RuleMatch::Contains, QStringLiteral("x")),
                rule(QStringLiteral("nosize"), RuleTarget::Size, RuleMatch::Greater, QStringLiteral("big")),
                rule(QStringLiteral("noheader"), RuleTarget::Header, RuleMatch::Contains, QStringLiteral("x")),
                rule(QStringLiteral("badarg"), RuleTarget::Body, RuleMatch::Contains, QStringLiteral("x"),
                     RuleAction::AddHeader, QString(), QStringLiteral("no colon")),
                rule(QStringLiteral("works"), RuleTarget::Body, RuleMatch::Contains, QStringLiteral("x"))});
    QCOMPARE(f.errors().size(), 5);
    QVERIFY(f.errors().at(0).startsWith(QLatin1String("rule 1 \"broken\": regular expression")));
    QCOMPARE(f.check("Subject: a\r\n\r\n([a-x\r\n").ruleName, QStringLiteral("works"));
    // Garbage in: an answer, no crash.
    QVERIFY(!f.check(QByteArray()).matched);
    QVERIFY(!f.check(QByteArray("\0\0\0", 3)).matched);
}

QTEST_GUILESS_MAIN(TestContentFilter)
#include "tst_contentfilter.moc"

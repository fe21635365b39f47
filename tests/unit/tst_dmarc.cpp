// Unit tests for DMARC (core/mailauth/dmarc*, publicsuffix): the record
// parser and alignment against the shared conformance data (records.yml,
// converted to tests/data/dmarc/records.json), the Public Suffix List against
// Debian's file with libpsl's `psl` tool as an independent oracle plus a
// synthetic list, the From-domain extraction cross-checked with Python's
// email package, and the evaluator through an in-memory resolver.

#include "mailauth/dmarc.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <optional>

using namespace rd::mailauth;
namespace dns = rd::dns;

namespace {

const QString kDebianPsl = QStringLiteral("/usr/share/publicsuffix/public_suffix_list.dat");

// Runs a program with `input` on stdin; stdout, or nullopt if it failed.
std::optional<QByteArray> runTool(const QString &program, const QStringList &args, const QByteArray &input)
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForStarted(10000))
        return std::nullopt;
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        qWarning() << program << "failed:" << p.readAllStandardError();
        return std::nullopt;
    }
    return p.readAllStandardOutput();
}

// An in-memory DNS zone: TXT records by name, names that fail temporarily.
class ZoneResolver : public dns::Resolver {
public:
    QHash<QString, QList<QList<QByteArray>>> txt; // name -> records -> character-strings
    QSet<QString> servfail;
    QStringList asked;

    void add(const QString &name, const QList<QByteArray> &strings) { txt[name].append(strings); }

protected:
    void startLookup(dns::RequestId id, const QString &name, dns::RecordType type) override
    {
        asked << name;
        dns::Answer a;
        a.name = name;
        a.canonicalName = name;
        a.type = type;
        const QString key = name.toLower();
        if (servfail.contains(key)) {
            a.status = dns::Status::ServerFailure;
        } else if (type == dns::RecordType::TXT && txt.contains(key)) {
            a.status = dns::Status::Ok;
            for (const QList<QByteArray> &strings : txt.value(key)) {
                dns::TxtRecord r;
                r.strings = strings;
                a.txt << r;
            }
        } else {
            a.status = dns::Status::NxDomain;
        }
        finishLater(id, a);
    }
    void cancelLookup(dns::RequestId) override {}
};

} // namespace

class TestDmarc : public QObject {
    Q_OBJECT

private:
    QJsonObject m_data;
    const PublicSuffixList &psl() { return PublicSuffixList::system(); }

    std::optional<DmarcOutcome> evaluate(ZoneResolver &zone, const QString &from, const DmarcSpfInput &spf,
                                         const QList<DmarcDkimInput> &dkim, std::function<int()> roll = {})
    {
        DmarcEvaluator ev(&zone, psl());
        if (roll)
            ev.setRandomSource(roll);
        std::optional<DmarcOutcome> out;
        int calls = 0;
        ev.evaluate(from, spf, dkim, nullptr, [&](const DmarcOutcome &o) {
            out = o;
            ++calls;
        });
        if (calls != 0) {
            qWarning("callback ran synchronously");
            return std::nullopt;
        }
        if (!QTest::qWaitFor([&] { return calls > 0; }, 5000))
            return std::nullopt;
        QTest::qWait(20); // a second call would show up here
        if (calls != 1) {
            qWarning("callback ran %d times", calls);
            return std::nullopt;
        }
        return out;
    }

private slots:
    void initTestCase()
    {
        QFile f(QFINDTESTDATA("../data/dmarc/records.json"));
        QVERIFY2(f.open(QIODevice::ReadOnly), "tests/data/dmarc/records.json");
        m_data = QJsonDocument::fromJson(f.readAll()).object();
        QVERIFY(m_data.value(QStringLiteral("cases")).toArray().size() >= 20);
        QVERIFY2(psl().isLoaded(), qPrintable(psl().loadError()));
        QVERIFY(psl().ruleCount() > 5000);
    }

    // records.yml: applies, every effective value given, and the warning set.
    void recordCases()
    {
        const QJsonArray cases = m_data.value(QStringLiteral("cases")).toArray();
        int checkedValues = 0;
        for (const QJsonValue &v : cases) {
            const QJsonObject c = v.toObject();
            const QString txt = c.value(QStringLiteral("record")).toString();
            const DmarcRecord r = parseDmarcRecord(txt);
            const QByteArray what = txt.toUtf8();
            QVERIFY2(r.applies == c.value(QStringLiteral("applies")).toBool(), what.constData());
            QVERIFY2(r.applies == r.error.isEmpty(), what.constData());
            QCOMPARE(r.warnings.size(), r.warningTexts.size());
            for (const QString &t : r.warningTexts)
                QVERIFY(t.size() > 20);
            for (const QString &key : {QStringLiteral("p"), QStringLiteral("sp"), QStringLiteral("adkim"),
                                       QStringLiteral("aspf"), QStringLiteral("fo")}) {
                if (!c.contains(key))
                    continue;
                const QString actual = key == QLatin1String("p")    ? r.p
                                       : key == QLatin1String("sp") ? r.sp
                                       : key == QLatin1String("fo") ? r.fo
                                       : key == QLatin1String("adkim") ? QString(r.adkim)
                                                                       : QString(r.aspf);
                QVERIFY2(actual == c.value(key).toString(),
                         qPrintable(QStringLiteral("%1: %2=%3, expected %4").arg(txt, key, actual, c.value(key).toString())));
                ++checkedValues;
            }
            if (c.contains(QStringLiteral("pct"))) {
                QVERIFY2(r.pct == c.value(QStringLiteral("pct")).toInt(), what.constData());
                ++checkedValues;
            }
            for (const QString &key : {QStringLiteral("rua"), QStringLiteral("ruf")}) {
                if (!c.contains(key))
                    continue;
                QStringList expected;
                for (const QJsonValue &u : c.value(key).toArray())
                    expected << u.toString();
                QCOMPARE(key == QLatin1String("rua") ? r.rua : r.ruf, expected);
                ++checkedValues;
            }
            if (c.contains(QStringLiteral("warnings"))) {
                QSet<QString> expected;
                for (const QJsonValue &w : c.value(QStringLiteral("warnings")).toArray())
                    expected.insert(w.toString());
                const QSet<QString> actual(r.warnings.begin(), r.warnings.end());
                QVERIFY2(actual == expected,
                         qPrintable(QStringLiteral("%1: warnings %2, expected %3")
                                        .arg(txt, r.warnings.join(QLatin1Char(',')),
                                             QStringList(expected.begin(), expected.end()).join(QLatin1Char(',')))));
            }
        }
        QVERIFY(checkedValues > 40);
    }

    void recordExtras()
    {
        DmarcRecord r = parseDmarcRecord(QStringLiteral("v=DMARC1; p=reject; rf=afrf; ri=3600; fo=d : s"));
        QVERIFY(r.applies);
        QCOMPARE(r.ri, 3600);
        QCOMPARE(r.fo, QStringLiteral("d:s"));
        QCOMPARE(r.rf, QStringLiteral("afrf"));
        r = parseDmarcRecord(QStringLiteral("v=DMARC1; p=reject; ri=-5; fo=2; rua=notauri, mailto:ok@example.com"));
        QVERIFY(r.applies);
        QCOMPARE(r.ri, 86400);
        QCOMPARE(r.fo, QStringLiteral("0"));
        QCOMPARE(r.rua, QStringList{QStringLiteral("mailto:ok@example.com")});
        for (const char *code : {"invalid-ri", "invalid-fo", "invalid-rua"})
            QVERIFY2(r.warnings.contains(QLatin1String(code)), code);
        // Tag names are case-insensitive; a tag without '=' is reported, not fatal.
        r = parseDmarcRecord(QStringLiteral("V=DMARC1; P=quarantine; junk; RUA=mailto:a@example.com"));
        QVERIFY(r.applies);
        QCOMPARE(r.p, QStringLiteral("quarantine"));
        QVERIFY(r.warnings.contains(QStringLiteral("syntax-error")));
        QVERIFY(isDmarcRecordText(QStringLiteral(" v = DMARC1 ;p=none")));
        QVERIFY(!isDmarcRecordText(QStringLiteral("v=spf1 -all")));
        // Arbitrary bytes never crash and never apply without v=DMARC1.
        const QByteArray junk = QByteArray::fromHex("00ff3b3d3d3b763d444d4152433100");
        QVERIFY(!parseDmarcRecord(QString::fromLatin1(junk)).applies);
    }

    void alignmentCases()
    {
        const QJsonArray cases = m_data.value(QStringLiteral("alignment")).toArray();
        QVERIFY(cases.size() >= 8);
        for (const QJsonValue &v : cases) {
            const QJsonObject c = v.toObject();
            const QString from = c.value(QStringLiteral("from")).toString();
            const QString other = c.value(QStringLiteral("other")).toString();
            const bool strict = c.value(QStringLiteral("mode")).toString() == QLatin1String("s");
            QVERIFY2(dmarcAligned(from, other, strict, psl()) == c.value(QStringLiteral("aligned")).toBool(),
                     qPrintable(from + QLatin1Char(' ') + other));
        }
        QVERIFY(!dmarcAligned(QString(), QStringLiteral("example.com"), false, psl()));
        QVERIFY(dmarcAligned(QStringLiteral("bücher.example"), QStringLiteral("xn--bcher-kva.example."), true, psl()));
        QVERIFY(dmarcAligned(QStringLiteral("a.foo.github.io"), QStringLiteral("foo.github.io"), false, psl()));
        QVERIFY(!dmarcAligned(QStringLiteral("foo.github.io"), QStringLiteral("bar.github.io"), false, psl()));
    }

    void publicSuffixDebianFile_data()
    {
        QTest::addColumn<QString>("domain");
        QTest::addColumn<QString>("suffix");
        QTest::addColumn<QString>("org");
        const auto row = [](const char *d, const char *s, const char *o) {
            QTest::newRow(d) << QString::fromUtf8(d) << QString::fromUtf8(s) << QString::fromUtf8(o);
        };
        row("example.com", "com", "example.com");
        row("WWW.Example.COM.", "com", "example.com");
        row("a.b.example.co.uk", "co.uk", "example.co.uk");
        row("co.uk", "co.uk", "co.uk");
        row("a.b.c.ck", "c.ck", "b.c.ck");      // *.ck
        row("www.ck", "ck", "www.ck");          // !www.ck
        row("a.www.ck", "ck", "www.ck");
        row("a.b.kawasaki.jp", "b.kawasaki.jp", "a.b.kawasaki.jp");
        row("x.city.kawasaki.jp", "kawasaki.jp", "city.kawasaki.jp");
        row("foo.github.io", "github.io", "foo.github.io"); // private section
        row("x.y.blogspot.com", "blogspot.com", "y.blogspot.com");
        row("a.b.eu-west-1.compute.amazonaws.com", "eu-west-1.compute.amazonaws.com",
            "b.eu-west-1.compute.amazonaws.com");
        row("www.shop.公司.cn", "公司.cn", "shop.公司.cn");
        row("www.shop.xn--55qx5d.cn", "xn--55qx5d.cn", "shop.xn--55qx5d.cn");
        row("mail.example.invalidtld", "invalidtld", "example.invalidtld"); // implicit "*"
    }

    void publicSuffixDebianFile()
    {
        QFETCH(QString, domain);
        QFETCH(QString, suffix);
        QFETCH(QString, org);
        QCOMPARE(psl().publicSuffix(domain), suffix);
        QCOMPARE(psl().organizationalDomain(domain), org);
    }

    // libpsl (an independent implementation) on the same file: a domain under
    // every rule of the list, plus edge cases.
    void publicSuffixAgainstLibpsl()
    {
        const QString tool = QStringLiteral("/usr/bin/psl");
        if (!QFile::exists(tool))
            QSKIP("libpsl's psl tool is not installed (Debian package psl)");
        QFile f(kDebianPsl);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QStringList domains{QStringLiteral("example.com"), QStringLiteral("com"), QStringLiteral("a.b.c.d.example.org")};
        for (const QByteArray &raw : f.readAll().split('\n')) {
            const QString line = QString::fromUtf8(raw).trimmed();
            if (line.isEmpty() || line.startsWith(QLatin1String("//")))
                continue;
            QString rule = line;
            rule.remove(QLatin1Char('!'));
            rule.replace(QLatin1String("*."), QLatin1String("wild."));
            domains << QStringLiteral("a.b.") + rule << rule;
        }
        QVERIFY(domains.size() > 15000);
        const auto out = runTool(tool, {QStringLiteral("--load-psl-file"), kDebianPsl,
                                        QStringLiteral("--print-reg-domain"), QStringLiteral("-b")},
                                 domains.join(QLatin1Char('\n')).toUtf8() + '\n');
        QVERIFY(out);
        const QStringList lines = QString::fromUtf8(*out).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), domains.size());
        int mismatches = 0;
        for (int i = 0; i < domains.size(); ++i) {
            const QString expected = lines.at(i) == QLatin1String("(null)") ? domains.at(i) : lines.at(i);
            const QString actual = psl().organizationalDomain(domains.at(i));
            if (QString::compare(actual, expected, Qt::CaseInsensitive) != 0 && ++mismatches <= 10)
                qWarning() << domains.at(i) << "ours:" << actual << "libpsl:" << expected;
            if (lines.at(i) == QLatin1String("(null)") && !psl().isPublicSuffix(domains.at(i)) && ++mismatches <= 10)
                qWarning() << domains.at(i) << "libpsl: a public suffix; ours: not";
        }
        QCOMPARE(mismatches, 0);
    }

    void publicSuffixSynthetic()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("psl.dat"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("// ===BEGIN ICANN DOMAINS===\n"
                "com\n"
                "*.foo.com\n"
                "!bar.foo.com\n"
                "uk  trailing text is ignored\n"
                "co.uk\n"
                "// ===END ICANN DOMAINS===\n"
                "// ===BEGIN PRIVATE DOMAINS===\n"
                "*.platform.test\n"
                "b\xc3\xbc" "cher.example\n" // bücher.example, in UTF-8
                "// ===END PRIVATE DOMAINS===\n");
        f.close();
        PublicSuffixList list;
        QVERIFY(!list.isLoaded());
        QCOMPARE(list.organizationalDomain(QStringLiteral("a.b.example.com")), QStringLiteral("a.b.example.com"));
        QString error;
        QVERIFY2(list.load(path, &error), qPrintable(error));
        QCOMPARE(list.ruleCount(), 7);
        QCOMPARE(list.publicSuffix(QStringLiteral("x.y.foo.com")), QStringLiteral("y.foo.com"));
        QCOMPARE(list.organizationalDomain(QStringLiteral("w.x.y.foo.com")), QStringLiteral("x.y.foo.com"));
        QCOMPARE(list.publicSuffix(QStringLiteral("bar.foo.com")), QStringLiteral("foo.com")); // exception wins
        QCOMPARE(list.organizationalDomain(QStringLiteral("a.bar.foo.com")), QStringLiteral("bar.foo.com"));
        QCOMPARE(list.organizationalDomain(QStringLiteral("foo.com")), QStringLiteral("foo.com"));
        QVERIFY(!list.isPublicSuffix(QStringLiteral("foo.com")));
        QVERIFY(list.isPublicSuffix(QStringLiteral("any.foo.com")));
        QCOMPARE(list.organizationalDomain(QStringLiteral("a.example.co.uk")), QStringLiteral("example.co.uk"));
        QCOMPARE(list.organizationalDomain(QStringLiteral("x.uk")), QStringLiteral("x.uk"));
        // A wildcard whose parent is not a rule itself.
        QCOMPARE(list.organizationalDomain(QStringLiteral("a.b.c.platform.test")), QStringLiteral("b.c.platform.test"));
        QCOMPARE(list.organizationalDomain(QStringLiteral("platform.test")), QStringLiteral("platform.test"));
        // IDN rule matched in either spelling; the answer keeps the input's spelling.
        QCOMPARE(list.organizationalDomain(QStringLiteral("a.shop.xn--bcher-kva.example")),
                 QStringLiteral("shop.xn--bcher-kva.example"));
        QCOMPARE(list.organizationalDomain(QStringLiteral("a.shop.Bücher.example")), QStringLiteral("shop.bücher.example"));
        QCOMPARE(list.organizationalDomain(QStringLiteral("a.shop\u3002bücher.example")), QStringLiteral("shop.bücher.example"));
        // Not valid names.
        QCOMPARE(list.publicSuffix(QStringLiteral("a..com")), QString());
        QCOMPARE(list.publicSuffix(QString()), QString());

        // Failed loads keep the rules loaded before.
        QVERIFY(!list.load(dir.filePath(QStringLiteral("missing.dat")), &error));
        QVERIFY(error.contains(QLatin1String("missing.dat")));
        QVERIFY(!list.loadFromData("// only a comment\n\n", &error));
        QCOMPARE(error, QStringLiteral("no rules found"));
        QCOMPARE(list.ruleCount(), 7);
        QVERIFY(PublicSuffixList::defaultPaths().contains(kDebianPsl));
    }

    void headerFrom_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<QString>("domain"); // empty: an error is expected
        QTest::newRow("plain") << QByteArray("From: alice@example.com\r\n") << "example.com";
        QTest::newRow("display name, comma in quotes")
            << QByteArray("Subject: x\r\nFrom: \"Alice, A. <a@x>\" <alice@Example.COM>\r\nTo: b@c.d\r\n\r\n")
            << "example.com";
        QTest::newRow("comments") << QByteArray("From: (the boss, @home) alice(x)@(y)example.org (Alice)\r\n")
                                  << "example.org";
        QTest::newRow("folded") << QByteArray("From: Alice\r\n Example\r\n\t<alice@mail.example.net>\r\n")
                                << "mail.example.net";
        QTest::newRow("encoded word") << QByteArray("From: =?UTF-8?Q?Ren=C3=A9_=40_Home?= <rene@example.org>\r\n")
                                      << "example.org";
        QTest::newRow("quoted local part with @") << QByteArray("From: \"a@evil.test\"@example.com\r\n")
                                                  << "example.com";
        QTest::newRow("obsolete route") << QByteArray("From: <@relay.test,@b.test:alice@example.net>\r\n")
                                        << "example.net";
        QTest::newRow("utf8 domain") << QByteArray("From: J\xc3\xb6rg <j@b\xc3\xbc" "cher.example>\r\n")
                                     << QString::fromUtf8("bücher.example");
        QTest::newRow("case and space before colon") << QByteArray("FROM : a@Example.com.\r\n") << "example.com";
        QTest::newRow("bare LF, body ignored")
            << QByteArray("From: a@example.com\n\nFrom: b@evil.test\n") << "example.com";
        QTest::newRow("mbox line ignored")
            << QByteArray("From sender@x.test Mon Jan  1 10:00:00 2024\r\nFrom: a@example.com\r\n") << "example.com";
        QTest::newRow("empty list elements") << QByteArray("From: , a@example.com ,\r\n") << "example.com";
        QTest::newRow("no From") << QByteArray("To: a@example.com\r\n") << "";
        QTest::newRow("two From fields") << QByteArray("From: a@example.com\r\nFrom: b@example.com\r\n") << "";
        QTest::newRow("two addresses") << QByteArray("From: a@example.com, b@example.net\r\n") << "";
        QTest::newRow("group") << QByteArray("From: undisclosed-recipients:;\r\n") << "";
        QTest::newRow("address literal") << QByteArray("From: a@[192.0.2.1]\r\n") << "";
        QTest::newRow("no domain") << QByteArray("From: alice\r\n") << "";
        QTest::newRow("empty") << QByteArray("From: \r\n") << "";
        QTest::newRow("empty angle") << QByteArray("From: <>\r\n") << "";
        QTest::newRow("unterminated quote") << QByteArray("From: \"Alice <a@example.com>\r\n") << "";
        QTest::newRow("unterminated comment") << QByteArray("From: a@example.com (x\r\n") << "";
        QTest::newRow("two angle addresses") << QByteArray("From: <a@example.com> <b@example.net>\r\n") << "";
        QTest::newRow("bad domain") << QByteArray("From: a@exa..mple.com\r\n") << "";
    }

    void headerFrom()
    {
        QFETCH(QByteArray, header);
        QFETCH(QString, domain);
        QString error;
        QCOMPARE(headerFromDomain(header, &error), domain);
        QCOMPARE(error.isEmpty(), !domain.isEmpty());
    }

    // Python's email package (policy=default) is an independent RFC 5322
    // parser: where it finds exactly one address, its domain must be ours.
    void headerFromAgainstPython()
    {
        if (!QFile::exists(QStringLiteral("/usr/bin/python3")))
            QSKIP("no /usr/bin/python3");
        QJsonArray inputs;
        QList<QPair<QByteArray, QString>> rows;
        for (const QByteArray &h : {QByteArray("From: alice@example.com\r\n"),
                                    QByteArray("From: \"Alice, A.\" <alice@Example.COM>\r\n"),
                                    QByteArray("From: Alice\r\n Example\r\n\t<alice@mail.example.net>\r\n"),
                                    QByteArray("From: =?UTF-8?Q?Ren=C3=A9_=40_Home?= <rene@example.org>\r\n"),
                                    QByteArray("From: \"a@evil.test\"@example.com\r\n"),
                                    QByteArray("From: Bob (work) <bob@sub.example.co.uk>\r\n"),
                                    QByteArray("From: a@example.com, b@example.net\r\n")}) {
            inputs.append(QString::fromLatin1(h.toBase64()));
            QString error;
            rows.append({h, headerFromDomain(h, &error)});
        }
        const QByteArray script =
            "import sys, json, base64, email, email.policy\n"
            "out = []\n"
            "for b in json.load(sys.stdin):\n"
            "    m = email.message_from_bytes(base64.b64decode(b) + b'\\r\\n', policy=email.policy.default)\n"
            "    a = m['From'].addresses\n"
            "    out.append(a[0].domain.lower() if len(a) == 1 else '')\n"
            "print(json.dumps(out))\n";
        const auto out = runTool(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), QString::fromLatin1(script)},
                                 QJsonDocument(inputs).toJson());
        QVERIFY(out);
        const QJsonArray expected = QJsonDocument::fromJson(*out).array();
        QCOMPARE(expected.size(), rows.size());
        for (int i = 0; i < rows.size(); ++i)
            QVERIFY2(rows.at(i).second == expected.at(i).toString(),
                     qPrintable(QStringLiteral("%1: ours %2, python %3")
                                    .arg(QString::fromUtf8(rows.at(i).first).trimmed(), rows.at(i).second,
                                         expected.at(i).toString())));
    }

    void evaluatorRecordAtFromDomain()
    {
        ZoneResolver zone;
        zone.add(QStringLiteral("_dmarc.example.com"), {"v=DMARC1; p=reject; rua=mailto:d@example.com"});
        zone.add(QStringLiteral("_dmarc.example.com"), {"v=spf1 -all"}); // not a DMARC record: discarded
        const auto o = evaluate(zone, QStringLiteral("Example.COM"), {QStringLiteral("pass"), QStringLiteral("example.com")}, {});
        QVERIFY(o);
        QCOMPARE(o->result, QStringLiteral("pass"));
        QCOMPARE(o->policy, QStringLiteral("reject"));
        QCOMPARE(o->disposition, QStringLiteral("none"));
        QCOMPARE(o->headerFrom, QStringLiteral("example.com"));
        QCOMPARE(o->recordDomain, QStringLiteral("example.com"));
        QVERIFY(o->spfAligned);
        QVERIFY(!o->dkimAligned);
        QCOMPARE(zone.asked, QStringList{QStringLiteral("_dmarc.example.com")});
        const AuthResultsEntry ar = dmarcAuthResultsEntry(*o);
        QCOMPARE(ar.method, QStringLiteral("dmarc"));
        QCOMPARE(ar.result, QStringLiteral("pass"));
    }

    void evaluatorOrgDomainFallbackAndSp()
    {
        ZoneResolver zone;
        // Split into two character-strings: joined before parsing.
        zone.add(QStringLiteral("_dmarc.example.co.uk"), {"v=DMARC1; p=reject; sp=quar", "antine"});
        const DmarcSpfInput spf{QStringLiteral("pass"), QStringLiteral("bounce.other.test")};
        const auto o = evaluate(zone, QStringLiteral("news.example.co.uk"), spf,
                                {{QStringLiteral("pass"), QStringLiteral("other.test")}}, [] { return 0; });
        QVERIFY(o);
        QCOMPARE(zone.asked, (QStringList{QStringLiteral("_dmarc.news.example.co.uk"), QStringLiteral("_dmarc.example.co.uk")}));
        QCOMPARE(o->result, QStringLiteral("fail"));
        QCOMPARE(o->recordDomain, QStringLiteral("example.co.uk"));
        QCOMPARE(o->policy, QStringLiteral("quarantine")); // sp for the subdomain
        QCOMPARE(o->disposition, QStringLiteral("quarantine"));
        QVERIFY(o->reason.contains(QLatin1String("not aligned")));

        // The organizational domain itself gets p.
        ZoneResolver zone2;
        zone2.add(QStringLiteral("_dmarc.example.co.uk"), {"v=DMARC1; p=reject; sp=none"});
        auto o2 = evaluate(zone2, QStringLiteral("example.co.uk"), spf, {}, [] { return 0; });
        QVERIFY(o2);
        QCOMPARE(zone2.asked.size(), 1);
        QCOMPARE(o2->policy, QStringLiteral("reject"));
        QCOMPARE(o2->disposition, QStringLiteral("reject"));
        // ... and a subdomain sp=none; without sp it inherits p.
        o2 = evaluate(zone2, QStringLiteral("a.example.co.uk"), spf, {}, [] { return 0; });
        QCOMPARE(o2->policy, QStringLiteral("none"));
        QCOMPARE(o2->disposition, QStringLiteral("none"));
        ZoneResolver zone3;
        zone3.add(QStringLiteral("_dmarc.example.com"), {"v=DMARC1; p=reject"});
        o2 = evaluate(zone3, QStringLiteral("a.b.example.com"), spf, {}, [] { return 0; });
        QCOMPARE(o2->policy, QStringLiteral("reject"));
        // A record at the subdomain itself: its p applies, not its sp.
        zone3.add(QStringLiteral("_dmarc.sub.example.com"), {"v=DMARC1; p=none; sp=reject"});
        o2 = evaluate(zone3, QStringLiteral("sub.example.com"), spf, {}, [] { return 0; });
        QCOMPARE(o2->recordDomain, QStringLiteral("sub.example.com"));
        QCOMPARE(o2->policy, QStringLiteral("none"));
    }

    void evaluatorNoneErrorsAndTemp()
    {
        const DmarcSpfInput spf{QStringLiteral("pass"), QStringLiteral("example.com")};
        ZoneResolver zone;
        auto o = evaluate(zone, QStringLiteral("mail.example.com"), spf, {});
        QCOMPARE(o->result, QStringLiteral("none"));
        QCOMPARE(o->policy, QString());
        QCOMPARE(o->disposition, QStringLiteral("none"));
        QCOMPARE(zone.asked.size(), 2);

        // Two DMARC records at the From domain: no policy, and no fallback.
        zone.asked.clear();
        zone.add(QStringLiteral("_dmarc.mail.example.com"), {"v=DMARC1; p=reject"});
        zone.add(QStringLiteral("_dmarc.mail.example.com"), {"v=DMARC1; p=none"});
        zone.add(QStringLiteral("_dmarc.example.com"), {"v=DMARC1; p=reject"});
        o = evaluate(zone, QStringLiteral("mail.example.com"), {}, {});
        QCOMPARE(o->result, QStringLiteral("permerror"));
        QCOMPARE(o->policy, QString());
        QCOMPARE(o->disposition, QStringLiteral("none"));
        QCOMPARE(zone.asked.size(), 1);

        // A record that does not apply.
        ZoneResolver bad;
        bad.add(QStringLiteral("_dmarc.example.org"), {"v=DMARC1; p=block"});
        o = evaluate(bad, QStringLiteral("example.org"), {}, {});
        QCOMPARE(o->result, QStringLiteral("permerror"));
        QCOMPARE(o->record.applies, false);

        // Temporary DNS failure, at the From domain and at the org domain.
        ZoneResolver temp;
        temp.servfail << QStringLiteral("_dmarc.example.net");
        o = evaluate(temp, QStringLiteral("example.net"), spf, {});
        QCOMPARE(o->result, QStringLiteral("temperror"));
        QCOMPARE(o->policy, QString());
        o = evaluate(temp, QStringLiteral("a.example.net"), spf, {});
        QCOMPARE(o->result, QStringLiteral("temperror"));
        QCOMPARE(temp.asked.last(), QStringLiteral("_dmarc.example.net"));

        // Invalid From domain: permerror, still asynchronous.
        o = evaluate(temp, QString(), spf, {});
        QCOMPARE(o->result, QStringLiteral("permerror"));
        o = evaluate(temp, QStringLiteral("a..b"), spf, {});
        QCOMPARE(o->result, QStringLiteral("permerror"));

        // An IDN From domain is looked up in its ACE form.
        ZoneResolver idn;
        idn.add(QStringLiteral("_dmarc.xn--bcher-kva.example"), {"v=DMARC1; p=quarantine"});
        o = evaluate(idn, QStringLiteral("Bücher.example"), {QStringLiteral("pass"), QStringLiteral("xn--bcher-kva.example")}, {});
        QCOMPARE(o->result, QStringLiteral("pass"));
        QCOMPARE(o->policy, QStringLiteral("quarantine"));
    }

    void evaluatorAlignmentModes()
    {
        struct Case {
            const char *record;
            const char *spfResult;
            const char *spfDomain;
            QList<DmarcDkimInput> dkim;
            const char *expected;
        };
        const QString pass = QStringLiteral("pass");
        const QList<Case> cases{
            {"v=DMARC1; p=reject", "pass", "mail.example.com", {}, "pass"},
            {"v=DMARC1; p=reject; aspf=s", "pass", "mail.example.com", {}, "fail"},
            {"v=DMARC1; p=reject; aspf=s", "pass", "EXAMPLE.com", {}, "pass"},
            {"v=DMARC1; p=reject", "softfail", "example.com", {}, "fail"},
            {"v=DMARC1; p=reject", "pass", "example.net", {}, "fail"},
            {"v=DMARC1; p=reject", "none", "", {{pass, QStringLiteral("s.example.com")}}, "pass"},
            {"v=DMARC1; p=reject; adkim=s", "none", "", {{pass, QStringLiteral("s.example.com")}}, "fail"},
            {"v=DMARC1; p=reject; adkim=s", "none", "", {{pass, QStringLiteral("example.com")}}, "pass"},
            {"v=DMARC1; p=reject", "fail", "x.test",
             {{QStringLiteral("fail"), QStringLiteral("example.com")}, {pass, QStringLiteral("other.test")}}, "fail"},
            {"v=DMARC1; p=reject; adkim=s; aspf=r", "pass", "bounce.example.com",
             {{pass, QStringLiteral("s.example.com")}}, "pass"},
        };
        for (const Case &c : cases) {
            ZoneResolver zone;
            zone.add(QStringLiteral("_dmarc.example.com"), {QByteArray(c.record)});
            const auto o = evaluate(zone, QStringLiteral("example.com"),
                                    {QString::fromLatin1(c.spfResult), QString::fromLatin1(c.spfDomain)}, c.dkim,
                                    [] { return 0; });
            QVERIFY(o);
            const QString label = QStringLiteral("%1 spf=%2 %3").arg(QLatin1String(c.record), QLatin1String(c.spfResult),
                                                                      QLatin1String(c.spfDomain));
            QVERIFY2(o->result == QLatin1String(c.expected), qPrintable(label + QStringLiteral(" -> ") + o->result));
            QCOMPARE(o->disposition, o->result == pass ? QStringLiteral("none") : QStringLiteral("reject"));
        }
    }

    void evaluatorPctSampling()
    {
        const DmarcSpfInput failing{QStringLiteral("fail"), QStringLiteral("example.com")};
        const auto run = [&](const char *record, int roll) {
            ZoneResolver zone;
            zone.add(QStringLiteral("_dmarc.example.com"), {QByteArray(record)});
            return evaluate(zone, QStringLiteral("example.com"), failing, {}, [roll] { return roll; });
        };
        auto o = run("v=DMARC1; p=reject; pct=50", 49);
        QCOMPARE(o->disposition, QStringLiteral("reject"));
        QVERIFY(!o->sampledOut);
        o = run("v=DMARC1; p=reject; pct=50", 50);
        QCOMPARE(o->disposition, QStringLiteral("quarantine"));
        QVERIFY(o->sampledOut);
        QCOMPARE(o->policy, QStringLiteral("reject"));
        o = run("v=DMARC1; p=quarantine; pct=0", 0);
        QCOMPARE(o->disposition, QStringLiteral("none"));
        o = run("v=DMARC1; p=quarantine", 99);
        QCOMPARE(o->disposition, QStringLiteral("quarantine"));
        o = run("v=DMARC1; p=none; pct=100", 0);
        QCOMPARE(o->result, QStringLiteral("fail"));
        QCOMPARE(o->disposition, QStringLiteral("none"));
        // The default random source stays within 0..99: pct=100 always applies.
        ZoneResolver zone;
        zone.add(QStringLiteral("_dmarc.example.com"), {"v=DMARC1; p=reject"});
        for (int i = 0; i < 20; ++i)
            QCOMPARE(evaluate(zone, QStringLiteral("example.com"), failing, {})->disposition, QStringLiteral("reject"));
    }

    void evaluatorLifetimes()
    {
        ZoneResolver zone;
        zone.add(QStringLiteral("_dmarc.example.com"), {"v=DMARC1; p=reject"});
        int calls = 0;
        {
            DmarcEvaluator ev(&zone, psl());
            auto *context = new QObject;
            ev.evaluate(QStringLiteral("example.com"), {}, {}, context, [&](const DmarcOutcome &) { ++calls; });
            delete context;
            ev.evaluate(QString(), {}, {}, nullptr, [&](const DmarcOutcome &) { ++calls; }); // queued, then ev dies
            auto *ev2 = new DmarcEvaluator(&zone, psl());
            ev2->evaluate(QStringLiteral("example.com"), {}, {}, nullptr, [&](const DmarcOutcome &) { ++calls; });
            delete ev2;
        }
        QTest::qWait(50);
        QCOMPARE(calls, 0);
        // No resolver: temperror.
        DmarcEvaluator orphan(nullptr, psl());
        std::optional<DmarcOutcome> out;
        orphan.evaluate(QStringLiteral("example.com"), {}, {}, nullptr, [&](const DmarcOutcome &o) { out = o; });
        QVERIFY(!out);
        QTRY_VERIFY(out.has_value());
        QCOMPARE(out->result, QStringLiteral("temperror"));
    }
};

QTEST_MAIN(TestDmarc)
#include "tst_dmarc.moc"

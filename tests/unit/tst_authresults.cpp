// Unit tests for the Authentication-Results builder and parser
// (core/mailauth/authresults.*): the RFC 8601 Appendix B examples as
// literal parser input, builder output re-parsed by our parser AND by
// Python's independent `authres` module (Debian python3-authres), folding
// and quoting rules, and malformed input.

#include "mailauth/authresults.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

using namespace rd::mailauth;

namespace {

using Props = QList<QPair<QString, QString>>;

AuthResultsEntry entry(const QString &method, const QString &result, const QString &reason = {},
                       const Props &props = {})
{
    return AuthResultsEntry{method, result, reason, props};
}

QString describe(const AuthResultsEntry &e)
{
    QStringList props;
    for (const auto &[k, v] : e.properties)
        props << k + QLatin1Char('=') + v;
    return QStringLiteral("%1=%2 reason=[%3] %4").arg(e.method, e.result, e.reason, props.join(QLatin1Char(' ')));
}

// RFC 5322 2.2.3: unfolding removes each CRLF that is followed by WSP.
QByteArray unfold(QByteArray field)
{
    field.replace("\r\n ", " ");
    field.replace("\r\n\t", "\t");
    return field;
}

// The field value: the text after "Authentication-Results:".
QByteArray valueOf(const QByteArray &field)
{
    return field.mid(field.indexOf(':') + 1);
}

// Every line < 78 octets (RFC 5322 2.1.1), CRLF only, continuation lines
// start with WSP, one final CRLF.
bool wellFolded(const QByteArray &field, QString *why)
{
    if (!field.endsWith("\r\n")) {
        *why = QStringLiteral("no final CRLF");
        return false;
    }
    const QList<QByteArray> lines = field.left(field.size() - 2).split('\n');
    for (int i = 0; i < lines.size(); ++i) {
        QByteArray line = lines.at(i);
        if (i + 1 < lines.size()) {
            if (!line.endsWith('\r')) {
                *why = QStringLiteral("bare LF");
                return false;
            }
            line.chop(1);
        }
        if (line.contains('\r')) {
            *why = QStringLiteral("bare CR");
            return false;
        }
        if (line.size() >= 78) {
            *why = QStringLiteral("line of %1 octets: %2").arg(line.size()).arg(QString::fromUtf8(line));
            return false;
        }
        if (i > 0 && !(line.startsWith(' ') || line.startsWith('\t'))) {
            *why = QStringLiteral("continuation line without WSP: %1").arg(QString::fromUtf8(line));
            return false;
        }
    }
    return true;
}

} // namespace

class TestAuthResults : public QObject {
    Q_OBJECT

private:
    // A varied set of fields, with the entries each was built from.
    QList<QPair<QString, QList<AuthResultsEntry>>> samples() const
    {
        const QString longReason = QStringLiteral(
            "the signature did not verify because the body hash does not match the body of the message as received "
            "here");
        return {
            {QStringLiteral("relay.example.com"), {}},
            {QStringLiteral("relay.example.com"),
             {entry(QStringLiteral("spf"), QStringLiteral("pass"), {}, {{QStringLiteral("smtp.mailfrom"), QStringLiteral("alice@example.net")}})}},
            {QStringLiteral("mx.example.org"),
             {entry(QStringLiteral("spf"), QStringLiteral("softfail"), {}, {{QStringLiteral("smtp.mailfrom"), QStringLiteral("example.net")}, {QStringLiteral("smtp.helo"), QStringLiteral("client.example.net")}}),
              entry(QStringLiteral("dkim"), QStringLiteral("pass"), {},
                    {{QStringLiteral("header.d"), QStringLiteral("example.net")}, {QStringLiteral("header.i"), QStringLiteral("@example.net")},
                     {QStringLiteral("header.s"), QStringLiteral("sel-2024")}, {QStringLiteral("header.a"), QStringLiteral("rsa-sha256")},
                     {QStringLiteral("header.b"), QStringLiteral("AbC/dE+f")}}),
              entry(QStringLiteral("dkim"), QStringLiteral("fail"), longReason,
                    {{QStringLiteral("header.d"), QStringLiteral("other.example")}, {QStringLiteral("header.b"), QStringLiteral("Zz9+/==")}}),
              entry(QStringLiteral("dmarc"), QStringLiteral("fail"), QStringLiteral("p=reject; \"quoted\" and back\\slash"),
                    {{QStringLiteral("header.from"), QStringLiteral("example.net")}})}},
            {QStringLiteral("a-very-long-authserv-identifier.relay.department.example.com"),
             {entry(QStringLiteral("iprev"), QStringLiteral("pass"), {}, {{QStringLiteral("policy.iprev"), QStringLiteral("192.0.2.200")}}),
              entry(QStringLiteral("auth"), QStringLiteral("pass"), {}, {{QStringLiteral("smtp.auth"), QStringLiteral("sender@example.net")}}),
              entry(QStringLiteral("spf"), QStringLiteral("temperror"), QStringLiteral("dns timeout"),
                    {{QStringLiteral("smtp.mailfrom"), QStringLiteral("we ird\"local@example.net")}})}},
        };
    }

private slots:
    // RFC 8601 Appendix B (B.2-B.7), the fields as printed there.
    void rfcAppendixB()
    {
        ParsedAuthResults r = parseAuthenticationResults("Authentication-Results: example.org 1; none");
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.authservId, QStringLiteral("example.org"));
        QCOMPARE(r.version, 1);
        QVERIFY(r.entries.isEmpty());

        r = parseAuthenticationResults(" example.com; spf=pass smtp.mailfrom=example.net");
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.entries.size(), 1);
        QCOMPARE(describe(r.entries.at(0)), QStringLiteral("spf=pass reason=[] smtp.mailfrom=example.net"));

        r = parseAuthenticationResults("Authentication-Results: example.com;\r\n"
                                       "          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
                                       "          spf=pass smtp.mailfrom=example.net");
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.entries.size(), 2);
        QCOMPARE(describe(r.entries.at(0)), QStringLiteral("auth=pass reason=[] smtp.auth=sender@example.net"));
        QCOMPARE(describe(r.entries.at(1)), QStringLiteral("spf=pass reason=[] smtp.mailfrom=example.net"));

        r = parseAuthenticationResults("Authentication-Results: example.com; iprev=pass\r\n"
                                       "          policy.iprev=192.0.2.200");
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(describe(r.entries.at(0)), QStringLiteral("iprev=pass reason=[] policy.iprev=192.0.2.200"));

        r = parseAuthenticationResults("Authentication-Results: example.com;\r\n"
                                       "          dkim=pass (good signature) header.d=example.com");
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(describe(r.entries.at(0)), QStringLiteral("dkim=pass reason=[] header.d=example.com"));

        r = parseAuthenticationResults("Authentication-Results: example.com;\r\n"
                                       "          dkim=pass reason=\"good signature\"\r\n"
                                       "            header.i=@mail-router.example.net;\r\n"
                                       "          dkim=fail reason=\"bad signature\"\r\n"
                                       "            header.i=@newyork.example.com");
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.entries.size(), 2);
        QCOMPARE(describe(r.entries.at(0)),
                 QStringLiteral("dkim=pass reason=[good signature] header.i=@mail-router.example.net"));
        QCOMPARE(describe(r.entries.at(1)),
                 QStringLiteral("dkim=fail reason=[bad signature] header.i=@newyork.example.com"));

        r = parseAuthenticationResults("Authentication-Results: mail-router.example.net;\r\n"
                                       "          dkim=pass (good signature) header.d=newyork.example.com\r\n"
                                       "            header.b=oINEO8hg;\r\n"
                                       "          dkim=fail (bad signature) header.d=newyork.example.com\r\n"
                                       "            header.b=EToRSuvU");
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.authservId, QStringLiteral("mail-router.example.net"));
        QCOMPARE(describe(r.entries.at(1)),
                 QStringLiteral("dkim=fail reason=[] header.d=newyork.example.com header.b=EToRSuvU"));
    }

    void parserDetails()
    {
        // Method version, CFWS around '.', '=', quoted authserv-id, quoted local part.
        ParsedAuthResults r = parseAuthenticationResults(
            "\"relay one\" (comment (nested)) ; DKIM/1 = Pass header . d = example.com;"
            " spf=pass smtp.mailfrom=\"a b\"@example.com;");
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.authservId, QStringLiteral("relay one"));
        QCOMPARE(describe(r.entries.at(0)), QStringLiteral("dkim=pass reason=[] header.d=example.com"));
        QCOMPARE(r.entries.at(1).properties.at(0).second, QStringLiteral("\"a b\"@example.com"));

        const QList<QByteArray> bad{
            "",
            "   ",
            "example.com",
            "example.com spf=pass",
            "example.com; spf",
            "example.com; spf=",
            "example.com; spf=pass smtp.mailfrom",
            "example.com; spf=pass smtp.=x",
            "example.com; spf=pass (unterminated",
            "example.com; spf=pass reason=\"unterminated",
            "example.com; none; spf=pass",
            "example.com; spf=pass action=none",
            "example.com; =pass",
            "example.com; spf=pass; ;",
            QByteArray::fromHex("00ff3b3d2e3d22"),
        };
        for (const QByteArray &b : bad) {
            const ParsedAuthResults p = parseAuthenticationResults(b);
            QVERIFY2(!p.ok, b.constData());
            QVERIFY2(!p.error.isEmpty(), b.constData());
            QVERIFY(p.entries.isEmpty());
        }
        // The authserv-id is known even when the rest is broken (forged-field removal).
        QCOMPARE(parseAuthenticationResults("relay.example.com; spf=pass action=none").authservId,
                 QStringLiteral("relay.example.com"));
    }

    void builderShape()
    {
        QCOMPARE(authenticationResultsHeader(QStringLiteral("relay.example.com"), {}),
                 QByteArray("Authentication-Results: relay.example.com; none\r\n"));
        const QByteArray one = authenticationResultsHeader(
            QStringLiteral("relay.example.com"),
            {entry(QStringLiteral("SPF"), QStringLiteral("Pass"), {}, {{QStringLiteral("smtp.mailfrom"), QStringLiteral("a@example.net")}})});
        QCOMPARE(one, QByteArray("Authentication-Results: relay.example.com;\r\n\tspf=pass smtp.mailfrom=a@example.net\r\n"));

        // Injection attempts stay inside one field; bad names are dropped.
        const QByteArray evil = authenticationResultsHeader(
            QStringLiteral("relay\r\nBcc: x@evil.test"),
            {entry(QStringLiteral("spf"), QStringLiteral("pass\r\nX-Evil: 1"), QStringLiteral("a\r\nX-Evil: 2"),
                   {{QStringLiteral("smtp.mailfrom"), QStringLiteral("a@b.test\r\nX-Evil: 3")}, {QStringLiteral("nodot"), QStringLiteral("v")}}),
             entry(QStringLiteral("()"), QStringLiteral("pass"))});
        QString why;
        QVERIFY2(wellFolded(evil, &why), qPrintable(why));
        QVERIFY(!unfold(evil).chopped(2).contains('\n'));
        const ParsedAuthResults r = parseAuthenticationResults(valueOf(unfold(evil)));
        QVERIFY2(r.ok, qPrintable(r.error + QString::fromUtf8(evil)));
        QCOMPARE(r.authservId, QStringLiteral("relay  Bcc: x@evil.test"));
        QCOMPARE(r.entries.size(), 1);
        QCOMPARE(r.entries.at(0).properties.size(), 1);
        QCOMPARE(r.entries.at(0).properties.at(0).second, QStringLiteral("a@b.test  X-Evil: 3"));
    }

    // Our own parser reads back exactly what was built, folding included.
    void builderRoundTrip()
    {
        for (const auto &[id, entries] : samples()) {
            const QByteArray field = authenticationResultsHeader(id, entries);
            QString why;
            QVERIFY2(wellFolded(field, &why), qPrintable(why + QLatin1Char('\n') + QString::fromUtf8(field)));
            QVERIFY(field.startsWith("Authentication-Results:")); // the id may go to the next line
            const ParsedAuthResults r = parseAuthenticationResults(valueOf(unfold(field)));
            QVERIFY2(r.ok, qPrintable(r.error));
            QCOMPARE(r.authservId, id);
            QCOMPARE(r.entries.size(), entries.size());
            for (int i = 0; i < entries.size(); ++i)
                QCOMPARE(describe(r.entries.at(i)), describe(entries.at(i)));
            // The parser unfolds by itself (quoted strings folded at a space included).
            const ParsedAuthResults folded = parseAuthenticationResults(field);
            QVERIFY2(folded.ok, qPrintable(folded.error));
            QCOMPARE(folded.entries.size(), entries.size());
            for (int i = 0; i < entries.size(); ++i)
                QCOMPARE(describe(folded.entries.at(i)), describe(entries.at(i)));
        }
    }

    // Python's authres module parses the same fields to the same values.
    void builderAgainstAuthres()
    {
        const QString python = QStringLiteral("/usr/bin/python3");
        QProcess probe;
        probe.start(python, {QStringLiteral("-c"), QStringLiteral("import authres")});
        if (!probe.waitForFinished(30000) || probe.exitCode() != 0)
            QSKIP("Python's authres module is not installed (Debian package python3-authres)");

        const auto all = samples();
        QJsonArray fields;
        for (const auto &[id, entries] : all)
            fields.append(QString::fromUtf8(authenticationResultsHeader(id, entries)));
        const QByteArray script =
            "import sys, json, re, authres\n"
            "unq = lambda s: None if s is None else re.sub(r'\\\\(.)', r'\\1', s)\n"
            "out = []\n"
            "for f in json.load(sys.stdin):\n"
            "    h = authres.AuthenticationResultsHeader.parse(f.replace('\\r\\n', '').rstrip())\n"
            "    out.append({'id': h.authserv_id, 'results': [\n"
            "        {'method': r.method, 'result': r.result, 'reason': unq(r.reason) or '',\n"
            "         'props': [[p.type + '.' + p.name, unq(p.value)] for p in r.properties]}\n"
            "        for r in h.results]})\n"
            "print(json.dumps(out))\n";
        QProcess py;
        py.start(python, {QStringLiteral("-c"), QString::fromLatin1(script)});
        QVERIFY(py.waitForStarted(10000));
        py.write(QJsonDocument(fields).toJson());
        py.closeWriteChannel();
        QVERIFY(py.waitForFinished(60000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        const QJsonArray parsed = QJsonDocument::fromJson(py.readAllStandardOutput()).array();
        QCOMPARE(parsed.size(), all.size());
        for (int i = 0; i < all.size(); ++i) {
            const QJsonObject o = parsed.at(i).toObject();
            QCOMPARE(o.value(QStringLiteral("id")).toString(), all.at(i).first);
            const QJsonArray results = o.value(QStringLiteral("results")).toArray();
            const QList<AuthResultsEntry> &entries = all.at(i).second;
            QCOMPARE(results.size(), entries.size());
            for (int j = 0; j < entries.size(); ++j) {
                const QJsonObject r = results.at(j).toObject();
                AuthResultsEntry theirs;
                theirs.method = r.value(QStringLiteral("method")).toString();
                theirs.result = r.value(QStringLiteral("result")).toString();
                theirs.reason = r.value(QStringLiteral("reason")).toString();
                for (const QJsonValue &p : r.value(QStringLiteral("props")).toArray())
                    theirs.properties.append({p.toArray().at(0).toString(), p.toArray().at(1).toString()});
                QCOMPARE(describe(theirs), describe(entries.at(j)));
            }
        }
    }
};

QTEST_MAIN(TestAuthResults)
#include "tst_authresults.moc"

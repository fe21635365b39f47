// TLS-RPT (RFC 8460): the _smtp._tls rua record (section 3 examples), the
// results writer (its own thread and log.db connection, successes
// aggregated), and the daily report: JSON, gzip and the report mail checked
// by an independent reader (Python's gzip, json and email packages,
// tests/data/outtls/check_tlsrpt.py) against the sessions the test recorded.

#include "storage/database.h"
#include "tlsrpt/httpsreportsender.h"
#include "tlsrpt/reportbuilder.h"
#include "tlsrpt/resultwriter.h"
#include "tlsrpt/ruarecord.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QTemporaryDir>
#include <QTest>

using namespace rd::tlsrpt;
using rd::delivery::MxTlsPolicy;
using rd::delivery::TlsCheck;

namespace {

QString checker()
{
    return QStringLiteral(RD_TESTS_DIR "/data/outtls/check_tlsrpt.py");
}

QJsonObject runChecker(const QStringList &args, QString *out)
{
    QProcess p;
    p.start(QStringLiteral("/usr/bin/python3"), QStringList{checker()} + args);
    p.waitForFinished(30000);
    *out = QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
    if (p.exitCode() != 0)
        return QJsonObject();
    return QJsonDocument::fromJson(out->toUtf8()).object();
}

TlsCheck check(const QString &domain, MxTlsPolicy::Kind kind, const QString &mx, bool ok, const QString &type = {})
{
    TlsCheck c;
    c.policy.kind = kind;
    c.policy.domain = domain;
    c.policy.mxHost = mx;
    if (kind == MxTlsPolicy::Kind::MtaSts)
        c.policy.policyStrings = {QStringLiteral("version: STSv1"), QStringLiteral("mode: enforce"),
                                  QStringLiteral("mx: *.mail.example.com"), QStringLiteral("max_age: 86400")};
    else if (kind == MxTlsPolicy::Kind::Dane)
        c.policy.policyStrings = {QStringLiteral("_25._tcp.") + mx + QStringLiteral(" IN TLSA 3 1 1 AABB")};
    c.peerAddress = QStringLiteral("127.0.0.9");
    c.success = ok;
    c.resultType = type;
    c.detail = QStringLiteral("test");
    return c;
}

} // namespace

class TstTlsRpt : public QObject {
    Q_OBJECT
private slots:
    void rua_data();
    void rua();
    void ruaSelection();
    void gzipRoundTrip();
    void writerAndReport();
    void emptyDayReport();
    void httpsAnswers();
    void httpsRetriesBounded();
    void httpsOutbox();
};

void TstTlsRpt::rua_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QStringList>("mailto");
    QTest::addColumn<int>("uris");
    // RFC 8460 3.1 examples.
    QTest::newRow("rfc mailto") << QByteArray("v=TLSRPTv1;rua=mailto:reports@example.com") << true
                                << QStringList{QStringLiteral("reports@example.com")} << 1;
    QTest::newRow("rfc https") << QByteArray("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt") << true
                               << QStringList{} << 1;
    QTest::newRow("both") << QByteArray("v=TLSRPTv1; rua=mailto:a@example.com, https://r.example.com/x;") << true
                          << QStringList{QStringLiteral("a@example.com")} << 2;
    QTest::newRow("encoded comma") << QByteArray("v=TLSRPTv1; rua=mailto:a%2Cb@example.com") << true
                                   << QStringList{QStringLiteral("a,b@example.com")} << 1;
    QTest::newRow("extension") << QByteArray("v=TLSRPTv1; ext=1; rua=mailto:a@example.com") << true
                               << QStringList{QStringLiteral("a@example.com")} << 1;
    QTest::newRow("no rua") << QByteArray("v=TLSRPTv1;") << false << QStringList{} << 0;
    QTest::newRow("http") << QByteArray("v=TLSRPTv1; rua=http://r.example.com/") << false << QStringList{} << 0;
    QTest::newRow("ftp") << QByteArray("v=TLSRPTv1; rua=ftp://r.example.com/") << false << QStringList{} << 0;
    QTest::newRow("mailto no address") << QByteArray("v=TLSRPTv1; rua=mailto:") << false << QStringList{} << 0;
    QTest::newRow("version 2") << QByteArray("v=TLSRPTv2; rua=mailto:a@example.com") << false << QStringList{} << 0;
    QTest::newRow("version later") << QByteArray("rua=mailto:a@example.com; v=TLSRPTv1") << false << QStringList{}
                                   << 0;
}

void TstTlsRpt::rua()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    QFETCH(QStringList, mailto);
    QFETCH(int, uris);
    RuaRecord r;
    QString error;
    QCOMPARE(parseRuaRecord(text, &r, &error), valid);
    if (valid) {
        QCOMPARE(r.mailtoAddresses(), mailto);
        QCOMPARE(int(r.rua.size()), uris);
    } else {
        QVERIFY(!error.isEmpty());
    }
}

void TstTlsRpt::ruaSelection()
{
    RuaRecord r;
    QVERIFY(selectRuaRecord({"v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@example.com"}, &r));
    QVERIFY(!selectRuaRecord({"v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com"}, &r));
    QVERIFY(!selectRuaRecord({}, &r));
}

void TstTlsRpt::gzipRoundTrip()
{
    QTemporaryDir dir;
    const QByteArray data = QByteArray("{\"hello\": \"world\"}") + QByteArray(5000, 'x');
    const QString path = dir.filePath(QStringLiteral("t.gz"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(gzip(data));
    f.close();
    QProcess p;
    p.start(QStringLiteral("/usr/bin/python3"),
            {QStringLiteral("-c"), QStringLiteral("import gzip,sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())"),
             path});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 0);
    QCOMPARE(p.readAllStandardOutput(), data);
}

void TstTlsRpt::writerAndReport()
{
    QTemporaryDir dir;
    const QDateTime day(QDate(2026, 11, 25), QTime(0, 0), Qt::UTC);
    const qint64 t0 = day.toMSecsSinceEpoch();
    {
        TlsResultWriter w(dir.path(), 60000);
        // example.com (MTA-STS): 3 successes in one hour, 1 in another, 2 host
        // mismatches and 1 STARTTLS missing on mx2.
        for (int i = 0; i < 3; ++i)
            w.record(check(QStringLiteral("example.com"), MxTlsPolicy::Kind::MtaSts, QStringLiteral("mx1.mail.example.com"), true),
                     t0 + 1000 + i);
        w.record(check(QStringLiteral("example.com"), MxTlsPolicy::Kind::MtaSts, QStringLiteral("mx1.mail.example.com"), true),
                 t0 + 5 * 3600 * 1000);
        for (int i = 0; i < 2; ++i)
            w.record(check(QStringLiteral("example.com"), MxTlsPolicy::Kind::MtaSts, QStringLiteral("mx1.mail.example.com"),
                           false, QStringLiteral("certificate-host-mismatch")),
                     t0 + 2000);
        w.record(check(QStringLiteral("example.com"), MxTlsPolicy::Kind::MtaSts, QStringLiteral("mx2.mail.example.com"),
                       false, QStringLiteral("starttls-not-supported")),
                 t0 + 3000);
        // dane.test: 1 success, 1 TLSA mismatch.
        w.record(check(QStringLiteral("dane.test"), MxTlsPolicy::Kind::Dane, QStringLiteral("mx.dane.test"), true), t0 + 10);
        w.record(check(QStringLiteral("dane.test"), MxTlsPolicy::Kind::Dane, QStringLiteral("mx.dane.test"), false,
                       QStringLiteral("validation-failure")),
                 t0 + 20);
        // A fetch failure for another domain, and one row the next day.
        w.recordPolicyFailure(QStringLiteral("broken.test"), QStringLiteral("sts"), QStringLiteral("sts-policy-fetch-error"),
                              QStringLiteral("connection refused"), t0 + 30);
        w.record(check(QStringLiteral("example.com"), MxTlsPolicy::Kind::MtaSts, QStringLiteral("mx1.mail.example.com"), true),
                 t0 + 25 * 3600 * 1000);
        QVERIFY(w.flushNow());
        // 3 successes aggregate to one row: 1 + 1 + 2 + 1 + 1 + 1 + 1 + 1 = 9 rows.
        QCOMPARE(w.written(), 9);
    }
    const QString conn = rd::storage::uniqueConnectionName(QStringLiteral("tst_tlsrpt"));
    QString error;
    QList<ResultRow> rows;
    QStringList domains;
    {
        QSqlDatabase db = rd::storage::openDatabase(dir.path(), rd::storage::DbKind::Log, conn, {}, &error);
        QVERIFY2(db.isOpen(), qPrintable(error));
        domains = reportDomains(db, t0, t0 + 86400000, &error);
        rows = loadRows(db, QStringLiteral("example.com"), t0, t0 + 86400000, &error);
    }
    rd::storage::closeDatabase(conn);
    QCOMPARE(domains, (QStringList{QStringLiteral("broken.test"), QStringLiteral("dane.test"), QStringLiteral("example.com")}));
    QCOMPARE(rows.size(), 5); // the next day's row is outside

    ReportMeta meta;
    meta.organization = QStringLiteral("RelayDesk Test");
    meta.contact = QStringLiteral("postmaster@relay.example.org");
    meta.reportId = QStringLiteral("2026-11-25T00:00:00Z_example.com");
    meta.policyDomain = QStringLiteral("example.com");
    meta.start = day;
    meta.end = day.addDays(1);
    const QByteArray gz = gzip(buildReportJson(rows, meta));
    const QString file = dir.filePath(reportFileName(QStringLiteral("relay.example.org"), meta));
    QVERIFY(file.endsWith(QLatin1String("relay.example.org!example.com!1795564800!1795651200!2026-11-25T00:00:00Z_example.com.json.gz")));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(gz);
    f.close();
    QString out;
    QJsonObject o = runChecker({file}, &out);
    QVERIFY2(!o.isEmpty(), qPrintable(out));
    QCOMPARE(o.value(QStringLiteral("organization-name")).toString(), meta.organization);
    const QJsonObject range = o.value(QStringLiteral("date-range")).toObject();
    QCOMPARE(range.value(QStringLiteral("start-datetime")).toString(), QStringLiteral("2026-11-25T00:00:00Z"));
    QCOMPARE(range.value(QStringLiteral("end-datetime")).toString(), QStringLiteral("2026-11-25T23:59:59Z"));
    // What the test recorded that day for example.com: 4 successes, 3 failures.
    const QJsonArray sts = o.value(QStringLiteral("summary")).toObject().value(QStringLiteral("example.com")).toObject()
                               .value(QStringLiteral("sts")).toArray();
    QCOMPARE(sts.at(0).toInt(), 4);
    QCOMPARE(sts.at(1).toInt(), 3);
    const QJsonObject counts = sts.at(2).toObject();
    QCOMPARE(counts.value(QStringLiteral("certificate-host-mismatch")).toInt(), 2);
    QCOMPARE(counts.value(QStringLiteral("starttls-not-supported")).toInt(), 1);

    // The report mail, read back by Python's email package.
    const QByteArray mail = buildReportMail(QStringLiteral("tlsrpt@relay.example.org"), QStringLiteral("reports@example.com"),
                                            QStringLiteral("relay.example.org"), meta, gz, QStringLiteral("relay.example.org"));
    const QString eml = dir.filePath(QStringLiteral("report.eml"));
    QFile m(eml);
    QVERIFY(m.open(QIODevice::WriteOnly));
    m.write(mail);
    m.close();
    o = runChecker({QStringLiteral("--mail"), eml}, &out);
    QVERIFY2(!o.isEmpty(), qPrintable(out));
    QCOMPARE(o.value(QStringLiteral("TLS-Report-Domain")).toString(), QStringLiteral("example.com"));
    QCOMPARE(o.value(QStringLiteral("TLS-Report-Submitter")).toString(), QStringLiteral("relay.example.org"));
    QVERIFY(o.value(QStringLiteral("filename")).toString().endsWith(QLatin1String(".json.gz")));
    QCOMPARE(o.value(QStringLiteral("summary")).toObject().value(QStringLiteral("example.com")).toObject()
                 .value(QStringLiteral("sts")).toArray().at(1).toInt(),
             3);
}

void TstTlsRpt::emptyDayReport()
{
    ReportMeta meta;
    meta.organization = QStringLiteral("X");
    meta.contact = QStringLiteral("a@b.example");
    meta.reportId = QStringLiteral("id1");
    meta.policyDomain = QStringLiteral("quiet.test");
    meta.start = QDateTime(QDate(2026, 1, 1), QTime(0, 0), Qt::UTC);
    meta.end = meta.start.addDays(1);
    const QJsonObject o = QJsonDocument::fromJson(buildReportJson({}, meta)).object();
    QVERIFY(o.value(QStringLiteral("policies")).toArray().isEmpty());
    QCOMPARE(o.value(QStringLiteral("report-id")).toString(), QStringLiteral("id1"));
}

void TstTlsRpt::httpsAnswers()
{
    const QString host = QStringLiteral("c.example");
    QString why = QStringLiteral("stale");
    for (int status : {200, 201, 202, 204}) {
        HttpsAnswer a;
        a.httpStatus = status;
        QVERIFY2(judgeHttpsAnswer(a, host, 60000, &why), qPrintable(QString::number(status)));
        QVERIFY(why.isEmpty());
    }
    HttpsAnswer a;
    a.httpStatus = 500;
    a.networkError = QStringLiteral("Internal Server Error");
    QVERIFY(!judgeHttpsAnswer(a, host, 60000, &why));
    QCOMPARE(why, QStringLiteral("c.example answered HTTP 500"));
    a = {};
    a.httpStatus = 302;
    a.location = QStringLiteral("http://c.example/r%2Fx");
    QVERIFY(!judgeHttpsAnswer(a, host, 60000, &why));
    QCOMPARE(why, QStringLiteral("c.example answered HTTP 302 (redirect to http://c.example/r%2Fx not followed)"));
    a = {};
    a.tlsErrors = QStringList{QStringLiteral("e1"), QStringLiteral("e2")};
    a.handshakeFailed = true;
    QVERIFY(!judgeHttpsAnswer(a, host, 60000, &why));
    QCOMPARE(why, QStringLiteral("certificate of c.example not valid: e1; e2"));
    a = {};
    a.handshakeFailed = true;
    a.networkError = QStringLiteral("no shared cipher");
    QVERIFY(!judgeHttpsAnswer(a, host, 60000, &why));
    QCOMPARE(why, QStringLiteral("TLS handshake with c.example failed: no shared cipher"));
    a = {};
    a.timedOut = true;
    a.networkError = QStringLiteral("Operation canceled");
    QVERIFY(!judgeHttpsAnswer(a, host, 30000, &why));
    QCOMPARE(why, QStringLiteral("no answer from c.example within 30 s"));
    a = {};
    a.networkError = QStringLiteral("Connection refused");
    QVERIFY(!judgeHttpsAnswer(a, host, 60000, &why));
    QCOMPARE(why, QStringLiteral("c.example: Connection refused"));
    a = {};
    QVERIFY(!judgeHttpsAnswer(a, host, 60000, &why)); // no status and no error is not a delivery
    QCOMPARE(httpsRuaForLog(QUrl(QStringLiteral("https://u:p@c.example:8443/v1/r?token=s#f"))),
             QStringLiteral("https://c.example:8443/v1/r"));
}

void TstTlsRpt::httpsRetriesBounded()
{
    // The default schedule backs off and ends well within RFC 8460 5.4's 24 hours.
    const QList<int> d = HttpsSenderOptions::defaultRetryDelaysMs();
    QVERIFY(!d.isEmpty());
    qint64 total = 0;
    for (qsizetype i = 0; i < d.size(); ++i) {
        QVERIFY(d.at(i) > 0);
        if (i > 0)
            QVERIFY(d.at(i) > d.at(i - 1));
        total += d.at(i);
    }
    QVERIFY(total < 24LL * 3600 * 1000);

    // Without a resolver every attempt fails (no network is touched): the
    // report is tried 1 + retries times, then given up and no longer pending.
    HttpsSenderOptions o;
    o.retryDelaysMs = {5, 10};
    o.maxPending = 1;
    QList<HttpsAttempt> attempts;
    HttpsReportSender sender(o, [&attempts](const HttpsReport &r, const HttpsAttempt &a) {
        QCOMPARE(r.policyDomain, QStringLiteral("d.example"));
        attempts << a;
    });
    HttpsReport r{QUrl(QStringLiteral("https://collector.invalid/r")), QStringLiteral("d.example"),
                  QDate(2026, 1, 1), QByteArray("gz")};
    QVERIFY(!sender.submit(HttpsReport{QUrl(QStringLiteral("http://c.example/")), r.policyDomain, r.day, r.gzippedJson}));
    QVERIFY(!sender.submit(HttpsReport{QUrl(QStringLiteral("mailto:a@c.example")), r.policyDomain, r.day, r.gzippedJson}));
    QVERIFY(sender.submit(r));
    QVERIFY(!sender.submit(r)); // maxPending
    QCOMPARE(sender.pending(), 1);
    QVERIFY(attempts.isEmpty()); // never from inside submit()
    QTRY_COMPARE(attempts.size(), 3);
    QCOMPARE(sender.pending(), 0);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(attempts.at(i).attempt, i + 1);
        QCOMPARE(attempts.at(i).maxAttempts, 3);
        QVERIFY(!attempts.at(i).delivered);
        QCOMPARE(attempts.at(i).reason, QStringLiteral("collector.invalid: no DNS resolver"));
    }
    QCOMPARE(attempts.at(0).retryInMs, 5);
    QCOMPARE(attempts.at(1).retryInMs, 10);
    QCOMPARE(attempts.at(2).retryInMs, -1);
    QTest::qWait(50);
    QCOMPARE(attempts.size(), 3); // nothing after giving up
}

void TstTlsRpt::httpsOutbox()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString outbox = tmp.filePath(QStringLiteral("outbox"));
    const auto files = [&outbox] {
        return QDir(outbox).entryList({QStringLiteral("*.json")}, QDir::Files);
    };
    HttpsSenderOptions o;
    o.retryDelaysMs = {3600 * 1000}; // two attempts; the second not within this test
    o.outboxDir = outbox;
    const HttpsReport r{QUrl(QStringLiteral("https://collector.invalid:8443/r")), QStringLiteral("d.example"),
                        QDate(2026, 1, 2), QByteArray("\x1f\x8b gz", 5)};
    QList<HttpsAttempt> attempts;
    {
        HttpsReportSender sender(o, [&attempts](const HttpsReport &, const HttpsAttempt &a) { attempts << a; });
        QVERIFY(sender.submit(r));
        QCOMPARE(files().size(), 1); // saved before the first attempt
        QTRY_COMPARE(attempts.size(), 1);
        QCOMPARE(attempts.at(0).retryInMs, 3600 * 1000);
        QCOMPARE(files().size(), 1);
        QCOMPARE(sender.pending(), 1);
    } // a stop: the report stays in the outbox
    QFile f(QDir(outbox).filePath(files().at(0)));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject saved = QJsonDocument::fromJson(f.readAll()).object();
    f.close();
    QCOMPARE(saved.value(QStringLiteral("attempts")).toInt(), 1);
    QCOMPARE(saved.value(QStringLiteral("url")).toString(), QStringLiteral("https://collector.invalid:8443/r"));
    const auto others = QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup | QFileDevice::WriteOther;
    QVERIFY(!(QFileInfo(outbox).permissions() & others)); // 0700
    QVERIFY(!(f.permissions() & others));                 // 0600

    // Another file first tried more than 24 hours ago, and one that is not JSON: dropped.
    QJsonObject old = saved;
    old.insert(QStringLiteral("first_ms"), double(QDateTime::currentMSecsSinceEpoch() - 25LL * 3600 * 1000));
    QFile o2(QDir(outbox).filePath(QStringLiteral("old.json")));
    QVERIFY(o2.open(QIODevice::WriteOnly));
    o2.write(QJsonDocument(old).toJson());
    o2.close();
    QFile o3(QDir(outbox).filePath(QStringLiteral("junk.json")));
    QVERIFY(o3.open(QIODevice::WriteOnly));
    o3.write("not json");
    o3.close();

    attempts.clear();
    QList<HttpsReport> reports;
    {
        HttpsReportSender again(o, [&](const HttpsReport &rep, const HttpsAttempt &a) {
            reports << rep;
            attempts << a;
        });
        int dropped = -1;
        QCOMPARE(again.resume(&dropped), 1);
        QCOMPARE(dropped, 2);
        QCOMPARE(again.pending(), 1);
        // Its next attempt is due an hour after the first: not yet.
        QTest::qWait(50);
        QVERIFY(attempts.isEmpty());
        QCOMPARE(files().size(), 1);
    }

    // Due now: the last attempt fails (no resolver), the report is given up and removed.
    QJsonObject due = saved;
    due.insert(QStringLiteral("next_ms"), double(QDateTime::currentMSecsSinceEpoch()));
    QFile o4(QDir(outbox).filePath(files().at(0)));
    QVERIFY(o4.open(QIODevice::WriteOnly));
    o4.write(QJsonDocument(due).toJson());
    o4.close();
    HttpsReportSender third(o, [&](const HttpsReport &rep, const HttpsAttempt &a) {
        reports << rep;
        attempts << a;
    });
    QCOMPARE(third.resume(), 1);
    QTRY_COMPARE(attempts.size(), 1);
    QCOMPARE(attempts.at(0).attempt, 2);
    QCOMPARE(attempts.at(0).retryInMs, -1);
    QCOMPARE(reports.at(0).gzippedJson, r.gzippedJson);
    QCOMPARE(reports.at(0).day, r.day);
    QCOMPARE(reports.at(0).policyDomain, r.policyDomain);
    QCOMPARE(third.pending(), 0);
    QVERIFY(files().isEmpty());
}

QTEST_GUILESS_MAIN(TstTlsRpt)
#include "tst_tlsrpt.moc"

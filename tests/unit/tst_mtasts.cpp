// MTA-STS (RFC 8461): TXT record and policy parsing against the RFC's own
// examples and grammar, MX pattern matching (section 4.1), the policy cache
// (refresh on a new id, use until max_age when fetching fails), the
// config.db store, and the HTTPS fetch against a real Python/ssl server on
// 127.0.0.1 with a test CA made by the openssl command line.

#include "mtasts/policyfetcher.h"
#include "mtasts/policystore.h"
#include "mtasts/stspolicy.h"
#include "mtasts/stsrecord.h"
#include "mtasts/stsresolver.h"
#include "storage/database.h"

#include "tst_mtasts_support.h"

#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QTemporaryDir>
#include <QTest>

using namespace rd::mtasts;

namespace {

const QByteArray kRfcPolicy = "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\n"
                              "mx: backupmx.example.com\nmax_age: 604800\n";

QString dataDir()
{
    return QStringLiteral(RD_TESTS_DIR "/data/outtls");
}

} // namespace

class TstMtaSts : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void txtRecord_data();
    void txtRecord();
    void txtSelection();
    void policyRfcExample();
    void policyCrlfAndLf();
    void policyInvalid_data();
    void policyInvalid();
    void policyMaxAgeClamped();
    void mxPatterns_data();
    void mxPatterns();
    void decideMx();
    void resolverFetchesThenCaches();
    void resolverRefreshesOnNewId();
    void resolverKeepsCachedPolicyWhenFetchFails();
    void resolverExpiry();
    void resolverNoRecord();
    void resolverInvalidPolicyReported();
    void storeRoundTrip();
    void fetchOverHttps_data();
    void fetchOverHttps();

private:
    QTemporaryDir m_tmp;
    QProcess *m_server = nullptr;
    quint16 m_port = 0;
};

void TstMtaSts::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    const QString dir = m_tmp.path();
    QVERIFY(outtls::makeCa(dir, QStringLiteral("ca")));
    // The policy host certificate names these policy hosts but not mta-sts.badcert.test.
    QVERIFY(outtls::makeLeaf(dir, QStringLiteral("web"),
                             QStringLiteral("mta-sts.good.test,mta-sts.redirect.test,mta-sts.big.test,"
                                            "mta-sts.html.test,mta-sts.missing.test,mta-sts.badcert.test.invalid"),
                             QStringLiteral("ca")));
    QVERIFY(QDir(dir).mkpath(QStringLiteral("docroot")));
    const auto put = [&](const QString &name, const QByteArray &content) {
        QFile f(QDir(dir).filePath(QStringLiteral("docroot/") + name));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
    };
    put(QStringLiteral("good.test.txt"), kRfcPolicy);
    put(QStringLiteral("badcert.test.txt"), kRfcPolicy);
    put(QStringLiteral("redirect.test.txt"), kRfcPolicy);
    put(QStringLiteral("redirect.test.status"), "301");
    put(QStringLiteral("redirect.test.location"), "https://mta-sts.good.test/.well-known/mta-sts.txt");
    put(QStringLiteral("big.test.txt"), kRfcPolicy + QByteArray(70 * 1024, '#'));
    put(QStringLiteral("html.test.txt"), kRfcPolicy);
    put(QStringLiteral("html.test.type"), "text/html");

    m_server = new QProcess(this);
    m_server->start(QStringLiteral("/usr/bin/python3"),
                    {dataDir() + QStringLiteral("/policy_server.py"), QDir(dir).filePath(QStringLiteral("web.pem")),
                     QDir(dir).filePath(QStringLiteral("web.key")), QDir(dir).filePath(QStringLiteral("docroot"))});
    QVERIFY(m_server->waitForStarted(5000));
    QVERIFY(QTest::qWaitFor([this] { return m_server->canReadLine(); }, 10000));
    const QByteArray line = m_server->readLine().trimmed();
    QVERIFY2(line.startsWith("PORT "), line.constData());
    m_port = quint16(line.mid(5).toUInt());
    QVERIFY(m_port != 0);
}

void TstMtaSts::cleanupTestCase()
{
    if (m_server) {
        m_server->terminate();
        m_server->waitForFinished(3000);
    }
}

void TstMtaSts::txtRecord_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QByteArray>("id");
    // RFC 8461 3.1 example.
    QTest::newRow("rfc example") << QByteArray("v=STSv1; id=20160831085700Z;") << true << QByteArray("20160831085700Z");
    QTest::newRow("no trailing ;") << QByteArray("v=STSv1; id=abc123") << true << QByteArray("abc123");
    QTest::newRow("no spaces") << QByteArray("v=STSv1;id=A1") << true << QByteArray("A1");
    QTest::newRow("extension ignored") << QByteArray("v=STSv1; id=x1; ext=val-ue") << true << QByteArray("x1");
    QTest::newRow("32 chars") << QByteArray("v=STSv1; id=" + QByteArray(32, 'a')) << true << QByteArray(32, 'a');
    QTest::newRow("33 chars") << QByteArray("v=STSv1; id=" + QByteArray(33, 'a')) << false << QByteArray();
    QTest::newRow("id with dash") << QByteArray("v=STSv1; id=2016-08-31") << false << QByteArray();
    QTest::newRow("no id") << QByteArray("v=STSv1;") << false << QByteArray();
    QTest::newRow("empty id") << QByteArray("v=STSv1; id=") << false << QByteArray();
    QTest::newRow("wrong version") << QByteArray("v=STSv2; id=1") << false << QByteArray();
    QTest::newRow("version not first") << QByteArray("id=1; v=STSv1") << false << QByteArray();
    QTest::newRow("two ids") << QByteArray("v=STSv1; id=1; id=2") << false << QByteArray();
    QTest::newRow("bad extension") << QByteArray("v=STSv1; id=1; =x") << false << QByteArray();
}

void TstMtaSts::txtRecord()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    QFETCH(QByteArray, id);
    StsRecord r;
    QString error;
    QCOMPARE(parseStsRecord(text, &r, &error), valid);
    if (valid)
        QCOMPARE(r.id, id);
    else
        QVERIFY(!error.isEmpty());
}

void TstMtaSts::txtSelection()
{
    // Records that are not STSv1 are discarded (3.1).
    StsRecordResult r = selectStsRecord({"v=spf1 -all", "v=STSv1; id=abc;"});
    QCOMPARE(r.status, StsRecordResult::Status::Ok);
    QCOMPARE(r.record.id, QByteArray("abc"));
    QCOMPARE(selectStsRecord({"v=spf1 -all"}).status, StsRecordResult::Status::None);
    QCOMPARE(selectStsRecord({}).status, StsRecordResult::Status::None);
    // Two STSv1 records: as if there were none (3.1), flagged Invalid for the log.
    r = selectStsRecord({"v=STSv1; id=a;", "v=STSv1; id=b;"});
    QCOMPARE(r.status, StsRecordResult::Status::Invalid);
    QVERIFY(!r.error.isEmpty());
}

void TstMtaSts::policyRfcExample()
{
    QString error;
    const std::optional<Policy> p = parsePolicy(kRfcPolicy, &error);
    QVERIFY2(p, qPrintable(error));
    QCOMPARE(p->mode, Mode::Enforce);
    QCOMPARE(p->maxAge, 604800);
    QCOMPARE(p->mx, (QStringList{QStringLiteral("mail.example.com"), QStringLiteral("*.example.net"),
                                 QStringLiteral("backupmx.example.com")}));
    QCOMPARE(p->policyStrings().size(), 6);
}

void TstMtaSts::policyCrlfAndLf()
{
    QByteArray crlf = kRfcPolicy;
    crlf.replace("\n", "\r\n");
    const std::optional<Policy> a = parsePolicy(crlf);
    const std::optional<Policy> b = parsePolicy(kRfcPolicy);
    QVERIFY(a && b);
    QCOMPARE(a->mx, b->mx);
    QCOMPARE(a->mode, b->mode);
    // No final line end, trailing spaces, an unknown extension field, mode none without mx.
    const std::optional<Policy> c =
        parsePolicy("version: STSv1\r\nmode: none  \r\nfoo_bar: whatever\r\nmax_age: 86400");
    QVERIFY(c);
    QCOMPARE(c->mode, Mode::None);
    QVERIFY(c->mx.isEmpty());
    // Upper-case MX and a trailing dot are normalised.
    const std::optional<Policy> d = parsePolicy("version: STSv1\nmode: testing\nmx: MX.Example.COM.\nmax_age: 1\n");
    QVERIFY(d);
    QCOMPARE(d->mx, QStringList{QStringLiteral("mx.example.com")});
}

void TstMtaSts::policyInvalid_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("no version") << QByteArray("mode: enforce\nmx: a.example\nmax_age: 1\n");
    QTest::newRow("version STSv2") << QByteArray("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n");
    QTest::newRow("no mode") << QByteArray("version: STSv1\nmx: a.example\nmax_age: 1\n");
    QTest::newRow("bad mode") << QByteArray("version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n");
    QTest::newRow("no max_age") << QByteArray("version: STSv1\nmode: enforce\nmx: a.example\n");
    QTest::newRow("max_age not digits") << QByteArray("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1d\n");
    QTest::newRow("max_age 11 digits") << QByteArray("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n");
    QTest::newRow("enforce without mx") << QByteArray("version: STSv1\nmode: enforce\nmax_age: 1\n");
    QTest::newRow("testing without mx") << QByteArray("version: STSv1\nmode: testing\nmax_age: 1\n");
    QTest::newRow("mode twice") << QByteArray("version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmax_age: 1\n");
    QTest::newRow("line without colon") << QByteArray("version: STSv1\nmode enforce\nmx: a.example\nmax_age: 1\n");
    QTest::newRow("blank line inside") << QByteArray("version: STSv1\n\nmode: enforce\nmx: a.example\nmax_age: 1\n");
    QTest::newRow("leading space") << QByteArray(" version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n");
    QTest::newRow("mx wildcard inside") << QByteArray("version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1\n");
    QTest::newRow("mx single label") << QByteArray("version: STSv1\nmode: enforce\nmx: localhost\nmax_age: 1\n");
    QTest::newRow("html page") << QByteArray("<html><body>hello</body></html>\n");
    QTest::newRow("binary") << QByteArray("version: STSv1\nmode: enforce\x01\nmx: a.example\nmax_age: 1\n");
}

void TstMtaSts::policyInvalid()
{
    QFETCH(QByteArray, body);
    QString error;
    QVERIFY(!parsePolicy(body, &error));
    QVERIFY(!error.isEmpty());
}

void TstMtaSts::policyMaxAgeClamped()
{
    const std::optional<Policy> p = parsePolicy("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 9999999999\n");
    QVERIFY(p);
    QCOMPARE(p->maxAge, kMaxMaxAge);
}

void TstMtaSts::mxPatterns_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("host");
    QTest::addColumn<bool>("match");
    // RFC 8461 4.1 and 3.2: "*.example.com" matches "mail.example.com" but not
    // "example.com" nor "foo.bar.example.com".
    QTest::newRow("wildcard one label") << "*.example.com" << "mail.example.com" << true;
    QTest::newRow("wildcard not apex") << "*.example.com" << "example.com" << false;
    QTest::newRow("wildcard not two labels") << "*.example.com" << "foo.bar.example.com" << false;
    QTest::newRow("exact") << "mail.example.com" << "mail.example.com" << true;
    QTest::newRow("exact case and dot") << "mail.example.com" << "MAIL.Example.com." << true;
    QTest::newRow("exact not sub") << "mail.example.com" << "x.mail.example.com" << false;
    QTest::newRow("suffix trick") << "*.example.com" << "mail.badexample.com" << false;
    QTest::newRow("other domain") << "mail.example.com" << "mail.example.net" << false;
}

void TstMtaSts::mxPatterns()
{
    QFETCH(QString, pattern);
    QFETCH(QString, host);
    QFETCH(bool, match);
    QCOMPARE(mxPatternMatches(pattern, host), match);
}

void TstMtaSts::decideMx()
{
    Policy enforce = *parsePolicy(kRfcPolicy);
    MxDecision d = rd::mtasts::decideMx(&enforce, QStringLiteral("example.com"), QStringLiteral("mx1.example.net"));
    QVERIFY(d.useMx && d.requireValidTls && !d.reportOnly);
    d = rd::mtasts::decideMx(&enforce, QStringLiteral("example.com"), QStringLiteral("evil.example.org"));
    QVERIFY(!d.useMx);
    QVERIFY(d.reason.contains(QLatin1String("evil.example.org")));

    Policy testing = enforce;
    testing.mode = Mode::Testing;
    d = rd::mtasts::decideMx(&testing, QStringLiteral("example.com"), QStringLiteral("evil.example.org"));
    QVERIFY(d.useMx && d.reportOnly && d.requireValidTls);
    QVERIFY(!d.reason.isEmpty());

    Policy none = enforce;
    none.mode = Mode::None;
    d = rd::mtasts::decideMx(&none, QStringLiteral("example.com"), QStringLiteral("evil.example.org"));
    QVERIFY(d.useMx && !d.requireValidTls);
    d = rd::mtasts::decideMx(nullptr, QStringLiteral("example.com"), QStringLiteral("evil.example.org"));
    QVERIFY(d.useMx && !d.requireValidTls);
}

namespace {

struct FakeFetch {
    QHash<QString, FetchResult> results; // by domain
    int calls = 0;
    FetchFn fn()
    {
        return [this](const QString &domain, std::function<void(const FetchResult &)> done) {
            ++calls;
            FetchResult r = results.value(domain);
            if (!results.contains(domain)) {
                r.error = QStringLiteral("connection refused");
                r.resultType = QStringLiteral("sts-policy-fetch-error");
            }
            QMetaObject::invokeMethod(qApp, [done, r] { done(r); }, Qt::QueuedConnection);
        };
    }
};

FetchResult okBody(const QByteArray &body)
{
    FetchResult r;
    r.ok = true;
    r.body = body;
    return r;
}

StsLookup ask(StsResolver &r, const QString &domain)
{
    StsLookup out;
    bool done = false;
    r.lookup(domain, nullptr, [&](const StsLookup &l) {
        out = l;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, 5000))
        qWarning("lookup of %s did not finish", qPrintable(domain));
    return out;
}

} // namespace

void TstMtaSts::resolverFetchesThenCaches()
{
    outtls::FakeResolver dns;
    dns.setTxt(QStringLiteral("_mta-sts.example.com"), {"v=STSv1; id=one;"});
    FakeFetch fetch;
    fetch.results.insert(QStringLiteral("example.com"), okBody(kRfcPolicy));
    StsResolver r(&dns, fetch.fn());
    QList<CachedPolicy> persisted;
    r.setPersist([&](const CachedPolicy &c) { persisted << c; });
    qint64 now = 1'000'000'000'000;
    r.setClock([&] { return now; });

    StsLookup l = ask(r, QStringLiteral("Example.COM"));
    QVERIFY(l.hasPolicy);
    QCOMPARE(l.source, QStringLiteral("fetched"));
    QCOMPARE(l.policy.mode, Mode::Enforce);
    QCOMPARE(fetch.calls, 1);
    QCOMPARE(persisted.size(), 1);
    QCOMPARE(persisted.first().expiresMs, now + 604800LL * 1000);

    // Same id: the cache answers, no second fetch.
    now += 3600 * 1000;
    l = ask(r, QStringLiteral("example.com"));
    QVERIFY(l.hasPolicy);
    QCOMPARE(l.source, QStringLiteral("cache"));
    QCOMPARE(fetch.calls, 1);

    // Two lookups at once share one fetch.
    dns.setTxt(QStringLiteral("_mta-sts.example.com"), {"v=STSv1; id=two;"});
    int answers = 0;
    r.lookup(QStringLiteral("example.com"), nullptr, [&](const StsLookup &) { ++answers; });
    r.lookup(QStringLiteral("example.com"), nullptr, [&](const StsLookup &) { ++answers; });
    QVERIFY(QTest::qWaitFor([&] { return answers == 2; }, 5000));
    QCOMPARE(fetch.calls, 2);
}

void TstMtaSts::resolverRefreshesOnNewId()
{
    outtls::FakeResolver dns;
    dns.setTxt(QStringLiteral("_mta-sts.example.com"), {"v=STSv1; id=one;"});
    FakeFetch fetch;
    fetch.results.insert(QStringLiteral("example.com"), okBody(kRfcPolicy));
    StsResolver r(&dns, fetch.fn());
    QVERIFY(ask(r, QStringLiteral("example.com")).hasPolicy);
    // The domain publishes a new policy (testing) under a new id.
    dns.setTxt(QStringLiteral("_mta-sts.example.com"), {"v=STSv1; id=two;"});
    QByteArray testing = kRfcPolicy;
    testing.replace("mode: enforce", "mode: testing");
    fetch.results.insert(QStringLiteral("example.com"), okBody(testing));
    const StsLookup l = ask(r, QStringLiteral("example.com"));
    QCOMPARE(fetch.calls, 2);
    QCOMPARE(l.policy.mode, Mode::Testing);
    QCOMPARE(l.id, QByteArray("two"));
    QCOMPARE(r.cached(QStringLiteral("example.com"))->id, QByteArray("two"));
}

void TstMtaSts::resolverKeepsCachedPolicyWhenFetchFails()
{
    outtls::FakeResolver dns;
    dns.setTxt(QStringLiteral("_mta-sts.example.com"), {"v=STSv1; id=one;"});
    FakeFetch fetch;
    fetch.results.insert(QStringLiteral("example.com"), okBody(kRfcPolicy));
    StsResolver r(&dns, fetch.fn());
    QVERIFY(ask(r, QStringLiteral("example.com")).hasPolicy);
    // New id, but the policy server is down: the cached enforce policy stays
    // in force (5.1), and the failure is reported for TLS-RPT.
    dns.setTxt(QStringLiteral("_mta-sts.example.com"), {"v=STSv1; id=two;"});
    fetch.results.remove(QStringLiteral("example.com"));
    StsLookup l = ask(r, QStringLiteral("example.com"));
    QVERIFY(l.hasPolicy);
    QCOMPARE(l.policy.mode, Mode::Enforce);
    QVERIFY(l.source.startsWith(QLatin1String("cache (refresh failed")));
    QCOMPARE(l.failureType, QStringLiteral("sts-policy-fetch-error"));
    // A DNS failure for the TXT record: the cache too (an attacker blocking DNS gains nothing).
    dns.setStatus(QStringLiteral("_mta-sts.example.com"), rd::dns::RecordType::TXT, rd::dns::Status::ServerFailure);
    l = ask(r, QStringLiteral("example.com"));
    QVERIFY(l.hasPolicy);
    QCOMPARE(l.policy.mode, Mode::Enforce);
    // No cache, fetch fails: no policy (deliver as without MTA-STS).
    StsResolver fresh(&dns, fetch.fn());
    dns.setTxt(QStringLiteral("_mta-sts.example.com"), {"v=STSv1; id=two;"});
    l = ask(fresh, QStringLiteral("example.com"));
    QVERIFY(!l.hasPolicy);
    QCOMPARE(l.failureType, QStringLiteral("sts-policy-fetch-error"));
}

void TstMtaSts::resolverExpiry()
{
    outtls::FakeResolver dns;
    dns.setTxt(QStringLiteral("_mta-sts.example.com"), {"v=STSv1; id=one;"});
    FakeFetch fetch;
    QByteArray shortPolicy = kRfcPolicy;
    shortPolicy.replace("max_age: 604800", "max_age: 100");
    fetch.results.insert(QStringLiteral("example.com"), okBody(shortPolicy));
    StsResolver r(&dns, fetch.fn());
    qint64 now = 1'000'000'000'000;
    r.setClock([&] { return now; });
    QVERIFY(ask(r, QStringLiteral("example.com")).hasPolicy);
    // The TXT record is removed and the policy server is gone.
    dns.answers.remove(outtls::FakeResolver::key(QStringLiteral("_mta-sts.example.com"), rd::dns::RecordType::TXT));
    fetch.results.clear();
    now += 99 * 1000;
    QVERIFY(ask(r, QStringLiteral("example.com")).hasPolicy); // still within max_age
    now += 2 * 1000;
    QVERIFY(!ask(r, QStringLiteral("example.com")).hasPolicy); // expired
    // Same id after expiry: fetched again rather than trusted.
    dns.setTxt(QStringLiteral("_mta-sts.example.com"), {"v=STSv1; id=one;"});
    fetch.results.insert(QStringLiteral("example.com"), okBody(shortPolicy));
    const int before = fetch.calls;
    QVERIFY(ask(r, QStringLiteral("example.com")).hasPolicy);
    QCOMPARE(fetch.calls, before + 1);

    // preload() skips expired rows.
    CachedPolicy old;
    old.domain = QStringLiteral("old.test");
    old.id = "x";
    old.policy = *parsePolicy(kRfcPolicy);
    old.expiresMs = now - 1;
    CachedPolicy live = old;
    live.domain = QStringLiteral("live.test");
    live.expiresMs = now + 1000;
    StsResolver pre(&dns, fetch.fn());
    pre.setClock([&] { return now; });
    pre.preload({old, live});
    QVERIFY(!pre.cached(QStringLiteral("old.test")));
    QVERIFY(pre.cached(QStringLiteral("live.test")));
}

void TstMtaSts::resolverNoRecord()
{
    outtls::FakeResolver dns;
    FakeFetch fetch;
    StsResolver r(&dns, fetch.fn());
    StsLookup l = ask(r, QStringLiteral("plain.test"));
    QVERIFY(!l.hasPolicy);
    QVERIFY(l.failureType.isEmpty());
    QCOMPARE(fetch.calls, 0);
    // Two STSv1 records: treated as none, no fetch.
    dns.setTxt(QStringLiteral("_mta-sts.two.test"), {"v=STSv1; id=a;", "v=STSv1; id=b;"});
    l = ask(r, QStringLiteral("two.test"));
    QVERIFY(!l.hasPolicy);
    QCOMPARE(fetch.calls, 0);
}

void TstMtaSts::resolverInvalidPolicyReported()
{
    outtls::FakeResolver dns;
    dns.setTxt(QStringLiteral("_mta-sts.example.com"), {"v=STSv1; id=one;"});
    FakeFetch fetch;
    fetch.results.insert(QStringLiteral("example.com"), okBody("<html>not a policy</html>"));
    StsResolver r(&dns, fetch.fn());
    const StsLookup l = ask(r, QStringLiteral("example.com"));
    QVERIFY(!l.hasPolicy);
    QCOMPARE(l.failureType, QStringLiteral("sts-policy-invalid"));
}

void TstMtaSts::storeRoundTrip()
{
    QTemporaryDir dir;
    QString error;
    const QString conn = rd::storage::uniqueConnectionName(QStringLiteral("tst_mtasts"));
    {
        QSqlDatabase db = rd::storage::openDatabase(dir.path(), rd::storage::DbKind::Config, conn, {}, &error);
        QVERIFY2(db.isOpen(), qPrintable(error));
        CachedPolicy c;
        c.domain = QStringLiteral("example.com");
        c.id = "20160831085700Z";
        c.policy = *parsePolicy(kRfcPolicy);
        c.fetchedMs = 1000;
        c.expiresMs = 1000 + 604800LL * 1000;
        QVERIFY(savePolicy(db, c, &error));
        c.id = "newer"; // replaces the row
        QVERIFY(savePolicy(db, c, &error));
        CachedPolicy old = c;
        old.domain = QStringLiteral("old.test");
        old.expiresMs = 500;
        QVERIFY(savePolicy(db, old, &error));
        QCOMPARE(purgeExpired(db, 900, &error), 1);
        const QList<CachedPolicy> rows = loadPolicies(db, &error);
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.first().domain, QStringLiteral("example.com"));
        QCOMPARE(rows.first().id, QByteArray("newer"));
        QCOMPARE(rows.first().policy.mx, c.policy.mx);
        QCOMPARE(rows.first().policy.mode, Mode::Enforce);
        QCOMPARE(rows.first().expiresMs, c.expiresMs);
    }
    rd::storage::closeDatabase(conn);
}

void TstMtaSts::fetchOverHttps_data()
{
    QTest::addColumn<QString>("domain");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("resultType");
    QTest::addColumn<QString>("errorPart");
    QTest::newRow("valid") << "good.test" << true << QString() << QString();
    QTest::newRow("certificate for another name") << "badcert.test" << false << "sts-webpki-invalid" << "certificate";
    QTest::newRow("redirect not followed") << "redirect.test" << false << "sts-policy-fetch-error" << "redirect";
    QTest::newRow("larger than 64 KB") << "big.test" << false << "sts-policy-fetch-error" << "larger than";
    QTest::newRow("not text/plain") << "html.test" << false << "sts-policy-fetch-error" << "text/plain";
    QTest::newRow("404") << "missing.test" << false << "sts-policy-fetch-error" << "";
    QTest::newRow("no address") << "nodns.test" << false << "sts-policy-fetch-error" << "no address";
}

void TstMtaSts::fetchOverHttps()
{
    QFETCH(QString, domain);
    QFETCH(bool, ok);
    QFETCH(QString, resultType);
    QFETCH(QString, errorPart);
    outtls::FakeResolver dns;
    for (const char *d : {"good.test", "badcert.test", "redirect.test", "big.test", "html.test", "missing.test"})
        dns.setA(QStringLiteral("mta-sts.") + QLatin1String(d), QStringLiteral("127.0.0.1"));
    FetcherOptions o;
    o.port = m_port;
    o.caFile = m_tmp.filePath(QStringLiteral("ca.pem"));
    o.timeoutMs = 10000;
    PolicyFetcher f(&dns, o);
    FetchResult r;
    bool done = false;
    f.fetch(domain, [&](const FetchResult &x) {
        r = x;
        done = true;
    });
    QVERIFY(QTest::qWaitFor([&] { return done; }, 15000));
    QVERIFY2(r.ok == ok, qPrintable(r.error));
    if (ok) {
        QCOMPARE(r.body, kRfcPolicy);
        QVERIFY(parsePolicy(r.body));
    } else {
        QCOMPARE(r.resultType, resultType);
        QVERIFY2(r.error.contains(errorPart, Qt::CaseInsensitive), qPrintable(r.error));
    }
}

QTEST_GUILESS_MAIN(TstMtaSts)
#include "tst_mtasts.moc"

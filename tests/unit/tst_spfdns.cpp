// SPF (RFC 7208) over real DNS: rd::mailauth::SpfEvaluator through
// CaresResolver against NSD serving test zones on loopback
// (tests/integration/dnsserver.py), and pyspf (python3-spf, with dnspython
// pointed at the same NSD) as an independent oracle on the same cases. Plus
// the evaluator's time limit against a DNS server that never answers.
// Needs /usr/sbin/nsd and /usr/bin/python3 with python3-spf.

#include "dns/caresresolver.h"
#include "mailauth/spf.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUdpSocket>

#include <optional>

using namespace rd::mailauth;

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");
const QString kNsd = QStringLiteral("/usr/sbin/nsd");

// Runs one check to completion (or a default outcome with problem "no callback").
SpfOutcome runCheck(SpfEvaluator &e, const SpfRequest &req, int timeoutMs = 10000,
                    int *callbacks = nullptr)
{
    std::optional<SpfOutcome> got;
    int calls = 0;
    e.check(req, nullptr, [&](const SpfOutcome &o) {
        ++calls;
        got = o;
    });
    if (calls != 0) { // a callback from inside check() breaks the contract
        SpfOutcome bad;
        bad.problem = QStringLiteral("callback from inside check()");
        return bad;
    }
    (void)QTest::qWaitFor([&] { return got.has_value(); }, timeoutMs);
    QTest::qWait(0);
    if (callbacks)
        *callbacks = calls;
    if (!got) {
        SpfOutcome none;
        none.problem = QStringLiteral("no callback");
        return none;
    }
    return *got;
}

} // namespace

class TstSpfDns : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void throughCaresResolver_data();
    void throughCaresResolver();
    void agreesWithPyspf();
    void timeLimit();

private:
    rd::dns::ResolverConfig nsdConfig() const;

    QTemporaryDir m_tmp;
    QProcess *m_server = nullptr;
    QString m_address;
    quint16 m_port = 0;
    QString m_nsdError;
};

// ================================================================ real DNS

namespace {

QJsonObject nsdZones()
{
    QJsonArray ex;
    const auto rr = [&](const QString &line) { ex.append(line); };
    const auto txt = [&](const QString &name, const QString &value) {
        QString quoted;
        for (const QString &part : value.split(QStringLiteral("|")))
            quoted += QStringLiteral(" \u0022%1\u0022").arg(part);
        rr(name + QStringLiteral(" TXT") + quoted);
    };
    txt(QStringLiteral("pass"), QStringLiteral("v=spf1 ip4:127.0.0.0/8 -all"));
    txt(QStringLiteral("fail"), QStringLiteral("v=spf1 ip4:192.0.2.1 -all exp=why.example.test"));
    txt(QStringLiteral("why"), QStringLiteral("%{i} is not one of %{d}'s hosts"));
    txt(QStringLiteral("chain"), QStringLiteral("v=spf1 include:c1.example.test -all"));
    txt(QStringLiteral("c1"), QStringLiteral("v=spf1 include:c2.example.test ~all"));
    txt(QStringLiteral("c2"), QStringLiteral("v=spf1 a:host.example.test mx:mxd.example.test -all"));
    rr(QStringLiteral("host A 192.0.2.10"));
    rr(QStringLiteral("mxd MX 10 mx1.example.test."));
    rr(QStringLiteral("mx1 A 192.0.2.20"));
    rr(QStringLiteral("mx1 AAAA 2001:db8::20"));
    txt(QStringLiteral("mxonly"), QStringLiteral("v=spf1 mx:mxd.example.test/24 -all"));
    QString limit = QStringLiteral("v=spf1");
    for (int i = 1; i <= 11; ++i) {
        limit += QStringLiteral("| include:i%1.example.test").arg(i); // one string each
        txt(QStringLiteral("i%1").arg(i), QStringLiteral("v=spf1 ?all"));
    }
    txt(QStringLiteral("limit"), limit + QStringLiteral(" +all"));
    txt(QStringLiteral("atlimit"), QStringLiteral("v=spf1 include:i1.example.test include:i2.example.test "
                                                  "include:i3.example.test include:i4.example.test "
                                                  "include:i5.example.test| include:i6.example.test "
                                                  "include:i7.example.test include:i8.example.test "
                                                  "include:i9.example.test include:i10.example.test +all"));
    txt(QStringLiteral("voids"), QStringLiteral("v=spf1 a:n1.example.test a:n2.example.test "
                                                "a:n3.example.test +all"));
    txt(QStringLiteral("split"), QStringLiteral("v=spf1 ip4:192.0.2.0/24|  -all"));
    txt(QStringLiteral("two"), QStringLiteral("v=spf1 -all"));
    txt(QStringLiteral("two"), QStringLiteral("v=spf1 +all"));
    txt(QStringLiteral("redir"), QStringLiteral("v=spf1 redirect=pass.example.test"));
    txt(QStringLiteral("ex"), QStringLiteral("v=spf1 exists:%{ir}.bl.example.test -all"));
    rr(QStringLiteral("5.0.0.127.bl A 127.0.0.2"));
    txt(QStringLiteral("ptrd"), QStringLiteral("v=spf1 ptr:example.test -all"));
    rr(QStringLiteral("host2 A 127.0.0.2"));
    txt(QStringLiteral("alias"), QStringLiteral("v=spf1 include:cn.example.test -all"));
    rr(QStringLiteral("cn CNAME pass.example.test."));
    txt(QStringLiteral("bad"), QStringLiteral("v=spf1 ip4:192.0.2.300 -all"));
    QJsonArray rev;
    rev.append(QStringLiteral("2 PTR host2.example.test."));
    QJsonObject zones;
    zones.insert(QStringLiteral("example.test"), ex);
    zones.insert(QStringLiteral("0.0.127.in-addr.arpa"), rev);
    return QJsonObject{{QStringLiteral("zones"), zones}, {QStringLiteral("ttl"), 300},
                       {QStringLiteral("negative_ttl"), 60}};
}

// (ip, sender domain, expected result) through the real resolver.
const char *const kNsdCases[][3] = {
    {"127.0.0.9", "pass", "pass"},
    {"192.0.2.99", "pass", "fail"},
    {"192.0.2.99", "fail", "fail"},
    {"192.0.2.10", "chain", "pass"},
    {"192.0.2.20", "chain", "pass"},
    {"2001:db8::20", "chain", "pass"},
    {"192.0.2.11", "chain", "fail"},
    {"192.0.2.21", "mxonly", "pass"},
    {"192.0.2.99", "limit", "permerror"},
    {"192.0.2.99", "atlimit", "pass"},
    {"192.0.2.99", "voids", "permerror"},
    {"192.0.2.200", "split", "pass"},
    {"192.0.2.99", "two", "permerror"},
    {"127.0.0.1", "redir", "pass"},
    {"127.0.0.5", "ex", "pass"},
    {"127.0.0.6", "ex", "fail"},
    {"127.0.0.2", "ptrd", "pass"},
    {"127.0.0.3", "ptrd", "fail"},
    {"127.0.0.1", "alias", "pass"},
    {"192.0.2.1", "bad", "permerror"},
    {"192.0.2.1", "nosuch", "none"},
};

} // namespace

void TstSpfDns::initTestCase()
{
    if (!QFile::exists(kNsd)) {
        m_nsdError = QStringLiteral("nsd not found at /usr/sbin/nsd: run scripts/deps.sh");
        return;
    }
    QString script = qEnvironmentVariable("RELAYDESK_DNSSERVER_PY");
    if (script.isEmpty())
        script = QFINDTESTDATA("../integration/dnsserver.py");
    QVERIFY2(QFile::exists(script), "tests/integration/dnsserver.py not found");
    QVERIFY(m_tmp.isValid());
    const QString spec = m_tmp.filePath(QStringLiteral("zones.json"));
    QFile f(spec);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(nsdZones()).toJson());
    f.close();
    m_server = new QProcess(this);
    m_server->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_server->start(kPython, {script, QStringLiteral("--zone-file"), spec, QStringLiteral("--stop-on-eof")});
    QVERIFY2(m_server->waitForStarted(5000), qPrintable(m_server->errorString()));
    QByteArray out;
    QVERIFY2(QTest::qWaitFor([&] {
                 out += m_server->readAllStandardOutput();
                 return out.contains('\n') || m_server->state() == QProcess::NotRunning;
             }, 30000),
             "dnsserver.py did not print ready");
    const QList<QByteArray> words = out.trimmed().split(' ');
    QVERIFY2(words.size() == 3 && words[0] == "ready", out.constData());
    m_address = QString::fromLatin1(words[1]);
    m_port = quint16(words[2].toUInt());
}

void TstSpfDns::cleanupTestCase()
{
    if (!m_server)
        return;
    m_server->terminate();
    if (!m_server->waitForFinished(10000)) {
        m_server->kill();
        m_server->waitForFinished(3000);
    }
}

rd::dns::ResolverConfig TstSpfDns::nsdConfig() const
{
    rd::dns::ResolverConfig c;
    c.servers = {QStringLiteral("%1:%2").arg(m_address).arg(m_port)};
    c.timeoutMs = 2000;
    c.tries = 2;
    return c;
}

void TstSpfDns::throughCaresResolver_data()
{
    QTest::addColumn<QString>("ip");
    QTest::addColumn<QString>("domain");
    QTest::addColumn<QString>("expected");
    for (const auto &c : kNsdCases) {
        QTest::newRow(qPrintable(QStringLiteral("%1 from %2").arg(QLatin1String(c[1]), QLatin1String(c[0]))))
            << QString::fromLatin1(c[0]) << QString::fromLatin1(c[1]) << QString::fromLatin1(c[2]);
    }
}

void TstSpfDns::throughCaresResolver()
{
    if (!m_nsdError.isEmpty())
        QFAIL(qPrintable(m_nsdError));
    QFETCH(QString, ip);
    QFETCH(QString, domain);
    QFETCH(QString, expected);
    rd::dns::CaresResolver resolver(nsdConfig());
    QVERIFY2(resolver.isValid(), qPrintable(resolver.errorString()));
    SpfEvaluator evaluator(&resolver);
    SpfRequest req;
    req.ip = QHostAddress(ip);
    req.helo = QStringLiteral("client.example.test");
    req.sender = QStringLiteral("someone@%1.example.test").arg(domain);
    const SpfOutcome o = runCheck(evaluator, req, 15000);
    QVERIFY2(spfResultName(o.result) == expected,
             qPrintable(QStringLiteral("got %1 (%2; %3)").arg(spfResultName(o.result), o.mechanism, o.problem)));
    if (domain == QLatin1String("fail"))
        QCOMPARE(o.explanation, QStringLiteral("192.0.2.99 is not one of fail.example.test's hosts"));
    if (domain == QLatin1String("limit"))
        QVERIFY2(o.problem.contains(QLatin1String("more than 10")), qPrintable(o.problem));
}

void TstSpfDns::agreesWithPyspf()
{
    if (!m_nsdError.isEmpty())
        QFAIL(qPrintable(m_nsdError));
    // pyspf (python3-spf) asks DNS through dnspython's default resolver: point it
    // at the same NSD and let it judge the same cases on its own.
    QString cases;
    for (const auto &c : kNsdCases)
        cases += QStringLiteral("%1 someone@%2.example.test\n").arg(QLatin1String(c[0]), QLatin1String(c[1]));
    const QString script = QStringLiteral(
        "import sys, dns.resolver, spf\n"
        "r = dns.resolver.Resolver(configure=False)\n"
        "r.nameservers = [sys.argv[1]]\n"
        "r.port = int(sys.argv[2])\n"
        "dns.resolver.default_resolver = r\n"
        "for line in sys.stdin.read().split('\\n'):\n"
        "    if not line.strip(): continue\n"
        "    ip, sender = line.split()\n"
        "    res, code, exp = spf.query(i=ip, s=sender, h='client.example.test').check()\n"
        "    print(ip, sender, res)\n");
    QProcess py;
    py.start(kPython, {QStringLiteral("-c"), script, m_address, QString::number(m_port)});
    QVERIFY2(py.waitForStarted(5000), "python3 did not start");
    py.write(cases.toUtf8());
    py.closeWriteChannel();
    QVERIFY(py.waitForFinished(120000));
    QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
    const QStringList lines = QString::fromUtf8(py.readAllStandardOutput()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), int(std::size(kNsdCases)));

    rd::dns::CaresResolver resolver(nsdConfig());
    SpfEvaluator evaluator(&resolver);
    int agreed = 0;
    QStringList differences;
    for (const QString &line : lines) {
        const QStringList w = line.split(QLatin1Char(' '));
        QCOMPARE(w.size(), 3);
        SpfRequest req;
        req.ip = QHostAddress(w[0]);
        req.sender = w[1];
        req.helo = QStringLiteral("client.example.test");
        const SpfOutcome o = runCheck(evaluator, req, 15000);
        if (spfResultName(o.result) == w[2])
            ++agreed;
        else
            differences << QStringLiteral("%1 %2: ours %3, pyspf %4").arg(w[0], w[1], spfResultName(o.result), w[2]);
    }
    qInfo("pyspf agreed on %d of %d cases", agreed, int(lines.size()));
    QVERIFY2(differences.isEmpty(), qPrintable(differences.join(QStringLiteral("; "))));
}

void TstSpfDns::timeLimit()
{
    // A DNS server that never answers: the time limit ends the check first.
    QUdpSocket silent;
    QVERIFY(silent.bind(QHostAddress::LocalHost, 0));
    rd::dns::ResolverConfig c;
    c.servers = {QStringLiteral("127.0.0.1:%1").arg(silent.localPort())};
    c.timeoutMs = 5000;
    c.tries = 1;
    rd::dns::CaresResolver resolver(c);
    SpfEvaluator evaluator(&resolver);
    evaluator.setTimeLimitMs(300);
    SpfRequest req;
    req.ip = QHostAddress(QStringLiteral("192.0.2.1"));
    req.sender = QStringLiteral("a@slow.example.test");
    QElapsedTimer t;
    t.start();
    const SpfOutcome o = runCheck(evaluator, req, 4000);
    QCOMPARE(o.result, SpfResult::TempError);
    QVERIFY2(o.problem.contains(QLatin1String("longer than 300 ms")), qPrintable(o.problem));
    QVERIFY(t.elapsed() >= 250 && t.elapsed() < 3000);
}

QTEST_GUILESS_MAIN(TstSpfDns)
#include "tst_spfdns.moc"

// End-to-end ACME (RFC 8555) against Pebble, Let's Encrypt's test CA (Debian
// `pebble`), started by this test on 127.0.0.1 with pebble-challtestsrv as its
// DNS server. http-01 is answered by our responder on the port Pebble's VA is
// configured to use; dns-01 records are published through challtestsrv's
// management API and the order waits for them through the project's
// CaresResolver. Pebble rejects 15% of nonces (PEBBLE_WFE_NONCEREJECT) so the
// badNonce retry runs too. The issued chain is checked with `openssl verify`
// against the root Pebble's management API hands out, and the store entry
// serves a real TLS handshake.
// dns-01 by RFC 2136 (no admin step): a second Pebble resolves through Knot
// DNS (tests/integration/knotserver.py, a TSIG key allowed to update); the
// order publishes the TXT records by DNS UPDATE, waits for them through the
// resolver, and deletes them afterwards, on success and on failure.
#include "acme/acmeorder.h"
#include "acme/acmetransport.h"
#include "dns/caresresolver.h"
#include "dns/dnsupdateclient.h"
#include "tls/certificatestore.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

using namespace rd;
using namespace rd::acme;

namespace {

quint16 freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

// A server that hands each connection a QSslSocket with `config`.
class TlsServer : public QTcpServer {
public:
    QSslConfiguration config;
    QList<QSslSocket *> sockets;
protected:
    void incomingConnection(qintptr fd) override
    {
        auto *s = new QSslSocket(this);
        s->setSocketDescriptor(fd);
        s->setSslConfiguration(config);
        s->startServerEncryption();
        sockets << s;
    }
};

} // namespace

class TestAcmePebble : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void http01IssuesVerifiableCertificate();
    void dns01WithResolverAndExistingAccount();
    void unreachableResponderFailsCleanly();
    void termsMustBeAgreed();
    void dns01ByDnsUpdateWithKnot();
    void dns01ByDnsUpdateWrongSecretFails();

private:
    bool startKnotAndPebble();
    QByteArray httpsGet(const QString &url, int *status = nullptr);
    AcmeResult runOrder(AcmeOrder &order);

    QTemporaryDir m_dir;
    QProcess m_pebble, m_chall, m_knot, m_pebbleKnot;
    quint16 m_knotPort = 0;
    QByteArray m_tsigSecret;
    QString m_knotDirectory; // the second Pebble's, resolving through knotd
    quint16 m_acmePort = 0, m_mgmtPort = 0, m_httpPort = 0, m_dnsPort = 0, m_challMgmtPort = 0;
    QSslCertificate m_pebbleTls;
    std::unique_ptr<tls::CertificateStore> m_store;
    NetworkTransport *m_transport = nullptr;
    QString m_directory;
    AccountKey m_accountKey;
    QString m_accountUrl;
};

QByteArray TestAcmePebble::httpsGet(const QString &url, int *status)
{
    QNetworkAccessManager nam;
    QNetworkRequest req{QUrl(url)};
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates({m_pebbleTls});
    req.setSslConfiguration(ssl);
    req.setTransferTimeout(10000);
    QNetworkReply *reply = nam.get(req);
    QSignalSpy done(reply, &QNetworkReply::finished);
    done.wait(15000);
    if (status)
        *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->readAll();
    delete reply;
    return body;
}

void TestAcmePebble::initTestCase()
{
    if (QStandardPaths::findExecutable(QStringLiteral("pebble")).isEmpty()
        || QStandardPaths::findExecutable(QStringLiteral("pebble-challtestsrv")).isEmpty())
    {
        // In CI (scripts/deps.sh installs it) a missing peer is a failure, not a skip.
        if (qEnvironmentVariableIsSet("CI"))
            QFAIL("pebble is not installed (scripts/deps.sh installs it)");
        QSKIP("pebble is not installed (apt-get install pebble)");
    }
    QVERIFY(m_dir.isValid());
    const QString d = m_dir.path();
    // Pebble's own HTTPS certificate (the ACME API and the management API).
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
                   QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
                   QStringLiteral("-keyout"), d + QStringLiteral("/pebble.key"), QStringLiteral("-out"),
                   d + QStringLiteral("/pebble.crt"), QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
                   QStringLiteral("/CN=localhost"), QStringLiteral("-addext"),
                   QStringLiteral("subjectAltName=DNS:localhost,IP:127.0.0.1")});
    QVERIFY(openssl.waitForFinished(30000) && openssl.exitCode() == 0);
    QFile crt(d + QStringLiteral("/pebble.crt"));
    QVERIFY(crt.open(QIODevice::ReadOnly));
    m_pebbleTls = QSslCertificate(crt.readAll());
    QVERIFY(!m_pebbleTls.isNull());

    m_acmePort = freePort();
    m_mgmtPort = freePort();
    m_httpPort = freePort();
    m_dnsPort = freePort();
    m_challMgmtPort = freePort();
    const QByteArray config = QStringLiteral(R"({"pebble": {"listenAddress": "127.0.0.1:%1",
        "managementListenAddress": "127.0.0.1:%2", "certificate": "%3/pebble.crt", "privateKey": "%3/pebble.key",
        "httpPort": %4, "tlsPort": %5, "ocspResponderURL": "", "externalAccountBindingRequired": false}})")
                                  .arg(m_acmePort).arg(m_mgmtPort).arg(d).arg(m_httpPort).arg(freePort())
                                  .toUtf8();
    QVERIFY(writeFile(d + QStringLiteral("/pebble.json"), config));

    const QString dnsAddr = QStringLiteral("127.0.0.1:%1").arg(m_dnsPort);
    m_chall.setProcessChannelMode(QProcess::MergedChannels);
    m_chall.setStandardOutputFile(d + QStringLiteral("/challtestsrv.log"));
    m_chall.start(QStringLiteral("pebble-challtestsrv"),
                  {QStringLiteral("-dns01"), dnsAddr, QStringLiteral("-management"),
                   QStringLiteral("127.0.0.1:%1").arg(m_challMgmtPort), QStringLiteral("-http01"), QString(),
                   QStringLiteral("-https01"), QString(), QStringLiteral("-tlsalpn01"), QString(),
                   QStringLiteral("-defaultIPv4"), QStringLiteral("127.0.0.1"), QStringLiteral("-defaultIPv6"), QString()});
    QVERIFY(m_chall.waitForStarted());

    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PEBBLE_VA_NOSLEEP"), QStringLiteral("1"));
    env.insert(QStringLiteral("PEBBLE_WFE_NONCEREJECT"), QStringLiteral("15"));
    env.insert(QStringLiteral("PEBBLE_AUTHZREUSE"), QStringLiteral("0"));
    m_pebble.setProcessEnvironment(env);
    m_pebble.setProcessChannelMode(QProcess::MergedChannels);
    m_pebble.setStandardOutputFile(d + QStringLiteral("/pebble.log"));
    m_pebble.start(QStringLiteral("pebble"), {QStringLiteral("-config"), d + QStringLiteral("/pebble.json"),
                                              QStringLiteral("-dnsserver"), dnsAddr});
    QVERIFY(m_pebble.waitForStarted());

    m_directory = QStringLiteral("https://127.0.0.1:%1/dir").arg(m_acmePort);
    int status = 0;
    for (int i = 0; i < 100 && status != 200; ++i) {
        httpsGet(m_directory, &status);
        if (status != 200)
            QTest::qWait(100);
    }
    QCOMPARE(status, 200);

    m_store = std::make_unique<tls::CertificateStore>(d + QStringLiteral("/tls"));
    QString error;
    QVERIFY2(m_store->open(&error), qPrintable(error));
    m_transport = new NetworkTransport(this);
    m_transport->setExtraCaCertificates({m_pebbleTls});
}

void TestAcmePebble::cleanupTestCase()
{
    m_knot.closeWriteChannel(); // knotserver.py --stop-on-eof
    for (QProcess *p : {&m_pebble, &m_chall, &m_pebbleKnot, &m_knot}) {
        if (p->state() != QProcess::NotRunning) {
            p->terminate();
            if (!p->waitForFinished(5000))
                p->kill();
        }
    }
}

AcmeResult TestAcmePebble::runOrder(AcmeOrder &order)
{
    QSignalSpy finished(&order, &AcmeOrder::finished);
    connect(&order, &AcmeOrder::progress, this, [](const QString &t) { qInfo("acme: %s", qPrintable(t)); });
    order.start();
    if (!finished.wait(90000))
        return AcmeResult{false, QStringLiteral("no finished() within 90 s")};
    return finished.first().first().value<AcmeResult>();
}

void TestAcmePebble::http01IssuesVerifiableCertificate()
{
    AcmeRequest req;
    req.directoryUrl = m_directory;
    req.email = QStringLiteral("admin@acme.test");
    req.termsAgreed = true;
    req.names = {QStringLiteral("mail.acme.test"), QStringLiteral("smtp.acme.test")};
    req.challenge = ChallengeType::Http01;
    AcmeOrder order(m_transport, m_store.get(), req);
    order.setHttp01Listen(QHostAddress::LocalHost, m_httpPort);
    order.setPollInterval(200);
    const AcmeResult r = runOrder(order);
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(!r.account.accountUrl.isEmpty());
    QVERIFY(r.account.keyPem.startsWith("-----BEGIN PRIVATE KEY-----"));
    m_accountKey = AccountKey::fromPem(r.account.keyPem, nullptr);
    m_accountUrl = r.account.accountUrl;
    QCOMPARE(QSet<QString>(r.info.sans.begin(), r.info.sans.end()), QSet<QString>(req.names.begin(), req.names.end()));
    QVERIFY(m_store->pendingRequests().isEmpty());

    // The responder is gone: its port can be bound again.
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, m_httpPort));
    probe.close();

    // Independent check: openssl verify against the root from Pebble's management API.
    int status = 0;
    const QByteArray root = httpsGet(QStringLiteral("https://127.0.0.1:%1/roots/0").arg(m_mgmtPort), &status);
    QCOMPARE(status, 200);
    const QList<QSslCertificate> chain = QSslCertificate::fromData(m_store->exportCertificatePem(r.certificateId));
    QVERIFY(chain.size() >= 2);
    const QString d = m_dir.path();
    QByteArray intermediates;
    for (int i = 1; i < chain.size(); ++i)
        intermediates += chain[i].toPem();
    QVERIFY(writeFile(d + QStringLiteral("/root.pem"), root));
    QVERIFY(writeFile(d + QStringLiteral("/leaf.pem"), chain.first().toPem()));
    QVERIFY(writeFile(d + QStringLiteral("/inter.pem"), intermediates));
    QProcess verify;
    verify.setProcessChannelMode(QProcess::MergedChannels);
    verify.start(QStringLiteral("openssl"), {QStringLiteral("verify"), QStringLiteral("-purpose"), QStringLiteral("sslserver"),
                                             QStringLiteral("-CAfile"), d + QStringLiteral("/root.pem"),
                                             QStringLiteral("-untrusted"), d + QStringLiteral("/inter.pem"),
                                             d + QStringLiteral("/leaf.pem")});
    QVERIFY(verify.waitForFinished(30000));
    const QByteArray out = verify.readAll();
    QVERIFY2(verify.exitCode() == 0 && out.contains(": OK"), out.constData());

    // The entry serves TLS: a client trusting only Pebble's root accepts it for the name.
    QString error;
    const std::optional<QSslConfiguration> serverConfig = m_store->serverConfiguration(r.certificateId, &error);
    QVERIFY2(serverConfig, qPrintable(error));
    TlsServer server;
    server.config = *serverConfig;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QSslSocket client;
    QSslConfiguration clientConfig = QSslConfiguration::defaultConfiguration();
    clientConfig.setCaCertificates(QSslCertificate::fromData(root));
    client.setSslConfiguration(clientConfig);
    QList<QSslError> errors;
    connect(&client, &QSslSocket::sslErrors, this, [&errors](const QList<QSslError> &e) { errors += e; });
    client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.serverPort(), QStringLiteral("smtp.acme.test"));
    QTRY_VERIFY_WITH_TIMEOUT(client.isEncrypted() || !errors.isEmpty(), 10000);
    QVERIFY2(errors.isEmpty(), errors.isEmpty() ? "" : qPrintable(errors.first().errorString()));
    QCOMPARE(client.peerCertificate(), chain.first());
}

void TestAcmePebble::dns01WithResolverAndExistingAccount()
{
    QVERIFY2(!m_accountUrl.isEmpty(), "needs the account of the http-01 test");
    dns::ResolverConfig rc;
    rc.servers = {QStringLiteral("127.0.0.1:%1").arg(m_dnsPort)};
    rc.cacheEnabled = false;
    rc.timeoutMs = 1000;
    dns::CaresResolver resolver(rc);
    QVERIFY2(resolver.isValid(), qPrintable(resolver.errorString()));

    AcmeRequest req;
    req.directoryUrl = m_directory;
    req.names = {QStringLiteral("dns.acme.test"), QStringLiteral("www.dns.acme.test")};
    req.challenge = ChallengeType::Dns01;
    AcmeOrder order(m_transport, m_store.get(), req);
    order.setAccount(m_accountKey, m_accountUrl); // no newAccount, no terms needed
    order.setResolver(&resolver);
    order.setDnsPollInterval(300);
    order.setPollInterval(200);
    QList<DnsChallengeRecord> published;
    QNetworkAccessManager nam;
    int lookupsBeforePublish = 0;
    connect(&order, &AcmeOrder::dnsRecordsNeeded, this, [&](const QList<DnsChallengeRecord> &records) {
        published = records;
        // Publish a little later: the order must keep polling DNS until then.
        QTimer::singleShot(1000, this, [&, records] {
            lookupsBeforePublish = int(resolver.stats().queriesSent);
            for (const DnsChallengeRecord &rec : records) {
                QNetworkRequest r(QUrl(QStringLiteral("http://127.0.0.1:%1/set-txt").arg(m_challMgmtPort)));
                r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
                nam.post(r, QJsonDocument(QJsonObject{{QStringLiteral("host"), rec.name + QLatin1Char('.')},
                                                      {QStringLiteral("value"), rec.value}}).toJson());
            }
        });
    });
    const AcmeResult r = runOrder(order);
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.account.accountUrl, m_accountUrl);
    QCOMPARE(published.size(), 2);
    QStringList names{published[0].name, published[1].name};
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("_acme-challenge.dns.acme.test"), QStringLiteral("_acme-challenge.www.dns.acme.test")}));
    QVERIFY(published[0].value != published[1].value);
    for (const DnsChallengeRecord &rec : std::as_const(published))
        QCOMPARE(rec.zoneLine(), QStringLiteral("%1. 300 IN TXT \"%2\"").arg(rec.name, rec.value));
    QVERIFY2(lookupsBeforePublish >= 2, "the order should have polled DNS before the records existed");
    QCOMPARE(QSet<QString>(r.info.sans.begin(), r.info.sans.end()),
             QSet<QString>(req.names.begin(), req.names.end()));
}

void TestAcmePebble::unreachableResponderFailsCleanly()
{
    AcmeRequest req;
    req.directoryUrl = m_directory;
    req.termsAgreed = true;
    req.names = {QStringLiteral("broken.acme.test")};
    AcmeOrder order(m_transport, m_store.get(), req);
    order.setHttp01Listen(QHostAddress::LocalHost, freePort()); // not the port Pebble's VA connects to
    order.setPollInterval(200);
    const int before = int(m_store->list().size());
    const AcmeResult r = runOrder(order);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.startsWith(QStringLiteral("ACME http-01 failed: broken.acme.test is invalid")), qPrintable(r.error));
    QCOMPARE(int(m_store->list().size()), before);
    QVERIFY(m_store->pendingRequests().isEmpty());
}

void TestAcmePebble::termsMustBeAgreed()
{
    AcmeRequest req;
    req.directoryUrl = m_directory;
    req.names = {QStringLiteral("x.acme.test")};
    AcmeOrder order(m_transport, m_store.get(), req);
    const AcmeResult r = runOrder(order);
    QVERIFY(!r.ok);
    QCOMPARE(r.error, QStringLiteral("ACME account failed: the CA's terms of service must be agreed to first"));
}

bool TestAcmePebble::startKnotAndPebble()
{
    if (!m_knotDirectory.isEmpty())
        return true;
    if (!QFile::exists(QStringLiteral("/usr/sbin/knotd"))) {
        qWarning("knotd not found (scripts/deps.sh installs knot)");
        return false;
    }
    const QString script = QFINDTESTDATA("../integration/knotserver.py");
    m_tsigSecret = QByteArray::fromHex("8d1b0c6f7e3a49d2b5c4e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0");
    m_knot.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_knot.start(QStringLiteral("/usr/bin/python3"),
                 {script, QStringLiteral("--zone"), QStringLiteral("knot.test"), QStringLiteral("--key-name"),
                  QStringLiteral("relaydesk-acme"), QStringLiteral("--secret"), QString::fromLatin1(m_tsigSecret.toBase64()),
                  QStringLiteral("--stop-on-eof")});
    if (!m_knot.waitForStarted(5000))
        return false;
    QByteArray out;
    const bool answered = QTest::qWaitFor([&] {
        out += m_knot.readAllStandardOutput();
        return out.contains('\n') || m_knot.state() == QProcess::NotRunning;
    }, 30000);
    const QList<QByteArray> words = out.trimmed().split(' ');
    if (!answered || words.size() != 3 || words[0] != "ready") {
        qWarning("knotserver.py: %s", out.constData());
        return false;
    }
    m_knotPort = quint16(words[2].toUInt());

    const QString d = m_dir.path();
    const quint16 acmePort = freePort();
    const QByteArray config = QStringLiteral(R"({"pebble": {"listenAddress": "127.0.0.1:%1",
        "managementListenAddress": "127.0.0.1:%2", "certificate": "%3/pebble.crt", "privateKey": "%3/pebble.key",
        "httpPort": %4, "tlsPort": %5, "ocspResponderURL": "", "externalAccountBindingRequired": false}})")
                                  .arg(acmePort).arg(freePort()).arg(d).arg(freePort()).arg(freePort())
                                  .toUtf8();
    if (!writeFile(d + QStringLiteral("/pebble-knot.json"), config))
        return false;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PEBBLE_VA_NOSLEEP"), QStringLiteral("1"));
    env.insert(QStringLiteral("PEBBLE_WFE_NONCEREJECT"), QStringLiteral("0"));
    env.insert(QStringLiteral("PEBBLE_AUTHZREUSE"), QStringLiteral("0"));
    m_pebbleKnot.setProcessEnvironment(env);
    m_pebbleKnot.setProcessChannelMode(QProcess::MergedChannels);
    m_pebbleKnot.setStandardOutputFile(d + QStringLiteral("/pebble-knot.log"));
    m_pebbleKnot.start(QStringLiteral("pebble"), {QStringLiteral("-config"), d + QStringLiteral("/pebble-knot.json"),
                                                  QStringLiteral("-dnsserver"),
                                                  QStringLiteral("127.0.0.1:%1").arg(m_knotPort)});
    if (!m_pebbleKnot.waitForStarted())
        return false;
    const QString directory = QStringLiteral("https://127.0.0.1:%1/dir").arg(acmePort);
    int status = 0;
    for (int i = 0; i < 100 && status != 200; ++i) {
        httpsGet(directory, &status);
        if (status != 200)
            QTest::qWait(100);
    }
    if (status != 200)
        return false;
    m_knotDirectory = directory;
    return true;
}

void TestAcmePebble::dns01ByDnsUpdateWithKnot()
{
    QVERIFY2(startKnotAndPebble(), "knotd or the second Pebble did not start");
    dns::ResolverConfig rc;
    rc.servers = {QStringLiteral("127.0.0.1:%1").arg(m_knotPort)};
    rc.cacheEnabled = false;
    rc.timeoutMs = 1000;
    dns::CaresResolver resolver(rc);
    QVERIFY2(resolver.isValid(), qPrintable(resolver.errorString()));

    AcmeRequest req;
    req.directoryUrl = m_knotDirectory;
    req.termsAgreed = true;
    req.names = {QStringLiteral("mail.knot.test"), QStringLiteral("smtp.mail.knot.test")};
    req.challenge = ChallengeType::Dns01;
    AcmeOrder order(m_transport, m_store.get(), req);
    order.setResolver(&resolver);
    order.setDnsPollInterval(300);
    order.setPollInterval(200);
    dns::DnsUpdateConfig update;
    update.host = QStringLiteral("127.0.0.1");
    update.port = m_knotPort; // no zone: found by the SOA query
    update.key = {QStringLiteral("relaydesk-acme"), dns::update::TsigAlgorithm::HmacSha256, m_tsigSecret};
    update.ttl = 5;
    update.timeoutMs = 5000;
    order.setDnsUpdate(update);
    bool askedAdmin = false;
    connect(&order, &AcmeOrder::dnsRecordsNeeded, this, [&] { askedAdmin = true; });
    QStringList progress;
    connect(&order, &AcmeOrder::progress, this, [&](const QString &t) { progress << t; });
    // The records exist while the CA validates: seen from the challenge step on.
    bool seenDuringOrder = false;
    connect(&order, &AcmeOrder::progress, this, [&](const QString &t) {
        if (t.startsWith(QStringLiteral("the CA is validating")))
            resolver.lookupTxt(QStringLiteral("_acme-challenge.mail.knot.test"), this, [&](const dns::Answer &a) {
                seenDuringOrder = seenDuringOrder || a.ok();
            });
    });
    const AcmeResult r = runOrder(order);
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(r.dnsCleanupError.isEmpty());
    QVERIFY(!askedAdmin);
    QVERIFY(seenDuringOrder);
    QVERIFY2(progress.contains(QStringLiteral("publishing 2 TXT record(s) by DNS UPDATE at 127.0.0.1:%1").arg(m_knotPort)),
             qPrintable(progress.join(u'\n')));
    QVERIFY(progress.contains(QStringLiteral("removing the _acme-challenge TXT records by DNS UPDATE")));
    QCOMPARE(QSet<QString>(r.info.sans.begin(), r.info.sans.end()), QSet<QString>(req.names.begin(), req.names.end()));
    // Gone afterwards: finished() came after the delete.
    for (const QString &name : {QStringLiteral("_acme-challenge.mail.knot.test"),
                                QStringLiteral("_acme-challenge.smtp.mail.knot.test")}) {
        std::optional<dns::Answer> answer;
        resolver.lookupTxt(name, this, [&](const dns::Answer &a) { answer = a; });
        QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 5000);
        QCOMPARE(answer->status, dns::Status::NxDomain);
    }
}

void TestAcmePebble::dns01ByDnsUpdateWrongSecretFails()
{
    QVERIFY2(startKnotAndPebble(), "knotd or the second Pebble did not start");
    AcmeRequest req;
    req.directoryUrl = m_knotDirectory;
    req.termsAgreed = true;
    req.names = {QStringLiteral("bad.knot.test")};
    req.challenge = ChallengeType::Dns01;
    AcmeOrder order(m_transport, m_store.get(), req);
    dns::DnsUpdateConfig update;
    update.host = QStringLiteral("127.0.0.1");
    update.port = m_knotPort;
    update.zone = QStringLiteral("knot.test");
    update.key = {QStringLiteral("relaydesk-acme"), dns::update::TsigAlgorithm::HmacSha256, QByteArray(32, 'w')};
    order.setDnsUpdate(update);
    bool askedAdmin = false;
    connect(&order, &AcmeOrder::dnsRecordsNeeded, this, [&] { askedAdmin = true; });
    const int before = int(m_store->list().size());
    const AcmeResult r = runOrder(order);
    QVERIFY(!r.ok);
    QCOMPARE(r.error, QStringLiteral("ACME dns-01 failed: DNS UPDATE (add TXT _acme-challenge.bad.knot.test in zone "
                                     "knot.test) at 127.0.0.1:%1 failed: the server said NOTAUTH (BADSIG): the TSIG "
                                     "secret does not match the server's key relaydesk-acme").arg(m_knotPort));
    QVERIFY(!askedAdmin); // no fallback to the admin
    // Nothing was added (the UPDATE is all or nothing), so nothing is deleted.
    QVERIFY(r.dnsCleanupError.isEmpty());
    QCOMPARE(int(m_store->list().size()), before);
    QVERIFY(m_store->pendingRequests().isEmpty());
}

QTEST_GUILESS_MAIN(TestAcmePebble)
#include "tst_acmepebble.moc"

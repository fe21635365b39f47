// DANE with real DNSSEC: NSD serves a zone signed by ldns-signzone (plus an
// unsigned one and a record made bogus after signing), unbound validates it
// with the zone's KSK as its only trust anchor (tests/integration/
// dnsserver.py --validator), and CaresResolver asks unbound with the AD bit.
// Checks: TLSA answers carry AD only when validated, bogus is SERVFAIL,
// resolveMxSecure() turns that into DANE / opportunistic / deferral, and a
// TLSA match with a self-signed certificate delivers while a mismatch defers.
// Needs nsd, unbound and ldnsutils (Debian packages).

#include "dane/tlsa.h"
#include "delivery/mxresolve.h"
#include "delivery/outboundconnection.h"
#include "dns/caresresolver.h"

#include "tst_mtasts_support.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rd::delivery;
using rd::dns::RecordType;

class TstDaneDns : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void tlsaCarriesAdOnlyWhenValidated();
    void resolveMxSecureWithRealDnssec();
    void selfSignedMatchDeliversMismatchDefers();

private:
    rd::dns::Answer ask(const QString &name, RecordType type);
    SecureMxAnswer resolve(const QString &domain);
    DeliveryResult deliver(outtls::SmtpServer &server, const MxTlsPolicy &policy);

    QTemporaryDir m_tmp;
    QProcess *m_dns = nullptr;
    rd::dns::CaresResolver *m_resolver = nullptr;
    QByteArray m_selfHash; // SPKI SHA-256 of self.pem by the openssl tool
};

void TstDaneDns::initTestCase()
{
    qRegisterMetaType<rd::delivery::DeliveryResult>();
    for (const char *tool : {"/usr/sbin/nsd", "/usr/sbin/unbound", "/usr/bin/ldns-signzone"}) {
        if (!QFile::exists(QLatin1String(tool)))
            QFAIL(qPrintable(QStringLiteral("%1 missing: apt-get install nsd unbound ldnsutils").arg(QLatin1String(tool))));
    }
    QVERIFY(m_tmp.isValid());
    const QString d = m_tmp.path();
    QVERIFY(outtls::makeLeaf(d, QStringLiteral("self"), QStringLiteral("mx.dane.test"), QString()));
    QByteArray dgst;
    QVERIFY(outtls::openssl(d, {QStringLiteral("x509"), QStringLiteral("-in"), QStringLiteral("self.pem"),
                                QStringLiteral("-pubkey"), QStringLiteral("-noout"), QStringLiteral("-out"),
                                QStringLiteral("pub.pem")}));
    QVERIFY(outtls::openssl(d, {QStringLiteral("pkey"), QStringLiteral("-pubin"), QStringLiteral("-in"),
                                QStringLiteral("pub.pem"), QStringLiteral("-outform"), QStringLiteral("DER"),
                                QStringLiteral("-out"), QStringLiteral("pub.der")}));
    QVERIFY(outtls::openssl(d, {QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-r"),
                                QStringLiteral("pub.der")},
                            &dgst));
    const QByteArray hex = dgst.split(' ').value(0).trimmed();
    m_selfHash = QByteArray::fromHex(hex);
    QCOMPARE(m_selfHash.size(), 32);

    QJsonObject zones;
    zones.insert(QStringLiteral("dane.test"),
                 QJsonArray{QStringLiteral("@ MX 10 mx"), QStringLiteral("mx A 127.0.0.1"),
                            QStringLiteral("_25._tcp.mx TLSA 3 1 1 ") + QString::fromLatin1(hex),
                            QStringLiteral("wrong MX 10 mxwrong"), QStringLiteral("mxwrong A 127.0.0.1"),
                            QStringLiteral("_25._tcp.mxwrong TLSA 3 1 1 ") + QString(64, u'a'),
                            QStringLiteral("bogus MX 10 mxbogus"), QStringLiteral("mxbogus A 127.0.0.1"),
                            QStringLiteral("_25._tcp.mxbogus TLSA 3 1 1 ") + QString(64, u'b'),
                            QStringLiteral("none MX 10 mxnone"), QStringLiteral("mxnone A 127.0.0.1")});
    zones.insert(QStringLiteral("plain.test"),
                 QJsonArray{QStringLiteral("@ MX 10 mx"), QStringLiteral("mx A 127.0.0.1"),
                            QStringLiteral("_25._tcp.mx TLSA 3 1 1 ") + QString::fromLatin1(hex)});
    QJsonObject spec;
    spec.insert(QStringLiteral("zones"), zones);
    spec.insert(QStringLiteral("signed"), QJsonArray{QStringLiteral("dane.test")});
    spec.insert(QStringLiteral("bogus"), QJsonArray{QStringLiteral("_25._tcp.mxbogus.dane.test")});
    const QString specPath = m_tmp.filePath(QStringLiteral("zones.json"));
    QFile f(specPath);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(spec).toJson());
    f.close();

    const QString script = QStringLiteral(RD_TESTS_DIR "/integration/dnsserver.py");
    m_dns = new QProcess(this);
    m_dns->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_dns->start(QStringLiteral("/usr/bin/python3"),
                 {script, QStringLiteral("--zone-file"), specPath, QStringLiteral("--stop-on-eof"),
                  QStringLiteral("--validator")});
    QVERIFY(QTest::qWaitFor([this] { return m_dns->canReadLine() || m_dns->state() == QProcess::NotRunning; },
                            60000));
    const QList<QByteArray> words = m_dns->readLine().trimmed().split(' ');
    QVERIFY2(words.size() == 3 && words[0] == "ready", "dnsserver.py --validator did not start");
    rd::dns::ResolverConfig cfg;
    cfg.servers = {QStringLiteral("%1:%2").arg(QString::fromLatin1(words[1]), QString::fromLatin1(words[2]))};
    cfg.requestAd = true;
    cfg.timeoutMs = 2000;
    m_resolver = new rd::dns::CaresResolver(cfg, this);
    QVERIFY(m_resolver->isValid());
}

void TstDaneDns::cleanupTestCase()
{
    delete m_resolver;
    m_resolver = nullptr;
    if (m_dns) {
        m_dns->closeWriteChannel();
        m_dns->terminate();
        m_dns->waitForFinished(10000);
    }
}

rd::dns::Answer TstDaneDns::ask(const QString &name, RecordType type)
{
    rd::dns::Answer out;
    bool done = false;
    m_resolver->lookup(name, type, [&](const rd::dns::Answer &a) {
        out = a;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, 15000))
        qWarning("no answer for %s", qPrintable(name));
    return out;
}

SecureMxAnswer TstDaneDns::resolve(const QString &domain)
{
    SecureMxAnswer out;
    bool done = false;
    MxSecurityOptions o;
    o.dane = true;
    resolveMxSecure(m_resolver, o, nullptr, domain, [&](SecureMxAnswer a) {
        out = a;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, 15000))
        qWarning("resolveMxSecure(%s) did not finish", qPrintable(domain));
    return out;
}

void TstDaneDns::tlsaCarriesAdOnlyWhenValidated()
{
    rd::dns::Answer a = ask(QStringLiteral("_25._tcp.mx.dane.test"), RecordType::TLSA);
    QVERIFY2(a.ok(), qPrintable(a.error));
    QVERIFY(a.authenticated);
    QCOMPARE(a.rdata.size(), 1);
    const std::optional<rd::dane::TlsaRecord> r = rd::dane::parseTlsaRdata(a.rdata.first());
    QVERIFY(r);
    QCOMPARE(r->usage, 3);
    QCOMPARE(r->data, m_selfHash);

    a = ask(QStringLiteral("_25._tcp.mx.plain.test"), RecordType::TLSA);
    QVERIFY(a.ok());
    QVERIFY(!a.authenticated); // unsigned zone: insecure

    a = ask(QStringLiteral("_25._tcp.mxbogus.dane.test"), RecordType::TLSA);
    QCOMPARE(a.status, rd::dns::Status::ServerFailure); // bogus: the validator refuses it

    a = ask(QStringLiteral("_25._tcp.mxnone.dane.test"), RecordType::TLSA);
    QVERIFY(a.status == rd::dns::Status::NxDomain || a.status == rd::dns::Status::NoData);
    QVERIFY(a.authenticated); // a validated denial

    a = ask(QStringLiteral("dane.test"), RecordType::MX);
    QVERIFY(a.ok() && a.authenticated);
}

void TstDaneDns::resolveMxSecureWithRealDnssec()
{
    SecureMxAnswer a = resolve(QStringLiteral("dane.test"));
    QCOMPARE(a.answer.status, MxAnswer::Status::Ok);
    MxTlsPolicy p = a.policyFor(QStringLiteral("mx.dane.test"));
    QCOMPARE(p.kind, MxTlsPolicy::Kind::Dane);
    QCOMPARE(p.tlsa.size(), 1);
    QCOMPARE(p.tlsa.first().data, m_selfHash);

    a = resolve(QStringLiteral("plain.test"));
    QCOMPARE(a.answer.status, MxAnswer::Status::Ok);
    QCOMPARE(a.policyFor(QStringLiteral("mx.plain.test")).kind, MxTlsPolicy::Kind::Opportunistic);

    a = resolve(QStringLiteral("none.dane.test"));
    QCOMPARE(a.answer.status, MxAnswer::Status::Ok);
    QCOMPARE(a.policyFor(QStringLiteral("mxnone.dane.test")).kind, MxTlsPolicy::Kind::Opportunistic);

    a = resolve(QStringLiteral("bogus.dane.test"));
    QCOMPARE(a.answer.status, MxAnswer::Status::TempFail); // deferred, never sent in clear
    QCOMPARE(a.rejected.size(), 1);
    QCOMPARE(a.rejected.first().resultType, QStringLiteral("dnssec-invalid"));
}

DeliveryResult TstDaneDns::deliver(outtls::SmtpServer &server, const MxTlsPolicy &policy)
{
    ConnectionOptions o;
    o.host = QStringLiteral("127.0.0.1");
    o.port = server.serverPort();
    o.tls = TlsMode::Opportunistic;
    o.heloName = QStringLiteral("relay.example.org");
    o.timeouts = Timeouts{5000, 5000, 5000};
    OutboundConnection c(o);
    c.setMxTlsPolicy(policy);
    QSignalSpy finished(&c, &OutboundConnection::jobFinished);
    const QString spool = m_tmp.filePath(QStringLiteral("m.eml"));
    QFile f(spool);
    if (f.open(QIODevice::WriteOnly))
        f.write("Subject: t\r\n\r\nhi\r\n");
    f.close();
    DeliveryJob j;
    j.queueId = QStringLiteral("Q1");
    j.mailFrom = "a@example.org";
    j.rcpts = {"b@dane.test"};
    j.spoolPath = spool;
    c.deliver(j);
    if (!finished.wait(15000) && finished.isEmpty())
        return DeliveryResult();
    return finished.at(0).at(0).value<DeliveryResult>();
}

void TstDaneDns::selfSignedMatchDeliversMismatchDefers()
{
    outtls::SmtpServer server;
    QVERIFY(server.loadIdentity(m_tmp.filePath(QStringLiteral("self.pem")), m_tmp.filePath(QStringLiteral("self.key"))));
    QVERIFY(server.listenLocal());
    // TLSA from the signed zone: the self-signed certificate matches.
    SecureMxAnswer a = resolve(QStringLiteral("dane.test"));
    DeliveryResult r = deliver(server, a.policyFor(QStringLiteral("mx.dane.test")));
    QCOMPARE(r.recipients.size(), 1);
    QVERIFY2(r.recipients.first().status == RcptStatus::Delivered, qPrintable(r.error));
    QCOMPARE(server.messages, 1);
    // TLSA of another host (aa..aa): no match, deferred, nothing sent.
    a = resolve(QStringLiteral("wrong.dane.test"));
    const MxTlsPolicy wrong = a.policyFor(QStringLiteral("mxwrong.dane.test"));
    QCOMPARE(wrong.kind, MxTlsPolicy::Kind::Dane);
    r = deliver(server, wrong);
    QCOMPARE(r.recipients.first().status, RcptStatus::Deferred);
    QVERIFY2(r.error.startsWith(QLatin1String("DANE")), qPrintable(r.error));
    QCOMPARE(server.messages, 1);
    QCOMPARE(server.mailCommands, 1);
}

QTEST_GUILESS_MAIN(TstDaneDns)
#include "tst_dane_dns.moc"

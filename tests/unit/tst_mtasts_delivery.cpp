// The decisive MTA-STS and DANE delivery cases on real sockets: an SMTP
// server with STARTTLS on 127.0.0.1 and certificates made by the openssl
// command line; OutboundConnection with an MxTlsPolicy.
//  - enforce + certificate for another name: no MAIL FROM reaches the server,
//    the recipient is Deferred with an "MTA-STS" reason;
//  - testing + the same certificate: delivered, the failure reported;
//  - enforce + valid certificate: delivered;
//  - enforce + no STARTTLS: deferred (starttls-not-supported);
//  - DANE-EE match with a self-signed certificate: delivered;
//  - TLSA mismatch: deferred.
// And resolveMxSecure(): MX hosts outside an enforce policy are dropped.

#include "dane/tlsa.h"
#include "delivery/mxresolve.h"
#include "delivery/outboundconnection.h"
#include "mtasts/stsresolver.h"

#include "tst_mtasts_support.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rd::delivery;

class TstMtaStsDelivery : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void enforceCertificateMismatchDefers();
    void testingCertificateMismatchDelivers();
    void enforceValidCertificateDelivers();
    void enforceWithoutStartTlsDefers();
    void daneEeSelfSignedDelivers();
    void daneMismatchDefers();
    void resolveDropsMxOutsideEnforcePolicy();
    void resolveTestingKeepsMx();
    void resolveDaneFromValidatedTlsa();

private:
    struct Run {
        DeliveryResult result;
        QList<TlsCheck> checks;
    };
    Run deliverTo(outtls::SmtpServer &server, const MxTlsPolicy &policy);
    MxTlsPolicy stsPolicy(bool testing) const;
    QString path(const QString &name) const { return m_tmp.filePath(name); }

    QTemporaryDir m_tmp;
    QString m_spool;
};

void TstMtaStsDelivery::initTestCase()
{
    qRegisterMetaType<rd::delivery::DeliveryResult>();
    qRegisterMetaType<rd::delivery::TlsCheck>();
    QVERIFY(m_tmp.isValid());
    const QString dir = m_tmp.path();
    QVERIFY(outtls::makeCa(dir, QStringLiteral("ca")));
    QVERIFY(outtls::makeLeaf(dir, QStringLiteral("good"), QStringLiteral("mx.good.test"), QStringLiteral("ca")));
    QVERIFY(outtls::makeLeaf(dir, QStringLiteral("wrong"), QStringLiteral("mx.elsewhere.test"), QStringLiteral("ca")));
    QVERIFY(outtls::makeLeaf(dir, QStringLiteral("self"), QStringLiteral("mx.dane.test"), QString()));
    m_spool = path(QStringLiteral("msg.eml"));
    QFile f(m_spool);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("From: a@example.org\r\nTo: b@good.test\r\nSubject: t\r\n\r\nhello\r\n");
}

MxTlsPolicy TstMtaStsDelivery::stsPolicy(bool testing) const
{
    MxTlsPolicy p;
    p.kind = MxTlsPolicy::Kind::MtaSts;
    p.domain = QStringLiteral("good.test");
    p.mxHost = QStringLiteral("mx.good.test");
    p.testing = testing;
    p.caFile = m_tmp.filePath(QStringLiteral("ca.pem"));
    return p;
}

TstMtaStsDelivery::Run TstMtaStsDelivery::deliverTo(outtls::SmtpServer &server, const MxTlsPolicy &policy)
{
    ConnectionOptions o;
    o.host = QStringLiteral("127.0.0.1");
    o.port = server.serverPort();
    o.tls = TlsMode::Opportunistic; // what MX routes use without a policy
    o.heloName = QStringLiteral("relay.example.org");
    o.timeouts = Timeouts{5000, 5000, 5000};
    OutboundConnection c(o);
    c.setMxTlsPolicy(policy);
    QSignalSpy finished(&c, &OutboundConnection::jobFinished);
    QSignalSpy checks(&c, &OutboundConnection::tlsChecked);
    DeliveryJob j;
    j.queueId = QStringLiteral("Q1");
    j.mailFrom = "a@example.org";
    j.rcpts = {"b@good.test"};
    j.spoolPath = m_spool;
    c.deliver(j);
    Run r;
    if (!finished.wait(15000) && finished.isEmpty())
        return r;
    r.result = finished.at(0).at(0).value<DeliveryResult>();
    for (const QList<QVariant> &args : checks)
        r.checks << args.at(0).value<TlsCheck>();
    c.quit();
    return r;
}

void TstMtaStsDelivery::enforceCertificateMismatchDefers()
{
    outtls::SmtpServer server;
    QVERIFY(server.loadIdentity(path(QStringLiteral("wrong.pem")), path(QStringLiteral("wrong.key"))));
    QVERIFY(server.listenLocal());
    const Run r = deliverTo(server, stsPolicy(false));
    QCOMPARE(r.result.recipients.size(), 1);
    QCOMPARE(r.result.recipients.first().status, RcptStatus::Deferred);
    QVERIFY2(r.result.error.startsWith(QLatin1String("MTA-STS")), qPrintable(r.result.error));
    QVERIFY2(r.result.error.contains(QLatin1String("mx.good.test")), qPrintable(r.result.error));
    QCOMPARE(server.mailCommands, 0); // the mail never left
    QCOMPARE(server.messages, 0);
    QCOMPARE(r.checks.size(), 1);
    QVERIFY(!r.checks.first().success);
    QCOMPARE(r.checks.first().resultType, QStringLiteral("certificate-host-mismatch"));
    QCOMPARE(r.checks.first().policy.policyType(), QStringLiteral("sts"));
}

void TstMtaStsDelivery::testingCertificateMismatchDelivers()
{
    outtls::SmtpServer server;
    QVERIFY(server.loadIdentity(path(QStringLiteral("wrong.pem")), path(QStringLiteral("wrong.key"))));
    QVERIFY(server.listenLocal());
    const Run r = deliverTo(server, stsPolicy(true));
    QCOMPARE(r.result.recipients.size(), 1);
    QVERIFY2(r.result.recipients.first().status == RcptStatus::Delivered, qPrintable(r.result.error));
    QVERIFY(!r.result.tlsVersion.isEmpty());
    QCOMPARE(server.messages, 1);
    QCOMPARE(r.checks.size(), 1);
    QVERIFY(!r.checks.first().success);
    QCOMPARE(r.checks.first().resultType, QStringLiteral("certificate-host-mismatch"));
}

void TstMtaStsDelivery::enforceValidCertificateDelivers()
{
    outtls::SmtpServer server;
    QVERIFY(server.loadIdentity(path(QStringLiteral("good.pem")), path(QStringLiteral("good.key"))));
    QVERIFY(server.listenLocal());
    const Run r = deliverTo(server, stsPolicy(false));
    QCOMPARE(r.result.recipients.size(), 1);
    QVERIFY2(r.result.recipients.first().status == RcptStatus::Delivered, qPrintable(r.result.error));
    QCOMPARE(server.messages, 1);
    QCOMPARE(server.tlsSessions, 1);
    QCOMPARE(r.checks.size(), 1);
    QVERIFY(r.checks.first().success);
    // The same certificate without the test CA (system store only) is not trusted.
    outtls::SmtpServer again;
    QVERIFY(again.loadIdentity(path(QStringLiteral("good.pem")), path(QStringLiteral("good.key"))));
    QVERIFY(again.listenLocal());
    MxTlsPolicy p = stsPolicy(false);
    p.caFile.clear();
    const Run r2 = deliverTo(again, p);
    QCOMPARE(r2.result.recipients.first().status, RcptStatus::Deferred);
    QCOMPARE(again.messages, 0);
    QCOMPARE(r2.checks.first().resultType, QStringLiteral("certificate-not-trusted"));
}

void TstMtaStsDelivery::enforceWithoutStartTlsDefers()
{
    outtls::SmtpServer server;
    QVERIFY(server.loadIdentity(path(QStringLiteral("good.pem")), path(QStringLiteral("good.key"))));
    server.startTls = false;
    QVERIFY(server.listenLocal());
    const Run r = deliverTo(server, stsPolicy(false));
    QCOMPARE(r.result.recipients.first().status, RcptStatus::Deferred);
    QVERIFY2(r.result.error.contains(QLatin1String("MTA-STS")), qPrintable(r.result.error));
    QCOMPARE(server.mailCommands, 0);
    QCOMPARE(r.checks.size(), 1);
    QCOMPARE(r.checks.first().resultType, QStringLiteral("starttls-not-supported"));
    // Testing mode: delivered in clear, reported.
    outtls::SmtpServer clear;
    clear.startTls = false;
    QVERIFY(clear.listenLocal());
    const Run t = deliverTo(clear, stsPolicy(true));
    QCOMPARE(t.result.recipients.first().status, RcptStatus::Delivered);
    QCOMPARE(clear.messages, 1);
    QCOMPARE(t.checks.first().resultType, QStringLiteral("starttls-not-supported"));
}

namespace {

// TLSA "3 1 1" data computed by the openssl command line (independent of
// rd::dane): SHA-256 of the certificate's SubjectPublicKeyInfo.
QByteArray spkiSha256ByOpenssl(const QString &dir, const QString &certPem)
{
    QByteArray pub, der, dgst;
    if (!outtls::openssl(dir, {QStringLiteral("x509"), QStringLiteral("-in"), certPem, QStringLiteral("-pubkey"),
                               QStringLiteral("-noout"), QStringLiteral("-out"), QStringLiteral("pub.pem")}))
        return QByteArray();
    if (!outtls::openssl(dir, {QStringLiteral("pkey"), QStringLiteral("-pubin"), QStringLiteral("-in"),
                               QStringLiteral("pub.pem"), QStringLiteral("-outform"), QStringLiteral("DER"),
                               QStringLiteral("-out"), QStringLiteral("pub.der")}))
        return QByteArray();
    if (!outtls::openssl(dir, {QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-r"),
                               QStringLiteral("pub.der")},
                         &dgst))
        return QByteArray();
    return QByteArray::fromHex(dgst.split(' ').value(0).trimmed());
}

} // namespace

void TstMtaStsDelivery::daneEeSelfSignedDelivers()
{
    outtls::SmtpServer server;
    QVERIFY(server.loadIdentity(path(QStringLiteral("self.pem")), path(QStringLiteral("self.key"))));
    QVERIFY(server.listenLocal());
    MxTlsPolicy p;
    p.kind = MxTlsPolicy::Kind::Dane;
    p.domain = QStringLiteral("dane.test");
    p.mxHost = QStringLiteral("mx.dane.test");
    const QByteArray hash = spkiSha256ByOpenssl(m_tmp.path(), QStringLiteral("self.pem"));
    QCOMPARE(hash.size(), 32);
    p.tlsa << rd::dane::TlsaRecord{3, 1, 1, hash};
    const Run r = deliverTo(server, p);
    QVERIFY2(r.result.recipients.first().status == RcptStatus::Delivered, qPrintable(r.result.error));
    QCOMPARE(server.messages, 1);
    QCOMPARE(r.checks.size(), 1);
    QVERIFY(r.checks.first().success);
    QCOMPARE(r.checks.first().policy.policyType(), QStringLiteral("tlsa"));
}

void TstMtaStsDelivery::daneMismatchDefers()
{
    outtls::SmtpServer server;
    // A CA-signed certificate (valid for the name!) that is not the one in DNS.
    QVERIFY(server.loadIdentity(path(QStringLiteral("good.pem")), path(QStringLiteral("good.key"))));
    QVERIFY(server.listenLocal());
    MxTlsPolicy p;
    p.kind = MxTlsPolicy::Kind::Dane;
    p.domain = QStringLiteral("good.test");
    p.mxHost = QStringLiteral("mx.good.test");
    p.tlsa << rd::dane::TlsaRecord{3, 1, 1, spkiSha256ByOpenssl(m_tmp.path(), QStringLiteral("self.pem"))};
    const Run r = deliverTo(server, p);
    QCOMPARE(r.result.recipients.first().status, RcptStatus::Deferred);
    QVERIFY2(r.result.error.startsWith(QLatin1String("DANE")), qPrintable(r.result.error));
    QCOMPARE(server.mailCommands, 0);
    QCOMPARE(r.checks.size(), 1);
    QVERIFY(!r.checks.first().success);
}

namespace {

SecureMxAnswer resolveSecure(outtls::FakeResolver &dns, const MxSecurityOptions &o, const QString &domain)
{
    SecureMxAnswer out;
    bool done = false;
    resolveMxSecure(&dns, o, nullptr, domain, [&](SecureMxAnswer a) {
        out = a;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, 5000))
        qWarning("resolveMxSecure did not finish");
    return out;
}

rd::mtasts::FetchFn fixedPolicy(const QByteArray &body)
{
    return [body](const QString &, std::function<void(const rd::mtasts::FetchResult &)> done) {
        rd::mtasts::FetchResult r;
        r.ok = true;
        r.body = body;
        QMetaObject::invokeMethod(qApp, [done, r] { done(r); }, Qt::QueuedConnection);
    };
}

} // namespace

void TstMtaStsDelivery::resolveDropsMxOutsideEnforcePolicy()
{
    outtls::FakeResolver dns;
    dns.setMx(QStringLiteral("good.test"), {QStringLiteral("mx.good.test"), QStringLiteral("mx.attacker.test")});
    dns.setA(QStringLiteral("mx.good.test"), QStringLiteral("127.0.0.2"));
    dns.setA(QStringLiteral("mx.attacker.test"), QStringLiteral("127.0.0.3"));
    dns.setTxt(QStringLiteral("_mta-sts.good.test"), {"v=STSv1; id=1;"});
    rd::mtasts::StsResolver sts(&dns, fixedPolicy("version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 86400\n"));
    MxSecurityOptions o;
    o.mtaSts = &sts;
    SecureMxAnswer a = resolveSecure(dns, o, QStringLiteral("good.test"));
    QCOMPARE(a.answer.status, MxAnswer::Status::Ok);
    QCOMPARE(a.answer.hosts.size(), 1);
    QCOMPARE(a.answer.hosts.first().name, QStringLiteral("mx.good.test"));
    QCOMPARE(a.policyFor(QStringLiteral("mx.good.test")).kind, MxTlsPolicy::Kind::MtaSts);
    QVERIFY(a.policyFor(QStringLiteral("mx.good.test")).enforced());
    QCOMPARE(a.rejected.size(), 1);
    QCOMPARE(a.rejected.first().policy.mxHost, QStringLiteral("mx.attacker.test"));

    // Only the attacker's MX: nothing usable, the mail waits (TempFail), never bounces.
    dns.setMx(QStringLiteral("good.test"), {QStringLiteral("mx.attacker.test")});
    a = resolveSecure(dns, o, QStringLiteral("good.test"));
    QCOMPARE(a.answer.status, MxAnswer::Status::TempFail);
    QVERIFY(a.answer.detail.contains(QLatin1String("MTA-STS")));
    QVERIFY(a.answer.hosts.isEmpty());
}

void TstMtaStsDelivery::resolveTestingKeepsMx()
{
    outtls::FakeResolver dns;
    dns.setMx(QStringLiteral("good.test"), {QStringLiteral("mx.attacker.test")});
    dns.setA(QStringLiteral("mx.attacker.test"), QStringLiteral("127.0.0.3"));
    dns.setTxt(QStringLiteral("_mta-sts.good.test"), {"v=STSv1; id=1;"});
    rd::mtasts::StsResolver sts(&dns, fixedPolicy("version: STSv1\nmode: testing\nmx: mx.good.test\nmax_age: 86400\n"));
    MxSecurityOptions o;
    o.mtaSts = &sts;
    const SecureMxAnswer a = resolveSecure(dns, o, QStringLiteral("good.test"));
    QCOMPARE(a.answer.status, MxAnswer::Status::Ok);
    QCOMPARE(a.answer.hosts.size(), 1);
    const MxTlsPolicy p = a.policyFor(QStringLiteral("mx.attacker.test"));
    QCOMPARE(p.kind, MxTlsPolicy::Kind::MtaSts);
    QVERIFY(p.testing && !p.enforced());
    // Without MTA-STS: plain resolveMx behaviour, no policies.
    MxSecurityOptions off;
    const SecureMxAnswer b = resolveSecure(dns, off, QStringLiteral("good.test"));
    QCOMPARE(b.answer.status, MxAnswer::Status::Ok);
    QVERIFY(b.policies.isEmpty());
}

void TstMtaStsDelivery::resolveDaneFromValidatedTlsa()
{
    const QByteArray hash(32, '\x11');
    QByteArray rdata("\x03\x01\x01", 3);
    rdata += hash;
    const auto tlsaAnswer = [&](bool ad) {
        rd::dns::Answer t;
        t.status = rd::dns::Status::Ok;
        t.rdata << rdata;
        t.authenticated = ad;
        return t;
    };
    outtls::FakeResolver dns;
    dns.setMx(QStringLiteral("dane.test"), {QStringLiteral("mx.dane.test")}, true);
    dns.setA(QStringLiteral("mx.dane.test"), QStringLiteral("127.0.0.4"), true);
    dns.set(QStringLiteral("_25._tcp.mx.dane.test"), rd::dns::RecordType::TLSA, tlsaAnswer(true));
    MxSecurityOptions o;
    o.dane = true;
    SecureMxAnswer a = resolveSecure(dns, o, QStringLiteral("dane.test"));
    QCOMPARE(a.answer.status, MxAnswer::Status::Ok);
    MxTlsPolicy p = a.policyFor(QStringLiteral("mx.dane.test"));
    QCOMPARE(p.kind, MxTlsPolicy::Kind::Dane);
    QCOMPARE(p.tlsa.size(), 1);
    QCOMPARE(p.tlsa.first().data, hash);

    // TLSA without the AD bit (insecure): ignored, opportunistic.
    dns.set(QStringLiteral("_25._tcp.mx.dane.test"), rd::dns::RecordType::TLSA, tlsaAnswer(false));
    a = resolveSecure(dns, o, QStringLiteral("dane.test"));
    QCOMPARE(a.policyFor(QStringLiteral("mx.dane.test")).kind, MxTlsPolicy::Kind::Opportunistic);

    // MX RRset not validated: no TLSA lookup at all (RFC 7672 2.2.1).
    dns.set(QStringLiteral("_25._tcp.mx.dane.test"), rd::dns::RecordType::TLSA, tlsaAnswer(true));
    dns.setMx(QStringLiteral("dane.test"), {QStringLiteral("mx.dane.test")}, false);
    a = resolveSecure(dns, o, QStringLiteral("dane.test"));
    QCOMPARE(a.policyFor(QStringLiteral("mx.dane.test")).kind, MxTlsPolicy::Kind::Opportunistic);

    // Bogus TLSA (the validating resolver answers SERVFAIL): this MX is not used, the mail waits.
    dns.setMx(QStringLiteral("dane.test"), {QStringLiteral("mx.dane.test")}, true);
    dns.setStatus(QStringLiteral("_25._tcp.mx.dane.test"), rd::dns::RecordType::TLSA, rd::dns::Status::ServerFailure);
    a = resolveSecure(dns, o, QStringLiteral("dane.test"));
    QCOMPARE(a.answer.status, MxAnswer::Status::TempFail);
    QCOMPARE(a.rejected.size(), 1);
    QCOMPARE(a.rejected.first().resultType, QStringLiteral("dnssec-invalid"));

    // Usages 0/1 only: unusable for SMTP, so no DANE.
    rd::dns::Answer pkix = tlsaAnswer(true);
    pkix.rdata = {QByteArray("\x01\x01\x01", 3) + hash};
    dns.set(QStringLiteral("_25._tcp.mx.dane.test"), rd::dns::RecordType::TLSA, pkix);
    a = resolveSecure(dns, o, QStringLiteral("dane.test"));
    QCOMPARE(a.policyFor(QStringLiteral("mx.dane.test")).kind, MxTlsPolicy::Kind::Opportunistic);
}

QTEST_GUILESS_MAIN(TstMtaStsDelivery)
#include "tst_mtasts_delivery.moc"

// The engine's mail-authentication glue: the DKIM key store (config.db),
// the delivery-time signer (which domain signs, caching, unsigned cases),
// the inbound checker (SPF + DKIM + DMARC -> one Authentication-Results field,
// re-parsed with the AR parser) and the DNS check report (JSON, changes).
// DNS is an in-memory Resolver; signatures are checked with the verifier.

#include "config/dkimkeystore.h"
#include "delivery/dkimsigning.h"
#include "dns/resolver.h"
#include "dnscheck/dnscheckhistory.h"
#include "dnscheck/dnscheckreport.h"
#include "mailauth/authresults.h"
#include "mailauth/dkimkey.h"
#include "mailauth/dkimsigner.h"
#include "mailauth/dkimverifier.h"
#include "mailauth/inboundcheck.h"
#include "storage/database.h"

#include <QFile>
#include <QHash>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rd;

namespace {

// TXT records by name; everything else NXDOMAIN. Answers come later, from the event loop.
class ZoneResolver : public dns::Resolver {
public:
    QHash<QString, QList<QByteArray>> txt;
    QSet<QString> silent; // never answered (the time limit must end the check)

protected:
    void startLookup(dns::RequestId id, const QString &name, dns::RecordType type) override
    {
        if (silent.contains(name))
            return;
        dns::Answer a;
        a.name = name;
        a.type = type;
        a.canonicalName = name;
        a.status = dns::Status::NxDomain;
        if (type == dns::RecordType::TXT && txt.contains(name)) {
            a.status = dns::Status::Ok;
            for (const QByteArray &t : txt.value(name)) {
                dns::TxtRecord r;
                r.strings = {t};
                a.txt << r;
            }
        }
        finishLater(id, a);
    }
    void cancelLookup(dns::RequestId) override {}
};

QByteArray message(const QByteArray &from, const QByteArray &body = "Hello\r\n")
{
    return "Received: from x by y; Thu, 26 Nov 2026 10:00:00 +0000\r\n"
           "From: Someone <" + from + ">\r\nTo: <bob@example.net>\r\nSubject: test\r\n"
           "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@x>\r\n\r\n" + body;
}

QString writeSpool(const QTemporaryDir &dir, const QString &name, const QByteArray &envelope, const QByteArray &msg,
                   qint64 *bodyOffset)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(envelope);
    *bodyOffset = envelope.size();
    f.write(msg);
    return path;
}

QList<mailauth::DkimSignatureResult> verify(ZoneResolver &zone, const QByteArray &msg)
{
    mailauth::DkimVerifier v(&zone);
    QList<mailauth::DkimSignatureResult> out;
    bool done = false;
    v.verify(msg, nullptr, [&](const QList<mailauth::DkimSignatureResult> &r) {
        out = r;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, 5000))
        qWarning("no verification result");
    return out;
}

void publish(ZoneResolver &zone, const config::DkimKeyInfo &k)
{
    zone.txt[k.dnsName] = {k.dnsRecord.toLatin1()};
}

} // namespace

class TstMailAuthEngine : public QObject {
    Q_OBJECT
private slots:
    void keyStoreGeneratesListsAndRefusesBadInput()
    {
        QTemporaryDir dir;
        config::DkimKeyStore store(dir.path());
        QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
        config::DkimKeyInfo ed, rsa;
        QString error;
        QVERIFY2(store.generate(QStringLiteral("Example.COM."), QStringLiteral("ed1"), QStringLiteral("ed25519-sha256"),
                                0, &ed, &error),
                 qPrintable(error));
        QCOMPARE(ed.domain, QStringLiteral("example.com"));
        QCOMPARE(ed.dnsName, QStringLiteral("ed1._domainkey.example.com"));
        QVERIFY(ed.dnsRecord.startsWith(QLatin1String("v=DKIM1; k=ed25519; p=")));
        QCOMPARE(ed.bits, 256);
        QVERIFY2(store.generate(QStringLiteral("example.com"), QStringLiteral("rsa1"), QStringLiteral("rsa-sha256"), 2048,
                                &rsa, &error),
                 qPrintable(error));
        QCOMPARE(rsa.bits, 2048);
        QVERIFY(rsa.dnsRecord.startsWith(QLatin1String("v=DKIM1; k=rsa; p=")));

        // Bad input: clear errors, nothing stored.
        QVERIFY(!store.generate(QStringLiteral("example.com"), QStringLiteral("ed1"), QStringLiteral("ed25519-sha256"), 0,
                                nullptr, &error));
        QVERIFY2(error.contains(QLatin1String("already")), qPrintable(error));
        QVERIFY(!store.generate(QStringLiteral("example.com"), QStringLiteral("bad_sel"), QStringLiteral("ed25519-sha256"),
                                0, nullptr, &error));
        QVERIFY2(error.contains(QLatin1String("selector")), qPrintable(error));
        QVERIFY(!store.generate(QStringLiteral("localhost"), QStringLiteral("s"), QStringLiteral("ed25519-sha256"), 0,
                                nullptr, &error));
        QVERIFY2(error.contains(QLatin1String("domain")), qPrintable(error));
        QVERIFY(!store.generate(QStringLiteral("example.com"), QStringLiteral("weak"), QStringLiteral("rsa-sha256"), 1024,
                                nullptr, &error));
        QVERIFY(!store.importPem(QStringLiteral("example.com"), QStringLiteral("junk"), "not a key", nullptr, &error));
        QVERIFY2(error.contains(QLatin1String("cannot be read")), qPrintable(error));
        // A 1024-bit RSA key can be read (for verifying) but not stored for signing.
        QFile weak(QFINDTESTDATA("../data/dkim/1024_testkey.key"));
        QVERIFY2(weak.open(QIODevice::ReadOnly), qPrintable(weak.fileName()));
        QVERIFY(!store.importPem(QStringLiteral("example.com"), QStringLiteral("old"), weak.readAll(), nullptr, &error));
        QVERIFY2(error.contains(QLatin1String("2048")), qPrintable(error));
        QCOMPARE(store.list(&error).size(), 2);

        // Disabled keys are listed but do not sign; removed keys are gone.
        QVERIFY(store.setEnabled(QStringLiteral("example.com"), QStringLiteral("rsa1"), false, &error));
        QCOMPARE(store.signingKeys(&error).size(), 1);
        QCOMPARE(store.signingKeys(&error).first().selector, QStringLiteral("ed1"));
        QVERIFY(store.remove(QStringLiteral("example.com"), QStringLiteral("rsa1"), &error));
        QVERIFY(!store.remove(QStringLiteral("example.com"), QStringLiteral("rsa1"), &error));
        QCOMPARE(store.list(&error).size(), 1);
        // The private key never appears in what the GUI gets.
        const config::DkimKeyInfo listed = store.list(&error).first();
        QVERIFY(!listed.dnsRecord.contains(QLatin1String("PRIVATE")));
    }

    void signerPicksTheFromDomainOrItsParent()
    {
        QTemporaryDir dir;
        config::DkimKeyStore store(dir.path());
        config::DkimKeyInfo ed, rsa;
        QString error;
        QVERIFY(store.generate(QStringLiteral("example.com"), QStringLiteral("ed"), QStringLiteral("ed25519-sha256"), 0,
                               &ed, &error));
        QVERIFY(store.generate(QStringLiteral("example.com"), QStringLiteral("rsa"), QStringLiteral("rsa-sha256"), 2048,
                               &rsa, &error));
        delivery::DkimSigner signer;
        QStringList problems;
        signer.setKeys(store.signingKeys(&error), &problems);
        QVERIFY(problems.isEmpty());
        QCOMPARE(signer.signingDomainFor(QStringLiteral("news.lists.EXAMPLE.com")), QStringLiteral("example.com"));
        QCOMPARE(signer.signingDomainFor(QStringLiteral("example.org")), QString());
        QCOMPARE(signer.signingDomainFor(QStringLiteral("notexample.com")), QString());

        ZoneResolver zone;
        publish(zone, ed);
        publish(zone, rsa);
        qint64 off = 0;
        const QByteArray msg = message("alice@news.example.com");
        const QByteArray prepend = "Authentication-Results: here; none\r\n";
        const QString path = writeSpool(dir, QStringLiteral("a.msg"), "RDSPOOL1\n{}\n", msg, &off);
        const delivery::DkimSignResult r = signer.sign(QStringLiteral("Q1"), path, off, prepend);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(r.domain, QStringLiteral("example.com"));
        QCOMPARE(r.selectors.size(), 2);
        const QList<mailauth::DkimSignatureResult> results = verify(zone, r.headers + prepend + msg);
        QCOMPARE(results.size(), 2);
        for (const auto &v : results)
            QVERIFY2(v.result == mailauth::DkimResult::Pass, qPrintable(v.reason));
        // A changed body does not verify with the cached signature.
        const QList<mailauth::DkimSignatureResult> bad = verify(zone, r.headers + prepend + message("alice@news.example.com", "Changed\r\n"));
        QCOMPARE(bad.size(), 2);
        QCOMPARE(bad.first().result, mailauth::DkimResult::Fail);
        // Cached: the file is not read again for the same queue id.
        QFile::remove(path);
        QCOMPARE(signer.sign(QStringLiteral("Q1"), path, off, prepend).headers, r.headers);
        // Another domain, or no From at all: not signed, no error.
        const QString other = writeSpool(dir, QStringLiteral("b.msg"), "RDSPOOL1\n{}\n", message("x@example.org"), &off);
        QVERIFY(signer.sign(QStringLiteral("Q2"), other, off, {}).headers.isEmpty());
        const QString nofrom = writeSpool(dir, QStringLiteral("c.msg"), "", "Subject: no from\r\n\r\nbody\r\n", &off);
        const delivery::DkimSignResult none = signer.sign(QStringLiteral("Q3"), nofrom, off, {});
        QVERIFY(none.headers.isEmpty());
        // An unreadable spool file is an error and is not cached (the next attempt retries).
        const delivery::DkimSignResult missing = signer.sign(QStringLiteral("Q4"), dir.filePath(QStringLiteral("gone")), 0, {});
        QVERIFY(!missing.error.isEmpty());
        // A key that cannot be read is reported, the others still sign.
        config::DkimSigningKey broken{QStringLiteral("example.net"), QStringLiteral("x"), QStringLiteral("rsa-sha256"),
                                      "garbage"};
        signer.setKeys({broken}, &problems);
        QCOMPARE(problems.size(), 1);
        QVERIFY(signer.isEmpty());
    }

    void inboundCheckComposesAuthenticationResults()
    {
        // The sender's domain: SPF for 192.0.2.10, an Ed25519 key, DMARC p=reject.
        QString error;
        const auto key = mailauth::DkimKey::generate(QStringLiteral("ed25519-sha256"), 0, &error);
        QVERIFY(key);
        ZoneResolver zone;
        zone.txt[QStringLiteral("good.example")] = {"v=spf1 ip4:192.0.2.10 -all"};
        zone.txt[QStringLiteral("s1._domainkey.good.example")] = {key->dnsRecord().toLatin1()};
        zone.txt[QStringLiteral("_dmarc.good.example")] = {"v=DMARC1; p=reject"};
        mailauth::DkimSignOptions opt;
        opt.domain = QStringLiteral("good.example");
        opt.selector = QStringLiteral("s1");
        const QByteArray plain = message("news@good.example");
        const QByteArray signedMsg = mailauth::dkimSign(plain, *key, opt, &error) + plain;

        mailauth::InboundChecker checker(&zone, QStringLiteral("relay.test"));
        auto run = [&](const QString &ip, const QString &mailFrom, const QByteArray &msg) {
            mailauth::InboundCheckRequest req;
            req.clientIp = QHostAddress(ip);
            req.helo = QStringLiteral("client.test");
            req.mailFrom = mailFrom;
            req.message = msg;
            mailauth::InboundCheckOutcome out;
            bool done = false;
            checker.check(req, nullptr, [&](const mailauth::InboundCheckOutcome &o) {
                out = o;
                done = true;
            });
            if (done)
                qFatal("callback from inside check()");
            if (!QTest::qWaitFor([&] { return done; }, 10000))
                qFatal("no result");
            return out;
        };
        auto methods = [](const mailauth::InboundCheckOutcome &o) {
            QByteArray value = o.header.mid(o.header.indexOf(':') + 1);
            const mailauth::ParsedAuthResults p = mailauth::parseAuthenticationResults(value);
            QHash<QString, QString> m;
            for (const auto &e : p.entries)
                m.insert(e.method, e.result);
            return qMakePair(p.authservId, m);
        };

        const auto good = run(QStringLiteral("192.0.2.10"), QStringLiteral("news@good.example"), signedMsg);
        auto [id, m] = methods(good);
        QCOMPARE(id, QStringLiteral("relay.test"));
        QCOMPARE(m.value(QStringLiteral("spf")), QStringLiteral("pass"));
        QCOMPARE(m.value(QStringLiteral("dkim")), QStringLiteral("pass"));
        QCOMPARE(m.value(QStringLiteral("dmarc")), QStringLiteral("pass"));
        QCOMPARE(good.summary, QStringLiteral("spf=pass dkim=pass(good.example) dmarc=pass"));
        QVERIFY(good.header.endsWith("\r\n"));

        // Forged: wrong address, no signature -> SPF fail, DKIM none, DMARC fail (reject).
        const auto forged = run(QStringLiteral("198.51.100.7"), QStringLiteral("ceo@good.example"), plain);
        auto [id2, m2] = methods(forged);
        QCOMPARE(m2.value(QStringLiteral("spf")), QStringLiteral("fail"));
        QCOMPARE(m2.value(QStringLiteral("dkim")), QStringLiteral("none"));
        QCOMPARE(m2.value(QStringLiteral("dmarc")), QStringLiteral("fail"));
        QVERIFY(forged.header.contains("policy.dmarc=reject"));
        Q_UNUSED(id2);

        // DNS that never answers: the time limit ends the check with temperror, not a hang.
        ZoneResolver dead;
        dead.silent = {QStringLiteral("slow.example"), QStringLiteral("_dmarc.slow.example")};
        mailauth::InboundChecker slow(&dead, QStringLiteral("relay.test"));
        slow.setTimeLimitMs(300);
        mailauth::InboundCheckRequest req;
        req.clientIp = QHostAddress(QStringLiteral("192.0.2.1"));
        req.helo = QStringLiteral("c");
        req.mailFrom = QStringLiteral("a@slow.example");
        req.message = message("a@slow.example");
        bool done = false;
        mailauth::InboundCheckOutcome out;
        slow.check(req, nullptr, [&](const mailauth::InboundCheckOutcome &o) {
            out = o;
            done = true;
        });
        QVERIFY(QTest::qWaitFor([&] { return done; }, 5000));
        QVERIFY(out.timedOut);
        QVERIFY2(out.header.contains("spf=temperror"), out.header.constData());
        // A context that goes away drops the callback.
        bool called = false;
        {
            QObject ctx;
            slow.check(req, &ctx, [&](const mailauth::InboundCheckOutcome &) { called = true; });
        }
        QTest::qWait(600);
        QVERIFY(!called);
    }

    void reportJsonHistoryAndChanges()
    {
        dnscheck::Report a;
        a.domain = QStringLiteral("example.com");
        a.when = QDateTime::currentDateTimeUtc().addSecs(-60);
        dnscheck::Finding spf;
        spf.check = QStringLiteral("spf");
        spf.status = dnscheck::Status::Fail;
        spf.title = QStringLiteral("No SPF record");
        spf.fixName = QStringLiteral("example.com");
        spf.fixType = QStringLiteral("TXT");
        spf.fixValue = QStringLiteral("v=spf1 ip4:192.0.2.1 -all");
        dnscheck::Finding mx;
        mx.check = QStringLiteral("mx");
        mx.status = dnscheck::Status::Pass;
        mx.title = QStringLiteral("mx.example.com answers SMTP and offers STARTTLS");
        a.findings = {spf, mx};
        QCOMPARE(a.worst(), dnscheck::Status::Fail);
        const dnscheck::Report back = dnscheck::Report::fromJson(a.toJson());
        QCOMPARE(back.findings, a.findings);
        QCOMPARE(back.when.toMSecsSinceEpoch(), a.when.toMSecsSinceEpoch());
        QVERIFY(a.toText().contains(QLatin1String("Publish: example.com TXT \"v=spf1 ip4:192.0.2.1 -all\"")));

        dnscheck::Report b = a;
        b.when = QDateTime::currentDateTimeUtc();
        b.findings[0].status = dnscheck::Status::Pass;
        b.findings[0].title = QStringLiteral("One valid SPF record");
        b.findings.removeLast();
        const QStringList changes = b.changesSince(a);
        QCOMPARE(changes.size(), 3);
        QVERIFY(changes.contains(QStringLiteral("new: [pass] One valid SPF record")));
        QVERIFY(changes.contains(QStringLiteral("gone: [fail] No SPF record")));
        QVERIFY(b.changesSince(b).isEmpty());

        // Stored in log.db and read back newest first; pruned per domain.
        QTemporaryDir dir;
        {
            dnscheck::DnsCheckHistory h(dir.path());
            QVERIFY2(h.isOpen(), qPrintable(h.errorString()));
            QString error;
            QVERIFY(h.store(&a, &error));
            QVERIFY(h.store(&b, &error));
            QVERIFY(a.id > 0 && b.id > a.id);
            const QList<dnscheck::Report> hist = h.history(QStringLiteral("EXAMPLE.com"));
            QCOMPARE(hist.size(), 2);
            QCOMPARE(hist.first().id, b.id);
            QCOMPARE(h.domains(), QStringList{QStringLiteral("example.com")});
            dnscheck::Report c = b;
            QVERIFY(h.store(&c, &error, 2));
            QCOMPARE(h.history(QStringLiteral("example.com")).size(), 2);
        }
    }
};

QTEST_GUILESS_MAIN(TstMailAuthEngine)
#include "tst_mailauthengine.moc"

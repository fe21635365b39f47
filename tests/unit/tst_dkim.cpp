// DKIM signing and verification (core/mailauth). Oracles: the RFC 8463
// Appendix A example and dkimpy's vectors (tests/data/dkim, see its
// PROVENANCE.md): known signatures verify, re-signing reproduces them, changed
// messages and bad key records fail as RFC 6376 says. Parsers and keys are
// tst_dkimparsers.cpp; the independent cross-check with dkimpy over a real DNS
// server is tests/integration/test_dkim.py.

#include "dkimtestdata.h"
#include "dns/resolver.h"
#include "mailauth/dkimcanon.h"
#include "mailauth/dkimcrypto.h"
#include "mailauth/dkimkey.h"
#include "mailauth/dkimkeyrecord.h"
#include "mailauth/dkimsignature.h"
#include "mailauth/dkimsigner.h"
#include "mailauth/dkimtags.h"
#include "mailauth/dkimverifier.h"

#include <QFile>
#include <QHash>
#include <QTest>

#include <memory>

using namespace rd;
using namespace rd::mailauth;
using namespace dkimtest;

namespace {

// An in-memory DNS zone: TXT records by name, or a failure status; names not
// listed are NXDOMAIN. "Silent" names never answer (until cancelled).
class ZoneResolver : public dns::Resolver {
public:
    QHash<QString, QList<QByteArray>> txt;
    QHash<QString, dns::Status> failures;
    QSet<QString> silent;
    QStringList asked;

protected:
    void startLookup(dns::RequestId id, const QString &name, dns::RecordType type) override
    {
        asked.append(name);
        if (silent.contains(name))
            return;
        dns::Answer a;
        a.name = name;
        a.type = type;
        a.canonicalName = name;
        if (failures.contains(name)) {
            a.status = failures.value(name);
        } else if (type == dns::RecordType::TXT && txt.contains(name)) {
            a.status = dns::Status::Ok;
            for (const QByteArray &value : txt.value(name)) {
                dns::TxtRecord r;
                for (qsizetype i = 0; i < value.size(); i += 255) // as DNS delivers long values
                    r.strings.append(value.mid(i, 255));
                a.txt.append(r);
            }
        } else {
            a.status = dns::Status::NxDomain;
        }
        finishLater(id, a);
    }
    void cancelLookup(dns::RequestId) override {}
};

QList<DkimSignatureResult> verifyNow(DkimVerifier &verifier, const QByteArray &message, bool *called = nullptr)
{
    QList<DkimSignatureResult> out;
    bool done = false;
    verifier.verify(message, nullptr, [&](const QList<DkimSignatureResult> &r) {
        out = r;
        done = true;
    });
    if (done)
        qFatal("callback from inside verify()");
    if (!QTest::qWaitFor([&] { return done; }, 15000))
        qWarning("verification did not finish");
    if (called)
        *called = done;
    return out;
}

QString describe(const QList<DkimSignatureResult> &results)
{
    QStringList parts;
    for (const DkimSignatureResult &r : results)
        parts.append(QStringLiteral("%1 d=%2 s=%3 (%4)").arg(dkimResultName(r.result), r.domain, r.selector, r.reason));
    return parts.join(QStringLiteral("; "));
}

const QString kBrisbane = QStringLiteral("brisbane._domainkey.football.example.com");
const QString kTest = QStringLiteral("test._domainkey.football.example.com");

} // namespace

class TstDkim : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<ZoneResolver> vectorZone()
    {
        auto z = std::make_unique<ZoneResolver>();
        // RFC 8463 A.2 publishes the key of RFC 8032 7.1 TEST 1 for brisbane (the
        // private key is rfc8032_7_1.key). ed25519test.dns holds another key,
        // dkimpy's own; its test suite serves this value for brisbane too.
        z->txt[kBrisbane] = {"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="};
        z->txt[kTest] = {txtValue(QStringLiteral("test.txt"))};
        z->txt[QStringLiteral("sed._domainkey.test.ex")] = {txtValue(QStringLiteral("eximtest.dns"))};
        return z;
    }

private slots:
    // ----------------------------------------------------- the RFC 8463 example

    void rfc8463ExampleVerifies()
    {
        auto zone = vectorZone();
        DkimVerifier verifier(zone.get());
        verifier.setCurrentTime(1700000000);
        const auto results = verifyNow(verifier, crlf(readData(QStringLiteral("rfc6376.signed.msg"))));
        QCOMPARE(results.size(), 2);
        QVERIFY2(results[0].result == DkimResult::Pass && results[1].result == DkimResult::Pass,
                 qPrintable(describe(results)));
        QCOMPARE(results[0].algorithm, QStringLiteral("ed25519-sha256"));
        QCOMPARE(results[0].selector, QStringLiteral("brisbane"));
        QCOMPARE(results[0].keyBits, 256);
        QCOMPARE(results[0].identity, QStringLiteral("@football.example.com"));
        QCOMPARE(results[0].headerB, QByteArray("9/dsDChY"));
        QCOMPARE(results[1].algorithm, QStringLiteral("rsa-sha256"));
        QCOMPARE(results[1].domain, QStringLiteral("football.example.com"));
        QCOMPARE(results[1].keyBits, 1024);
        QCOMPARE(results[1].headerB, QByteArray("icKcLSEZ"));
        QCOMPARE(zone->asked, (QStringList{kBrisbane, kTest}));

        const auto rsaOnly = verifyNow(verifier, crlf(readData(QStringLiteral("rfc6376.signed.rsa.msg"))));
        QCOMPARE(rsaOnly.size(), 1);
        QCOMPARE(rsaOnly[0].result, DkimResult::Pass);
    }

    void eximEd25519Verifies()
    {
        auto zone = vectorZone();
        DkimVerifier verifier(zone.get());
        const auto results = verifyNow(verifier, crlf(readData(QStringLiteral("ed25519test2.msg"))));
        QCOMPARE(results.size(), 1);
        QVERIFY2(results[0].result == DkimResult::Pass, qPrintable(describe(results)));
    }

    // Signing the vector's own header data with the published private keys
    // gives the vector's signatures (both schemes are deterministic).
    void signaturesMatchVectors()
    {
        const DkimMessage m = splitDkimMessage(crlf(readData(QStringLiteral("rfc6376.signed.msg"))));
        const QStringList keyFiles{QStringLiteral("rfc8032_7_1.key"), QStringLiteral("test.private")};
        int checked = 0;
        for (const DkimHeaderField &f : m.headers) {
            if (!dkimHeaderNameEquals(f.name, "dkim-signature"))
                continue;
            QString error;
            const auto sig = parseDkimSignature(f, &error);
            QVERIFY2(sig, qPrintable(error));
            const auto key = DkimKey::fromPem(readData(keyFiles[checked]), &error);
            QVERIFY2(key, qPrintable(error));
            QCOMPARE(key->algorithm.toLatin1(), sig->algorithm);
            const QByteArray data = dkimHeaderData(m, sig->headers, f, sig->bValueStart, sig->bValueEnd, sig->headerCanon);
            QCOMPARE(key->sign(data).toBase64(), sig->signatureBase64);
            QCOMPARE(dkimBodyHash(m.body, sig->bodyCanon).value(), sig->bodyHash);
            ++checked;
        }
        QCOMPARE(checked, 2);
    }

    // Signing rfc6376.msg as the vector did (same t=, h=, c=) reproduces its bh=
    // and, for Ed25519 and RSA, a signature the published key accepts.
    void signVectorMessage()
    {
        auto zone = vectorZone();
        DkimVerifier verifier(zone.get());
        const QByteArray msg = crlf(readData(QStringLiteral("rfc6376.msg")));
        for (const QString &keyFile : {QStringLiteral("rfc8032_7_1.key"), QStringLiteral("test.private")}) {
            const auto key = DkimKey::fromPem(readData(keyFile));
            QVERIFY(key);
            DkimSignOptions opt;
            opt.domain = QStringLiteral("football.example.com");
            opt.selector = key->algorithm.startsWith(QLatin1String("ed")) ? QStringLiteral("brisbane") : QStringLiteral("test");
            opt.relaxedHeaders = opt.relaxedBody = false;
            opt.timestamp = 1518460054;
            QString error;
            if (key->algorithm.startsWith(QLatin1String("rsa"))) {
                QVERIFY(dkimSign(msg, *key, opt, &error).isEmpty()); // 1024-bit RSA refused by default...
                QVERIFY2(error.contains(QLatin1String("1024")), qPrintable(error));
                opt.minRsaBits = 1024; // ... but allowed for this vector
            }
            const QByteArray field = dkimSign(msg, *key, opt, &error);
            QVERIFY2(!field.isEmpty(), qPrintable(error));
            QVERIFY(QByteArray(field).replace("\r\n ", "").contains("bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ="));
            const auto results = verifyNow(verifier, field + msg);
            QVERIFY2(results.size() == 1 && results[0].result == DkimResult::Pass, qPrintable(describe(results)));
        }
    }

    // ----------------------------------------------------------- failures

    void tamperedMessages_data()
    {
        QTest::addColumn<QByteArray>("from");
        QTest::addColumn<QByteArray>("to");
        QTest::addColumn<QString>("reason");
        QTest::newRow("body") << QByteArray("hungry yet") << QByteArray("hungry now") << "body hash mismatch";
        QTest::newRow("body appended") << QByteArray("Joe.\r\n") << QByteArray("Joe.\r\nP.S.\r\n") << "body hash mismatch";
        QTest::newRow("subject") << QByteArray("Is dinner ready?") << QByteArray("Is dinner ready!")
                                 << "signature did not verify";
        QTest::newRow("second from") << QByteArray("To: Suzie") << QByteArray("From: evil@example.net\r\nTo: Suzie")
                                     << "signature did not verify";
        QTest::newRow("simple refold") << QByteArray("Subject: Is dinner") << QByteArray("Subject:  Is dinner")
                                       << "signature did not verify";
        QTest::newRow("signature t=") << QByteArray("t=1518460054") << QByteArray("t=1518460055")
                                      << "signature did not verify";
    }
    void tamperedMessages()
    {
        QFETCH(QByteArray, from);
        QFETCH(QByteArray, to);
        QFETCH(QString, reason);
        auto zone = vectorZone();
        DkimVerifier verifier(zone.get());
        QByteArray msg = crlf(readData(QStringLiteral("rfc6376.signed.msg")));
        QVERIFY(msg.contains(from));
        msg.replace(from, to);
        const auto results = verifyNow(verifier, msg);
        QCOMPARE(results.size(), 2);
        // t= only exists in the first signature; every other change breaks both.
        const int expectFailed = from.startsWith("t=") ? 1 : 2;
        int failed = 0;
        for (const DkimSignatureResult &r : results) {
            if (r.result == DkimResult::Fail) {
                QCOMPARE(r.reason, reason);
                ++failed;
            } else {
                QCOMPARE(r.result, DkimResult::Pass);
            }
        }
        QVERIFY2(failed == expectFailed, qPrintable(describe(results)));
    }

    void keyProblems_data()
    {
        QTest::addColumn<QByteArray>("record");
        QTest::addColumn<int>("status"); // -1: serve `record`
        QTest::addColumn<int>("expected");
        QTest::addColumn<QString>("reason");
        const int ok = -1;
        const int perm = int(DkimResult::PermError);
        QTest::newRow("badk.txt") << txtValue(QStringLiteral("badk.txt")) << ok << perm << "unknown key type";
        QTest::newRow("badversion.txt") << txtValue(QStringLiteral("badversion.txt")) << ok << perm << "version";
        QTest::newRow("test_bad.txt") << txtValue(QStringLiteral("test_bad.txt")) << ok << perm << "bad key";
        QTest::newRow("revoked") << QByteArray("v=DKIM1; k=rsa; p=") << ok << perm << "key revoked";
        QTest::newRow("ed25519 key for rsa") << txtValue(QStringLiteral("ed25519test.dns")) << ok << perm << "does not fit";
        QTest::newRow("hash sha1 only") << QByteArray("h=sha1; " + txtValue(QStringLiteral("test.txt")).mid(9)) << ok << perm
                                        << "sha256";
        QTest::newRow("512-bit key")
            << QByteArray("v=DKIM1; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALAvlG33b+ENCCUOKyaE5aIwsPLdwtFDcEnkjBdjHu0VT0Bpb"
                          "/5bpVjCO5NozGaBAWZnNS5p7mMDEdDn+uDsmcUCAwEAAQ==")
            << ok << perm << "shorter than 1024";
        QTest::newRow("nxdomain") << QByteArray() << int(dns::Status::NxDomain) << perm << "no key for signature";
        QTest::newRow("nodata") << QByteArray() << int(dns::Status::NoData) << perm << "no key for signature";
        QTest::newRow("timeout") << QByteArray() << int(dns::Status::Timeout) << int(DkimResult::TempError) << "DNS timeout";
        QTest::newRow("servfail") << QByteArray() << int(dns::Status::ServerFailure) << int(DkimResult::TempError)
                                  << "DNS failure";
    }
    void keyProblems()
    {
        QFETCH(QByteArray, record);
        QFETCH(int, status);
        QFETCH(int, expected);
        QFETCH(QString, reason);
        ZoneResolver zone;
        if (status < 0)
            zone.txt[kTest] = {record};
        else
            zone.failures[kTest] = dns::Status(status);
        DkimVerifier verifier(&zone);
        const auto results = verifyNow(verifier, crlf(readData(QStringLiteral("rfc6376.signed.rsa.msg"))));
        QCOMPARE(results.size(), 1);
        QVERIFY2(int(results[0].result) == expected && results[0].reason.contains(reason), qPrintable(describe(results)));
    }

    void signatureProblems_data()
    {
        QTest::addColumn<QByteArray>("from");
        QTest::addColumn<QByteArray>("to");
        QTest::addColumn<QString>("reason");
        QTest::newRow("i= outside d=") << QByteArray("i=@football.example.com") << QByteArray("i=@example.net")
                                       << "not in the domain";
        QTest::newRow("no from in h=") << QByteArray("h=from : to : subject : \r\n date : message-id : from : subject : date")
                                       << QByteArray("h=to : subject : date") << "From is not signed";
        QTest::newRow("version") << QByteArray("v=1;") << QByteArray("v=2;") << "version";
        QTest::newRow("sha1") << QByteArray("a=rsa-sha256") << QByteArray("a=rsa-sha1") << "RFC 8301";
        QTest::newRow("canon") << QByteArray("c=simple/simple") << QByteArray("c=simple/fancy") << "canonicalization";
        QTest::newRow("query") << QByteArray("q=dns/txt") << QByteArray("q=http/well-known") << "query method";
        QTest::newRow("duplicate tag") << QByteArray("q=dns/txt;") << QByteArray("q=dns/txt; s=x;") << "duplicate tag";
        QTest::newRow("missing bh") << QByteArray("bh=") << QByteArray("xh=") << "bh=";
        QTest::newRow("expired") << QByteArray("t=1527915362;") << QByteArray("t=1527915362; x=1527915400;")
                                 << "signature expired";
        QTest::newRow("x before t") << QByteArray("t=1527915362;") << QByteArray("t=1527915362; x=1500000000;")
                                    << "x= is before t=";
    }
    void signatureProblems()
    {
        QFETCH(QByteArray, from);
        QFETCH(QByteArray, to);
        QFETCH(QString, reason);
        auto zone = vectorZone();
        DkimVerifier verifier(zone.get());
        QByteArray msg = crlf(readData(QStringLiteral("rfc6376.signed.rsa.msg")));
        QVERIFY2(msg.contains(from), from.constData());
        msg.replace(from, to);
        const auto results = verifyNow(verifier, msg);
        QCOMPARE(results.size(), 1);
        QVERIFY2(results[0].result == DkimResult::PermError && results[0].reason.contains(reason),
                 qPrintable(describe(results)));
        if (!reason.startsWith(QLatin1String("duplicate"))) // else no tag is trusted
            QCOMPARE(results[0].domain, QStringLiteral("football.example.com"));
        QVERIFY(zone->asked.isEmpty()); // no DNS for a signature that cannot pass
    }

    void strictKeyRefusesSubdomainIdentity()
    {
        const auto key = DkimKey::generate(QStringLiteral("ed25519-sha256"), 0);
        QVERIFY(key);
        ZoneResolver zone;
        zone.txt[QStringLiteral("s1._domainkey.example.org")] = {key->dnsRecord().toLatin1() + "; t=s"};
        DkimVerifier verifier(&zone);
        DkimSignOptions opt;
        opt.domain = QStringLiteral("example.org");
        opt.selector = QStringLiteral("s1");
        const QByteArray msg = crlf(readData(QStringLiteral("test.message")));
        opt.identity = QStringLiteral("user@mail.example.org");
        auto results = verifyNow(verifier, dkimSign(msg, *key, opt) + msg);
        QVERIFY2(results.size() == 1 && results[0].result == DkimResult::PermError
                     && results[0].reason.contains(QLatin1String("t=s")),
                 qPrintable(describe(results)));
        opt.identity = QStringLiteral("user@example.org");
        results = verifyNow(verifier, dkimSign(msg, *key, opt) + msg);
        QVERIFY2(results.size() == 1 && results[0].result == DkimResult::Pass, qPrintable(describe(results)));
        QCOMPARE(results[0].identity, QStringLiteral("user@example.org"));
    }

    // ------------------------------------------------------- sign + verify

    void roundTrip_data()
    {
        QTest::addColumn<QString>("algorithm");
        QTest::addColumn<bool>("relaxedHeaders");
        QTest::addColumn<bool>("relaxedBody");
        for (const char *alg : {"rsa-sha256", "ed25519-sha256"}) {
            for (int c = 0; c < 4; ++c) {
                const bool rh = c & 1;
                const bool rb = c & 2;
                QTest::addRow("%s %s/%s", alg, rh ? "relaxed" : "simple", rb ? "relaxed" : "simple")
                    << QString::fromLatin1(alg) << rh << rb;
            }
        }
    }
    void roundTrip()
    {
        QFETCH(QString, algorithm);
        QFETCH(bool, relaxedHeaders);
        QFETCH(bool, relaxedBody);
        static QHash<QString, DkimKey> keys; // one key per algorithm for all rows
        if (!keys.contains(algorithm))
            keys.insert(algorithm, *DkimKey::generate(algorithm, 2048));
        const DkimKey key = keys.value(algorithm);
        ZoneResolver zone;
        zone.txt[QStringLiteral("sel._domainkey.example.com")] = {key.dnsRecord().toLatin1()};
        DkimVerifier verifier(&zone);
        DkimSignOptions opt;
        opt.domain = QStringLiteral("example.com");
        opt.selector = QStringLiteral("sel");
        opt.relaxedHeaders = relaxedHeaders;
        opt.relaxedBody = relaxedBody;
        opt.expireAfterS = 3600;

        const QList<QByteArray> messages{
            crlf(readData(QStringLiteral("test.message"))),
            crlf(readData(QStringLiteral("test2.message"))),
            crlf(readData(QStringLiteral("message.mbox"))),
            crlf(readData(QStringLiteral("rfc6376.w1258.msg"))),
            "From: a@example.com\r\nSubject: empty body\r\n\r\n",
            "From: a@example.com\r\nSubject: no body at all\r\n",
            "From: a@example.com\r\nSubject:   folded\r\n\tover  \r\n  three lines \t\r\nTo: b@example.net\r\n\r\n"
            "trailing space   \r\nand tabs\t\t\r\n\r\n\r\n",
            "FROM : a@example.com\r\nsubject:x\r\n\r\nno final CRLF",
        };
        for (const QByteArray &msg : messages) {
            QString error;
            const QByteArray field = dkimSign(msg, key, opt, &error);
            QVERIFY2(!field.isEmpty(), qPrintable(error));
            QVERIFY(field.startsWith("DKIM-Signature: v=1; a=" + algorithm.toLatin1() + ";"));
            QVERIFY(field.endsWith("\r\n"));
            for (const QByteArray &line : field.split('\n'))
                QVERIFY2(line.size() < 78, line.constData());
            const auto results = verifyNow(verifier, field + msg);
            // Ours is the top one (test2.message carries an old signature of its own).
            QVERIFY2(!results.isEmpty() && results[0].result == DkimResult::Pass,
                     qPrintable(describe(results) + QLatin1Char('\n') + QString::fromLatin1(field)));
            QCOMPARE(results[0].keyBits, key.bits());

            // Whitespace changes survive relaxed and break simple canonicalisation.
            QByteArray spaced = msg;
            const qsizetype fromAt = msg.startsWith("From:") ? 0 : msg.indexOf("\r\nFrom:") + 2;
            if (fromAt >= 0 && msg.indexOf("From:") >= 0 && msg.mid(fromAt, 5) == "From:")
                spaced.insert(fromAt + 5, "  ");
            QVERIFY(spaced != msg || msg.startsWith("FROM :"));
            if (spaced != msg) {
                const auto r = verifyNow(verifier, field + spaced);
                QCOMPARE(r[0].result, relaxedHeaders ? DkimResult::Pass : DkimResult::Fail);
            }
            const QByteArray padded = msg + (msg.endsWith("\r\n") ? "" : "\r\n") + "\r\n\r\n";
            if (msg.contains("\r\n\r\n")) {
                // Trailing empty lines are ignored by both.
                QCOMPARE(verifyNow(verifier, field + padded)[0].result, DkimResult::Pass);
            }
        }
    }

    void signedHeaderList()
    {
        const auto key = DkimKey::generate(QStringLiteral("ed25519-sha256"), 0);
        DkimSignOptions opt;
        opt.domain = QStringLiteral("example.com");
        opt.selector = QStringLiteral("s");
        const QByteArray msg = "Received: x\r\nFrom: a@example.com\r\nTo: b@example.net\r\nTo: c@example.net\r\n"
                               "Date: today\r\nX-Other: 1\r\n\r\nbody\r\n";
        const QByteArray field = dkimSign(msg, *key, opt);
        DkimHeaderField f{"DKIM-Signature", field};
        QString error;
        const auto sig = parseDkimSignature(f, &error);
        QVERIFY2(sig, qPrintable(error));
        QCOMPARE(sig->headers, (QList<QByteArray>{"From", "From", "To", "To", "To", "Subject", "Date"}));
        QCOMPARE(sig->headerCanon, DkimCanon::Relaxed);
        QCOMPARE(sig->bodyCanon, DkimCanon::Relaxed);
        QVERIFY(sig->timestamp > 1700000000);
        QCOMPARE(sig->expiration, qint64(-1));

        // Oversigned: adding a Subject or another From after signing breaks it.
        ZoneResolver zone;
        zone.txt[QStringLiteral("s._domainkey.example.com")] = {key->dnsRecord().toLatin1()};
        DkimVerifier verifier(&zone);
        QCOMPARE(verifyNow(verifier, field + msg)[0].result, DkimResult::Pass);
        QCOMPARE(verifyNow(verifier, field + "Subject: added\r\n" + msg)[0].result, DkimResult::Fail);
        QCOMPARE(verifyNow(verifier, field + msg).constFirst().result, DkimResult::Pass);
        QByteArray extraFrom = msg;
        extraFrom.replace("Date:", "From: evil@example.net\r\nDate:");
        QCOMPARE(verifyNow(verifier, field + extraFrom)[0].result, DkimResult::Fail);
        // An unsigned header may be added.
        QCOMPARE(verifyNow(verifier, field + "X-Added: 1\r\n" + msg)[0].result, DkimResult::Pass);
    }

    void signErrors()
    {
        const auto key = DkimKey::generate(QStringLiteral("ed25519-sha256"), 0);
        DkimSignOptions opt;
        opt.domain = QStringLiteral("example.com");
        opt.selector = QStringLiteral("s");
        QString error;
        QVERIFY(dkimSign(crlf(readData(QStringLiteral("test_nofrom.message"))), *key, opt, &error).isEmpty());
        QVERIFY2(error.contains(QLatin1String("From")), qPrintable(error));
        QVERIFY(dkimSign("From: a@b\r\n\r\n", DkimKey(), opt, &error).isEmpty());
        opt.domain = QStringLiteral("bad domain");
        QVERIFY(dkimSign("From: a@b\r\n\r\n", *key, opt, &error).isEmpty());
        opt.domain = QStringLiteral("example.com");
        opt.identity = QStringLiteral("x@example.net");
        QVERIFY(dkimSign("From: a@b\r\n\r\n", *key, opt, &error).isEmpty());
        QVERIFY2(error.contains(QLatin1String("identity")), qPrintable(error));
    }

    // l= (RFC 6376 3.5): text after the signed length is not covered.
    void bodyLengthRespected()
    {
        const auto key = DkimKey::generate(QStringLiteral("ed25519-sha256"), 0);
        const QByteArray msg = "From: a@example.com\r\nSubject: l\r\n\r\nHello\r\n";
        const DkimMessage m = splitDkimMessage(msg);
        const QByteArray bh = dkimBodyHash(m.body, DkimCanon::Relaxed).value().toBase64();
        DkimHeaderField f;
        f.name = "DKIM-Signature";
        f.raw = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; s=s; l=7;\r\n"
                " h=from:subject; bh=" + bh + "; b=\r\n";
        const QByteArray data = dkimHeaderData(m, {"from", "subject"}, f, f.raw.size() - 2, f.raw.size(), DkimCanon::Relaxed);
        const QByteArray field = f.raw.left(f.raw.size() - 2) + key->sign(data).toBase64() + "\r\n";
        ZoneResolver zone;
        zone.txt[QStringLiteral("s._domainkey.example.com")] = {key->dnsRecord().toLatin1()};
        DkimVerifier verifier(&zone);
        QCOMPARE(verifyNow(verifier, field + msg)[0].result, DkimResult::Pass);
        QCOMPARE(verifyNow(verifier, field + msg + "Appended text\r\n")[0].result, DkimResult::Pass);
        QByteArray changed = msg;
        changed.replace("Hello", "Hallo");
        QCOMPARE(verifyNow(verifier, field + changed)[0].result, DkimResult::Fail);
        QByteArray shorter = msg;
        shorter.replace("Hello", "Hi");
        const auto r = verifyNow(verifier, field + shorter);
        QVERIFY2(r[0].result == DkimResult::PermError && r[0].reason.contains(QLatin1String("l=")), qPrintable(describe(r)));
    }

    // -------------------------------------------------------- the verifier

    void noSignatureIsEmpty()
    {
        ZoneResolver zone;
        DkimVerifier verifier(&zone);
        bool called = false;
        const auto results = verifyNow(verifier, crlf(readData(QStringLiteral("test.message"))), &called);
        QVERIFY(called);
        QVERIFY(results.isEmpty());
        QCOMPARE(dkimResultName(DkimResult::None), QStringLiteral("none"));
        QCOMPARE(dkimResultName(DkimResult::TempError), QStringLiteral("temperror"));
        QCOMPARE(dkimResultName(DkimResult::PermError), QStringLiteral("permerror"));
    }

    void atMostFiveSignatures()
    {
        auto zone = vectorZone();
        DkimVerifier verifier(zone.get());
        const QByteArray msg = crlf(readData(QStringLiteral("rfc6376.signed.msg")));
        const DkimMessage m = splitDkimMessage(msg);
        QByteArray many;
        for (int i = 0; i < 3; ++i)
            many += m.headers[0].raw + m.headers[1].raw;
        const auto results = verifyNow(verifier, many + msg.mid(m.headers[0].raw.size() + m.headers[1].raw.size()));
        QCOMPARE(results.size(), 6);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(results[i].result, DkimResult::Pass);
        QCOMPARE(results[5].result, DkimResult::Policy);
        QCOMPARE(zone->asked.size(), 5);
        // Identical b= values share a prefix; different ones stay 8 characters.
        QCOMPARE(results[0].headerB.size(), 8);
    }

    void timeLimit()
    {
        ZoneResolver zone;
        zone.silent.insert(kTest);
        DkimVerifier verifier(&zone);
        verifier.setTimeLimitMs(150);
        const auto results = verifyNow(verifier, crlf(readData(QStringLiteral("rfc6376.signed.rsa.msg"))));
        QCOMPARE(results.size(), 1);
        QCOMPARE(results[0].result, DkimResult::TempError);
        QCOMPARE(results[0].reason, QStringLiteral("DNS timeout"));
    }

    void contextDestroyedDropsCallback()
    {
        auto zone = vectorZone();
        DkimVerifier verifier(zone.get());
        bool called = false;
        auto context = std::make_unique<QObject>();
        verifier.verify(crlf(readData(QStringLiteral("rfc6376.signed.msg"))), context.get(),
                        [&](const QList<DkimSignatureResult> &) { called = true; });
        context.reset();
        QTest::qWait(100);
        QVERIFY(!called);
        // Destroying the verifier with a verification outstanding is safe too.
        auto v2 = std::make_unique<DkimVerifier>(zone.get());
        v2->verify(crlf(readData(QStringLiteral("rfc6376.signed.msg"))), nullptr,
                   [&](const QList<DkimSignatureResult> &) { called = true; });
        v2.reset();
        QTest::qWait(100);
        QVERIFY(!called);
    }

    void garbageNeverCrashes()
    {
        auto zone = vectorZone();
        DkimVerifier verifier(zone.get());
        const QList<QByteArray> inputs{
            "", "\r\n", "DKIM-Signature:", "DKIM-Signature: ;;;\r\n\r\n", "DKIM-Signature: v=1; b=\r\n\r\n",
            "DKIM-Signature: v=1; a=rsa-sha256; b=!!!; bh=x; d=; h=; s=\r\n\r\n",
            "dkim-signature:\xff\xfe\r\n \r\n\r\n", QByteArray(3000, ':') + "\r\n",
        };
        for (const QByteArray &in : inputs) {
            const auto results = verifyNow(verifier, in);
            for (const DkimSignatureResult &r : results)
                QVERIFY2(r.result == DkimResult::PermError && !r.reason.isEmpty(), qPrintable(describe(results)));
        }
    }
};

QTEST_GUILESS_MAIN(TstDkim)
#include "tst_dkim.moc"

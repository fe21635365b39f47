// DKIM parsers and keys (core/mailauth): tag lists, canonicalisation, key
// records, private keys. Oracles: RFC 6376 3.4.5 (canonicalisation example),
// RFC 8032 7.1 (Ed25519 test key) and dkimpy's key files and records in
// tests/data/dkim. Verification and signing are tst_dkim.cpp.

#include "dkimtestdata.h"
#include "mailauth/dkimcanon.h"
#include "mailauth/dkimcrypto.h"
#include "mailauth/dkimkey.h"
#include "mailauth/dkimkeyrecord.h"
#include "mailauth/dkimtags.h"

#include <QTest>

using namespace rd::mailauth;
using namespace dkimtest;

class TstDkimParsers : public QObject {
    Q_OBJECT

private slots:
    // ------------------------------------------------------------ tag lists

    void tagList()
    {
        QString error;
        auto t = parseDkimTagList(" v = 1 ;\r\n\ta=rsa-sha256; h=From : To\r\n : Subject;", &error);
        QVERIFY2(t, qPrintable(error));
        QCOMPARE(t->tags.size(), 3);
        QCOMPARE(t->value("v"), QByteArray("1"));
        QCOMPARE(t->value("a"), QByteArray("rsa-sha256"));
        QCOMPARE(t->value("h"), QByteArray("From : To\r\n : Subject"));
        QCOMPARE(dkimSplitColonList(t->value("h")), (QList<QByteArray>{"From", "To", "Subject"}));
        QVERIFY(!t->contains("V")); // names are case-sensitive
        QVERIFY(parseDkimTagList("", &error) && parseDkimTagList("", &error)->tags.isEmpty());
        QCOMPARE(parseDkimTagList("a=; b=x", &error)->value("a", "unset"), QByteArray(""));
        QCOMPARE(dkimStripWhitespace(" ab\r\n\tc d "), QByteArray("abcd"));
    }

    void tagListErrors_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("errorPart");
        QTest::newRow("duplicate") << QByteArray("a=1; b=2; a=3") << "duplicate tag 'a'";
        QTest::newRow("no equals") << QByteArray("a=1; b") << "without '='";
        QTest::newRow("digit name") << QByteArray("1a=1") << "invalid tag name";
        QTest::newRow("empty name") << QByteArray("=1") << "invalid tag name";
        QTest::newRow("empty spec") << QByteArray("a=1;;b=2") << "empty tag-spec";
        QTest::newRow("leading ;") << QByteArray(";a=1") << "empty tag-spec";
        QTest::newRow("8bit value") << QByteArray("a=caf\xc3\xa9") << "invalid character 0xc3";
        QTest::newRow("ctl value") << QByteArray("a=x\x01y") << "invalid character 0x01";
        QTest::newRow("space in name") << QByteArray("a b=1") << "without '='";
    }
    void tagListErrors()
    {
        QFETCH(QByteArray, input);
        QFETCH(QString, errorPart);
        QString error;
        QVERIFY(!parseDkimTagList(input, &error));
        QVERIFY2(error.contains(errorPart), qPrintable(error));
    }

    // ------------------------------------------------------ canonicalisation

    // RFC 6376 3.4.5, literally.
    void canonRfcExample()
    {
        const QByteArray message = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";
        const DkimMessage m = splitDkimMessage(message);
        QCOMPARE(m.headers.size(), 2);
        QCOMPARE(m.headers[1].name, QByteArray("B"));
        QByteArray relaxed;
        QByteArray simple;
        for (const DkimHeaderField &f : m.headers) {
            relaxed += canonicalizeHeader(f, DkimCanon::Relaxed);
            simple += canonicalizeHeader(f, DkimCanon::Simple);
        }
        QCOMPARE(relaxed, QByteArray("a:X\r\nb:Y Z\r\n"));
        QCOMPARE(simple, QByteArray("A: X\r\nB : Y\t\r\n\tZ  \r\n"));
        QCOMPARE(canonicalizeBody(m.body, DkimCanon::Relaxed), QByteArray(" C\r\nD E\r\n"));
        QCOMPARE(canonicalizeBody(m.body, DkimCanon::Simple), QByteArray(" C \r\nD \t E\r\n"));
    }

    void canonBodyEdges_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("simple");
        QTest::addColumn<QByteArray>("relaxed");
        // RFC 6376 3.4.3 / 3.4.4 with erratum 1384 (relaxed: an empty body stays empty).
        QTest::newRow("empty") << QByteArray("") << QByteArray("\r\n") << QByteArray("");
        QTest::newRow("only CRLFs") << QByteArray("\r\n\r\n\r\n") << QByteArray("\r\n") << QByteArray("");
        QTest::newRow("only spaces") << QByteArray("  \r\n\t\r\n") << QByteArray("  \r\n\t\r\n") << QByteArray("");
        QTest::newRow("no final CRLF") << QByteArray("abc") << QByteArray("abc\r\n") << QByteArray("abc\r\n");
        QTest::newRow("trailing WSP no CRLF") << QByteArray("abc \t") << QByteArray("abc \t\r\n") << QByteArray("abc\r\n");
        QTest::newRow("inner empty lines kept") << QByteArray("a\r\n\r\nb\r\n\r\n") << QByteArray("a\r\n\r\nb\r\n")
                                                << QByteArray("a\r\n\r\nb\r\n");
        QTest::newRow("bare LF is content") << QByteArray("a\nb \r\n") << QByteArray("a\nb \r\n") << QByteArray("a\nb\r\n");
    }
    void canonBodyEdges()
    {
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, simple);
        QFETCH(QByteArray, relaxed);
        QCOMPARE(canonicalizeBody(body, DkimCanon::Simple), simple);
        QCOMPARE(canonicalizeBody(body, DkimCanon::Relaxed), relaxed);
    }

    void headerSelectionBottomUp()
    {
        const DkimMessage m = splitDkimMessage("Received: 1\r\nX: a\r\nreceived: 2\r\nX: b\r\n\r\nbody");
        QCOMPARE(m.body, QByteArray("body"));
        // Two "received": bottom first, then the upper one; a third selects nothing.
        const QList<qsizetype> sel = selectDkimHeaders(m, {"Received", "x", "RECEIVED", "received"});
        QCOMPARE(sel, (QList<qsizetype>{2, 3, 0}));
        const DkimMessage noBody = splitDkimMessage("A: 1\r\nB: 2\r\n");
        QCOMPARE(noBody.headers.size(), 2);
        QVERIFY(noBody.body.isEmpty());
    }

    // --------------------------------------------------------------- keys

    void keyFilesFromVectors_data()
    {
        QTest::addColumn<QString>("keyFile");
        QTest::addColumn<QString>("dnsFile");
        QTest::addColumn<QString>("algorithm");
        QTest::addColumn<int>("bits");
        QTest::newRow("pkcs1 2048") << "2048_testkey.key" << "2048_testkey_wo_markers.pub.txt" << "rsa-sha256" << 2048;
        QTest::newRow("pkcs8 2048") << "2048_testkey_PKCS8.key" << "2048_testkey_PKCS8.key.pub.txt" << "rsa-sha256" << 2048;
        QTest::newRow("pkcs1 1024") << "1024_testkey.key" << "1024_testkey_wo_markers.pub.txt" << "rsa-sha256" << 1024;
        QTest::newRow("test.private") << "test.private" << "test.txt" << "rsa-sha256" << 1024;
        QTest::newRow("ed25519 seed") << "ed25519test.key" << "ed25519test.dns" << "ed25519-sha256" << 256;
    }
    void keyFilesFromVectors()
    {
        QFETCH(QString, keyFile);
        QFETCH(QString, dnsFile);
        QFETCH(QString, algorithm);
        QFETCH(int, bits);
        QString error;
        const auto key = DkimKey::fromPem(readData(keyFile), &error);
        QVERIFY2(key, qPrintable(error));
        QCOMPARE(key->algorithm, algorithm);
        QCOMPARE(key->bits(), bits);
        const auto record = parseDkimKeyRecord(txtValue(dnsFile), &error);
        QVERIFY2(record, qPrintable(error));
        QCOMPARE(key->publicKeyBase64(), record->publicKey.toBase64());
        // Our PKCS#8 output loads back to the same key.
        const auto again = DkimKey::fromPem(key->privateKeyPem(), &error);
        QVERIFY2(again, qPrintable(error));
        QVERIFY(key->privateKeyPem().startsWith("-----BEGIN PRIVATE KEY-----"));
        QCOMPARE(again->publicKeyBase64(), key->publicKeyBase64());
    }

    void rfc8032PublicKey()
    {
        // RFC 8032 7.1 TEST 1: the public key of this secret key.
        const auto key = DkimKey::fromPem(readData(QStringLiteral("rfc8032_7_1.key")));
        QVERIFY(key);
        QCOMPARE(QByteArray::fromBase64(key->publicKeyBase64()).toHex(),
                 QByteArray("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
    }

    void generateAndRoundTrip_data()
    {
        QTest::addColumn<QString>("algorithm");
        QTest::addColumn<int>("bits");
        QTest::newRow("rsa default") << "rsa-sha256" << 0;
        QTest::newRow("rsa 3072") << "rsa-sha256" << 3072;
        QTest::newRow("ed25519") << "ed25519-sha256" << 0;
    }
    void generateAndRoundTrip()
    {
        QFETCH(QString, algorithm);
        QFETCH(int, bits);
        QString error;
        const auto key = DkimKey::generate(algorithm, bits, &error);
        QVERIFY2(key, qPrintable(error));
        QCOMPARE(key->bits(), algorithm.startsWith(QLatin1String("rsa")) ? (bits ? bits : 2048) : 256);
        const auto loaded = DkimKey::fromPem(key->privateKeyPem(), &error);
        QVERIFY2(loaded, qPrintable(error));
        QCOMPARE(loaded->algorithm, algorithm);
        QCOMPARE(loaded->publicKeyBase64(), key->publicKeyBase64());
        // The DNS record parses, and its key checks a signature made by the private key.
        const auto record = parseDkimKeyRecord(key->dnsRecord().toLatin1(), &error);
        QVERIFY2(record, qPrintable(error));
        QCOMPARE(record->keyType, QByteArray(algorithm.startsWith(QLatin1String("rsa")) ? "rsa" : "ed25519"));
        const auto pub = DkimPublicKey::fromRecord(*record, &error);
        QVERIFY2(pub, qPrintable(error));
        const QByteArray sig = loaded->sign("some data");
        QVERIFY(pub->verify("some data", sig));
        QVERIFY(!pub->verify("some datA", sig));
        if (algorithm == QLatin1String("ed25519-sha256"))
            QCOMPARE(record->publicKey.size(), 32);
    }

    void keyErrors()
    {
        QString error;
        QVERIFY(!DkimKey::generate(QStringLiteral("rsa-sha256"), 1024, &error));
        QVERIFY2(error.contains(QLatin1String("1024")), qPrintable(error));
        QVERIFY(!DkimKey::generate(QStringLiteral("rsa-sha256"), 8192, &error));
        QVERIFY(!DkimKey::generate(QStringLiteral("rsa-sha1"), 2048, &error));
        QVERIFY(!DkimKey::fromPem("", &error));
        QVERIFY(!DkimKey::fromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", &error));
        QVERIFY(!DkimKey::fromPem("bm90IGEga2V5", &error)); // base64, but not 32 bytes
        QVERIFY(!DkimKey::fromPem("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
                                  &error));
        QVERIFY2(error.contains(QLatin1String("encrypted")), qPrintable(error));
        // A public key is not a private key.
        QVERIFY(!DkimKey::fromPem("-----BEGIN PUBLIC KEY-----\n" + txtValue(QStringLiteral("2048_testkey_PKCS8.key.pub.txt")).mid(23)
                                      + "\n-----END PUBLIC KEY-----\n",
                                  &error));
    }

    void splitTxt()
    {
        const auto key = DkimKey::generate(QStringLiteral("rsa-sha256"), 4096);
        QVERIFY(key);
        const QString record = key->dnsRecord();
        QVERIFY(record.size() > 510);
        const QStringList parts = splitTxtForDns(record);
        QCOMPARE(parts.size(), int((record.size() + 254) / 255));
        for (const QString &p : parts)
            QVERIFY(p.size() <= 255 && !p.isEmpty());
        QCOMPARE(parts.join(QString()), record);
        QCOMPARE(splitTxtForDns(QStringLiteral("v=DKIM1; p=")), QStringList{QStringLiteral("v=DKIM1; p=")});
        QCOMPARE(txtZoneFileText(QStringLiteral("a\"b")), QStringLiteral("\"a\\\"b\""));
    }

    void keyRecords_data()
    {
        QTest::addColumn<QByteArray>("record");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("errorPart");
        QTest::newRow("test.txt") << txtValue(QStringLiteral("test.txt")) << true << "";
        QTest::newRow("no v, no k") << txtValue(QStringLiteral("test2.txt")) << true << "";
        QTest::newRow("badk.txt") << txtValue(QStringLiteral("badk.txt")) << false << "unknown key type";
        QTest::newRow("badversion.txt") << txtValue(QStringLiteral("badversion.txt")) << false << "version";
        QTest::newRow("tlsrpt service") << txtValue(QStringLiteral("test_tlsrpt.txt")) << false << "not for email";
        QTest::newRow("v not first") << QByteArray("k=rsa; v=DKIM1; p=AAAA") << false << "first";
        QTest::newRow("no p") << QByteArray("v=DKIM1; k=rsa") << false << "no p=";
        QTest::newRow("bad base64") << QByteArray("v=DKIM1; p=AB*CD") << false << "base64";
        QTest::newRow("ed25519 short") << QByteArray("k=ed25519; p=AAAA") << false << "32 bytes";
        QTest::newRow("duplicate") << QByteArray("p=AAAA; p=AAAA") << false << "duplicate";
        QTest::newRow("revoked") << QByteArray("v=DKIM1; p=") << true << "";
    }
    void keyRecords()
    {
        QFETCH(QByteArray, record);
        QFETCH(bool, ok);
        QFETCH(QString, errorPart);
        QString error;
        const auto rec = parseDkimKeyRecord(record, &error);
        QCOMPARE(bool(rec), ok);
        if (!ok)
            QVERIFY2(error.contains(errorPart), qPrintable(error));
    }

    // test_bad.txt parses as a record but its p= is no RSA key.
    void truncatedKeyIsNoKey()
    {
        const auto rec = parseDkimKeyRecord(txtValue(QStringLiteral("test_bad.txt")));
        QVERIFY(rec);
        QString error;
        QVERIFY(!DkimPublicKey::fromRecord(*rec, &error));
        // The bare RSAPublicKey form some publishers use is accepted.
        const auto pkcs1 = parseDkimKeyRecord(txtValue(QStringLiteral("1024_testkey_wo_markers.pub.rsa.txt")));
        QVERIFY(pkcs1);
        const auto pub = DkimPublicKey::fromRecord(*pkcs1, &error);
        QVERIFY2(pub, qPrintable(error));
        QCOMPARE(pub->bits, 1024);
    }
};

QTEST_GUILESS_MAIN(TstDkimParsers)
#include "tst_dkimparsers.moc"

// PBKDF2 password hashes: known answers, encoding, malformed input, strength hint.
#include "auth/passwordhash.h"

#include <QElapsedTimer>
#include <QTest>

using namespace rd::auth;

namespace {

constexpr int kTestIterations = 1000; // keeps the suite fast; one test uses the default

QString encodeRaw(int iterations, const QByteArray &salt, const QByteArray &hash)
{
    return QStringLiteral("pbkdf2-sha256$%1$%2$%3")
        .arg(iterations)
        .arg(QString::fromLatin1(salt.toBase64()), QString::fromLatin1(hash.toBase64()));
}

} // namespace

class TestPasswordHash : public QObject {
    Q_OBJECT
private slots:
    // RFC 7914 section 11 (PBKDF2-HMAC-SHA256) and the commonly published
    // PBKDF2-HMAC-SHA256 vectors (RFC 6070's inputs with SHA-256).
    void knownAnswers_data()
    {
        QTest::addColumn<QByteArray>("password");
        QTest::addColumn<QByteArray>("salt");
        QTest::addColumn<int>("iterations");
        QTest::addColumn<QByteArray>("expectedHex");
        QTest::newRow("c=1") << QByteArray("password") << QByteArray("salt") << 1
                             << QByteArray("120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
        QTest::newRow("c=2") << QByteArray("password") << QByteArray("salt") << 2
                             << QByteArray("ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43");
        QTest::newRow("c=4096") << QByteArray("password") << QByteArray("salt") << 4096
                                << QByteArray("c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
        QTest::newRow("long, 40 bytes")
            << QByteArray("passwordPASSWORDpassword") << QByteArray("saltSALTsaltSALTsaltSALTsaltSALTsalt") << 4096
            << QByteArray("348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9");
        QTest::newRow("NUL bytes, 16 bytes") << QByteArray("pass\0word", 9) << QByteArray("sa\0lt", 5) << 4096
                                             << QByteArray("89b69d0516f829893c696226650a8687");
        QTest::newRow("RFC 7914 passwd/salt")
            << QByteArray("passwd") << QByteArray("salt") << 1
            << QByteArray("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                          "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
        QTest::newRow("RFC 7914 Password/NaCl")
            << QByteArray("Password") << QByteArray("NaCl") << 80000
            << QByteArray("4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
                          "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
    }
    void knownAnswers()
    {
        QFETCH(QByteArray, password);
        QFETCH(QByteArray, salt);
        QFETCH(int, iterations);
        QFETCH(QByteArray, expectedHex);
        const QByteArray expected = QByteArray::fromHex(expectedHex);
        QCOMPARE(pbkdf2Sha256(password, salt, iterations, int(expected.size())).toHex(), expectedHex);
        // The same through the encoding: verifyPassword must accept it.
        if (expected.size() >= 16 && salt.size() >= 8)
            QVERIFY(verifyPassword(password, encodeRaw(iterations, salt, expected)));
    }

    void rawRefusesBadParameters()
    {
        QVERIFY(pbkdf2Sha256("p", "salt", 0, 32).isEmpty());
        QVERIFY(pbkdf2Sha256("p", "salt", kMaxIterations + 1, 32).isEmpty());
        QVERIFY(pbkdf2Sha256("p", "salt", 1, 0).isEmpty());
        QVERIFY(pbkdf2Sha256("p", "salt", 1, 2000).isEmpty());
        QCOMPARE(pbkdf2Sha256(QByteArrayView(), QByteArrayView(), 1, 32).size(), 32);
    }

    void roundTrip()
    {
        const QString h = hashPassword("correct horse", kTestIterations);
        QVERIFY(h.startsWith(QStringLiteral("pbkdf2-sha256$1000$")));
        const QStringList parts = h.split(QLatin1Char('$'));
        QCOMPARE(parts.size(), 4);
        QCOMPARE(QByteArray::fromBase64(parts.at(2).toLatin1()).size(), kSaltBytes);
        QCOMPARE(QByteArray::fromBase64(parts.at(3).toLatin1()).size(), kHashBytes);
        QVERIFY(isWellFormedHash(h));
        QVERIFY(verifyPassword("correct horse", h));
        QVERIFY(!verifyPassword("correct horsE", h));
        QVERIFY(!verifyPassword("correct horse ", h));
        QVERIFY(!verifyPassword("", h));
        // A fresh salt each time.
        const QString h2 = hashPassword("correct horse", kTestIterations);
        QVERIFY(h != h2);
        QVERIFY(verifyPassword("correct horse", h2));
    }

    void binaryAndEmptyPasswords()
    {
        const QByteArray binary("\x00\xff\xfe p\xc3\xa4ss", 9);
        const QString h = hashPassword(binary, kTestIterations);
        QVERIFY(verifyPassword(binary, h));
        QVERIFY(!verifyPassword(binary.left(8), h));
        const QString empty = hashPassword("", kTestIterations);
        QVERIFY(verifyPassword("", empty));
        QVERIFY(!verifyPassword(" ", empty));
        // Note: HMAC pads short keys with zero bytes, so "" and "\0" derive the
        // same key (a property of PBKDF2 itself); UserStore refuses NUL in passwords.
    }

    void defaultCostIsOwasp()
    {
        QCOMPARE(kDefaultIterations, 600000);
        QElapsedTimer t;
        t.start();
        const QString h = hashPassword("full cost");
        const qint64 hashMs = t.restart();
        QVERIFY(h.startsWith(QStringLiteral("pbkdf2-sha256$600000$")));
        QVERIFY(verifyPassword("full cost", h));
        const qint64 verifyMs = t.elapsed();
        qInfo("PBKDF2-HMAC-SHA256 at %d iterations: hash %lld ms, verify %lld ms", kDefaultIterations, hashMs,
              verifyMs);
        QVERIFY(!needsRehash(h));
    }

    void malformed_data()
    {
        QTest::addColumn<QString>("encoded");
        const QString salt = QString::fromLatin1(QByteArray(16, 'S').toBase64());
        const QString hash = QString::fromLatin1(QByteArray(32, 'H').toBase64());
        auto enc = [&](const QString &it) { return QStringLiteral("pbkdf2-sha256$%1$%2$%3").arg(it, salt, hash); };
        QTest::newRow("empty") << QString();
        QTest::newRow("scheme only") << QStringLiteral("pbkdf2-sha256");
        QTest::newRow("wrong prefix") << QStringLiteral("pbkdf2-sha1$1000$%1$%2").arg(salt, hash);
        QTest::newRow("bcrypt") << QStringLiteral("$2b$12$abcdefghijklmnopqrstuuJ3bXWx0jhK3pbAqVBsQ7Dd3rOBOjR8K");
        QTest::newRow("plain text") << QStringLiteral("hunter2");
        QTest::newRow("three fields") << QStringLiteral("pbkdf2-sha256$1000$%1").arg(salt);
        QTest::newRow("five fields") << enc(QStringLiteral("1000")) + QStringLiteral("$x");
        QTest::newRow("letters") << enc(QStringLiteral("abc"));
        QTest::newRow("negative") << enc(QStringLiteral("-5"));
        QTest::newRow("plus sign") << enc(QStringLiteral("+1000"));
        QTest::newRow("zero") << enc(QStringLiteral("0"));
        QTest::newRow("leading zero") << enc(QStringLiteral("01000"));
        QTest::newRow("empty iterations") << enc(QString());
        QTest::newRow("space") << enc(QStringLiteral(" 1000"));
        QTest::newRow("fraction") << enc(QStringLiteral("1000.5"));
        QTest::newRow("over limit") << enc(QStringLiteral("10000001"));
        QTest::newRow("huge") << enc(QStringLiteral("99999999999999999999"));
        QTest::newRow("int overflow") << enc(QStringLiteral("4294967297"));
        QTest::newRow("bad base64 salt") << QStringLiteral("pbkdf2-sha256$1000$!!!!$%1").arg(hash);
        QTest::newRow("bad base64 hash") << QStringLiteral("pbkdf2-sha256$1000$%1$####").arg(salt);
        QTest::newRow("unpadded salt") << QStringLiteral("pbkdf2-sha256$1000$%1$%2").arg(salt.chopped(2), hash);
        QTest::newRow("empty salt") << QStringLiteral("pbkdf2-sha256$1000$$%1").arg(hash);
        QTest::newRow("empty hash") << QStringLiteral("pbkdf2-sha256$1000$%1$").arg(salt);
        QTest::newRow("short salt") << QStringLiteral("pbkdf2-sha256$1000$%1$%2")
                                           .arg(QString::fromLatin1(QByteArray(4, 's').toBase64()), hash);
        QTest::newRow("short hash") << QStringLiteral("pbkdf2-sha256$1000$%1$%2")
                                           .arg(salt, QString::fromLatin1(QByteArray(8, 'h').toBase64()));
        QTest::newRow("non-ascii") << enc(QStringLiteral("1\u00e900"));
        QTest::newRow("very long") << enc(QStringLiteral("1000")) + QString(2000, QLatin1Char('A'));
        QTest::newRow("NUL") << enc(QStringLiteral("1000")).replace(QLatin1Char('$'), QChar(0));
    }
    void malformed()
    {
        QFETCH(QString, encoded);
        QElapsedTimer t;
        t.start();
        QVERIFY(!verifyPassword("password", encoded));
        QVERIFY(!verifyPassword("", encoded));
        QVERIFY(!isWellFormedHash(encoded));
        QVERIFY(needsRehash(encoded));
        QVERIFY2(t.elapsed() < 1000, "a malformed hash must be refused, not computed");
    }

    void maxIterationsAccepted()
    {
        // The limit itself parses (not computed here: that would take seconds).
        QVERIFY(isWellFormedHash(encodeRaw(kMaxIterations, QByteArray(16, 's'), QByteArray(32, 'h'))));
        QVERIFY(!isWellFormedHash(encodeRaw(kMaxIterations + 1, QByteArray(16, 's'), QByteArray(32, 'h'))));
    }

    void rehashPolicy()
    {
        const QString weak = hashPassword("pw", kTestIterations);
        QVERIFY(needsRehash(weak));
        QVERIFY(!needsRehash(weak, kTestIterations));
        QVERIFY(needsRehash(weak, kTestIterations + 1));
        const QString current = encodeRaw(kDefaultIterations, QByteArray(16, 's'), QByteArray(32, 'h'));
        QVERIFY(!needsRehash(current));
        const QString stronger = encodeRaw(kDefaultIterations * 2, QByteArray(16, 's'), QByteArray(32, 'h'));
        QVERIFY(!needsRehash(stronger));
        QVERIFY(needsRehash(encodeRaw(kDefaultIterations, QByteArray(8, 's'), QByteArray(32, 'h'))));
        QVERIFY(needsRehash(encodeRaw(kDefaultIterations, QByteArray(16, 's'), QByteArray(16, 'h'))));
    }

    void dummyHashMatchesNothing()
    {
        const QString d = dummyHash(kTestIterations);
        QVERIFY(isWellFormedHash(d));
        QVERIFY(d.startsWith(QStringLiteral("pbkdf2-sha256$1000$")));
        QVERIFY(!verifyPassword("", d));
        QVERIFY(!verifyPassword("password", d));
        QVERIFY(dummyHash(kTestIterations) != d);
        QVERIFY(dummyHash().startsWith(QStringLiteral("pbkdf2-sha256$600000$")));
    }

    void strength_data()
    {
        QTest::addColumn<QString>("password");
        QTest::addColumn<int>("minScore");
        QTest::addColumn<int>("maxScore");
        QTest::addColumn<QString>("hintPart");
        QTest::newRow("empty") << QString() << 0 << 0 << "Enter";
        QTest::newRow("common") << QStringLiteral("password") << 0 << 0 << "most common";
        QTest::newRow("common any case") << QStringLiteral("LetMeIn") << 0 << 0 << "most common";
        QTest::newRow("common + digits") << QStringLiteral("Password2024!") << 0 << 1 << "common password";
        QTest::newRow("common + prefix") << QStringLiteral("!!qwerty") << 0 << 1 << "common password";
        QTest::newRow("one char") << QStringLiteral("zzzzzzzzzzzzzzzzzzzz") << 0 << 0 << "single repeated";
        QTest::newRow("short") << QStringLiteral("aB3$x") << 0 << 0 << "Too short";
        QTest::newRow("eight lower") << QStringLiteral("kqmwhzrt") << 1 << 1 << "Longer";
        QTest::newRow("repeats") << QStringLiteral("abcxxxxdefgh") << 0 << 1 << "repeated";
        QTest::newRow("pattern") << QStringLiteral("abababababab") << 0 << 1 << "repeated";
        QTest::newRow("sequence") << QStringLiteral("Vmq-abcdef-Lp") << 1 << 2 << "sequences";
        QTest::newRow("twelve mixed") << QStringLiteral("vB7#kq2LmZ!w") << 3 << 3 << "Good";
        QTest::newRow("sixteen mixed") << QStringLiteral("xK9#mQ2$vL7!pR4@") << 4 << 4 << "Strong";
        QTest::newRow("passphrase") << QStringLiteral("correct horse battery staple") << 4 << 4 << "Strong";
        QTest::newRow("unicode") << QStringLiteral("Grüße aus Köln am Rhein") << 4 << 4 << "Strong";
    }
    void strength()
    {
        QFETCH(QString, password);
        QFETCH(int, minScore);
        QFETCH(int, maxScore);
        QFETCH(QString, hintPart);
        const PasswordStrength s = assessStrength(password);
        QVERIFY2(s.score >= minScore && s.score <= maxScore,
                 qPrintable(QStringLiteral("score %1, hint: %2").arg(s.score).arg(s.hint)));
        QVERIFY2(s.hint.contains(hintPart, Qt::CaseInsensitive), qPrintable(s.hint));
        QVERIFY(!s.label.isEmpty());
        QVERIFY(s.hint.endsWith(QLatin1Char('.')));
        if (password.size() > 3 && !QStringLiteral("passwords").contains(password, Qt::CaseInsensitive))
            QVERIFY(!s.hint.contains(password, Qt::CaseInsensitive));
    }
};

QTEST_GUILESS_MAIN(TestPasswordHash)
#include "tst_passwordhash.moc"

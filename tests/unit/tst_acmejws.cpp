// JWS, JWK thumbprints and key authorizations of the ACME client, checked
// against the RFC 7638 example and against Python's `cryptography` package
// (an independent ECDSA implementation) for signatures.
#include "acme/jws.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

using namespace rd::acme;

namespace {

// Runs /usr/bin/python3 with `script`, `input` on stdin; returns stdout (trimmed).
QByteArray python(const QString &script, const QByteArray &input, int *exitCode = nullptr)
{
    QProcess p;
    p.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), script});
    p.waitForStarted();
    p.write(input);
    p.closeWriteChannel();
    p.waitForFinished(30000);
    if (exitCode)
        *exitCode = p.exitCode();
    return p.readAllStandardOutput().trimmed();
}

// Verifies a flattened JWS with the public key of `jwk`: prints "ok" or "bad".
const char *kVerify = R"PY(
import sys, json, base64
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives import hashes
from cryptography.exceptions import InvalidSignature
def b64d(s): return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
d = json.load(sys.stdin)
jws, jwk = d['jws'], d['jwk']
pub = ec.EllipticCurvePublicNumbers(int.from_bytes(b64d(jwk['x']), 'big'), int.from_bytes(b64d(jwk['y']), 'big'),
                                    ec.SECP256R1()).public_key()
sig = b64d(jws['signature'])
if len(sig) != 64: print('bad-length'); sys.exit(0)
der = utils.encode_dss_signature(int.from_bytes(sig[:32], 'big'), int.from_bytes(sig[32:], 'big'))
try:
    pub.verify(der, (jws['protected'] + '.' + jws['payload']).encode(), ec.ECDSA(hashes.SHA256()))
    print('ok')
except InvalidSignature:
    print('bad')
)PY";

// RFC 7638 thumbprint computed by Python from the JWK on stdin.
const char *kThumbprint = R"PY(
import sys, json, hashlib, base64
j = json.load(sys.stdin)
s = json.dumps({k: j[k] for k in ('crv', 'kty', 'x', 'y')}, separators=(',', ':'), sort_keys=True)
print(base64.urlsafe_b64encode(hashlib.sha256(s.encode()).digest()).decode().rstrip('='))
)PY";

} // namespace

class TestAcmeJws : public QObject {
    Q_OBJECT
private slots:
    void rfc7638Example();
    void thumbprintRejectsIncompleteKeys();
    void generatedKeyThumbprintMatchesPython();
    void signatureVerifiesWithPython_data();
    void signatureVerifiesWithPython();
    void tamperedPayloadFailsVerification();
    void keyAuthorizationAndDnsValue();
    void pemRoundTripAndBadKeys();
};

void TestAcmeJws::rfc7638Example()
{
    // RFC 7638 section 3.1: the RSA key of RFC 7517 appendix A.1 and its thumbprint.
    const QJsonObject jwk{
        {QStringLiteral("kty"), QStringLiteral("RSA")},
        {QStringLiteral("n"),
         QStringLiteral("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")},
        {QStringLiteral("e"), QStringLiteral("AQAB")},
        {QStringLiteral("alg"), QStringLiteral("RS256")},
        {QStringLiteral("kid"), QStringLiteral("2011-04-29")},
    };
    QCOMPARE(jwkThumbprint(jwk), QByteArray("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
}

void TestAcmeJws::thumbprintRejectsIncompleteKeys()
{
    QVERIFY(jwkThumbprint({{QStringLiteral("kty"), QStringLiteral("RSA")}, {QStringLiteral("e"), QStringLiteral("AQAB")}})
                .isEmpty());
    QVERIFY(jwkThumbprint({{QStringLiteral("kty"), QStringLiteral("oct")}, {QStringLiteral("k"), QStringLiteral("x")}})
                .isEmpty());
    QVERIFY(jwkThumbprint({}).isEmpty());
}

void TestAcmeJws::generatedKeyThumbprintMatchesPython()
{
    const AccountKey key = AccountKey::generate();
    QVERIFY(!key.isNull());
    const QJsonObject jwk = key.jwk();
    QCOMPARE(jwk.value(QLatin1String("crv")).toString(), QStringLiteral("P-256"));
    QCOMPARE(jwk.value(QLatin1String("x")).toString().size(), 43); // 32 bytes, unpadded base64url
    QCOMPARE(jwk.value(QLatin1String("y")).toString().size(), 43);
    const QByteArray expected = python(QString::fromLatin1(kThumbprint), QJsonDocument(jwk).toJson());
    QCOMPARE(key.thumbprint(), expected);
}

void TestAcmeJws::signatureVerifiesWithPython_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("kid");
    QTest::newRow("newAccount-jwk") << QByteArray(R"({"termsOfServiceAgreed":true})") << QString();
    QTest::newRow("post-as-get-kid") << QByteArray() << QStringLiteral("https://127.0.0.1:14000/my-account/1");
    QTest::newRow("challenge-kid") << QByteArray("{}") << QStringLiteral("https://127.0.0.1:14000/my-account/1");
}

void TestAcmeJws::signatureVerifiesWithPython()
{
    QFETCH(QByteArray, payload);
    QFETCH(QString, kid);
    const AccountKey key = AccountKey::generate();
    const QString url = QStringLiteral("https://127.0.0.1:14000/sign-me");
    // ECDSA signatures are randomized: check several.
    for (int i = 0; i < 5; ++i) {
        const QByteArray jws = key.sign(payload, url, "nonce-" + QByteArray::number(i), kid);
        const QJsonObject o = QJsonDocument::fromJson(jws).object();
        QVERIFY(!o.isEmpty());
        const QJsonObject header = QJsonDocument::fromJson(
            QByteArray::fromBase64(o.value(QLatin1String("protected")).toString().toLatin1(), QByteArray::Base64UrlEncoding)).object();
        QCOMPARE(header.value(QLatin1String("alg")).toString(), QStringLiteral("ES256"));
        QCOMPARE(header.value(QLatin1String("url")).toString(), url);
        QCOMPARE(header.value(QLatin1String("nonce")).toString(), QStringLiteral("nonce-%1").arg(i));
        // RFC 8555 6.2: exactly one of jwk and kid.
        QCOMPARE(header.contains(QLatin1String("jwk")), kid.isEmpty());
        QCOMPARE(header.value(QLatin1String("kid")).toString(), kid);
        QCOMPARE(QByteArray::fromBase64(o.value(QLatin1String("payload")).toString().toLatin1(), QByteArray::Base64UrlEncoding),
                 payload);
        const QJsonObject input{{QStringLiteral("jws"), o}, {QStringLiteral("jwk"), key.jwk()}};
        QCOMPARE(python(QString::fromLatin1(kVerify), QJsonDocument(input).toJson()), QByteArray("ok"));
    }
}

void TestAcmeJws::tamperedPayloadFailsVerification()
{
    const AccountKey key = AccountKey::generate();
    QJsonObject o = QJsonDocument::fromJson(key.sign("{\"a\":1}", QStringLiteral("https://x/"), "n", {})).object();
    o.insert(QStringLiteral("payload"), QString::fromLatin1(base64Url("{\"a\":2}")));
    const QJsonObject input{{QStringLiteral("jws"), o}, {QStringLiteral("jwk"), key.jwk()}};
    QCOMPARE(python(QString::fromLatin1(kVerify), QJsonDocument(input).toJson()), QByteArray("bad"));
    // Another key's JWK must not verify it either.
    const QJsonObject other{{QStringLiteral("jws"), QJsonDocument::fromJson(key.sign("{}", QStringLiteral("https://x/"), "n", {})).object()},
                            {QStringLiteral("jwk"), AccountKey::generate().jwk()}};
    QCOMPARE(python(QString::fromLatin1(kVerify), QJsonDocument(other).toJson()), QByteArray("bad"));
}

void TestAcmeJws::keyAuthorizationAndDnsValue()
{
    const AccountKey key = AccountKey::generate();
    const QByteArray token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"; // RFC 8555 8.3 example token
    const QByteArray ka = keyAuthorization(token, key.thumbprint());
    QCOMPARE(ka, token + '.' + key.thumbprint());
    // RFC 8555 8.4: base64url(SHA-256(key authorization)), computed by Python.
    const QByteArray expected = python(QStringLiteral("import sys,hashlib,base64;"
                                                      "print(base64.urlsafe_b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode().rstrip('='))"),
                                       ka);
    QCOMPARE(dns01TxtValue(ka), expected);
    QCOMPARE(dns01TxtValue(ka).size(), 43);
}

void TestAcmeJws::pemRoundTripAndBadKeys()
{
    const AccountKey key = AccountKey::generate();
    QString error;
    const AccountKey again = AccountKey::fromPem(key.toPem(), &error);
    QVERIFY2(!again.isNull(), qPrintable(error));
    QCOMPARE(again.jwk(), key.jwk());

    QVERIFY(AccountKey::fromPem("garbage", &error).isNull());
    QCOMPARE(error, QStringLiteral("the ACME account key is not a PEM private key"));

    int rc = -1;
    const QByteArray rsa = python(QStringLiteral(
        "from cryptography.hazmat.primitives.asymmetric import rsa;from cryptography.hazmat.primitives import serialization as s;"
        "k=rsa.generate_private_key(65537,2048);print(k.private_bytes(s.Encoding.PEM,s.PrivateFormat.PKCS8,s.NoEncryption()).decode())"),
        {}, &rc);
    QCOMPARE(rc, 0);
    QVERIFY(AccountKey::fromPem(rsa, &error).isNull());
    QCOMPARE(error, QStringLiteral("the ACME account key is not an ECDSA P-256 key"));
}

QTEST_GUILESS_MAIN(TestAcmeJws)
#include "tst_acmejws.moc"

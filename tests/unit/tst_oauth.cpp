// Unit tests for core/oauth: PKCE (RFC 7636 Appendix B vector), the SASL
// initial responses (RFC 7628 4.1 example, curl's and Google's XOAUTH2 test
// vectors), the error challenge, the JWT client assertion (structure and a
// signature checked with OpenSSL and, independently, with Python's
// cryptography package), token replies, the loopback redirect (state mismatch
// refused), and the TokenManager against an HTTP token endpoint on 127.0.0.1
// (one fetch shared, reuse, invalidation, refresh ahead of expiry).

#include "oauth/delegatedsignin.h"
#include "oauth/jwtassertion.h"
#include "oauth/loopbackredirect.h"
#include "oauth/pkce.h"
#include "oauth/saslbearer.h"
#include "oauth/tokenmanager.h"
#include "oauth/tokenrequest.h"

#include <QCryptographicHash>
#include <QFile>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

using namespace rd::oauth;

namespace {

// A fresh RSA key and a self-signed certificate for it, as PEM.
struct KeyPair {
    QByteArray keyPem;
    QByteArray certPem;
};

QByteArray bioText(BIO *b)
{
    char *data = nullptr;
    const long n = BIO_get_mem_data(b, &data);
    return QByteArray(data, int(n));
}

KeyPair makeKeyPair(int bits = 2048)
{
    KeyPair kp;
    EVP_PKEY *key = EVP_RSA_gen(unsigned(bits));
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4711);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("relaydesk-app"), -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, EVP_sha256());
    BIO *kb = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
    kp.keyPem = bioText(kb);
    BIO_free(kb);
    BIO *cb = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(cb, x);
    kp.certPem = bioText(cb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(key);
    return kp;
}

QByteArray fromB64Url(const QByteArray &s)
{
    return QByteArray::fromBase64(s, QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// Verifies a JWS signature with the certificate's public key (OpenSSL).
bool opensslVerifies(const QByteArray &jwt, const QByteArray &certPem, bool pss)
{
    const QList<QByteArray> parts = jwt.split('.');
    if (parts.size() != 3)
        return false;
    const QByteArray input = parts[0] + '.' + parts[1];
    const QByteArray sig = fromB64Url(parts[2]);
    BIO *b = BIO_new_mem_buf(certPem.constData(), int(certPem.size()));
    X509 *x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    if (!x)
        return false;
    EVP_PKEY *pub = X509_get_pubkey(x);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = nullptr;
    bool ok = EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, pub) == 1;
    if (ok && pss)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1;
    ok = ok && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(sig.constData()), size_t(sig.size()),
                                reinterpret_cast<const unsigned char *>(input.constData()), size_t(input.size())) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pub);
    X509_free(x);
    return ok;
}

// A minimal HTTP/1.1 token endpoint: answers every POST with the next reply
// from `replies` (the last one repeats) and records each request body.
class FakeTokenEndpoint : public QObject {
public:
    QTcpServer server;
    QList<QByteArray> bodies;
    QList<QPair<int, QByteArray>> replies; // status, JSON
    int delayMs = 0;

    FakeTokenEndpoint()
    {
        server.listen(QHostAddress::LocalHost, 0);
        connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = server.nextPendingConnection()) {
                s->setParent(this);
                connect(s, &QTcpSocket::readyRead, this, [this, s] { onRead(s); });
            }
        });
    }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1/token").arg(server.serverPort()); }

private:
    void onRead(QTcpSocket *s)
    {
        QByteArray buf = s->property("buf").toByteArray() + s->readAll();
        s->setProperty("buf", buf);
        const qsizetype end = buf.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        qsizetype length = 0;
        for (const QByteArray &line : buf.left(end).split('\n')) {
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        }
        if (buf.size() < end + 4 + length)
            return;
        bodies << buf.mid(end + 4, length);
        const auto reply = replies.value(bodies.size() - 1, replies.isEmpty() ? qMakePair(500, QByteArray())
                                                                               : replies.last());
        const QByteArray out = "HTTP/1.1 " + QByteArray::number(reply.first) +
            " X\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
            QByteArray::number(reply.second.size()) + "\r\n\r\n" + reply.second;
        QTimer::singleShot(delayMs, s, [s, out] {
            s->write(out);
            s->disconnectFromHost();
        });
    }
};

OAuthSettings ccSettings(const QString &endpoint)
{
    OAuthSettings s;
    s.provider = QStringLiteral("custom");
    s.tokenEndpoint = endpoint;
    s.clientId = QStringLiteral("app-1");
    s.scope = QStringLiteral("smtp.send");
    s.mailbox = QStringLiteral("printer@example.com");
    return s;
}

QByteArray tokenJson(const QByteArray &token, int expiresIn)
{
    return "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":" +
        QByteArray::number(expiresIn) + '}';
}

} // namespace

class TstOAuth : public QObject {
    Q_OBJECT
private slots:
    void pkceRfc7636AppendixB()
    {
        // RFC 7636 Appendix B: the verifier and the S256 challenge.
        const QByteArray verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        QCOMPARE(codeChallengeS256(verifier), QByteArray("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        // Appendix B's 32 octets (116, 24, 223, 180, ... 141, 121) give that verifier through base64url.
        const QByteArray octets = QByteArray::fromHex(
            "7418dfb49799e0254ffa607dd8adbbba16d4254d69d6bff05b58055853848d79");
        QCOMPARE(base64Url(octets), verifier);
        QVERIFY(validCodeVerifier(verifier));
        QVERIFY(!validCodeVerifier("short"));
        QVERIFY(!validCodeVerifier(QByteArray(43, '+')));
        const QByteArray a = randomToken(32), b = randomToken(32);
        QCOMPARE(a.size(), 43);
        QVERIFY(a != b);
        QVERIFY(validCodeVerifier(a));
    }

    void authorizeUrlCarriesPkceAndState()
    {
        AuthorizeRequest r;
        r.authorizeEndpoint = QUrl(QStringLiteral("https://login.example/authorize?tenant=x"));
        r.clientId = QStringLiteral("app 1");
        r.redirectUri = QUrl(QStringLiteral("http://127.0.0.1:5555/callback"));
        r.scope = QStringLiteral("https://outlook.office365.com/SMTP.Send offline_access");
        r.state = "st-1";
        r.codeChallenge = codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        const QUrl url = authorizeUrl(r);
        const QUrlQuery q(url);
        QCOMPARE(q.queryItemValue(QStringLiteral("tenant")), QStringLiteral("x"));
        QCOMPARE(q.queryItemValue(QStringLiteral("response_type")), QStringLiteral("code"));
        QCOMPARE(q.queryItemValue(QStringLiteral("client_id"), QUrl::FullyDecoded), QStringLiteral("app 1"));
        QCOMPARE(q.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded),
                 QStringLiteral("http://127.0.0.1:5555/callback"));
        QCOMPARE(q.queryItemValue(QStringLiteral("scope"), QUrl::FullyDecoded), r.scope);
        QCOMPARE(q.queryItemValue(QStringLiteral("state")), QStringLiteral("st-1"));
        QCOMPARE(q.queryItemValue(QStringLiteral("code_challenge")),
                 QStringLiteral("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        QCOMPARE(q.queryItemValue(QStringLiteral("code_challenge_method")), QStringLiteral("S256"));
        QVERIFY(!url.toString(QUrl::FullyEncoded).contains(QLatin1Char(' ')));
    }

    void xoauth2Vectors()
    {
        // curl tests/data/test908 (user "user", token "mF_9.B5f-4.1JqM").
        QCOMPARE(xoauth2InitialResponse("user", "mF_9.B5f-4.1JqM"),
                 QByteArray("dXNlcj11c2VyAWF1dGg9QmVhcmVyIG1GXzkuQjVmLTQuMUpxTQEB"));
        // Google's XOAUTH2 protocol page: user=someuser@example.com ^A auth=Bearer ya29... ^A^A.
        QCOMPARE(QByteArray::fromBase64(xoauth2InitialResponse("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg")),
                 QByteArray("user=someuser@example.com\x01" "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"));
        QCOMPARE(xoauth2ErrorAck(), QByteArray());
    }

    void oauthBearerRfc7628Example()
    {
        // RFC 7628 4.1 (successful bearer token exchange), the client's initial response.
        QCOMPARE(oauthBearerInitialResponse("user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
                                            "server.example.com", 143),
                 QByteArray("bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVy"
                            "IHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB"));
        // Without host/port; "," and "=" in the authzid are escaped (RFC 5801).
        QCOMPARE(QByteArray::fromBase64(oauthBearerInitialResponse("a,b=c", "t")),
                 QByteArray("n,a=a=2Cb=3Dc,\x01" "auth=Bearer t\x01\x01"));
        QCOMPARE(oauthBearerErrorAck(), QByteArray("AQ=="));
    }

    void errorChallenge()
    {
        // RFC 7628 3.2.2's error JSON as curl's test949 sends it (no base64 padding).
        const BearerChallenge c = parseBearerChallenge(
            "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRw"
            "czovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0");
        QVERIFY(c.valid);
        QCOMPARE(c.status, QStringLiteral("invalid_token"));
        QCOMPARE(c.scope, QStringLiteral("example_scope"));
        QVERIFY(c.summary().contains(QLatin1String("status=invalid_token")));
        QVERIFY(!parseBearerChallenge("!!!not base64").valid);
        QVERIFY(!parseBearerChallenge(QByteArray("not json").toBase64()).valid);
        QCOMPARE(parseBearerChallenge("").summary(), QStringLiteral("unreadable challenge"));
    }

    void jwtAssertion_data()
    {
        QTest::addColumn<QString>("alg");
        QTest::newRow("RS256") << QStringLiteral("RS256");
        QTest::newRow("PS256") << QStringLiteral("PS256");
    }

    void jwtAssertion()
    {
        QFETCH(QString, alg);
        const KeyPair kp = makeKeyPair();
        ClientAssertionRequest r;
        r.clientId = QStringLiteral("11111111-2222-3333-4444-555555555555");
        r.audience = QStringLiteral("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
        r.privateKeyPem = kp.keyPem;
        r.certificatePem = kp.certPem;
        r.algorithm = alg;
        r.now = QDateTime::fromSecsSinceEpoch(1700000000, Qt::UTC);
        const ClientAssertion a = makeClientAssertion(r);
        QVERIFY2(a.ok(), qPrintable(a.error));
        const QList<QByteArray> parts = a.jwt.split('.');
        QCOMPARE(parts.size(), 3);
        const QJsonObject h = QJsonDocument::fromJson(fromB64Url(parts[0])).object();
        const QJsonObject c = QJsonDocument::fromJson(fromB64Url(parts[1])).object();
        QCOMPARE(h.value(QStringLiteral("alg")).toString(), alg);
        QCOMPARE(h.value(QStringLiteral("typ")).toString(), QStringLiteral("JWT"));
        // Thumbprints computed independently through Qt's certificate parser.
        const QSslCertificate cert(kp.certPem, QSsl::Pem);
        QCOMPARE(h.value(QStringLiteral("x5t#S256")).toString().toLatin1(),
                 base64Url(cert.digest(QCryptographicHash::Sha256)));
        QCOMPARE(h.value(QStringLiteral("x5t")).toString().toLatin1(), base64Url(cert.digest(QCryptographicHash::Sha1)));
        QCOMPARE(c.value(QStringLiteral("aud")).toString(), r.audience);
        QCOMPARE(c.value(QStringLiteral("iss")).toString(), r.clientId);
        QCOMPARE(c.value(QStringLiteral("sub")).toString(), r.clientId);
        QCOMPARE(qint64(c.value(QStringLiteral("nbf")).toDouble()), qint64(1700000000));
        QCOMPARE(qint64(c.value(QStringLiteral("exp")).toDouble()), qint64(1700000300));
        QVERIFY(!c.value(QStringLiteral("jti")).toString().isEmpty());
        QVERIFY(opensslVerifies(a.jwt, kp.certPem, alg == QLatin1String("PS256")));
        // Tampered claims no longer verify.
        QByteArray forged = a.jwt;
        forged[parts[0].size() + 5] = forged[parts[0].size() + 5] == 'A' ? 'B' : 'A';
        QVERIFY(!opensslVerifies(forged, kp.certPem, alg == QLatin1String("PS256")));

        // Independent oracle: Python's cryptography package verifies the signature.
        if (!QFile::exists(QStringLiteral("/usr/bin/python3")))
            QSKIP("no /usr/bin/python3");
        QTemporaryDir dir;
        QFile certFile(dir.filePath(QStringLiteral("cert.pem")));
        QVERIFY(certFile.open(QIODevice::WriteOnly));
        certFile.write(kp.certPem);
        certFile.close();
        const QString script = QStringLiteral(
            "import sys,base64\n"
            "from cryptography import x509\n"
            "from cryptography.hazmat.primitives import hashes\n"
            "from cryptography.hazmat.primitives.asymmetric import padding\n"
            "jwt=sys.stdin.read().strip(); h,p,s=jwt.split('.')\n"
            "d=lambda x: base64.urlsafe_b64decode(x+'='*(-len(x)%4))\n"
            "cert=x509.load_pem_x509_certificate(open(sys.argv[1],'rb').read())\n"
            "pad=padding.PSS(mgf=padding.MGF1(hashes.SHA256()),salt_length=32) if sys.argv[2]=='PS256' else padding.PKCS1v15()\n"
            "cert.public_key().verify(d(s),(h+'.'+p).encode(),pad,hashes.SHA256())\n"
            "print('verified')\n");
        QProcess py;
        py.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), script, certFile.fileName(), alg});
        QVERIFY(py.waitForStarted());
        py.write(a.jwt);
        py.closeWriteChannel();
        QVERIFY(py.waitForFinished(30000));
        const QByteArray err = py.readAllStandardError();
        if (err.contains("ModuleNotFoundError"))
            QSKIP("python3-cryptography not installed");
        QCOMPARE(py.readAllStandardOutput().trimmed(), QByteArray("verified"));
    }

    void jwtAssertionErrors()
    {
        const KeyPair kp = makeKeyPair();
        const KeyPair other = makeKeyPair();
        ClientAssertionRequest r;
        r.clientId = QStringLiteral("app");
        r.audience = QStringLiteral("https://idp.example/token");
        r.privateKeyPem = other.keyPem;
        r.certificatePem = kp.certPem;
        ClientAssertion a = makeClientAssertion(r);
        QVERIFY(!a.ok());
        QVERIFY(a.error.contains(QLatin1String("does not match")));
        r.privateKeyPem = "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n";
        a = makeClientAssertion(r);
        QVERIFY(!a.ok());
        QVERIFY(!a.error.contains(QLatin1String("garbage"))); // no key material in errors
        r.privateKeyPem = kp.keyPem;
        r.certificatePem = "not a certificate";
        QVERIFY(!makeClientAssertion(r).ok());
        r.certificatePem = kp.certPem;
        r.algorithm = QStringLiteral("HS256");
        QVERIFY(!makeClientAssertion(r).ok());
    }

    void tokenRequestBodies()
    {
        OAuthSettings s = ccSettings(QStringLiteral("https://idp.example/token"));
        OAuthSecrets sec;
        sec.clientSecret = QStringLiteral("s3cr&t=");
        TokenRequest r = buildTokenRequest(Grant::ClientCredentials, s, sec);
        QVERIFY(r.error.isEmpty());
        const QUrlQuery q(QString::fromLatin1(r.body));
        QCOMPARE(q.queryItemValue(QStringLiteral("grant_type")), QStringLiteral("client_credentials"));
        QCOMPARE(q.queryItemValue(QStringLiteral("client_secret"), QUrl::FullyDecoded), QStringLiteral("s3cr&t="));
        QCOMPARE(q.queryItemValue(QStringLiteral("scope")), QStringLiteral("smtp.send"));
        sec.clientSecret.clear();
        r = buildTokenRequest(Grant::ClientCredentials, s, sec);
        QVERIFY(r.body.isEmpty());
        QVERIFY(r.error.contains(QLatin1String("no client secret")));
        s.flow = QStringLiteral("authorization_code");
        r = buildTokenRequest(Grant::RefreshToken, s, sec);
        QVERIFY(r.error.contains(QLatin1String("sign in")));
        // Microsoft 365 defaults from the tenant.
        OAuthSettings m;
        m.tenant = QStringLiteral("contoso.onmicrosoft.com");
        QCOMPARE(m.effectiveTokenEndpoint(),
                 QStringLiteral("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"));
        QCOMPARE(m.effectiveScope(), QStringLiteral("https://outlook.office365.com/.default"));
    }

    void tokenResponses()
    {
        TokenResponse r = parseTokenResponse(200, tokenJson("abc.def", 3599));
        QVERIFY(r.ok);
        QCOMPARE(r.accessToken, QByteArray("abc.def"));
        QCOMPARE(r.expiresIn, qint64(3599));
        r = parseTokenResponse(401, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid "
                                    "client secret provided.\\r\\nTrace ID: 1\"}");
        QVERIFY(!r.ok);
        QVERIFY(!r.transient);
        QCOMPARE(r.message(),
                 QStringLiteral("token endpoint said invalid_client: AADSTS7000215: Invalid client secret provided. "
                                "Trace ID: 1"));
        r = parseTokenResponse(500, "<html>oops</html>");
        QVERIFY(!r.ok && r.transient);
        QVERIFY(r.message().contains(QLatin1String("HTTP 500")));
        r = parseTokenResponse(0, {}, QStringLiteral("Connection refused"));
        QVERIFY(!r.ok && r.transient);
        QVERIFY(r.message().contains(QLatin1String("unreachable")));
        QVERIFY(!parseTokenResponse(200, "{\"access_token\":\"x\",\"token_type\":\"mac\"}").ok);
        QVERIFY(!parseTokenResponse(200, "{\"access_token\":\"a b\"}").ok);
        QVERIFY(!parseTokenResponse(200, "{}").ok);
        QVERIFY(!parseTokenResponse(200, "[1,2]").ok);
        QVERIFY(parseTokenResponse(200, "{\"access_token\":\"x\",\"expires_in\":\"60\"}").expiresIn == 60);
    }

    void redirectParsing()
    {
        const QString path = QStringLiteral("/callback");
        RedirectResult r = parseRedirectRequest("GET /callback?code=c%2B1&state=s1 HTTP/1.1\r\nHost: x\r\n\r\n", path, "s1");
        QCOMPARE(r.kind, RedirectResult::Kind::Code);
        QCOMPARE(r.code, QByteArray("c+1"));
        r = parseRedirectRequest("GET /callback?code=c1&state=evil HTTP/1.1\r\n\r\n", path, "s1");
        QCOMPARE(r.kind, RedirectResult::Kind::Refused);
        QCOMPARE(r.error, QStringLiteral("state mismatch"));
        QVERIFY(r.code.isEmpty());
        r = parseRedirectRequest("GET /callback?code=c1 HTTP/1.1\r\n\r\n", path, "s1");
        QCOMPARE(r.kind, RedirectResult::Kind::Refused);
        r = parseRedirectRequest("GET /callback?error=access_denied&error_description=no%20way&state=s1 HTTP/1.1\r\n\r\n",
                                 path, "s1");
        QCOMPARE(r.kind, RedirectResult::Kind::Error);
        QCOMPARE(r.error, QStringLiteral("access_denied: no way"));
        r = parseRedirectRequest("GET /favicon.ico HTTP/1.1\r\n\r\n", path, "s1");
        QCOMPARE(r.kind, RedirectResult::Kind::NotFound);
        r = parseRedirectRequest("POST /callback HTTP/1.1\r\n\r\n", path, "s1");
        QCOMPARE(r.kind, RedirectResult::Kind::Bad);
        r = parseRedirectRequest("GET /callback?code=1&state=s1 HTTP/1.1\r\n", path, "s1");
        QCOMPARE(r.kind, RedirectResult::Kind::Incomplete);
        r = parseRedirectRequest(QByteArray(20000, 'A'), path, "s1");
        QCOMPARE(r.kind, RedirectResult::Kind::Bad);
        r = parseRedirectRequest("\r\n\r\n", path, "s1");
        QCOMPARE(r.kind, RedirectResult::Kind::Bad);
    }

    void loopbackListenerRefusesStateMismatch()
    {
        LoopbackRedirect lr("good-state");
        QVERIFY(lr.listen());
        const QUrl uri = lr.redirectUri();
        QCOMPARE(uri.host(), QStringLiteral("127.0.0.1"));
        QVERIFY(uri.port() > 0);
        QSignalSpy finished(&lr, &LoopbackRedirect::finished);
        QSignalSpy refused(&lr, &LoopbackRedirect::refused);
        auto get = [&](const QByteArray &target) {
            QTcpSocket s;
            s.connectToHost(QHostAddress::LocalHost, quint16(uri.port()));
            if (!s.waitForConnected(5000))
                return QByteArray();
            s.write("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            QByteArray all;
            QElapsedTimer t;
            t.start();
            while (s.state() == QAbstractSocket::ConnectedState && t.elapsed() < 5000) {
                QTest::qWait(20);
                all += s.readAll();
            }
            return all + s.readAll();
        };
        QVERIFY(get("/callback?code=stolen&state=bad-state").startsWith("HTTP/1.1 400"));
        QCOMPARE(refused.count(), 1);
        QCOMPARE(finished.count(), 0);
        QVERIFY(get("/callback?code=the-code&state=good-state").startsWith("HTTP/1.1 200"));
        QTRY_COMPARE(finished.count(), 1);
        QCOMPARE(finished.first().at(0).toBool(), true);
        QCOMPARE(finished.first().at(1).toByteArray(), QByteArray("the-code"));
    }

    void managerSharesOneFetchAndReuses()
    {
        FakeTokenEndpoint ep;
        ep.delayMs = 200;
        ep.replies << qMakePair(200, tokenJson("tok-1", 3600)) << qMakePair(200, tokenJson("tok-2", 3600));
        TokenManager m;
        OAuthSecrets sec;
        sec.clientSecret = QStringLiteral("pw");
        m.setConnector(QStringLiteral("c"), ccSettings(ep.url()), sec);
        QList<TokenOutcome> got;
        QObject ctx;
        for (int i = 0; i < 3; ++i)
            m.acquire(QStringLiteral("c"), &ctx, [&got](const TokenOutcome &o) { got << o; });
        QVERIFY(got.isEmpty()); // never from inside acquire()
        QTRY_COMPARE(got.size(), 3);
        QCOMPARE(ep.bodies.size(), 1);
        for (const TokenOutcome &o : got) {
            QVERIFY(o.ok);
            QCOMPARE(o.accessToken, QByteArray("tok-1"));
        }
        m.acquire(QStringLiteral("c"), &ctx, [&got](const TokenOutcome &o) { got << o; });
        QTRY_COMPARE(got.size(), 4);
        QCOMPARE(got.last().accessToken, QByteArray("tok-1"));
        QVERIFY(!got.last().fetched);
        QCOMPARE(ep.bodies.size(), 1);
        // A refused token is dropped: the next caller gets a fresh one.
        m.invalidate(QStringLiteral("c"), "tok-1");
        m.acquire(QStringLiteral("c"), &ctx, [&got](const TokenOutcome &o) { got << o; });
        QTRY_COMPARE(got.size(), 5);
        QCOMPARE(got.last().accessToken, QByteArray("tok-2"));
        QCOMPARE(ep.bodies.size(), 2);
        QCOMPARE(m.requestCount(QStringLiteral("c")), 2);
        const QUrlQuery body(QString::fromLatin1(ep.bodies.first()));
        QCOMPARE(body.queryItemValue(QStringLiteral("grant_type")), QStringLiteral("client_credentials"));
        QCOMPARE(body.queryItemValue(QStringLiteral("client_id")), QStringLiteral("app-1"));
    }

    void managerRefreshesBeforeExpiry()
    {
        FakeTokenEndpoint ep;
        // 10 s tokens: renewed behind from 8 s, expired at 10 s; the wait lands at 8.3 s,
        // leaving 1.7 s for a loaded machine (ctest -j2 beside builds).
        ep.replies << qMakePair(200, tokenJson("short-1", 10)) << qMakePair(200, tokenJson("short-2", 10));
        TokenManager m;
        OAuthSecrets sec;
        sec.clientSecret = QStringLiteral("pw");
        m.setConnector(QStringLiteral("c"), ccSettings(ep.url()), sec);
        QObject ctx;
        QList<TokenOutcome> got;
        m.acquire(QStringLiteral("c"), &ctx, [&got](const TokenOutcome &o) { got << o; });
        QTRY_COMPARE(got.size(), 1);
        QCOMPARE(got.last().accessToken, QByteArray("short-1"));
        QTest::qWait(8300); // past 80% of 10 s, before expiry: handed out and refreshed behind
        m.acquire(QStringLiteral("c"), &ctx, [&got](const TokenOutcome &o) { got << o; });
        QTRY_COMPARE(got.size(), 2);
        QCOMPARE(got.last().accessToken, QByteArray("short-1"));
        QTRY_COMPARE(ep.bodies.size(), 2);
        // The endpoint has the refresh request; the new token is handed out once its
        // response is processed (under ASan that can take a moment): ask until it is.
        for (int i = 0; i < 50 && got.last().accessToken != QByteArray("short-2"); ++i) {
            const qsizetype before = got.size();
            m.acquire(QStringLiteral("c"), &ctx, [&got](const TokenOutcome &o) { got << o; });
            QTRY_COMPARE(got.size(), before + 1);
            if (got.last().accessToken != QByteArray("short-2"))
                QTest::qWait(100);
        }
        QCOMPARE(got.last().accessToken, QByteArray("short-2"));
        QCOMPARE(ep.bodies.size(), 2); // one refresh, not one per request
    }

    void managerReportsEndpointErrors()
    {
        FakeTokenEndpoint ep;
        ep.replies << qMakePair(401, QByteArray("{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: "
                                                "Invalid client secret provided.\"}"));
        TokenManager m;
        OAuthSecrets sec;
        sec.clientSecret = QStringLiteral("wrong-secret-value");
        m.setConnector(QStringLiteral("c"), ccSettings(ep.url()), sec);
        QObject ctx;
        QList<TokenOutcome> got;
        m.acquire(QStringLiteral("c"), &ctx, [&got](const TokenOutcome &o) { got << o; });
        QTRY_COMPARE(got.size(), 1);
        QVERIFY(!got.last().ok);
        QCOMPARE(got.last().error,
                 QStringLiteral("token endpoint said invalid_client: AADSTS7000215: Invalid client secret provided."));
        QVERIFY(!got.last().error.contains(QLatin1String("wrong-secret-value")));
        // Remembered briefly: no second request for the next caller.
        m.acquire(QStringLiteral("c"), &ctx, [&got](const TokenOutcome &o) { got << o; });
        QTRY_COMPARE(got.size(), 2);
        QCOMPARE(ep.bodies.size(), 1);
        // Unreachable endpoint: a clear, temporary error.
        const quint16 dead = [] {
            QTcpServer s;
            s.listen(QHostAddress::LocalHost, 0);
            return s.serverPort();
        }();
        m.setConnector(QStringLiteral("d"), ccSettings(QStringLiteral("http://127.0.0.1:%1/token").arg(dead)), sec);
        m.acquire(QStringLiteral("d"), &ctx, [&got](const TokenOutcome &o) { got << o; });
        QTRY_COMPARE(got.size(), 3);
        QVERIFY(!got.last().ok);
        QVERIFY2(got.last().error.contains(QLatin1String("unreachable")), qPrintable(got.last().error));
        m.acquire(QStringLiteral("nope"), &ctx, [&got](const TokenOutcome &o) { got << o; });
        QTRY_COMPARE(got.size(), 4);
        QVERIFY(!got.last().ok);
    }

    void delegatedSignInExchangesCode()
    {
        FakeTokenEndpoint ep;
        ep.replies << qMakePair(200, QByteArray("{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
                                                "\"refresh_token\":\"rt-1\"}"));
        OAuthSettings s = ccSettings(ep.url());
        s.flow = QStringLiteral("authorization_code");
        s.clientAuth = QStringLiteral("none");
        s.authorizeEndpoint = QStringLiteral("http://127.0.0.1:1/authorize");
        DelegatedSignIn signIn(s, {});
        QString error;
        const QUrl url = signIn.start(&error);
        QVERIFY2(url.isValid(), qPrintable(error));
        const QUrlQuery q(url);
        const QString state = q.queryItemValue(QStringLiteral("state"));
        const QString challenge = q.queryItemValue(QStringLiteral("code_challenge"));
        QSignalSpy done(&signIn, &DelegatedSignIn::finished);
        // The "browser" comes back to the redirect URI.
        QTcpSocket b;
        const QUrl redirect(q.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded));
        b.connectToHost(QHostAddress::LocalHost, quint16(redirect.port()));
        QVERIFY(b.waitForConnected(5000));
        b.write("GET /callback?code=auth-code-1&state=" + state.toLatin1() + " HTTP/1.1\r\n\r\n");
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 10000);
        QCOMPARE(done.first().at(0).toBool(), true);
        QCOMPARE(done.first().at(1).toString(), QStringLiteral("rt-1"));
        const QUrlQuery body(QString::fromLatin1(ep.bodies.first()));
        QCOMPARE(body.queryItemValue(QStringLiteral("grant_type")), QStringLiteral("authorization_code"));
        QCOMPARE(body.queryItemValue(QStringLiteral("code")), QStringLiteral("auth-code-1"));
        // The verifier sent with the code matches the challenge sent to the browser.
        QCOMPARE(QString::fromLatin1(codeChallengeS256(body.queryItemValue(QStringLiteral("code_verifier")).toLatin1())),
                 challenge);
    }
};

QTEST_GUILESS_MAIN(TstOAuth)
#include "tst_oauth.moc"

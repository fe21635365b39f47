#pragma once
// JWT client assertion for private_key_jwt client authentication (RFC 7523
// 2.2, RFC 7521 4.2): the app proves it holds the private key of a certificate
// registered with the identity provider instead of sending a client secret.
// Header as Microsoft Entra ID expects it: alg, typ "JWT", "x5t#S256" (SHA-256
// thumbprint of the certificate's DER, base64url) and the older "x5t" (SHA-1).
// Claims: aud (the token endpoint), iss = sub = client id, jti (random), nbf,
// iat, exp (iat + lifetime). Signed with OpenSSL 3 (RS256: RSASSA-PKCS1-v1_5
// SHA-256; PS256: RSASSA-PSS SHA-256, salt 32). Pure apart from the clock and
// the random jti. The key is used in memory only and never appears in errors.

#include <QByteArray>
#include <QDateTime>
#include <QString>

namespace rd::oauth {

struct ClientAssertionRequest {
    QString clientId;
    QString audience;            // the token endpoint URL
    QByteArray privateKeyPem;    // RSA key, PKCS#8 or PKCS#1 PEM (unencrypted)
    QByteArray certificatePem;   // the certificate registered with the provider
    QString algorithm = QStringLiteral("RS256"); // or "PS256"
    int lifetimeS = 300;         // exp - iat (Microsoft: 5-10 minutes at most)
    QDateTime now;               // invalid: the current time
};

struct ClientAssertion {
    QByteArray jwt;   // header.payload.signature; empty on error
    QString error;    // why not (no secret material in it)
    bool ok() const { return !jwt.isEmpty(); }
};

ClientAssertion makeClientAssertion(const ClientAssertionRequest &r);

// Thumbprints of a PEM certificate's DER, base64url without padding; empty if
// the PEM is not a certificate.
QByteArray certificateThumbprintS256(const QByteArray &certificatePem);
QByteArray certificateThumbprintSha1(const QByteArray &certificatePem);

} // namespace rd::oauth

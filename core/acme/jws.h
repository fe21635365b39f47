#pragma once
// JSON Web Signatures for ACME (RFC 8555 6.2, RFC 7515, RFC 7518 3.4):
// the account key (ES256, ECDSA P-256 with SHA-256), its JWK, the JWK
// thumbprint (RFC 7638) and the key authorizations of challenges (RFC 8555 8.1).
// Thread: any (AccountKey is an immutable value sharing an OpenSSL key).

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <memory>

typedef struct evp_pkey_st EVP_PKEY;

namespace rd::acme {

// Base64url without padding (RFC 7515 2).
QByteArray base64Url(const QByteArray &data);

// RFC 7638 thumbprint: base64url(SHA-256) of the JWK's required members in
// lexicographic order without whitespace (RSA: e, kty, n; EC: crv, kty, x, y;
// OKP: crv, kty, x). Empty if the kty is unknown or a member is missing.
QByteArray jwkThumbprint(const QJsonObject &jwk);

// RFC 8555 8.1: token "." thumbprint.
QByteArray keyAuthorization(const QByteArray &token, const QByteArray &thumbprint);
// RFC 8555 8.4: the TXT value for _acme-challenge.<name>: base64url(SHA-256(keyAuthorization)).
QByteArray dns01TxtValue(const QByteArray &keyAuthorization);

class AccountKey {
public:
    AccountKey() = default;
    // A new P-256 key. Null on an OpenSSL failure.
    static AccountKey generate();
    // A P-256 private key in PEM (PKCS#8 or SEC1); null with *error otherwise.
    static AccountKey fromPem(const QByteArray &pem, QString *error);

    bool isNull() const { return !m_key; }
    // Unencrypted PKCS#8 PEM: a secret, store it owner-only and never log it.
    QByteArray toPem() const;
    // {"crv":"P-256","kty":"EC","x":...,"y":...} (public part only).
    QJsonObject jwk() const;
    QByteArray thumbprint() const { return jwkThumbprint(jwk()); }

    // The raw ES256 signature (r || s, 64 bytes) of `data`; empty on failure.
    QByteArray signEs256(const QByteArray &data) const;
    // A flattened JWS JSON serialization (RFC 7515 7.2.2) for an ACME POST:
    // protected header {alg: ES256, nonce, url} plus "kid" when kid is
    // non-empty, else "jwk". payload: the JSON text, or empty for POST-as-GET
    // (RFC 8555 6.3: the payload is the empty string).
    QByteArray sign(const QByteArray &payload, const QString &url, const QByteArray &nonce,
                    const QString &kid) const;

private:
    std::shared_ptr<EVP_PKEY> m_key;
};

} // namespace rd::acme

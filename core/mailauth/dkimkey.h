#pragma once
// DKIM signing keys (RFC 6376 3.3, RFC 8301, RFC 8463): generate, load and
// save a private key, publish its DNS record, sign header data. OpenSSL 3 EVP
// underneath. Values are copyable (the EVP_PKEY is shared, immutable) and may
// be used from any thread.

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

struct evp_pkey_st;

namespace rd::mailauth {

struct DkimKey {
    QString algorithm; // "rsa-sha256" or "ed25519-sha256"
    std::shared_ptr<evp_pkey_st> pkey; // internal: the OpenSSL key (null: no key)

    // Generates a key: RSA of `bits` (0: 2048; 2048..4096, smaller sizes are
    // refused) or Ed25519 (`bits` ignored). nullopt and *error otherwise.
    static std::optional<DkimKey> generate(const QString &algorithm, int bits, QString *error = nullptr);
    // Loads an RSA or Ed25519 private key: PEM, PKCS#8 ("BEGIN PRIVATE KEY")
    // or traditional ("BEGIN RSA PRIVATE KEY"), unencrypted; or dkimpy's
    // Ed25519 format (the base64 of the 32-byte seed, RFC 8032). Encrypted
    // keys are refused (never prompts). nullopt and *error otherwise.
    static std::optional<DkimKey> fromPem(const QByteArray &pkcs8OrTraditionalPem, QString *error = nullptr);

    bool isNull() const { return !pkey; }
    // PKCS#8 PEM of the private key (empty for a null key).
    QByteArray privateKeyPem() const;
    // The p= value: RSA: base64 SubjectPublicKeyInfo DER; Ed25519: base64 of
    // the raw 32-byte key (RFC 8463 4).
    QByteArray publicKeyBase64() const;
    // "v=DKIM1; k=rsa; p=..." or "v=DKIM1; k=ed25519; p=...".
    QString dnsRecord() const;
    // RSA modulus size; 256 for Ed25519; 0 for a null key.
    int bits() const;

    // The b= signature over canonical header data: RSASSA-PKCS1-v1_5 with
    // SHA-256 of `data`, or Ed25519 over SHA-256(data) (RFC 8463 3). Empty
    // and *error on failure.
    QByteArray sign(QByteArrayView data, QString *error = nullptr) const;
};

// Splits a TXT value longer than 255 octets into strings of at most 255
// octets (in order; joined without separators they give the value back) for
// a zone file or a DNS provider's form. A short value gives one string.
QStringList splitTxtForDns(const QString &value);

// A zone-file rendering of `value`: the strings of splitTxtForDns() in double
// quotes, separated by one space (quotes and backslashes escaped).
QString txtZoneFileText(const QString &value);

} // namespace rd::mailauth

#pragma once
// DKIM public key records (RFC 6376 3.6.1, RFC 8463 4): the TXT value at
// <selector>._domainkey.<domain>, parsed and checked. Pure; any thread. The
// key bytes are decoded here; turning them into a crypto key is dkimcrypto's.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <optional>

namespace rd::mailauth {

struct DkimKeyRecord {
    QByteArray keyType = "rsa";    // k= ("rsa" or "ed25519"; other values are refused)
    QList<QByteArray> hashes;      // h= (empty: any)
    QList<QByteArray> services;    // s= (default "*")
    bool testing = false;          // t=y
    bool strict = false;           // t=s: i= must not be a subdomain of d=
    bool revoked = false;          // p= empty
    QByteArray publicKey;          // p= decoded (RSA: SubjectPublicKeyInfo or RSAPublicKey DER; Ed25519: 32 bytes)
    QByteArray notes;              // n=

    // Whether a signature with `hash` ("sha256") may use this key (h=).
    bool allowsHash(QByteArrayView hash) const;
};

// Parses a key record. nullopt and *error on what RFC 6376 says makes the
// record unusable: tag-list syntax, v= not "DKIM1" or not the first tag, an
// unknown k=, a missing p=, bad base64 in p=, an Ed25519 key that is not 32
// bytes, s= not covering email. (Unknown tags and flags are ignored.) A
// revoked key (empty p=) parses with revoked = true.
std::optional<DkimKeyRecord> parseDkimKeyRecord(QByteArrayView txt, QString *error = nullptr);

// Strict base64 (RFC 4648 alphabet, '=' padding only at the end), whitespace
// ignored. nullopt on anything else.
std::optional<QByteArray> dkimDecodeBase64(QByteArrayView text);

} // namespace rd::mailauth

#pragma once
// Public-key side of DKIM: a verification key built from a parsed key record
// and the signature check (RFC 6376 3.3, RFC 8301, RFC 8463). OpenSSL 3 EVP;
// values are copyable and usable from any thread.

#include "mailauth/dkimkeyrecord.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <memory>
#include <optional>

struct evp_pkey_st;

namespace rd::mailauth {

struct DkimPublicKey {
    QByteArray keyType; // "rsa" or "ed25519"
    int bits = 0;       // RSA modulus size; 256 for Ed25519
    std::shared_ptr<evp_pkey_st> pkey;

    // Builds the key of `record` (not revoked). RSA: SubjectPublicKeyInfo
    // DER, or a bare RSAPublicKey as some publishers write; every byte must be
    // used. nullopt and *error if the bytes are no key of the record's type.
    // (The caller checks the size policy: RFC 8301 wants >= 1024 bits.)
    static std::optional<DkimPublicKey> fromRecord(const DkimKeyRecord &record, QString *error = nullptr);

    // Whether `signature` is valid over `data` for this key (RSA PKCS#1 v1.5
    // with SHA-256, or Ed25519 over SHA-256(data)).
    bool verify(QByteArrayView data, QByteArrayView signature) const;
};

// SHA-256 of `data`.
QByteArray dkimSha256(QByteArrayView data);

} // namespace rd::mailauth

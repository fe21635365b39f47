#include "mailauth/dkimcrypto.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <QCryptographicHash>
#include "util/errorout.h"

namespace rd::mailauth {

namespace {
using util::setError;

// d2i_* that must consume all of `der`.
EVP_PKEY *decodeRsa(const QByteArray &der)
{
    const auto *begin = reinterpret_cast<const unsigned char *>(der.constData());
    const unsigned char *p = begin;
    EVP_PKEY *key = d2i_PUBKEY(nullptr, &p, long(der.size()));
    if (key && p != begin + der.size()) {
        EVP_PKEY_free(key);
        key = nullptr;
    }
    if (!key) { // a bare PKCS#1 RSAPublicKey
        p = begin;
        key = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, long(der.size()));
        if (key && p != begin + der.size()) {
            EVP_PKEY_free(key);
            key = nullptr;
        }
    }
    ERR_clear_error();
    return key;
}

} // namespace

QByteArray dkimSha256(QByteArrayView data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256);
}

std::optional<DkimPublicKey> DkimPublicKey::fromRecord(const DkimKeyRecord &record, QString *error)
{
    if (record.revoked || record.publicKey.isEmpty()) {
        setError(error, QStringLiteral("key revoked"));
        return std::nullopt;
    }
    DkimPublicKey out;
    out.keyType = record.keyType;
    EVP_PKEY *key = nullptr;
    if (record.keyType == "ed25519") {
        key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const unsigned char *>(record.publicKey.constData()),
                                          size_t(record.publicKey.size()));
        ERR_clear_error();
        if (!key) {
            setError(error, QStringLiteral("bad Ed25519 public key"));
            return std::nullopt;
        }
        out.bits = 256;
    } else {
        key = decodeRsa(record.publicKey);
        if (!key) {
            setError(error, QStringLiteral("p= is not an RSA public key"));
            return std::nullopt;
        }
        if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
            EVP_PKEY_free(key);
            setError(error, QStringLiteral("p= is not an RSA public key (k=rsa)"));
            return std::nullopt;
        }
        out.bits = EVP_PKEY_get_bits(key);
    }
    out.pkey = std::shared_ptr<evp_pkey_st>(key, EVP_PKEY_free);
    return out;
}

bool DkimPublicKey::verify(QByteArrayView data, QByteArrayView signature) const
{
    if (!pkey || signature.isEmpty())
        return false;
    const bool ed = keyType == "ed25519";
    const QByteArray digest = ed ? dkimSha256(data) : QByteArray();
    const QByteArrayView input = ed ? QByteArrayView(digest) : data;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const bool ok = ctx
                    && EVP_DigestVerifyInit(ctx, nullptr, ed ? nullptr : EVP_sha256(), nullptr, pkey.get()) == 1
                    && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(signature.data()),
                                        size_t(signature.size()),
                                        reinterpret_cast<const unsigned char *>(input.data()),
                                        size_t(input.size()))
                           == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

} // namespace rd::mailauth

#include "acme/jws.h"

#include <QCryptographicHash>
#include <QJsonDocument>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace rd::acme {
namespace {

std::shared_ptr<EVP_PKEY> wrap(EVP_PKEY *k)
{
    return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
}

bool isP256(EVP_PKEY *key)
{
    char group[64] = {};
    size_t len = 0;
    const bool ok = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC
                    && EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) == 1;
    return ok && (qstrcmp(group, "prime256v1") == 0 || qstrcmp(group, "P-256") == 0);
}

QByteArray coordinate(EVP_PKEY *key, const char *param)
{
    BIGNUM *bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
        return {};
    QByteArray out(32, '\0');
    const int n = BN_bn2binpad(bn, reinterpret_cast<unsigned char *>(out.data()), 32);
    BN_free(bn);
    return n == 32 ? out : QByteArray();
}

} // namespace

QByteArray base64Url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray jwkThumbprint(const QJsonObject &jwk)
{
    const QString kty = jwk.value(QLatin1String("kty")).toString();
    QStringList members;
    if (kty == QLatin1String("RSA"))
        members = {QStringLiteral("e"), QStringLiteral("kty"), QStringLiteral("n")};
    else if (kty == QLatin1String("EC"))
        members = {QStringLiteral("crv"), QStringLiteral("kty"), QStringLiteral("x"), QStringLiteral("y")};
    else if (kty == QLatin1String("OKP"))
        members = {QStringLiteral("crv"), QStringLiteral("kty"), QStringLiteral("x")};
    else
        return {};
    // The members are plain base64url or short names, so QJsonDocument's compact
    // form with sorted keys is exactly RFC 7638's canonical form.
    QJsonObject canonical;
    for (const QString &m : members) {
        const QJsonValue v = jwk.value(m);
        if (!v.isString() || v.toString().isEmpty())
            return {};
        canonical.insert(m, v);
    }
    const QByteArray json = QJsonDocument(canonical).toJson(QJsonDocument::Compact);
    return base64Url(QCryptographicHash::hash(json, QCryptographicHash::Sha256));
}

QByteArray keyAuthorization(const QByteArray &token, const QByteArray &thumbprint)
{
    return token + '.' + thumbprint;
}

QByteArray dns01TxtValue(const QByteArray &keyAuthorization)
{
    return base64Url(QCryptographicHash::hash(keyAuthorization, QCryptographicHash::Sha256));
}

AccountKey AccountKey::generate()
{
    AccountKey k;
    if (EVP_PKEY *key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"))
        k.m_key = wrap(key);
    ERR_clear_error();
    return k;
}

AccountKey AccountKey::fromPem(const QByteArray &pem, QString *error)
{
    AccountKey k;
    BIO *bio = BIO_new_mem_buf(pem.constData(), int(pem.size()));
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    ERR_clear_error();
    if (!key) {
        if (error)
            *error = QStringLiteral("the ACME account key is not a PEM private key");
        return k;
    }
    if (!isP256(key)) {
        EVP_PKEY_free(key);
        if (error)
            *error = QStringLiteral("the ACME account key is not an ECDSA P-256 key");
        return k;
    }
    k.m_key = wrap(key);
    return k;
}

QByteArray AccountKey::toPem() const
{
    if (!m_key)
        return {};
    BIO *bio = BIO_new(BIO_s_secmem());
    QByteArray out;
    if (bio && PEM_write_bio_PrivateKey(bio, m_key.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
        char *data = nullptr;
        const long len = BIO_get_mem_data(bio, &data);
        out = QByteArray(data, int(len));
    }
    BIO_free(bio);
    return out;
}

QJsonObject AccountKey::jwk() const
{
    if (!m_key)
        return {};
    const QByteArray x = coordinate(m_key.get(), OSSL_PKEY_PARAM_EC_PUB_X);
    const QByteArray y = coordinate(m_key.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
    if (x.isEmpty() || y.isEmpty())
        return {};
    return {{QStringLiteral("crv"), QStringLiteral("P-256")},
            {QStringLiteral("kty"), QStringLiteral("EC")},
            {QStringLiteral("x"), QString::fromLatin1(base64Url(x))},
            {QStringLiteral("y"), QString::fromLatin1(base64Url(y))}};
}

QByteArray AccountKey::signEs256(const QByteArray &data) const
{
    if (!m_key)
        return {};
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t len = 0;
    QByteArray der;
    bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, m_key.get()) == 1
              && EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char *>(data.constData()),
                                size_t(data.size())) == 1;
    if (ok) {
        der.resize(qsizetype(len));
        ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(der.data()), &len,
                            reinterpret_cast<const unsigned char *>(data.constData()), size_t(data.size())) == 1;
        der.resize(qsizetype(len));
    }
    EVP_MD_CTX_free(ctx);
    QByteArray raw;
    if (ok) { // DER ECDSA-Sig-Value -> JWS r || s, each 32 bytes (RFC 7518 3.4)
        const unsigned char *p = reinterpret_cast<const unsigned char *>(der.constData());
        ECDSA_SIG *sig = d2i_ECDSA_SIG(nullptr, &p, long(der.size()));
        if (sig) {
            raw.resize(64);
            auto *out = reinterpret_cast<unsigned char *>(raw.data());
            if (BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32) != 32 || BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32) != 32)
                raw.clear();
            ECDSA_SIG_free(sig);
        }
    }
    ERR_clear_error();
    return raw;
}

QByteArray AccountKey::sign(const QByteArray &payload, const QString &url, const QByteArray &nonce,
                            const QString &kid) const
{
    QJsonObject header{{QStringLiteral("alg"), QStringLiteral("ES256")},
                       {QStringLiteral("nonce"), QString::fromLatin1(nonce)},
                       {QStringLiteral("url"), url}};
    if (kid.isEmpty())
        header.insert(QStringLiteral("jwk"), jwk());
    else
        header.insert(QStringLiteral("kid"), kid);
    const QByteArray protectedB64 = base64Url(QJsonDocument(header).toJson(QJsonDocument::Compact));
    const QByteArray payloadB64 = base64Url(payload);
    const QByteArray signature = signEs256(protectedB64 + '.' + payloadB64);
    if (signature.isEmpty())
        return {};
    const QJsonObject jws{{QStringLiteral("protected"), QString::fromLatin1(protectedB64)},
                          {QStringLiteral("payload"), QString::fromLatin1(payloadB64)},
                          {QStringLiteral("signature"), QString::fromLatin1(base64Url(signature))}};
    return QJsonDocument(jws).toJson(QJsonDocument::Compact);
}

} // namespace rd::acme

#include "oauth/jwtassertion.h"

#include "oauth/pkce.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUuid>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

namespace rd::oauth {

namespace {

struct BioFree {
    void operator()(BIO *b) const { BIO_free(b); }
};
struct X509Free {
    void operator()(X509 *x) const { X509_free(x); }
};
struct PkeyFree {
    void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); }
};

std::unique_ptr<BIO, BioFree> memBio(const QByteArray &data)
{
    return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(data.constData(), int(data.size())));
}

QByteArray certificateDer(const QByteArray &pem)
{
    auto bio = memBio(pem);
    if (!bio)
        return {};
    std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert)
        return {};
    unsigned char *der = nullptr;
    const int len = i2d_X509(cert.get(), &der);
    if (len <= 0)
        return {};
    QByteArray out(reinterpret_cast<const char *>(der), len);
    OPENSSL_free(der);
    return out;
}

} // namespace

QByteArray certificateThumbprintS256(const QByteArray &certificatePem)
{
    const QByteArray der = certificateDer(certificatePem);
    return der.isEmpty() ? QByteArray() : base64Url(QCryptographicHash::hash(der, QCryptographicHash::Sha256));
}

QByteArray certificateThumbprintSha1(const QByteArray &certificatePem)
{
    const QByteArray der = certificateDer(certificatePem);
    return der.isEmpty() ? QByteArray() : base64Url(QCryptographicHash::hash(der, QCryptographicHash::Sha1));
}

ClientAssertion makeClientAssertion(const ClientAssertionRequest &r)
{
    ClientAssertion out;
    const bool pss = r.algorithm == QLatin1String("PS256");
    if (!pss && r.algorithm != QLatin1String("RS256")) {
        out.error = QStringLiteral("client assertion algorithm \"%1\" is not RS256 or PS256").arg(r.algorithm);
        return out;
    }
    if (r.clientId.isEmpty() || r.audience.isEmpty()) {
        out.error = QStringLiteral("client assertion needs a client id and the token endpoint");
        return out;
    }
    const QByteArray x5tS256 = certificateThumbprintS256(r.certificatePem);
    const QByteArray x5t = certificateThumbprintSha1(r.certificatePem);
    if (x5tS256.isEmpty()) {
        out.error = QStringLiteral("the client certificate is not a PEM X.509 certificate");
        return out;
    }
    auto bio = memBio(r.privateKeyPem);
    std::unique_ptr<EVP_PKEY, PkeyFree> key(
        bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char *>("")) : nullptr);
    if (!key) {
        out.error = QStringLiteral("the client certificate's private key is not an unencrypted PEM private key");
        return out;
    }
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
        out.error = QStringLiteral("the client certificate's private key is not an RSA key (RS256/PS256 need RSA)");
        return out;
    }
    // The key must belong to the certificate, or the provider refuses every assertion.
    {
        auto cbio = memBio(r.certificatePem);
        std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(cbio.get(), nullptr, nullptr, nullptr));
        if (!cert || X509_check_private_key(cert.get(), key.get()) != 1) {
            out.error = QStringLiteral("the private key does not match the client certificate");
            return out;
        }
    }

    const QDateTime now = r.now.isValid() ? r.now : QDateTime::currentDateTimeUtc();
    const qint64 iat = now.toSecsSinceEpoch();
    QJsonObject header{{QStringLiteral("alg"), r.algorithm},
                       {QStringLiteral("typ"), QStringLiteral("JWT")},
                       {QStringLiteral("x5t#S256"), QString::fromLatin1(x5tS256)},
                       {QStringLiteral("x5t"), QString::fromLatin1(x5t)}};
    QJsonObject claims{{QStringLiteral("aud"), r.audience},
                       {QStringLiteral("iss"), r.clientId},
                       {QStringLiteral("sub"), r.clientId},
                       {QStringLiteral("jti"), QUuid::createUuid().toString(QUuid::WithoutBraces)},
                       {QStringLiteral("iat"), iat},
                       {QStringLiteral("nbf"), iat},
                       {QStringLiteral("exp"), iat + qMax(30, r.lifetimeS)}};
    const QByteArray signingInput = base64Url(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.' +
        base64Url(QJsonDocument(claims).toJson(QJsonDocument::Compact));

    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX *pctx = nullptr;
    size_t sigLen = 0;
    bool ok = ctx && EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) == 1;
    if (ok && pss) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    }
    ok = ok && EVP_DigestSignUpdate(ctx.get(), signingInput.constData(), size_t(signingInput.size())) == 1 &&
        EVP_DigestSignFinal(ctx.get(), nullptr, &sigLen) == 1;
    QByteArray sig(qsizetype(sigLen), Qt::Uninitialized);
    ok = ok && EVP_DigestSignFinal(ctx.get(), reinterpret_cast<unsigned char *>(sig.data()), &sigLen) == 1;
    if (!ok) {
        out.error = QStringLiteral("signing the client assertion failed (OpenSSL)");
        return out;
    }
    sig.resize(qsizetype(sigLen));
    out.jwt = signingInput + '.' + base64Url(sig);
    return out;
}

} // namespace rd::oauth

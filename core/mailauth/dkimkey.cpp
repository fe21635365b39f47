#include "mailauth/dkimkey.h"

#include "mailauth/dkimcrypto.h"
#include "mailauth/dkimkeyrecord.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "util/errorout.h"

namespace rd::mailauth {

namespace {
using util::setError;

const QString kRsa = QStringLiteral("rsa-sha256");
const QString kEd25519 = QStringLiteral("ed25519-sha256");

QString opensslError()
{
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0)
        return QStringLiteral("unknown OpenSSL error");
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return QString::fromLatin1(buf);
}

std::shared_ptr<evp_pkey_st> own(EVP_PKEY *key)
{
    return std::shared_ptr<evp_pkey_st>(key, EVP_PKEY_free);
}

// Never prompts for a passphrase: encrypted keys fail to load.
int noPassphrase(char *, int, int, void *)
{
    return -1;
}

std::optional<DkimKey> wrap(EVP_PKEY *raw, QString *error)
{
    std::shared_ptr<evp_pkey_st> key = own(raw);
    DkimKey out;
    switch (EVP_PKEY_get_base_id(raw)) {
    case EVP_PKEY_RSA:
        out.algorithm = kRsa;
        break;
    case EVP_PKEY_ED25519:
        out.algorithm = kEd25519;
        break;
    default:
        setError(error, QStringLiteral("not an RSA or Ed25519 key"));
        return std::nullopt;
    }
    out.pkey = key;
    return out;
}

} // namespace

std::optional<DkimKey> DkimKey::generate(const QString &algorithm, int bits, QString *error)
{
    EVP_PKEY *raw = nullptr;
    if (algorithm == kRsa) {
        if (bits == 0)
            bits = 2048;
        if (bits < 2048 || bits > 4096) {
            setError(error, QStringLiteral("RSA key size %1 refused: use 2048 to 4096 bits").arg(bits));
            return std::nullopt;
        }
        raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(bits));
    } else if (algorithm == kEd25519) {
        raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    } else {
        setError(error, QStringLiteral("unknown DKIM algorithm '%1' (rsa-sha256 or ed25519-sha256)").arg(algorithm));
        return std::nullopt;
    }
    if (!raw) {
        setError(error, QStringLiteral("key generation failed: %1").arg(opensslError()));
        return std::nullopt;
    }
    return wrap(raw, error);
}

std::optional<DkimKey> DkimKey::fromPem(const QByteArray &pem, QString *error)
{
    const QByteArray trimmed = pem.trimmed();
    if (trimmed.isEmpty()) {
        setError(error, QStringLiteral("empty key"));
        return std::nullopt;
    }
    if (!trimmed.startsWith("-----BEGIN")) {
        // dkimpy's Ed25519 private key: base64 of the 32-byte seed.
        const std::optional<QByteArray> seed = dkimDecodeBase64(trimmed);
        if (!seed || seed->size() != 32) {
            setError(error, QStringLiteral("not a PEM key nor a base64 Ed25519 seed of 32 bytes"));
            return std::nullopt;
        }
        EVP_PKEY *raw = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                                     reinterpret_cast<const unsigned char *>(seed->constData()),
                                                     size_t(seed->size()));
        if (!raw) {
            setError(error, QStringLiteral("bad Ed25519 seed: %1").arg(opensslError()));
            return std::nullopt;
        }
        return wrap(raw, error);
    }
    if (trimmed.contains("ENCRYPTED")) {
        setError(error, QStringLiteral("encrypted private keys are not supported"));
        return std::nullopt;
    }
    BIO *bio = BIO_new_mem_buf(trimmed.constData(), int(trimmed.size()));
    if (!bio) {
        setError(error, opensslError());
        return std::nullopt;
    }
    EVP_PKEY *raw = PEM_read_bio_PrivateKey(bio, nullptr, noPassphrase, nullptr);
    BIO_free(bio);
    if (!raw) {
        setError(error, QStringLiteral("not a private key in PEM: %1").arg(opensslError()));
        return std::nullopt;
    }
    ERR_clear_error();
    return wrap(raw, error);
}

QByteArray DkimKey::privateKeyPem() const
{
    if (!pkey)
        return {};
    BIO *bio = BIO_new(BIO_s_mem());
    QByteArray out;
    if (bio && PEM_write_bio_PKCS8PrivateKey(bio, pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1) {
        char *data = nullptr;
        const long len = BIO_get_mem_data(bio, &data);
        out = QByteArray(data, len);
    }
    BIO_free(bio);
    return out;
}

QByteArray DkimKey::publicKeyBase64() const
{
    if (!pkey)
        return {};
    QByteArray der;
    if (EVP_PKEY_get_base_id(pkey.get()) == EVP_PKEY_ED25519) {
        size_t len = 0;
        if (EVP_PKEY_get_raw_public_key(pkey.get(), nullptr, &len) != 1)
            return {};
        der.resize(qsizetype(len));
        if (EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char *>(der.data()), &len) != 1)
            return {};
    } else {
        const int len = i2d_PUBKEY(pkey.get(), nullptr);
        if (len <= 0)
            return {};
        der.resize(len);
        auto *p = reinterpret_cast<unsigned char *>(der.data());
        if (i2d_PUBKEY(pkey.get(), &p) != len)
            return {};
    }
    return der.toBase64();
}

QString DkimKey::dnsRecord() const
{
    if (!pkey)
        return {};
    const QString type = algorithm == kEd25519 ? QStringLiteral("ed25519") : QStringLiteral("rsa");
    return QStringLiteral("v=DKIM1; k=%1; p=%2").arg(type, QString::fromLatin1(publicKeyBase64()));
}

int DkimKey::bits() const
{
    if (!pkey)
        return 0;
    if (EVP_PKEY_get_base_id(pkey.get()) == EVP_PKEY_ED25519)
        return 256;
    return EVP_PKEY_get_bits(pkey.get());
}

QByteArray DkimKey::sign(QByteArrayView data, QString *error) const
{
    if (!pkey) {
        setError(error, QStringLiteral("no key"));
        return {};
    }
    const bool ed = EVP_PKEY_get_base_id(pkey.get()) == EVP_PKEY_ED25519;
    const QByteArray digest = ed ? dkimSha256(data) : QByteArray();
    const QByteArrayView input = ed ? QByteArrayView(digest) : data;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    QByteArray sig;
    size_t len = 0;
    const auto *in = reinterpret_cast<const unsigned char *>(input.data());
    bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, ed ? nullptr : EVP_sha256(), nullptr, pkey.get()) == 1
              && EVP_DigestSign(ctx, nullptr, &len, in, size_t(input.size())) == 1;
    if (ok) {
        sig.resize(qsizetype(len));
        ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(sig.data()), &len, in, size_t(input.size())) == 1;
        sig.resize(qsizetype(len));
    }
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        setError(error, QStringLiteral("signing failed: %1").arg(opensslError()));
        return {};
    }
    return sig;
}

QStringList splitTxtForDns(const QString &value)
{
    const QByteArray bytes = value.toUtf8();
    QStringList out;
    qsizetype pos = 0;
    while (pos < bytes.size()) {
        qsizetype len = std::min<qsizetype>(255, bytes.size() - pos);
        // Do not cut a UTF-8 sequence (values are ASCII in practice).
        while (len > 1 && pos + len < bytes.size() && (static_cast<unsigned char>(bytes[pos + len]) & 0xC0) == 0x80)
            --len;
        out.append(QString::fromUtf8(bytes.mid(pos, len)));
        pos += len;
    }
    if (out.isEmpty())
        out.append(QString());
    return out;
}

QString txtZoneFileText(const QString &value)
{
    QStringList quoted;
    for (QString part : splitTxtForDns(value)) {
        part.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
        part.replace(QLatin1Char('"'), QStringLiteral("\\\""));
        quoted.append(QLatin1Char('"') + part + QLatin1Char('"'));
    }
    return quoted.join(QLatin1Char(' '));
}

} // namespace rd::mailauth

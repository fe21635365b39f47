#include "tls/tlsmaterial.h"

#include "util/fsutil.h"

#include <QFile>
#include <QMutex>
#include <QMutexLocker>
#include <QSslCipher>
#include <QSslKey>
#include <QSslSocket>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/provider.h>

#include <algorithm>
#include <cstdio>

namespace rd::tls::detail {
namespace {

struct Passphrase {
    QByteArray value;
    bool asked = false;
};

int passphraseCallback(char *buf, int size, int, void *user)
{
    auto *p = static_cast<Passphrase *>(user);
    p->asked = true;
    const int n = int(std::min<qsizetype>(p->value.size(), size));
    std::copy_n(p->value.constData(), n, buf);
    return n;
}

} // namespace

// Mozilla "intermediate" TLS 1.2 suites without DHE: forward secrecy and AEAD only.
namespace {
constexpr const char *kTls12Ciphers[] = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
};
} // namespace

// The most recent OpenSSL error's reason, and the queue cleared.
QString sslReason()
{
    const unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : nullptr;
    ERR_clear_error();
    return r ? QString::fromLatin1(r) : QStringLiteral("unknown OpenSSL error");
}

BioPtr memBio(const QByteArray &data)
{
    return BioPtr(BIO_new_mem_buf(data.constData(), int(data.size())));
}

QByteArray bioBytes(BIO *bio)
{
    char *data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return QByteArray(data, int(len));
}

QByteArray keyToPem(EVP_PKEY *key)
{
    BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio || !PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
        return {};
    return bioBytes(bio.get());
}

void wipe(QByteArray &secret)
{
    OPENSSL_cleanse(secret.data(), size_t(secret.size()));
    secret.clear();
}

// Every certificate in a PEM text (other blocks are skipped). *damaged is set
// when a CERTIFICATE block does not parse.
std::vector<X509Ptr> readCertificates(const QByteArray &pem, bool *damaged)
{
    std::vector<X509Ptr> out;
    BioPtr bio = memBio(pem);
    while (X509 *x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        out.emplace_back(x);
    ERR_clear_error(); // the loop ends on "no start line"
    const qsizetype blocks = pem.count("-----BEGIN CERTIFICATE-----") + pem.count("-----BEGIN X509 CERTIFICATE-----");
    *damaged = qsizetype(out.size()) < blocks;
    return out;
}

KeyPtr readKey(const QByteArray &pem, const QByteArray &passphrase, QString *error)
{
    Passphrase p{passphrase};
    BioPtr bio = memBio(pem);
    KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphraseCallback, &p));
    ERR_clear_error();
    if (!key && error) {
        if (!p.asked)
            *error = QStringLiteral("not a PEM private key");
        else if (passphrase.isEmpty())
            *error = QStringLiteral("the private key is encrypted: enter its passphrase");
        else
            *error = QStringLiteral("wrong passphrase for the private key");
    }
    return key;
}

// Puts the certificate holding `key`'s public half first and each issuer after
// the certificate it issued. Certificates outside that chain are dropped and
// counted in *dropped. False if no certificate matches the key.
bool orderChain(std::vector<X509Ptr> &certs, EVP_PKEY *key, int *dropped)
{
    auto leaf = std::find_if(certs.begin(), certs.end(),
                             [key](const X509Ptr &c) { return EVP_PKEY_eq(X509_get0_pubkey(c.get()), key) == 1; });
    ERR_clear_error();
    if (leaf == certs.end())
        return false;
    std::vector<X509Ptr> ordered;
    ordered.push_back(std::move(*leaf));
    certs.erase(leaf);
    while (!certs.empty() && X509_self_signed(ordered.back().get(), 0) != 1) {
        X509 *last = ordered.back().get();
        auto issuer = std::find_if(certs.begin(), certs.end(), [last](const X509Ptr &c) {
            return X509_check_issued(c.get(), last) == X509_V_OK;
        });
        if (issuer == certs.end())
            break;
        ordered.push_back(std::move(*issuer));
        certs.erase(issuer);
    }
    ERR_clear_error();
    *dropped = int(certs.size());
    certs = std::move(ordered);
    return true;
}

// True (and the queue cleared) if an algorithm could not be fetched: with
// OpenSSL 3 that is what RC2-40 and friends give without the legacy provider.
bool unsupportedAlgorithm()
{
    bool unsupported = false;
    while (const unsigned long e = ERR_get_error()) {
        const int reason = ERR_GET_REASON(e);
        unsupported = unsupported || reason == ERR_R_UNSUPPORTED || reason == ERR_R_FETCH_FAILED
                      || (ERR_GET_LIB(e) == ERR_LIB_EVP
                          && (reason == EVP_R_UNSUPPORTED_ALGORITHM || reason == EVP_R_UNKNOWN_CIPHER
                              || reason == EVP_R_UNSUPPORTED_CIPHER));
    }
    return unsupported;
}

// The legacy provider (RC2, RC4, DES...) for old PFX files. Loading any provider
// explicitly ends OpenSSL's implicit loading of "default", so that one is pinned too.
bool ensureLegacyProvider()
{
    static QBasicMutex mutex;
    static bool loaded = false;
    QMutexLocker lock(&mutex);
    if (loaded || OSSL_PROVIDER_available(nullptr, "legacy") == 1)
        return loaded = true;
    static OSSL_PROVIDER *defaultProvider = OSSL_PROVIDER_load(nullptr, "default");
    Q_UNUSED(defaultProvider);
    static OSSL_PROVIDER *legacyProvider = nullptr; // kept reachable for the process lifetime
    legacyProvider = OSSL_PROVIDER_load(nullptr, "legacy");
    loaded = legacyProvider != nullptr;
    ERR_clear_error();
    return loaded;
}

// Validated subjectAltName entries: host names in ACE form and IP addresses,

// Writes via <path>.tmp created 0600, fsync, then rename (replacing).
bool writePrivateFile(const QString &path, const QByteArray &data, QString *error)
{
    const QString tmp = path + QStringLiteral(".tmp");
    QFile::remove(tmp);
    QFile f(tmp);
    if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly, QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        *error = QStringLiteral("cannot create %1: %2").arg(tmp, f.errorString());
        return false;
    }
    const bool written = f.write(data) == data.size() && f.flush();
    f.close();
    if (!written || !util::syncFile(tmp, error)) {
        if (!written)
            *error = QStringLiteral("cannot write %1: %2").arg(tmp, f.errorString());
        QFile::remove(tmp);
        return false;
    }
#ifdef Q_OS_WIN
    QFile::remove(path);
#endif
    if (std::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData()) != 0) {
        *error = QStringLiteral("cannot rename %1").arg(tmp);
        QFile::remove(tmp);
        return false;
    }
    return true;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QList<QSslCertificate> toQt(const std::vector<X509Ptr> &chain)
{
    QList<QSslCertificate> out;
    for (const X509Ptr &x : chain) {
        unsigned char *der = nullptr;
        const int len = i2d_X509(x.get(), &der);
        if (len > 0)
            out << QSslCertificate(QByteArray(reinterpret_cast<const char *>(der), len), QSsl::Der);
        OPENSSL_free(der);
    }
    return out;
}

// Reads the certificates of `pem` into *chain; false with *error if there are none or one is damaged.
bool readChain(const QByteArray &pem, std::vector<X509Ptr> *chain, QString *error)
{
    bool damaged = false;
    *chain = readCertificates(pem, &damaged);
    if (chain->empty() || damaged)
        *error = damaged && !chain->empty() ? QStringLiteral("a certificate in the PEM file is damaged") : kNotPem;
    return !chain->empty() && !damaged;
}

// Orders the chain behind the key's certificate; false with `mismatch` as *error if none matches.
bool orderChainOrFail(std::vector<X509Ptr> *chain, EVP_PKEY *key, QStringList *warnings, QString *error,
                      const QString &mismatch)
{
    int dropped = 0;
    if (!orderChain(*chain, key, &dropped)) {
        *error = mismatch;
        return false;
    }
    if (dropped)
        *warnings << QStringLiteral("%1 certificate(s) in the file are not part of the chain and were not stored").arg(dropped);
    return true;
}


bool parsePem(const QByteArray &certAndChainPem, const QByteArray &keyPem, const QByteArray &keyPassphrase,
              ParsedMaterial *out, QString *error)
{
    if (!readChain(certAndChainPem, &out->chain, error))
        return false;
    out->key = readKey(keyPem.isEmpty() ? certAndChainPem : keyPem, keyPassphrase, error);
    return out->key && orderChainOrFail(&out->chain, out->key.get(), &out->warnings, error, kKeyMismatch);
}

bool parsePkcs12(const QByteArray &pfx, const QString &password, ParsedMaterial *out, QString *error)
{
    BioPtr bio = memBio(pfx);
    P12Ptr p12(d2i_PKCS12_bio(bio.get(), nullptr));
    if (!p12) {
        ERR_clear_error();
        *error = kCorruptPfx;
        return false;
    }
    QByteArray pass = password.toUtf8();
    const char *passArg = pass.constData();
    if (PKCS12_mac_present(p12.get())) {
        bool macOk = PKCS12_verify_mac(p12.get(), passArg, int(pass.size())) == 1;
        if (!macOk && pass.isEmpty()) { // some tools use a NULL password, others ""
            passArg = nullptr;
            macOk = PKCS12_verify_mac(p12.get(), nullptr, 0) == 1;
        }
        const unsigned long e = ERR_peek_last_error();
        const bool unsupported = unsupportedAlgorithm();
        if (!macOk) {
            const bool wrong = e == 0 || ERR_GET_REASON(e) == PKCS12_R_MAC_VERIFY_FAILURE;
            *error = wrong         ? kWrongPfxPassword
                     : unsupported ? QStringLiteral("the PFX file's integrity check uses an unsupported algorithm")
                                   : kCorruptPfx;
            wipe(pass);
            return false;
        }
    }
    EVP_PKEY *key = nullptr;
    X509 *cert = nullptr;
    STACK_OF(X509) *ca = nullptr;
    auto parse = [&] { return PKCS12_parse(p12.get(), passArg, &key, &cert, &ca) == 1; };
    bool parsed = parse();
    if (!parsed && unsupportedAlgorithm()) {
        if (!ensureLegacyProvider()) {
            *error = QStringLiteral("the PFX file uses legacy encryption (RC2/3DES) and OpenSSL's legacy provider "
                                    "is not available; install it or re-export the file with AES-256");
            wipe(pass);
            return false;
        }
        parsed = parse();
    }
    wipe(pass);
    if (!parsed) { // the password passed the MAC check (when there is one)
        ERR_clear_error();
        *error = PKCS12_mac_present(p12.get()) ? QStringLiteral("the PFX file uses an unsupported encryption algorithm")
                                               : kWrongPfxPassword;
        return false;
    }
    out->key.reset(key);
    if (cert)
        out->chain.emplace_back(cert);
    while (ca && sk_X509_num(ca) > 0)
        out->chain.emplace_back(sk_X509_shift(ca));
    sk_X509_free(ca);
    if (!out->key || out->chain.empty()) {
        *error = out->key ? QStringLiteral("the PFX file contains no certificate")
                          : QStringLiteral("the PFX file contains no private key");
        return false;
    }
    return orderChainOrFail(&out->chain, out->key.get(), &out->warnings, error, kKeyMismatch);
}

std::optional<QSslConfiguration> buildServerConfiguration(EVP_PKEY *key, const std::vector<X509Ptr> &chain,
                                                          const QString &name, QString *error)
{
    auto fail = [error](const QString &text) {
        if (error)
            *error = text;
        return std::nullopt;
    };
    if (QSslSocket::activeBackend() != QLatin1String("openssl") || !QSslSocket::supportsSsl())
        return fail(QStringLiteral("TLS needs Qt's OpenSSL backend (active: %1)").arg(QSslSocket::activeBackend()));
    const bool matches = key && !chain.empty() && EVP_PKEY_eq(X509_get0_pubkey(chain.front().get()), key) == 1;
    ERR_clear_error();
    if (!matches)
        return fail(QStringLiteral("the certificate or key file of \"%1\" is unreadable or they do not match").arg(name));
    QSslKey sslKey;
    const int baseId = EVP_PKEY_get_base_id(key);
    if (baseId == EVP_PKEY_RSA || baseId == EVP_PKEY_EC) {
        QByteArray keyPem = keyToPem(key);
        sslKey = QSslKey(keyPem, baseId == EVP_PKEY_RSA ? QSsl::Rsa : QSsl::Ec);
        wipe(keyPem);
    } else { // Ed25519 and others: Qt takes the OpenSSL key as an opaque handle and owns it
        EVP_PKEY_up_ref(key);
        sslKey = QSslKey(Qt::HANDLE(key), QSsl::PrivateKey);
    }
    if (sslKey.isNull())
        return fail(QStringLiteral("the private key of \"%1\" could not be loaded").arg(name));

    QList<QSslCipher> ciphers;
    const QList<QSslCipher> supported = QSslConfiguration::supportedCiphers();
    for (const char *cipher : kTls12Ciphers) {
        for (const QSslCipher &c : supported) {
            if (c.name() == QLatin1String(cipher))
                ciphers << c;
        }
    }
    if (ciphers.isEmpty())
        return fail(QStringLiteral("the TLS library offers none of the required ECDHE/AEAD ciphers"));

    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setCaCertificates({}); // a server that requests no client certificate needs no trust store
    c.setLocalCertificateChain(toQt(chain));
    c.setPrivateKey(sslKey);
    c.setProtocol(QSsl::TlsV1_2OrLater);
    c.setCiphers(ciphers); // TLS 1.2 only: Qt leaves the TLS 1.3 suites at OpenSSL's defaults
    c.setPeerVerifyMode(QSslSocket::VerifyNone);
    c.setSslOption(QSsl::SslOptionDisableServerCipherPreference, false);
    c.setSslOption(QSsl::SslOptionDisableLegacyRenegotiation, true);
    c.setSslOption(QSsl::SslOptionDisableCompression, true);
    return c;
}

} // namespace rd::tls::detail

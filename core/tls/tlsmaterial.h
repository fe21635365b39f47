#pragma once
// Internal OpenSSL helpers shared by the certificate store and linked
// (path-referenced) certificates: parsing PEM/PKCS#12 material, ordering a
// chain behind its key, building a listener's QSslConfiguration, and writing
// owner-only files. Not part of core's public API: only core/tls uses it.
// Thread: all functions are reentrant.

#include <QByteArray>
#include <QList>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QString>
#include <QStringList>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <optional>
#include <vector>

namespace rd::tls::detail {

template <auto Fn>
struct Free {
    template <typename T>
    void operator()(T *p) const { Fn(p); }
};
using BioPtr = std::unique_ptr<BIO, Free<BIO_free_all>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Free<X509_REQ_free>>;
using P12Ptr = std::unique_ptr<PKCS12, Free<PKCS12_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Free<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Free<X509_EXTENSION_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Free<GENERAL_NAMES_free>>;

inline const QString kCorruptPfx = QStringLiteral("the file is corrupt or not a PKCS#12 file");
inline const QString kWrongPfxPassword = QStringLiteral("wrong password for the PFX file");
inline const QString kKeyMismatch = QStringLiteral("the private key does not match the certificate");
inline const QString kNotPem = QStringLiteral("not a PEM certificate");

// The most recent OpenSSL error's reason, and the queue cleared.
QString sslReason();
BioPtr memBio(const QByteArray &data);
QByteArray bioBytes(BIO *bio);
// Unencrypted PKCS#8 PEM (in OpenSSL secure memory until returned).
QByteArray keyToPem(EVP_PKEY *key);
// Overwrites and clears a secret.
void wipe(QByteArray &secret);
// Every certificate in a PEM text; *damaged when a CERTIFICATE block does not parse.
std::vector<X509Ptr> readCertificates(const QByteArray &pem, bool *damaged);
// A private key (PKCS#1, SEC1, PKCS#8, optionally encrypted); null with *error.
KeyPtr readKey(const QByteArray &pem, const QByteArray &passphrase, QString *error);
// Leaf (matching `key`) first, each issuer after what it issued; others dropped (*dropped).
bool orderChain(std::vector<X509Ptr> &certs, EVP_PKEY *key, int *dropped);
// True (queue cleared) if an algorithm could not be fetched (legacy PKCS#12 ciphers).
bool unsupportedAlgorithm();
// Loads OpenSSL's legacy provider once; false if unavailable.
bool ensureLegacyProvider();
// Writes via <path>.tmp created 0600, fsync, then rename (replacing).
bool writePrivateFile(const QString &path, const QByteArray &data, QString *error);
// The whole file, or empty if unreadable.
QByteArray readFile(const QString &path);
QList<QSslCertificate> toQt(const std::vector<X509Ptr> &chain);
// The certificates of `pem`; false with *error if there are none or one is damaged.
bool readChain(const QByteArray &pem, std::vector<X509Ptr> *chain, QString *error);
// orderChain() with `mismatch` as *error and a warning for dropped certificates.
bool orderChainOrFail(std::vector<X509Ptr> *chain, EVP_PKEY *key, QStringList *warnings, QString *error,
                      const QString &mismatch);

// Key + leaf-first chain parsed from certificate material.
struct ParsedMaterial {
    KeyPtr key;
    std::vector<X509Ptr> chain;
    QStringList warnings;
};
// PEM certificate(s) + key (keyPem empty: the key is in certAndChainPem). False with *error.
bool parsePem(const QByteArray &certAndChainPem, const QByteArray &keyPem, const QByteArray &keyPassphrase,
              ParsedMaterial *out, QString *error);
// A PKCS#12/PFX file (legacy provider loaded on demand). False with *error.
bool parsePkcs12(const QByteArray &pfx, const QString &password, ParsedMaterial *out, QString *error);

// The listener configuration for a validated key + chain (see
// CertificateStore::serverConfiguration for the TLS settings). `name` is used
// in error texts only. nullopt with *error.
std::optional<QSslConfiguration> buildServerConfiguration(EVP_PKEY *key, const std::vector<X509Ptr> &chain,
                                                          const QString &name, QString *error);

} // namespace rd::tls::detail

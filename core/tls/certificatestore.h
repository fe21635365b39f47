#pragma once
// The certificate and private-key store behind the SMTP listeners' TLS.
//
// One folder (normally dataDir/tls, mode 0700) holds, per certificate id:
//   <id>.crt.pem  leaf certificate followed by its chain (0600)
//   <id>.key.pem  the private key, unencrypted PKCS#8 PEM (0600)
//   <id>.csr.pem  the signing request, only while a CSR is pending (0600)
//   <id>.json     display name, created time, source, pending flag (0600)
//   <id>.secret   a linked PFX's password (0600)
// A linked entry has only <id>.json (+ <id>.secret): it references the admin's
// PEM or PFX files by absolute path, and they are read again on every use.
// The <id>.json file is written last and removed first: it is what makes an
// entry exist. Leftovers without it (a crash mid-import) are removed by open()
// once they are ten minutes old (younger ones may be another process's import).
//
// Private keys are protected by owner-only permissions on the file and the
// folder, as Postfix (smtpd_tls_key_file) and OpenSMTPD (pki key) do; they are
// not encrypted at rest (a machine key for that is a later issue). Keys never
// leave this class: callers get a ready QSslConfiguration, certificates and
// metadata, never key bytes, and no error message or log text contains them.
//
// Thread: every method is synchronous and may block on disk and on key
// generation (RSA-3072 takes ~1 s); run them off the GUI thread. Methods are
// serialized by an internal mutex, so one store may be shared between the
// engine thread (serverConfiguration) and a worker (imports).

#include "tls/certificateinfo.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMutex>
#include <QSslConfiguration>
#include <QString>
#include <QStringList>

#include <optional>

namespace rd::tls {

enum class KeyType { Rsa2048, Rsa3072, EcdsaP256 };

struct ImportResult {
    bool ok = false;
    QString id;             // the new entry's id when ok
    QString error;          // one clear sentence when !ok ("wrong password for the PFX file")
    CertificateInfo info;   // when ok
    QStringList warnings;   // import allowed but worth showing ("certificate has expired")
};

struct CsrResult {
    bool ok = false;
    QString id;             // the pending entry's id: pass it to importSignedCertificate()
    QString error;
    QByteArray csrPem;      // "-----BEGIN CERTIFICATE REQUEST-----..."
};

// A linked entry's files loaded and fully validated (see loadLinked()).
struct LinkedLoad {
    bool ok = false;
    QString error;                    // one clear sentence when !ok; never contains a password
    CertificateInfo info;             // when ok
    QSslConfiguration configuration;  // when ok: ready for a listener (as serverConfiguration())
    QStringList warnings;             // "1 certificate(s) in the file are not part of the chain ..."
};

struct PendingRequest {
    QString id;
    QString name;
    QString commonName;
    QStringList sans;
    QDateTime created;
    QByteArray csrPem;
};

class CertificateStore {
public:
    // Does not touch the disk; call open() before anything else.
    explicit CertificateStore(QString folder);
    ~CertificateStore();
    CertificateStore(const CertificateStore &) = delete;
    CertificateStore &operator=(const CertificateStore &) = delete;

    // The usual folder for a data directory: dataDir/tls.
    static QString defaultFolder(const QString &dataDir);

    // Creates the folder (0700), tightens file modes to 0600 and removes
    // leftovers of interrupted imports older than ten minutes. False with
    // *error if the folder cannot be created.
    bool open(QString *error);
    QString folder() const { return m_folder; }

    // Imports a PEM leaf certificate (plus any chain, in any order) and its
    // private key (PKCS#1, SEC1 or PKCS#8, optionally encrypted with
    // keyPassphrase). If keyPem is empty the key is looked for in
    // certAndChainPem (a combined file). The chain is stored leaf first, each
    // certificate followed by its issuer. On failure nothing is written.
    ImportResult importPem(const QByteArray &certAndChainPem, const QByteArray &keyPem,
                           const QByteArray &keyPassphrase, const QString &name);

    // Imports a PKCS#12/PFX file: key, certificate and chain. Modern files
    // (AES-256, PBKDF2) work as is; legacy RC2/3DES files need OpenSSL's
    // legacy provider, which is loaded into the process on first need (the
    // error says so when it is not installed). On failure nothing is written.
    ImportResult importPkcs12(const QByteArray &pfx, const QString &password, const QString &name);

    // Creates a key and a self-signed server certificate: SHA-256, random
    // 128-bit serial, basicConstraints CA:FALSE, keyUsage digitalSignature
    // (+ keyEncipherment for RSA), extendedKeyUsage serverAuth, and a
    // subjectAltName of `sans` (host names or IP addresses; the common name is
    // added when missing). days: 1..3650.
    ImportResult generateSelfSigned(const QString &commonName, const QStringList &sans, KeyType type,
                                    int days, const QString &name);

    // Creates a key and a SHA-256 certificate signing request (same subject,
    // SAN and usage extensions as above). The key is stored under a pending id
    // until importSignedCertificate() completes it; list() does not show it,
    // pendingRequests() does.
    CsrResult createCsr(const QString &commonName, const QStringList &sans, KeyType type,
                        const QString &name);

    // Completes a pending request with the CA's answer (leaf + chain PEM). The
    // leaf's public key must match the pending key. On failure the pending
    // request stays as it was.
    ImportResult importSignedCertificate(const QString &pendingId, const QByteArray &certChainPem);

    // Linked entries (source "linked-pem" / "linked-pfx"): the store keeps the
    // absolute paths, not a copy, and reads the files again on every
    // serverConfiguration()/loadLinked() (as renewed by certbot, lego or
    // win-acme). The files are validated now (see loadLinked()); on failure
    // nothing is stored. keyPath may be empty when certPath holds the key too.
    ImportResult linkPem(const QString &certPath, const QString &keyPath, const QString &name);
    // The PFX password is kept in <id>.secret (0600), never in the metadata
    // or in any error text.
    ImportResult linkPkcs12(const QString &pfxPath, const QString &password, const QString &name);
    // Ids of linked entries, oldest first.
    QStringList linkedIds() const;
    // The files a linked entry references (cert, key or pfx); empty for a copied
    // or unknown entry. These are what CertificateWatcher watches.
    QStringList linkedFiles(const QString &id) const;
    // Reads a linked entry's files and validates them fully: every certificate
    // parses, the key matches the leaf, the leaf is valid now (not expired, not
    // before notBefore), the chain is put in order (leaf, then issuers). The
    // material never leaves the store except inside `configuration`.
    LinkedLoad loadLinked(const QString &id) const;

    // Complete entries, oldest first. Unreadable entries are skipped.
    QList<CertificateInfo> list() const;
    // CSRs waiting for their signed certificate, oldest first.
    QList<PendingRequest> pendingRequests() const;
    std::optional<CertificateInfo> info(const QString &id) const;

    // Removes an entry (complete or pending) and its key. False if unknown.
    bool remove(const QString &id);

    // The stored leaf + chain as PEM (never the key); empty if unknown.
    QByteArray exportCertificatePem(const QString &id) const;

    // A server-side TLS configuration for a listener: the certificate chain
    // and private key, TLS 1.2 or later, ECDHE + AES-GCM / CHACHA20-POLY1305
    // ciphers for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults), server
    // cipher preference, no legacy renegotiation, no compression, and no
    // client certificate request. nullopt with *error if the entry is unknown,
    // pending, unreadable, or Qt's OpenSSL backend is not active.
    std::optional<QSslConfiguration> serverConfiguration(const QString &id, QString *error) const;

    // True if `id` has the form this store generates (checked before any file access).
    static bool isValidId(const QString &id);

private:
    struct Meta;
    struct Material;
    QString path(const QString &id, const char *suffix) const;
    std::optional<Meta> readMeta(const QString &id) const;
    bool writeMeta(const QString &id, const Meta &meta, QString *error) const;
    std::optional<CertificateInfo> infoLocked(const QString &id) const;
    // Writes a new entry (or completes the pending `pendingId`); removes what
    // it wrote on any failure.
    ImportResult store(Material &&m, const QString &source, const QString &name,
                       const QString &pendingId = {});
    QStringList ids() const;
    QString newIdLocked() const;
    // certificatelink.cpp
    LinkedLoad loadLinkedLocked(const QString &id, const Meta &meta) const;
    QList<QSslCertificate> linkedChainLocked(const QString &id, const Meta &meta) const;
    CertificateInfo linkedInfoLocked(const QString &id, const Meta &meta) const;
    ImportResult linkLocked(Meta meta, const QString &password);

    QString m_folder;
    mutable QMutex m_mutex;
};

} // namespace rd::tls

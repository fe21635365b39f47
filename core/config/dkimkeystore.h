#pragma once
// DKIM signing keys: the `dkim_keys` table of config.db (schema v7), one key
// per sender domain and selector. Outbound mail whose From domain (or its
// nearest parent domain) has an enabled key is signed at delivery
// (core/delivery/dkimsigning.h).
//
// Private keys are secrets like the send connectors' passwords: they live only
// in config.db (owner-only, in an owner-only folder), are never exported,
// shown, logged or handed to the GUI. list() returns public facts only (the
// DNS record to publish is derived from the private key).
//
// Thread: the store owns its own connection, which belongs to the thread that
// constructed it; use it from that thread only. Key generation (RSA) is slow:
// not on the engine or GUI thread (AdminService runs it on its pool).

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

namespace rd::config {

// What the GUI may see of a key.
struct DkimKeyInfo {
    QString domain;        // lower case, ASCII (IDNA) form
    QString selector;
    QString algorithm;     // "rsa-sha256" or "ed25519-sha256"
    int bits = 0;          // RSA modulus size; 256 for Ed25519
    QDateTime created;     // UTC
    bool enabled = true;
    QString dnsName;       // "<selector>._domainkey.<domain>"
    QString dnsRecord;     // "v=DKIM1; k=rsa; p=..."; empty if the stored key cannot be read
    QString problem;       // why the stored key is unusable; empty when fine
};

// What the signer needs (engine only).
struct DkimSigningKey {
    QString domain;
    QString selector;
    QString algorithm;
    QByteArray privateKeyPem;
};

class DkimKeyStore {
public:
    explicit DkimKeyStore(const QString &dataDir);
    ~DkimKeyStore();
    DkimKeyStore(const DkimKeyStore &) = delete;
    DkimKeyStore &operator=(const DkimKeyStore &) = delete;

    bool isOpen() const { return m_open; }
    QString errorString() const { return m_error; }

    // Null if acceptable, else one sentence. The domain is a host name
    // (IDN allowed; stored in its ASCII form); the selector is one or more
    // DNS labels (RFC 6376 3.1), e.g. "rd2026" or "mail.eu".
    static QString validateDomain(const QString &domain);
    static QString validateSelector(const QString &selector);
    // The stored form of a domain (lower case, IDNA ASCII, no trailing dot).
    static QString normalizeDomain(const QString &domain);

    // Generates a key ("rsa-sha256" with `bits` 2048..4096, or
    // "ed25519-sha256") and stores it, enabled. Fails if the pair exists.
    bool generate(const QString &domain, const QString &selector, const QString &algorithm, int bits,
                  DkimKeyInfo *created, QString *error);
    // Stores an existing private key (PEM: PKCS#8 or PKCS#1 RSA; Ed25519
    // PKCS#8). RSA keys under 2048 bits are refused for signing.
    bool importPem(const QString &domain, const QString &selector, const QByteArray &pem, DkimKeyInfo *created,
                   QString *error);
    bool setEnabled(const QString &domain, const QString &selector, bool enabled, QString *error);
    bool remove(const QString &domain, const QString &selector, QString *error);

    // Every key, sorted by domain then selector; public facts only.
    QList<DkimKeyInfo> list(QString *error) const;
    // The enabled keys with their private keys, for the signer.
    QList<DkimSigningKey> signingKeys(QString *error) const;

private:
    bool insert(const QString &domain, const QString &selector, const QString &algorithm, const QByteArray &pem,
                DkimKeyInfo *created, QString *error);

    QString m_connection;
    QString m_error;
    bool m_open = false;
};

} // namespace rd::config

Q_DECLARE_METATYPE(rd::config::DkimKeyInfo)

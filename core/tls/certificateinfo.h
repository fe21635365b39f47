#pragma once
// What the Certificates panel, the dashboard and the log show about a stored
// certificate: names, validity, fingerprints, key type. Plain value type,
// computed from the certificate chain; it never holds key material.
// Thread: any (value type; fromChain() is reentrant).

#include <QDateTime>
#include <QList>
#include <QSslCertificate>
#include <QString>
#include <QStringList>

namespace rd::tls {

struct CertificateInfo {
    QString id;                 // store id (empty for a certificate that is not stored)
    QString name;               // display name chosen at import (filled by the store)
    QString source;             // "pem", "pkcs12", "self-signed", "csr" (filled by the store)
    QDateTime created;          // when it was stored, UTC (filled by the store)

    QString subject;            // "CN=mail.example.com, O=Example, C=DE" (RFC 2253 order)
    QString commonName;         // the subject's CN, or empty
    QStringList sans;           // subjectAltName entries in certificate order: DNS names and IP
                                // addresses as plain text, others prefixed ("email:a@b")
    QString issuer;             // same format as subject
    QDateTime notBefore, notAfter; // UTC
    QString serialNumber;       // hex, upper case, colon separated
    QString sha256Fingerprint;  // "AB:CD:..." as `openssl x509 -fingerprint -sha256` prints it
    QString sha1Fingerprint;
    QString keyType;            // "RSA", "ECDSA P-256", "ECDSA P-384", "ECDSA P-521", "Ed25519", ...
    int keyBits = 0;            // 2048, 256, ...
    bool selfSigned = false;    // issuer == subject and the signature verifies with its own key
    int chainLength = 0;        // certificates stored: leaf + chain

    enum Expiry { Ok, Warn30, Warn7, Expired };

    // Whole days until notAfter (rounded down), negative once expired.
    int daysLeft(const QDateTime &now) const;
    // Expired once now > notAfter; Warn7 from 7 days before, Warn30 from 30 days before.
    Expiry expiry(const QDateTime &now) const;

    bool isNull() const { return sha256Fingerprint.isEmpty(); }

    // Computes everything but id/name/source/created from a chain whose first
    // certificate is the leaf. An empty or null leaf gives a null info.
    static CertificateInfo fromChain(const QList<QSslCertificate> &chain);
};

// "AB:CD:EF" for bytes 0xAB 0xCD 0xEF.
QString colonHex(const QByteArray &bytes);

} // namespace rd::tls

#pragma once
// Private parts of CertificateStore shared by its two source files
// (certificatestore.cpp: copied entries; certificatelink.cpp: linked entries).

#include "tls/certificatestore.h"
#include "tls/tlsmaterial.h"

namespace rd::tls {

struct CertificateStore::Meta {
    QString name;
    QString source;
    QDateTime created;
    bool pending = false;
    QString commonName;
    QStringList sans;
    // Linked entries: absolute paths of the files they reference (cert + optional
    // key, or a PFX whose password is kept in <id>.secret, 0600).
    QString linkCert;
    QString linkKey;
    QString linkPfx;
    bool isLinked() const { return !linkCert.isEmpty() || !linkPfx.isEmpty(); }
};

struct CertificateStore::Material {
    detail::KeyPtr key;
    std::vector<detail::X509Ptr> chain; // leaf first
    QByteArray csrPem;                  // pending requests only
    QString commonName;
    QStringList sans;
    QStringList warnings;
};

} // namespace rd::tls

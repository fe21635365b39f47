#include "tls/certificateinfo.h"

#include <QCryptographicHash>
#include <QHostAddress>
#include <QtEndian>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cmath>
#include <memory>

namespace rd::tls {
namespace {

constexpr qint64 kDay = 86400;

struct X509Free {
    void operator()(X509 *x) const { X509_free(x); }
};
struct BioFree {
    void operator()(BIO *b) const { BIO_free(b); }
};
struct NamesFree {
    void operator()(GENERAL_NAMES *n) const { GENERAL_NAMES_free(n); }
};

QString asn1String(const ASN1_STRING *s)
{
    unsigned char *utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, s);
    if (len < 0)
        return {};
    const QString out = QString::fromUtf8(reinterpret_cast<const char *>(utf8), len);
    OPENSSL_free(utf8);
    return out;
}

// "CN=mail.example.com, O=Example, C=DE": RFC 2253 (most specific first), UTF-8.
QString nameToString(const X509_NAME *name)
{
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    const unsigned long flags = (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB & ~XN_FLAG_SEP_MASK)
                                | XN_FLAG_SEP_CPLUS_SPC;
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, flags) < 0)
        return {};
    char *data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return QString::fromUtf8(data, int(len));
}

QString commonNameOf(const X509_NAME *name)
{
    const int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx < 0)
        return {};
    return asn1String(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
}

QStringList subjectAltNames(X509 *x)
{
    QStringList out;
    std::unique_ptr<GENERAL_NAMES, NamesFree> names(
        static_cast<GENERAL_NAMES *>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
    if (!names)
        return out;
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names.get(), i);
        switch (gn->type) {
        case GEN_DNS:
            out << asn1String(gn->d.dNSName);
            break;
        case GEN_EMAIL:
            out << QStringLiteral("email:") + asn1String(gn->d.rfc822Name);
            break;
        case GEN_URI:
            out << QStringLiteral("URI:") + asn1String(gn->d.uniformResourceIdentifier);
            break;
        case GEN_IPADD: {
            const ASN1_OCTET_STRING *ip = gn->d.iPAddress;
            const auto *bytes = ASN1_STRING_get0_data(ip);
            QHostAddress addr;
            if (ASN1_STRING_length(ip) == 4)
                addr.setAddress(qFromBigEndian<quint32>(bytes));
            else if (ASN1_STRING_length(ip) == 16)
                addr.setAddress(bytes);
            if (!addr.isNull())
                out << addr.toString();
            break;
        }
        default:
            break; // otherName, dirName, ...: not relevant for a mail server
        }
    }
    return out;
}

void describeKey(EVP_PKEY *key, CertificateInfo *info)
{
    if (!key)
        return;
    info->keyBits = EVP_PKEY_get_bits(key);
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
        info->keyType = QStringLiteral("RSA");
        return;
    case EVP_PKEY_EC: {
        char group[80] = {};
        size_t len = 0;
        QString curve;
        if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &len) == 1) {
            const int nid = OBJ_sn2nid(group);
            const char *nist = nid != NID_undef ? EC_curve_nid2nist(nid) : nullptr;
            curve = QString::fromLatin1(nist ? nist : group);
        }
        info->keyType = curve.isEmpty() ? QStringLiteral("ECDSA") : QStringLiteral("ECDSA ") + curve;
        return;
    }
    case EVP_PKEY_ED25519:
        info->keyType = QStringLiteral("Ed25519");
        info->keyBits = 256;
        return;
    case EVP_PKEY_ED448:
        info->keyType = QStringLiteral("Ed448");
        info->keyBits = 456;
        return;
    case EVP_PKEY_DSA:
        info->keyType = QStringLiteral("DSA");
        return;
    default:
        info->keyType = QString::fromLatin1(EVP_PKEY_get0_type_name(key));
        return;
    }
}

} // namespace

QString colonHex(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toHex(':').toUpper());
}

int CertificateInfo::daysLeft(const QDateTime &now) const
{
    const qint64 secs = now.secsTo(notAfter);
    return int(std::floor(double(secs) / double(kDay)));
}

CertificateInfo::Expiry CertificateInfo::expiry(const QDateTime &now) const
{
    const qint64 secs = now.secsTo(notAfter);
    if (secs < 0)
        return Expired;
    if (secs <= 7 * kDay)
        return Warn7;
    if (secs <= 30 * kDay)
        return Warn30;
    return Ok;
}

CertificateInfo CertificateInfo::fromChain(const QList<QSslCertificate> &chain)
{
    CertificateInfo info;
    if (chain.isEmpty() || chain.first().isNull())
        return info;
    const QSslCertificate &leaf = chain.first();
    const QByteArray der = leaf.toDer();
    const auto *p = reinterpret_cast<const unsigned char *>(der.constData());
    std::unique_ptr<X509, X509Free> x(d2i_X509(nullptr, &p, der.size()));
    if (!x)
        return info;

    info.subject = nameToString(X509_get_subject_name(x.get()));
    info.commonName = commonNameOf(X509_get_subject_name(x.get()));
    info.issuer = nameToString(X509_get_issuer_name(x.get()));
    info.sans = subjectAltNames(x.get());
    info.notBefore = leaf.effectiveDate().toUTC();
    info.notAfter = leaf.expiryDate().toUTC();
    info.serialNumber = QString::fromLatin1(leaf.serialNumber()).toUpper();
    info.sha256Fingerprint = colonHex(leaf.digest(QCryptographicHash::Sha256));
    info.sha1Fingerprint = colonHex(leaf.digest(QCryptographicHash::Sha1));
    describeKey(X509_get0_pubkey(x.get()), &info);
    info.selfSigned = X509_self_signed(x.get(), 1) == 1;
    info.chainLength = int(chain.size());
    ERR_clear_error(); // X509_self_signed() leaves an entry for a CA-issued certificate
    return info;
}

} // namespace rd::tls

#include "dane/tlsa.h"

#include "dns/dnstypes.h"

#include <QRegularExpression>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

namespace rd::dane {

namespace {

struct X509Free {
    void operator()(X509 *x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr fromDer(const QByteArray &der)
{
    const auto *p = reinterpret_cast<const unsigned char *>(der.constData());
    return X509Ptr(d2i_X509(nullptr, &p, long(der.size())));
}

QByteArray spkiDer(X509 *x)
{
    unsigned char *buf = nullptr;
    const int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &buf);
    if (n <= 0)
        return QByteArray();
    QByteArray out(reinterpret_cast<const char *>(buf), n);
    OPENSSL_free(buf);
    return out;
}

QByteArray digest(const QByteArray &data, const EVP_MD *md)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.constData(), size_t(data.size()), out, &len, md, nullptr) != 1)
        return QByteArray();
    return QByteArray(reinterpret_cast<const char *>(out), int(len));
}

QByteArray assocFor(X509 *x, const QByteArray &certDer, quint8 selector, quint8 matching)
{
    QByteArray selected;
    if (selector == FullCert)
        selected = certDer;
    else if (selector == Spki)
        selected = spkiDer(x);
    else
        return QByteArray();
    switch (matching) {
    case Exact: return selected;
    case Sha256: return digest(selected, EVP_sha256());
    case Sha512: return digest(selected, EVP_sha512());
    default: return QByteArray();
    }
}

bool recordMatches(const TlsaRecord &r, X509 *x, const QByteArray &der)
{
    const QByteArray a = assocFor(x, der, r.selector, r.matching);
    return !a.isEmpty() && a == r.data;
}

QString resultTypeFor(int err)
{
    switch (err) {
    case X509_V_ERR_HOSTNAME_MISMATCH: return QStringLiteral("certificate-host-mismatch");
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID: return QStringLiteral("certificate-expired");
    default: return QStringLiteral("validation-failure");
    }
}

} // namespace

QString TlsaRecord::toString() const
{
    return QStringLiteral("%1 %2 %3 %4")
        .arg(usage)
        .arg(selector)
        .arg(matching)
        .arg(QString::fromLatin1(data.toHex().toUpper()));
}

std::optional<TlsaRecord> parseTlsaRdata(const QByteArray &rdata)
{
    if (rdata.size() < 4)
        return std::nullopt;
    TlsaRecord r;
    r.usage = quint8(rdata.at(0));
    r.selector = quint8(rdata.at(1));
    r.matching = quint8(rdata.at(2));
    r.data = rdata.mid(3);
    return r;
}

std::optional<TlsaRecord> parseTlsaText(const QString &text)
{
    const QStringList parts = text.simplified().split(QLatin1Char(' '));
    if (parts.size() < 4)
        return std::nullopt;
    TlsaRecord r;
    bool ok1 = false, ok2 = false, ok3 = false;
    const uint u = parts.at(0).toUInt(&ok1);
    const uint s = parts.at(1).toUInt(&ok2);
    const uint m = parts.at(2).toUInt(&ok3);
    if (!ok1 || !ok2 || !ok3 || u > 255 || s > 255 || m > 255)
        return std::nullopt;
    const QString hex = parts.mid(3).join(QString());
    static const QRegularExpression hexRe(QStringLiteral("^([0-9A-Fa-f]{2})+$"));
    if (!hexRe.match(hex).hasMatch())
        return std::nullopt;
    r.usage = quint8(u);
    r.selector = quint8(s);
    r.matching = quint8(m);
    r.data = QByteArray::fromHex(hex.toLatin1());
    return r;
}

bool isUsable(const TlsaRecord &r)
{
    if (r.usage != DaneTa && r.usage != DaneEe)
        return false;
    if (r.selector != FullCert && r.selector != Spki)
        return false;
    switch (r.matching) {
    case Exact: return !r.data.isEmpty();
    case Sha256: return r.data.size() == 32;
    case Sha512: return r.data.size() == 64;
    default: return false;
    }
}

QList<TlsaRecord> usableRecords(const QList<TlsaRecord> &records)
{
    QList<TlsaRecord> out;
    for (const TlsaRecord &r : records) {
        if (isUsable(r))
            out << r;
    }
    return out;
}

QByteArray associationData(const QByteArray &certDer, quint8 selector, quint8 matching)
{
    X509Ptr x = fromDer(certDer);
    if (!x)
        return QByteArray();
    return assocFor(x.get(), certDer, selector, matching);
}

DaneMatch matchChain(const QList<QByteArray> &chainDer, const QList<TlsaRecord> &records, const QStringList &names,
                     const QDateTime &now)
{
    DaneMatch m;
    m.resultType = QStringLiteral("validation-failure");
    const QList<TlsaRecord> usable = usableRecords(records);
    if (usable.isEmpty()) {
        m.detail = QStringLiteral("no usable TLSA record");
        return m;
    }
    if (chainDer.isEmpty()) {
        m.detail = QStringLiteral("the server sent no certificate");
        return m;
    }
    std::vector<X509Ptr> chain;
    for (const QByteArray &der : chainDer) {
        X509Ptr x = fromDer(der);
        if (!x) {
            m.detail = QStringLiteral("unparsable certificate in the server's chain");
            return m;
        }
        chain.push_back(std::move(x));
    }

    // DANE-EE: the leaf's certificate or key, nothing else checked.
    for (const TlsaRecord &r : usable) {
        if (r.usage == DaneEe && recordMatches(r, chain.front().get(), chainDer.front())) {
            m.matched = true;
            m.usage = DaneEe;
            m.depth = 0;
            m.resultType.clear();
            m.detail = QStringLiteral("DANE-EE %1 %2 %3 matched the server certificate")
                           .arg(r.usage)
                           .arg(r.selector)
                           .arg(r.matching);
            return m;
        }
    }

    // DANE-TA: a trust anchor from the chain, then a PKIX check up to it.
    QString lastError = QStringLiteral("no TLSA record matched the server certificate or its chain");
    for (const TlsaRecord &r : usable) {
        if (r.usage != DaneTa)
            continue;
        for (size_t depth = 0; depth < chain.size(); ++depth) {
            if (!recordMatches(r, chain[depth].get(), chainDer.at(qsizetype(depth))))
                continue;
            X509_STORE *store = X509_STORE_new();
            X509_STORE_add_cert(store, chain[depth].get());
            STACK_OF(X509) *untrusted = sk_X509_new_null();
            for (size_t i = 1; i < chain.size(); ++i)
                sk_X509_push(untrusted, chain[i].get());
            X509_STORE_CTX *ctx = X509_STORE_CTX_new();
            X509_STORE_CTX_init(ctx, store, chain.front().get(), untrusted);
            X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
            X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
            X509_VERIFY_PARAM_set_time(param, time_t(now.toSecsSinceEpoch()));
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            bool first = true;
            for (const QString &n : names) {
                const QByteArray host = n.toLower().toLatin1();
                if (first)
                    X509_VERIFY_PARAM_set1_host(param, host.constData(), size_t(host.size()));
                else
                    X509_VERIFY_PARAM_add1_host(param, host.constData(), size_t(host.size()));
                first = false;
            }
            const int ok = X509_verify_cert(ctx);
            const int err = X509_STORE_CTX_get_error(ctx);
            X509_STORE_CTX_free(ctx);
            sk_X509_free(untrusted); // the certificates are owned by `chain`
            X509_STORE_free(store);
            if (ok == 1) {
                m.matched = true;
                m.usage = DaneTa;
                m.depth = int(depth);
                m.resultType.clear();
                m.detail = QStringLiteral("DANE-TA %1 %2 %3 matched the certificate at depth %4")
                               .arg(r.usage)
                               .arg(r.selector)
                               .arg(r.matching)
                               .arg(depth);
                return m;
            }
            m.resultType = resultTypeFor(err);
            lastError = QStringLiteral("DANE-TA anchor at depth %1 matched but the chain failed: %2")
                            .arg(depth)
                            .arg(QString::fromUtf8(X509_verify_cert_error_string(err)));
        }
    }
    m.detail = lastError;
    return m;
}

QStringList daneRemoteResolvers(const QStringList &servers)
{
    QStringList remote;
    for (const QString &text : servers) {
        const std::optional<dns::ServerAddress> server = dns::parseServerAddress(text.trimmed());
        if (!server || !server->address.isLoopback())
            remote << text.trimmed();
    }
    return remote;
}

} // namespace rd::dane

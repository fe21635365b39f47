// CertificateStore: linked entries (files referenced by path, see certificatestore.h).
#include "tls/certificatestore.h"
#include "tls/certificatestore_p.h"
#include "util/fsutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMutexLocker>

#include <openssl/err.h>
#include <openssl/x509.h>

namespace rd::tls {
using namespace detail;
namespace {

constexpr qint64 kMaxLinkedFile = 1 << 20; // a certificate file is never a megabyte

// The file's bytes; false with *error naming the file when it cannot be read.
bool readLinked(const QString &path, QByteArray *data, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(QDir::toNativeSeparators(path), f.errorString());
        return false;
    }
    if (f.size() > kMaxLinkedFile) {
        *error = QStringLiteral("%1 is too large to be a certificate file").arg(QDir::toNativeSeparators(path));
        return false;
    }
    *data = f.readAll();
    return true;
}

} // namespace

LinkedLoad CertificateStore::loadLinkedLocked(const QString &id, const Meta &meta) const
{
    Q_UNUSED(id);
    LinkedLoad r;
    ParsedMaterial parsed;
    if (!meta.linkPfx.isEmpty()) {
        QByteArray pfx;
        if (!readLinked(meta.linkPfx, &pfx, &r.error))
            return r;
        QByteArray secret = readFile(path(id, ".secret"));
        const QString password = QString::fromUtf8(secret);
        wipe(secret);
        if (!parsePkcs12(pfx, password, &parsed, &r.error)) {
            r.error = QStringLiteral("%1: %2").arg(QDir::toNativeSeparators(meta.linkPfx), r.error);
            return r;
        }
    } else {
        QByteArray cert, key;
        if (!readLinked(meta.linkCert, &cert, &r.error)
            || (!meta.linkKey.isEmpty() && !readLinked(meta.linkKey, &key, &r.error)))
            return r;
        const bool ok = parsePem(cert, key, {}, &parsed, &r.error);
        wipe(key);
        if (!ok) {
            r.error = QStringLiteral("%1: %2").arg(QDir::toNativeSeparators(meta.linkCert), r.error);
            return r;
        }
    }
    r.info = CertificateInfo::fromChain(toQt(parsed.chain));
    if (r.info.isNull()) {
        r.error = QStringLiteral("the certificate could not be read");
        return r;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (now > r.info.notAfter) {
        r.error = QStringLiteral("the certificate expired on %1").arg(r.info.notAfter.toString(Qt::ISODate));
        return r;
    }
    if (now < r.info.notBefore) {
        r.error = QStringLiteral("the certificate is not valid before %1").arg(r.info.notBefore.toString(Qt::ISODate));
        return r;
    }
    // orderChain() stops at the first certificate without its issuer in the
    // file: anything left over is a chain in the wrong shape, worth a warning.
    r.warnings = parsed.warnings;
    std::optional<QSslConfiguration> c = buildServerConfiguration(parsed.key.get(), parsed.chain, meta.name, &r.error);
    if (!c)
        return r;
    r.configuration = *c;
    r.info.id = id;
    r.info.name = meta.name;
    r.info.source = meta.source;
    r.info.created = meta.created;
    r.ok = true;
    return r;
}

QList<QSslCertificate> CertificateStore::linkedChainLocked(const QString &id, const Meta &meta) const
{
    if (meta.linkPfx.isEmpty()) {
        QByteArray pem;
        QString error;
        return readLinked(meta.linkCert, &pem, &error) ? QSslCertificate::fromData(pem) : QList<QSslCertificate>{};
    }
    const LinkedLoad load = loadLinkedLocked(id, meta);
    return load.ok ? load.configuration.localCertificateChain() : QList<QSslCertificate>{};
}

CertificateInfo CertificateStore::linkedInfoLocked(const QString &id, const Meta &meta) const
{
    return CertificateInfo::fromChain(linkedChainLocked(id, meta));
}

ImportResult CertificateStore::linkLocked(Meta meta, const QString &password)
{
    ImportResult r;
    const QString id = newIdLocked();
    if (!meta.linkPfx.isEmpty()) {
        QByteArray secret = password.toUtf8();
        const bool ok = writePrivateFile(path(id, ".secret"), secret, &r.error);
        wipe(secret);
        if (!ok)
            return r;
    }
    const LinkedLoad load = loadLinkedLocked(id, meta);
    if (!load.ok || !writeMeta(id, meta, &r.error)) {
        if (!load.ok)
            r.error = load.error;
        QFile::remove(path(id, ".secret"));
        return r;
    }
    util::syncDir(m_folder, nullptr);
    r.ok = true;
    r.id = id;
    r.info = load.info;
    r.info.id = id;
    r.warnings = load.warnings;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (r.info.expiry(now) != CertificateInfo::Ok)
        r.warnings << QStringLiteral("certificate expires in %1 days").arg(r.info.daysLeft(now));
    return r;
}

ImportResult CertificateStore::linkPem(const QString &certPath, const QString &keyPath, const QString &name)
{
    QMutexLocker lock(&m_mutex);
    Meta meta;
    meta.source = QStringLiteral("linked-pem");
    meta.created = QDateTime::currentDateTimeUtc();
    meta.linkCert = QFileInfo(certPath).absoluteFilePath();
    meta.linkKey = keyPath.isEmpty() ? QString() : QFileInfo(keyPath).absoluteFilePath();
    meta.name = name.trimmed().isEmpty() ? QFileInfo(certPath).fileName() : name.trimmed();
    if (certPath.isEmpty()) {
        ImportResult r;
        r.error = QStringLiteral("choose the certificate file");
        return r;
    }
    return linkLocked(meta, {});
}

ImportResult CertificateStore::linkPkcs12(const QString &pfxPath, const QString &password, const QString &name)
{
    QMutexLocker lock(&m_mutex);
    Meta meta;
    meta.source = QStringLiteral("linked-pfx");
    meta.created = QDateTime::currentDateTimeUtc();
    meta.linkPfx = QFileInfo(pfxPath).absoluteFilePath();
    meta.name = name.trimmed().isEmpty() ? QFileInfo(pfxPath).fileName() : name.trimmed();
    if (pfxPath.isEmpty()) {
        ImportResult r;
        r.error = QStringLiteral("choose the PFX file");
        return r;
    }
    return linkLocked(meta, password);
}

QStringList CertificateStore::linkedIds() const
{
    QMutexLocker lock(&m_mutex);
    QList<std::pair<QDateTime, QString>> found;
    for (const QString &id : ids()) {
        const std::optional<Meta> m = readMeta(id);
        if (m && m->isLinked())
            found.append({m->created, id});
    }
    std::sort(found.begin(), found.end());
    QStringList out;
    for (const auto &f : std::as_const(found))
        out << f.second;
    return out;
}

QStringList CertificateStore::linkedFiles(const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    const std::optional<Meta> m = isValidId(id) ? readMeta(id) : std::nullopt;
    if (!m || !m->isLinked())
        return {};
    QStringList out;
    for (const QString &f : {m->linkCert, m->linkKey, m->linkPfx}) {
        if (!f.isEmpty())
            out << f;
    }
    return out;
}

LinkedLoad CertificateStore::loadLinked(const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    const std::optional<Meta> m = isValidId(id) ? readMeta(id) : std::nullopt;
    if (!m || !m->isLinked()) {
        LinkedLoad r;
        r.error = QStringLiteral("no linked certificate with id \"%1\"").arg(id);
        return r;
    }
    return loadLinkedLocked(id, *m);
}

} // namespace rd::tls

#include "tls/certificatestore.h"

#include "tls/certificatestore_p.h"
#include "tls/tlsmaterial.h"
#include "util/fsutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutexLocker>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QUrl>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

namespace rd::tls {
using namespace detail;
namespace {

constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case
constexpr int kIdLength = 12;                                      // 60 random bits

// plus the common name when it is one of those and missing.
bool normalizeNames(const QString &commonName, const QStringList &sans, QStringList *out, QString *error)
{
    static const QRegularExpression host(QStringLiteral(
        "^(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"));
    auto normalize = [](const QString &s) -> QString {
        const QString t = s.trimmed();
        const QHostAddress ip(t);
        if (!ip.isNull())
            return ip.toString();
        return QString::fromLatin1(QUrl::toAce(t)).toLower();
    };
    if (commonName.trimmed().isEmpty() || commonName.size() > 64) {
        *error = QStringLiteral("the common name must be 1 to 64 characters");
        return false;
    }
    for (const QString &s : sans) {
        if (s.trimmed().isEmpty())
            continue;
        const QString n = normalize(s);
        if (QHostAddress(n).isNull() && (n.size() > 253 || !host.match(n).hasMatch())) {
            *error = QStringLiteral("\"%1\" is not a host name or IP address").arg(s.trimmed());
            return false;
        }
        if (!out->contains(n))
            out->append(n);
    }
    const QString cn = normalize(commonName);
    if (!out->contains(cn) && (!QHostAddress(cn).isNull() || host.match(cn).hasMatch()))
        out->prepend(cn);
    return true;
}

ExtPtr sanExtension(const QStringList &names)
{
    NamesPtr gens(GENERAL_NAMES_new());
    for (const QString &n : names) {
        GENERAL_NAME *gn = GENERAL_NAME_new();
        const QByteArray text = n.toLatin1();
        if (!QHostAddress(n).isNull()) {
            GENERAL_NAME_set0_value(gn, GEN_IPADD, a2i_IPADDRESS(text.constData()));
        } else {
            ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
            ASN1_STRING_set(ia5, text.constData(), int(text.size()));
            GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
        }
        sk_GENERAL_NAME_push(gens.get(), gn);
    }
    return ExtPtr(X509V3_EXT_i2d(NID_subject_alt_name, 0, gens.get()));
}

// Creates the server-certificate extensions and hands each to `add` at once
// (a certificate's authorityKeyIdentifier needs its subjectKeyIdentifier added
// first). ctx must have the subject (and issuer) set.
bool addServerExtensions(X509V3_CTX *ctx, EVP_PKEY *key, const QStringList &names, bool certificate,
                         const std::function<bool(X509_EXTENSION *)> &add)
{
    const bool rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
    std::vector<std::pair<int, const char *>> conf = {
        {NID_basic_constraints, "critical,CA:FALSE"},
        {NID_key_usage, rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"},
        {NID_ext_key_usage, "serverAuth"},
    };
    if (certificate) {
        conf.push_back({NID_subject_key_identifier, "hash"});
        conf.push_back({NID_authority_key_identifier, "keyid:always"});
    }
    ExtPtr san = sanExtension(names);
    if (!san || !add(san.get()))
        return false;
    for (const auto &[nid, value] : conf) {
        ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
        if (!ext || !add(ext.get()))
            return false;
    }
    return true;
}

KeyPtr generateKey(KeyType type)
{
    switch (type) {
    case KeyType::Rsa2048:
        return KeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(2048)));
    case KeyType::Rsa3072:
        return KeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(3072)));
    case KeyType::EcdsaP256:
        return KeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    }
    return {};
}

bool setSubject(X509_NAME *name, const QString &commonName)
{
    const QByteArray cn = commonName.trimmed().toUtf8();
    return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char *>(cn.constData()), -1, -1, 0) == 1;
}


} // namespace

CertificateStore::CertificateStore(QString folder) : m_folder(std::move(folder)) {}

CertificateStore::~CertificateStore() = default;

QString CertificateStore::defaultFolder(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("tls"));
}

bool CertificateStore::isValidId(const QString &id)
{
    if (id.size() != kIdLength)
        return false;
    return std::all_of(id.begin(), id.end(), [](QChar c) {
        return c.unicode() != 0 && c.unicode() < 128 && std::strchr(kAlphabet, char(c.unicode()));
    });
}

QString CertificateStore::path(const QString &id, const char *suffix) const
{
    return m_folder + QLatin1Char('/') + id + QLatin1String(suffix);
}

bool CertificateStore::open(QString *error)
{
    QMutexLocker lock(&m_mutex);
    if (!util::ensurePrivateDir(m_folder, error))
        return false;
    const QStringList files = QDir(m_folder).entryList(QDir::Files | QDir::Hidden);
    for (const QString &file : files) {
        const QString id = file.section(QLatin1Char('.'), 0, 0);
        if (!isValidId(id))
            continue; // not ours: never touched
        const QString full = QDir(m_folder).filePath(file);
        const std::optional<Meta> meta = readMeta(id);
        const bool orphan = file.endsWith(QLatin1String(".tmp")) || !QFile::exists(path(id, ".json"))
                            || (meta && meta->pending && file.endsWith(QLatin1String(".crt.pem")));
        // Young leftovers may belong to an import running in another process (the admin command line).
        if (orphan && QFileInfo(full).lastModified().secsTo(QDateTime::currentDateTime()) > 600)
            QFile::remove(full);
        else
            util::makePrivateFile(full);
    }
    return true;
}

std::optional<CertificateStore::Meta> CertificateStore::readMeta(const QString &id) const
{
    const QJsonObject o = QJsonDocument::fromJson(readFile(path(id, ".json"))).object();
    if (o.isEmpty())
        return std::nullopt;
    Meta m;
    m.name = o.value(QLatin1String("name")).toString();
    m.source = o.value(QLatin1String("source")).toString();
    m.created = QDateTime::fromString(o.value(QLatin1String("created")).toString(), Qt::ISODateWithMs);
    m.pending = o.value(QLatin1String("pending")).toBool();
    m.commonName = o.value(QLatin1String("commonName")).toString();
    for (const QJsonValue &v : o.value(QLatin1String("sans")).toArray())
        m.sans << v.toString();
    const QJsonObject link = o.value(QLatin1String("link")).toObject();
    m.linkCert = link.value(QLatin1String("cert")).toString();
    m.linkKey = link.value(QLatin1String("key")).toString();
    m.linkPfx = link.value(QLatin1String("pfx")).toString();
    return m;
}

bool CertificateStore::writeMeta(const QString &id, const Meta &m, QString *error) const
{
    QJsonObject o{{QStringLiteral("name"), m.name},
                  {QStringLiteral("source"), m.source},
                  {QStringLiteral("created"), m.created.toUTC().toString(Qt::ISODateWithMs)},
                  {QStringLiteral("pending"), m.pending}};
    if (m.pending) {
        o.insert(QStringLiteral("commonName"), m.commonName);
        o.insert(QStringLiteral("sans"), QJsonArray::fromStringList(m.sans));
    }
    if (m.isLinked()) {
        QJsonObject link;
        if (!m.linkPfx.isEmpty())
            link.insert(QStringLiteral("pfx"), m.linkPfx);
        else
            link.insert(QStringLiteral("cert"), m.linkCert);
        if (!m.linkKey.isEmpty())
            link.insert(QStringLiteral("key"), m.linkKey);
        o.insert(QStringLiteral("link"), link);
    }
    return writePrivateFile(path(id, ".json"), QJsonDocument(o).toJson(), error);
}

QString CertificateStore::newIdLocked() const
{
    QString id;
    do {
        id.clear();
        for (int i = 0; i < kIdLength; ++i)
            id += QLatin1Char(kAlphabet[QRandomGenerator::system()->bounded(32)]);
    } while (QFile::exists(path(id, ".json")) || QFile::exists(path(id, ".key.pem")));
    return id;
}

QStringList CertificateStore::ids() const
{
    QStringList out;
    const QStringList files = QDir(m_folder).entryList({QStringLiteral("*.json")}, QDir::Files);
    for (const QString &f : files) {
        const QString id = f.chopped(5);
        if (isValidId(id))
            out << id;
    }
    return out;
}

ImportResult CertificateStore::store(Material &&m, const QString &source, const QString &name, const QString &pendingId)
{
    ImportResult r;
    const bool pending = m.chain.empty();
    const QList<QSslCertificate> chain = toQt(m.chain);
    if (!pending) {
        r.info = CertificateInfo::fromChain(chain);
        if (r.info.isNull()) {
            r.error = QStringLiteral("the certificate could not be read");
            return r;
        }
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const QString notAfter = r.info.notAfter.toString(QStringLiteral("yyyy-MM-dd"));
        if (r.info.expiry(now) == CertificateInfo::Expired)
            r.warnings << QStringLiteral("certificate has expired (on %1)").arg(notAfter);
        else if (r.info.expiry(now) != CertificateInfo::Ok)
            r.warnings << QStringLiteral("certificate expires in %1 days (on %2)").arg(r.info.daysLeft(now)).arg(notAfter);
        if (now < r.info.notBefore)
            r.warnings << QStringLiteral("certificate is not valid before %1").arg(r.info.notBefore.toString(Qt::ISODate));
        if (r.info.sans.isEmpty())
            r.warnings << QStringLiteral("certificate has no subjectAltName: mail clients will not accept it for a host name");
        for (const QString &id : ids()) {
            const std::optional<CertificateInfo> other = infoLocked(id);
            if (other && other->sha256Fingerprint == r.info.sha256Fingerprint && id != pendingId)
                r.warnings << QStringLiteral("the same certificate is already stored as \"%1\"").arg(other->name);
        }
    }
    r.warnings += m.warnings;

    const QString id = pendingId.isEmpty() ? newIdLocked() : pendingId;
    Meta meta;
    if (!pendingId.isEmpty()) {
        meta = readMeta(pendingId).value_or(Meta{});
    } else {
        meta.name = name.trimmed();
        meta.source = source;
        meta.created = QDateTime::currentDateTimeUtc();
        meta.commonName = m.commonName;
        meta.sans = m.sans;
    }
    meta.pending = pending;
    if (meta.name.isEmpty())
        meta.name = pending ? m.commonName : r.info.commonName;

    QStringList written;
    auto write = [&](const char *suffix, QByteArray data) {
        const bool ok = writePrivateFile(path(id, suffix), data, &r.error);
        wipe(data);
        if (ok)
            written << path(id, suffix);
        return ok;
    };
    QByteArray chainPem;
    for (const QSslCertificate &c : chain)
        chainPem += c.toPem();
    // <id>.json last: its rename is what makes the entry (or its completion) exist.
    const bool ok = (!pendingId.isEmpty() || write(".key.pem", keyToPem(m.key.get())))
                    && (pending ? write(".csr.pem", m.csrPem) : write(".crt.pem", chainPem))
                    && util::syncDir(m_folder, &r.error) && writeMeta(id, meta, &r.error);
    if (!ok) {
        for (const QString &f : std::as_const(written))
            QFile::remove(f);
        r.warnings.clear();
        return r;
    }
    if (!pendingId.isEmpty())
        QFile::remove(path(id, ".csr.pem"));
    util::syncDir(m_folder, nullptr); // a lost rename at power failure leaves leftovers open() removes
    r.ok = true;
    r.id = id;
    r.info.id = id;
    r.info.name = meta.name;
    r.info.source = meta.source;
    r.info.created = meta.created;
    return r;
}

ImportResult CertificateStore::importPem(const QByteArray &certAndChainPem, const QByteArray &keyPem,
                                         const QByteArray &keyPassphrase, const QString &name)
{
    QMutexLocker lock(&m_mutex);
    ImportResult r;
    ParsedMaterial parsed;
    if (!parsePem(certAndChainPem, keyPem, keyPassphrase, &parsed, &r.error))
        return r;
    Material m;
    m.key = std::move(parsed.key);
    m.chain = std::move(parsed.chain);
    m.warnings = parsed.warnings;
    return store(std::move(m), QStringLiteral("pem"), name);
}

ImportResult CertificateStore::importPkcs12(const QByteArray &pfx, const QString &password, const QString &name)
{
    QMutexLocker lock(&m_mutex);
    ImportResult r;
    ParsedMaterial parsed;
    if (!parsePkcs12(pfx, password, &parsed, &r.error))
        return r;
    Material m;
    m.key = std::move(parsed.key);
    m.chain = std::move(parsed.chain);
    m.warnings = parsed.warnings;
    return store(std::move(m), QStringLiteral("pkcs12"), name);
}

ImportResult CertificateStore::generateSelfSigned(const QString &commonName, const QStringList &sans, KeyType type,
                                                  int days, const QString &name)
{
    QMutexLocker lock(&m_mutex);
    ImportResult r;
    QStringList names;
    if (!normalizeNames(commonName, sans, &names, &r.error))
        return r;
    if (days < 1 || days > 3650) {
        r.error = QStringLiteral("the validity must be 1 to 3650 days");
        return r;
    }
    Material m;
    m.key = generateKey(type);
    X509Ptr x(X509_new());
    unsigned char serial[16];
    bool ok = m.key && x && RAND_bytes(serial, sizeof serial) == 1;
    serial[0] |= 0x01; // never zero
    BnPtr bn(ok ? BN_bin2bn(serial, sizeof serial, nullptr) : nullptr);
    ok = ok && bn && X509_set_version(x.get(), X509_VERSION_3) && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get()))
         && X509_gmtime_adj(X509_getm_notBefore(x.get()), -300) // five minutes of clock skew
         && X509_time_adj_ex(X509_getm_notAfter(x.get()), days, 0, nullptr)
         && setSubject(X509_get_subject_name(x.get()), commonName)
         && X509_set_issuer_name(x.get(), X509_get_subject_name(x.get())) && X509_set_pubkey(x.get(), m.key.get());
    if (ok) {
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
        ok = addServerExtensions(&ctx, m.key.get(), names, true,
                                 [&x](X509_EXTENSION *e) { return X509_add_ext(x.get(), e, -1) == 1; })
             && X509_sign(x.get(), m.key.get(), EVP_sha256()) > 0;
    }
    if (!ok) {
        r.error = QStringLiteral("could not create the certificate (%1)").arg(sslReason());
        return r;
    }
    m.chain.push_back(std::move(x));
    return store(std::move(m), QStringLiteral("self-signed"), name);
}

CsrResult CertificateStore::createCsr(const QString &commonName, const QStringList &sans, KeyType type,
                                      const QString &name)
{
    QMutexLocker lock(&m_mutex);
    CsrResult r;
    Material m;
    if (!normalizeNames(commonName, sans, &m.sans, &r.error))
        return r;
    m.commonName = commonName.trimmed();
    m.key = generateKey(type);
    ReqPtr req(X509_REQ_new());
    bool ok = m.key && req && X509_REQ_set_version(req.get(), X509_REQ_VERSION_1)
              && setSubject(X509_REQ_get_subject_name(req.get()), commonName) && X509_REQ_set_pubkey(req.get(), m.key.get());
    if (ok) {
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, nullptr, nullptr, req.get(), nullptr, 0);
        STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
        ok = addServerExtensions(&ctx, m.key.get(), m.sans, false, [exts](X509_EXTENSION *e) {
                 X509_EXTENSION *copy = X509_EXTENSION_dup(e);
                 return copy && sk_X509_EXTENSION_push(exts, copy) > 0;
             })
             && X509_REQ_add_extensions(req.get(), exts) == 1;
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
        ok = ok && X509_REQ_sign(req.get(), m.key.get(), EVP_sha256()) > 0;
    }
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!ok || !PEM_write_bio_X509_REQ(bio.get(), req.get())) {
        r.error = QStringLiteral("could not create the signing request (%1)").arg(sslReason());
        return r;
    }
    m.csrPem = bioBytes(bio.get());
    const QByteArray csr = m.csrPem;
    const ImportResult stored = store(std::move(m), QStringLiteral("csr"), name);
    r.ok = stored.ok;
    r.id = stored.id;
    r.error = stored.error;
    if (r.ok)
        r.csrPem = csr;
    return r;
}

ImportResult CertificateStore::importSignedCertificate(const QString &pendingId, const QByteArray &certChainPem)
{
    QMutexLocker lock(&m_mutex);
    ImportResult r;
    const std::optional<Meta> meta = isValidId(pendingId) ? readMeta(pendingId) : std::nullopt;
    if (!meta || !meta->pending) {
        r.error = QStringLiteral("there is no pending signing request with id \"%1\"").arg(pendingId);
        return r;
    }
    Material m;
    if (!readChain(certChainPem, &m.chain, &r.error))
        return r;
    QByteArray keyPem = readFile(path(pendingId, ".key.pem"));
    m.key = readKey(keyPem, {}, &r.error);
    wipe(keyPem);
    if (!m.key) {
        r.error = QStringLiteral("the key of this signing request is unreadable");
        return r;
    }
    if (!orderChainOrFail(&m.chain, m.key.get(), &m.warnings, &r.error,
                          QStringLiteral("the certificate's public key does not match the key of this signing request")))
        return r;
    return store(std::move(m), meta->source, meta->name, pendingId);
}

std::optional<CertificateInfo> CertificateStore::infoLocked(const QString &id) const
{
    const std::optional<Meta> meta = isValidId(id) ? readMeta(id) : std::nullopt;
    if (!meta || meta->pending)
        return std::nullopt;
    CertificateInfo info = meta->isLinked()
                               ? linkedInfoLocked(id, *meta)
                               : CertificateInfo::fromChain(QSslCertificate::fromData(readFile(path(id, ".crt.pem"))));
    if (info.isNull())
        return std::nullopt;
    info.id = id;
    info.name = meta->name;
    info.source = meta->source;
    info.created = meta->created;
    return info;
}

std::optional<CertificateInfo> CertificateStore::info(const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    return infoLocked(id);
}

QList<CertificateInfo> CertificateStore::list() const
{
    QMutexLocker lock(&m_mutex);
    QList<CertificateInfo> out;
    for (const QString &id : ids()) {
        if (std::optional<CertificateInfo> i = infoLocked(id))
            out << *i;
    }
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.created < b.created; });
    return out;
}

QList<PendingRequest> CertificateStore::pendingRequests() const
{
    QMutexLocker lock(&m_mutex);
    QList<PendingRequest> out;
    for (const QString &id : ids()) {
        const std::optional<Meta> m = readMeta(id);
        if (m && m->pending)
            out << PendingRequest{id, m->name, m->commonName, m->sans, m->created, readFile(path(id, ".csr.pem"))};
    }
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.created < b.created; });
    return out;
}

bool CertificateStore::remove(const QString &id)
{
    QMutexLocker lock(&m_mutex);
    if (!isValidId(id) || !QFile::remove(path(id, ".json")))
        return false;
    for (const char *suffix : {".crt.pem", ".key.pem", ".csr.pem", ".secret"})
        QFile::remove(path(id, suffix));
    util::syncDir(m_folder, nullptr);
    return true;
}

QByteArray CertificateStore::exportCertificatePem(const QString &id) const
{
    QMutexLocker lock(&m_mutex);
    const std::optional<Meta> meta = isValidId(id) ? readMeta(id) : std::nullopt;
    if (!meta || meta->pending)
        return {};
    if (meta->isLinked()) {
        QByteArray pem;
        for (const QSslCertificate &c : linkedChainLocked(id, *meta))
            pem += c.toPem();
        return pem;
    }
    return readFile(path(id, ".crt.pem"));
}

std::optional<QSslConfiguration> CertificateStore::serverConfiguration(const QString &id, QString *error) const
{
    QMutexLocker lock(&m_mutex);
    auto fail = [error](const QString &text) {
        if (error)
            *error = text;
        return std::nullopt;
    };
    const std::optional<Meta> meta = isValidId(id) ? readMeta(id) : std::nullopt;
    if (!meta)
        return fail(QStringLiteral("no certificate with id \"%1\"").arg(id));
    if (meta->pending)
        return fail(QStringLiteral("certificate \"%1\" is waiting for its signed certificate").arg(meta->name));
    if (meta->isLinked()) {
        LinkedLoad load = loadLinkedLocked(id, *meta);
        if (!load.ok)
            return fail(load.error);
        return load.configuration;
    }
    bool damaged = false;
    const std::vector<X509Ptr> x509Chain = readCertificates(readFile(path(id, ".crt.pem")), &damaged);
    QByteArray keyPem = readFile(path(id, ".key.pem"));
    KeyPtr key = readKey(keyPem, {}, nullptr);
    wipe(keyPem);
    if (damaged || !key || x509Chain.empty())
        return fail(QStringLiteral("the certificate or key file of \"%1\" is unreadable or they do not match").arg(meta->name));
    return buildServerConfiguration(key.get(), x509Chain, meta->name, error);
}

} // namespace rd::tls

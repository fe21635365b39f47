#include "tls/certificatestore.h"

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
#include <QSslCipher>
#include <QSslKey>
#include <QSslSocket>
#include <QUrl>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

namespace rd::tls {
namespace {

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

constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case
constexpr int kIdLength = 12;                                      // 60 random bits

// Mozilla "intermediate" TLS 1.2 suites without DHE: forward secrecy and AEAD only.
constexpr const char *kTls12Ciphers[] = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
};

const QString kCorruptPfx = QStringLiteral("the file is corrupt or not a PKCS#12 file");
const QString kWrongPfxPassword = QStringLiteral("wrong password for the PFX file");
const QString kKeyMismatch = QStringLiteral("the private key does not match the certificate");
const QString kNotPem = QStringLiteral("not a PEM certificate");

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

} // namespace

struct CertificateStore::Meta {
    QString name;
    QString source;
    QDateTime created;
    bool pending = false;
    QString commonName;
    QStringList sans;
};

struct CertificateStore::Material {
    KeyPtr key;
    std::vector<X509Ptr> chain; // leaf first
    QByteArray csrPem;          // pending requests only
    QString commonName;
    QStringList sans;
    QStringList warnings;
};

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
    return writePrivateFile(path(id, ".json"), QJsonDocument(o).toJson(), error);
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

    QString id = pendingId;
    if (id.isEmpty()) {
        do {
            id.clear();
            for (int i = 0; i < kIdLength; ++i)
                id += QLatin1Char(kAlphabet[QRandomGenerator::system()->bounded(32)]);
        } while (QFile::exists(path(id, ".json")) || QFile::exists(path(id, ".key.pem")));
    }
    Meta meta;
    if (!pendingId.isEmpty())
        meta = readMeta(pendingId).value_or(Meta{});
    else
        meta = Meta{name.trimmed(), source, QDateTime::currentDateTimeUtc(), pending, m.commonName, m.sans};
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
    Material m;
    if (!readChain(certAndChainPem, &m.chain, &r.error))
        return r;
    m.key = readKey(keyPem.isEmpty() ? certAndChainPem : keyPem, keyPassphrase, &r.error);
    if (!m.key || !orderChainOrFail(&m.chain, m.key.get(), &m.warnings, &r.error, kKeyMismatch))
        return r;
    return store(std::move(m), QStringLiteral("pem"), name);
}

ImportResult CertificateStore::importPkcs12(const QByteArray &pfx, const QString &password, const QString &name)
{
    QMutexLocker lock(&m_mutex);
    ImportResult r;
    BioPtr bio = memBio(pfx);
    P12Ptr p12(d2i_PKCS12_bio(bio.get(), nullptr));
    if (!p12) {
        ERR_clear_error();
        r.error = kCorruptPfx;
        return r;
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
            r.error = wrong         ? kWrongPfxPassword
                      : unsupported ? QStringLiteral("the PFX file's integrity check uses an unsupported algorithm")
                                    : kCorruptPfx;
            wipe(pass);
            return r;
        }
    }
    EVP_PKEY *key = nullptr;
    X509 *cert = nullptr;
    STACK_OF(X509) *ca = nullptr;
    auto parse = [&] { return PKCS12_parse(p12.get(), passArg, &key, &cert, &ca) == 1; };
    bool parsed = parse();
    if (!parsed && unsupportedAlgorithm()) {
        if (!ensureLegacyProvider()) {
            r.error = QStringLiteral("the PFX file uses legacy encryption (RC2/3DES) and OpenSSL's legacy provider "
                                     "is not available; install it or re-export the file with AES-256");
            wipe(pass);
            return r;
        }
        parsed = parse();
    }
    wipe(pass);
    if (!parsed) { // the password passed the MAC check (when there is one)
        ERR_clear_error();
        r.error = PKCS12_mac_present(p12.get()) ? QStringLiteral("the PFX file uses an unsupported encryption algorithm")
                                                : kWrongPfxPassword;
        return r;
    }
    Material m;
    m.key.reset(key);
    if (cert)
        m.chain.emplace_back(cert);
    while (ca && sk_X509_num(ca) > 0)
        m.chain.emplace_back(sk_X509_shift(ca));
    sk_X509_free(ca);
    if (!m.key || m.chain.empty()) {
        r.error = m.key ? QStringLiteral("the PFX file contains no certificate")
                        : QStringLiteral("the PFX file contains no private key");
        return r;
    }
    if (!orderChainOrFail(&m.chain, m.key.get(), &m.warnings, &r.error, kKeyMismatch))
        return r;
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
    CertificateInfo info = CertificateInfo::fromChain(QSslCertificate::fromData(readFile(path(id, ".crt.pem"))));
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
    for (const char *suffix : {".crt.pem", ".key.pem", ".csr.pem"})
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
    if (QSslSocket::activeBackend() != QLatin1String("openssl") || !QSslSocket::supportsSsl())
        return fail(QStringLiteral("TLS needs Qt's OpenSSL backend (active: %1)").arg(QSslSocket::activeBackend()));
    bool damaged = false;
    const std::vector<X509Ptr> x509Chain = readCertificates(readFile(path(id, ".crt.pem")), &damaged);
    QByteArray keyPem = readFile(path(id, ".key.pem"));
    KeyPtr key = readKey(keyPem, {}, nullptr);
    const bool matches = key && !x509Chain.empty() && !damaged
                         && EVP_PKEY_eq(X509_get0_pubkey(x509Chain.front().get()), key.get()) == 1;
    ERR_clear_error();
    if (!matches) {
        wipe(keyPem);
        return fail(QStringLiteral("the certificate or key file of \"%1\" is unreadable or they do not match").arg(meta->name));
    }
    QSslKey sslKey;
    switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA:
        sslKey = QSslKey(keyPem, QSsl::Rsa);
        break;
    case EVP_PKEY_EC:
        sslKey = QSslKey(keyPem, QSsl::Ec);
        break;
    default: // Ed25519 and others: Qt takes the OpenSSL key as an opaque handle and owns it
        sslKey = QSslKey(Qt::HANDLE(key.release()), QSsl::PrivateKey);
        break;
    }
    wipe(keyPem);
    if (sslKey.isNull())
        return fail(QStringLiteral("the private key of \"%1\" could not be loaded").arg(meta->name));

    QList<QSslCipher> ciphers;
    const QList<QSslCipher> supported = QSslConfiguration::supportedCiphers();
    for (const char *name : kTls12Ciphers) {
        for (const QSslCipher &c : supported) {
            if (c.name() == QLatin1String(name))
                ciphers << c;
        }
    }
    if (ciphers.isEmpty())
        return fail(QStringLiteral("the TLS library offers none of the required ECDHE/AEAD ciphers"));

    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setCaCertificates({}); // a server that requests no client certificate needs no trust store
    c.setLocalCertificateChain(toQt(x509Chain));
    c.setPrivateKey(sslKey);
    c.setProtocol(QSsl::TlsV1_2OrLater);
    c.setCiphers(ciphers); // TLS 1.2 only: Qt leaves the TLS 1.3 suites at OpenSSL's defaults
    c.setPeerVerifyMode(QSslSocket::VerifyNone);
    c.setSslOption(QSsl::SslOptionDisableServerCipherPreference, false);
    c.setSslOption(QSsl::SslOptionDisableLegacyRenegotiation, true);
    c.setSslOption(QSsl::SslOptionDisableCompression, true);
    return c;
}

} // namespace rd::tls

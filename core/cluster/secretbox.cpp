#include "cluster/secretbox.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace rd::cluster {
namespace {

constexpr int kNonce = 12;
constexpr int kTag = 16;
const QLatin1String kPrefix("rdenc1:");

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

} // namespace

bool SecretBox::generateKeyFile(const QString &path, QString *error)
{
    if (QFileInfo::exists(path)) {
        *error = QStringLiteral("%1 already exists; a cluster key is never overwritten").arg(path);
        return false;
    }
    QByteArray key(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char *>(key.data()), key.size()) != 1) {
        *error = QStringLiteral("the system random generator failed");
        return false;
    }
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    f.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    f.write("# RelayDesk cluster key: copy this file to every node of the cluster, owner-only\n");
    f.write(key.toBase64() + '\n');
    if (!f.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

bool SecretBox::load(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read the cluster key %1: %2").arg(path, f.errorString());
        return false;
    }
#ifndef Q_OS_WIN
    const auto perms = f.permissions();
    if (perms & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther)) {
        *error = QStringLiteral("the cluster key %1 may be read by other users; make it owner-only (chmod 600)")
                     .arg(path);
        return false;
    }
#endif
    QByteArray key;
    for (const QByteArray &line : f.readAll().split('\n')) {
        const QByteArray l = line.trimmed();
        if (l.isEmpty() || l.startsWith('#'))
            continue;
        key = QByteArray::fromBase64(l, QByteArray::AbortOnBase64DecodingErrors);
        break;
    }
    if (key.size() != 32) {
        *error = QStringLiteral("%1 is not a RelayDesk cluster key (expected 32 bytes in base64)").arg(path);
        return false;
    }
    return setKey(key, error);
}

bool SecretBox::setKey(const QByteArray &key, QString *error)
{
    if (key.size() != 32) {
        *error = QStringLiteral("a cluster key has 32 bytes");
        return false;
    }
    m_key = key;
    return true;
}

QString SecretBox::fingerprint() const
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData("relaydesk cluster key fingerprint\n");
    h.addData(m_key);
    return QStringLiteral("sha256:") + QString::fromLatin1(h.result().toHex().left(32));
}

QString SecretBox::seal(const QString &plain, const QString &context) const
{
    if (plain.isEmpty() || !isLoaded())
        return QString();
    const QByteArray pt = plain.toUtf8();
    const QByteArray aad = context.toUtf8();
    QByteArray out(kNonce + pt.size() + kTag, '\0');
    auto *o = reinterpret_cast<unsigned char *>(out.data());
    if (RAND_bytes(o, kNonce) != 1)
        return QString();
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int len = 0;
    int total = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                                   reinterpret_cast<const unsigned char *>(m_key.constData()), o) != 1
        || EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char *>(aad.constData()),
                             int(aad.size())) != 1
        || EVP_EncryptUpdate(ctx.get(), o + kNonce, &len, reinterpret_cast<const unsigned char *>(pt.constData()),
                             int(pt.size())) != 1)
        return QString();
    total = len;
    if (EVP_EncryptFinal_ex(ctx.get(), o + kNonce + total, &len) != 1
        || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, o + kNonce + pt.size()) != 1)
        return QString();
    return kPrefix + QString::fromLatin1(out.toBase64());
}

std::optional<QString> SecretBox::open(const QString &sealed, const QString &context, QString *error) const
{
    if (sealed.isEmpty())
        return QString();
    if (!isSealed(sealed)) {
        *error = QStringLiteral("%1 is stored in clear in the cluster store; it was refused").arg(context);
        return std::nullopt;
    }
    if (!isLoaded()) {
        *error = QStringLiteral("no cluster key is loaded");
        return std::nullopt;
    }
    const QByteArray raw = QByteArray::fromBase64(sealed.mid(kPrefix.size()).toLatin1(),
                                                  QByteArray::AbortOnBase64DecodingErrors);
    if (raw.size() < kNonce + kTag) {
        *error = QStringLiteral("%1: the sealed value is damaged").arg(context);
        return std::nullopt;
    }
    const QByteArray aad = context.toUtf8();
    const int ctLen = int(raw.size()) - kNonce - kTag;
    const auto *r = reinterpret_cast<const unsigned char *>(raw.constData());
    QByteArray pt(ctLen, '\0');
    auto *p = reinterpret_cast<unsigned char *>(pt.data());
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int len = 0;
    QByteArray tag = raw.right(kTag);
    bool ok = ctx
        && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                              reinterpret_cast<const unsigned char *>(m_key.constData()), r) == 1
        && EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char *>(aad.constData()),
                             int(aad.size())) == 1
        && EVP_DecryptUpdate(ctx.get(), p, &len, r + kNonce, ctLen) == 1
        && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) == 1;
    int fin = 0;
    ok = ok && EVP_DecryptFinal_ex(ctx.get(), p + len, &fin) == 1;
    if (!ok) {
        *error = QStringLiteral("%1: the sealed value does not open with this node's cluster key").arg(context);
        return std::nullopt;
    }
    return QString::fromUtf8(pt);
}

} // namespace rd::cluster

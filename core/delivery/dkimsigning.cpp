#include "delivery/dkimsigning.h"

#include "mailauth/dkimsigner.h"
#include "mailauth/dmarc.h"

#include <QFile>
#include <QUrl>

namespace rd::delivery {
namespace {

constexpr int kMaxCached = 20000;

} // namespace

void DkimSigner::setKeys(const QList<config::DkimSigningKey> &keys, QStringList *problems)
{
    m_keys.clear();
    m_cache.clear();
    for (const config::DkimSigningKey &k : keys) {
        QString why;
        std::optional<mailauth::DkimKey> key = mailauth::DkimKey::fromPem(k.privateKeyPem, &why);
        if (!key) {
            if (problems)
                *problems << QStringLiteral("DKIM key %1 of %2 cannot be read: %3").arg(k.selector, k.domain, why);
            continue;
        }
        m_keys[k.domain.toLower()].append(Key{k.selector, *key});
    }
}

QString DkimSigner::signingDomainFor(const QString &fromDomain) const
{
    QString d = fromDomain.toLower();
    if (d.endsWith(QLatin1Char('.')))
        d.chop(1);
    while (!d.isEmpty()) {
        if (m_keys.contains(d))
            return d;
        const qsizetype dot = d.indexOf(QLatin1Char('.'));
        if (dot < 0)
            break;
        d = d.mid(dot + 1);
    }
    return {};
}

DkimSignResult DkimSigner::sign(const QString &queueId, const QString &spoolPath, qint64 bodyOffset,
                                const QByteArray &prepend)
{
    if (m_keys.isEmpty())
        return {};
    const auto cached = m_cache.constFind(queueId);
    if (cached != m_cache.constEnd())
        return *cached;

    DkimSignResult r;
    QFile f(spoolPath);
    if (!f.open(QIODevice::ReadOnly) || !f.seek(bodyOffset)) {
        r.error = QStringLiteral("cannot read %1: %2").arg(spoolPath, f.errorString());
        return r; // not cached: the next attempt tries again
    }
    const QByteArray message = prepend + f.readAll();
    if (f.error() != QFile::NoError) {
        r.error = QStringLiteral("cannot read %1: %2").arg(spoolPath, f.errorString());
        return r;
    }
    qsizetype headerEnd = message.indexOf("\r\n\r\n");
    const QByteArray head = headerEnd < 0 ? message : message.left(headerEnd + 2);
    QString why;
    const QString fromDomain = mailauth::headerFromDomain(head, &why);
    const QString domain = fromDomain.isEmpty() ? QString() : signingDomainFor(QString::fromLatin1(QUrl::toAce(fromDomain)));
    if (!domain.isEmpty()) {
        for (const Key &k : m_keys.value(domain)) {
            mailauth::DkimSignOptions opt;
            opt.domain = domain;
            opt.selector = k.selector;
            QString err;
            const QByteArray field = mailauth::dkimSign(message, k.key, opt, &err);
            if (field.isEmpty()) {
                r.error = QStringLiteral("DKIM signing with %1._domainkey.%2 failed: %3").arg(k.selector, domain, err);
                continue;
            }
            r.headers += field;
            r.selectors << k.selector;
        }
        if (!r.headers.isEmpty())
            r.domain = domain;
    }
    if (m_cache.size() >= kMaxCached)
        m_cache.clear();
    m_cache.insert(queueId, r);
    return r;
}

} // namespace rd::delivery

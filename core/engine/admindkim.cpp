// AdminService, DKIM signing keys: generation (slow for RSA), import, enable,
// remove, list; on the admin worker thread.

#include "engine/adminservice.h"

#include <QPointer>

namespace rd::engine {

void AdminService::listDkimKeys()
{
    QPointer<AdminService> self(this);
    const QString dir = m_dataDir;
    m_pool.start([self, dir] {
        config::DkimKeyStore store(dir);
        QString error = store.isOpen() ? QString() : store.errorString();
        const QList<config::DkimKeyInfo> keys = store.isOpen() ? store.list(&error) : QList<config::DkimKeyInfo>();
        if (self)
            QMetaObject::invokeMethod(self, [self, keys, error] {
                if (self)
                    emit self->dkimKeysListed(keys, error);
            });
    });
}

void AdminService::dkimTask(const QString &action, const QString &name,
                            std::function<bool(config::DkimKeyStore &, QString *)> op)
{
    QPointer<AdminService> self(this);
    const QString dir = m_dataDir;
    m_pool.start([self, dir, action, name, op] {
        config::DkimKeyStore store(dir);
        QString error;
        bool ok = false;
        if (!store.isOpen())
            error = store.errorString();
        else
            ok = op(store, &error);
        QString listError;
        const QList<config::DkimKeyInfo> keys = store.isOpen() ? store.list(&listError) : QList<config::DkimKeyInfo>();
        if (self)
            QMetaObject::invokeMethod(self, [self, action, name, ok, error, keys, listError] {
                if (!self)
                    return;
                emit self->dkimActionFinished(action, name, ok, ok ? QString() : error);
                emit self->dkimKeysListed(keys, listError);
            });
    });
}

static QString keyName(const QString &domain, const QString &selector)
{
    return QStringLiteral("%1._domainkey.%2").arg(selector.toLower(), config::DkimKeyStore::normalizeDomain(domain));
}

void AdminService::generateDkimKey(const QString &domain, const QString &selector, const QString &algorithm, int bits)
{
    dkimTask(QStringLiteral("generate"), keyName(domain, selector),
             [=](config::DkimKeyStore &s, QString *e) { return s.generate(domain, selector, algorithm, bits, nullptr, e); });
}

void AdminService::importDkimKey(const QString &domain, const QString &selector, const QByteArray &pem)
{
    dkimTask(QStringLiteral("import"), keyName(domain, selector),
             [=](config::DkimKeyStore &s, QString *e) { return s.importPem(domain, selector, pem, nullptr, e); });
}

void AdminService::setDkimKeyEnabled(const QString &domain, const QString &selector, bool enabled)
{
    dkimTask(QStringLiteral("enable"), keyName(domain, selector),
             [=](config::DkimKeyStore &s, QString *e) { return s.setEnabled(domain, selector, enabled, e); });
}

void AdminService::removeDkimKey(const QString &domain, const QString &selector)
{
    dkimTask(QStringLiteral("remove"), keyName(domain, selector),
             [=](config::DkimKeyStore &s, QString *e) { return s.remove(domain, selector, e); });
}

} // namespace rd::engine

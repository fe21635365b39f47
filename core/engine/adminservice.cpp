#include "engine/adminservice.h"

#include <QPointer>

namespace rd::engine {

AdminService::AdminService(const QString &dataDir, QObject *parent) : QObject(parent), m_dataDir(dataDir)
{
    qRegisterMetaType<rd::engine::CertificateList>();
    qRegisterMetaType<QList<rd::auth::UserInfo>>();
    m_pool.setMaxThreadCount(1); // one admin task at a time: ordered, and never more than one core
}

AdminService::~AdminService()
{
    m_pool.waitForDone();
}

template <typename Fn>
void AdminService::run(Fn &&fn)
{
    m_pool.start(std::forward<Fn>(fn));
}

void AdminService::listUsers()
{
    QPointer<AdminService> self(this);
    const QString dir = m_dataDir;
    run([self, dir] {
        auth::UserStore store(dir);
        QString error = store.isOpen() ? QString() : store.errorString();
        const QList<auth::UserInfo> users = store.isOpen() ? store.list(&error) : QList<auth::UserInfo>();
        if (self)
            QMetaObject::invokeMethod(self, [self, users, error] {
                if (self)
                    emit self->usersListed(users, error);
            });
    });
}

void AdminService::userTask(const QString &action, const QString &name,
                            std::function<bool(auth::UserStore &, QString *)> op)
{
    QPointer<AdminService> self(this);
    const QString dir = m_dataDir;
    run([self, dir, action, name, op] {
        auth::UserStore store(dir);
        QString error;
        bool ok = false;
        if (!store.isOpen())
            error = store.errorString();
        else
            ok = op(store, &error);
        const QList<auth::UserInfo> users = store.isOpen() ? store.list() : QList<auth::UserInfo>();
        if (self)
            QMetaObject::invokeMethod(self, [self, action, name, ok, error, users] {
                if (!self)
                    return;
                emit self->userActionFinished(action, name, ok, ok ? QString() : error);
                emit self->usersListed(users, QString());
            });
    });
}

void AdminService::addUser(const QString &name, const QString &password, bool mayRelay)
{
    userTask(QStringLiteral("add"), name, [=](auth::UserStore &s, QString *e) { return s.addUser(name, password, mayRelay, e); });
}

void AdminService::setUserPassword(const QString &name, const QString &password)
{
    userTask(QStringLiteral("password"), name, [=](auth::UserStore &s, QString *e) { return s.setPassword(name, password, e); });
}

void AdminService::setUserEnabled(const QString &name, bool enabled)
{
    userTask(QStringLiteral("enable"), name, [=](auth::UserStore &s, QString *e) { return s.setEnabled(name, enabled, e); });
}

void AdminService::setUserMayRelay(const QString &name, bool mayRelay)
{
    userTask(QStringLiteral("relay"), name, [=](auth::UserStore &s, QString *e) { return s.setMayRelay(name, mayRelay, e); });
}

void AdminService::removeUser(const QString &name)
{
    userTask(QStringLiteral("remove"), name, [=](auth::UserStore &s, QString *e) { return s.removeUser(name, e); });
}

namespace {

// Runs `op` against an opened certificate store on the calling (worker) thread.
template <typename Op>
auto withStore(const QString &dataDir, Op op, QString *error) -> std::optional<decltype(op(std::declval<tls::CertificateStore &>()))>
{
    tls::CertificateStore store(tls::CertificateStore::defaultFolder(dataDir));
    if (!store.open(error))
        return std::nullopt;
    return op(store);
}

} // namespace

void AdminService::listCertificates()
{
    QPointer<AdminService> self(this);
    const QString dir = m_dataDir;
    run([self, dir] {
        QString error;
        CertificateList list;
        withStore(dir, [&](tls::CertificateStore &s) {
            list.certificates = s.list();
            list.pending = s.pendingRequests();
            return true;
        }, &error);
        if (self)
            QMetaObject::invokeMethod(self, [self, list] {
                if (self)
                    emit self->certificatesListed(list);
            });
    });
}

void AdminService::certificateResult(const QString &action, const tls::ImportResult &r)
{
    emit certificateActionFinished(action, r.id, r.ok, r.ok ? QString() : r.error, r.warnings);
    listCertificates();
}

#define RD_CERT_TASK(action, expr)                                                                          \
    QPointer<AdminService> self(this);                                                                      \
    const QString dir = m_dataDir;                                                                          \
    run([=] {                                                                                               \
        QString error;                                                                                      \
        auto r = withStore(dir, [&](tls::CertificateStore &s) { return expr; }, &error);                    \
        tls::ImportResult result;                                                                           \
        if (r)                                                                                              \
            result = *r;                                                                                    \
        else                                                                                                \
            result.error = error;                                                                           \
        if (self)                                                                                           \
            QMetaObject::invokeMethod(self, [self, result] {                                                \
                if (self)                                                                                   \
                    self->certificateResult(QStringLiteral(action), result);                                \
            });                                                                                             \
    })

void AdminService::importPkcs12(const QByteArray &pfx, const QString &password, const QString &name)
{
    RD_CERT_TASK("import", s.importPkcs12(pfx, password, name));
}

void AdminService::importPem(const QByteArray &certPem, const QByteArray &keyPem, const QByteArray &keyPassphrase,
                             const QString &name)
{
    RD_CERT_TASK("import", s.importPem(certPem, keyPem, keyPassphrase, name));
}

void AdminService::linkPem(const QString &certPath, const QString &keyPath, const QString &name)
{
    RD_CERT_TASK("link", s.linkPem(certPath, keyPath, name));
}

void AdminService::generateSelfSigned(const QString &commonName, const QStringList &sans, int keyType, int days,
                                      const QString &name)
{
    RD_CERT_TASK("generate", s.generateSelfSigned(commonName, sans, tls::KeyType(keyType), days, name));
}

void AdminService::importSignedCertificate(const QString &pendingId, const QByteArray &chainPem)
{
    RD_CERT_TASK("complete", s.importSignedCertificate(pendingId, chainPem));
}

#undef RD_CERT_TASK

void AdminService::createCsr(const QString &commonName, const QStringList &sans, int keyType, const QString &name)
{
    QPointer<AdminService> self(this);
    const QString dir = m_dataDir;
    run([=] {
        QString error;
        auto r = withStore(dir, [&](tls::CertificateStore &s) {
            return s.createCsr(commonName, sans, tls::KeyType(keyType), name);
        }, &error);
        tls::CsrResult result;
        if (r)
            result = *r;
        else
            result.error = error;
        if (self)
            QMetaObject::invokeMethod(self, [self, result] {
                if (!self)
                    return;
                if (result.ok)
                    emit self->csrCreated(result.id, result.csrPem);
                emit self->certificateActionFinished(QStringLiteral("csr"), result.id, result.ok, result.error, {});
                self->listCertificates();
            });
    });
}

void AdminService::removeCertificate(const QString &id)
{
    QPointer<AdminService> self(this);
    const QString dir = m_dataDir;
    run([=] {
        QString error;
        auto r = withStore(dir, [&](tls::CertificateStore &s) { return s.remove(id); }, &error);
        const bool ok = r.value_or(false);
        if (!r)
            ; // error already set
        else if (!ok)
            error = QStringLiteral("no certificate with id %1").arg(id);
        if (self)
            QMetaObject::invokeMethod(self, [self, id, ok, error] {
                if (!self)
                    return;
                emit self->certificateActionFinished(QStringLiteral("remove"), id, ok, error, {});
                self->listCertificates();
            });
    });
}

} // namespace rd::engine

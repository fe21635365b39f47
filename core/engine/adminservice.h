#pragma once
// Administrative operations the GUI asks for that are slow or touch disk:
// user passwords (PBKDF2), certificate imports and key generation. Each runs
// on a worker thread with its own store connection; the result comes back as
// a signal in this object's thread. Thread-safe to call from any thread via
// queued invocation (EngineFacade does that).

#include "auth/userstore.h"
#include "config/dkimkeystore.h"
#include "tls/certificatestore.h"

#include <QList>
#include <QObject>
#include <QThreadPool>

namespace rd::engine {

struct CertificateList {
    QList<tls::CertificateInfo> certificates;
    QList<tls::PendingRequest> pending;
};

class AdminService : public QObject {
    Q_OBJECT
public:
    explicit AdminService(const QString &dataDir, QObject *parent = nullptr);
    ~AdminService() override; // waits for running tasks

public slots:
    void listUsers();
    void addUser(const QString &name, const QString &password, bool mayRelay);
    void setUserPassword(const QString &name, const QString &password);
    void setUserEnabled(const QString &name, bool enabled);
    void setUserMayRelay(const QString &name, bool mayRelay);
    void removeUser(const QString &name);

    void listCertificates();
    void importPkcs12(const QByteArray &pfx, const QString &password, const QString &name);
    void importPem(const QByteArray &certPem, const QByteArray &keyPem, const QByteArray &keyPassphrase,
                   const QString &name);
    // Links certificate files in place (CertificateStore::linkPem), action "link".
    void linkPem(const QString &certPath, const QString &keyPath, const QString &name);
    void generateSelfSigned(const QString &commonName, const QStringList &sans, int keyType, int days,
                            const QString &name);
    void createCsr(const QString &commonName, const QStringList &sans, int keyType, const QString &name);
    void importSignedCertificate(const QString &pendingId, const QByteArray &chainPem);
    void removeCertificate(const QString &id);

    // DKIM signing keys (config.db). Each action ends with dkimActionFinished()
    // then dkimKeysListed(); private keys never leave the worker thread.
    void listDkimKeys();
    // algorithm "rsa-sha256" (bits 2048..4096) or "ed25519-sha256".
    void generateDkimKey(const QString &domain, const QString &selector, const QString &algorithm, int bits);
    void importDkimKey(const QString &domain, const QString &selector, const QByteArray &pem);
    void setDkimKeyEnabled(const QString &domain, const QString &selector, bool enabled);
    void removeDkimKey(const QString &domain, const QString &selector);

signals:
    void usersListed(const QList<rd::auth::UserInfo> &users, const QString &error);
    // action: "add", "password", "enable", "relay", "remove"
    void userActionFinished(const QString &action, const QString &name, bool ok, const QString &message);
    void certificatesListed(const rd::engine::CertificateList &list);
    // action: "import", "link", "generate", "csr", "complete", "remove"; id: the entry concerned
    void certificateActionFinished(const QString &action, const QString &id, bool ok, const QString &message,
                                   const QStringList &warnings);
    void csrCreated(const QString &pendingId, const QByteArray &csrPem);
    void dkimKeysListed(const QList<rd::config::DkimKeyInfo> &keys, const QString &error);
    // action: "generate", "import", "enable", "remove"; name: "<selector>._domainkey.<domain>"
    void dkimActionFinished(const QString &action, const QString &name, bool ok, const QString &message);

private:
    template <typename Fn>
    void run(Fn &&fn);
    void userTask(const QString &action, const QString &name,
                  std::function<bool(auth::UserStore &, QString *)> op);
    void certificateResult(const QString &action, const tls::ImportResult &r);
    void dkimTask(const QString &action, const QString &name,
                  std::function<bool(config::DkimKeyStore &, QString *)> op);

    QString m_dataDir;
    QThreadPool m_pool;
};

} // namespace rd::engine

Q_DECLARE_METATYPE(rd::engine::CertificateList)

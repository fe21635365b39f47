#pragma once
// CertificateWatcher: keeps the listeners' TLS material of linked certificate
// entries (CertificateStore::linkPem/linkPkcs12) current while renewers
// (certbot's symlink swap in live/, lego and win-acme overwriting in place,
// any tool renaming a temp file over the old one) replace the files.
//
// It watches each linked file and its folder (QFileSystemWatcher) and also
// polls (size, mtime, SHA-256 of the contents) because rename-based swaps and
// network shares do not always notify. A change starts a settle delay that
// restarts while the files keep changing; then the new material is loaded
// and validated fully (CertificateStore::loadLinked: parses, key matches,
// valid now, chain ordered). Only valid material replaces the current
// configuration (certificateChanged); broken material keeps the old one and
// is reported once per distinct file content (reloadFailed).
// Listeners take configuration(id) for each new session; sessions already
// running keep the configuration they started with.
//
// Thread: lives in the thread that created it (the engine's); file reads,
// hashing and validation run on a private worker pool, never blocking that
// thread. The store must outlive the watcher; the destructor waits for a
// running check (milliseconds).

#include "tls/certificateinfo.h"

#include <QFileSystemWatcher>
#include <QHash>
#include <QObject>
#include <QSslConfiguration>
#include <QThreadPool>
#include <QTimer>

#include <memory>
#include <optional>

namespace rd::tls {

class CertificateStore;

class CertificateWatcher : public QObject {
    Q_OBJECT
public:
    // `store` is not owned and must outlive the watcher.
    explicit CertificateWatcher(CertificateStore *store, QObject *parent = nullptr);
    ~CertificateWatcher() override;

    // Quiet time after the last change before the files are loaded (default 2 s).
    void setSettleDelay(int ms);
    // Period of the fallback poll (default 60 s; 0 disables it).
    void setPollInterval(int ms);

    // Watches every linked entry of the store (the list is read on the worker).
    void watchAllLinked();
    // Starts watching one linked entry: loads it at once (no settle delay);
    // certificateChanged or reloadFailed follows. Watching twice is harmless.
    void watch(const QString &id);
    // Stops watching; configuration(id) becomes nullopt.
    void unwatch(const QString &id);
    QStringList watchedIds() const { return m_entries.keys(); }

    // The last valid configuration of a watched entry; nullopt before its first
    // successful load.
    std::optional<QSslConfiguration> configuration(const QString &id) const;
    // The certificate currently served (null info before the first load).
    CertificateInfo currentInfo(const QString &id) const;

    // Checks every watched entry now, as the poll does.
    void checkNow();

signals:
    // New material is in use for `id` (also after the first load).
    void certificateChanged(const QString &id, const rd::tls::CertificateInfo &info);
    // The files of `id` changed but are not usable: the previous certificate
    // stays in use. `error` is one sentence naming the file and the problem.
    void reloadFailed(const QString &id, const QString &error);

private:
    struct Entry;
    void startCheck(const QString &id, bool load);
    void checkDone(const QString &id, const QByteArray &signature, const QStringList &files, bool load,
                   bool ok, const QString &error, const QSslConfiguration &configuration,
                   const CertificateInfo &info);
    void rewatch(const QStringList &files);
    void pathChanged(const QString &path);

    CertificateStore *m_store;
    QFileSystemWatcher m_fsWatcher;
    QTimer m_pollTimer;
    QThreadPool m_pool;
    int m_settleMs = 2000;
    QHash<QString, std::shared_ptr<Entry>> m_entries;
};

} // namespace rd::tls

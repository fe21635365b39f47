#include "tls/certificatewatcher.h"

#include "tls/certificatestore.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPointer>

namespace rd::tls {
namespace {

// What identifies the files' current contents: path, existence, size and
// SHA-256 of each (after symlinks). mtime alone misses same-second rewrites.
QByteArray signatureOf(const QStringList &files)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    for (const QString &path : files) {
        h.addData(path.toUtf8());
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) {
            h.addData(QByteArrayView("\0missing", 8));
            continue;
        }
        h.addData(QByteArray::number(f.size()));
        h.addData(&f);
    }
    return h.result();
}

} // namespace

struct CertificateWatcher::Entry {
    QStringList files;
    QByteArray seen;      // signature of the last check
    QByteArray loaded;    // signature of the material in use
    QByteArray failed;    // signature of the last rejected material (reported once)
    std::optional<QSslConfiguration> configuration;
    CertificateInfo info;
    QTimer settle;
    bool busy = false;    // a worker check is running
    bool again = false;   // another check was asked for meanwhile
    bool againLoad = false;
};

CertificateWatcher::CertificateWatcher(CertificateStore *store, QObject *parent)
    : QObject(parent), m_store(store)
{
    m_pool.setMaxThreadCount(1);
    m_pollTimer.setInterval(60000);
    connect(&m_pollTimer, &QTimer::timeout, this, &CertificateWatcher::checkNow);
    m_pollTimer.start();
    connect(&m_fsWatcher, &QFileSystemWatcher::fileChanged, this, &CertificateWatcher::pathChanged);
    connect(&m_fsWatcher, &QFileSystemWatcher::directoryChanged, this, &CertificateWatcher::pathChanged);
}

CertificateWatcher::~CertificateWatcher()
{
    m_pool.waitForDone();
}

void CertificateWatcher::setSettleDelay(int ms)
{
    m_settleMs = qMax(0, ms);
    for (const auto &e : std::as_const(m_entries))
        e->settle.setInterval(m_settleMs);
}

void CertificateWatcher::setPollInterval(int ms)
{
    if (ms <= 0) {
        m_pollTimer.stop();
        return;
    }
    m_pollTimer.start(ms);
}

void CertificateWatcher::watchAllLinked()
{
    QPointer<CertificateWatcher> self(this);
    CertificateStore *store = m_store;
    m_pool.start([self, store] {
        const QStringList ids = store->linkedIds();
        QMetaObject::invokeMethod(self, [self, ids] {
            if (!self)
                return;
            for (const QString &id : ids)
                self->watch(id);
        }, Qt::QueuedConnection);
    });
}

void CertificateWatcher::watch(const QString &id)
{
    if (m_entries.contains(id))
        return;
    auto e = std::make_shared<Entry>();
    e->settle.setSingleShot(true);
    e->settle.setInterval(m_settleMs);
    connect(&e->settle, &QTimer::timeout, this, [this, id] { startCheck(id, true); });
    m_entries.insert(id, e);
    startCheck(id, true);
}

void CertificateWatcher::unwatch(const QString &id)
{
    m_entries.remove(id);
}

std::optional<QSslConfiguration> CertificateWatcher::configuration(const QString &id) const
{
    const auto it = m_entries.constFind(id);
    return it == m_entries.constEnd() ? std::nullopt : (*it)->configuration;
}

CertificateInfo CertificateWatcher::currentInfo(const QString &id) const
{
    const auto it = m_entries.constFind(id);
    return it == m_entries.constEnd() ? CertificateInfo{} : (*it)->info;
}

void CertificateWatcher::checkNow()
{
    for (auto it = m_entries.cbegin(); it != m_entries.cend(); ++it)
        startCheck(it.key(), false);
}

void CertificateWatcher::pathChanged(const QString &path)
{
    const QString dir = QFileInfo(path).isDir() ? path : QFileInfo(path).absolutePath();
    for (auto it = m_entries.cbegin(); it != m_entries.cend(); ++it) {
        for (const QString &f : std::as_const((*it)->files)) {
            if (f == path || QFileInfo(f).absolutePath() == dir) {
                startCheck(it.key(), false);
                break;
            }
        }
    }
}

void CertificateWatcher::rewatch(const QStringList &files)
{
    // A file replaced by rename drops out of the watcher: add it (and its folder) again.
    QStringList paths;
    for (const QString &f : files) {
        if (QFileInfo::exists(f) && !m_fsWatcher.files().contains(f))
            paths << f;
        const QString dir = QFileInfo(f).absolutePath();
        if (QFileInfo(dir).isDir() && !m_fsWatcher.directories().contains(dir) && !paths.contains(dir))
            paths << dir;
    }
    if (!paths.isEmpty())
        m_fsWatcher.addPaths(paths);
}

void CertificateWatcher::startCheck(const QString &id, bool load)
{
    const auto it = m_entries.constFind(id);
    if (it == m_entries.constEnd())
        return;
    Entry &e = **it;
    if (e.busy) {
        e.again = true;
        e.againLoad = e.againLoad || load;
        return;
    }
    e.busy = true;
    QPointer<CertificateWatcher> self(this);
    CertificateStore *store = m_store;
    m_pool.start([self, store, id, load] {
        const QStringList files = store->linkedFiles(id);
        const QByteArray signature = signatureOf(files);
        LinkedLoad result;
        if (load)
            result = store->loadLinked(id);
        QMetaObject::invokeMethod(self, [self, id, files, signature, load, result] {
            if (self)
                self->checkDone(id, signature, files, load, result.ok, result.error, result.configuration, result.info);
        }, Qt::QueuedConnection);
    });
}

void CertificateWatcher::checkDone(const QString &id, const QByteArray &signature, const QStringList &files,
                                   bool load, bool ok, const QString &error, const QSslConfiguration &configuration,
                                   const CertificateInfo &info)
{
    const auto it = m_entries.constFind(id);
    if (it == m_entries.constEnd())
        return;
    const std::shared_ptr<Entry> e = *it;
    e->busy = false;
    e->files = files;
    rewatch(files);
    if (files.isEmpty()) { // the entry was removed from the store
        m_entries.remove(id);
        return;
    }
    if (load) {
        const bool first = e->seen.isEmpty() && !e->configuration;
        // Files that changed again while being loaded: settle once more.
        if (!first && signature != e->seen && !e->seen.isEmpty()) {
            e->seen = signature;
            e->settle.start();
        } else if (ok) {
            e->seen = e->loaded = signature;
            e->failed.clear();
            e->configuration = configuration;
            e->info = info;
            emit certificateChanged(id, info);
        } else {
            e->seen = signature;
            if (e->failed != signature) {
                e->failed = signature;
                emit reloadFailed(id, error);
            }
        }
    } else if (signature != e->seen) {
        e->seen = signature;
        e->settle.start(); // restarts while the files keep changing
    }
    if (e->again) {
        const bool againLoad = e->againLoad;
        e->again = e->againLoad = false;
        startCheck(id, againLoad);
    }
}

} // namespace rd::tls

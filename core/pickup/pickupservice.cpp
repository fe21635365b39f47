#include "pickup/pickupservice.h"

#include "pickup/atomicrename.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QMutex>
#include <QPointer>
#include <QTimer>

#include <algorithm>
#include "util/clock.h"

namespace rd::pickup {

namespace {
using util::nowMs;

// Claims whose commit this process still waits for (a recovery in another
// PickupService instance on the same folder must leave them alone).
QMutex s_busyMutex;
QSet<QString> s_busy;

void setBusy(const QString &path, bool busy)
{
    QMutexLocker lock(&s_busyMutex);
    if (busy)
        s_busy.insert(path);
    else
        s_busy.remove(path);
}

QSet<QString> busyPaths()
{
    QMutexLocker lock(&s_busyMutex);
    return s_busy;
}

} // namespace

QString PickupEvent::kindName() const
{
    switch (kind) {
    case Queued: return QStringLiteral("queued");
    case Badmail: return QStringLiteral("badmail");
    case Deferred: return QStringLiteral("deferred");
    case Recovered: return QStringLiteral("recovered");
    case FolderError: return QStringLiteral("folder_error");
    }
    return QString();
}

PickupService::PickupService(const PickupOptions &options, CommitFn commit, LogFn log, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_commit(std::move(commit))
    , m_log(std::move(log))
    , m_stopping(std::make_shared<std::atomic_bool>(false))
{
    m_options.directory = QDir::cleanPath(m_options.directory);
    m_options.batchSize = std::max(1, m_options.batchSize);
    m_options.maxInFlight = std::max(1, m_options.maxInFlight);
    m_pool.setMaxThreadCount(1);
    m_pool.setExpiryTimeout(-1);

    m_rescanTimer = new QTimer(this);
    m_rescanTimer->setInterval(std::max(100, m_options.rescanMs));
    connect(m_rescanTimer, &QTimer::timeout, this, &PickupService::requestScan);
    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(100);
    connect(m_debounce, &QTimer::timeout, this, &PickupService::requestScan);
    m_settleTimer = new QTimer(this);
    m_settleTimer->setSingleShot(true);
    connect(m_settleTimer, &QTimer::timeout, this, &PickupService::requestScan);
}

PickupService::~PickupService()
{
    m_stopping->store(true);
    m_pool.clear();
    m_pool.waitForDone();
}

void PickupService::start()
{
    if (m_started)
        return;
    m_started = true;
    m_jobRunning = true;
    const QString dir = m_options.directory;
    const QString spool = m_options.spoolDir;
    const QSet<QString> busy = busyPaths();
    m_pool.start([this, dir, spool, busy] {
        const RecoveryResult result = recoverClaims(dir, spool, busy);
        QMetaObject::invokeMethod(this, [this, result] { onRecovered(result); }, Qt::QueuedConnection);
    });
    m_watcher = new QFileSystemWatcher(this);
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, this, [this] { m_debounce->start(); });
    m_rescanTimer->start();
}

void PickupService::rescan()
{
    requestScan();
}

void PickupService::onRecovered(const RecoveryResult &result)
{
    m_jobRunning = false;
    for (const QString &note : result.notes) {
        PickupEvent e;
        e.kind = PickupEvent::Recovered;
        e.detail = note;
        log(e);
    }
    for (const PrepareItem &item : result.claimed)
        m_retries.append(Retry{item, 0});
    requestScan();
    schedulePump();
}

void PickupService::requestScan()
{
    if (!m_started)
        return;
    if (m_jobRunning) {
        m_scanWanted = true;
        return;
    }
    runScan();
}

void PickupService::runScan()
{
    m_scanWanted = false;
    m_jobRunning = true;
    const QString dir = m_options.directory;
    m_pool.start([this, dir] {
        QList<ScannedFile> files;
        QString error;
        scanPickupFolder(dir, &files, &error);
        QMetaObject::invokeMethod(this, [this, files, error] { onScanned(files, error); }, Qt::QueuedConnection);
    });
}

void PickupService::onScanned(const QList<ScannedFile> &files, const QString &error)
{
    m_jobRunning = false;
    if (!error.isEmpty()) {
        if (!m_folderError) { // once per outage, not every rescan
            PickupEvent e;
            e.kind = PickupEvent::FolderError;
            e.detail = error;
            log(e);
        }
        m_folderError = true;
        schedulePump();
        return;
    }
    m_folderError = false;
    if (m_watcher && m_watcher->directories().isEmpty())
        m_watcher->addPath(m_options.directory);

    const qint64 now = nowMs();
    QHash<QString, Seen> seen;
    QList<ScannedFile> eligible;
    qint64 nextSettle = -1;
    for (const ScannedFile &f : files) {
        if (m_dispatched.contains(f.name))
            continue;
        Seen s = m_seen.value(f.name, Seen{-1, -1, now});
        if (s.size != f.size || s.mtimeMs != f.mtimeMs)
            s = Seen{f.size, f.mtimeMs, now};
        seen.insert(f.name, s);
        const qint64 waited = now - s.sinceMs;
        if (waited >= m_options.settleMs) {
            eligible.append(f);
        } else {
            const qint64 left = m_options.settleMs - waited;
            nextSettle = nextSettle < 0 ? left : std::min(nextSettle, left);
        }
    }
    m_seen = seen;
    std::sort(eligible.begin(), eligible.end(), [](const ScannedFile &a, const ScannedFile &b) {
        return a.mtimeMs != b.mtimeMs ? a.mtimeMs < b.mtimeMs : a.name < b.name;
    });
    m_ready.clear();
    for (const ScannedFile &f : eligible)
        m_ready.append(f.name);
    if (nextSettle >= 0 && !m_settleTimer->isActive())
        m_settleTimer->start(int(std::clamp<qint64>(nextSettle + 10, 10, 3600000)));
    schedulePump();
}

void PickupService::schedulePump()
{
    if (m_pumpPosted)
        return;
    m_pumpPosted = true;
    QTimer::singleShot(0, this, [this] {
        m_pumpPosted = false;
        pump();
    });
}

void PickupService::pump()
{
    if (m_jobRunning || m_stopping->load())
        return;
    const int capacity = std::min(m_options.batchSize, m_options.maxInFlight - m_inFlight);
    QList<PrepareItem> batch;
    const qint64 now = nowMs();
    for (auto it = m_retries.begin(); it != m_retries.end() && batch.size() < capacity;) {
        if (it->dueMs <= now) {
            batch.append(it->item);
            it = m_retries.erase(it);
        } else {
            ++it;
        }
    }
    while (!m_ready.isEmpty() && batch.size() < capacity) {
        const QString name = m_ready.takeFirst();
        const Seen s = m_seen.value(name);
        batch.append(PrepareItem{name, m_options.directory + QLatin1Char('/') + name, false, s.size, s.mtimeMs});
        m_dispatched.insert(name);
    }
    if (batch.isEmpty()) {
        if (m_scanWanted)
            runScan();
        else
            checkIdle();
        return;
    }
    m_inFlight += int(batch.size());
    m_jobRunning = true;
    PrepareConfig config;
    config.pickupDir = m_options.directory;
    config.spoolDir = m_options.spoolDir;
    config.badmailDir = m_options.badmailDir;
    config.maxMessageSize = m_options.maxMessageSize;
    config.hostname = m_options.hostname;
    const auto stopping = m_stopping;
    m_pool.start([this, config, batch, stopping] {
        if (stopping->load())
            return;
        const QList<PrepareResult> results = preparePickupFiles(config, batch);
        QMetaObject::invokeMethod(this, [this, results] { onPrepared(results); }, Qt::QueuedConnection);
    });
}

void PickupService::onPrepared(const QList<PrepareResult> &results)
{
    m_jobRunning = false;
    m_dispatched.clear();
    for (const PrepareResult &r : results) {
        switch (r.kind) {
        case PrepareResult::Skipped:
        case PrepareResult::Changed:
            --m_inFlight;
            m_seen.remove(r.name); // settle again from the next scan
            break;
        case PrepareResult::Badmail: {
            --m_inFlight;
            ++m_badmail;
            PickupEvent e;
            e.kind = PickupEvent::Badmail;
            e.fileName = r.name;
            e.size = r.size;
            e.detail = r.detail;
            e.badPath = r.badPath;
            log(e);
            break;
        }
        case PrepareResult::Deferred: {
            --m_inFlight;
            m_retries.append(Retry{PrepareItem{r.name, r.claimedPath, true}, nowMs() + m_options.retryMs});
            PickupEvent e;
            e.kind = PickupEvent::Deferred;
            e.fileName = r.name;
            e.size = r.size;
            e.detail = r.detail;
            log(e);
            break;
        }
        case PrepareResult::Ready:
            commitOne(r);
            break;
        }
    }
    // New files may have arrived while the batch ran (the watcher asked for a scan then).
    if (m_ready.isEmpty())
        m_scanWanted = true;
    schedulePump();
}

void PickupService::commitOne(const PrepareResult &r)
{
    // The claim is "busy" (left alone by a recovery) until the commit answers,
    // or until the answer can no longer come (the done function is destroyed).
    struct BusyClaim {
        QString path;
        explicit BusyClaim(const QString &p) : path(p) { setBusy(path, true); }
        ~BusyClaim() { setBusy(path, false); }
    };
    auto busy = std::make_shared<BusyClaim>(r.committingPath);
    QPointer<PickupService> self(this);
    auto done = [self, r, busy](bool ok, QString error) mutable {
        if (!busy)
            return; // answered twice
        // The file work happens even when the service is gone.
        if (ok) {
            if (!QFile::remove(r.committingPath))
                atomicRename(r.committingPath, r.committingPath + QStringLiteral(".done"));
        } else {
            atomicRename(r.committingPath, r.claimedPath);
        }
        busy.reset();
        if (self)
            self->finishCommit(r, ok, error);
    };
    if (m_commit)
        m_commit(r.entry, r.tmpPath, std::move(done));
    else
        done(false, QStringLiteral("no queue to commit to"));
}

void PickupService::finishCommit(const PrepareResult &r, bool ok, const QString &error)
{
    --m_inFlight;
    PickupEvent e;
    e.fileName = r.name;
    e.queueId = r.entry.info.queueId;
    e.sender = r.sender;
    e.recipients = r.recipients;
    e.size = r.size;
    if (ok) {
        ++m_queued;
        e.kind = PickupEvent::Queued;
    } else {
        e.kind = PickupEvent::Deferred;
        e.detail = QStringLiteral("the queue commit failed: %1").arg(error);
        m_retries.append(Retry{PrepareItem{r.name, r.claimedPath, true}, nowMs() + m_options.retryMs});
    }
    log(e);
    schedulePump();
}

void PickupService::log(const PickupEvent &e)
{
    if (m_log)
        m_log(e);
}

void PickupService::checkIdle()
{
    if (m_inFlight == 0 && !m_jobRunning && m_ready.isEmpty() && !m_settleTimer->isActive())
        emit idle();
}

} // namespace rd::pickup

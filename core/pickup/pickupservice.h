#pragma once
// The pickup folder (IIS SMTP's Pickup): every *.eml dropped there is queued
// durably, then removed. A file that cannot be read as mail moves to badmail
// with a reason file; a file whose commit fails stays claimed and is retried.
//
// Watching: a QFileSystemWatcher plus a periodic rescan (watchers miss
// events). A file is taken once its size and time stayed the same for
// settleMs AND it can be claimed by an atomic rename into the private
// subfolder <pickup>/.relaydesk (see pickupjobs.h; on Windows the rename fails
// while the writer holds the file open).
//
// Bounded: the worker prepares at most batchSize files per job and at most
// maxInFlight files are claimed and not yet committed; the engine thread does
// no file I/O beyond removing a committed file, and handles one batch per
// event-loop turn, so thousands of files never freeze the engine.
//
// Crash recovery (start()): a ".committing" claim whose spool file exists was
// committed: its pickup file is removed (no duplicate); one without a spool
// file was not: it is picked up again (no loss), as are ".processing" claims.
// The queue must be open (QueueStore::open() ran) before start().
//
// Thread: create and use in the engine thread; callbacks run in that thread.

#include "pickup/pickupjobs.h"
#include "queue/queuestore.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>

class QFileSystemWatcher;
class QTimer;

namespace rd::pickup {

struct PickupOptions {
    QString directory;          // pickup.directory (required)
    QString spoolDir;           // QueueStore::spoolDir()
    QString badmailDir;         // Badmail::directoryFor(badmail.directory, dataDir)
    qint64 maxMessageSize = 0;  // smtp.max_message_size; <= 0: no limit
    QString hostname;           // server.hostname, for the Received line (empty: none)
    int settleMs = 2000;        // unchanged this long before a file is taken
    int rescanMs = 10000;       // periodic rescan
    int batchSize = 50;         // files per worker job (and per engine turn)
    int maxInFlight = 200;      // files claimed and not yet committed or failed
    int retryMs = 30000;        // a claimed file whose spooling or commit failed waits this long
};

struct PickupEvent {
    enum Kind {
        Queued,     // committed as queueId; the file is removed
        Badmail,    // not mail: moved to badmail (detail: the reason; badPath)
        Deferred,   // spool, commit or badmail failed (detail); retried after retryMs
        Recovered,  // a claim from before a restart was handled (detail says how)
        FolderError // the folder cannot be created or read (detail); retried at the next scan
    };
    Kind kind = Queued;
    QString fileName;   // the name the file had in the pickup folder
    QString queueId;
    QByteArray sender;
    int recipients = 0;
    qint64 size = 0;
    QString detail;
    QString badPath;

    // "queued", "badmail", "deferred", "recovered", "folder_error" (for log rows).
    QString kindName() const;
};

class PickupService : public QObject {
    Q_OBJECT
public:
    // Makes an entry durable (QueueStore::commit() plus scheduling); must
    // call done(ok, error) exactly once, later or at once, in this thread.
    using CommitFn = std::function<void(queue::QueueEntry entry, QString tmpPath,
                                        std::function<void(bool ok, QString error)> done)>;
    using LogFn = std::function<void(const PickupEvent &event)>;

    // Does nothing until start(). commit and log must outlive the service
    // (a commit still pending when the service is destroyed finishes its
    // file work without it).
    PickupService(const PickupOptions &options, CommitFn commit, LogFn log, QObject *parent = nullptr);
    ~PickupService() override; // waits for the current worker job (one batch at most)

    // Recovers claims left by a crash, then watches and scans. Non-blocking.
    void start();
    // Asks for a scan now (also done by the watcher and the rescan timer).
    void rescan();

    const PickupOptions &options() const { return m_options; }
    // Files claimed and not yet queued, badmailed or deferred.
    int inFlight() const { return m_inFlight; }
    // Totals since start().
    int queuedCount() const { return m_queued; }
    int badmailCount() const { return m_badmail; }

signals:
    // After each handled batch and scan: nothing claimed, nothing eligible.
    void idle();

private:
    struct Seen {
        qint64 size = 0;
        qint64 mtimeMs = 0;
        qint64 sinceMs = 0; // first seen with this size and time
    };
    struct Retry {
        PrepareItem item;
        qint64 dueMs = 0;
    };

    void requestScan();
    void runScan();
    void onScanned(const QList<ScannedFile> &files, const QString &error);
    void onRecovered(const RecoveryResult &result);
    void schedulePump();
    void pump();
    void onPrepared(const QList<PrepareResult> &results);
    void commitOne(const PrepareResult &r);
    void finishCommit(const PrepareResult &r, bool ok, const QString &error);
    void log(const PickupEvent &e);
    void checkIdle();

    PickupOptions m_options;
    CommitFn m_commit;
    LogFn m_log;
    QThreadPool m_pool; // one thread: jobs run one after another
    std::shared_ptr<std::atomic_bool> m_stopping;
    QFileSystemWatcher *m_watcher = nullptr;
    QTimer *m_rescanTimer = nullptr;
    QTimer *m_debounce = nullptr;
    QTimer *m_settleTimer = nullptr;
    bool m_started = false;
    bool m_jobRunning = false;
    bool m_scanWanted = false;
    bool m_pumpPosted = false;
    bool m_folderError = false;
    QHash<QString, Seen> m_seen;
    QStringList m_ready;          // eligible names, oldest first
    QSet<QString> m_dispatched;   // names in the running batch
    QList<Retry> m_retries;       // claimed files waiting (recovered or failed)
    int m_inFlight = 0;
    int m_queued = 0;
    int m_badmail = 0;
};

} // namespace rd::pickup

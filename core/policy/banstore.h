#pragma once
// rd::policy::BanStore: keeps the bans (policy/banlist.h) in config.db
// `bans` (schema v9) so they survive a restart. Writes are batched and run on
// a private worker thread with their own connection: the engine thread only
// hands over BanList::takeChanges() and never waits for SQLite. Changes handed
// over while a write runs are merged (the newest operation per key wins) and
// written together once it ends. A failed write keeps its changes (merged
// under newer ones), emits saveFailed() and is retried 5 s later or with the
// next save(), whichever comes first.
//
// Thread: create, call and destroy on one thread with an event loop (the
// engine's); signals are emitted there. The destructor waits for a running
// write and writes what is still pending (shutdown: at most one transaction).

#include "policy/banlist.h"

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <memory>

class QSqlDatabase;

namespace rd::policy {

class BanStore : public QObject {
    Q_OBJECT
public:
    // dataDir: the folder holding config.db (created and migrated if needed).
    explicit BanStore(QString dataDir, QObject *parent = nullptr);
    ~BanStore() override;

    // Reads every stored ban (expired ones included: BanList::load() drops
    // them and queues their deletion). Synchronous, on the calling thread:
    // call it once at startup, before serving. False with *error if the
    // database cannot be opened or read.
    bool load(QList<Ban> *out, QString *error);

    // Queues `changes` for writing; returns at once. Empty changes: no-op.
    void save(const BanChanges &changes);

    // Blocks until everything queued is written (shutdown, tests). False with
    // *error if the last write failed (the changes stay queued).
    bool flush(QString *error = nullptr);

    // True when nothing is queued and no write runs.
    bool isIdle() const { return !m_busy && m_pending.isEmpty(); }

    // Rows of `db` (any thread owning it); upserts and deletes in one transaction.
    static bool readAll(QSqlDatabase &db, QList<Ban> *out, QString *error);
    static bool writeChanges(QSqlDatabase &db, const BanChanges &changes, QString *error);

signals:
    // A batch was written.
    void saved(int upserts, int deletes);
    // A batch could not be written (it is kept and retried).
    void saveFailed(const QString &error);

private:
    struct Result {
        bool ok = false;
        QString error;
    };

    static bool writeTo(const QString &dataDir, const BanChanges &changes, QString *error);
    void startWrite();
    void finishWrite(std::shared_ptr<Result> result); // by value: it resets m_inflightResult

    QString m_dataDir;
    QThreadPool m_pool; // one worker
    BanChanges m_pending;
    BanChanges m_inflight;
    std::shared_ptr<Result> m_inflightResult;
    bool m_busy = false;
    bool m_retryScheduled = false;
    QString m_lastError;
};

} // namespace rd::policy

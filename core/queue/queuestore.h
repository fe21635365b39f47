#pragma once
// The durable queue: spool files plus the SQLite queue index, written by one
// worker thread with group commit. Every commit request that arrives while the
// worker is busy is made durable by the next batch: each spool file is fsynced
// and renamed into place, the spool folder is fsynced once, and the index rows
// of the whole batch go in one transaction. Only then is each requester told.
//
// Thread: create in any thread; the object belongs to its creator's thread
// (the engine's), and completion callbacks run in that thread.

#include "queue/queuetypes.h"
#include "queue/spoolrecycler.h"

#include <QObject>
#include <QThread>
#include <QVector>
#include <functional>
#include <memory>

namespace rd::queue {

class QueueWorker;

// A queued message as the engine schedules it.
struct QueueEntry {
    MessageInfo info;
    QString spoolPath;
    qint64 bodyOffset = 0;
    bool eightBit = false;
    bool smtpUtf8 = false;   // received with SMTPUTF8
    bool delayWarned = false; // a delay DSN was sent (in memory: sent again after a restart)
    // Header fields to send before the spool file's octets (CRLF-terminated
    // lines, e.g. Authentication-Results); empty for most messages.
    QByteArray prepend;
    // Where the message came from: "relay" (a client with the relay right:
    // listed address or authenticated user; mail we may DKIM-sign), "inbound"
    // (anyone else, to an accepted domain) or "local" (bounces and reports made
    // here). Messages queued before schema v4 read as "relay".
    QString origin = QStringLiteral("relay");
};

// What one delivery attempt changed.
struct AttemptUpdate {
    QString queueId;
    MessageState state = MessageState::Deferred;
    int attempts = 0;
    QDateTime nextAttempt;
    QString lastError;
    QList<RecipientInfo> recipients;  // full new recipient list (same order)
    QString host;                     // for the attempts history
    QString result;                   // delivered / deferred / failed / mixed
    bool remove = false;              // every recipient is done: drop message and spool file
};

class QueueStore : public QObject {
    Q_OBJECT
public:
    // Starts the worker thread. dataDir holds queue.db and spool/.
    explicit QueueStore(const QString &dataDir, QObject *parent = nullptr);
    ~QueueStore() override; // finishes pending work, then stops the worker

    // Opens the index and reconciles it with the spool folder: temporary files
    // are removed, spool files without an index row are re-indexed, rows
    // without a spool file are dropped. Blocks the caller (start-up only).
    // Returns false if the index cannot be opened (*error says why).
    bool open(QVector<QueueEntry> *entries, QStringList *notes, QString *error);

    QString spoolDir() const { return m_spoolDir; }
    // Spare spool files for new messages (SpoolFile's recycler); thread-safe.
    SpoolRecycler *recycler() const { return m_recycler.get(); }

    // Makes a finished spool file durable and indexes it; `done(ok, error)`
    // runs later in this object's thread. The tmp file is removed on failure.
    void commit(const QueueEntry &entry, const QString &tmpPath, std::function<void(bool, QString)> done);

    // Records a delivery attempt (and removes the message if update.remove).
    void recordAttempt(const AttemptUpdate &update);

    // Admin: sets a message's state (held/queued) or removes it.
    void setState(const QString &queueId, MessageState state, const QDateTime &nextAttempt);
    void remove(const QString &queueId);

    // Blocks until everything requested so far is written (tests, shutdown).
    void flushNow();

signals:
    // The index changed (emitted after each batch, in the worker thread).
    void changed();

private:
    QString m_dataDir;
    QString m_spoolDir;
    std::unique_ptr<SpoolRecycler> m_recycler;
    QThread m_thread;
    QueueWorker *m_worker;
};

// Extracts Message-ID and Subject from the start of a message (header part).
void scanHeaders(const QByteArray &head, QString *messageId, QString *subject);

// The number of Received header fields in the header part at the start of
// `head` (the hop count of RFC 5321 6.3: a loop shows as too many of them).
int countReceived(const QByteArray &head);

} // namespace rd::queue

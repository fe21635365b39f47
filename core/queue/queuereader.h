#pragma once
// Read-only view of the queue index for the GUI (its own SQLite connection,
// WAL readers never block the engine's writer). Queries are indexed and paged;
// a page of a few hundred rows returns in about a millisecond.
// Thread: create and use on one thread (the GUI thread); never writes.

#include "queue/queuetypes.h"

#include <QString>
#include <QVector>
#include <memory>
#include <optional>

namespace rd::queue {

class QueueReader {
public:
    // dataDir: the instance's data folder (the reader opens dataDir/queue.db).
    explicit QueueReader(const QString &dataDir);
    ~QueueReader();
    QueueReader(const QueueReader &) = delete;
    QueueReader &operator=(const QueueReader &) = delete;

    // False (with errorString()) if the database could not be opened.
    bool isOpen() const;
    QString errorString() const;

    // Number of messages matching the filter.
    int count(const QueueFilter &filter = {}) const;

    // Messages matching the filter, oldest first, rows [offset, offset+limit).
    // Recipients are included (address and state only; first 20 per message).
    QVector<MessageInfo> page(const QueueFilter &filter, int offset, int limit) const;

    // One message with every recipient; nullopt when it is no longer queued.
    std::optional<MessageInfo> message(const QString &queueId) const;

    // The stored message (headers and body) as bytes, at most maxBytes.
    QByteArray rawMessage(const QString &queueId, qint64 maxBytes = 1 << 20) const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace rd::queue

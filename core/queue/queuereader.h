#pragma once
// Read-only view of the queue index for the GUI (its own SQLite connection,
// WAL readers never block the engine's writer). Every query the queue viewer
// issues is paged and index-driven; see queryPlan() and tests/gui/tst_queuescale.
// Thread: create and use on one thread (the GUI thread); never writes.
//
// Order: messages are listed oldest first, by (received, queue_id) - the
// "key" of a row. Paging by key (pageAfter/pageBefore) costs the same at any
// depth; paging by offset walks the index up to the offset (from whichever end
// is nearer when the total is given).
//
// Filters (QueueFilter; empty fields do not filter, all given ones must match):
//   state   the message state;
//   domain  a recipient's domain, exact and case-insensitive (ASCII); a leading
//           '@' is ignored. The sender's domain is matched with `sender`.
//   sender  case-insensitive substring of the envelope sender; "<>" matches
//           the null sender only;
//   text    case-insensitive substring of sender, any recipient, queue id,
//           subject or last error.
// The substring filters (sender, text) cannot use an index: they scan the
// index in list order and stop once a page is full; count() scans them all.
// The list queries use the last count() of the same filter to pick their
// plan: few matches (<= 5,000) are collected once and sorted, many are found
// by walking the list index in order.

#include "queue/queueshape.h"
#include "queue/queuetypes.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVector>
#include <memory>
#include <optional>

namespace rd::queue {

// One delivery attempt as the attempts table records it.
struct AttemptInfo {
    QDateTime time;  // UTC
    QString host;    // remote host (and port) tried, "" if no connection was made
    QString result;  // delivered / deferred / failed / partial ... (as the engine wrote it)
    QString reply;   // last remote reply or connection error
};

// One header field: name as written, value unfolded with RFC 2047 encoded
// words decoded (undecodable words are kept as written).
struct HeaderField {
    QString name;
    QString value;
};

// The sort key of a listed message (see the file comment).
struct QueueKey {
    qint64 receivedMs = 0;
    QString queueId;
    static QueueKey of(const MessageInfo &m) { return {m.received.toMSecsSinceEpoch(), m.queueId}; }
};

class QueueReader {
public:
    // dataDir: the instance's data folder (the reader opens dataDir/queue.db).
    explicit QueueReader(const QString &dataDir);
    ~QueueReader();
    QueueReader(const QueueReader &) = delete;
    QueueReader &operator=(const QueueReader &) = delete;

    // False (with errorString()) if the database could not be opened.
    bool isOpen() const;
    // The open error, or the last failed query's error.
    QString errorString() const;

    // Number of messages matching the filter.
    int count(const QueueFilter &filter = {}) const;

    // Messages matching the filter, oldest first, rows [offset, offset+limit).
    // When `total` (the current count()) is given and the offset is in the
    // second half, the rows are read from the end instead. Each message
    // carries its first 20 recipients (one query for the whole page) and
    // recipientCount.
    QVector<MessageInfo> page(const QueueFilter &filter, int offset, int limit, int total = -1) const;
    // The `limit` matching messages right after / right before `key`, oldest
    // first (both in list order).
    QVector<MessageInfo> pageAfter(const QueueFilter &filter, const QueueKey &key, int limit) const;
    QVector<MessageInfo> pageBefore(const QueueFilter &filter, const QueueKey &key, int limit) const;

    // Number of matching messages listed before `key` (whether or not that
    // message itself still exists).
    int rowsBefore(const QueueFilter &filter, const QueueKey &key) const;
    // Row of the message with this key in the filtered list, or -1 when it
    // no longer matches (or has left the queue).
    int position(const QueueFilter &filter, const QueueKey &key) const;

    // Queue ids of the matching messages from `first` to `last` inclusive,
    // in list order (a selected range, however many rows it spans).
    QStringList queueIds(const QueueFilter &filter, const QueueKey &first, const QueueKey &last) const;

    // One message with every recipient; nullopt when it is no longer queued.
    std::optional<MessageInfo> message(const QString &queueId) const;

    // Every recorded delivery attempt of a message, oldest first.
    QVector<AttemptInfo> attempts(const QString &queueId) const;

    // The stored message (headers and body) as bytes, at most maxBytes.
    QByteArray rawMessage(const QString &queueId, qint64 maxBytes = 1 << 20) const;

    // The parsed header section of the stored message (read up to maxBytes;
    // *complete is false when the section did not end within them).
    QList<HeaderField> headers(const QString &queueId, qint64 maxBytes = 256 * 1024,
                               bool *complete = nullptr) const;

    // The queue shape (queueshape.h): queued recipients (RecipientState::Pending,
    // any message state) by recipient domain, or messages with one by sender
    // domain, per age bucket measured from `now`; top `topN` domains + "other".
    // One aggregate query (a full pass over the pending recipients: ~0.1 s
    // per 100k); call it off the GUI thread. Errors land in QueueShape::error.
    QueueShape shape(ShapeBy by, const QDateTime &now, int topN = 20) const;

    // Reads between beginSnapshot() and endSnapshot() all see the queue as
    // it was at the first of them (one read transaction; keep it short - the
    // engine's writes go on, but the WAL cannot be checkpointed meanwhile).
    void beginSnapshot() const;
    void endSnapshot() const;

    // Diagnostics (tests, support): EXPLAIN QUERY PLAN lines of the count and
    // page queries for this filter, each prefixed with "count: " / "page: ".
    QStringList queryPlan(const QueueFilter &filter) const;

private:
    QVector<MessageInfo> select(const QString &sql, const QVariantList &binds) const;
    int listUse(const QueueFilter &filter) const;

    struct Impl;
    std::unique_ptr<Impl> d;
};

// Parses an RFC 5322 header section (stops at the first empty line).
// *complete (optional) is set to whether that empty line was found. Pure.
QList<HeaderField> parseHeaderSection(const QByteArray &raw, bool *complete = nullptr);

// Decodes RFC 2047 encoded words ("=?charset?B|Q?...?=") in a header value;
// whitespace between adjacent encoded words is dropped. Pure.
QString decodeEncodedWords(const QByteArray &value);

} // namespace rd::queue

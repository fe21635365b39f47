#pragma once
// Log retention: removes the oldest log.db rows by age and by size in bounded
// batches (each batch its own short transaction, so writers and readers wait
// at most one batch).
// Thread: runs on the thread that owns `db` (LogStore's writer thread).

#include <QDateTime>
#include <QSqlDatabase>

#include <functional>

namespace rd::log {

struct RetentionPolicy {
    int days = 0;             // rows older than this many days go; <= 0: no age limit
    qint64 maxBytes = 0;      // the database's used size cap; <= 0: no size limit
};

struct RetentionResult {
    qint64 events = 0;        // event rows deleted
    qint64 transcripts = 0;   // transcripts deleted
    qint64 alerts = 0;        // resolved alerts deleted (open alerts are kept)
    qint64 messages = 0;      // message tracking records deleted
    qint64 tlsResults = 0;    // TLS-RPT result rows deleted
    qint64 bytesBefore = 0;   // used size before and after
    qint64 bytesAfter = 0;
    QString error;            // first SQL error, empty if fine
};

// Rows deleted per transaction.
inline constexpr int kRetentionBatch = 5000;

// The used size of a database: (page_count - freelist_count) * page_size.
qint64 usedBytes(const QSqlDatabase &db);

// Applies the policy at `now`. `betweenBatches` (may be empty) runs after each
// committed batch: the writer uses it to write pending rows meanwhile.
// Size: while the used size is above maxBytes, deletes the oldest events (and
// transcripts/resolved alerts older than the oldest kept event) until about
// 90% of the cap, at most a few rounds per call.
RetentionResult applyRetention(QSqlDatabase &db, const RetentionPolicy &policy, const QDateTime &now,
                               const std::function<void()> &betweenBatches = {});

} // namespace rd::log

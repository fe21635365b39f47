#pragma once
// Read-only access to the log database (its own connection): filtered pages,
// the live tail, session transcripts.
// Thread: create and use on one thread (the GUI's LogWorker thread, a CLI, a
// test); never writes. Never use it on the GUI thread: a query over a large
// log may take tens of milliseconds.
//
// Plans: each index-capable condition of the filter (client IP, user, exact
// sender, kind, session id) and the full-text expression are probed with a
// bounded count (at most ProbeLimit rows each); the one that visits the fewest
// rows drives the query and the others are checked per row. A query driven by
// an index or by no condition returns rows by (ts, id) descending; one driven
// by the full-text index returns them by id descending (the same order while
// the clock does not go back, since ids follow insertion).

#include "log/logtypes.h"

#include <QString>
#include <QVector>
#include <memory>

namespace rd::log {

struct LogPage {
    QVector<LogEvent> rows;   // newest first
    LogCursor next;           // pass to newest() for the following page
    bool atEnd = true;        // fewer rows than asked: nothing older matches
    qint64 lastId = 0;        // first page of newest(): the highest id when it was read
                              // (rows after it are for the live tail)
    QString error;            // non-empty: invalid filter or SQL error (rows empty)
};

class LogReader {
public:
    static constexpr int ProbeLimit = 20000;

    // Opens dataDir/log.db (creating/migrating it if missing). Check isOpen().
    explicit LogReader(const QString &dataDir);
    ~LogReader();
    LogReader(const LogReader &) = delete;
    LogReader &operator=(const LogReader &) = delete;

    bool isOpen() const;
    QString errorString() const;

    // Up to `limit` rows matching the filter, newest first, after `cursor`
    // (a default cursor: from the newest row).
    LogPage newest(const LogFilter &filter, int limit, const LogCursor &cursor = {}) const;

    // Oldest first: up to `limit` rows matching the filter after `cursor`
    // (default: from the oldest row); the same plans in ascending order. Export.
    LogPage oldest(const LogFilter &filter, int limit, const LogCursor &cursor = {}) const;

    // Oldest first: rows matching the filter with id > afterId (live tail).
    // At most `limit` rows; fewer means every match up to lastId() was returned.
    QVector<LogEvent> after(const LogFilter &filter, qint64 afterId, int limit) const;

    // Highest id in the database (0 when empty).
    qint64 lastId() const;

    // The stored command/reply transcript of a session ("" if none); *start
    // gets the session start time when given.
    QString transcript(const QString &sessionId, QDateTime *start = nullptr) const;

    // EXPLAIN QUERY PLAN of newest()'s first-page query, one line per step
    // (for tests and the benchmark); the error text for an invalid filter.
    QString queryPlan(const LogFilter &filter) const;

private:
    LogPage page(const LogFilter &filter, int limit, const LogCursor &cursor, bool ascending) const;

    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace rd::log

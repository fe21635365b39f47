#pragma once
// Read-only access to the log database for the GUI (its own connection).
// Thread: create and use on one thread; never writes.

#include "log/logtypes.h"

#include <QString>
#include <QVector>
#include <memory>

namespace rd::log {

class LogReader {
public:
    // Opens dataDir/log.db read-only.
    explicit LogReader(const QString &dataDir);
    ~LogReader();
    LogReader(const LogReader &) = delete;
    LogReader &operator=(const LogReader &) = delete;

    bool isOpen() const;
    QString errorString() const;

    // Newest first: up to `limit` rows matching the filter with id < beforeId
    // (beforeId <= 0: from the newest row).
    QVector<LogEvent> newest(const LogFilter &filter, int limit, qint64 beforeId = 0) const;

    // Oldest first: rows matching the filter with id > afterId (live tail).
    QVector<LogEvent> after(const LogFilter &filter, qint64 afterId, int limit) const;

    // Highest id in the database (0 when empty).
    qint64 lastId() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace rd::log

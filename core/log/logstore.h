#pragma once
// The log writer: collects LogEvents from any thread and writes them to
// log.db in batched transactions on its own thread, then reports the highest
// id written. Also prints each event as a key=value line on stderr if asked.
// Thread-safe: append() may be called from any thread.

#include "log/logtypes.h"

#include <QMutex>
#include <QObject>
#include <QThread>
#include <QVector>

namespace rd::log {

class LogWriter;

class LogStore : public QObject {
    Q_OBJECT
public:
    // Starts the writer thread; opens dataDir/log.db there.
    explicit LogStore(const QString &dataDir, bool echoToStderr, QObject *parent = nullptr);
    // Flushes what is pending and stops the writer thread.
    ~LogStore() override;

    // Stamps the time if unset, echoes to stderr if enabled, queues the row.
    void append(LogEvent event);

    // Writes everything appended so far before returning (used at shutdown and
    // in tests). Blocks the caller: never call it on the GUI thread while running.
    void flushNow();

    // Error opening the database, empty if fine (the writer keeps echoing).
    QString errorString() const;

signals:
    // Rows up to lastId are committed (emitted from the writer thread).
    void appended(qint64 lastId);

private:
    QThread m_thread;
    LogWriter *m_writer;
    bool m_echo;
};

} // namespace rd::log

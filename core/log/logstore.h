#pragma once
// The log writer: collects LogEvents from any thread and writes them to
// log.db in batched transactions on its own thread, then reports the highest
// id written. Also prints each event as a key=value line on stderr if asked.
// Thread-safe: append() may be called from any thread.

#include "log/logretention.h"
#include "log/messagerecord.h"
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

    // Stores a session's command/reply transcript ("C: ..."/"S: ..." lines,
    // secrets already redacted by the caller), replacing an earlier one of the
    // same session. Thread-safe like append(); written with the next batch.
    void appendTranscript(const QString &sessionId, const QDateTime &start, const QString &lines);

    // Records one accepted message for message tracking (log.db `messages`),
    // written with the next batch, in the same transaction as the events
    // appended before it. Stamps the time if unset; strips <> from the
    // Message-ID. Thread-safe like append(); never blocks on the database.
    void appendMessage(MessageRecord record);

    // Retention applied by the writer thread a few seconds after the first call,
    // then every RetentionIntervalMs (see logretention.h). days <= 0 or
    // maxBytes <= 0 turn that limit off. Thread-safe; does not block.
    void setRetention(int days, qint64 maxBytes);

    // Applies retention now on the writer thread and returns what it removed.
    // Blocks the caller (tests, CLI); never call it on the GUI thread.
    RetentionResult applyRetentionNow();

    static constexpr int RetentionIntervalMs = 3600 * 1000;
    static constexpr int RetentionFirstDelayMs = 10 * 1000;

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

#pragma once
// Runs log browser queries off the caller's thread: a worker QObject on its
// own QThread with its own LogReader. The GUI (ui/logs) sends requests and
// gets the answers as queued signals on the thread that created the service.
//
// Requests carry a caller-chosen number (a "generation"): the caller drops
// answers whose number is stale (a filter changed meanwhile). Requests run in
// order, one at a time; an export runs in the same worker and can be cancelled
// from any thread with cancelExport().
// Thread: create, call and destroy on one thread (the GUI thread); the
// destructor cancels an export and waits for the worker to finish its current
// query (bounded by one query or one export page).

#include "log/logexport.h"
#include "log/logreader.h"

#include <QObject>
#include <QThread>

#include <atomic>

namespace rd::log {

class LogQueryWorker;

class LogQueryService : public QObject {
    Q_OBJECT
public:
    // Starts the worker thread, which opens dataDir/log.db.
    explicit LogQueryService(const QString &dataDir, QObject *parent = nullptr);
    ~LogQueryService() override;

    // A page of rows newest first after `cursor` -> pageReady(generation, ...).
    void requestPage(quint64 generation, const LogFilter &filter, const LogCursor &cursor, int limit);
    // Rows after `afterId`, oldest first -> tailReady(generation, rows, lastId):
    // lastId is the highest id in the database when the query ran; when fewer
    // than `limit` rows came back, every match up to it is included.
    void requestTail(quint64 generation, const LogFilter &filter, qint64 afterId, int limit);
    // The transcript of a session -> transcriptReady(sessionId, text, start).
    void requestTranscript(const QString &sessionId);
    // Writes every row matching `filter` to `path` -> exportProgress(job, rows)
    // after each chunk, then exportFinished(job, result). An existing file is
    // replaced only when the export completes (a temporary file until then).
    void requestExport(quint64 job, const LogFilter &filter, ExportFormat format, const QString &path);
    // Stops a running export at the next chunk (thread-safe).
    void cancelExport();

signals:
    void pageReady(quint64 generation, const rd::log::LogPage &page);
    void tailReady(quint64 generation, const QVector<rd::log::LogEvent> &rows, qint64 lastId);
    void transcriptReady(const QString &sessionId, const QString &text, const QDateTime &start);
    void exportProgress(quint64 job, qint64 rows);
    void exportFinished(quint64 job, const rd::log::ExportResult &result);

private:
    QThread m_thread;
    LogQueryWorker *m_worker;
    std::atomic<bool> m_cancel{false};
};

} // namespace rd::log

Q_DECLARE_METATYPE(rd::log::LogPage)
Q_DECLARE_METATYPE(rd::log::ExportResult)

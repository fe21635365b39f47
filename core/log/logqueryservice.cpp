#include "log/logqueryservice.h"

#include <QSaveFile>

#include <memory>

namespace rd::log {

// Lives in the service's thread; owns the reader there.
class LogQueryWorker : public QObject {
public:
    explicit LogQueryWorker(QString dataDir) : m_dataDir(std::move(dataDir)) {}

    LogReader &reader()
    {
        // Opened lazily in this thread; reopened while the database is missing.
        if (!m_reader || !m_reader->isOpen())
            m_reader = std::make_unique<LogReader>(m_dataDir);
        return *m_reader;
    }

    void close() { m_reader.reset(); }

private:
    QString m_dataDir;
    std::unique_ptr<LogReader> m_reader;
};

LogQueryService::LogQueryService(const QString &dataDir, QObject *parent)
    : QObject(parent), m_worker(new LogQueryWorker(dataDir))
{
    qRegisterMetaType<LogPage>();
    qRegisterMetaType<ExportResult>();
    qRegisterMetaType<QVector<LogEvent>>();
    m_thread.setObjectName(QStringLiteral("log-query"));
    m_worker->moveToThread(&m_thread);
    m_thread.start();
}

LogQueryService::~LogQueryService()
{
    m_cancel = true;
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { w->close(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
}

void LogQueryService::requestPage(quint64 generation, const LogFilter &filter, const LogCursor &cursor, int limit)
{
    QMetaObject::invokeMethod(m_worker, [this, w = m_worker, generation, filter, cursor, limit] {
        LogReader &r = w->reader();
        LogPage page = r.isOpen() ? r.newest(filter, limit, cursor) : LogPage{};
        if (!r.isOpen())
            page.error = r.errorString();
        emit pageReady(generation, page);
    });
}

void LogQueryService::requestTail(quint64 generation, const LogFilter &filter, qint64 afterId, int limit)
{
    QMetaObject::invokeMethod(m_worker, [this, w = m_worker, generation, filter, afterId, limit] {
        LogReader &r = w->reader();
        const qint64 last = r.lastId();
        emit tailReady(generation, r.after(filter, afterId, limit), last);
    });
}

void LogQueryService::requestTranscript(const QString &sessionId)
{
    QMetaObject::invokeMethod(m_worker, [this, w = m_worker, sessionId] {
        QDateTime start;
        const QString text = w->reader().transcript(sessionId, &start);
        emit transcriptReady(sessionId, text, start);
    });
}

void LogQueryService::requestExport(quint64 job, const LogFilter &filter, ExportFormat format, const QString &path)
{
    m_cancel = false;
    QMetaObject::invokeMethod(m_worker, [this, w = m_worker, job, filter, format, path] {
        ExportResult result;
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly)) {
            result.error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
            emit exportFinished(job, result);
            return;
        }
        result = exportLog(w->reader(), filter, format, &file, [this, job](qint64 rows) {
            emit exportProgress(job, rows);
            return !m_cancel.load();
        });
        if (result.error.isEmpty() && !result.cancelled) {
            if (!file.commit())
                result.error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        } else {
            file.cancelWriting();
        }
        emit exportFinished(job, result);
    });
}

void LogQueryService::cancelExport()
{
    m_cancel = true;
}

} // namespace rd::log

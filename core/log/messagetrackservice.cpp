#include "log/messagetrackservice.h"

#include "log/trackreport.h"

#include <QSaveFile>

#include <memory>

namespace rd::log {

// Lives in the service's thread; owns the MessageTrack there.
class MessageTrackWorker : public QObject {
public:
    explicit MessageTrackWorker(QString dataDir) : m_dataDir(std::move(dataDir)) {}

    MessageTrack &track()
    {
        // Opened lazily in this thread; reopened while the database is missing.
        if (!m_track || !m_track->isOpen())
            m_track = std::make_unique<MessageTrack>(m_dataDir);
        return *m_track;
    }

    void close() { m_track.reset(); }

private:
    QString m_dataDir;
    std::unique_ptr<MessageTrack> m_track;
};

MessageTrackService::MessageTrackService(const QString &dataDir, QObject *parent)
    : QObject(parent), m_worker(new MessageTrackWorker(dataDir))
{
    qRegisterMetaType<TrackPage>();
    qRegisterMetaType<MessageTrail>();
    m_thread.setObjectName(QStringLiteral("message-track"));
    m_worker->moveToThread(&m_thread);
    m_thread.start();
}

MessageTrackService::~MessageTrackService()
{
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { w->close(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
}

void MessageTrackService::requestSearch(quint64 generation, const TrackQuery &query)
{
    QMetaObject::invokeMethod(m_worker, [this, w = m_worker, generation, query] {
        emit searchReady(generation, w->track().search(query));
    });
}

void MessageTrackService::requestTrail(quint64 generation, const QString &queueId)
{
    QMetaObject::invokeMethod(m_worker, [this, w = m_worker, generation, queueId] {
        emit trailReady(generation, w->track().trail(queueId));
    });
}

void MessageTrackService::requestExport(const QString &queueId, TrailFormat format, const QString &path)
{
    QMetaObject::invokeMethod(m_worker, [this, w = m_worker, queueId, format, path] {
        const MessageTrail t = w->track().trail(queueId);
        if (!t.error.isEmpty()) {
            emit exportFinished(path, t.error);
            return;
        }
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly)) {
            emit exportFinished(path, QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
            return;
        }
        file.write((format == TrailFormat::Csv ? trailToCsv(t) : trailToText(t)).toUtf8());
        if (!file.commit()) {
            emit exportFinished(path, QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
            return;
        }
        emit exportFinished(path, QString());
    });
}

} // namespace rd::log

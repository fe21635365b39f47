#pragma once
// Runs message-tracking queries off the caller's thread, like
// LogQueryService: a worker on its own QThread owns a MessageTrack; answers
// come back as queued signals in the thread that created the service.
// Requests carry a caller-chosen generation; the caller drops stale answers.
// Thread: create, call and destroy on one thread (the GUI thread); the
// destructor waits for the query running at that moment.

#include "log/messagetrack.h"

#include <QObject>
#include <QThread>

namespace rd::log {

class MessageTrackWorker;

enum class TrailFormat { Text, Csv };

class MessageTrackService : public QObject {
    Q_OBJECT
public:
    // Starts the worker thread; dataDir/log.db is opened there on first use.
    explicit MessageTrackService(const QString &dataDir, QObject *parent = nullptr);
    ~MessageTrackService() override;

    // One page of matching messages -> searchReady(generation, page).
    void requestSearch(quint64 generation, const TrackQuery &query);
    // One message's trail -> trailReady(generation, trail).
    void requestTrail(quint64 generation, const QString &queueId);
    // Writes the trail of queueId to path (atomically) -> exportFinished(path, error; empty if fine).
    void requestExport(const QString &queueId, TrailFormat format, const QString &path);

signals:
    void searchReady(quint64 generation, const rd::log::TrackPage &page);
    void trailReady(quint64 generation, const rd::log::MessageTrail &trail);
    void exportFinished(const QString &path, const QString &error);

private:
    QThread m_thread;
    MessageTrackWorker *m_worker;
};

} // namespace rd::log

Q_DECLARE_METATYPE(rd::log::TrackPage)
Q_DECLARE_METATYPE(rd::log::MessageTrail)

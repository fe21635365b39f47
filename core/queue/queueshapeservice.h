#pragma once
// Computes the queue shape off the caller's thread: a worker QObject on its
// own QThread with its own QueueReader (queue.db read connection). The Queue
// panel asks, the answer comes back as a queued signal.
// Thread: create, call and destroy on one thread (the GUI thread); the
// destructor waits for the query running at that moment (one aggregate query).

#include "queue/queueshape.h"

#include <QObject>
#include <QThread>

namespace rd::queue {

class QueueShapeWorker;

class QueueShapeService : public QObject {
    Q_OBJECT
public:
    explicit QueueShapeService(const QString &dataDir, QObject *parent = nullptr);
    ~QueueShapeService() override;

    // The shape now (ages measured at the time the worker runs) -> shapeReady(generation, shape).
    void requestShape(quint64 generation, ShapeBy by, int topN);

signals:
    void shapeReady(quint64 generation, const rd::queue::QueueShape &shape);

private:
    QThread m_thread;
    QueueShapeWorker *m_worker;
};

} // namespace rd::queue

Q_DECLARE_METATYPE(rd::queue::QueueShape)

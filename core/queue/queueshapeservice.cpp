#include "queue/queueshapeservice.h"

#include "queue/queuereader.h"

#include <memory>

namespace rd::queue {

// Lives in the service's thread; owns the reader there.
class QueueShapeWorker : public QObject {
public:
    explicit QueueShapeWorker(QString dataDir) : m_dataDir(std::move(dataDir)) {}

    QueueShape shape(ShapeBy by, int topN)
    {
        if (!m_reader || !m_reader->isOpen())
            m_reader = std::make_unique<QueueReader>(m_dataDir);
        return m_reader->shape(by, QDateTime::currentDateTimeUtc(), topN);
    }

    void close() { m_reader.reset(); }

private:
    QString m_dataDir;
    std::unique_ptr<QueueReader> m_reader;
};

QueueShapeService::QueueShapeService(const QString &dataDir, QObject *parent)
    : QObject(parent), m_worker(new QueueShapeWorker(dataDir))
{
    qRegisterMetaType<QueueShape>();
    m_thread.setObjectName(QStringLiteral("queue-shape"));
    m_worker->moveToThread(&m_thread);
    m_thread.start();
}

QueueShapeService::~QueueShapeService()
{
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { w->close(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
}

void QueueShapeService::requestShape(quint64 generation, ShapeBy by, int topN)
{
    QMetaObject::invokeMethod(m_worker, [this, w = m_worker, generation, by, topN] {
        emit shapeReady(generation, w->shape(by, topN));
    });
}

} // namespace rd::queue

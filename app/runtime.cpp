#include "app/runtime.h"

#include "engine/engine.h"

namespace rd::app {

Runtime::Runtime(QString dataDir, config::ConfigSnapshot config, bool echoLogs)
    : m_engine(std::make_unique<engine::Engine>(std::move(dataDir), std::move(config), echoLogs))
{
    m_thread.setObjectName(QStringLiteral("engine"));
}

Runtime::~Runtime()
{
    stop();
}

void Runtime::start()
{
    m_engine->moveToThread(&m_thread);
    m_thread.start();
    m_running = true;
    QMetaObject::invokeMethod(m_engine.get(), &engine::Engine::start, Qt::QueuedConnection);
}

void Runtime::stop()
{
    if (!m_running)
        return;
    m_running = false;
    // Bounded: stop() closes sockets and flushes two writer threads.
    QMetaObject::invokeMethod(m_engine.get(), &engine::Engine::stop, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

} // namespace rd::app

#pragma once
// The composition root: builds the engine on its own thread from the data
// folder's configuration and stops it in order. main() uses it for both the
// GUI and the headless service.

#include "config/configsnapshot.h"

#include <QString>
#include <QThread>
#include <memory>

namespace rd::engine {
class Engine;
class EngineFacade;
} // namespace rd::engine

namespace rd::app {

class Runtime {
public:
    Runtime(QString dataDir, config::ConfigSnapshot config, bool echoLogs);
    ~Runtime(); // stops the engine and joins its thread

    // Starts the engine thread and queues Engine::start(). Returns at once.
    void start();
    // Stops the engine (sessions get 421; queue and log flushed) and joins.
    void stop();

    engine::Engine *engine() const { return m_engine.get(); }

private:
    QThread m_thread;
    std::unique_ptr<engine::Engine> m_engine;
    bool m_running = false;
};

} // namespace rd::app

#pragma once
// Snapshot of the engine's state, published to the GUI through the facade.

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace rd::engine {

struct EngineStatus {
    enum class State { Stopped, Starting, Running, Stopping, Error };
    State state = State::Stopped;
    QStringList listening;     // "127.0.0.1:2525" per bound listener
    QStringList errors;        // e.g. "127.0.0.1:25: address already in use"
    QStringList warnings;      // e.g. certificates expiring within 30 days
    QString smartHost;         // where mail goes: the routes in one line; empty when none
    int queueSize = 0;         // messages in the queue
    int activeSessions = 0;    // inbound SMTP sessions open now
    int activeDeliveries = 0;  // outbound connections open now
    qint64 accepted = 0;       // counters since the engine started
    qint64 rejected = 0;
    qint64 delivered = 0;
    qint64 deferred = 0;
    qint64 failed = 0;

    static QString stateName(State s);
};

} // namespace rd::engine

Q_DECLARE_METATYPE(rd::engine::EngineStatus)

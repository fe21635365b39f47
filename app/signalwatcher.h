#pragma once
// Turns SIGTERM/SIGINT (POSIX) into a Qt signal on the main thread, so a
// headless service stops cleanly. On Windows, console control events map to
// the same signal.

#include <QObject>

namespace rd::app {

class SignalWatcher : public QObject {
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

signals:
    void terminateRequested();
};

} // namespace rd::app

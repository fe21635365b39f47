#pragma once
// GUI event-loop latency probe for the performance benchmark
// (tests/bench/gui_latency.py): with RELAYDESK_GUI_LATENCY_FILE set, a 10 ms
// timer in the GUI thread measures how late each tick runs (a tick that comes
// 60 ms after the previous one means the GUI thread was stalled ~50 ms). On
// destruction the figures go to that file as one JSON object: ticks, worst and
// p99/p999 stall in ms, and the number of stalls over 50 ms.

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QVector>

namespace rd::app {

class GuiLatencyProbe : public QObject {
    Q_OBJECT
public:
    explicit GuiLatencyProbe(QString outputPath, QObject *parent = nullptr);
    ~GuiLatencyProbe() override;

    // A probe if the environment asks for one, else null.
    static GuiLatencyProbe *fromEnvironment(QObject *parent);

private:
    void tick();
    void write() const;

    QString m_path;
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_lastNs = 0;
    QVector<qint64> m_stallsUs; // lateness of each tick beyond its 10 ms period
};

} // namespace rd::app

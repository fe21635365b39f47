#pragma once
// The Dashboard: the engine's state, listeners, smart host, queue and
// activity, and the counters since start, from the facade's EngineStatus.
// Thread: GUI thread; reads nothing but the status it is given.

#include "engine/enginestatus.h"

#include <QWidget>

class QGridLayout;
class QLabel;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class DashboardPanel : public QWidget {
    Q_OBJECT
public:
    // facade: must outlive the panel; the panel shows facade->status() now and
    // every status from statusChanged().
    explicit DashboardPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);

    // Shows a status (also the slot connected to statusChanged).
    void setStatus(const rd::engine::EngineStatus &status);

private:
    QLabel *addTile(QGridLayout *grid, int row, int column, const QString &title,
                    const QString &objectName, const QString &tip, int columnSpan = 1);

    QLabel *m_state = nullptr;
    QLabel *m_warnings = nullptr;
    QLabel *m_errors = nullptr;
    QLabel *m_listening = nullptr;
    QLabel *m_smartHost = nullptr;
    QLabel *m_queue = nullptr;
    QLabel *m_sessions = nullptr;
    QLabel *m_deliveries = nullptr;
    QLabel *m_accepted = nullptr;
    QLabel *m_rejected = nullptr;
    QLabel *m_delivered = nullptr;
    QLabel *m_deferred = nullptr;
    QLabel *m_failed = nullptr;
};

} // namespace rd::ui

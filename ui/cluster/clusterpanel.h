#pragma once
// Cluster: the nodes sharing this relay's configuration (heartbeat, state,
// listeners, queue, store latency, configuration revision) and the history of
// configuration changes (who, on which node, which tables, when), from the
// shared store through the facade. A standalone relay shows how to make one.
// Refreshed every 5 s while visible. Shows and never edits.

#include "cluster/clusteroverview.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QTableWidget;
class QTimer;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class ClusterPanel : public QWidget {
    Q_OBJECT
public:
    explicit ClusterPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);

    QTableWidget *nodesTable() const { return m_nodes; }
    QTableWidget *historyTable() const { return m_history; }
    QLabel *summaryLabel() const { return m_summary; }

public slots:
    void refresh();
    void showOverview(const rd::cluster::ClusterOverview &overview);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    rd::engine::EngineFacade *m_facade;
    QLabel *m_summary = nullptr;
    QLabel *m_nodesTitle = nullptr;
    QLabel *m_historyTitle = nullptr;
    QTableWidget *m_nodes = nullptr;
    QTableWidget *m_history = nullptr;
    QPushButton *m_refresh = nullptr;
    QTimer *m_timer = nullptr;
};

} // namespace rd::ui

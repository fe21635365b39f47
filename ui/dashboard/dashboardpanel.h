#pragma once
// The Dashboard: the engine's state and activity (tiles), the alert banner,
// live charts of messages per minute and the queue size (last hour or 24
// hours), the top senders / client IPs / refused IPs of the last hour, the
// TLS share of sessions, a health summary (listeners, routes, certificates,
// last DNS check, open alerts) and the counters since start.
// Thread: GUI thread; shows only what it is given (status, traffic
// snapshots, alerts, DNS check reports) and never reads files or databases.

#include "alerts/alert.h"
#include "engine/enginestatus.h"
#include "engine/trafficsnapshot.h"

#include <QDateTime>
#include <QMap>
#include <QWidget>

class QGridLayout;
class QLabel;
class QTableView;
class QTabWidget;

namespace rd::engine {
class EngineFacade;
}
namespace rd::dnscheck {
struct Report;
}

namespace rd::ui {

class AlertBanner;
class TopListModel;
class TrafficChart;

class DashboardPanel : public QWidget {
    Q_OBJECT
public:
    // facade: must outlive the panel, or null (tests feed the slots directly).
    // With a facade the panel shows facade->status() now, every status from
    // statusChanged() and every report from dnsCheckFinished(); traffic and
    // alerts arrive through setTraffic()/setAlerts(), connected by the owner.
    explicit DashboardPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);

    // Parts, for tests and screenshots.
    TrafficChart *chart() const { return m_chart; }
    AlertBanner *banner() const { return m_banner; }
    TopListModel *topSenders() const { return m_topSenders; }
    TopListModel *topClients() const { return m_topClients; }
    TopListModel *topRefused() const { return m_topRefused; }

public slots:
    // Shows a status (also the slot connected to statusChanged).
    void setStatus(const rd::engine::EngineStatus &status);
    // Shows a traffic snapshot: charts, top lists, TLS share.
    void setTraffic(const rd::engine::TrafficSnapshot &snapshot);
    // The open alerts (banner and health summary); resolved ones are ignored.
    void setAlerts(const QList<rd::alerts::Alert> &alerts);
    // The latest DNS check run (health summary).
    void setDnsCheck(const rd::dnscheck::Report &report);

signals:
    // The user acknowledged (hid) an alert in the banner.
    void alertAcknowledged(qint64 id);

private:
    QLabel *addTile(QGridLayout *grid, int row, int column, const QString &title, const QString &objectName,
                    const QString &tip, double scale);
    QLabel *addHealthRow(QGridLayout *grid, int row, const QString &title, const QString &objectName,
                         QLabel **dot);
    QTableView *makeTopView(TopListModel *model, const QString &objectName);
    void updateHealth();
    static void setDot(QLabel *dot, const QString &color, const QString &tip);

    struct DnsSummary {
        int failures = 0;
        int warnings = 0;
        QDateTime when;
    };

    QList<rd::alerts::Alert> m_alerts;
    QMap<QString, DnsSummary> m_dns; // domain -> its latest run
    rd::engine::EngineStatus m_status;

    AlertBanner *m_banner = nullptr;
    TrafficChart *m_chart = nullptr;
    TopListModel *m_topSenders = nullptr;
    TopListModel *m_topClients = nullptr;
    TopListModel *m_topRefused = nullptr;
    QTabWidget *m_topTabs = nullptr;
    QLabel *m_topWindow = nullptr;

    QLabel *m_state = nullptr;
    QLabel *m_warnings = nullptr;
    QLabel *m_errors = nullptr;
    QLabel *m_queue = nullptr;
    QLabel *m_sessions = nullptr;
    QLabel *m_deliveries = nullptr;
    QLabel *m_tls = nullptr;
    QLabel *m_accepted = nullptr;
    QLabel *m_rejected = nullptr;
    QLabel *m_delivered = nullptr;
    QLabel *m_deferred = nullptr;
    QLabel *m_failed = nullptr;

    // Health summary.
    QLabel *m_listening = nullptr;
    QLabel *m_listeningDot = nullptr;
    QLabel *m_smartHost = nullptr;
    QLabel *m_smartHostDot = nullptr;
    QLabel *m_certificates = nullptr;
    QLabel *m_certificatesDot = nullptr;
    QLabel *m_dnsCheck = nullptr;
    QLabel *m_dnsCheckDot = nullptr;
    QLabel *m_openAlerts = nullptr;
    QLabel *m_openAlertsDot = nullptr;
};

} // namespace rd::ui

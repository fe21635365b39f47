#pragma once
// Desktop notifications for alerts: a system tray notification for each
// newly raised alert, when the desktop has a system tray (otherwise nothing
// is shown; the dashboard banner still lists the alert). The tray icon is
// visible while alerts are open; clicking it or its message emits
// activated() so the window can show the dashboard.
// Alerts raised before the notifier was created (restored at engine start,
// announced by an earlier run) are not announced again.
// Thread: GUI thread. Created by MainWindow.

#include "alerts/alert.h"

#include <QDateTime>
#include <QIcon>
#include <QObject>
#include <QSet>

class QSystemTrayIcon;

namespace rd::ui {

class AlertNotifier : public QObject {
    Q_OBJECT
public:
    // icon: the tray icon (the application icon if null).
    explicit AlertNotifier(const QIcon &icon = {}, QObject *parent = nullptr);
    ~AlertNotifier() override;

    // True when the desktop offers a tray (notifications can be shown).
    bool trayAvailable() const;
    // The tray icon, or null without a tray.
    QSystemTrayIcon *trayIcon() const { return m_tray; }
    // Alerts raised before `since` are not announced (default: construction time).
    void setAnnounceSince(const QDateTime &since) { m_since = since; }

public slots:
    // The open alerts now (slot for the facade's alertsChanged). Announces
    // each id not seen before, most severe first.
    void setAlerts(const QList<rd::alerts::Alert> &alerts);

signals:
    // An alert was announced (emitted with or without a tray).
    void notified(const rd::alerts::Alert &alert);
    // The user clicked the tray icon or a notification.
    void activated();

private:
    void announce(const rd::alerts::Alert &alert);

    QSystemTrayIcon *m_tray = nullptr;
    QSet<qint64> m_seen;
    QDateTime m_since;
};

} // namespace rd::ui

#pragma once
// The main window: a navigation list of every panel on the left, the current
// panel on the right, engine state in the status bar. It only composes the
// panels; each panel gets the facade through its constructor.
// Thread: GUI thread.

#include "engine/enginestatus.h"

#include <QMainWindow>
#include <QStyle>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // Navigation order; the list row and the stack index of each panel.
    enum Panel {
        Dashboard,
        Connectors,
        Delivery,
        RelayLists,
        Users,
        Certificates,
        RateLimits,
        Filtering,
        DnsChecks,
        Queue,
        Tracking,
        Logs,
        Cluster,
        PanelCount
    };

    // facade: owned by the composition root, must outlive the window.
    explicit MainWindow(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~MainWindow() override;

    void showPanel(Panel panel);
    // --show-panel names: "dashboard", "connectors", "delivery", "relay", "users",
    // "certificates", "ratelimits", "filtering", "dns", "queue", "tracking", "logs", "cluster" (one per Panel, in
    // order), plus the aliases "dnschecks" (DnsChecks), "dkim" (the DKIM
    // keys section of Certificates), "queueshape" (the Queue panel's Shape tab)
    // "connections" (Filtering > Connection control), "acme" (Certificates
    // with the "Order with ACME" dialog open) and "users-directory" (Users >
    // Directory). Case-insensitive.
    static QStringList panelNames();
    // Shows the panel (and section) named `name`; false if the name is unknown.
    bool showPanelByName(const QString &name);
    Panel currentPanel() const;
    // The panel widget for an entry (never null for a valid entry).
    QWidget *panel(Panel panel) const;

private:
    void buildMenus();
    void buildStatusBar();
    // icon: a freedesktop theme name, with a style icon as the fallback.
    void addPanel(Panel id, const QString &name, const char *themeIcon, QStyle::StandardPixmap fallback,
                  QWidget *widget);
    void setStatus(const rd::engine::EngineStatus &status);
    void showAbout();

    rd::engine::EngineFacade *m_facade;
    QListWidget *m_navigation = nullptr;
    QStackedWidget *m_pages = nullptr;
    QLabel *m_stateLabel = nullptr;
    QLabel *m_listeningLabel = nullptr;
    QLabel *m_queueLabel = nullptr;
    QLabel *m_sessionsLabel = nullptr;
};

} // namespace rd::ui

#include "main/mainwindow.h"

#include "certificates/acmedialog.h"
#include "cluster/clusterpanel.h"
#include "certificates/certificatespanel.h"
#include "connectors/connectorspanel.h"
#include "dashboard/alertnotifier.h"
#include "dashboard/dashboardpanel.h"
#include "delivery/deliverypanel.h"
#include "dnschecks/dnscheckspanel.h"
#include "dnschecks/dnsrelaysettings.h"
#include "filtering/filteringpanel.h"
#include "logs/logspanel.h"
#include "placeholder/placeholderpanel.h"
#include "queue/queuepanel.h"
#include "ratelimits/ratelimitspanel.h"
#include "relaylists/relaylistspanel.h"
#include "tracking/trackingpanel.h"
#include "users/userspanel.h"

#include "engine/enginefacade.h"

#include <QAction>
#include <QApplication>
#include <QHBoxLayout>
#include <QIcon>
#include <QKeySequence>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QStackedWidget>
#include <QStatusBar>

#ifndef RELAYDESK_VERSION
#define RELAYDESK_VERSION "unknown"
#endif

namespace rd::ui {

using rd::engine::EngineStatus;

namespace {

QString stateText(EngineStatus::State s)
{
    switch (s) {
    case EngineStatus::State::Stopped: return MainWindow::tr("Stopped");
    case EngineStatus::State::Starting: return MainWindow::tr("Starting");
    case EngineStatus::State::Running: return MainWindow::tr("Running");
    case EngineStatus::State::Stopping: return MainWindow::tr("Stopping");
    case EngineStatus::State::Error: return MainWindow::tr("Error");
    }
    return MainWindow::tr("Unknown");
}

} // namespace

MainWindow::MainWindow(rd::engine::EngineFacade *facade, QWidget *parent)
    : QMainWindow(parent)
    , m_facade(facade)
{
    setWindowTitle(QStringLiteral("RelayDesk"));
    resize(1100, 700);

    m_navigation = new QListWidget(this);
    m_navigation->setObjectName(QStringLiteral("navigation"));
    m_navigation->setIconSize(QSize(20, 20));
    m_navigation->setUniformItemSizes(true);
    m_navigation->setFixedWidth(190);
    m_navigation->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_navigation->setStyleSheet(QStringLiteral("QListWidget#navigation::item { padding: 6px 4px; }"));

    m_pages = new QStackedWidget(this);
    m_pages->setObjectName(QStringLiteral("pages"));

    auto later = [this](Panel id, const QString &name, const char *themeIcon, QStyle::StandardPixmap fallback,
                        const QString &text) {
        addPanel(id, name, themeIcon, fallback, new PlaceholderPanel(name, text, this));
    };
    auto *dashboard = new DashboardPanel(facade, this);
    addPanel(Dashboard, tr("Dashboard"), "utilities-system-monitor", QStyle::SP_ComputerIcon, dashboard);
    connect(facade, &rd::engine::EngineFacade::trafficUpdated, dashboard, &DashboardPanel::setTraffic);
    connect(facade, &rd::engine::EngineFacade::alertsChanged, dashboard, &DashboardPanel::setAlerts);
    connect(facade, &rd::engine::EngineFacade::dnsCheckFinished, dashboard, &DashboardPanel::setDnsCheck);
    auto *notifier = new AlertNotifier(windowIcon(), this);
    connect(facade, &rd::engine::EngineFacade::alertsChanged, notifier, &AlertNotifier::setAlerts);
    connect(notifier, &AlertNotifier::activated, this, [this] {
        showPanel(Dashboard);
        showNormal();
        raise();
        activateWindow();
    });
    addPanel(Connectors, tr("Connectors"), "network-server", QStyle::SP_DriveNetIcon,
             new ConnectorsPanel(facade, this));
    auto *delivery = new DeliveryPanel(facade, this);
    addPanel(Delivery, tr("Delivery"), "mail-forward", QStyle::SP_ArrowForward, delivery);
    connect(delivery, &DeliveryPanel::badmailListRequested, facade, &rd::engine::EngineFacade::requestBadmailList);
    connect(facade, &rd::engine::EngineFacade::badmailListed, delivery, &DeliveryPanel::setBadmailList);
    addPanel(RelayLists, tr("Relay IP lists"), "network-workgroup", QStyle::SP_FileDialogListView,
             new RelayListsPanel(facade, this));
    addPanel(Users, tr("Users"), "system-users", QStyle::SP_DirHomeIcon, new UsersPanel(facade, this));
    addPanel(Certificates, tr("Certificates"), "security-high", QStyle::SP_DialogApplyButton,
             new CertificatesPanel(facade, this));
    addPanel(RateLimits, tr("Rate limits"), "speedometer", QStyle::SP_MediaSeekForward,
             new RateLimitsPanel(facade, this));
    auto *filtering = new FilteringPanel(facade, this);
    addPanel(Filtering, tr("Filtering"), "view-filter", QStyle::SP_MessageBoxWarning, filtering);
    auto *dnsChecks = new DnsChecksPanel(facade, this);
    addPanel(DnsChecks, tr("DNS checks"), "network-wired", QStyle::SP_FileDialogContentsView, dnsChecks);
    connect(filtering, &FilteringPanel::bansRequested, facade, &rd::engine::EngineFacade::requestBans);
    connect(filtering, &FilteringPanel::unbanRequested, facade, &rd::engine::EngineFacade::unban);
    connect(facade, &rd::engine::EngineFacade::bansReady, filtering, &FilteringPanel::setBans);
    connect(dnsChecks->relaySettings(), &DnsRelaySettings::filteringRequested, this, [this, filtering] {
        showPanel(Filtering);
        filtering->showTab(FilteringPanel::DnsblTab);
    });
    addPanel(Queue, tr("Queue"), "mail-send", QStyle::SP_FileDialogDetailedView,
             new QueuePanel(facade, this));
    addPanel(Tracking, tr("Message tracking"), "edit-find", QStyle::SP_FileDialogInfoView,
             new TrackingPanel(facade, this));
    addPanel(Logs, tr("Logs"), "text-x-generic", QStyle::SP_FileIcon, new LogsPanel(facade, this));
    addPanel(Cluster, tr("Cluster"), "network-server-database", QStyle::SP_DriveNetIcon, new ClusterPanel(facade, this));

    connect(m_navigation, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    m_navigation->setCurrentRow(Dashboard);

    auto *central = new QWidget(this);
    auto *layout = new QHBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(8);
    layout->addWidget(m_navigation);
    layout->addWidget(m_pages, 1);
    setCentralWidget(central);

    buildMenus();
    buildStatusBar();
    connect(m_facade, &rd::engine::EngineFacade::statusChanged, this, &MainWindow::setStatus);
    setStatus(m_facade->status());
}

MainWindow::~MainWindow() = default;

void MainWindow::addPanel(Panel id, const QString &name, const char *themeIcon, QStyle::StandardPixmap fallback,
                          QWidget *widget)
{
    Q_ASSERT(m_pages->count() == id);
    const QIcon icon = QIcon::fromTheme(QLatin1String(themeIcon), style()->standardIcon(fallback));
    auto *item = new QListWidgetItem(icon, name, m_navigation);
    item->setData(Qt::UserRole, int(id));
    m_pages->addWidget(widget);
}

void MainWindow::showPanel(Panel panel)
{
    if (panel >= 0 && panel < PanelCount)
        m_navigation->setCurrentRow(panel);
}

QStringList MainWindow::panelNames()
{
    return {QStringLiteral("dashboard"), QStringLiteral("connectors"),   QStringLiteral("delivery"),
            QStringLiteral("relay"),     QStringLiteral("users"),        QStringLiteral("certificates"),
            QStringLiteral("ratelimits"), QStringLiteral("filtering"),   QStringLiteral("dns"),
            QStringLiteral("queue"),     QStringLiteral("tracking"),     QStringLiteral("logs"),
            QStringLiteral("cluster"),
            QStringLiteral("dnschecks"), QStringLiteral("dkim"),         QStringLiteral("queueshape"),
            QStringLiteral("connections"), QStringLiteral("acme"), QStringLiteral("acme-dnsupdate"),
            QStringLiteral("users-directory")};
}

bool MainWindow::showPanelByName(const QString &name)
{
    const QString n = name.trimmed().toLower();
    if (n == QLatin1String("dnschecks")) {
        showPanel(DnsChecks);
        return true;
    }
    if (n == QLatin1String("dkim")) {
        showPanel(Certificates);
        if (auto *certificates = qobject_cast<CertificatesPanel *>(panel(Certificates)))
            certificates->showSection(CertificatesPanel::DkimSection);
        return true;
    }
    if (n == QLatin1String("acme")) {
        showPanel(Certificates);
        if (auto *certificates = qobject_cast<CertificatesPanel *>(panel(Certificates)))
            certificates->openAcmeDialog();
        return true;
    }
    if (n == QLatin1String("acme-dnsupdate")) {
        showPanel(Certificates);
        if (auto *certificates = qobject_cast<CertificatesPanel *>(panel(Certificates))) {
            if (AcmeDialog *acme = certificates->openAcmeDialog())
                acme->openDnsUpdateDialog();
        }
        return true;
    }
    if (n == QLatin1String("users-directory")) {
        showPanel(Users);
        if (auto *users = qobject_cast<UsersPanel *>(panel(Users)))
            users->showSection(UsersPanel::DirectorySectionTab);
        return true;
    }
    if (n == QLatin1String("queueshape")) {
        showPanel(Queue);
        if (auto *queue = qobject_cast<QueuePanel *>(panel(Queue)))
            queue->showShape();
        return true;
    }
    if (n == QLatin1String("connections")) {
        showPanel(Filtering);
        if (auto *filtering = qobject_cast<FilteringPanel *>(panel(Filtering)))
            filtering->showTab(FilteringPanel::ConnectionControlTab);
        return true;
    }
    const int index = panelNames().indexOf(n);
    if (index < 0 || index >= PanelCount)
        return false;
    showPanel(Panel(index));
    return true;
}

MainWindow::Panel MainWindow::currentPanel() const
{
    return Panel(m_pages->currentIndex());
}

QWidget *MainWindow::panel(Panel panel) const
{
    return m_pages->widget(panel);
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->setToolTipsVisible(true);
    const QString later = tr("Available in a later version");
    QAction *exportConfig = file->addAction(tr("&Export configuration\u2026"));
    QAction *importConfig = file->addAction(tr("&Import configuration\u2026"));
    for (QAction *a : {exportConfig, importConfig}) {
        a->setEnabled(false);
        a->setToolTip(later);
        a->setStatusTip(later);
    }
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about = help->addAction(tr("&About RelayDesk"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
    QAction *aboutQt = help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
    aboutQt->setMenuRole(QAction::AboutQtRole);
}

void MainWindow::buildStatusBar()
{
    auto make = [this](const QString &name) {
        auto *l = new QLabel(this);
        l->setObjectName(name);
        l->setContentsMargins(6, 0, 6, 0);
        return l;
    };
    m_stateLabel = make(QStringLiteral("statusState"));
    m_listeningLabel = make(QStringLiteral("statusListening"));
    m_queueLabel = make(QStringLiteral("statusQueue"));
    m_sessionsLabel = make(QStringLiteral("statusSessions"));
    statusBar()->addWidget(m_stateLabel);
    statusBar()->addWidget(m_listeningLabel, 1);
    statusBar()->addPermanentWidget(m_queueLabel);
    statusBar()->addPermanentWidget(m_sessionsLabel);
}

void MainWindow::setStatus(const EngineStatus &status)
{
    m_stateLabel->setText(tr("Engine: %1").arg(stateText(status.state)));
    m_stateLabel->setToolTip(status.errors.join(QLatin1Char('\n')));
    m_listeningLabel->setText(status.listening.isEmpty()
                                  ? tr("Not listening")
                                  : tr("Listening on %1").arg(status.listening.join(QStringLiteral(", "))));
    m_queueLabel->setText(tr("Queue: %1").arg(QLocale().toString(status.queueSize)));
    m_sessionsLabel->setText(tr("Sessions: %1").arg(QLocale().toString(status.activeSessions)));
}

void MainWindow::showAbout()
{
    QMessageBox::about(
        this, tr("About RelayDesk"),
        tr("<h3>RelayDesk %1</h3>"
           "<p>Desktop manager and local SMTP relay.</p>"
           "<p>Data folder: <code>%2</code><br>Qt %3</p>")
            .arg(QStringLiteral(RELAYDESK_VERSION), m_facade->dataDir().toHtmlEscaped(),
                 QString::fromLatin1(qVersion())));
}

} // namespace rd::ui

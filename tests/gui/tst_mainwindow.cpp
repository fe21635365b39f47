// MainWindow: navigation, panel switching, status bar and dashboard driven by
// the facade's statusChanged(), with no engine (EngineFacade(nullptr, dir)).

#include "dnschecks/dnscheckspanel.h"
#include "dashboard/dashboardpanel.h"
#include "logs/logspanel.h"
#include "main/mainwindow.h"
#include "delivery/deliverypanel.h"
#include "tracking/trackingpanel.h"
#include "filtering/filteringpanel.h"
#include "ratelimits/ratelimitspanel.h"
#include "certificates/certificatespanel.h"
#include "cluster/clusterpanel.h"
#include "connectors/connectorspanel.h"
#include "relaylists/relaylistspanel.h"
#include "users/userspanel.h"
#include "placeholder/placeholderpanel.h"
#include "queue/queuepanel.h"

#include "engine/enginefacade.h"
#include "engine/enginestatus.h"

#include <QAction>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTest>

using rd::engine::EngineFacade;
using rd::engine::EngineStatus;
using rd::ui::MainWindow;

class TestMainWindow : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void titleAndSize();
    void navigationListsEveryPanel();
    void switchingShowsTheRightPanel();
    void statusBarFollowsEngineStatus();
    void dashboardShowsStatus();
    void menus();

private:
    QTemporaryDir m_dir;
    EngineFacade *m_facade = nullptr;
    MainWindow *m_window = nullptr;
};

void TestMainWindow::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_facade = new EngineFacade(nullptr, m_dir.path());
    m_window = new MainWindow(m_facade);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
}

void TestMainWindow::cleanupTestCase()
{
    delete m_window;
    delete m_facade;
}

void TestMainWindow::titleAndSize()
{
    QCOMPARE(m_window->windowTitle(), QStringLiteral("RelayDesk"));
    QVERIFY(m_window->width() >= 1000);
    QVERIFY(m_window->height() >= 600);
}

void TestMainWindow::navigationListsEveryPanel()
{
    auto *nav = m_window->findChild<QListWidget *>(QStringLiteral("navigation"));
    QVERIFY(nav);
    const QStringList expected{QStringLiteral("Dashboard"),      QStringLiteral("Connectors"),
                               QStringLiteral("Delivery"),       QStringLiteral("Relay IP lists"),
                               QStringLiteral("Users"),          QStringLiteral("Certificates"),
                               QStringLiteral("Rate limits"),    QStringLiteral("Filtering"),
                               QStringLiteral("DNS checks"),     QStringLiteral("Queue"),
                               QStringLiteral("Message tracking"), QStringLiteral("Logs"),
                               QStringLiteral("Cluster")};
    QCOMPARE(nav->count(), int(expected.size()));
    QCOMPARE(nav->count(), int(MainWindow::PanelCount));
    for (int i = 0; i < nav->count(); ++i) {
        QCOMPARE(nav->item(i)->text(), expected.at(i));
        QVERIFY2(!nav->item(i)->icon().isNull(), qPrintable(expected.at(i)));
    }
    QCOMPARE(nav->currentRow(), 0); // starts on the dashboard
}

void TestMainWindow::switchingShowsTheRightPanel()
{
    auto *nav = m_window->findChild<QListWidget *>(QStringLiteral("navigation"));
    auto *pages = m_window->findChild<QStackedWidget *>(QStringLiteral("pages"));
    QVERIFY(nav && pages);
    for (int i = 0; i < nav->count(); ++i) {
        // Click the entry like a user would.
        const QRect r = nav->visualItemRect(nav->item(i));
        QTest::mouseClick(nav->viewport(), Qt::LeftButton, {}, r.center());
        QCOMPARE(nav->currentRow(), i);
        QWidget *shown = pages->currentWidget();
        QCOMPARE(shown, m_window->panel(MainWindow::Panel(i)));
        QCOMPARE(m_window->currentPanel(), MainWindow::Panel(i));
        QVERIFY(shown->isVisible());
        switch (i) {
        case MainWindow::Dashboard:
            QVERIFY(qobject_cast<rd::ui::DashboardPanel *>(shown));
            break;
        case MainWindow::Queue:
            QVERIFY(qobject_cast<rd::ui::QueuePanel *>(shown));
            QVERIFY(shown->findChild<QWidget *>(QStringLiteral("queueTable"))->isVisible());
            break;
        case MainWindow::Logs:
            QVERIFY(qobject_cast<rd::ui::LogsPanel *>(shown));
            QVERIFY(shown->findChild<QWidget *>(QStringLiteral("logTable"))->isVisible());
            break;
        case MainWindow::Connectors:
            QVERIFY(qobject_cast<rd::ui::ConnectorsPanel *>(shown));
            QVERIFY(shown->findChild<QWidget *>(QStringLiteral("listenerTable"))->isVisible());
            break;
        case MainWindow::RelayLists:
            QVERIFY(qobject_cast<rd::ui::RelayListsPanel *>(shown));
            QVERIFY(shown->findChild<QWidget *>(QStringLiteral("allowTable"))->isVisible());
            break;
        case MainWindow::Users:
            QVERIFY(qobject_cast<rd::ui::UsersPanel *>(shown));
            QVERIFY(shown->findChild<QWidget *>(QStringLiteral("userTable"))->isVisible());
            break;
        case MainWindow::Certificates:
            QVERIFY(qobject_cast<rd::ui::CertificatesPanel *>(shown));
            QVERIFY(shown->findChild<QWidget *>(QStringLiteral("certificateTable"))->isVisible());
            break;
        case MainWindow::DnsChecks:
            QVERIFY(qobject_cast<rd::ui::DnsChecksPanel *>(shown));
            QVERIFY(shown->findChild<QWidget *>(QStringLiteral("dnsFindings"))->isVisible());
            break;
        case MainWindow::RateLimits:
            QVERIFY(qobject_cast<rd::ui::RateLimitsPanel *>(shown));
            break;
        case MainWindow::Filtering:
            QVERIFY(qobject_cast<rd::ui::FilteringPanel *>(shown));
            break;
        case MainWindow::Delivery:
            QVERIFY(qobject_cast<rd::ui::DeliveryPanel *>(shown));
            break;
        case MainWindow::Tracking:
            QVERIFY(qobject_cast<rd::ui::TrackingPanel *>(shown));
            break;
        case MainWindow::Cluster:
            QVERIFY(qobject_cast<rd::ui::ClusterPanel *>(shown));
            break;
        default:
            QFAIL(qPrintable(QStringLiteral("panel %1 is not checked").arg(i)));
        }
    }
    m_window->showPanel(MainWindow::Queue);
    QCOMPARE(nav->currentRow(), int(MainWindow::Queue));
    QVERIFY(qobject_cast<rd::ui::QueuePanel *>(pages->currentWidget()));
    m_window->showPanel(MainWindow::Dashboard);
}

void TestMainWindow::statusBarFollowsEngineStatus()
{
    auto *state = m_window->findChild<QLabel *>(QStringLiteral("statusState"));
    auto *listening = m_window->findChild<QLabel *>(QStringLiteral("statusListening"));
    auto *queue = m_window->findChild<QLabel *>(QStringLiteral("statusQueue"));
    auto *sessions = m_window->findChild<QLabel *>(QStringLiteral("statusSessions"));
    QVERIFY(state && listening && queue && sessions);
    QCOMPARE(listening->text(), QStringLiteral("Not listening"));
    QVERIFY(state->text().contains(QStringLiteral("Stopped")));

    EngineStatus st;
    st.state = EngineStatus::State::Running;
    st.listening = {QStringLiteral("127.0.0.1:2525")};
    st.queueSize = 12;
    st.activeSessions = 3;
    emit m_facade->statusChanged(st);
    QCOMPARE(listening->text(), QStringLiteral("Listening on 127.0.0.1:2525"));
    QVERIFY(state->text().contains(QStringLiteral("Running")));
    QCOMPARE(queue->text(), QStringLiteral("Queue: 12"));
    QCOMPARE(sessions->text(), QStringLiteral("Sessions: 3"));
    QVERIFY(listening->isVisible());

    st.listening << QStringLiteral("[::1]:2525");
    emit m_facade->statusChanged(st);
    QCOMPARE(listening->text(), QStringLiteral("Listening on 127.0.0.1:2525, [::1]:2525"));
}

void TestMainWindow::dashboardShowsStatus()
{
    QWidget *dash = m_window->panel(MainWindow::Dashboard);
    EngineStatus st;
    st.state = EngineStatus::State::Error;
    st.errors = {QStringLiteral("127.0.0.1:25: address already in use")};
    st.listening = {QStringLiteral("127.0.0.1:2525")};
    st.smartHost = QStringLiteral("smtp.example.test:587");
    st.queueSize = 1234;
    st.activeSessions = 2;
    st.activeDeliveries = 1;
    st.accepted = 10;
    st.rejected = 2;
    st.delivered = 7;
    st.deferred = 4;
    st.failed = 1;
    emit m_facade->statusChanged(st);

    auto text = [dash](const char *name) {
        auto *l = dash->findChild<QLabel *>(QLatin1String(name));
        return l ? l->text() : QStringLiteral("<missing %1>").arg(QLatin1String(name));
    };
    QCOMPARE(text("dashState"), QStringLiteral("Error"));
    QVERIFY(text("dashErrors").contains(QStringLiteral("address already in use")));
    QCOMPARE(text("dashListening"), QStringLiteral("127.0.0.1:2525"));
    QCOMPARE(text("dashSmartHost"), QStringLiteral("smtp.example.test:587"));
    QCOMPARE(text("dashQueue"), QLocale().toString(1234));
    QCOMPARE(text("dashSessions"), QStringLiteral("2"));
    QCOMPARE(text("dashDeliveries"), QStringLiteral("1"));
    QCOMPARE(text("dashAccepted"), QStringLiteral("10"));
    QCOMPARE(text("dashRejected"), QStringLiteral("2"));
    QCOMPARE(text("dashDelivered"), QStringLiteral("7"));
    QCOMPARE(text("dashDeferred"), QStringLiteral("4"));
    QCOMPARE(text("dashFailed"), QStringLiteral("1"));

    st.errors.clear();
    st.smartHost.clear();
    st.state = EngineStatus::State::Running;
    emit m_facade->statusChanged(st);
    QCOMPARE(text("dashState"), QStringLiteral("Running"));
    QVERIFY(!dash->findChild<QLabel *>(QStringLiteral("dashErrors"))->isVisibleTo(dash));
    QVERIFY(text("dashSmartHost").startsWith(QStringLiteral("None")));
}

void TestMainWindow::menus()
{
    const auto menus = m_window->menuBar()->findChildren<QMenu *>();
    QStringList actionTexts;
    QAction *exportAction = nullptr;
    QAction *quit = nullptr;
    for (QMenu *m : menus) {
        for (QAction *a : m->actions()) {
            actionTexts << a->text();
            if (a->text().contains(QStringLiteral("Export configuration")))
                exportAction = a;
            if (a->text().contains(QStringLiteral("Quit")))
                quit = a;
        }
    }
    QVERIFY2(exportAction, qPrintable(actionTexts.join(QLatin1Char('|'))));
    QVERIFY(!exportAction->isEnabled());
    QVERIFY(!exportAction->toolTip().isEmpty());
    QVERIFY(quit);
    QVERIFY(actionTexts.join(QLatin1Char('|')).contains(QStringLiteral("About RelayDesk")));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"

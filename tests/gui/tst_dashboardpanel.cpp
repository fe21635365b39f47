// The Dashboard panel offscreen, fed directly through its slots: snapshots
// made by a real TrafficStats on a fake clock (the chart series must hold
// the per-minute counts the test fed, and the 5-minute means in the 24-hour
// view), the top lists, the TLS share, the alert banner (order, overflow,
// acknowledge and show again), the health summary (certificates, DNS check,
// open alerts), and the AlertNotifier's once-per-alert announcements.
// The panel is rendered to a PNG at 1000x700 (RD_DASHBOARD_PNG=path also
// keeps a copy for people to look at).

#include "dashboard/alertbanner.h"
#include "dashboard/alertnotifier.h"
#include "dashboard/dashboardpanel.h"
#include "dashboard/toplistmodel.h"
#include "dashboard/trafficchart.h"

#include "dnscheck/dnscheckreport.h"
#include "engine/trafficstats.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QChartView>
#include <QComboBox>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSystemTrayIcon>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using rd::alerts::Alert;
using rd::alerts::Severity;
using rd::engine::TrafficSnapshot;
using rd::engine::TrafficStats;
using rd::ui::AlertBanner;
using rd::ui::AlertNotifier;
using rd::ui::DashboardPanel;
using rd::ui::TrafficChart;

namespace {

constexpr qint64 kMin = 60 * 1000;

// Three hours of traffic ending at `end`: minute i (counted from the start)
// gets i % 5 accepted, i % 3 delivered, 1 deferred every 4th minute,
// i % 2 rejected, and queue size i % 40. Senders and clients by pattern.
TrafficSnapshot makeTraffic(qint64 end, int minutes = 180)
{
    qint64 now = end - qint64(minutes - 1) * kMin;
    TrafficStats stats([&now] { return now; });
    for (int i = 0; i < minutes; ++i) {
        now = end - qint64(minutes - 1 - i) * kMin;
        for (int k = 0; k < i % 5; ++k)
            stats.accepted(QStringLiteral("app%1@example.test").arg(k), QString(),
                           QStringLiteral("10.0.0.%1").arg(k + 1), 1);
        for (int k = 0; k < i % 3; ++k)
            stats.delivered();
        if (i % 4 == 0)
            stats.deferred();
        for (int k = 0; k < i % 2; ++k)
            stats.rejected(QStringLiteral("203.0.113.9"), QStringLiteral("relay denied"));
        stats.sampleQueue(i % 40);
        stats.sessionEnded(QStringLiteral("10.0.0.1"), i % 4 != 0);
    }
    return stats.snapshot();
}

Alert alert(qint64 id, Severity severity, const QString &rule, const QString &message, int minutesAgo)
{
    Alert a;
    a.id = id;
    a.rule = rule;
    a.subject = QStringLiteral("s%1").arg(id);
    a.severity = severity;
    a.message = message;
    a.raised = QDateTime::currentDateTimeUtc().addSecs(-60 * minutesAgo);
    return a;
}

QString text(QWidget *root, const char *name)
{
    auto *l = root->findChild<QLabel *>(QLatin1String(name));
    return l ? l->text() : QStringLiteral("<missing %1>").arg(QLatin1String(name));
}

} // namespace

class TstDashboardPanel : public QObject {
    Q_OBJECT
private slots:
    void chartSeriesHoldTheMinutes();
    void chartRangeSwitch();
    void topListsAndTlsShare();
    void bannerOrderOverflowAcknowledge();
    void healthSummary();
    void notifierAnnouncesOnce();
    void screenshot();
};

void TstDashboardPanel::chartSeriesHoldTheMinutes()
{
    DashboardPanel panel(nullptr);
    const qint64 end = QDateTime::currentMSecsSinceEpoch();
    const TrafficSnapshot s = makeTraffic(end);
    panel.setTraffic(s);
    TrafficChart *chart = panel.chart();
    QCOMPARE(chart->range(), TrafficChart::Range::LastHour);
    const QList<QPointF> accepted = chart->series(TrafficChart::Accepted)->points();
    QCOMPARE(accepted.size(), 60);
    // Minute i of the feed (0..179): the last hour holds i = 120..179.
    for (int j = 0; j < 60; ++j) {
        const int i = 120 + j;
        QCOMPARE(qint64(accepted[j].x()), (end - qint64(59 - j) * kMin) / kMin * kMin);
        QCOMPARE(int(accepted[j].y()), i % 5);
        QCOMPARE(int(chart->series(TrafficChart::Delivered)->at(j).y()), i % 3);
        QCOMPARE(int(chart->series(TrafficChart::Deferred)->at(j).y()), i % 4 == 0 ? 1 : 0);
        QCOMPARE(int(chart->series(TrafficChart::Rejected)->at(j).y()), i % 2);
        QCOMPARE(int(chart->series(TrafficChart::QueueSize)->at(j).y()), i % 40);
    }
    // An empty snapshot clears the lines.
    panel.setTraffic(TrafficSnapshot{});
    QCOMPARE(chart->series(TrafficChart::Accepted)->count(), 0);
}

void TstDashboardPanel::chartRangeSwitch()
{
    DashboardPanel panel(nullptr);
    // Aligned to a 5-minute boundary so every bin is whole: 180 minutes = 36 bins.
    const qint64 end = (QDateTime::currentMSecsSinceEpoch() / (5 * kMin)) * 5 * kMin - kMin + 1000;
    panel.setTraffic(makeTraffic(end));
    auto *box = panel.findChild<QComboBox *>(QStringLiteral("dashRange"));
    QVERIFY(box);
    box->setCurrentIndex(1);
    TrafficChart *chart = panel.chart();
    QCOMPARE(chart->range(), TrafficChart::Range::Last24Hours);
    const QList<QPointF> accepted = chart->series(TrafficChart::Accepted)->points();
    QCOMPARE(accepted.size(), 36);
    for (int b = 0; b < 36; ++b) {
        double sum = 0;
        int queueMax = 0;
        for (int i = b * 5; i < b * 5 + 5; ++i) {
            sum += i % 5;
            queueMax = std::max(queueMax, i % 40);
        }
        QCOMPARE(accepted[b].y(), sum / 5.0); // the mean per minute
        QCOMPARE(int(chart->series(TrafficChart::QueueSize)->at(b).y()), queueMax);
    }
    box->setCurrentIndex(0);
    QCOMPARE(chart->series(TrafficChart::Accepted)->count(), 60);
}

void TstDashboardPanel::topListsAndTlsShare()
{
    DashboardPanel panel(nullptr);
    QAbstractItemModelTester tester(panel.topSenders(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    const TrafficSnapshot s = makeTraffic(QDateTime::currentMSecsSinceEpoch());
    panel.setTraffic(s);
    // Over the last hour app0 is in 4 of 5 minutes, app3 in 1 of 5: app0 first.
    auto *senders = panel.topSenders();
    QCOMPARE(senders->rowCount(), 4);
    QCOMPARE(senders->index(0, rd::ui::TopListModel::Key).data().toString(), QStringLiteral("app0@example.test"));
    QCOMPARE(senders->index(3, rd::ui::TopListModel::Key).data().toString(), QStringLiteral("app3@example.test"));
    QCOMPARE(senders->index(0, rd::ui::TopListModel::Count).data(rd::ui::TopListModel::RawCountRole).toLongLong(),
             s.topSenders.first().count);
    QCOMPARE(panel.topClients()->rowCount(), 4);
    QCOMPARE(panel.topRefused()->rowCount(), 1);
    QCOMPARE(panel.topRefused()->index(0, rd::ui::TopListModel::Key).data().toString(),
             QStringLiteral("203.0.113.9"));
    auto *view = panel.findChild<QTableView *>(QStringLiteral("dashTopSenders"));
    QVERIFY(view && view->model() == senders);
    // Every 4th session without TLS: 45 of the last 60.
    QCOMPARE(s.sessionsLastHour, 60);
    QCOMPARE(text(&panel, "dashTls"), QLocale().toString(75.0, 'f', 0) + QStringLiteral(" %"));
    // Fewer entries later: rows are removed, not left stale.
    TrafficSnapshot fewer = s;
    fewer.topSenders = fewer.topSenders.mid(0, 1);
    panel.setTraffic(fewer);
    QCOMPARE(senders->rowCount(), 1);
    panel.setTraffic(TrafficSnapshot{});
    QCOMPARE(text(&panel, "dashTls"), QStringLiteral("\u2014"));
}

void TstDashboardPanel::bannerOrderOverflowAcknowledge()
{
    DashboardPanel panel(nullptr);
    panel.resize(1000, 700);
    panel.show();
    AlertBanner *banner = panel.banner();
    QVERIFY(!banner->isVisibleTo(&panel));
    QSignalSpy acked(&panel, &DashboardPanel::alertAcknowledged);

    Alert closed = alert(9, Severity::Critical, QStringLiteral("queue_size"), QStringLiteral("resolved one"), 50);
    closed.resolved = QDateTime::currentDateTimeUtc();
    const QList<Alert> alerts = {
        alert(1, Severity::Warning, QStringLiteral("queue_size"), QStringLiteral("The queue holds 1,200 messages"), 30),
        alert(2, Severity::Critical, QStringLiteral("volume_user"), QStringLiteral("User bob sent 900 messages"), 20),
        alert(3, Severity::Warning, QStringLiteral("auth_failures_ip"), QStringLiteral("25 failed AUTH attempts"), 5),
        alert(4, Severity::Critical, QStringLiteral("dnsbl_self"), QStringLiteral("Listed on bl.example"), 40),
        alert(5, Severity::Info, QStringLiteral("certificate"), QStringLiteral("info alert"), 1),
        closed,
    };
    panel.setAlerts(alerts);
    QVERIFY(banner->isVisibleTo(&panel));
    // Most severe first, newest first within a severity; the resolved one is not shown.
    QList<qint64> order;
    for (const Alert &a : banner->shownAlerts())
        order << a.id;
    QCOMPARE(order, (QList<qint64>{2, 4, 3, 1, 5}));
    // Three rows, then "and 2 more".
    QVERIFY(banner->findChild<QWidget *>(QStringLiteral("alertRow_2")));
    QVERIFY(banner->findChild<QWidget *>(QStringLiteral("alertRow_3")));
    QVERIFY(!banner->findChild<QWidget *>(QStringLiteral("alertRow_1")));
    QVERIFY(text(banner, "alertMore").contains(QStringLiteral("2 more")));

    // Acknowledge the first row by clicking its button.
    auto *row = banner->findChild<QWidget *>(QStringLiteral("alertRow_2"));
    auto *ack = row->findChild<QPushButton *>(QStringLiteral("ackButton"));
    QVERIFY(ack);
    QTest::mouseClick(ack, Qt::LeftButton);
    QCOMPARE(acked.size(), 1);
    QCOMPARE(acked.first().first().toLongLong(), 2);
    QTRY_VERIFY(!banner->findChild<QWidget *>(QStringLiteral("alertRow_2")));
    QCOMPARE(banner->shownAlerts().first().id, 4);
    auto *showAll = banner->findChild<QPushButton *>(QStringLiteral("alertShowAcknowledged"));
    QVERIFY(showAll->isVisibleTo(banner));
    // The same list again (a periodic refresh) keeps the acknowledgement.
    panel.setAlerts(alerts);
    QCOMPARE(banner->shownAlerts().size(), 4);
    QTest::mouseClick(showAll, Qt::LeftButton);
    QCOMPARE(banner->shownAlerts().size(), 5);
    // All resolved: the banner hides.
    panel.setAlerts({});
    QVERIFY(!banner->isVisibleTo(&panel));
}

void TstDashboardPanel::healthSummary()
{
    DashboardPanel panel(nullptr);
    QCOMPARE(text(&panel, "dashOpenAlerts"), QStringLiteral("None"));
    QVERIFY(text(&panel, "dashDnsCheck").startsWith(QStringLiteral("Not run")));
    panel.setAlerts({alert(1, Severity::Critical, QLatin1String(rd::alerts::rules::kCertificate),
                           QStringLiteral("Certificate mail.example.test expired on 2024-03-01 10:00 UTC"), 3),
                     alert(2, Severity::Warning, QStringLiteral("queue_age"), QStringLiteral("old"), 3)});
    QVERIFY(text(&panel, "dashCertificates").contains(QStringLiteral("mail.example.test expired")));
    QCOMPARE(text(&panel, "dashOpenAlerts"), QStringLiteral("1 critical, 1 warning(s)"));

    rd::dnscheck::Report report;
    report.domain = QStringLiteral("example.test");
    report.when = QDateTime::currentDateTimeUtc();
    rd::dnscheck::Finding fail;
    fail.check = QStringLiteral("dnsbl");
    fail.status = rd::dnscheck::Status::Fail;
    rd::dnscheck::Finding warn = fail;
    warn.status = rd::dnscheck::Status::Warn;
    report.findings = {fail, warn, warn};
    panel.setDnsCheck(report);
    QVERIFY2(text(&panel, "dashDnsCheck").contains(QStringLiteral("example.test: 1 failure(s)")),
             qPrintable(text(&panel, "dashDnsCheck")));
    // A later run of the same domain replaces it.
    report.findings = {};
    panel.setDnsCheck(report);
    QVERIFY(text(&panel, "dashDnsCheck").contains(QStringLiteral("example.test: all passed")));

    rd::engine::EngineStatus st;
    st.state = rd::engine::EngineStatus::State::Running;
    st.listening = {QStringLiteral("127.0.0.1:2525"), QStringLiteral("[::1]:2525")};
    panel.setStatus(st);
    QCOMPARE(text(&panel, "dashListening"), QStringLiteral("127.0.0.1:2525, [::1]:2525"));
    QVERIFY(text(&panel, "dashSmartHost").startsWith(QStringLiteral("None")));
}

void TstDashboardPanel::notifierAnnouncesOnce()
{
    AlertNotifier notifier;
    QSignalSpy notified(&notifier, &AlertNotifier::notified);
    const QDateTime since = QDateTime::currentDateTimeUtc().addSecs(-600);
    notifier.setAnnounceSince(since);
    Alert old = alert(1, Severity::Critical, QStringLiteral("dnsbl_self"), QStringLiteral("restored"), 60);
    Alert fresh = alert(2, Severity::Warning, QStringLiteral("queue_size"), QStringLiteral("new"), 1);
    notifier.setAlerts({old, fresh});
    QCOMPARE(notified.size(), 1);
    QCOMPARE(notified.first().first().value<Alert>().id, 2);
    notifier.setAlerts({old, fresh});
    QCOMPARE(notified.size(), 1);
    Alert later = alert(3, Severity::Critical, QStringLiteral("volume_user"), QStringLiteral("later"), 0);
    Alert resolved = alert(4, Severity::Critical, QStringLiteral("queue_age"), QStringLiteral("gone"), 0);
    resolved.resolved = QDateTime::currentDateTimeUtc();
    notifier.setAlerts({old, fresh, later, resolved});
    QCOMPARE(notified.size(), 2);
    QCOMPARE(notified.last().first().value<Alert>().id, 3);
    // Resolved and raised again under a new id: announced again.
    notifier.setAlerts({});
    notifier.setAlerts({alert(5, Severity::Warning, QStringLiteral("queue_size"), QStringLiteral("again"), 0)});
    QCOMPARE(notified.size(), 3);
    if (notifier.trayAvailable())
        QVERIFY(notifier.trayIcon()->isVisible());
    else
        QVERIFY(!notifier.trayIcon());
}

void TstDashboardPanel::screenshot()
{
    DashboardPanel panel(nullptr);
    panel.resize(1000, 700);
    rd::engine::EngineStatus st;
    st.state = rd::engine::EngineStatus::State::Running;
    st.listening = {QStringLiteral("0.0.0.0:25"), QStringLiteral("0.0.0.0:587")};
    st.smartHost = QStringLiteral("smtp.office365.com:587");
    st.queueSize = 37;
    st.activeSessions = 3;
    st.activeDeliveries = 2;
    st.accepted = 18234;
    st.rejected = 412;
    st.delivered = 18102;
    st.deferred = 95;
    st.failed = 7;
    panel.setStatus(st);
    const TrafficSnapshot day = makeTraffic(QDateTime::currentMSecsSinceEpoch(), 24 * 60);
    panel.setTraffic(day);
    panel.setAlerts({alert(1, Severity::Critical, QStringLiteral("volume_user"),
                           QStringLiteral("User bob sent 950 messages in the last hour, 19.0 times the usual 50 per hour"), 4),
                     alert(2, Severity::Warning, QStringLiteral("auth_failures_ip"),
                           QStringLiteral("25 failed AUTH attempts from 198.51.100.7 within 10 minutes (alert at 20)"), 12)});
    rd::dnscheck::Report report;
    report.domain = QStringLiteral("example.com");
    report.when = QDateTime::currentDateTimeUtc();
    rd::dnscheck::Finding warn;
    warn.status = rd::dnscheck::Status::Warn;
    report.findings = {warn};
    panel.setDnsCheck(report);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QTest::qWait(50);

    // Readable at 1000x700: nothing needs scrolling.
    auto *scroll = panel.findChild<QScrollArea *>(QStringLiteral("dashScroll"));
    QVERIFY(scroll);
    QVERIFY(!scroll->verticalScrollBar()->isVisible());
    QVERIFY(!scroll->horizontalScrollBar()->isVisible());
    QVERIFY(panel.chart()->trafficView()->height() >= 180);

    const QImage image = panel.grab().toImage();
    QCOMPARE(image.size(), QSize(1000, 700) * image.devicePixelRatio());
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("dashboard.png"));
    QVERIFY(image.save(path));
    const QString keep = qEnvironmentVariable("RD_DASHBOARD_PNG");
    if (!keep.isEmpty())
        QVERIFY(image.save(keep));
    // The 24-hour view, for people to look at.
    panel.chart()->setRange(TrafficChart::Range::Last24Hours);
    const qint64 bin = TrafficChart::kBinMinutes * kMin;
    QCOMPARE(panel.chart()->series(TrafficChart::Accepted)->count(),
             int(day.minutes.last().start / bin - day.minutes.first().start / bin + 1));
    if (!keep.isEmpty())
        QVERIFY(panel.grab().save(QString(keep).replace(QStringLiteral(".png"), QStringLiteral("-24h.png"))));
}

QTEST_MAIN(TstDashboardPanel)
#include "tst_dashboardpanel.moc"

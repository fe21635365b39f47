// The Cluster panel: a standalone relay (the facade answers clustered=false)
// explains how to make a cluster and hides the tables; a cluster overview
// fills the node and history tables, marks a silent node, points out a node on
// another revision, and says when the store cannot be reached. The panel with
// real data from a running cluster is in tests/integration/test_cluster.py
// (Xvfb screenshot).

#include "cluster/clusterpanel.h"

#include "cluster/configsync.h"
#include "engine/enginefacade.h"

#include <QDateTime>
#include <QLabel>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using rd::cluster::ClusterOverview;
using rd::cluster::HistoryEntry;
using rd::cluster::NodeInfo;
using rd::ui::ClusterPanel;

namespace {

ClusterOverview sampleOverview(qint64 now)
{
    ClusterOverview o;
    o.clustered = true;
    o.store = QStringLiteral("postgresql://rd_node@db.example.com:5432/relaydesk?sslmode=verify-full");
    o.thisNode = QStringLiteral("relay1");
    o.storeUp = true;
    o.revision = 7;
    o.readAt = now;
    NodeInfo a;
    a.name = QStringLiteral("relay1");
    a.version = QStringLiteral("0.1.0");
    a.state = QStringLiteral("running");
    a.listeners = QStringLiteral("10.0.0.11:25");
    a.queueSize = 3;
    a.oldestMessage = now - 90 * 1000;
    a.heartbeat = now - 2000;
    a.storeLatencyUs = 1210;
    a.revision = 7;
    NodeInfo b = a;
    b.name = QStringLiteral("relay2");
    b.listeners = QStringLiteral("10.0.0.12:25");
    b.queueSize = 0;
    b.oldestMessage = 0;
    b.revision = 6;
    NodeInfo c = a;
    c.name = QStringLiteral("relay3");
    c.listeners = QStringLiteral("10.0.0.13:25");
    c.heartbeat = now - 600 * 1000;
    c.silent = true;
    o.nodes = {a, b, c};
    HistoryEntry h1{7, now - 60000, QStringLiteral("alice"), QStringLiteral("relay2"),
                    {QStringLiteral("connection_rules")}, QString()};
    HistoryEntry h2{6, now - 120000, QStringLiteral("bob (command line)"), QStringLiteral("relay1"),
                    {QStringLiteral("users"), QStringLiteral("dkim_keys")}, QStringLiteral("changed on the command line")};
    HistoryEntry h3{1, now - 180000, QStringLiteral("bob (command line)"), QStringLiteral("relay1"),
                    rd::cluster::sharedTables(), QStringLiteral("configuration of the standalone instance published")};
    o.history = {h1, h2, h3};
    return o;
}

QString cellText(QTableWidget *t, int row, int col)
{
    return t->item(row, col) ? t->item(row, col)->text() : QString();
}

} // namespace

class TestClusterPanel : public QObject {
    Q_OBJECT

private slots:
    void standaloneExplainsAndHidesTables()
    {
        QTemporaryDir dir;
        rd::engine::EngineFacade facade(nullptr, dir.path());
        ClusterPanel panel(&facade);
        panel.resize(900, 600);
        panel.showOverview(sampleOverview(QDateTime::currentMSecsSinceEpoch()));
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        // Shown: the panel asked, and the engine-less facade answers "standalone".
        QTRY_VERIFY(panel.summaryLabel()->text().contains(QStringLiteral("standalone")));
        QVERIFY(panel.summaryLabel()->text().contains(QStringLiteral("--migrate-to-cluster")));
        QVERIFY(!panel.nodesTable()->isVisible());
        QVERIFY(!panel.historyTable()->isVisible());
        QCOMPARE(panel.nodesTable()->rowCount(), 0);
    }

    void clusterFillsTables()
    {
        ClusterPanel panel(nullptr);
        panel.resize(1000, 600);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        panel.showOverview(sampleOverview(now));
        QVERIFY(panel.nodesTable()->isVisible());
        const QString summary = panel.summaryLabel()->text();
        QVERIFY2(summary.contains(QStringLiteral("db.example.com")), qPrintable(summary));
        QVERIFY(summary.contains(QStringLiteral("connected")));
        QVERIFY(summary.contains(QStringLiteral("relay1")));
        QVERIFY(summary.contains(QStringLiteral("revision 7")));

        QTableWidget *n = panel.nodesTable();
        QCOMPARE(n->rowCount(), 3);
        QCOMPARE(cellText(n, 0, 0), QStringLiteral("relay1"));
        QCOMPARE(cellText(n, 0, 1), QStringLiteral("running (this node)"));
        QCOMPARE(cellText(n, 0, 2), QStringLiteral("2 s ago"));
        QCOMPARE(cellText(n, 0, 3), QStringLiteral("10.0.0.11:25"));
        QCOMPARE(cellText(n, 0, 4), QStringLiteral("3"));
        QCOMPARE(cellText(n, 0, 5), QStringLiteral("90 s"));
        QCOMPARE(cellText(n, 0, 6), QStringLiteral("1.21 ms"));
        QCOMPARE(cellText(n, 0, 7), QStringLiteral("7"));
        QCOMPARE(cellText(n, 1, 5), QStringLiteral("-"));
        // A node on another revision says so; the silent one is marked and coloured.
        QVERIFY(n->item(1, 7)->toolTip().contains(QStringLiteral("revision 6")));
        QVERIFY(n->item(0, 7)->toolTip().isEmpty());
        QCOMPARE(cellText(n, 2, 1), QStringLiteral("silent"));
        QCOMPARE(cellText(n, 2, 2), QStringLiteral("10 min ago"));
        QVERIFY(n->item(2, 0)->toolTip().contains(QStringLiteral("No heartbeat since")));
        QVERIFY(n->item(2, 0)->background().color() != n->item(0, 0)->background().color());

        QTableWidget *h = panel.historyTable();
        QCOMPARE(h->rowCount(), 3);
        QCOMPARE(cellText(h, 0, 0), QStringLiteral("7"));
        QCOMPARE(cellText(h, 0, 2), QStringLiteral("alice"));
        QCOMPARE(cellText(h, 0, 3), QStringLiteral("relay2"));
        QCOMPARE(cellText(h, 0, 4), QStringLiteral("connection_rules"));
        QCOMPARE(cellText(h, 1, 4), QStringLiteral("users, dkim_keys"));
        QCOMPARE(cellText(h, 1, 5), QStringLiteral("changed on the command line"));
        QCOMPARE(cellText(h, 2, 4), QStringLiteral("the whole configuration"));
        QVERIFY(h->item(2, 4)->toolTip().contains(QStringLiteral("dkim_keys")));
        // Nothing is editable.
        QVERIFY(!(h->item(0, 2)->flags() & Qt::ItemIsEditable));
    }

    void storeDownSaysWhy()
    {
        ClusterPanel panel(nullptr);
        ClusterOverview o = sampleOverview(QDateTime::currentMSecsSinceEpoch());
        o.storeUp = false;
        o.error = QStringLiteral("could not connect to server: Connection refused");
        o.nodes.clear();
        o.history.clear();
        panel.showOverview(o);
        const QString summary = panel.summaryLabel()->text();
        QVERIFY2(summary.contains(QStringLiteral("not reachable")), qPrintable(summary));
        QVERIFY(summary.contains(QStringLiteral("Connection refused")));
        QVERIFY(!summary.contains(QStringLiteral(">connected<")));
        QCOMPARE(panel.nodesTable()->rowCount(), 0);
    }
};

QTEST_MAIN(TestClusterPanel)
#include "tst_clusterpanel.moc"

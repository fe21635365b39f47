// RateLimitModel, LimitUsageModel and RateLimitsPanel against a real
// EngineFacade with a real Engine on its own thread, on a temporary data
// folder. Rules are edited through the model the table uses; errors from
// config::validateRateLimits() must land on the cell they are about and block
// Apply; Apply goes through the engine and the result is read back twice:
// from the engine (configLoaded) and from config.db with a fresh ConfigStore.
// The Now table is fed PolicyStatus values directly (what policyStatusReady
// carries) and is polled from the engine while the panel is visible.
//
// A screenshot is saved in a temporary folder (and in RELAYDESK_GRAB_DIR when set).

#include "ratelimits/limitusagemodel.h"
#include "ratelimits/ratelimitmodel.h"
#include "ratelimits/ratelimitpresets.h"
#include "ratelimits/ratelimitspanel.h"

#include "config/configsnapshot.h"
#include "config/configstore.h"
#include "config/settings.h"
#include "engine/engine.h"
#include "engine/enginefacade.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QImage>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>

using rd::config::ConfigSnapshot;
using rd::config::LimitMetric;
using rd::config::LimitScope;
using rd::config::RateLimitRule;
using rd::engine::EngineFacade;
using rd::policy::LimitUsage;
using rd::policy::PolicyStatus;
using rd::ui::LimitUsageModel;
using rd::ui::RateLimitModel;
using rd::ui::RateLimitsPanel;

namespace {

constexpr int kTimeoutMs = 20000;

quint16 freeTcpPort()
{
    QTcpServer s;
    return s.listen(QHostAddress::LocalHost, 0) ? s.serverPort() : 0;
}

RateLimitRule rule(LimitScope scope, const QString &subject, LimitMetric metric, int window, int maximum)
{
    RateLimitRule r;
    r.scope = scope;
    r.subject = subject;
    r.metric = metric;
    r.windowSeconds = window;
    r.maximum = maximum;
    return r;
}

LimitUsage usage(const RateLimitRule &r, const QString &key, int used, qint64 refused = 0, int reset = 30)
{
    LimitUsage u;
    u.rule = r;
    u.key = key;
    u.used = used;
    u.maximum = r.maximum;
    u.refused = refused;
    u.resetSeconds = reset;
    return u;
}

} // namespace

class TestRateLimitsPanel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void modelPassesModelTester();
    void errorsLandOnTheirCell();
    void editingThroughTheModel();
    void moveRemoveAndRevert();
    void presetsAreValidAndNameTheConnector();
    void applyThroughTheEngine();
    void nowTableMergesAndMarks();
    void pollsOnlyWhileVisible();
    void grabScreenshot();

private:
    ConfigSnapshot engineConfig()
    {
        QSignalSpy loaded(m_facade.get(), &EngineFacade::configLoaded);
        m_facade->requestConfig();
        if (!loaded.wait(kTimeoutMs))
            return {};
        return loaded.last().at(0).value<ConfigSnapshot>();
    }
    RateLimitModel *model() const { return m_panel->model(); }
    QPushButton *applyButton() const { return m_panel->findChild<QPushButton *>(QStringLiteral("applyRateLimits")); }

    QTemporaryDir m_dir;
    QTemporaryDir m_grabDir;
    QThread m_thread;
    rd::engine::Engine *m_engine = nullptr;
    std::unique_ptr<EngineFacade> m_facade;
    std::unique_ptr<RateLimitsPanel> m_panel;
};

void TestRateLimitsPanel::initTestCase()
{
    QVERIFY(m_dir.isValid());
    ConfigSnapshot config;
    config.listeners[0].address = QStringLiteral("127.0.0.1");
    config.listeners[0].port = freeTcpPort();
    QVERIFY(config.listeners[0].port);
    rd::config::SendConnectorConfig m365;
    m365.name = QStringLiteral("office");
    m365.smartHosts = {QStringLiteral("smtp.office365.com:587")};
    config.sendConnectors << m365;

    m_engine = new rd::engine::Engine(m_dir.path(), config, false);
    m_thread.setObjectName(QStringLiteral("engine"));
    m_engine->moveToThread(&m_thread);
    m_thread.start();
    m_facade = std::make_unique<EngineFacade>(m_engine, m_dir.path());
    QMetaObject::invokeMethod(m_engine, &rd::engine::Engine::start, Qt::QueuedConnection);

    m_panel = std::make_unique<RateLimitsPanel>(m_facade.get());
    m_panel->resize(1100, 720);
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->hasConfig(), kTimeoutMs);
    QCOMPARE(model()->rowCount(), 0);
    QVERIFY(!applyButton()->isEnabled());
}

void TestRateLimitsPanel::init()
{
    // Each test starts from what the engine has.
    m_panel->revert();
    m_panel->setConfig(engineConfig());
    QVERIFY(!m_panel->isDirty());
}

void TestRateLimitsPanel::cleanupTestCase()
{
    m_panel.reset();
    QMetaObject::invokeMethod(m_engine, &rd::engine::Engine::stop, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    m_facade.reset();
    delete m_engine;
}

void TestRateLimitsPanel::modelPassesModelTester()
{
    RateLimitModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.load({rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 60)});
    m.addItem(rule(LimitScope::User, QStringLiteral("alice"), LimitMetric::Recipients, 3600, 10));
    QVERIFY(m.moveRow(1, -1));
    QVERIFY(m.setData(m.index(0, RateLimitModel::Maximum), 20));
    m.removeRows(0, 1);
    m.revertAll();
    QCOMPARE(m.rowCount(), 1);

    LimitUsageModel u;
    QAbstractItemModelTester tester2(&u, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const RateLimitRule r = rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 10);
    u.setUsage({usage(r, QStringLiteral("10.0.0.1"), 1), usage(r, QStringLiteral("10.0.0.2"), 2)});
    u.setUsage({usage(r, QStringLiteral("10.0.0.3"), 3), usage(r, QStringLiteral("10.0.0.1"), 4)});
    u.setUsage({});
    QCOMPARE(u.rowCount(), 0);
}

void TestRateLimitsPanel::errorsLandOnTheirCell()
{
    RateLimitModel *m = model();
    // A client IP subject that is not a CIDR: the Subject cell, with the parser's reason.
    const int bad = m->addItem(rule(LimitScope::ClientIp, QStringLiteral("10.0.0.0/33"), LimitMetric::Messages, 60, 5));
    const QString subjectError = m->data(m->index(bad, RateLimitModel::Subject), RateLimitModel::ErrorRole).toString();
    QVERIFY2(subjectError.contains(QStringLiteral("33")), qPrintable(subjectError));
    QVERIFY(m->data(m->index(bad, RateLimitModel::Maximum), RateLimitModel::ErrorRole).toString().isEmpty());
    QVERIFY(m->data(m->index(bad, RateLimitModel::Subject), Qt::BackgroundRole).isValid());
    QVERIFY(!applyButton()->isEnabled());
    QVERIFY(!m_panel->canApply());
    QVERIFY2(m_panel->statusText().startsWith(QStringLiteral("Rate limit 1:")), qPrintable(m_panel->statusText()));
    QVERIFY(m_panel->statusText().contains(QStringLiteral("Nothing is applied")));

    // Recipients are not counted for outbound scopes: the What cell.
    const int outbound =
        m->addItem(rule(LimitScope::Connector, QStringLiteral("office"), LimitMetric::Recipients, 86400, 10000));
    QVERIFY(!m->data(m->index(outbound, RateLimitModel::Metric), RateLimitModel::ErrorRole).toString().isEmpty());
    QVERIFY(m->data(m->index(outbound, RateLimitModel::Subject), RateLimitModel::ErrorRole).toString().isEmpty());

    // A window that is not a minute, hour or day (set from a file, not the combo).
    const int window = m->addItem(rule(LimitScope::User, QStringLiteral("*"), LimitMetric::Messages, 120, 10));
    QVERIFY(!m->data(m->index(window, RateLimitModel::Window), RateLimitModel::ErrorRole).toString().isEmpty());

    // A duplicate of an earlier rule: only the later row is marked.
    const int first = m->addItem(rule(LimitScope::Sender, QStringLiteral("@example.com"), LimitMetric::Messages, 3600, 50));
    const int dup = m->addItem(rule(LimitScope::Sender, QStringLiteral("@EXAMPLE.com"), LimitMetric::Messages, 3600, 70));
    QVERIFY(m->rowErrors(first).isEmpty());
    QVERIFY2(m->rowErrors(dup).contains(QStringLiteral("already defined")), qPrintable(m->rowErrors(dup)));
    QCOMPARE(m->errors().size(), 4);

    // Fixing each one clears the marks and allows Apply.
    QVERIFY(m->setData(m->index(bad, RateLimitModel::Subject), QStringLiteral("10.0.0.0/8")));
    QVERIFY(m->setData(m->index(outbound, RateLimitModel::Metric), int(LimitMetric::Messages)));
    QVERIFY(m->setData(m->index(window, RateLimitModel::Window), 3600));
    QVERIFY(m->setData(m->index(dup, RateLimitModel::Window), 86400));
    QVERIFY2(m->errors().isEmpty(), qPrintable(m->errors().join(QLatin1Char('\n'))));
    QVERIFY(applyButton()->isEnabled());
}

void TestRateLimitsPanel::editingThroughTheModel()
{
    RateLimitModel *m = model();
    const int row = m_panel->addRule();
    QCOMPARE(row, 0);
    QVERIFY(m->data(m->index(row, 0), RateLimitModel::NewRole).toBool());
    QCOMPARE(m->headerData(row, Qt::Vertical).toString(), QStringLiteral("+"));
    // The combo cells offer their choices and take the value written by the delegate.
    const QVariantList scopes = m->data(m->index(row, RateLimitModel::Scope), RateLimitModel::ChoicesRole).toList();
    QCOMPARE(scopes.size(), 5);
    QVERIFY(m->setData(m->index(row, RateLimitModel::Scope), scopes.at(1).toList().at(1))); // user
    QCOMPARE(m->item(row).scope, LimitScope::User);
    QVERIFY(m->setData(m->index(row, RateLimitModel::Scope), QStringLiteral("sender"))); // by name too
    QCOMPARE(m->item(row).scope, LimitScope::Sender);
    QVERIFY(!m->setData(m->index(row, RateLimitModel::Scope), 99));
    QVERIFY(m->setData(m->index(row, RateLimitModel::Maximum), QStringLiteral("unlimited")));
    QCOMPARE(m->item(row).maximum, 0);
    QCOMPARE(m->data(m->index(row, RateLimitModel::Maximum)).toString(), QStringLiteral("unlimited"));
    QVERIFY(m->setData(m->index(row, RateLimitModel::Enabled), Qt::Unchecked, Qt::CheckStateRole));
    QVERIFY(!m->item(row).enabled);
    // Concurrent limits have no window: the cell is not editable.
    QVERIFY(m->setData(m->index(row, RateLimitModel::Scope), int(LimitScope::ClientIp)));
    QVERIFY(m->setData(m->index(row, RateLimitModel::Metric), int(LimitMetric::Concurrent)));
    QVERIFY(!(m->flags(m->index(row, RateLimitModel::Window)) & Qt::ItemIsEditable));
    QVERIFY(m->data(m->index(row, RateLimitModel::Scope), Qt::ToolTipRole).toString().contains(QStringLiteral("concurrent")));

    // The per-IP session setting is part of the pending configuration.
    const int loaded = int(engineConfig().intValue(rd::config::keys::kMaxSessionsPerIp));
    m_panel->setMaxSessionsPerIp(loaded + 3);
    QCOMPARE(int(m_panel->pendingConfig().intValue(rd::config::keys::kMaxSessionsPerIp)), loaded + 3);
    QVERIFY(m_panel->isDirty());
    m_panel->revert();
    QCOMPARE(m_panel->findChild<QSpinBox *>(QStringLiteral("maxSessionsPerIp"))->value(), loaded);
    QCOMPARE(model()->rowCount(), 0);
    QVERIFY(!m_panel->isDirty());
}

void TestRateLimitsPanel::moveRemoveAndRevert()
{
    ConfigSnapshot c = engineConfig();
    c.rateLimits = {rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 60),
                    rule(LimitScope::User, QStringLiteral("*"), LimitMetric::Messages, 3600, 500),
                    rule(LimitScope::Sender, QStringLiteral("*"), LimitMetric::Messages, 3600, 200)};
    m_panel->setConfig(c);
    RateLimitModel *m = model();
    QCOMPARE(m->rowCount(), 3);
    QVERIFY(!m_panel->isDirty());

    m_panel->limitsView()->selectRow(2);
    m_panel->moveSelected(-1);
    QCOMPARE(m->item(1).scope, LimitScope::Sender);
    QCOMPARE(m_panel->limitsView()->currentIndex().row(), 1);
    QCOMPARE(m->headerData(1, Qt::Vertical).toString(), QStringLiteral("*"));
    QCOMPARE(m->headerData(2, Qt::Vertical).toString(), QStringLiteral("*"));
    QCOMPARE(m->headerData(0, Qt::Vertical).toString(), QStringLiteral("1"));
    QVERIFY(m_panel->isDirty());
    m_panel->removeSelected();
    QCOMPARE(m->rowCount(), 2);
    QCOMPARE(m_panel->pendingConfig().rateLimits.size(), 2);

    // A reload keeps unapplied edits.
    m_panel->setConfig(c);
    QCOMPARE(m->rowCount(), 2);
    m_panel->revert();
    QCOMPARE(m->items(), c.rateLimits);
}

void TestRateLimitsPanel::presetsAreValidAndNameTheConnector()
{
    const ConfigSnapshot c = engineConfig();
    const QList<rd::ui::RateLimitPreset> presets = rd::ui::RateLimitPresets::all(c.sendConnectors);
    QCOMPARE(m_panel->presetLabels().size(), presets.size());
    QList<RateLimitRule> all;
    int m365 = -1;
    for (int i = 0; i < presets.size(); ++i) {
        QVERIFY(!presets.at(i).explanation.isEmpty());
        all << presets.at(i).rules;
        if (presets.at(i).label.contains(QStringLiteral("Microsoft 365")))
            m365 = i;
    }
    // Every preset together is one valid list (no overlaps, all combinations allowed).
    QVERIFY2(rd::config::validateRateLimits(all).isEmpty(),
             qPrintable(rd::config::validateRateLimits(all).join(QLatin1Char('\n'))));

    // Microsoft 365: 30 messages per minute, on the connector whose smart host is smtp.office365.com.
    QVERIFY(m365 >= 0);
    const int row = m_panel->addPreset(m365);
    QCOMPARE(row, 0);
    const RateLimitRule r = model()->item(row);
    QCOMPARE(r.scope, LimitScope::Connector);
    QCOMPARE(r.subject, QStringLiteral("office"));
    QCOMPARE(r.metric, LimitMetric::Messages);
    QCOMPARE(r.windowSeconds, 60);
    QCOMPARE(r.maximum, 30);
    QVERIFY(m_panel->statusText().contains(QStringLiteral("10,000 recipients per day")));
    // Adding it again adds nothing (and says so).
    const int rows = model()->rowCount();
    QCOMPARE(m_panel->addPreset(m365), -1);
    QCOMPARE(model()->rowCount(), rows);
    QVERIFY(m_panel->statusText().contains(QStringLiteral("already")));
}

void TestRateLimitsPanel::applyThroughTheEngine()
{
    const ConfigSnapshot before = engineConfig();
    m_panel->addPreset(0); // printers and apps
    m_panel->addPreset(1); // authenticated users
    const int exemption = m_panel->addRule();
    RateLimitModel *m = model();
    QVERIFY(m->setData(m->index(exemption, RateLimitModel::Subject), QStringLiteral("192.168.5.0/24")));
    QVERIFY(m->setData(m->index(exemption, RateLimitModel::Maximum), 0));
    QVERIFY(m->setData(m->index(exemption, RateLimitModel::Comment), QStringLiteral("build servers")));
    const int perIp = int(before.intValue(rd::config::keys::kMaxSessionsPerIp)) == 7 ? 8 : 7;
    m_panel->setMaxSessionsPerIp(perIp);
    const QList<RateLimitRule> expected = m->items();
    QCOMPARE(expected.size(), 3);
    QVERIFY(applyButton()->isEnabled());

    QSignalSpy applied(m_facade.get(), &EngineFacade::configApplied);
    QTest::mouseClick(applyButton(), Qt::LeftButton);
    QVERIFY(applied.wait(kTimeoutMs));
    QVERIFY2(applied.first().at(0).toBool(), qPrintable(applied.first().at(1).toStringList().join(QLatin1Char(';'))));
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isDirty(), kTimeoutMs);
    QVERIFY(m_panel->statusText().startsWith(QStringLiteral("Applied")));
    QVERIFY(!applyButton()->isEnabled());

    // The engine has it...
    const ConfigSnapshot after = engineConfig();
    QCOMPARE(after.rateLimits, expected);
    QCOMPARE(int(after.intValue(rd::config::keys::kMaxSessionsPerIp)), perIp);
    QCOMPARE(after.listeners, before.listeners); // nothing else changed
    QCOMPARE(after.sendConnectors.size(), before.sendConnectors.size());
    // ...and so does config.db, read by a store of its own.
    rd::config::ConfigStore store(m_dir.path());
    QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
    const ConfigSnapshot stored = store.load();
    QCOMPARE(stored.rateLimits, expected);
    QCOMPARE(stored.rateLimits.at(2).comment, QStringLiteral("build servers"));
    QCOMPARE(int(stored.intValue(rd::config::keys::kMaxSessionsPerIp)), perIp);

    // An invalid rule never reaches the engine.
    applied.clear();
    m->addItem(rule(LimitScope::ClientIp, QStringLiteral("not-an-ip"), LimitMetric::Messages, 60, 5));
    m_panel->apply();
    QTest::qWait(200);
    QCOMPARE(applied.count(), 0);
    QCOMPARE(engineConfig().rateLimits, expected);
}

void TestRateLimitsPanel::nowTableMergesAndMarks()
{
    const RateLimitRule perIp = rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 60);
    const RateLimitRule m365 = rule(LimitScope::Connector, QStringLiteral("office"), LimitMetric::Messages, 60, 30);
    PolicyStatus s;
    s.usage = {usage(m365, QStringLiteral("office"), 30, 4, 12),       // at the limit
               usage(perIp, QStringLiteral("192.168.1.20"), 50, 0, 41), // 83 %: near
               usage(perIp, QStringLiteral("192.168.1.21"), 3, 0, 5)};  // fine
    s.greylistTriplets = 12;
    m_panel->setPolicyStatus(s);
    LimitUsageModel *u = m_panel->usageModel();
    QCOMPARE(u->rowCount(), 3);
    QCOMPARE(u->data(u->index(0, 0), LimitUsageModel::LevelRole).toInt(), int(LimitUsageModel::Over));
    QCOMPARE(u->data(u->index(1, 0), LimitUsageModel::LevelRole).toInt(), int(LimitUsageModel::Near));
    QCOMPARE(u->data(u->index(2, 0), LimitUsageModel::LevelRole).toInt(), int(LimitUsageModel::Normal));
    QCOMPARE(u->data(u->index(0, LimitUsageModel::Used)).toString(), QStringLiteral("30 / 30"));
    QCOMPARE(u->data(u->index(0, LimitUsageModel::Rule)).toString(),
             QStringLiteral("30 messages per minute for send connector office"));
    QCOMPARE(u->data(u->index(0, LimitUsageModel::Refused)).toString(), QStringLiteral("4"));
    QCOMPARE(u->data(u->index(1, LimitUsageModel::Resets)).toString(), QStringLiteral("41 s"));
    QVERIFY(u->data(u->index(0, 0), Qt::ToolTipRole).toString().contains(QStringLiteral("waits in the queue")));
    QVERIFY(m_panel->nowSummary().contains(QStringLiteral("3 counters")));
    QVERIFY(m_panel->nowSummary().contains(QStringLiteral("1 near the limit")));
    QVERIFY(m_panel->nowSummary().contains(QStringLiteral("1 at the limit")));

    // The view shows the fullest first.
    QTableView *now = m_panel->nowView();
    QCOMPARE(now->model()->index(0, LimitUsageModel::Subject).data().toString(), QStringLiteral("Connector office"));
    QCOMPARE(now->model()->index(2, LimitUsageModel::Subject).data().toString(), QStringLiteral("IP 192.168.1.21"));

    // The next status: one gone, one updated, one new; merged without a reset.
    QSignalSpy resets(u, &QAbstractItemModel::modelReset);
    QSignalSpy removed(u, &QAbstractItemModel::rowsRemoved);
    QSignalSpy inserted(u, &QAbstractItemModel::rowsInserted);
    s.usage = {usage(perIp, QStringLiteral("192.168.1.20"), 60, 2, 30),
               usage(perIp, QStringLiteral("192.168.1.22"), 1, 0, 59)};
    m_panel->setPolicyStatus(s);
    QCOMPARE(resets.count(), 0);
    QCOMPARE(removed.count(), 2); // two runs: row 0 and row 2
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(u->rowCount(), 2);
    QCOMPARE(u->usage(0).key, QStringLiteral("192.168.1.20"));
    QCOMPARE(u->data(u->index(0, 0), LimitUsageModel::LevelRole).toInt(), int(LimitUsageModel::Over));
    QCOMPARE(u->usage(1).key, QStringLiteral("192.168.1.22"));
    QVERIFY(m_panel->nowSummary().contains(QStringLiteral("1 at the limit")));
    QVERIFY(!m_panel->nowSummary().contains(QStringLiteral("near")));

    m_panel->setPolicyStatus({});
    QCOMPARE(u->rowCount(), 0);
    QVERIFY(m_panel->nowSummary().startsWith(QStringLiteral("Nobody")));
}

void TestRateLimitsPanel::pollsOnlyWhileVisible()
{
    QVERIFY(!m_panel->isPolling());
    QSignalSpy ready(m_facade.get(), &EngineFacade::policyStatusReady);
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    QVERIFY(m_panel->isPolling());
    // One request at once, then one every 2 s, answered by the engine thread.
    QTRY_VERIFY_WITH_TIMEOUT(ready.count() >= 2, 2 * RateLimitsPanel::RefreshIntervalMs + 3000);
    m_panel->hide();
    QVERIFY(!m_panel->isPolling());
    QTest::qWait(300); // an answer in flight
    const int count = ready.count();
    QTest::qWait(RateLimitsPanel::RefreshIntervalMs + 500);
    QCOMPARE(ready.count(), count);
}

void TestRateLimitsPanel::grabScreenshot()
{
    QVERIFY(m_grabDir.isValid());
    RateLimitModel *m = model();
    const QList<rd::ui::RateLimitPreset> presets = rd::ui::RateLimitPresets::all(engineConfig().sendConnectors);
    for (int i = 0; i < 3; ++i)
        m_panel->addPreset(i);
    m->addItem(rule(LimitScope::ClientIp, QStringLiteral("10.0.0.0/33"), LimitMetric::Messages, 60, 5));
    m_panel->limitsView()->selectRow(m->rowCount() - 1);
    const RateLimitRule perIp = presets.at(0).rules.at(0);
    const RateLimitRule users = presets.at(1).rules.at(0);
    const RateLimitRule m365 = m->item(3);
    PolicyStatus s;
    s.usage = {usage(m365, m365.subject, 30, 7, 18), usage(perIp, QStringLiteral("192.168.10.31"), 52, 0, 44),
               usage(users, QStringLiteral("scanner@example.com"), 120, 0, 2900),
               usage(perIp, QStringLiteral("192.168.10.40"), 4, 0, 51)};
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    m_panel->setPolicyStatus(s);
    const QImage image = m_panel->grab().toImage();
    QVERIFY(!image.isNull());
    const QString path = QDir(m_grabDir.path()).filePath(QStringLiteral("ratelimits.png"));
    QVERIFY(image.save(path));
    const QString extra = qEnvironmentVariable("RELAYDESK_GRAB_DIR");
    if (!extra.isEmpty())
        QVERIFY(image.save(QDir(extra).filePath(QStringLiteral("ratelimits.png"))));
    m_panel->hide();
}

QTEST_MAIN(TestRateLimitsPanel)
#include "tst_ratelimitspanel.moc"

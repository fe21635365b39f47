// ContentRuleModel, ContentRuleDialog, DnsblZoneModel, the greylisting page
// and FilteringPanel against a real EngineFacade with a real Engine on its
// own thread, on a temporary data folder. Problems found by the core
// validators (a bad regex, bad DNSBL answer codes, a bad zone) must land on
// the cell they are about and block Apply; the regex error is shown with a
// caret under the offending character. Apply goes through the engine and is
// read back from the engine and from config.db with a fresh ConfigStore.
//
// The Connection control tab: rules checked by config::validateConnectionRules
// on the cell they are about, expired rules noted (not refused), the ban
// settings, and the "Banned now" list: setBans() fills it, Unban and Refresh
// emit the panel's signals (the composition root connects them to the
// engine facade).
//
// Screenshots of the four tabs are saved in a temporary folder (and in
// RELAYDESK_GRAB_DIR when set).

#include "filtering/banmodel.h"
#include "filtering/connectioncontrolpage.h"
#include "filtering/connectionrulemodel.h"
#include "filtering/contentruledialog.h"
#include "filtering/contentrulemodel.h"
#include "filtering/contentrulespage.h"
#include "filtering/dnsblpage.h"
#include "filtering/dnsblzonemodel.h"
#include "filtering/filteringpanel.h"
#include "filtering/greylistpage.h"

#include "config/configsnapshot.h"
#include "config/configstore.h"
#include "config/settings.h"
#include "engine/engine.h"
#include "engine/enginefacade.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QHostAddress>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>

using rd::config::ConfigSnapshot;
using rd::config::ContentRule;
using rd::config::DnsblZone;
using rd::config::RuleAction;
using rd::config::RuleMatch;
using rd::config::RuleTarget;
using rd::engine::EngineFacade;
using rd::ui::ContentRuleDialog;
using rd::ui::ContentRuleModel;
using rd::ui::DnsblZoneModel;
using rd::ui::FilteringPanel;
namespace keys = rd::config::keys;

namespace {

constexpr int kTimeoutMs = 20000;

quint16 freeTcpPort()
{
    QTcpServer s;
    return s.listen(QHostAddress::LocalHost, 0) ? s.serverPort() : 0;
}

ContentRule contentRule(const QString &name, RuleTarget target, RuleMatch match, const QString &pattern,
                        RuleAction action = RuleAction::Reject)
{
    ContentRule r;
    r.name = name;
    r.target = target;
    r.match = match;
    r.pattern = pattern;
    r.action = action;
    return r;
}

DnsblZone zone(const QString &name, const QString &codes = {}, bool enabled = true)
{
    DnsblZone z;
    z.zone = name;
    z.codes = codes;
    z.enabled = enabled;
    return z;
}

quint32 ipv4(const char *text)
{
    return QHostAddress(QLatin1String(text)).toIPv4Address();
}

} // namespace

class TestFilteringPanel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void modelsPassModelTester();
    void badRegexIsMarkedWithItsPosition();
    void dialogOffersOnlyValidCombinations();
    void dialogEditsTheTable();
    void dnsblCodesAndZonesAreChecked();
    void dnsblPresetsUsePublishedCodes();
    void greylistSettings();
    void tabTitlesShowState();
    void applyThroughTheEngine();
    void connectionModelsPassModelTester();
    void connectionRulesAreChecked();
    void bansListAndUnban();
    void applyConnectionControlThroughTheEngine();
    void grabScreenshots();

private:
    ConfigSnapshot engineConfig()
    {
        QSignalSpy loaded(m_facade.get(), &EngineFacade::configLoaded);
        m_facade->requestConfig();
        if (!loaded.wait(kTimeoutMs))
            return {};
        return loaded.last().at(0).value<ConfigSnapshot>();
    }
    ContentRuleModel *rules() const { return m_panel->contentRulesPage()->model(); }
    DnsblZoneModel *zones() const { return m_panel->dnsblPage()->model(); }
    rd::ui::ConnectionRuleModel *connRules() const { return m_panel->connectionControlPage()->model(); }
    QPushButton *applyButton() const { return m_panel->findChild<QPushButton *>(QStringLiteral("applyFiltering")); }

    QTemporaryDir m_dir;
    QTemporaryDir m_grabDir;
    QThread m_thread;
    rd::engine::Engine *m_engine = nullptr;
    std::unique_ptr<EngineFacade> m_facade;
    std::unique_ptr<FilteringPanel> m_panel;
};

void TestFilteringPanel::initTestCase()
{
    QVERIFY(m_dir.isValid());
    ConfigSnapshot config;
    config.listeners[0].address = QStringLiteral("127.0.0.1");
    config.listeners[0].port = freeTcpPort();
    QVERIFY(config.listeners[0].port);
    m_engine = new rd::engine::Engine(m_dir.path(), config, false);
    m_thread.setObjectName(QStringLiteral("engine"));
    m_engine->moveToThread(&m_thread);
    m_thread.start();
    m_facade = std::make_unique<EngineFacade>(m_engine, m_dir.path());
    QMetaObject::invokeMethod(m_engine, &rd::engine::Engine::start, Qt::QueuedConnection);

    m_panel = std::make_unique<FilteringPanel>(m_facade.get());
    m_panel->resize(1000, 640);
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->hasConfig(), kTimeoutMs);
    QVERIFY(!applyButton()->isEnabled());
}

void TestFilteringPanel::init()
{
    m_panel->revert();
    m_panel->setConfig(engineConfig());
    QVERIFY(!m_panel->isDirty());
}

void TestFilteringPanel::cleanupTestCase()
{
    m_panel.reset();
    QMetaObject::invokeMethod(m_engine, &rd::engine::Engine::stop, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    m_facade.reset();
    delete m_engine;
}

void TestFilteringPanel::modelsPassModelTester()
{
    ContentRuleModel m;
    QAbstractItemModelTester t1(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.load({contentRule(QStringLiteral("a"), RuleTarget::Sender, RuleMatch::Domain, QStringLiteral("example.com"))});
    m.addItem(contentRule(QStringLiteral("b"), RuleTarget::Body, RuleMatch::Contains, QStringLiteral("x")));
    QVERIFY(m.moveRow(0, 1));
    QVERIFY(m.setData(m.index(0, ContentRuleModel::Enabled), Qt::Unchecked, Qt::CheckStateRole));
    m.removeRows(1, 1);
    m.revertAll();

    DnsblZoneModel z;
    QAbstractItemModelTester t2(&z, QAbstractItemModelTester::FailureReportingMode::QtTest);
    z.load({zone(QStringLiteral("bl.example.test"))});
    z.addItem(zone(QStringLiteral("two.example.test")));
    QVERIFY(z.setData(z.index(1, DnsblZoneModel::Codes), QStringLiteral("127.0.0.2=listed")));
    QVERIFY(z.moveRow(1, -1));
    z.revertAll();
    QCOMPARE(z.rowCount(), 1);
}

void TestFilteringPanel::badRegexIsMarkedWithItsPosition()
{
    // The ")" at index 4 closes nothing.
    const QString pattern = QStringLiteral("spam)+");
    const int row = rules()->addItem(contentRule(QStringLiteral("Bad"), RuleTarget::Body, RuleMatch::Regex, pattern));
    const QString cell = rules()->data(rules()->index(row, ContentRuleModel::Pattern), ContentRuleModel::ErrorRole).toString();
    QVERIFY2(cell.contains(QStringLiteral("offset 4")), qPrintable(cell));
    QVERIFY(rules()->data(rules()->index(row, ContentRuleModel::Name), ContentRuleModel::ErrorRole).toString().isEmpty());
    QVERIFY(m_panel->hasErrors());
    QVERIFY(!applyButton()->isEnabled());
    QVERIFY2(m_panel->statusText().startsWith(QStringLiteral("Content rule 1 (Bad): regular expression error")),
             qPrintable(m_panel->statusText()));

    // The dialog shows a caret under the ")".
    ContentRuleDialog dialog(rules()->item(row), {});
    QVERIFY(!dialog.isValid());
    const QStringList caret = dialog.regexCaret().split(QLatin1Char('\n'));
    QCOMPARE(caret.size(), 2);
    QCOMPARE(caret.at(0), pattern);
    QCOMPARE(caret.at(1).indexOf(QLatin1Char('^')), pattern.indexOf(QLatin1Char(')')));
    QVERIFY(caret.at(1).contains(QStringLiteral("position 5")));
    QVERIFY(!dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->isEnabled());
    dialog.patternEdit()->setText(QStringLiteral("(spam)+"));
    QVERIFY(dialog.isValid());
    QVERIFY(dialog.regexCaret().isEmpty());
    QVERIFY(dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->isEnabled());

    QVERIFY(rules()->setItem(row, dialog.rule()));
    QVERIFY(!m_panel->hasErrors());
    QVERIFY(applyButton()->isEnabled());
}

void TestFilteringPanel::dialogOffersOnlyValidCombinations()
{
    ContentRuleDialog dialog(contentRule(QStringLiteral("Rule"), RuleTarget::Sender, RuleMatch::Domain,
                                         QStringLiteral("example.com")),
                             {QStringLiteral("Taken")});
    dialog.show();
    QVERIFY(dialog.isValid());
    // Every (target, match) pair offered is one the core validator accepts.
    for (RuleTarget t : {RuleTarget::Sender, RuleTarget::Recipient, RuleTarget::Header, RuleTarget::Body,
                         RuleTarget::Attachment, RuleTarget::Size}) {
        dialog.setTarget(t);
        QComboBox *match = dialog.matchCombo();
        QVERIFY(match->count() > 0);
        for (int i = 0; i < match->count(); ++i) {
            ContentRule r = dialog.rule();
            r.match = RuleMatch(match->itemData(i).toInt());
            r.field = QStringLiteral("Subject");
            r.pattern = r.match == RuleMatch::Greater ? QStringLiteral("1000") : QStringLiteral("x");
            if (r.match == RuleMatch::Address)
                r.pattern = QStringLiteral("a@example.com");
            if (r.match == RuleMatch::Domain)
                r.pattern = QStringLiteral("example.com");
            QVERIFY2(rd::config::validateContentRules({r}).isEmpty(),
                     qPrintable(rd::config::validateContentRules({r}).join(QLatin1Char(';'))));
        }
    }
    // The header field only for header rules.
    dialog.setTarget(RuleTarget::Header);
    QVERIFY(dialog.fieldEdit()->isVisible());
    dialog.fieldEdit()->setText(QStringLiteral("Bad Field"));
    dialog.patternEdit()->setText(QStringLiteral("win"));
    QVERIFY(dialog.problem().contains(QStringLiteral("not a header field name")));
    dialog.fieldEdit()->setText(QStringLiteral("Subject"));
    QVERIFY2(dialog.isValid(), qPrintable(dialog.problem()));
    dialog.setTarget(RuleTarget::Size);
    QVERIFY(!dialog.fieldEdit()->isVisible());
    QCOMPARE(dialog.matchCombo()->count(), 1);
    QVERIFY(dialog.rule().field.isEmpty());

    // Add a header: "Name: value" on one line.
    dialog.setTarget(RuleTarget::Body);
    dialog.setAction(RuleAction::AddHeader);
    QVERIFY(dialog.headerEdit()->isVisible());
    dialog.headerEdit()->setText(QStringLiteral("no colon"));
    QVERIFY(dialog.problem().contains(QStringLiteral("Name: value")));
    dialog.headerEdit()->setText(QStringLiteral("X-Flag: yes"));
    QVERIFY2(dialog.isValid(), qPrintable(dialog.problem()));
    QCOMPARE(dialog.rule().actionArg, QStringLiteral("X-Flag: yes"));

    // A name another rule has.
    dialog.nameEdit()->setText(QStringLiteral("taken"));
    QVERIFY(dialog.problem().contains(QStringLiteral("already called")));
}

void TestFilteringPanel::dialogEditsTheTable()
{
    rd::ui::ContentRulesPage *page = m_panel->contentRulesPage();
    QCOMPARE(page->addPreset(0), 0);
    const ContentRule preset = rules()->item(0);
    QCOMPARE(preset.target, RuleTarget::Attachment);
    QVERIFY(preset.pattern.split(QLatin1Char(',')).contains(QStringLiteral("exe")));
    QCOMPARE(page->addPreset(0), 1); // again: a unique name
    QCOMPARE(rules()->item(1).name, preset.name + QStringLiteral(" 2"));
    QVERIFY(!m_panel->hasErrors());

    // Edit row 1 through the dialog: OK writes the row back.
    ContentRuleDialog *dialog = page->openRuleDialog(1);
    QVERIFY(dialog);
    dialog->nameEdit()->setText(QStringLiteral("Scripts"));
    dialog->patternEdit()->setText(QStringLiteral("js, vbs"));
    dialog->setAction(RuleAction::Hold);
    QSignalSpy destroyed(dialog, &QObject::destroyed);
    QTest::mouseClick(dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok), Qt::LeftButton);
    QTRY_COMPARE(destroyed.count(), 1);
    QCOMPARE(rules()->item(1).name, QStringLiteral("Scripts"));
    QCOMPARE(rules()->item(1).pattern, QStringLiteral("js, vbs"));
    QCOMPARE(rules()->item(1).action, RuleAction::Hold);

    // A new rule through the dialog; Cancel adds nothing.
    dialog = page->openRuleDialog(-1);
    dialog->reject();
    QCOMPARE(rules()->rowCount(), 2);
    dialog = page->openRuleDialog(-1);
    dialog->setTarget(RuleTarget::Recipient);
    dialog->setMatch(RuleMatch::Address);
    dialog->patternEdit()->setText(QStringLiteral("ceo@example.com"));
    dialog->setAction(RuleAction::Hold);
    dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();
    QCOMPARE(rules()->rowCount(), 3);
    QCOMPARE(rules()->item(2).target, RuleTarget::Recipient);
    QVERIFY(rules()->data(rules()->index(2, 0), ContentRuleModel::NewRole).toBool());

    // Order matters (first match wins): move the new rule to the top.
    page->view()->selectRow(2);
    page->moveSelected(-1);
    page->moveSelected(-1);
    QCOMPARE(rules()->item(0).target, RuleTarget::Recipient);
    QCOMPARE(m_panel->pendingConfig().contentRules.size(), 3);
}

void TestFilteringPanel::dnsblCodesAndZonesAreChecked()
{
    m_panel->showTab(FilteringPanel::DnsblTab);
    DnsblZoneModel *z = zones();
    const int row = m_panel->dnsblPage()->addZone();
    QVERIFY(!z->data(z->index(row, DnsblZoneModel::Zone), DnsblZoneModel::ErrorRole).toString().isEmpty());
    QVERIFY(z->setData(z->index(row, DnsblZoneModel::Zone), QStringLiteral("bl.example.test")));
    QVERIFY(z->errors().isEmpty());
    QCOMPARE(z->data(z->index(row, DnsblZoneModel::Meaning)).toString(),
             QStringLiteral("Any answer in 127.0.0.0/8 lists the client"));

    // An answer outside 127.0.0.0/8: the Codes cell, not the Zone cell.
    QVERIFY(z->setData(z->index(row, DnsblZoneModel::Codes), QStringLiteral("127.0.0.2=spam; 10.0.0.1=oops")));
    const QString codes = z->data(z->index(row, DnsblZoneModel::Codes), DnsblZoneModel::ErrorRole).toString();
    QVERIFY2(codes.contains(QStringLiteral("10.0.0.1")) && codes.contains(QStringLiteral("127.0.0.0/8")), qPrintable(codes));
    QVERIFY(z->data(z->index(row, DnsblZoneModel::Zone), DnsblZoneModel::ErrorRole).toString().isEmpty());
    QVERIFY(!applyButton()->isEnabled());
    QVERIFY(m_panel->tabs()->tabText(FilteringPanel::DnsblTab).contains(QStringLiteral("\u26a0")));
    // A range that ends before it starts, and a word.
    QVERIFY(z->setData(z->index(row, DnsblZoneModel::Codes), QStringLiteral("127.0.0.7-127.0.0.4=xbl")));
    QVERIFY(z->rowErrors(row).contains(QStringLiteral("ends before it starts")));
    QVERIFY(z->setData(z->index(row, DnsblZoneModel::Codes), QStringLiteral("listed=127.0.0.2")));
    QVERIFY(!z->rowErrors(row).isEmpty());
    QVERIFY(z->setData(z->index(row, DnsblZoneModel::Codes), QStringLiteral("127.0.0.2=spam; 127.0.0.4-127.0.0.7=xbl")));
    QVERIFY(z->errors().isEmpty());
    QCOMPARE(z->data(z->index(row, DnsblZoneModel::Meaning)).toString(),
             QStringLiteral("127.0.0.2 spam; 127.0.0.4-127.0.0.7 xbl"));

    // A zone that is not a DNS name, and the same zone twice.
    QVERIFY(z->setData(z->index(row, DnsblZoneModel::Zone), QStringLiteral("not a zone")));
    QVERIFY(!z->data(z->index(row, DnsblZoneModel::Zone), DnsblZoneModel::ErrorRole).toString().isEmpty());
    QVERIFY(z->setData(z->index(row, DnsblZoneModel::Zone), QStringLiteral("bl.example.test")));
    const int dup = z->addItem(zone(QStringLiteral("BL.example.test")));
    QVERIFY2(z->rowErrors(dup).contains(QStringLiteral("Listed twice")), qPrintable(z->rowErrors(dup)));
    z->removeRows(dup, 1);
    QVERIFY(applyButton()->isEnabled());
}

void TestFilteringPanel::dnsblPresetsUsePublishedCodes()
{
    const QList<rd::ui::DnsblPreset> presets = rd::ui::DnsblPresets::all();
    QList<DnsblZone> all;
    for (const auto &p : presets)
        all << p.zone;
    QVERIFY2(rd::config::validateDnsblZones(all).isEmpty(),
             qPrintable(rd::config::validateDnsblZones(all).join(QLatin1Char(';'))));

    // Spamhaus ZEN: the codes docs.spamhaus.com publishes for zen; its error
    // answers (127.255.255.252/254/255) must never count as a listing.
    const auto zen = std::find_if(presets.cbegin(), presets.cend(),
                                  [](const auto &p) { return p.zone.zone == QLatin1String("zen.spamhaus.org"); });
    QVERIFY(zen != presets.cend());
    QList<rd::config::DnsblCode> codes;
    QString error;
    QVERIFY2(rd::config::parseDnsblCodes(zen->zone.codes, &codes, &error), qPrintable(error));
    auto meaningOf = [&codes](const char *answer) {
        const quint32 a = ipv4(answer);
        for (const auto &c : codes) {
            if (a >= c.first && a <= c.last)
                return c.meaning;
        }
        return QString();
    };
    QVERIFY(meaningOf("127.0.0.2").contains(QStringLiteral("SBL")));
    QVERIFY(meaningOf("127.0.0.3").contains(QStringLiteral("CSS")));
    QVERIFY(meaningOf("127.0.0.4").contains(QStringLiteral("XBL")));
    QVERIFY(meaningOf("127.0.0.9").contains(QStringLiteral("DROP")));
    QVERIFY(meaningOf("127.0.0.10").contains(QStringLiteral("PBL")));
    QVERIFY(meaningOf("127.0.0.11").contains(QStringLiteral("PBL")));
    for (const char *err : {"127.255.255.252", "127.255.255.254", "127.255.255.255", "127.0.0.1"})
        QVERIFY2(meaningOf(err).isEmpty(), err);
    QVERIFY(zen->note.contains(QStringLiteral("127.255.255.254")));

    // Adding a preset through the page; twice gives the same row.
    rd::ui::DnsblPage *page = m_panel->dnsblPage();
    const int index = int(zen - presets.cbegin());
    const int row = page->addPreset(index);
    QCOMPARE(zones()->item(row), zen->zone);
    QCOMPARE(page->addPreset(index), row);
    QCOMPARE(zones()->rowCount(), 1);
    QVERIFY(page->note().contains(QStringLiteral("listed already")));
}

void TestFilteringPanel::greylistSettings()
{
    const ConfigSnapshot loaded = engineConfig();
    rd::ui::GreylistPage *page = m_panel->greylistPage();
    QCOMPARE(page->enabledBox()->isChecked(), loaded.boolValue(keys::kGreylisting));
    QCOMPARE(page->delayBox()->value(), int(loaded.intValue(keys::kGreylistDelay)));
    QCOMPARE(page->retryWindowBox()->value() * 3600, int(loaded.intValue(keys::kGreylistRetryWindow)));
    // The bounds are the setting's.
    const rd::config::SettingDef *delay = rd::config::findSetting(QString::fromLatin1(keys::kGreylistDelay));
    QCOMPARE(page->delayBox()->minimum(), int(delay->min));
    QCOMPARE(page->delayBox()->maximum(), int(delay->max));
    QVERIFY(!page->delayBox()->isEnabled() || loaded.boolValue(keys::kGreylisting));

    page->enabledBox()->setChecked(true);
    QVERIFY(page->delayBox()->isEnabled());
    page->delayBox()->setValue(120);
    page->retryWindowBox()->setValue(12);
    page->expiryBox()->setValue(40);
    QVERIFY(m_panel->isDirty());
    QVERIFY(m_panel->tabs()->tabText(FilteringPanel::GreylistTab).endsWith(QStringLiteral(" *")));
    const ConfigSnapshot c = m_panel->pendingConfig();
    QCOMPARE(c.boolValue(keys::kGreylisting), true);
    QCOMPARE(c.intValue(keys::kGreylistDelay), 120);
    QCOMPARE(c.intValue(keys::kGreylistRetryWindow), 12 * 3600);
    QCOMPARE(c.intValue(keys::kGreylistExpiry), 40);
    QVERIFY(page->findChild<QLabel *>(QStringLiteral("greylistNever"))->text().contains(QStringLiteral("authenticated")));

    rd::policy::PolicyStatus s;
    s.greylistTriplets = 42;
    s.greylistPending = 5;
    page->setPolicyStatus(s);
    QVERIFY(page->countsText().contains(QStringLiteral("42")));
    QVERIFY(page->countsText().contains(QStringLiteral("5 waiting")));

    m_panel->revert();
    QVERIFY(!m_panel->isDirty());
    QCOMPARE(page->delayBox()->value(), int(loaded.intValue(keys::kGreylistDelay)));
}

void TestFilteringPanel::tabTitlesShowState()
{
    QTabWidget *tabs = m_panel->tabs();
    QCOMPARE(tabs->tabText(FilteringPanel::ContentRulesTab), QStringLiteral("Content rules"));
    m_panel->dnsblPage()->checkClientsBox()->setChecked(!m_panel->dnsblPage()->checkClientsBox()->isChecked());
    QCOMPARE(tabs->tabText(FilteringPanel::DnsblTab), QStringLiteral("DNS block lists *"));
    QCOMPARE(tabs->tabText(FilteringPanel::ContentRulesTab), QStringLiteral("Content rules"));
    rules()->addItem(contentRule(QString(), RuleTarget::Body, RuleMatch::Contains, QStringLiteral("x")));
    QCOMPARE(tabs->tabText(FilteringPanel::ContentRulesTab), QStringLiteral("Content rules \u26a0"));
    QVERIFY(m_panel->statusText().contains(QStringLiteral("the name is empty")));
    m_panel->revert();
    QCOMPARE(tabs->tabText(FilteringPanel::DnsblTab), QStringLiteral("DNS block lists"));
    QCOMPARE(tabs->tabText(FilteringPanel::ContentRulesTab), QStringLiteral("Content rules"));
}

void TestFilteringPanel::applyThroughTheEngine()
{
    rd::ui::ContentRulesPage *rulesPage = m_panel->contentRulesPage();
    rulesPage->addPreset(0);
    rules()->addItem(contentRule(QStringLiteral("Subject spam"), RuleTarget::Header, RuleMatch::Regex,
                                 QStringLiteral("\\b(viagra|casino)\\b"), RuleAction::AddHeader));
    ContentRule r = rules()->item(1);
    r.field = QStringLiteral("Subject");
    r.actionArg = QStringLiteral("X-Spam-Flag: YES");
    QVERIFY(rules()->setItem(1, r));
    m_panel->dnsblPage()->addPreset(0);
    zones()->addItem(zone(QStringLiteral("bl.example.test"), QStringLiteral("127.0.0.2=test list"), false));
    m_panel->dnsblPage()->checkClientsBox()->setChecked(true);
    m_panel->greylistPage()->enabledBox()->setChecked(true);
    m_panel->greylistPage()->delayBox()->setValue(90);
    QVERIFY2(!m_panel->hasErrors(), qPrintable(m_panel->errors().join(QLatin1Char('\n'))));
    const QList<ContentRule> expectedRules = rules()->items();
    const QList<DnsblZone> expectedZones = zones()->items();

    QSignalSpy applied(m_facade.get(), &EngineFacade::configApplied);
    QVERIFY(applyButton()->isEnabled());
    QTest::mouseClick(applyButton(), Qt::LeftButton);
    QVERIFY(applied.wait(kTimeoutMs));
    QVERIFY2(applied.first().at(0).toBool(), qPrintable(applied.first().at(1).toStringList().join(QLatin1Char(';'))));
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isDirty(), kTimeoutMs);
    QVERIFY(m_panel->statusText().startsWith(QStringLiteral("Applied")));

    const ConfigSnapshot after = engineConfig();
    QCOMPARE(after.contentRules, expectedRules);
    QCOMPARE(after.dnsblZones, expectedZones);
    QCOMPARE(after.boolValue(keys::kDnsblCheckClients), true);
    QCOMPARE(after.boolValue(keys::kGreylisting), true);
    QCOMPARE(after.intValue(keys::kGreylistDelay), 90);

    rd::config::ConfigStore store(m_dir.path());
    QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
    const ConfigSnapshot stored = store.load();
    QCOMPARE(stored.contentRules, expectedRules);
    QCOMPARE(stored.dnsblZones, expectedZones);
    QCOMPARE(stored.intValue(keys::kGreylistDelay), 90);
}

namespace {

rd::config::ConnectionRule connRule(const QString &network, rd::config::ConnectionAction action, int priority,
                                    const QString &comment, const QDateTime &expires = {})
{
    rd::config::ConnectionRule r;
    r.network = network;
    r.action = action;
    r.priority = priority;
    r.comment = comment;
    r.expires = expires;
    return r;
}

rd::policy::Ban ban(const QString &ip, const QString &reason, int failures, qint64 createdMs, int seconds)
{
    rd::policy::Ban b;
    b.ip = ip;
    b.reason = reason;
    b.failures = failures;
    b.created = QDateTime::fromMSecsSinceEpoch(createdMs, Qt::UTC);
    b.expires = b.created.addSecs(seconds);
    return b;
}

} // namespace

void TestFilteringPanel::connectionModelsPassModelTester()
{
    using rd::config::ConnectionAction;
    rd::ui::ConnectionRuleModel m;
    QAbstractItemModelTester t1(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.load({connRule(QStringLiteral("192.0.2.0/24"), ConnectionAction::Allow, 10, QStringLiteral("lan"))});
    m.addItem(connRule(QStringLiteral("2001:db8::/32"), ConnectionAction::Deny, 5, QString()));
    QVERIFY(m.setData(m.index(1, rd::ui::ConnectionRuleModel::Action), int(ConnectionAction::Allow)));
    QVERIFY(m.setData(m.index(1, rd::ui::ConnectionRuleModel::Expires), QStringLiteral("2030-01-02 03:04")));
    QCOMPARE(m.item(1).expires, QDateTime(QDate(2030, 1, 2), QTime(3, 4), Qt::UTC));
    QVERIFY(!m.setData(m.index(1, rd::ui::ConnectionRuleModel::Expires), QStringLiteral("next tuesday")));
    QVERIFY(m.setData(m.index(1, rd::ui::ConnectionRuleModel::Expires), QString()));
    QVERIFY(!m.item(1).expires.isValid());
    QVERIFY(m.moveRow(1, -1));
    m.removeRows(0, 1);
    m.revertAll();
    QCOMPARE(m.rowCount(), 1);

    rd::ui::BanModel b;
    QAbstractItemModelTester t2(&b, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const qint64 t0 = QDateTime(QDate(2026, 11, 27), QTime(12, 0), Qt::UTC).toMSecsSinceEpoch();
    b.setBans({ban(QStringLiteral("192.0.2.9"), QStringLiteral("after 10 failed AUTH attempts"), 10, t0, 600)});
    QCOMPARE(b.rowCount(), 1);
    QCOMPARE(b.data(b.index(0, rd::ui::BanModel::Until)).toString(), QStringLiteral("2026-11-27 12:10:00"));
    b.setBans({});
    QCOMPARE(b.rowCount(), 0);
}

void TestFilteringPanel::connectionRulesAreChecked()
{
    using rd::config::ConnectionAction;
    QTabWidget *tabs = m_panel->tabs();
    m_panel->showTab(FilteringPanel::ConnectionControlTab);
    const int row = connRules()->addItem(connRule(QStringLiteral("10.0.0.1/8"), ConnectionAction::Deny, 100,
                                                  QStringLiteral("typo")));
    const QString cell = connRules()->data(connRules()->index(row, rd::ui::ConnectionRuleModel::Network),
                                           rd::ui::ConnectionRuleModel::ErrorRole).toString();
    QVERIFY2(cell.contains(QStringLiteral("did you mean 10.0.0.0/8")), qPrintable(cell));
    QCOMPARE(tabs->tabText(FilteringPanel::ConnectionControlTab), QStringLiteral("Connection control \u26a0"));
    QVERIFY(!applyButton()->isEnabled());
    QVERIFY2(m_panel->statusText().startsWith(QStringLiteral("Connection rule 1 (typo): network: 10.0.0.1/8 has host bits set")),
             qPrintable(m_panel->statusText()));
    QVERIFY(connRules()->setData(connRules()->index(row, rd::ui::ConnectionRuleModel::Network), QStringLiteral("10.0.0.0/8")));
    QVERIFY(!m_panel->hasErrors());
    QCOMPARE(tabs->tabText(FilteringPanel::ConnectionControlTab), QStringLiteral("Connection control *"));
    // A priority out of range lands on the Priority cell.
    QVERIFY(connRules()->setData(connRules()->index(row, rd::ui::ConnectionRuleModel::Priority), 5000000));
    QVERIFY(!connRules()->data(connRules()->index(row, rd::ui::ConnectionRuleModel::Priority),
                               rd::ui::ConnectionRuleModel::ErrorRole).toString().isEmpty());
    QVERIFY(connRules()->setData(connRules()->index(row, rd::ui::ConnectionRuleModel::Priority), 100));
    // An expiry in the past is allowed, greyed and noted.
    const QDateTime past = QDateTime::currentDateTimeUtc().addDays(-2);
    QVERIFY(connRules()->setData(connRules()->index(row, rd::ui::ConnectionRuleModel::Expires), past));
    QVERIFY(!m_panel->hasErrors());
    QVERIFY(connRules()->data(connRules()->index(row, 0), rd::ui::ConnectionRuleModel::ExpiredRole).toBool());
    QVERIFY2(m_panel->statusText().contains(QStringLiteral("no longer applies")), qPrintable(m_panel->statusText()));
    QVERIFY(applyButton()->isEnabled());
    // Add / Edit / Remove through the page.
    rd::ui::ConnectionControlPage *page = m_panel->connectionControlPage();
    const int added = page->addRule();
    QCOMPARE(connRules()->rowCount(), 2);
    QVERIFY(m_panel->hasErrors()); // the new rule has no address yet
    page->view()->selectRow(added);
    page->removeSelected();
    QCOMPARE(connRules()->rowCount(), 1);
    m_panel->revert();
    QCOMPARE(connRules()->rowCount(), 0);
    QCOMPARE(tabs->tabText(FilteringPanel::ConnectionControlTab), QStringLiteral("Connection control"));
}

void TestFilteringPanel::bansListAndUnban()
{
    rd::ui::ConnectionControlPage *page = m_panel->connectionControlPage();
    QSignalSpy unban(m_panel.get(), &FilteringPanel::unbanRequested);
    QSignalSpy asked(m_panel.get(), &FilteringPanel::bansRequested);
    const qint64 t0 = QDateTime(QDate(2026, 11, 27), QTime(12, 0), Qt::UTC).toMSecsSinceEpoch();
    m_panel->setBans({ban(QStringLiteral("192.0.2.9"), QStringLiteral("after 10 failed AUTH attempts"), 10, t0, 600),
                      ban(QStringLiteral("2001:db8:1:2::/64"), QStringLiteral("by an administrator"), 0, t0, 3600)});
    QCOMPARE(page->banModel()->rowCount(), 2);
    QCOMPARE(page->findChild<QLabel *>(QStringLiteral("banCount"))->text(), QStringLiteral("2 address(es) banned."));
    QCOMPARE(page->banModel()->data(page->banModel()->index(1, rd::ui::BanModel::Failures)).toString(), QStringLiteral("manual"));
    QVERIFY(!page->unbanButton()->isEnabled());
    QVERIFY(page->selectBan(QStringLiteral("2001:db8:1:2::/64")));
    QVERIFY(page->unbanButton()->isEnabled());
    QTest::mouseClick(page->unbanButton(), Qt::LeftButton);
    QCOMPARE(unban.size(), 1);
    QCOMPARE(unban.first().at(0).toString(), QStringLiteral("2001:db8:1:2::/64"));
    // The engine answers with the new list; the selection follows the address.
    QVERIFY(page->selectBan(QStringLiteral("192.0.2.9")));
    m_panel->setBans({ban(QStringLiteral("192.0.2.9"), QStringLiteral("after 10 failed AUTH attempts"), 10, t0, 600)});
    QCOMPARE(page->banModel()->rowCount(), 1);
    QVERIFY(page->unbanButton()->isEnabled());
    QTest::mouseClick(page->findChild<QPushButton *>(QStringLiteral("refreshBans")), Qt::LeftButton);
    QCOMPARE(asked.size(), 1);
    // Showing the panel asks too.
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    QCOMPARE(asked.size(), 2);
    m_panel->hide();
    m_panel->setBans({});
    QCOMPARE(page->findChild<QLabel *>(QStringLiteral("banCount"))->text(), QStringLiteral("No address is banned."));
    QVERIFY(!page->unbanButton()->isEnabled());
    QVERIFY(!m_panel->isDirty()); // the ban list is not configuration
}

void TestFilteringPanel::applyConnectionControlThroughTheEngine()
{
    using rd::config::ConnectionAction;
    rd::ui::ConnectionControlPage *page = m_panel->connectionControlPage();
    connRules()->addItem(connRule(QStringLiteral("0.0.0.0/0"), ConnectionAction::Deny, 0, QStringLiteral("default deny")));
    connRules()->addItem(connRule(QStringLiteral("2001:db8::/32"), ConnectionAction::Allow, 10, QStringLiteral("office"),
                                  QDateTime(QDate(2031, 5, 1), QTime(8, 0), Qt::UTC)));
    page->authFailuresBox()->setValue(4);
    page->durationBox()->setValue(10);
    QVERIFY2(!m_panel->hasErrors(), qPrintable(m_panel->errors().join(QLatin1Char('\n'))));
    const QList<rd::config::ConnectionRule> expected = connRules()->items();

    QSignalSpy applied(m_facade.get(), &EngineFacade::configApplied);
    QVERIFY(applyButton()->isEnabled());
    QTest::mouseClick(applyButton(), Qt::LeftButton);
    QVERIFY(applied.wait(kTimeoutMs));
    QVERIFY2(applied.first().at(0).toBool(), qPrintable(applied.first().at(1).toStringList().join(QLatin1Char(';'))));
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isDirty(), kTimeoutMs);

    const ConfigSnapshot after = engineConfig();
    QCOMPARE(after.connectionRules, expected);
    QCOMPARE(after.intValue(keys::kBanAuthFailures), 4);
    QCOMPARE(after.intValue(keys::kBanDuration), 10);
    rd::config::ConfigStore store(m_dir.path());
    QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
    const ConfigSnapshot stored = store.load();
    QCOMPARE(stored.connectionRules, expected);
    QCOMPARE(stored.intValue(keys::kBanAuthFailures), 4);
}

void TestFilteringPanel::grabScreenshots()
{
    QVERIFY(m_grabDir.isValid());
    // A bad regex in the table, shown on the first tab.
    rules()->addItem(contentRule(QStringLiteral("Broken pattern"), RuleTarget::Body, RuleMatch::Regex,
                                 QStringLiteral("free (money")));
    m_panel->contentRulesPage()->addPreset(1);
    m_panel->contentRulesPage()->addPreset(2);
    m_panel->dnsblPage()->addPreset(1);
    rd::policy::PolicyStatus s;
    s.greylistTriplets = 1532;
    s.greylistPending = 17;
    m_panel->greylistPage()->setPolicyStatus(s);
    using rd::config::ConnectionAction;
    connRules()->addItem(connRule(QStringLiteral("198.51.100.0/24"), ConnectionAction::Deny, 100,
                                  QStringLiteral("block-scanners")));
    connRules()->addItem(connRule(QStringLiteral("203.0.113.0/24"), ConnectionAction::Allow, 200,
                                  QStringLiteral("vendor until Friday"), QDateTime::currentDateTimeUtc().addDays(3)));
    connRules()->addItem(connRule(QStringLiteral("192.0.2.0/24"), ConnectionAction::Allow, 200,
                                  QStringLiteral("old contractor"), QDateTime::currentDateTimeUtc().addDays(-3)));
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_panel->setBans({ban(QStringLiteral("198.51.100.23"), QStringLiteral("after 10 failed AUTH attempts"), 10, now, 3600),
                      ban(QStringLiteral("2001:db8:bad::/64"), QStringLiteral("after 30 protocol errors"), 30, now - 60000, 3600)});
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    const QString extra = qEnvironmentVariable("RELAYDESK_GRAB_DIR");
    const char *names[] = {"filtering-rules.png", "filtering-dnsbl.png", "filtering-greylist.png",
                           "filtering-connections.png"};
    for (int tab = 0; tab < 4; ++tab) {
        m_panel->showTab(tab);
        const QImage image = m_panel->grab().toImage();
        QVERIFY(!image.isNull());
        QVERIFY(image.save(QDir(m_grabDir.path()).filePath(QLatin1String(names[tab]))));
        if (!extra.isEmpty())
            QVERIFY(image.save(QDir(extra).filePath(QLatin1String(names[tab]))));
    }
    // The dialog with the regex error.
    ContentRuleDialog *dialog = m_panel->contentRulesPage()->openRuleDialog(rules()->rowCount() - 3);
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    if (!extra.isEmpty())
        QVERIFY(dialog->grab().save(QDir(extra).filePath(QStringLiteral("filtering-dialog.png"))));
    dialog->reject();
    m_panel->hide();
    m_panel->revert();
    m_panel->setBans({});
}

QTEST_MAIN(TestFilteringPanel)
#include "tst_filteringpanel.moc"

// CidrListModel and RelayListsPanel with a real EngineFacade and no engine
// (EngineFacade(nullptr, dir)): the panel is loaded with setConfig(), as the
// facade's configLoaded() would; Apply then answers "no engine" at once.
// What Apply would send is checked through pendingConfig().
//
// Set RELAYDESK_GRAB_DIR to a folder to also save a screenshot of the panel.

#include "relaylists/cidrlistmodel.h"
#include "relaylists/relaylistspanel.h"

#include "config/configsnapshot.h"
#include "engine/enginefacade.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDir>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using rd::config::ConfigSnapshot;
using rd::config::ListenerConfig;
using rd::engine::EngineFacade;
using rd::ui::CidrListModel;
using rd::ui::RelayListsPanel;

namespace {

ConfigSnapshot sampleConfig()
{
    ConfigSnapshot c;
    c.listeners.clear();
    ListenerConfig relay;
    relay.name = QStringLiteral("relay");
    relay.address = QStringLiteral("0.0.0.0");
    relay.port = 25;
    relay.relayAllow = {QStringLiteral("127.0.0.1/32"), QStringLiteral("192.168.10.0/24")};
    relay.relayDeny = {QStringLiteral("192.168.10.66")};
    c.listeners << relay;
    ListenerConfig submission;
    submission.name = QStringLiteral("submission");
    submission.address = QStringLiteral("::");
    submission.port = 587;
    submission.mode = QStringLiteral("starttls_required");
    submission.role = QStringLiteral("submission");
    submission.certificate = QStringLiteral("cert-1");
    submission.relayAllow = {};
    submission.relayDeny = {QStringLiteral("2001:db8::/32")};
    c.listeners << submission;
    c.acceptedDomains = {QStringLiteral("example.com")};
    return c;
}

} // namespace

class TestRelayListsPanel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void modelChecksEntries_data();
    void modelChecksEntries();
    void modelPassesModelTester();
    void modelMarksDuplicatesAndDirtyRows();

    void panelLoadsConfiguration();
    void invalidCidrBlocksApplyUntilFixed();
    void emptyNewRowBlocksApply();
    void revertRestoresLoadedValues();
    void pendingConfigHasTheEditedLists();
    void domainsAreValidated();
    void editsSurviveSwitchingListener();
    void applyWithoutEngineReportsError();
    void reloadKeepsEditsAndTakesOtherChanges();
    void addAndRemoveButtons();
    void grabScreenshot();

private:
    template <typename T>
    T *child(const char *name) const
    {
        return m_panel->findChild<T *>(QLatin1String(name));
    }
    QString statusText() const { return child<QLabel>("relayListsStatus")->text(); }
    bool applyEnabled() const { return child<QPushButton>("applyRelayLists")->isEnabled(); }

    QTemporaryDir m_dir;
    EngineFacade *m_facade = nullptr;
    RelayListsPanel *m_panel = nullptr;
};

void TestRelayListsPanel::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_facade = new EngineFacade(nullptr, m_dir.path());
}

void TestRelayListsPanel::init()
{
    m_panel = new RelayListsPanel(m_facade);
    m_panel->resize(1000, 650);
    m_panel->setConfig(sampleConfig());
}

void TestRelayListsPanel::cleanup()
{
    delete m_panel;
    m_panel = nullptr;
}

void TestRelayListsPanel::cleanupTestCase()
{
    delete m_facade;
}

void TestRelayListsPanel::modelChecksEntries_data()
{
    QTest::addColumn<QString>("entry");
    QTest::addColumn<QString>("covers"); // empty: invalid
    QTest::addColumn<QString>("errorPart");

    QTest::newRow("v4 range") << "192.168.10.0/24" << QStringLiteral("192.168.10.0/24 \u2014 256 addresses") << "";
    QTest::newRow("v4 host") << "10.1.2.3" << QStringLiteral("10.1.2.3/32 \u2014 1 address") << "";
    QTest::newRow("spaces") << "  10.0.0.0/8 " << QStringLiteral("10.0.0.0/8 \u2014 16,777,216 addresses") << "";
    QTest::newRow("v4 all") << "0.0.0.0/0"
                            << QStringLiteral("0.0.0.0/0 \u2014 4,294,967,296 addresses, every IPv4 address") << "";
    QTest::newRow("v6 range") << "2001:db8::/32" << QStringLiteral("2001:db8::/32 \u2014 2^96 addresses") << "";
    QTest::newRow("v6 /120") << "2001:db8::/120" << QStringLiteral("2001:db8::/120 \u2014 256 addresses") << "";
    QTest::newRow("mapped") << "::ffff:10.0.0.1" << QStringLiteral("10.0.0.1/32 \u2014 1 address") << "";
    QTest::newRow("prefix 33") << "10.0.0.0/33" << QString() << "33";
    QTest::newRow("v6 prefix 129") << "::/129" << QString() << "129";
    QTest::newRow("host bits") << "10.0.0.1/8" << QString() << "did you mean 10.0.0.0/8";
    QTest::newRow("not an address") << "mail.example.com" << QString() << "not an IPv4 or IPv6 address";
    QTest::newRow("octet") << "300.1.1.1" << QString() << "not an IPv4 or IPv6 address";
    QTest::newRow("prefix text") << "10.0.0.0/x" << QString() << "not a number";
    QTest::newRow("empty") << "" << QString() << "Enter an address";
}

void TestRelayListsPanel::modelChecksEntries()
{
    QFETCH(QString, entry);
    QFETCH(QString, covers);
    QFETCH(QString, errorPart);
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));

    CidrListModel model(CidrListModel::Kind::Cidr);
    model.load({});
    model.addEntry(entry);
    const QModelIndex e = model.index(0, CidrListModel::Entry);
    const QModelIndex c = model.index(0, CidrListModel::Covers);
    QCOMPARE(e.data().toString(), entry.trimmed());
    if (covers.isEmpty()) {
        QVERIFY(model.hasErrors());
        const QString error = e.data(CidrListModel::ErrorRole).toString();
        QVERIFY2(error.contains(errorPart), qPrintable(error));
        QCOMPARE(e.data(Qt::ToolTipRole).toString(), error);
        QVERIFY(e.data(Qt::BackgroundRole).isValid());
        QVERIFY(c.data(Qt::BackgroundRole).isValid());
        QCOMPARE(c.data().toString(), error); // the Covers column says why
        QCOMPARE(e.data(CidrListModel::CanonicalRole).toString(), QString());
        QCOMPARE(model.errors().size(), 1);
    } else {
        QVERIFY(!model.hasErrors());
        QCOMPARE(c.data().toString(), covers);
        QCOMPARE(e.data(CidrListModel::ErrorRole).toString(), QString());
        QVERIFY(!e.data(Qt::BackgroundRole).isValid());
        QVERIFY(e.data(CidrListModel::PrefixRole).toInt() >= 0);
        QVERIFY(e.data(CidrListModel::AddressCountRole).toDouble() >= 1);
        QCOMPARE(c.data(CidrListModel::RawValueRole), e.data(CidrListModel::CanonicalRole));
    }
    QLocale::setDefault(QLocale::system());
}

void TestRelayListsPanel::modelPassesModelTester()
{
    for (auto kind : {CidrListModel::Kind::Cidr, CidrListModel::Kind::Domain}) {
        CidrListModel model(kind);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.load({QStringLiteral("10.0.0.0/8"), QStringLiteral("example.com")});
        model.addEntry();
        model.addEntry(QStringLiteral("192.168.0.0/16"));
        QVERIFY(model.setData(model.index(2, 0), QStringLiteral("10.0.0.0/33")));
        QVERIFY(!model.setData(model.index(2, CidrListModel::Covers), QStringLiteral("x")));
        QVERIFY(model.removeRows(0, 2));
        QVERIFY(!model.removeRows(5, 1));
        model.revertAll();
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(CidrListModel::ColumnCount));
        QVERIFY(model.flags(model.index(0, CidrListModel::Entry)) & Qt::ItemIsEditable);
        QVERIFY(!(model.flags(model.index(0, CidrListModel::Covers)) & Qt::ItemIsEditable));
    }
}

void TestRelayListsPanel::modelMarksDuplicatesAndDirtyRows()
{
    CidrListModel model(CidrListModel::Kind::Cidr);
    QSignalSpy state(&model, &CidrListModel::stateChanged);
    model.load({QStringLiteral("10.0.0.0/8"), QStringLiteral("192.168.1.1")});
    QVERIFY(!model.isDirty());
    QCOMPARE(model.headerData(0, Qt::Vertical).toString(), QString());

    // The same range written differently is a duplicate.
    model.addEntry(QStringLiteral("192.168.1.1/32"));
    QCOMPARE(model.index(2, 0).data(CidrListModel::ErrorRole).toString(), QStringLiteral("Already listed in row 2"));
    QVERIFY(model.index(2, 0).data(CidrListModel::NewRole).toBool());
    QCOMPARE(model.headerData(2, Qt::Vertical).toString(), QStringLiteral("+"));

    // Editing the first one moves the error away: the second is now unique.
    QVERIFY(model.setData(model.index(1, 0), QStringLiteral("192.168.1.0/24")));
    QVERIFY(!model.hasErrors());
    QVERIFY(model.index(1, 0).data(CidrListModel::DirtyRole).toBool());
    QVERIFY(!model.index(0, 0).data(CidrListModel::DirtyRole).toBool());
    QCOMPARE(model.headerData(1, Qt::Vertical).toString(), QStringLiteral("*"));
    QVERIFY(model.index(1, 0).data(Qt::FontRole).value<QFont>().italic());
    QVERIFY(model.isDirty());
    QVERIFY(state.count() >= 3);

    // Changing a row back to what was loaded clears its mark.
    QVERIFY(model.setData(model.index(1, 0), QStringLiteral("192.168.1.1")));
    QVERIFY(!model.index(1, 0).data(CidrListModel::DirtyRole).toBool());
    QVERIFY(model.removeRows(2, 1));
    QVERIFY(!model.isDirty());
    // Removing a loaded row is a change.
    QVERIFY(model.removeRows(0, 1));
    QVERIFY(model.isDirty());
    QCOMPARE(model.entries(), QStringList{QStringLiteral("192.168.1.1")});
}

void TestRelayListsPanel::panelLoadsConfiguration()
{
    QVERIFY(m_panel->hasConfig());
    auto *combo = child<QComboBox>("listenerCombo");
    QVERIFY(combo);
    QCOMPARE(combo->count(), 2);
    QCOMPARE(combo->itemText(0), QStringLiteral("relay (0.0.0.0:25)"));
    QCOMPARE(combo->itemText(1), QStringLiteral("submission ([::]:587)"));
    QCOMPARE(m_panel->currentListener(), 0);

    auto *allow = child<QTableView>("allowTable");
    auto *deny = child<QTableView>("denyTable");
    auto *domains = child<QTableView>("domainTable");
    QVERIFY(allow && deny && domains);
    QCOMPARE(allow->model(), m_panel->allowModel());
    QCOMPARE(deny->model(), m_panel->denyModel());
    QCOMPARE(domains->model(), m_panel->domainModel());
    QCOMPARE(m_panel->allowModel()->entries(), sampleConfig().listeners.at(0).relayAllow);
    QCOMPARE(m_panel->denyModel()->entries(), sampleConfig().listeners.at(0).relayDeny);
    QCOMPARE(m_panel->domainModel()->entries(), QStringList{QStringLiteral("example.com")});
    QCOMPARE(allow->model()->index(1, CidrListModel::Covers).data().toString(),
             QStringLiteral("192.168.10.0/24 \u2014 256 addresses"));
    QCOMPARE(allow->model()->headerData(CidrListModel::Covers, Qt::Horizontal).toString(), QStringLiteral("Covers"));

    QVERIFY(!applyEnabled());
    QVERIFY(!child<QPushButton>("revertRelayLists")->isEnabled());
    QCOMPARE(statusText(), QString());
    auto *explanation = child<QLabel>("relayListsExplanation");
    QVERIFY(explanation->text().contains(QStringLiteral("Denied wins")));
    QVERIFY(explanation->text().contains(QStringLiteral("554 5.7.1")));
}

void TestRelayListsPanel::invalidCidrBlocksApplyUntilFixed()
{
    CidrListModel *allow = m_panel->allowModel();
    const QModelIndex cell = allow->index(1, CidrListModel::Entry);
    QVERIFY(allow->setData(cell, QStringLiteral("10.0.0.0/33")));

    const QString error = cell.data(CidrListModel::ErrorRole).toString();
    QVERIFY2(error.contains(QStringLiteral("33")), qPrintable(error));
    QCOMPARE(cell.data(Qt::ToolTipRole).toString(), error);
    QCOMPARE(cell.data(Qt::BackgroundRole).value<QBrush>().color().red(), 255);
    QVERIFY(!applyEnabled());
    QVERIFY(!m_panel->canApply());
    QVERIFY(statusText().contains(QStringLiteral("33")));
    QVERIFY(statusText().contains(QStringLiteral("Allowed (listener \"relay\")")));
    QVERIFY(child<QLabel>("relayListsStatus")->styleSheet().contains(QStringLiteral("#b01e1e")));
    QVERIFY(child<QComboBox>("listenerCombo")->itemText(0).endsWith(QStringLiteral("\u26a0")));
    QVERIFY(child<QPushButton>("revertRelayLists")->isEnabled());

    // Clicking Apply now does nothing.
    QSignalSpy applied(m_facade, &EngineFacade::configApplied);
    child<QPushButton>("applyRelayLists")->click();
    QCOMPARE(applied.count(), 0);

    QVERIFY(allow->setData(cell, QStringLiteral("10.0.0.0/8")));
    QCOMPARE(cell.data(CidrListModel::ErrorRole).toString(), QString());
    QVERIFY(!cell.data(Qt::BackgroundRole).isValid());
    QVERIFY(cell.data(CidrListModel::DirtyRole).toBool());
    QCOMPARE(allow->headerData(1, Qt::Vertical).toString(), QStringLiteral("*"));
    QVERIFY(applyEnabled());
    QVERIFY(!statusText().contains(QStringLiteral("33")));
    QVERIFY(child<QComboBox>("listenerCombo")->itemText(0).endsWith(QStringLiteral(" *")));
}

void TestRelayListsPanel::emptyNewRowBlocksApply()
{
    child<QPushButton>("addDeny")->click();
    CidrListModel *deny = m_panel->denyModel();
    QCOMPARE(deny->rowCount(), 2);
    QVERIFY(deny->index(1, 0).data(CidrListModel::NewRole).toBool());
    QVERIFY(!deny->index(1, 0).data(CidrListModel::ErrorRole).toString().isEmpty());
    QVERIFY(!applyEnabled());
    QVERIFY(statusText().contains(QStringLiteral("Denied")));
    QVERIFY(deny->setData(deny->index(1, 0), QStringLiteral("203.0.113.0/24")));
    QVERIFY(applyEnabled());
}

void TestRelayListsPanel::revertRestoresLoadedValues()
{
    const ConfigSnapshot loaded = sampleConfig();
    QVERIFY(m_panel->allowModel()->setData(m_panel->allowModel()->index(0, 0), QStringLiteral("10.9.0.0/16")));
    m_panel->denyModel()->addEntry(QStringLiteral("10.0.0.0/33"));
    m_panel->domainModel()->addEntry(QStringLiteral("example.org"));
    m_panel->allowModel(1)->addEntry(QStringLiteral("172.16.0.0/12"));
    QVERIFY(m_panel->isDirty());
    QVERIFY(m_panel->hasErrors());

    child<QPushButton>("revertRelayLists")->click();

    QVERIFY(!m_panel->isDirty());
    QVERIFY(!m_panel->hasErrors());
    for (int i = 0; i < 2; ++i) {
        QCOMPARE(m_panel->allowModel(i)->entries(), loaded.listeners.at(i).relayAllow);
        QCOMPARE(m_panel->denyModel(i)->entries(), loaded.listeners.at(i).relayDeny);
        for (CidrListModel *m : {m_panel->allowModel(i), m_panel->denyModel(i)}) {
            for (int r = 0; r < m->rowCount(); ++r) {
                QVERIFY(!m->index(r, 0).data(CidrListModel::DirtyRole).toBool());
                QCOMPARE(m->headerData(r, Qt::Vertical).toString(), QString());
            }
        }
    }
    QCOMPARE(m_panel->domainModel()->entries(), loaded.acceptedDomains);
    QVERIFY(!applyEnabled());
    QVERIFY(!child<QPushButton>("revertRelayLists")->isEnabled());
    QCOMPARE(m_panel->pendingConfig(), loaded);
    QCOMPARE(child<QComboBox>("listenerCombo")->itemText(0), QStringLiteral("relay (0.0.0.0:25)"));
}

void TestRelayListsPanel::pendingConfigHasTheEditedLists()
{
    CidrListModel *allow0 = m_panel->allowModel(0);
    QVERIFY(allow0->setData(allow0->index(1, 0), QStringLiteral("192.168.20.0/24")));
    allow0->addEntry(QStringLiteral("2001:db8:1::/48"));
    m_panel->denyModel(0)->removeRows(0, 1);
    m_panel->allowModel(1)->addEntry(QStringLiteral(" 198.51.100.7 "));
    m_panel->domainModel()->addEntry(QStringLiteral("Example.ORG"));
    QVERIFY(m_panel->canApply());

    const ConfigSnapshot pending = m_panel->pendingConfig();
    QCOMPARE(pending.listeners.size(), 2);
    QCOMPARE(pending.listeners.at(0).relayAllow,
             (QStringList{QStringLiteral("127.0.0.1/32"), QStringLiteral("192.168.20.0/24"),
                          QStringLiteral("2001:db8:1::/48")}));
    QCOMPARE(pending.listeners.at(0).relayDeny, QStringList{});
    QCOMPARE(pending.listeners.at(1).relayAllow, QStringList{QStringLiteral("198.51.100.7")});
    QCOMPARE(pending.listeners.at(1).relayDeny, sampleConfig().listeners.at(1).relayDeny);
    QCOMPARE(pending.acceptedDomains, (QStringList{QStringLiteral("example.com"), QStringLiteral("Example.ORG")}));
    // Everything else is the loaded configuration.
    ConfigSnapshot expected = sampleConfig();
    expected.listeners[0].relayAllow = pending.listeners.at(0).relayAllow;
    expected.listeners[0].relayDeny = {};
    expected.listeners[1].relayAllow = pending.listeners.at(1).relayAllow;
    expected.acceptedDomains = pending.acceptedDomains;
    QCOMPARE(pending, expected);
    QCOMPARE(pending.validate(), QStringList{});
}

void TestRelayListsPanel::domainsAreValidated()
{
    CidrListModel *domains = m_panel->domainModel();
    const struct {
        const char *text;
        const char *errorPart; // null: valid
    } cases[] = {
        {"exa mple.com", "no spaces"},
        {"user@example.com", "without a user name"},
        {"example.com.", "trailing dot"},
        {"localhost", "needs a dot"},
        {".example.com", "Empty label"},
        {"a..b", "Empty label"},
        {"-a.example.com", "'-'"},
        {"10.0.0.1", "looks like an address"},
        {"[10.0.0.1]", "not allowed"},
        {"EXAMPLE.com", "Already listed in row 1"},
        {"mail.example.net", nullptr},
        {"b\u00fccher.example", nullptr},
    };
    for (const auto &c : cases) {
        QVERIFY(domains->setData(domains->index(0, 0), QStringLiteral("example.com")));
        const int row = domains->addEntry(QString::fromUtf8(c.text));
        const QString error = domains->index(row, 0).data(CidrListModel::ErrorRole).toString();
        if (c.errorPart) {
            QVERIFY2(error.contains(QLatin1String(c.errorPart)), qPrintable(QString::fromUtf8(c.text) + ": " + error));
            QVERIFY2(!applyEnabled(), c.text);
            QVERIFY(statusText().contains(QStringLiteral("Accepted domains")));
        } else {
            QVERIFY2(error.isEmpty(), qPrintable(error));
            QVERIFY(applyEnabled());
            QCOMPARE(domains->index(row, CidrListModel::Covers).data(CidrListModel::CanonicalRole).toString(),
                     QString::fromUtf8(c.text).toLower());
        }
        QVERIFY(domains->removeRows(row, 1));
    }
    QCOMPARE(domains->headerData(CidrListModel::Entry, Qt::Horizontal).toString(), QStringLiteral("Domain"));
    QCOMPARE(m_panel->pendingConfig().validate(), QStringList{});
}

void TestRelayListsPanel::editsSurviveSwitchingListener()
{
    auto *combo = child<QComboBox>("listenerCombo");
    auto *allowView = child<QTableView>("allowTable");
    m_panel->allowModel()->addEntry(QStringLiteral("10.0.0.0/33"));
    CidrListModel *first = m_panel->allowModel();

    combo->setCurrentIndex(1);
    QCOMPARE(m_panel->currentListener(), 1);
    QCOMPARE(allowView->model(), m_panel->allowModel(1));
    QVERIFY(allowView->model() != first);
    QCOMPARE(m_panel->allowModel()->rowCount(), 0);
    QVERIFY(child<QLabel>("listenerInfo")->text().contains(QStringLiteral("submission")));
    // The invalid row of the other listener still blocks Apply and is reported by name.
    QVERIFY(!applyEnabled());
    QVERIFY(statusText().contains(QStringLiteral("listener \"relay\"")));

    m_panel->setCurrentListener(0);
    QCOMPARE(combo->currentIndex(), 0);
    QCOMPARE(allowView->model(), first);
    QCOMPARE(first->rowCount(), 3);
    QVERIFY(first->setData(first->index(2, 0), QStringLiteral("10.0.0.0/31")));
    QVERIFY(applyEnabled());
    // Selecting a row enables its Remove button.
    allowView->selectRow(2);
    QVERIFY(child<QPushButton>("removeAllow")->isEnabled());
    QVERIFY(!child<QPushButton>("removeDeny")->isEnabled());
}

void TestRelayListsPanel::applyWithoutEngineReportsError()
{
    m_panel->allowModel()->addEntry(QStringLiteral("10.0.0.0/8"));
    QSignalSpy applied(m_facade, &EngineFacade::configApplied);
    QVERIFY(applyEnabled());
    child<QPushButton>("applyRelayLists")->click();
    // One answer to applyConfig, one to the reload the panel asks for.
    QVERIFY(applied.count() >= 1);
    QCOMPARE(applied.first().at(0).toBool(), false);
    QVERIFY2(statusText().contains(QStringLiteral("Apply failed: no engine")), qPrintable(statusText()));
    QVERIFY(child<QLabel>("relayListsStatus")->styleSheet().contains(QStringLiteral("#b01e1e")));
    // Nothing was applied: the edits stay, and Apply can be tried again.
    QVERIFY(m_panel->isDirty());
    QVERIFY(applyEnabled());
}

void TestRelayListsPanel::reloadKeepsEditsAndTakesOtherChanges()
{
    // Edit listener "relay"; then a configuration arrives in which another
    // panel changed listener "submission" and the domains.
    m_panel->allowModel(0)->addEntry(QStringLiteral("10.0.0.0/8"));
    ConfigSnapshot changed = sampleConfig();
    changed.listeners[1].relayAllow = {QStringLiteral("198.51.100.0/24")};
    changed.acceptedDomains << QStringLiteral("example.net");
    m_panel->setConfig(changed);

    QCOMPARE(m_panel->allowModel(0)->entries().last(), QStringLiteral("10.0.0.0/8"));
    QCOMPARE(m_panel->allowModel(1)->entries(), changed.listeners.at(1).relayAllow);
    QCOMPARE(m_panel->domainModel()->entries(), changed.acceptedDomains);
    ConfigSnapshot expected = changed;
    expected.listeners[0].relayAllow << QStringLiteral("10.0.0.0/8");
    QCOMPARE(m_panel->pendingConfig(), expected);

    // Once the edits are in force, the panel is clean again.
    m_panel->setConfig(expected);
    QVERIFY(!m_panel->isDirty());

    // A listener that disappears takes its unapplied edits with it, with a note.
    m_panel->allowModel(1)->addEntry(QStringLiteral("10.1.0.0/16"));
    ConfigSnapshot removed = expected;
    removed.listeners.removeLast();
    m_panel->setConfig(removed);
    QCOMPARE(m_panel->listenerCount(), 1);
    QCOMPARE(child<QComboBox>("listenerCombo")->count(), 1);
    QVERIFY(statusText().contains(QStringLiteral("submission were dropped")));
    QVERIFY(!m_panel->isDirty());
}

void TestRelayListsPanel::addAndRemoveButtons()
{
    auto *domainView = child<QTableView>("domainTable");
    child<QPushButton>("addDomain")->click();
    QCOMPARE(m_panel->domainModel()->rowCount(), 2);
    QCOMPARE(domainView->currentIndex().row(), 1);
    QVERIFY(!applyEnabled());
    domainView->selectRow(1);
    QVERIFY(child<QPushButton>("removeDomain")->isEnabled());
    child<QPushButton>("removeDomain")->click();
    QCOMPARE(m_panel->domainModel()->rowCount(), 1);
    QVERIFY(!m_panel->isDirty());
    QVERIFY(!applyEnabled());

    // No listeners: the per-listener lists are disabled, the domains are not.
    ConfigSnapshot none = sampleConfig();
    none.listeners.clear();
    m_panel->setConfig(none);
    QCOMPARE(m_panel->currentListener(), -1);
    QVERIFY(!m_panel->allowModel());
    QVERIFY(!child<QPushButton>("addAllow")->isEnabled());
    QVERIFY(child<QPushButton>("addDomain")->isEnabled());
    QVERIFY(child<QLabel>("listenerInfo")->text().contains(QStringLiteral("No listeners")));
}

void TestRelayListsPanel::grabScreenshot()
{
    const QString dir = qEnvironmentVariable("RELAYDESK_GRAB_DIR");
    if (dir.isEmpty())
        QSKIP("set RELAYDESK_GRAB_DIR to save screenshots");
    CidrListModel *allow = m_panel->allowModel();
    allow->addEntry(QStringLiteral("10.0.0.0/33"));
    allow->addEntry(QStringLiteral("2001:db8::/32"));
    QVERIFY(allow->setData(allow->index(1, 0), QStringLiteral("192.168.20.0/24")));
    m_panel->domainModel()->addEntry(QStringLiteral("example.org"));
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel));
    QVERIFY(m_panel->grab().save(QDir(dir).filePath(QStringLiteral("relaylists.png"))));
    allow->removeRows(2, 1);
    QVERIFY(m_panel->grab().save(QDir(dir).filePath(QStringLiteral("relaylists-valid.png"))));
}

QTEST_MAIN(TestRelayListsPanel)
#include "tst_relaylistspanel.moc"

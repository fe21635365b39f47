// ListenerModel and ConnectorsPanel.
//
// Most tests use a real EngineFacade with no engine (EngineFacade(nullptr,
// dir)): the panel is loaded with setConfig(), as the facade's configLoaded()
// would, and what Apply would send is checked through pendingConfig().
// applyAgainstRealEngine() runs a real rd::engine::Engine on its own thread,
// built and stopped the way app/runtime.cpp does, adds a listener through the
// panel, applies it and talks SMTP to the new port; then applies a port that
// is already taken and checks the error reaches the panel.
//
// Set RELAYDESK_GRAB_DIR to a folder to also save a screenshot of the panel.

#include "connectors/connectorspanel.h"
#include "connectors/listenergroupsdialog.h"
#include "connectors/listenermodel.h"

#include "config/configsnapshot.h"
#include "engine/adminservice.h"
#include "engine/engine.h"
#include "engine/enginefacade.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using rd::config::ConfigSnapshot;
using rd::config::ListenerConfig;
using rd::engine::EngineFacade;
using rd::tls::CertificateInfo;
using rd::ui::ConnectorsPanel;
using rd::ui::ListenerModel;

namespace {

ConfigSnapshot sampleConfig()
{
    ConfigSnapshot c;
    c.listeners.clear();
    ListenerConfig relay;
    relay.name = QStringLiteral("relay");
    relay.address = QStringLiteral("127.0.0.1");
    relay.port = 2525;
    relay.relayAllow = {QStringLiteral("127.0.0.1/32"), QStringLiteral("192.168.10.0/24")};
    relay.relayDeny = {QStringLiteral("192.168.10.66")};
    c.listeners << relay;
    ListenerConfig submission;
    submission.name = QStringLiteral("submission");
    submission.address = QStringLiteral("0.0.0.0");
    submission.port = 587;
    submission.mode = QStringLiteral("starttls_required");
    submission.role = QStringLiteral("submission");
    submission.certificate = QStringLiteral("cert-1");
    submission.relayAllow = {};
    c.listeners << submission;
    c.acceptedDomains = {QStringLiteral("example.com")};
    QString error;
    const bool ok = c.setValue(QStringLiteral("delivery.smarthost"), QStringLiteral("smtp.example.net:587"), &error);
    Q_ASSERT(ok);
    Q_UNUSED(ok);
    return c;
}

QList<CertificateInfo> sampleCertificates()
{
    CertificateInfo a;
    a.id = QStringLiteral("cert-1");
    a.name = QStringLiteral("Mail 2024");
    a.commonName = QStringLiteral("mail.example.com");
    a.notAfter = QDateTime::currentDateTimeUtc().addDays(200);
    CertificateInfo b;
    b.id = QStringLiteral("cert-2");
    b.name = QStringLiteral("Mail 2025");
    b.commonName = QStringLiteral("mail.example.com");
    b.notAfter = QDateTime::currentDateTimeUtc().addDays(400);
    return {a, b};
}

quint16 freePort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0))
        return 0;
    return s.serverPort();
}

} // namespace

class TestConnectorsPanel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void modelPassesModelTester();
    void panelLoadsConfiguration();
    void duplicatePortMarksBothRows();
    void wildcardAddressClashes();
    void addressAndPortAreValidated();
    void tlsModeNeedsCertificate();
    void presetsHaveTheRightSettings();
    void revertRestoresLoadedValues();
    void pendingConfigHasTheEditedListeners();
    void reloadWithEditsKeepsThemAndTakesRelayLists();
    void comboDelegatesStoreValues();
    void limitColumns();
    void directoryColumns();
    void proxyFromColumn();
    void relayGroupsDialog();
    void applyWithoutEngineReportsError();
    void applyAgainstRealEngine();
    void grabScreenshot();

private:
    template <typename T>
    T *child(const char *name) const
    {
        return m_panel->findChild<T *>(QLatin1String(name));
    }
    QString statusText() const { return child<QLabel>("connectorsStatus")->text(); }
    bool applyEnabled() const { return child<QPushButton>("applyConnectors")->isEnabled(); }
    QModelIndex cell(int row, int column) const { return m_panel->model()->index(row, column); }

    QTemporaryDir m_dir;
    EngineFacade *m_facade = nullptr;
    ConnectorsPanel *m_panel = nullptr;
};

void TestConnectorsPanel::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_facade = new EngineFacade(nullptr, m_dir.path());
}

void TestConnectorsPanel::init()
{
    QSignalSpy listed(m_facade->admin(), &rd::engine::AdminService::certificatesListed);
    m_panel = new ConnectorsPanel(m_facade);
    m_panel->resize(1050, 560);
    m_panel->setConfig(sampleConfig());
    // The panel asked the (empty) certificate store; once it answered, use known entries.
    QTRY_COMPARE(listed.count(), 1);
    QVERIFY(m_panel->model()->certificatesKnown());
    m_panel->model()->setCertificates(sampleCertificates());
}

void TestConnectorsPanel::cleanup()
{
    delete m_panel;
    m_panel = nullptr;
}

void TestConnectorsPanel::cleanupTestCase()
{
    delete m_facade;
}

void TestConnectorsPanel::modelPassesModelTester()
{
    ListenerModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.load(sampleConfig().listeners);
    model.setCertificates(sampleCertificates());
    const int row = model.addListener(model.preset(ListenerModel::SubmissionTlsPreset));
    QVERIFY(model.setData(model.index(row, ListenerModel::Port), 587));
    QVERIFY(model.setData(model.index(row, ListenerModel::PlaintextAuth), Qt::Checked, Qt::CheckStateRole));
    QVERIFY(model.setData(model.index(row, ListenerModel::SenderCheck), Qt::Checked, Qt::CheckStateRole));
    QVERIFY(model.setData(model.index(row, ListenerModel::RelayGroups), QStringLiteral("CN=Relay,DC=example,DC=com")));
    QVERIFY(!model.setData(model.index(row, ListenerModel::RelayGroups), QStringLiteral("Relay")));
    QVERIFY(model.setData(model.index(row, ListenerModel::ProxyFrom), QStringLiteral("10.0.0.5, fd00::/64")));
    QVERIFY(!model.setData(model.index(row, ListenerModel::ProxyFrom), QStringLiteral("lb1")));
    QVERIFY(!model.setData(model.index(row, ListenerModel::Name), QStringLiteral("x"), Qt::DisplayRole + 100));
    QVERIFY(model.removeRows(0, 1));
    QVERIFY(!model.removeRows(3, 1));
    model.revertAll();
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.columnCount(), int(ListenerModel::ColumnCount));
    QVERIFY(model.flags(model.index(0, ListenerModel::PlaintextAuth)) & Qt::ItemIsUserCheckable);
    QVERIFY(model.flags(model.index(0, ListenerModel::Port)) & Qt::ItemIsEditable);
}

void TestConnectorsPanel::panelLoadsConfiguration()
{
    QVERIFY(m_panel->hasConfig());
    auto *table = child<QTableView>("listenerTable");
    QVERIFY(table);
    QCOMPARE(table->model(), m_panel->model());
    QCOMPARE(m_panel->model()->rowCount(), 2);
    QCOMPARE(m_panel->model()->listeners(), sampleConfig().listeners);

    QCOMPARE(cell(0, ListenerModel::Name).data().toString(), QStringLiteral("relay"));
    QCOMPARE(cell(0, ListenerModel::Port).data().toInt(), 2525);
    QCOMPARE(cell(0, ListenerModel::Mode).data().toString(), QStringLiteral("Plain (no TLS)"));
    QCOMPARE(cell(0, ListenerModel::Mode).data(ListenerModel::RawValueRole).toString(), QStringLiteral("plain"));
    QCOMPARE(cell(0, ListenerModel::Certificate).data().toString(), QStringLiteral("(none)"));
    QCOMPARE(cell(1, ListenerModel::Role).data().toString(), QStringLiteral("Submission (AUTH)"));
    QCOMPARE(cell(1, ListenerModel::Certificate).data().toString(), QStringLiteral("Mail 2024 (mail.example.com)"));
    QCOMPARE(cell(1, ListenerModel::Certificate).data(Qt::EditRole).toString(), QStringLiteral("cert-1"));
    QCOMPARE(cell(1, ListenerModel::PlaintextAuth).data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
    QCOMPARE(cell(1, 0).data(ListenerModel::ListenerConfigRole).value<ListenerConfig>(),
             sampleConfig().listeners.at(1));
    QCOMPARE(m_panel->model()->headerData(ListenerModel::PlaintextAuth, Qt::Horizontal).toString(),
             QStringLiteral("Plaintext AUTH"));

    QVERIFY(!applyEnabled());
    QVERIFY(!child<QPushButton>("revertConnectors")->isEnabled());
    QVERIFY(child<QPushButton>("addListener")->isEnabled());
    QCOMPARE(statusText(), QString());

    // No send connectors: the legacy smart host setting is named (tst_sendconnectors covers the rest).
    QVERIFY(child<QLabel>("legacySmartHostHint")->text().contains(QStringLiteral("smtp.example.net:587")));
    QCOMPARE(child<QGroupBox>("receiveConnectors")->title(), QStringLiteral("Receive connectors"));
    QCOMPARE(child<QGroupBox>("sendConnectors")->title(), QStringLiteral("Send connectors"));
}

void TestConnectorsPanel::duplicatePortMarksBothRows()
{
    ListenerModel *model = m_panel->model();
    ListenerConfig copy = sampleConfig().listeners.at(0);
    copy.name = QStringLiteral("second");
    const int row = model->addListener(copy);

    const QString e0 = cell(0, ListenerModel::Port).data(ListenerModel::ErrorRole).toString();
    const QString e1 = cell(row, ListenerModel::Port).data(ListenerModel::ErrorRole).toString();
    QVERIFY2(e0.contains(QStringLiteral("row 3")), qPrintable(e0));
    QVERIFY2(e1.contains(QStringLiteral("row 1")), qPrintable(e1));
    QVERIFY(cell(0, ListenerModel::Port).data(Qt::BackgroundRole).isValid());
    QVERIFY(cell(row, ListenerModel::Port).data(Qt::BackgroundRole).isValid());
    QCOMPARE(cell(0, ListenerModel::Port).data(Qt::ToolTipRole).toString(), e0);
    QVERIFY(!cell(0, ListenerModel::Address).data(Qt::BackgroundRole).isValid());
    QCOMPARE(model->errorCount(), 2);
    QVERIFY(!applyEnabled());
    QVERIFY(statusText().contains(QStringLiteral("Port 2525 on 127.0.0.1")));
    QVERIFY(child<QLabel>("connectorsStatus")->styleSheet().contains(QStringLiteral("#b01e1e")));

    // The same port on another address is fine.
    QVERIFY(model->setData(cell(row, ListenerModel::Address), QStringLiteral("127.0.0.2")));
    QVERIFY(!model->hasErrors());
    QVERIFY(applyEnabled());
    // A name used twice is also marked.
    QVERIFY(model->setData(cell(row, ListenerModel::Name), QStringLiteral("Relay")));
    QVERIFY(!cell(row, ListenerModel::Name).data(ListenerModel::ErrorRole).toString().isEmpty());
    QVERIFY(!applyEnabled());
}

void TestConnectorsPanel::wildcardAddressClashes()
{
    ListenerModel *model = m_panel->model();
    // Row 2 listens on 0.0.0.0:587; 127.0.0.1:587 cannot bind next to it.
    const int row = model->addListener(model->preset(ListenerModel::SubmissionPreset, QStringLiteral("cert-1")));
    QCOMPARE(cell(row, ListenerModel::Port).data().toInt(), 587);
    const QString clash = cell(row, ListenerModel::Port).data(ListenerModel::ErrorRole).toString();
    QVERIFY2(clash.contains(QStringLiteral("wildcard")), qPrintable(clash));
    QVERIFY(!cell(1, ListenerModel::Port).data(ListenerModel::ErrorRole).toString().isEmpty());
    // IPv6 "::" is another family (bound IPv6-only): no clash.
    QVERIFY(model->setData(cell(row, ListenerModel::Address), QStringLiteral("::")));
    QVERIFY(!model->hasErrors());
    QVERIFY(model->setData(cell(row, ListenerModel::Address), QStringLiteral("::1")));
    QVERIFY(!model->hasErrors());
}

void TestConnectorsPanel::addressAndPortAreValidated()
{
    ListenerModel *model = m_panel->model();
    QVERIFY(model->setData(cell(0, ListenerModel::Port), 2526)); // something to apply
    const struct {
        const char *address;
        bool ok;
    } addresses[] = {{"127.0.0.1", true}, {"::1", true},   {"0.0.0.0", true},      {"fe80::1%eth0", false},
                     {"localhost", false}, {"", false},    {"256.1.1.1", false},   {"2001:db8::25", true}};
    for (const auto &a : addresses) {
        QVERIFY(model->setData(cell(0, ListenerModel::Address), QString::fromLatin1(a.address)));
        const QString error = cell(0, ListenerModel::Address).data(ListenerModel::ErrorRole).toString();
        QVERIFY2(error.isEmpty() == a.ok, qPrintable(QString::fromLatin1(a.address) + ": " + error));
        QCOMPARE(applyEnabled(), a.ok);
    }
    QVERIFY(model->setData(cell(0, ListenerModel::Address), QStringLiteral("127.0.0.1")));
    for (const QVariant &bad : {QVariant(0), QVariant(70000), QVariant(-1), QVariant(QStringLiteral("smtp"))}) {
        QVERIFY(model->setData(cell(0, ListenerModel::Port), bad));
        const QString error = cell(0, ListenerModel::Port).data(ListenerModel::ErrorRole).toString();
        QVERIFY2(error.contains(QStringLiteral("65535")), qPrintable(bad.toString()));
        QVERIFY(!applyEnabled());
        QVERIFY(statusText().contains(QStringLiteral("Row 1 (\"relay\"), Port")));
    }
    QVERIFY(model->setData(cell(0, ListenerModel::Port), QStringLiteral(" 2526 ")));
    QCOMPARE(cell(0, ListenerModel::Port).data(ListenerModel::PortRole).toInt(), 2526);
    QVERIFY(applyEnabled());
    QVERIFY(model->setData(cell(0, ListenerModel::Name), QStringLiteral("  ")));
    QVERIFY(!cell(0, ListenerModel::Name).data(ListenerModel::ErrorRole).toString().isEmpty());
}

void TestConnectorsPanel::tlsModeNeedsCertificate()
{
    ListenerModel *model = m_panel->model();
    QVERIFY(model->setData(cell(0, ListenerModel::Mode), QStringLiteral("implicit_tls")));
    const QString error = cell(0, ListenerModel::Certificate).data(ListenerModel::ErrorRole).toString();
    QVERIFY2(error.contains(QStringLiteral("Implicit TLS needs a certificate")), qPrintable(error));
    QVERIFY(cell(0, ListenerModel::Mode).data(ListenerModel::ErrorRole).toString().isEmpty());
    QVERIFY(cell(0, ListenerModel::Certificate).data(Qt::BackgroundRole).isValid());
    QVERIFY(!applyEnabled());

    QVERIFY(model->setData(cell(0, ListenerModel::Certificate), QStringLiteral("cert-2")));
    QVERIFY(!model->hasErrors());
    QVERIFY(applyEnabled());

    // A certificate that is not in the store (once the store's list is known).
    QVERIFY(model->setData(cell(0, ListenerModel::Certificate), QStringLiteral("gone")));
    QVERIFY(cell(0, ListenerModel::Certificate).data(ListenerModel::ErrorRole).toString().contains(
        QStringLiteral("not in the certificate store")));
    QVERIFY(!applyEnabled());

    QVERIFY(model->setData(cell(0, ListenerModel::Mode), QStringLiteral("starttls_required")));
    QVERIFY(model->setData(cell(0, ListenerModel::Certificate), QString()));
    QVERIFY(cell(0, ListenerModel::Certificate).data(ListenerModel::ErrorRole).toString().contains(
        QStringLiteral("STARTTLS required needs a certificate")));
    // Plain without a certificate is fine; with one, STARTTLS is offered.
    QVERIFY(model->setData(cell(0, ListenerModel::Mode), QStringLiteral("plain")));
    QVERIFY(!model->hasErrors());
    QCOMPARE(cell(0, ListenerModel::Mode).data().toString(), QStringLiteral("Plain (no TLS)"));
    QVERIFY(model->setData(cell(0, ListenerModel::Certificate), QStringLiteral("cert-1")));
    QCOMPARE(cell(0, ListenerModel::Mode).data().toString(), QStringLiteral("STARTTLS offered"));
    QCOMPARE(m_panel->pendingConfig().validate(), QStringList{});
}

void TestConnectorsPanel::presetsHaveTheRightSettings()
{
    ListenerModel *model = m_panel->model();
    auto *menu = child<QPushButton>("addListener")->menu();
    QVERIFY(menu);
    QCOMPARE(menu->actions().size(), 3);
    QCOMPARE(menu->actions().at(0)->text(), QStringLiteral("Relay (port 25, STARTTLS offered)"));
    QCOMPARE(menu->actions().at(1)->text(), QStringLiteral("Submission (port 587, STARTTLS + AUTH required)"));
    QCOMPARE(menu->actions().at(2)->text(), QStringLiteral("Submission over TLS (port 465)"));

    const struct {
        ListenerModel::Preset preset;
        int port;
        const char *mode;
        const char *role;
    } expected[] = {{ListenerModel::RelayPreset, 25, "plain", "relay"},
                    {ListenerModel::SubmissionPreset, 587, "starttls_required", "submission"},
                    {ListenerModel::SubmissionTlsPreset, 465, "implicit_tls", "submission"}};
    for (const auto &e : expected) {
        menu->actions().at(e.preset)->trigger();
        const int row = model->rowCount() - 1;
        const ListenerConfig l = cell(row, 0).data(ListenerModel::ListenerConfigRole).value<ListenerConfig>();
        QCOMPARE(int(l.port), e.port);
        QCOMPARE(l.mode, QLatin1String(e.mode));
        QCOMPARE(l.role, QLatin1String(e.role));
        QCOMPARE(l.address, QStringLiteral("127.0.0.1"));
        // The certificate with the most time left is chosen.
        QCOMPARE(l.certificate, QStringLiteral("cert-2"));
        QVERIFY(!l.allowPlaintextAuth);
        QVERIFY(cell(row, 0).data(ListenerModel::NewRole).toBool());
        QCOMPARE(model->headerData(row, Qt::Vertical).toString(), QStringLiteral("+"));
    }
    QCOMPARE(cell(2, ListenerModel::Name).data().toString(), QStringLiteral("relay-2"));
    QCOMPARE(cell(3, ListenerModel::Name).data().toString(), QStringLiteral("submission-2"));
    QCOMPARE(cell(4, ListenerModel::Name).data().toString(), QStringLiteral("submissions"));
    QCOMPARE(cell(2, 0).data(ListenerModel::ListenerConfigRole).value<ListenerConfig>().relayAllow,
             QStringList{QStringLiteral("127.0.0.1/32")});
    // 587 on 127.0.0.1 clashes with the loaded 0.0.0.0:587 listener.
    QVERIFY(!cell(3, ListenerModel::Port).data(ListenerModel::ErrorRole).toString().isEmpty());
    QVERIFY(!applyEnabled());
    QVERIFY(model->setData(cell(3, ListenerModel::Port), 1587));
    QVERIFY(!model->hasErrors());
    QVERIFY(applyEnabled());

    // Without certificates the TLS presets show the certificate error.
    ListenerModel bare;
    bare.setCertificates({});
    const int r = bare.addListener(bare.preset(ListenerModel::SubmissionTlsPreset));
    QVERIFY(!bare.index(r, ListenerModel::Certificate).data(ListenerModel::ErrorRole).toString().isEmpty());
}

void TestConnectorsPanel::revertRestoresLoadedValues()
{
    ListenerModel *model = m_panel->model();
    QVERIFY(model->setData(cell(0, ListenerModel::Port), 2600));
    QVERIFY(model->setData(cell(1, ListenerModel::PlaintextAuth), Qt::Checked, Qt::CheckStateRole));
    m_panel->addPreset(ListenerModel::RelayPreset);
    QVERIFY(cell(0, ListenerModel::Port).data(ListenerModel::CellDirtyRole).toBool());
    QVERIFY(!cell(0, ListenerModel::Name).data(ListenerModel::CellDirtyRole).toBool());
    QVERIFY(cell(0, 0).data(ListenerModel::DirtyRole).toBool());
    QVERIFY(cell(0, ListenerModel::Port).data(Qt::FontRole).value<QFont>().bold());
    QVERIFY(cell(0, ListenerModel::Name).data(Qt::FontRole).value<QFont>().italic());
    QCOMPARE(model->headerData(0, Qt::Vertical).toString(), QStringLiteral("*"));
    QVERIFY(child<QPushButton>("revertConnectors")->isEnabled());

    child<QPushButton>("revertConnectors")->click();

    QCOMPARE(model->listeners(), sampleConfig().listeners);
    QVERIFY(!model->isDirty());
    for (int r = 0; r < model->rowCount(); ++r) {
        QVERIFY(!cell(r, 0).data(ListenerModel::DirtyRole).toBool());
        QCOMPARE(model->headerData(r, Qt::Vertical).toString(), QString());
        QVERIFY(!cell(r, 0).data(Qt::FontRole).isValid());
    }
    QVERIFY(!applyEnabled());
    QVERIFY(!child<QPushButton>("revertConnectors")->isEnabled());
    QCOMPARE(m_panel->pendingConfig(), sampleConfig());
}

void TestConnectorsPanel::pendingConfigHasTheEditedListeners()
{
    ListenerModel *model = m_panel->model();
    QVERIFY(model->setData(cell(0, ListenerModel::Name), QStringLiteral("lan")));
    QVERIFY(model->setData(cell(0, ListenerModel::Address), QStringLiteral("0.0.0.0")));
    QVERIFY(model->setData(cell(0, ListenerModel::Port), 25));
    QVERIFY(model->setData(cell(0, ListenerModel::Certificate), QStringLiteral("cert-1")));
    QVERIFY(model->setData(cell(1, ListenerModel::Mode), QStringLiteral("implicit_tls")));
    QVERIFY(model->setData(cell(1, ListenerModel::Port), 465));
    QVERIFY(model->setData(cell(1, ListenerModel::PlaintextAuth), true));
    QVERIFY(model->removeRows(1, 1) && model->rowCount() == 1);
    model->revertAll();
    QVERIFY(model->setData(cell(1, ListenerModel::Role), QStringLiteral("relay")));
    m_panel->addPreset(ListenerModel::SubmissionTlsPreset);
    QVERIFY(m_panel->canApply());

    const ConfigSnapshot pending = m_panel->pendingConfig();
    ConfigSnapshot expected = sampleConfig();
    expected.listeners[1].role = QStringLiteral("relay");
    ListenerConfig tls;
    tls.name = QStringLiteral("submissions");
    tls.address = QStringLiteral("127.0.0.1");
    tls.port = 465;
    tls.mode = QStringLiteral("implicit_tls");
    tls.role = QStringLiteral("submission");
    tls.certificate = QStringLiteral("cert-2");
    tls.relayAllow = {};
    expected.listeners << tls;
    QCOMPARE(pending.listeners, expected.listeners);
    QCOMPARE(pending, expected);
    QCOMPARE(pending.stringValue("delivery.smarthost"), QStringLiteral("smtp.example.net:587"));
    QCOMPARE(pending.validate(), QStringList{});
}

void TestConnectorsPanel::reloadWithEditsKeepsThemAndTakesRelayLists()
{
    ListenerModel *model = m_panel->model();
    QVERIFY(model->setData(cell(0, ListenerModel::Port), 2526));
    // The Relay IP lists panel applied new lists meanwhile.
    ConfigSnapshot changed = sampleConfig();
    changed.listeners[0].relayAllow = {QStringLiteral("10.0.0.0/8")};
    m_panel->setConfig(changed);
    QCOMPARE(cell(0, ListenerModel::Port).data().toInt(), 2526);
    QVERIFY(model->isDirty());
    ConfigSnapshot expected = changed;
    expected.listeners[0].port = 2526;
    QCOMPARE(m_panel->pendingConfig(), expected);
    // Reverting now gives the configuration in force, with the new lists.
    m_panel->revert();
    QCOMPARE(m_panel->pendingConfig(), changed);

    // When the configuration in force equals the edits, the panel is clean.
    QVERIFY(model->setData(cell(0, ListenerModel::Port), 2526));
    m_panel->setConfig(expected);
    QVERIFY(!model->isDirty());
    // A clean panel follows every reload.
    m_panel->setConfig(sampleConfig());
    QCOMPARE(model->listeners(), sampleConfig().listeners);
}

void TestConnectorsPanel::comboDelegatesStoreValues()
{
    auto *table = child<QTableView>("listenerTable");
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel));
    QAbstractItemDelegate *delegate = table->itemDelegate();
    const QStyleOptionViewItem option;

    const QModelIndex mode = cell(0, ListenerModel::Mode);
    QWidget *editor = delegate->createEditor(table->viewport(), option, mode);
    auto *combo = qobject_cast<QComboBox *>(editor);
    QVERIFY(combo);
    QCOMPARE(combo->count(), 3);
    delegate->setEditorData(combo, mode);
    QCOMPARE(combo->currentData().toString(), QStringLiteral("plain"));
    combo->setCurrentIndex(combo->findData(QStringLiteral("starttls_required")));
    delegate->setModelData(combo, m_panel->model(), mode);
    QCOMPARE(mode.data(ListenerModel::ModeRole).toString(), QStringLiteral("starttls_required"));
    delete editor;

    const QModelIndex cert = cell(0, ListenerModel::Certificate);
    editor = delegate->createEditor(table->viewport(), option, cert);
    combo = qobject_cast<QComboBox *>(editor);
    QVERIFY(combo);
    QCOMPARE(combo->count(), 3); // (none) + two certificates
    QCOMPARE(combo->itemText(1), QStringLiteral("Mail 2024 (mail.example.com)"));
    combo->setCurrentIndex(2);
    delegate->setModelData(combo, m_panel->model(), cert);
    QCOMPARE(cert.data(ListenerModel::CertificateIdRole).toString(), QStringLiteral("cert-2"));
    QCOMPARE(cert.data().toString(), QStringLiteral("Mail 2025 (mail.example.com)"));
    delete editor;

    const QModelIndex role = cell(0, ListenerModel::Role);
    editor = delegate->createEditor(table->viewport(), option, role);
    QCOMPARE(qobject_cast<QComboBox *>(editor)->count(), 2);
    delete editor;

    const QModelIndex port = cell(0, ListenerModel::Port);
    editor = delegate->createEditor(table->viewport(), option, port);
    auto *spin = qobject_cast<QSpinBox *>(editor);
    QVERIFY(spin);
    QCOMPARE(spin->maximum(), 65535);
    QCOMPARE(spin->minimum(), 1);
    delete editor;

    QVERIFY(!m_panel->model()->hasErrors());
    QVERIFY(applyEnabled());
}

void TestConnectorsPanel::limitColumns()
{
    ListenerModel *model = m_panel->model();
    const QModelIndex size = cell(0, ListenerModel::MaxMessageSize);
    const QModelIndex rcpts = cell(1, ListenerModel::MaxRecipients);
    const QModelIndex perIp = cell(1, ListenerModel::MaxSessionsPerIp);
    QCOMPARE(model->headerData(ListenerModel::MaxMessageSize, Qt::Horizontal).toString(), QStringLiteral("Max size"));
    // 0: the global settings (defaults 35 MB, 100, 20), shown with their values.
    QCOMPARE(size.data().toString(), QStringLiteral("global (35 MB)"));
    QCOMPARE(rcpts.data().toString(), QStringLiteral("global (100)"));
    QCOMPARE(perIp.data().toString(), QStringLiteral("global (20)"));
    QCOMPARE(rcpts.data(ListenerModel::EffectiveLimitRole).toLongLong(), 100);
    QVERIFY(size.data(Qt::ToolTipRole).toString().contains(QStringLiteral("smtp.max_message_size = 36700160")));
    ConfigSnapshot other = sampleConfig();
    QString error;
    QVERIFY(other.setValue(QStringLiteral("smtp.max_recipients"), 250, &error));
    m_panel->setConfig(other);
    QCOMPARE(rcpts.data().toString(), QStringLiteral("global (250)"));
    QVERIFY(!model->isDirty() && !applyEnabled());

    // Edits reach pendingConfig(); the size is exact whatever is shown.
    QVERIFY(model->setData(size, QStringLiteral("10 MB")));
    QCOMPARE(size.data(ListenerModel::RawValueRole).toLongLong(), 10485760);
    QCOMPARE(size.data().toString(), QStringLiteral("10 MB"));
    QVERIFY(model->setData(size, 20000000));
    QCOMPARE(size.data().toString(), QStringLiteral("19.1 MB"));
    QCOMPARE(size.data(Qt::EditRole).toLongLong(), 20000000);
    QVERIFY(size.data(Qt::ToolTipRole).toString().contains(QStringLiteral("20000000 octets")));
    QVERIFY(model->setData(rcpts, 50));
    QVERIFY(model->setData(perIp, QStringLiteral(" 5 ")));
    QCOMPARE(perIp.data().toString(), QStringLiteral("5"));
    QVERIFY(size.data(ListenerModel::CellDirtyRole).toBool());
    QVERIFY(applyEnabled());
    ConfigSnapshot pending = m_panel->pendingConfig();
    QCOMPARE(pending.listeners.at(0).maxMessageSize, qint64(20000000));
    QCOMPARE(pending.listeners.at(1).maxRecipients, 50);
    QCOMPARE(pending.listeners.at(1).maxSessionsPerIp, 5);
    QCOMPARE(pending.listeners.at(0).maxRecipients, 0);
    QCOMPARE(pending.validate(), QStringList{});

    // Invalid values: the cell is marked, Apply is disabled, the status names the cell.
    const struct {
        int row, column;
        QVariant value;
    } bad[] = {{0, ListenerModel::MaxMessageSize, QStringLiteral("500")},
               {0, ListenerModel::MaxMessageSize, QStringLiteral("lots")},
               {0, ListenerModel::MaxMessageSize, QStringLiteral("3 GB")},
               {1, ListenerModel::MaxRecipients, 20000},
               {1, ListenerModel::MaxRecipients, QStringLiteral("5 MB")},
               {1, ListenerModel::MaxSessionsPerIp, -3}};
    for (const auto &b : bad) {
        const QModelIndex i = cell(b.row, b.column);
        QVERIFY(model->setData(i, b.value));
        const QString e = i.data(ListenerModel::ErrorRole).toString();
        QVERIFY2(e.contains(QStringLiteral("0 for the global setting")), qPrintable(b.value.toString()));
        QVERIFY(i.data(Qt::BackgroundRole).isValid());
        QCOMPARE(i.data(Qt::ToolTipRole).toString(), e);
        QCOMPARE(model->errorCount(), 1);
        QVERIFY(!applyEnabled());
        QVERIFY2(statusText().contains(model->headerData(b.column, Qt::Horizontal).toString()), qPrintable(statusText()));
        QVERIFY(!m_panel->pendingConfig().validate().isEmpty()); // core agrees
        QVERIFY(model->setData(i, 0));
    }
    // 0, "global" and "" all mean the global setting.
    QVERIFY(model->setData(size, QStringLiteral("global")));
    QCOMPARE(size.data().toString(), QStringLiteral("global (35 MB)"));
    QVERIFY(model->setData(rcpts, QString()));
    QCOMPARE(rcpts.data().toString(), QStringLiteral("global (250)"));
    QVERIFY(!model->hasErrors());
    QVERIFY(model->setData(size, 1024));
    QVERIFY(!model->hasErrors() && applyEnabled());

    // The editors: a line edit for the exact size, spin boxes with "global" at 0.
    auto *table = child<QTableView>("listenerTable");
    QAbstractItemDelegate *delegate = table->itemDelegate();
    auto *edit = qobject_cast<QLineEdit *>(delegate->createEditor(table->viewport(), {}, size));
    QVERIFY(edit);
    delegate->setEditorData(edit, size);
    QCOMPARE(edit->text(), QStringLiteral("1024"));
    edit->setText(QStringLiteral("36700161"));
    delegate->setModelData(edit, model, size);
    QCOMPARE(size.data(ListenerModel::RawValueRole).toLongLong(), 36700161);
    delete edit;
    auto *spin = qobject_cast<QSpinBox *>(delegate->createEditor(table->viewport(), {}, perIp));
    QVERIFY(spin);
    QCOMPARE(spin->minimum(), 0);
    QCOMPARE(spin->maximum(), 100000);
    QCOMPARE(spin->specialValueText(), QStringLiteral("global"));
    delegate->setEditorData(spin, perIp); // reset to 0 above
    QCOMPARE(spin->value(), 0);
    QCOMPARE(spin->text(), QStringLiteral("global"));
    spin->setValue(12);
    delegate->setModelData(spin, model, perIp);
    QCOMPARE(m_panel->pendingConfig().listeners.at(1).maxSessionsPerIp, 12);
    delete spin;

    m_panel->revert();
    QCOMPARE(m_panel->pendingConfig().listeners, sampleConfig().listeners);
}

void TestConnectorsPanel::directoryColumns()
{
    ListenerModel *model = m_panel->model();
    QCOMPARE(model->columnCount(), 13);
    // Appended after the existing columns.
    QCOMPARE(model->headerData(ListenerModel::MaxSessionsPerIp, Qt::Horizontal).toString(), QStringLiteral("Sessions/IP"));
    QCOMPARE(model->headerData(ListenerModel::RelayGroups, Qt::Horizontal).toString(),
             QStringLiteral("Directory relay groups"));
    QCOMPARE(model->headerData(ListenerModel::SenderCheck, Qt::Horizontal).toString(),
             QStringLiteral("Send as own address"));
    QCOMPARE(int(ListenerModel::RelayGroups), int(ListenerModel::MaxSessionsPerIp) + 1);
    QCOMPARE(int(ListenerModel::SenderCheck), int(ListenerModel::ProxyFrom) - 1);

    // Empty groups: the global setting.
    const QModelIndex groups = cell(0, ListenerModel::RelayGroups);
    QCOMPARE(groups.data().toString(), QStringLiteral("default (directory.relay_groups)"));
    QCOMPARE(groups.data(ListenerModel::RelayGroupsRole).toStringList(), QStringList{});
    QCOMPARE(groups.data(Qt::EditRole).toString(), QString());
    QVERIFY(groups.data(Qt::ToolTipRole).toString().contains(QStringLiteral("directory.relay_groups")));
    QVERIFY(model->flags(groups) & Qt::ItemIsEditable);

    // Valid DNs, as text one per line (blank lines, blanks and duplicates dropped).
    const QString relayDn = QStringLiteral("CN=Relay senders,OU=Groups,DC=example,DC=com");
    const QString helpdeskDn = QStringLiteral("cn=Helpdesk\\, 2nd level,ou=Groups,dc=example,dc=com");
    QVERIFY(model->setData(groups, QStringLiteral("  %1\n\n%2\n%1\n").arg(relayDn, helpdeskDn)));
    const QStringList both{relayDn, helpdeskDn};
    QCOMPARE(groups.data(ListenerModel::RelayGroupsRole).toStringList(), both);
    QCOMPARE(groups.data(ListenerModel::RawValueRole).toStringList(), both);
    QCOMPARE(groups.data().toString(), QStringLiteral("Relay senders, Helpdesk, 2nd level"));
    const QString tip = groups.data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(relayDn) && tip.contains(helpdeskDn), qPrintable(tip));
    QCOMPARE(groups.data(Qt::EditRole).toString(), both.join(QLatin1Char('\n')));
    QVERIFY(groups.data(ListenerModel::CellDirtyRole).toBool());
    QVERIFY(model->isDirty() && !model->hasErrors() && applyEnabled());
    // As a list too.
    QVERIFY(model->setData(groups, QStringList{relayDn}));
    QCOMPARE(groups.data().toString(), QStringLiteral("Relay senders"));

    // An invalid DN is refused: nothing changes, no error is stored.
    QVERIFY(!model->setData(groups, QStringLiteral("%1\nRelay senders").arg(helpdeskDn)));
    QVERIFY(!model->setData(groups, QStringList{QStringLiteral("CN=ok,DC=example"), QStringLiteral("=x")}));
    QCOMPARE(groups.data(ListenerModel::RelayGroupsRole).toStringList(), QStringList{relayDn});
    QVERIFY(!model->hasErrors());
    QVERIFY(!ListenerModel::groupsProblem({QStringLiteral("Relay senders")}).isEmpty());
    QVERIFY(ListenerModel::groupsProblem({relayDn, helpdeskDn}).isEmpty());
    QVERIFY(!model->setData(groups, relayDn, Qt::DisplayRole));

    // A loaded list with a bad DN is shown as an error (core would refuse it too).
    ConfigSnapshot bad = sampleConfig();
    bad.listeners[1].relayGroups = {QStringLiteral("not a dn")};
    ListenerModel loaded;
    loaded.load(bad.listeners);
    QCOMPARE(loaded.errorCount(), 1);
    QVERIFY(!loaded.index(1, ListenerModel::RelayGroups).data(ListenerModel::ErrorRole).toString().isEmpty());
    QVERIFY(!bad.validate().isEmpty());

    // The sender check: a check box.
    const QModelIndex check = cell(1, ListenerModel::SenderCheck);
    QVERIFY(model->flags(check) & Qt::ItemIsUserCheckable);
    QCOMPARE(check.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
    QCOMPARE(check.data(ListenerModel::SenderCheckRole).toBool(), false);
    QVERIFY(check.data(Qt::ToolTipRole).toString().contains(QStringLiteral("553 5.7.1")));
    QCOMPARE(check.data(Qt::ToolTipRole).toString(),
             QStringLiteral("Directory users may only use their own addresses (mail, proxyAddresses) as MAIL FROM "
                            "here; others get 553 5.7.1"));
    QVERIFY(model->setData(check, Qt::Checked, Qt::CheckStateRole));
    QCOMPARE(check.data(Qt::CheckStateRole).toInt(), int(Qt::Checked));
    QVERIFY(check.data(ListenerModel::SenderCheckRole).toBool());
    QVERIFY(check.data(ListenerModel::CellDirtyRole).toBool());

    // Both reach the listeners the model returns and what Apply would send.
    QList<ListenerConfig> expected = sampleConfig().listeners;
    expected[0].relayGroups = {relayDn};
    expected[1].senderCheck = true;
    QCOMPARE(model->listeners(), expected);
    QCOMPARE(cell(1, 0).data(ListenerModel::ListenerConfigRole).value<ListenerConfig>(), expected[1]);
    const ConfigSnapshot pending = m_panel->pendingConfig();
    QCOMPARE(pending.listeners, expected);
    QCOMPARE(pending.validate(), QStringList{});

    // Toggling back; Revert restores everything.
    QVERIFY(model->setData(check, Qt::Unchecked, Qt::CheckStateRole));
    QVERIFY(!model->listeners().at(1).senderCheck);
    QVERIFY(model->setData(check, true)); // EditRole as for Plaintext AUTH
    QVERIFY(model->listeners().at(1).senderCheck);
    QVERIFY(model->setData(groups, QString())); // empty: back to the global setting
    QCOMPARE(groups.data().toString(), QStringLiteral("default (directory.relay_groups)"));
    m_panel->revert();
    QCOMPARE(model->listeners(), sampleConfig().listeners);
    QVERIFY(!applyEnabled());
}

void TestConnectorsPanel::proxyFromColumn()
{
    ListenerModel *model = m_panel->model();
    // Appended after "Send as own address".
    QCOMPARE(int(ListenerModel::ProxyFrom), int(ListenerModel::SenderCheck) + 1);
    QCOMPARE(int(ListenerModel::ProxyFrom), int(ListenerModel::ColumnCount) - 1);
    QCOMPARE(model->headerData(ListenerModel::ProxyFrom, Qt::Horizontal).toString(),
             QStringLiteral("Load balancers (PROXY)"));
    const QString tip = QStringLiteral(
        "Connections from these addresses must start with a PROXY protocol header (HAProxy send-proxy-v2); the "
        "client it names is the one relay lists, limits and logs see. Anyone else sending one is refused.");
    QCOMPARE(model->headerData(ListenerModel::ProxyFrom, Qt::Horizontal, Qt::ToolTipRole).toString(), tip);

    // Empty: off.
    const QModelIndex proxy = cell(0, ListenerModel::ProxyFrom);
    QCOMPARE(proxy.data().toString(), QStringLiteral("none"));
    QCOMPARE(proxy.data(Qt::EditRole).toString(), QString());
    QCOMPARE(proxy.data(ListenerModel::ProxyFromRole).toStringList(), QStringList{});
    QCOMPARE(proxy.data(Qt::ToolTipRole).toString(), tip);
    QVERIFY(model->flags(proxy) & Qt::ItemIsEditable);
    QVERIFY(!(model->flags(proxy) & Qt::ItemIsUserCheckable));
    QVERIFY(proxy.data(ListenerModel::ErrorRole).toString().isEmpty());

    // Valid entries, separated by commas and/or blanks (empty ones and duplicates dropped).
    const QStringList lbs{QStringLiteral("10.0.0.5"), QStringLiteral("10.1.0.0/16"), QStringLiteral("fd00::/64")};
    QVERIFY(model->setData(proxy, QStringLiteral(" 10.0.0.5,10.1.0.0/16 ,, fd00::/64\t10.0.0.5 ")));
    QCOMPARE(proxy.data(ListenerModel::ProxyFromRole).toStringList(), lbs);
    QCOMPARE(proxy.data(ListenerModel::RawValueRole).toStringList(), lbs);
    QCOMPARE(proxy.data().toString(), QStringLiteral("10.0.0.5, 10.1.0.0/16, fd00::/64"));
    QCOMPARE(proxy.data(Qt::EditRole).toString(), QStringLiteral("10.0.0.5, 10.1.0.0/16, fd00::/64"));
    QCOMPARE(proxy.data(Qt::ToolTipRole).toString(), tip);
    QVERIFY(proxy.data(ListenerModel::CellDirtyRole).toBool());
    QVERIFY(!cell(0, ListenerModel::Name).data(ListenerModel::CellDirtyRole).toBool());
    QVERIFY(model->isDirty() && !model->hasErrors() && applyEnabled());
    // What the editor shows goes back unchanged.
    QVERIFY(model->setData(proxy, proxy.data(Qt::EditRole)));
    QCOMPARE(proxy.data(ListenerModel::ProxyFromRole).toStringList(), lbs);
    // Space-separated only, and as a list.
    QVERIFY(model->setData(proxy, QStringLiteral("192.0.2.1 192.0.2.2")));
    QCOMPARE(proxy.data().toString(), QStringLiteral("192.0.2.1, 192.0.2.2"));
    QVERIFY(model->setData(proxy, lbs));
    QCOMPARE(proxy.data(ListenerModel::ProxyFromRole).toStringList(), lbs);

    // An invalid entry is refused: nothing changes, no error is stored.
    QSignalSpy changed(model, &ListenerModel::stateChanged);
    QVERIFY(!model->setData(proxy, QStringLiteral("10.0.0.5, lb1.example.com")));
    QVERIFY(!model->setData(proxy, QStringLiteral("10.0.0.0/33")));
    QVERIFY(!model->setData(proxy, QStringLiteral("10.0.0.1/8"))); // host bits set
    QVERIFY(!model->setData(proxy, QStringList{QStringLiteral("10.0.0.5"), QStringLiteral("fd00::/129")}));
    QVERIFY(!model->setData(proxy, QStringLiteral("10.0.0.9"), Qt::DisplayRole));
    QCOMPARE(changed.count(), 0);
    QCOMPARE(proxy.data(ListenerModel::ProxyFromRole).toStringList(), lbs);
    QVERIFY(!model->hasErrors());
    QVERIFY(ListenerModel::proxyProblem(lbs).isEmpty());
    const QString why = ListenerModel::proxyProblem({QStringLiteral("10.0.0.5"), QStringLiteral("10.0.0.0/33")});
    QVERIFY2(why.contains(QStringLiteral("entry 2")) && why.contains(QStringLiteral("10.0.0.0/33")), qPrintable(why));

    // A loaded invalid list is shown as an error (core refuses it too).
    ConfigSnapshot bad = sampleConfig();
    bad.listeners[1].proxyFrom = {QStringLiteral("lb1")};
    ListenerModel loaded;
    loaded.load(bad.listeners);
    QCOMPARE(loaded.errorCount(), 1);
    QVERIFY(!loaded.index(1, ListenerModel::ProxyFrom).data(ListenerModel::ErrorRole).toString().isEmpty());
    QVERIFY(!bad.validate().isEmpty());

    // The edit reaches the listeners the model returns and what Apply would send.
    QList<ListenerConfig> expected = sampleConfig().listeners;
    expected[0].proxyFrom = lbs;
    QCOMPARE(model->listeners(), expected);
    QCOMPARE(cell(0, 0).data(ListenerModel::ListenerConfigRole).value<ListenerConfig>(), expected[0]);
    const ConfigSnapshot pending = m_panel->pendingConfig();
    QCOMPARE(pending.listeners, expected);
    QCOMPARE(pending.validate(), QStringList{});

    // The view's in-cell editor: a line edit with the text, committed through the model.
    auto *table = child<QTableView>("listenerTable");
    QAbstractItemDelegate *delegate = table->itemDelegate();
    QWidget *editor = delegate->createEditor(table->viewport(), {}, proxy);
    auto *line = qobject_cast<QLineEdit *>(editor);
    QVERIFY(line);
    delegate->setEditorData(line, proxy);
    QCOMPARE(line->text(), QStringLiteral("10.0.0.5, 10.1.0.0/16, fd00::/64"));
    line->setText(QStringLiteral("203.0.113.7"));
    delegate->setModelData(line, model, proxy);
    QCOMPARE(m_panel->pendingConfig().listeners.at(0).proxyFrom, QStringList{QStringLiteral("203.0.113.7")});
    line->setText(QStringLiteral("not-an-address"));
    delegate->setModelData(line, model, proxy);
    QCOMPARE(m_panel->pendingConfig().listeners.at(0).proxyFrom, QStringList{QStringLiteral("203.0.113.7")});
    delete editor;

    // Empty text turns it off; Revert restores everything.
    QVERIFY(model->setData(proxy, QStringLiteral(" , ")));
    QCOMPARE(proxy.data().toString(), QStringLiteral("none"));
    QCOMPARE(model->listeners(), sampleConfig().listeners);
    QVERIFY(model->setData(proxy, lbs));
    m_panel->revert();
    QCOMPARE(model->listeners(), sampleConfig().listeners);
    QVERIFY(!applyEnabled());
}

void TestConnectorsPanel::relayGroupsDialog()
{
    auto *table = child<QTableView>("listenerTable");
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel));
    ListenerModel *model = m_panel->model();
    const QModelIndex groups = cell(1, ListenerModel::RelayGroups);
    const QString relayDn = QStringLiteral("CN=Relay senders,OU=Groups,DC=example,DC=com");

    // The cell has no in-place editor: editing it opens the dialog.
    QVERIFY(!table->itemDelegate()->createEditor(table->viewport(), {}, groups));
    QTRY_VERIFY(m_panel->findChild<rd::ui::ListenerGroupsDialog *>());
    auto *dialog = m_panel->findChild<rd::ui::ListenerGroupsDialog *>();
    QTRY_VERIFY(dialog->isVisible());
    auto *edit = dialog->findChild<QPlainTextEdit *>(QStringLiteral("relayGroupsEdit"));
    auto *error = dialog->findChild<QLabel *>(QStringLiteral("relayGroupsError"));
    auto *ok = dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    QVERIFY(edit && error && ok);
    QVERIFY(dialog->windowTitle().contains(QStringLiteral("submission")));
    QCOMPARE(edit->toPlainText(), QString());

    // An invalid DN: the error is shown, the dialog stays open, nothing is stored.
    edit->setPlainText(relayDn + QStringLiteral("\nHelpdesk"));
    ok->click();
    QVERIFY(dialog->isVisible());
    QVERIFY(error->isVisible());
    QVERIFY2(error->text().contains(QStringLiteral("\"Helpdesk\" is not a DN")), qPrintable(error->text()));
    QCOMPARE(dialog->error(), error->text());
    QCOMPARE(model->listeners().at(1).relayGroups, QStringList{});

    // Fixed: OK stores the groups through the model.
    edit->setPlainText(relayDn + QStringLiteral("\nCN=Helpdesk,OU=Groups,DC=example,DC=com\n"));
    QVERIFY(!error->isVisible());
    ok->click();
    QTRY_VERIFY(!m_panel->findChild<rd::ui::ListenerGroupsDialog *>()); // closed and deleted
    QCOMPARE(model->listeners().at(1).relayGroups,
             (QStringList{relayDn, QStringLiteral("CN=Helpdesk,OU=Groups,DC=example,DC=com")}));
    QCOMPARE(groups.data().toString(), QStringLiteral("Relay senders, Helpdesk"));
    QVERIFY(applyEnabled());

    // The dialog starts with the current DNs; Cancel changes nothing.
    m_panel->editRelayGroups(1);
    dialog = m_panel->findChild<rd::ui::ListenerGroupsDialog *>();
    QVERIFY(dialog);
    edit = dialog->findChild<QPlainTextEdit *>(QStringLiteral("relayGroupsEdit"));
    QCOMPARE(edit->toPlainText(), relayDn + QStringLiteral("\nCN=Helpdesk,OU=Groups,DC=example,DC=com"));
    edit->clear();
    dialog->reject();
    QTRY_VERIFY(!m_panel->findChild<rd::ui::ListenerGroupsDialog *>());
    QCOMPARE(model->listeners().at(1).relayGroups.size(), 2);

    // The view's own edit path (what a double-click or F2 on the cell runs) opens it too.
    table->setCurrentIndex(groups);
    table->edit(groups);
    QTRY_VERIFY(m_panel->findChild<rd::ui::ListenerGroupsDialog *>());
    dialog = m_panel->findChild<rd::ui::ListenerGroupsDialog *>();
    QTRY_VERIFY(dialog->isVisible());
    dialog->reject();
}

void TestConnectorsPanel::applyWithoutEngineReportsError()
{
    QVERIFY(m_panel->model()->setData(cell(0, ListenerModel::Port), 2526));
    QSignalSpy applied(m_facade, &EngineFacade::configApplied);
    child<QPushButton>("applyConnectors")->click();
    QVERIFY(applied.count() >= 1);
    QCOMPARE(applied.first().at(0).toBool(), false);
    QVERIFY2(statusText().contains(QStringLiteral("Apply failed: no engine")), qPrintable(statusText()));
    QVERIFY(child<QLabel>("connectorsStatus")->styleSheet().contains(QStringLiteral("#b01e1e")));
    QVERIFY(m_panel->model()->isDirty());
    QVERIFY(applyEnabled());
}

void TestConnectorsPanel::applyAgainstRealEngine()
{
    QTemporaryDir dataDir;
    QVERIFY(dataDir.isValid());
    const quint16 firstPort = freePort();
    quint16 secondPort = freePort();
    while (secondPort == firstPort)
        secondPort = freePort();
    QVERIFY(firstPort && secondPort);

    ConfigSnapshot config;
    config.listeners[0].name = QStringLiteral("main");
    config.listeners[0].port = firstPort;

    // As app/runtime.cpp: the engine on its own thread, started queued.
    auto *engine = new rd::engine::Engine(dataDir.path(), config, false);
    QThread thread;
    thread.setObjectName(QStringLiteral("engine"));
    engine->moveToThread(&thread);
    thread.start();
    auto *facade = new EngineFacade(engine, dataDir.path());
    QMetaObject::invokeMethod(engine, &rd::engine::Engine::start, Qt::QueuedConnection);

    auto *panel = new ConnectorsPanel(facade);
    auto stopEngine = qScopeGuard([&] {
        delete panel;
        QMetaObject::invokeMethod(engine, &rd::engine::Engine::stop, Qt::BlockingQueuedConnection);
        thread.quit();
        thread.wait();
        delete facade;
        delete engine;
    });
    auto *status = panel->findChild<QLabel *>(QStringLiteral("connectorsStatus"));
    auto *apply = panel->findChild<QPushButton *>(QStringLiteral("applyConnectors"));
    ListenerModel *model = panel->model();

    QTRY_VERIFY_WITH_TIMEOUT(panel->hasConfig(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(facade->status().listening.contains(QStringLiteral("127.0.0.1:%1").arg(firstPort)),
                             10000);
    QCOMPARE(model->rowCount(), 1);
    QCOMPARE(int(model->listeners().first().port), int(firstPort));

    // Add a second listener through the panel and apply.
    panel->addPreset(ListenerModel::RelayPreset);
    QVERIFY(model->setData(model->index(1, ListenerModel::Port), int(secondPort)));
    const QStringList relayGroups{QStringLiteral("CN=Relay senders,OU=Groups,DC=example,DC=com")};
    QVERIFY(model->setData(model->index(1, ListenerModel::RelayGroups), relayGroups.first()));
    QVERIFY(model->setData(model->index(1, ListenerModel::SenderCheck), Qt::Checked, Qt::CheckStateRole));
    const QStringList proxyFrom{QStringLiteral("10.0.0.5"), QStringLiteral("fd00::/64")};
    QVERIFY(model->setData(model->index(1, ListenerModel::ProxyFrom), QStringLiteral("10.0.0.5, fd00::/64")));
    QVERIFY(!model->setData(model->index(1, ListenerModel::ProxyFrom), QStringLiteral("lb1")));
    QVERIFY(apply->isEnabled());
    QSignalSpy applied(facade, &EngineFacade::configApplied);
    apply->click();
    QVERIFY(!apply->isEnabled()); // waiting for the answer
    QCOMPARE(status->text(), QStringLiteral("Applying\u2026"));
    QTRY_COMPARE_WITH_TIMEOUT(applied.count(), 1, 10000);
    QCOMPARE(applied.at(0).at(0).toBool(), true);
    QVERIFY2(status->text().startsWith(QStringLiteral("Applied: listening on")), qPrintable(status->text()));
    QVERIFY(status->text().contains(QStringLiteral("127.0.0.1:%1").arg(secondPort)));
    QVERIFY(status->styleSheet().contains(QStringLiteral("#1b7a2b")));
    // The panel reloads the configuration in force: clean again.
    QTRY_VERIFY_WITH_TIMEOUT(!model->isDirty() && model->rowCount() == 2, 10000);
    QVERIFY(!apply->isEnabled());
    // The directory fields came back from the engine (the configuration in force).
    QCOMPARE(model->loadedListeners().at(1).relayGroups, relayGroups);
    QVERIFY(model->loadedListeners().at(1).senderCheck);
    QVERIFY(!model->loadedListeners().at(0).senderCheck);
    QCOMPARE(model->index(1, ListenerModel::RelayGroups).data().toString(), QStringLiteral("Relay senders"));
    // So did the load balancers.
    QCOMPARE(model->loadedListeners().at(1).proxyFrom, proxyFrom);
    QCOMPARE(model->loadedListeners().at(0).proxyFrom, QStringList{});
    QCOMPARE(model->index(1, ListenerModel::ProxyFrom).data().toString(), QStringLiteral("10.0.0.5, fd00::/64"));
    QCOMPARE(model->index(0, ListenerModel::ProxyFrom).data().toString(), QStringLiteral("none"));

    // The new port speaks SMTP.
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, secondPort);
    QTRY_VERIFY_WITH_TIMEOUT(client.canReadLine(), 10000);
    const QByteArray greeting = client.readLine();
    QVERIFY2(greeting.startsWith("220 "), greeting.constData());
    client.write("QUIT\r\n");
    QTRY_VERIFY_WITH_TIMEOUT(client.canReadLine(), 10000);
    QVERIFY(client.readLine().startsWith("221 "));
    client.abort();

    // A port that is already taken: the engine's error reaches the panel.
    QTcpServer squatter;
    QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
    const quint16 takenPort = squatter.serverPort();
    panel->addPreset(ListenerModel::RelayPreset);
    QVERIFY(model->setData(model->index(2, ListenerModel::Port), int(takenPort)));
    QVERIFY(apply->isEnabled());
    apply->click();
    QTRY_COMPARE_WITH_TIMEOUT(applied.count(), 2, 10000);
    QCOMPARE(applied.at(1).at(0).toBool(), false);
    const QString expectedError = QStringLiteral("127.0.0.1:%1: The bound address is already in use").arg(takenPort);
    QVERIFY2(applied.at(1).at(1).toStringList().contains(expectedError),
             qPrintable(applied.at(1).at(1).toStringList().join(QLatin1Char('|'))));
    QVERIFY2(status->text().contains(expectedError), qPrintable(status->text()));
    QVERIFY(status->styleSheet().contains(QStringLiteral("#b01e1e")));
    QVERIFY(facade->status().errors.contains(expectedError));
    // The other listeners still run, and the panel says so.
    QVERIFY(facade->status().listening.contains(QStringLiteral("127.0.0.1:%1").arg(secondPort)));
    QVERIFY(status->text().contains(QStringLiteral("Listening on")));
    // The configuration was saved; Apply stays available to retry the bind.
    QTRY_VERIFY_WITH_TIMEOUT(!model->isDirty() && model->rowCount() == 3, 10000);
    QVERIFY(apply->isEnabled());
    QVERIFY(status->text().contains(expectedError));
    // The engine's own report stays visible once the apply result is gone.
    panel->revert();
    QVERIFY2(status->text().contains(expectedError), qPrintable(status->text()));
    QVERIFY(status->text().startsWith(QStringLiteral("The engine reports:")));
    if (const QString dir = qEnvironmentVariable("RELAYDESK_GRAB_DIR"); !dir.isEmpty()) {
        panel->resize(1050, 560);
        panel->show();
        QVERIFY(QTest::qWaitForWindowExposed(panel));
        QVERIFY(panel->grab().save(QDir(dir).filePath(QStringLiteral("connectors-bind-error.png"))));
    }

    // Freeing the port and applying again binds it.
    squatter.close();
    apply->click();
    QTRY_COMPARE_WITH_TIMEOUT(applied.count(), 3, 10000);
    QCOMPARE(applied.at(2).at(0).toBool(), true);
    QVERIFY(status->text().contains(QStringLiteral("127.0.0.1:%1").arg(takenPort)));
    QTRY_VERIFY_WITH_TIMEOUT(!apply->isEnabled(), 10000);
}

void TestConnectorsPanel::grabScreenshot()
{
    const QString dir = qEnvironmentVariable("RELAYDESK_GRAB_DIR");
    if (dir.isEmpty())
        QSKIP("set RELAYDESK_GRAB_DIR to save screenshots");
    ListenerModel *model = m_panel->model();
    m_panel->addPreset(ListenerModel::SubmissionTlsPreset);
    m_panel->addPreset(ListenerModel::RelayPreset);
    QVERIFY(model->setData(cell(3, ListenerModel::Port), 2525));
    QVERIFY(model->setData(cell(1, ListenerModel::PlaintextAuth), Qt::Checked, Qt::CheckStateRole));
    QVERIFY(model->setData(cell(2, ListenerModel::Certificate), QString()));
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel));
    QVERIFY(m_panel->grab().save(QDir(dir).filePath(QStringLiteral("connectors.png"))));
    QVERIFY(model->setData(cell(3, ListenerModel::Port), 25));
    QVERIFY(model->setData(cell(2, ListenerModel::Certificate), QStringLiteral("cert-1")));
    QVERIFY(m_panel->grab().save(QDir(dir).filePath(QStringLiteral("connectors-valid.png"))));
    // The directory columns (issue #10), scrolled into view.
    QVERIFY(model->setData(cell(1, ListenerModel::RelayGroups),
                           QStringLiteral("CN=Relay senders,OU=Groups,DC=example,DC=com\n"
                                          "CN=Helpdesk,OU=Groups,DC=example,DC=com")));
    QVERIFY(model->setData(cell(1, ListenerModel::SenderCheck), Qt::Checked, Qt::CheckStateRole));
    auto *table = child<QTableView>("listenerTable");
    table->scrollTo(cell(1, ListenerModel::SenderCheck));
    QVERIFY(m_panel->grab().save(QDir(dir).filePath(QStringLiteral("connectors-directory.png"))));
}

QTEST_MAIN(TestConnectorsPanel)
#include "tst_connectorspanel.moc"

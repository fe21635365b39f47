// The send side of the Connectors panel: SendConnectorModel, the editor
// dialog, the shared Apply/Revert, and "Test connection".
//
// Most tests use an EngineFacade with no engine and load the panel with
// setConfig(), as configLoaded() would. realEngine() runs a real
// rd::engine::Engine on its own thread (as app/runtime.cpp does), applies send
// connectors through the panel and tests them against Postfix's smtp-sink
// started here, a dead port, a TLS-required and an AUTH connector.
//
// Set RELAYDESK_GRAB_DIR to a folder to also save screenshots of the panel.

#include "connectors/connectorspanel.h"
#include "connectors/probereporttext.h"
#include "connectors/sendconnectordialog.h"
#include "connectors/sendconnectormodel.h"
#include "connectors/sendconnectorsbox.h"

#include "config/configsnapshot.h"
#include "delivery/connectorprobe.h"
#include "engine/engine.h"
#include "engine/enginefacade.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTableView>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <unistd.h>

using rd::config::ConfigSnapshot;
using rd::config::SendConnectorConfig;
using rd::delivery::ProbeReport;
using rd::engine::EngineFacade;
using rd::ui::ConnectorsPanel;
using rd::ui::SendConnectorDialog;
using rd::ui::SendConnectorModel;
using rd::ui::SendConnectorsBox;

namespace {

const QString kPassword = QStringLiteral("S3cret!pass");

QList<SendConnectorConfig> sampleConnectors()
{
    SendConnectorConfig partner;
    partner.name = QStringLiteral("contoso-partner");
    partner.domains = {QStringLiteral("contoso.com"), QStringLiteral("*.contoso.com")};
    partner.smartHosts = {QStringLiteral("mail.contoso.com:25"), QStringLiteral("mail2.contoso.com:25")};
    partner.tls = QStringLiteral("verify");
    SendConnectorConfig m365;
    m365.name = QStringLiteral("microsoft365");
    m365.smartHosts = {QStringLiteral("smtp.office365.com:587")};
    m365.tls = QStringLiteral("verify");
    m365.authUser = QStringLiteral("relay@example.com");
    m365.authPassword = kPassword;
    m365.maxConnections = 3;
    return {partner, m365};
}

ConfigSnapshot sampleConfig(bool withConnectors = true)
{
    ConfigSnapshot c;
    QString error;
    const bool ok = c.setValue(QStringLiteral("delivery.smarthost"), QStringLiteral("smtp.example.net:587"), &error);
    Q_ASSERT(ok);
    Q_UNUSED(ok);
    if (withConnectors)
        c.sendConnectors = sampleConnectors();
    return c;
}

quint16 freePort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0))
        return 0;
    return s.serverPort();
}

QStringList names(const QList<SendConnectorConfig> &list)
{
    QStringList out;
    for (const auto &c : list)
        out << c.name;
    return out;
}

} // namespace

class TestSendConnectors : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void modelPassesModelTester();
    void panelShowsConnectorsWithoutPasswords();
    void emptyListShowsLegacySmartHostHint();
    void reorderAndRemoveThroughButtons();
    void validationMarksCells();
    void dialogMarksInvalidFields();
    void passwordIsNeverShownAndKeptUnlessChanged();
    void presetsFillTheDialog();
    void applySendsConnectorsInOrder();
    void testWithoutEngineReportsError();
    void reportTextHasNoPassword();
    void realEngine();

private:
    template <typename T>
    T *child(const char *name) const
    {
        return m_panel->findChild<T *>(QLatin1String(name));
    }
    SendConnectorModel *model() const { return m_panel->sendModel(); }
    SendConnectorsBox *box() const { return m_panel->sendBox(); }
    QString statusText() const { return child<QLabel>("connectorsStatus")->text(); }
    bool applyEnabled() const { return child<QPushButton>("applyConnectors")->isEnabled(); }
    QModelIndex cell(int row, int column) const { return model()->index(row, column); }
    void select(int row) const { box()->table()->selectRow(row); }

    QTemporaryDir m_dir;
    EngineFacade *m_facade = nullptr;
    ConnectorsPanel *m_panel = nullptr;
};

void TestSendConnectors::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_facade = new EngineFacade(nullptr, m_dir.path());
}

void TestSendConnectors::init()
{
    m_panel = new ConnectorsPanel(m_facade);
    m_panel->resize(1100, 720);
    m_panel->setConfig(sampleConfig());
}

void TestSendConnectors::cleanup()
{
    delete m_panel;
    m_panel = nullptr;
}

void TestSendConnectors::cleanupTestCase()
{
    delete m_facade;
}

void TestSendConnectors::modelPassesModelTester()
{
    SendConnectorModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::Fatal);
    m.load(sampleConnectors());
    QVERIFY(!m.isDirty());
    const int row = m.addConnector(m.preset(SendConnectorModel::InternalPreset));
    QCOMPARE(row, 2);
    QVERIFY(m.hasErrors()); // the internal preset has no host yet
    SendConnectorConfig internal = m.connector(row);
    internal.smartHosts = {QStringLiteral("mailhub.corp.example:25")};
    QVERIFY(m.setConnector(row, internal));
    QVERIFY(!m.hasErrors());
    QVERIFY(m.moveRow(2, -1));
    QVERIFY(m.moveRow(0, 1));
    QCOMPARE(names(m.connectors()),
             (QStringList{QStringLiteral("internal"), QStringLiteral("contoso-partner"), QStringLiteral("microsoft365")}));
    QVERIFY(!m.moveRow(0, -1));
    QVERIFY(!m.moveRow(2, 1));
    // The loaded rows keep their relative order: only the new row is marked.
    QVERIFY(m.index(0, 0).data(SendConnectorModel::DirtyRole).toBool());
    QVERIFY(!m.index(1, 0).data(SendConnectorModel::DirtyRole).toBool());
    QVERIFY(m.moveRow(2, -1)); // microsoft365 before contoso-partner: both moved
    QVERIFY(m.index(1, 0).data(SendConnectorModel::DirtyRole).toBool());
    QVERIFY(m.index(2, 0).data(SendConnectorModel::DirtyRole).toBool());
    QCOMPARE(m.headerData(1, Qt::Vertical).toString(), QStringLiteral("*"));
    QVERIFY(m.moveRow(1, 1));
    QVERIFY(m.removeRows(0, 1));
    // Only the new row was removed: the loaded rows are back in order and clean.
    QVERIFY(!m.isDirty());
    QVERIFY(!m.index(0, 0).data(SendConnectorModel::DirtyRole).toBool());
    QCOMPARE(m.headerData(0, Qt::Vertical).toString(), QStringLiteral("1"));
    QVERIFY(m.removeRows(0, 1));
    QVERIFY(!m.index(0, 0).data(SendConnectorModel::DirtyRole).toBool()); // not moved, just its neighbour gone
    QVERIFY(m.isDirty());
    QVERIFY(!m.removeRows(5, 1));
    m.revertAll();
    QCOMPARE(m.connectors(), sampleConnectors());
    QCOMPARE(m.columnCount(), int(SendConnectorModel::ColumnCount));
    QVERIFY(!(m.flags(m.index(0, 0)) & Qt::ItemIsEditable));
}

void TestSendConnectors::panelShowsConnectorsWithoutPasswords()
{
    auto *table = child<QTableView>("sendConnectorTable");
    QVERIFY(table);
    QCOMPARE(table->model(), model());
    QVERIFY(table->isVisibleTo(m_panel));
    QCOMPARE(model()->rowCount(), 2);
    QCOMPARE(cell(0, SendConnectorModel::Name).data().toString(), QStringLiteral("contoso-partner"));
    QCOMPARE(cell(0, SendConnectorModel::Domains).data().toString(), QStringLiteral("contoso.com, *.contoso.com"));
    QCOMPARE(cell(0, SendConnectorModel::Route).data().toString(), QStringLiteral("Smart host"));
    QCOMPARE(cell(0, SendConnectorModel::Hosts).data().toString(),
             QStringLiteral("mail.contoso.com:25, mail2.contoso.com:25"));
    QCOMPARE(cell(0, SendConnectorModel::Tls).data().toString(), QStringLiteral("Required + verify"));
    QCOMPARE(cell(1, SendConnectorModel::AuthUser).data().toString(), QStringLiteral("relay@example.com"));
    QCOMPARE(cell(1, SendConnectorModel::Limits).data().toString(), QStringLiteral("3 conn, 100 msg"));
    QCOMPARE(cell(1, SendConnectorModel::AuthUser).data(Qt::ToolTipRole).toString(),
             QStringLiteral("User relay@example.com, password stored"));
    QCOMPARE(model()->headerData(SendConnectorModel::Hosts, Qt::Horizontal).toString(), QStringLiteral("Smart hosts"));
    QCOMPARE(model()->headerData(1, Qt::Vertical).toString(), QStringLiteral("2"));
    for (int r = 0; r < model()->rowCount(); ++r) {
        for (int c = 0; c < SendConnectorModel::ColumnCount; ++c) {
            for (int role : {int(Qt::DisplayRole), int(Qt::ToolTipRole)})
                QVERIFY(!cell(r, c).data(role).toString().contains(kPassword));
        }
    }
    QVERIFY(!child<QLabel>("legacySmartHostHint")->isVisibleTo(m_panel));
    QVERIFY(!applyEnabled());
    QVERIFY(!child<QPushButton>("revertConnectors")->isEnabled());
    QVERIFY(child<QPushButton>("addSendConnector")->isEnabled());
    QVERIFY(!child<QPushButton>("testSendConnector")->isEnabled()); // nothing selected
    select(0);
    QVERIFY(child<QPushButton>("testSendConnector")->isEnabled());
    QVERIFY(child<QPushButton>("editSendConnector")->isEnabled());
    QVERIFY(!child<QPushButton>("moveSendConnectorUp")->isEnabled());
    QVERIFY(child<QPushButton>("moveSendConnectorDown")->isEnabled());
    QVERIFY(!child<QLineEdit>("mxTestHost")->isVisibleTo(m_panel));
}

void TestSendConnectors::emptyListShowsLegacySmartHostHint()
{
    m_panel->setConfig(sampleConfig(false));
    QCOMPARE(model()->rowCount(), 0);
    auto *hint = child<QLabel>("legacySmartHostHint");
    QVERIFY(hint->isVisibleTo(m_panel));
    QVERIFY2(hint->text().contains(QStringLiteral("smart host setting is in effect")), qPrintable(hint->text()));
    QVERIFY(hint->text().contains(QStringLiteral("smtp.example.net:587")));
    auto *add = child<QPushButton>("addConnectorHint");
    QVERIFY(add && add->isEnabled() && add->menu());
    QCOMPARE(add->menu()->actions().size(), 11); // ten presets and a separator

    ConfigSnapshot none = sampleConfig(false);
    QString error;
    QVERIFY(none.setValue(QStringLiteral("delivery.smarthost"), QString(), &error));
    m_panel->setConfig(none);
    QVERIFY(hint->text().contains(QStringLiteral("cannot be delivered")));

    // Adding a connector from the hint shows the table.
    add->menu()->findChild<QAction *>(QStringLiteral("presetDirectMx"))->trigger();
    QVERIFY(box()->dialog());
    box()->dialog()->accept();
    QCOMPARE(model()->rowCount(), 1);
    QVERIFY(!hint->isVisibleTo(m_panel));
    QVERIFY(applyEnabled());
}

void TestSendConnectors::reorderAndRemoveThroughButtons()
{
    select(1);
    child<QPushButton>("moveSendConnectorUp")->click();
    QCOMPARE(names(model()->connectors()),
             (QStringList{QStringLiteral("microsoft365"), QStringLiteral("contoso-partner")}));
    QCOMPARE(box()->table()->selectionModel()->selectedRows().value(0).row(), 0); // the selection follows
    QCOMPARE(model()->headerData(0, Qt::Vertical).toString(), QStringLiteral("*"));
    QVERIFY(applyEnabled());
    QVERIFY(statusText().contains(QStringLiteral("Changes are not applied yet")));
    QCOMPARE(names(m_panel->pendingConfig().sendConnectors),
             (QStringList{QStringLiteral("microsoft365"), QStringLiteral("contoso-partner")}));
    child<QPushButton>("moveSendConnectorDown")->click();
    QCOMPARE(model()->connectors(), sampleConnectors());
    QVERIFY(!applyEnabled());

    select(0);
    child<QPushButton>("removeSendConnector")->click();
    QCOMPARE(names(model()->connectors()), QStringList{QStringLiteral("microsoft365")});
    QCOMPARE(m_panel->pendingConfig().sendConnectors.first().authPassword, kPassword); // carried through
    QVERIFY(applyEnabled());
    child<QPushButton>("revertConnectors")->click();
    QCOMPARE(model()->connectors(), sampleConnectors());
    QCOMPARE(m_panel->pendingConfig(), sampleConfig());
    QVERIFY(!applyEnabled());
}

void TestSendConnectors::validationMarksCells()
{
    SendConnectorConfig c = model()->connector(0);
    c.smartHosts = {QStringLiteral("mail.contoso.com:25"), QStringLiteral("mail.contoso.com:99999")};
    QVERIFY(model()->setConnector(0, c));
    const QString hostError = cell(0, SendConnectorModel::Hosts).data(SendConnectorModel::ErrorRole).toString();
    QVERIFY2(hostError.contains(QStringLiteral("mail.contoso.com:99999")), qPrintable(hostError));
    QVERIFY(cell(0, SendConnectorModel::Hosts).data(Qt::BackgroundRole).isValid());
    QCOMPARE(cell(0, SendConnectorModel::Hosts).data(Qt::ToolTipRole).toString(), hostError);
    QVERIFY(!cell(0, SendConnectorModel::Name).data(Qt::BackgroundRole).isValid());
    QVERIFY(!applyEnabled());
    QVERIFY2(statusText().startsWith(QStringLiteral("Send connector 1 (\"contoso-partner\"): smart host")),
             qPrintable(statusText()));
    QVERIFY(child<QLabel>("connectorsStatus")->styleSheet().contains(QStringLiteral("#b01e1e")));

    // A name used twice, AUTH without TLS, a bad domain: each on its cell.
    SendConnectorConfig d = model()->connector(1);
    d.name = QStringLiteral("Contoso-Partner");
    d.tls = QStringLiteral("none");
    d.domains = {QStringLiteral("bad domain!")};
    QVERIFY(model()->setConnector(1, d));
    QVERIFY(cell(1, SendConnectorModel::Name).data(SendConnectorModel::ErrorRole).toString().contains(
        QStringLiteral("Another send connector has this name")));
    QVERIFY(cell(1, SendConnectorModel::AuthUser).data(SendConnectorModel::ErrorRole).toString().contains(
        QStringLiteral("AUTH credentials need TLS")));
    QVERIFY(cell(1, SendConnectorModel::Domains).data(SendConnectorModel::ErrorRole).toString().contains(
        QStringLiteral("bad domain!")));
    QCOMPARE(model()->errors().size(), 4);
    QVERIFY(statusText().contains(QStringLiteral("3 more problem")));
    QCOMPARE(m_panel->pendingConfig().validate().size(), 4); // the engine would say the same

    // OAuth settings belong to the authentication: their problems mark the AUTH cell, not the name.
    SendConnectorConfig o = sampleConnectors().at(1);
    o.authUser.clear();
    o.authPassword.clear();
    o.authMechanism = QStringLiteral("oauth2");
    o.tls = QStringLiteral("required");
    o.oauth.flow = QStringLiteral("client_credentials");
    o.oauth.provider = QStringLiteral("microsoft365");
    o.oauth.tenant = QStringLiteral("contoso.onmicrosoft.com");
    o.oauth.clientId.clear();
    QVERIFY(model()->setConnector(1, o));
    QVERIFY2(cell(1, SendConnectorModel::AuthUser).data(SendConnectorModel::ErrorRole).toString().contains(
                 QStringLiteral("client_id")),
             qPrintable(cell(1, SendConnectorModel::AuthUser).data(SendConnectorModel::ErrorRole).toString()));
    QVERIFY(cell(1, SendConnectorModel::Name).data(SendConnectorModel::ErrorRole).toString().isEmpty());

    QVERIFY(model()->setConnector(0, sampleConnectors().at(0)));
    QVERIFY(model()->setConnector(1, sampleConnectors().at(1)));
    QVERIFY(!model()->hasErrors());
    QVERIFY(!applyEnabled()); // back to what was loaded
}

void TestSendConnectors::dialogMarksInvalidFields()
{
    select(0);
    child<QPushButton>("editSendConnector")->click();
    SendConnectorDialog *dialog = box()->dialog();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    auto *hosts = dialog->findChild<QLineEdit *>(QStringLiteral("hostsEdit"));
    auto *name = dialog->findChild<QLineEdit *>(QStringLiteral("nameEdit"));
    auto *route = dialog->findChild<QComboBox *>(QStringLiteral("routeCombo"));
    auto *errors = dialog->findChild<QLabel *>(QStringLiteral("dialogErrors"));
    QPushButton *ok = dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    QCOMPARE(hosts->text(), QStringLiteral("mail.contoso.com:25, mail2.contoso.com:25"));
    QVERIFY(ok->isEnabled());
    QVERIFY(!hosts->property("invalid").toBool());

    hosts->setText(QStringLiteral("mail.contoso.com:25, mail.contoso.com:70000; [2001:db8::25]:25"));
    QVERIFY(hosts->property("invalid").toBool());
    QVERIFY(!hosts->styleSheet().isEmpty());
    QCOMPARE(dialog->invalidHosts(), QStringList{QStringLiteral("mail.contoso.com:70000")});
    QVERIFY2(hosts->toolTip().contains(QStringLiteral("mail.contoso.com:70000")), qPrintable(hosts->toolTip()));
    QVERIFY2(errors->text().startsWith(QStringLiteral("Smart host \"mail.contoso.com:70000\"")),
             qPrintable(errors->text()));
    QVERIFY(!ok->isEnabled());
    hosts->setText(QStringLiteral("mail.contoso.com:25 [2001:db8::25]:25"));
    QVERIFY(!hosts->property("invalid").toBool());
    QVERIFY(ok->isEnabled());

    name->setText(QStringLiteral("microsoft365")); // taken by row 2
    QVERIFY(name->property("invalid").toBool());
    QVERIFY(errors->text().contains(QStringLiteral("Another send connector has this name (number 2)")));
    QVERIFY(!ok->isEnabled());
    name->setText(QStringLiteral("contoso"));

    route->setCurrentIndex(route->findData(QStringLiteral("mx")));
    QVERIFY(!hosts->isEnabled());
    QVERIFY(dialog->connector().smartHosts.isEmpty());
    route->setCurrentIndex(route->findData(QStringLiteral("smarthost")));
    QVERIFY(ok->isEnabled());
    ok->click();
    QTRY_VERIFY(!box()->dialog());
    const SendConnectorConfig edited = model()->connector(0);
    QCOMPARE(edited.name, QStringLiteral("contoso"));
    QCOMPARE(edited.smartHosts, (QStringList{QStringLiteral("mail.contoso.com:25"), QStringLiteral("[2001:db8::25]:25")}));
    QVERIFY(cell(0, 0).data(SendConnectorModel::DirtyRole).toBool());
    QVERIFY(applyEnabled());
}

void TestSendConnectors::passwordIsNeverShownAndKeptUnlessChanged()
{
    select(1);
    box()->editSelected();
    SendConnectorDialog *dialog = box()->dialog();
    QVERIFY(dialog);
    auto *password = dialog->findChild<QLineEdit *>(QStringLiteral("passwordEdit"));
    auto *user = dialog->findChild<QLineEdit *>(QStringLiteral("authUserEdit"));
    QCOMPARE(password->echoMode(), QLineEdit::Password);
    QCOMPARE(password->text(), QString());
    QCOMPARE(password->placeholderText(), QStringLiteral("(stored)"));
    for (QLineEdit *e : dialog->findChildren<QLineEdit *>())
        QVERIFY(!e->text().contains(kPassword) && !e->placeholderText().contains(kPassword));
    // Left empty: the stored password is kept.
    QCOMPARE(dialog->connector().authPassword, kPassword);
    QVERIFY(dialog->errors().isEmpty());
    // Typed: replaced.
    password->setText(QStringLiteral("n3w-pass"));
    QCOMPARE(dialog->connector().authPassword, QStringLiteral("n3w-pass"));
    password->clear();
    QCOMPARE(dialog->connector().authPassword, kPassword);
    // No user: no AUTH, the password goes too.
    user->clear();
    QVERIFY(!password->isEnabled());
    QCOMPARE(dialog->connector().authPassword, QString());
    user->setText(QStringLiteral("relay@example.com"));
    dialog->accept();
    QCOMPARE(model()->connector(1).authPassword, kPassword);
    QVERIFY(!model()->isDirty());

    // A connector without a stored password: no placeholder, and AUTH needs one.
    select(0);
    box()->editSelected();
    dialog = box()->dialog();
    password = dialog->findChild<QLineEdit *>(QStringLiteral("passwordEdit"));
    user = dialog->findChild<QLineEdit *>(QStringLiteral("authUserEdit"));
    QCOMPARE(password->placeholderText(), QString());
    QCOMPARE(dialog->authMode(), SendConnectorDialog::NoAuth);
    QVERIFY(!user->isVisibleTo(dialog));
    auto *mode = dialog->findChild<QComboBox *>(QStringLiteral("authModeCombo"));
    mode->setCurrentIndex(mode->findData(int(SendConnectorDialog::PasswordAuth)));
    QVERIFY(user->isVisibleTo(dialog) && password->isVisibleTo(dialog));
    QVERIFY(dialog->errors().join(QLatin1Char('\n')).contains(QStringLiteral("Enter the AUTH user")));
    QVERIFY(user->property("invalid").toBool());
    user->setText(QStringLiteral("partner-relay"));
    QVERIFY(password->property("invalid").toBool());
    QVERIFY(dialog->errors().join(QLatin1Char('\n')).contains(QStringLiteral("Enter the password")));
    password->setText(QStringLiteral("pw-2"));
    QVERIFY(dialog->errors().isEmpty());
    dialog->accept();
    QCOMPARE(model()->connector(0).authPassword, QStringLiteral("pw-2"));
    QVERIFY(!cell(0, SendConnectorModel::AuthUser).data().toString().contains(QStringLiteral("pw-2")));
}

void TestSendConnectors::presetsFillTheDialog()
{
    QMenu *menu = child<QPushButton>("addSendConnector")->menu();
    QVERIFY(menu);
    QStringList labels;
    for (QAction *a : menu->actions()) {
        if (!a->isSeparator())
            labels << a->text();
    }
    QCOMPARE(labels.size(), 10);
    QCOMPARE(labels.first(), QStringLiteral("Microsoft 365 (OAuth 2.0, smtp.office365.com:587)"));
    QCOMPARE(labels.last(), QStringLiteral("Empty connector"));

    menu->findChild<QAction *>(QStringLiteral("presetMicrosoft365"))->trigger();
    SendConnectorDialog *dialog = box()->dialog();
    QVERIFY(dialog);
    SendConnectorConfig c = dialog->connector();
    QCOMPARE(c.name, QStringLiteral("microsoft365-2")); // "microsoft365" is taken
    QCOMPARE(c.smartHosts, QStringList{QStringLiteral("smtp.office365.com:587")});
    QCOMPARE(c.tls, QStringLiteral("verify"));
    QVERIFY(c.usesOAuth());
    QVERIFY(dialog->findChild<QLabel *>(QStringLiteral("presetNote"))->text().contains(QStringLiteral("SMTP.SendAsApp")));
    if (const QString dir = qEnvironmentVariable("RELAYDESK_GRAB_DIR"); !dir.isEmpty()) {
        dialog->findChild<QLineEdit *>(QStringLiteral("hostsEdit"))->setText(QStringLiteral("smtp.office365.com:587000"));
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        QVERIFY(dialog->grab().save(QDir(dir).filePath(QStringLiteral("send-connector-dialog.png"))));
        dialog->findChild<QLineEdit *>(QStringLiteral("hostsEdit"))->setText(QStringLiteral("smtp.office365.com:587"));
    }
    // The password kind of AUTH still works: switch the preset to it.
    dialog->setAuthMode(SendConnectorDialog::PasswordAuth);
    dialog->findChild<QLineEdit *>(QStringLiteral("authUserEdit"))->setText(QStringLiteral("scanner@example.com"));
    dialog->findChild<QLineEdit *>(QStringLiteral("passwordEdit"))->setText(QStringLiteral("app-pass"));
    dialog->findChild<QLineEdit *>(QStringLiteral("domainsEdit"))->setText(QStringLiteral("example.com"));
    QVERIFY2(dialog->errors().isEmpty(), qPrintable(dialog->errors().join(QLatin1Char('\n'))));
    dialog->accept();
    QCOMPARE(model()->rowCount(), 3);
    QVERIFY(cell(2, 0).data(SendConnectorModel::NewRole).toBool());
    QCOMPARE(model()->headerData(2, Qt::Vertical).toString(), QStringLiteral("+"));
    QCOMPARE(model()->connector(2).authPassword, QStringLiteral("app-pass"));
    QVERIFY(!model()->connector(2).usesOAuth());

    menu->findChild<QAction *>(QStringLiteral("presetDirectMx"))->trigger();
    dialog = box()->dialog();
    c = dialog->connector();
    QCOMPARE(c.route, QStringLiteral("mx"));
    QCOMPARE(c.tls, QStringLiteral("opportunistic"));
    QVERIFY(!dialog->findChild<QLineEdit *>(QStringLiteral("hostsEdit"))->isEnabled());
    dialog->reject();
    QCOMPARE(model()->rowCount(), 3);

    menu->findChild<QAction *>(QStringLiteral("presetInternal"))->trigger();
    dialog = box()->dialog();
    QCOMPARE(dialog->connector().tls, QStringLiteral("opportunistic"));
    QVERIFY(!dialog->errors().isEmpty()); // a host is required
    QVERIFY(!dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->isEnabled());
    dialog->findChild<QLineEdit *>(QStringLiteral("hostsEdit"))->setText(QStringLiteral("mailhub.corp.example:25"));
    QVERIFY(dialog->errors().isEmpty());
    dialog->reject();

    menu->findChild<QAction *>(QStringLiteral("presetGmail"))->trigger();
    QCOMPARE(box()->dialog()->connector().smartHosts, QStringList{QStringLiteral("smtp.gmail.com:587")});
    box()->dialog()->reject();
}

void TestSendConnectors::applySendsConnectorsInOrder()
{
    select(1);
    child<QPushButton>("moveSendConnectorUp")->click();
    SendConnectorConfig internal = model()->preset(SendConnectorModel::InternalPreset);
    internal.smartHosts = {QStringLiteral("mailhub.corp.example:25")};
    internal.domains = {QStringLiteral("corp.example")};
    model()->addConnector(internal);
    const ConfigSnapshot pending = m_panel->pendingConfig();
    QCOMPARE(names(pending.sendConnectors), (QStringList{QStringLiteral("microsoft365"),
                                                         QStringLiteral("contoso-partner"), QStringLiteral("internal")}));
    QCOMPARE(pending.sendConnectors.first().authPassword, kPassword);
    QCOMPARE(pending.listeners, sampleConfig().listeners); // the receive side is untouched
    QCOMPARE(pending.validate(), QStringList{});
    QVERIFY(applyEnabled());

    QSignalSpy applied(m_facade, &EngineFacade::configApplied);
    child<QPushButton>("applyConnectors")->click();
    QVERIFY(applied.count() >= 1);
    QVERIFY(statusText().contains(QStringLiteral("Apply failed: no engine")));
    QVERIFY(model()->isDirty()); // kept for another try
}

void TestSendConnectors::testWithoutEngineReportsError()
{
    QSignalSpy tested(m_facade, &EngineFacade::connectorTested);
    select(0);
    QVERIFY(!child<QPlainTextEdit>("testResult")->isVisibleTo(m_panel)); // appears with the first test
    child<QPushButton>("testSendConnector")->click();
    QVERIFY(child<QPlainTextEdit>("testResult")->isVisibleTo(m_panel));
    QCOMPARE(tested.count(), 1);
    QCOMPARE(tested.first().at(0).toString(), QStringLiteral("contoso-partner"));
    const QString text = child<QPlainTextEdit>("testResult")->toPlainText();
    QVERIFY2(text.contains(QStringLiteral("FAILED. no engine")), qPrintable(text));
    QVERIFY(!box()->isTesting());
    QCOMPARE(child<QPushButton>("testSendConnector")->text(), QStringLiteral("Test connection"));
}

void TestSendConnectors::reportTextHasNoPassword()
{
    ProbeReport r;
    r.connector = QStringLiteral("m365");
    r.target = QStringLiteral("smtp.office365.com:587");
    r.ok = true;
    r.banner = QStringLiteral("220 mail.example ESMTP");
    r.ehlo = {QStringLiteral("PIPELINING"), QStringLiteral("SIZE 1000"), QStringLiteral("AUTH PLAIN LOGIN")};
    r.startTlsOffered = true;
    r.startTlsResult = QStringLiteral("220 2.0.0 Ready, then encrypted with TLSv1.3 (TLS_AES_256_GCM_SHA384)");
    r.tlsVersion = QStringLiteral("TLSv1.3");
    r.tlsCipher = QStringLiteral("TLS_AES_256_GCM_SHA384");
    r.certSubject = QStringLiteral("CN=smtp.office365.com");
    r.certIssuer = QStringLiteral("CN=Some CA");
    r.certSans = QStringLiteral("smtp.office365.com");
    r.certNotAfter = QStringLiteral("2030-01-01T00:00:00Z");
    r.certSha256 = QStringLiteral("AB:CD");
    r.authResult = QStringLiteral("accepted for user relay@example.com (PLAIN): 235 2.7.0 ok");
    r.tokenResult = QStringLiteral("access token from https://login.example/token (fetched, expires in 3599 s)");
    r.ms = 42;
    const QString text = rd::ui::probeReportText(r);
    QVERIFY2(text.contains(QLatin1String("OAuth token: access token from https://login.example/token")), qPrintable(text));
    // A token failure ends the test before any connection: the step is still shown.
    ProbeReport failed;
    failed.connector = QStringLiteral("m365");
    failed.error = QStringLiteral("token endpoint said invalid_client");
    failed.tokenResult = QStringLiteral("token endpoint said invalid_client: bad secret");
    const QString failedText = rd::ui::probeReportText(failed);
    QVERIFY2(failedText.contains(QLatin1String("OAuth token: token endpoint said invalid_client: bad secret")),
             qPrintable(failedText));
    for (const char *part : {"Test of \"m365\"", "Result: OK", "220 mail.example ESMTP", "SIZE 1000",
                             "encrypted with TLSv1.3", "CN=smtp.office365.com", "AB:CD", "accepted for user"})
        QVERIFY2(text.contains(QLatin1String(part)), part);
}

void TestSendConnectors::realEngine()
{
    const QString sinkBin = QStringLiteral("/usr/sbin/smtp-sink");
    if (!QFile::exists(sinkBin))
        QSKIP("Postfix's smtp-sink is not installed (apt-get install postfix)");
    QTemporaryDir dataDir;
    QVERIFY(dataDir.isValid());
    const quint16 listenPort = freePort();
    const quint16 sinkPort = freePort();
    const quint16 deadPort = freePort();
    QVERIFY(listenPort && sinkPort && deadPort && sinkPort != deadPort && listenPort != sinkPort);

    QProcess sink;
    QStringList args;
    if (::geteuid() == 0)
        args << QStringLiteral("-u") << QStringLiteral("postfix");
    args << QStringLiteral("127.0.0.1:%1").arg(sinkPort) << QStringLiteral("10");
    sink.setProcessChannelMode(QProcess::ForwardedChannels);
    sink.start(sinkBin, args);
    QVERIFY(sink.waitForStarted(5000));
    auto stopSink = qScopeGuard([&] {
        sink.kill();
        sink.waitForFinished(5000);
    });
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            QTcpSocket probe;
            probe.connectToHost(QHostAddress::LocalHost, sinkPort);
            return probe.waitForConnected(200);
        }(),
        10000);

    ConfigSnapshot config;
    config.listeners[0].name = QStringLiteral("main");
    config.listeners[0].port = listenPort;
    QString error;
    QVERIFY(config.setValue(QStringLiteral("server.hostname"), QStringLiteral("relay.example.test"), &error));

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
    SendConnectorModel *m = panel->sendModel();
    SendConnectorsBox *sendBox = panel->sendBox();
    auto *apply = panel->findChild<QPushButton *>(QStringLiteral("applyConnectors"));
    auto *test = panel->findChild<QPushButton *>(QStringLiteral("testSendConnector"));
    auto *result = panel->findChild<QPlainTextEdit *>(QStringLiteral("testResult"));
    QTRY_VERIFY_WITH_TIMEOUT(panel->hasConfig(), 10000);
    QCOMPARE(m->rowCount(), 0);

    // Four connectors, applied through the panel.
    auto make = [](const char *name, const char *domain, quint16 port, const char *tls) {
        SendConnectorConfig c;
        c.name = QLatin1String(name);
        c.domains = {QLatin1String(domain)};
        c.smartHosts = {QStringLiteral("127.0.0.1:%1").arg(port)};
        c.tls = QLatin1String(tls);
        c.connectTimeoutS = 5;
        c.commandTimeoutS = 10;
        return c;
    };
    m->addConnector(make("sink", "example.org", sinkPort, "opportunistic"));
    m->addConnector(make("dead", "dead.example", deadPort, "opportunistic"));
    m->addConnector(make("tls-required", "tls.example", sinkPort, "required"));
    SendConnectorConfig auth = make("auth", "auth.example", sinkPort, "opportunistic");
    auth.authUser = QStringLiteral("relay-user");
    auth.authPassword = kPassword;
    m->addConnector(auth);
    SendConnectorConfig mx = make("mx", "*", 0, "opportunistic");
    mx.route = QStringLiteral("mx");
    mx.smartHosts.clear();
    m->addConnector(mx);
    const QList<SendConnectorConfig> expected = m->connectors();
    QVERIFY(apply->isEnabled());
    QSignalSpy applied(facade, &EngineFacade::configApplied);
    QSignalSpy loaded(facade, &EngineFacade::configLoaded);
    apply->click();
    QTRY_COMPARE_WITH_TIMEOUT(applied.count(), 1, 10000);
    QVERIFY2(applied.at(0).at(0).toBool(), qPrintable(applied.at(0).at(1).toStringList().join(QLatin1Char('|'))));
    QVERIFY(panel->findChild<QLabel *>(QStringLiteral("connectorsStatus"))->text().contains(
        QStringLiteral("; 5 send connector")));
    // The engine's configuration in force has them in order, password included; the panel is clean.
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty() && !m->isDirty(), 10000);
    QCOMPARE(loaded.last().at(0).value<ConfigSnapshot>().sendConnectors, expected);
    QVERIFY(!apply->isEnabled());

    QSignalSpy tested(facade, &EngineFacade::connectorTested);
    // Selects `row`, clicks Test connection, checks the "Testing…" state and waits for the report.
    auto runTest = [&](int row, ProbeReport *out) {
        sendBox->table()->selectRow(row);
        const qsizetype before = tested.count();
        test->click();
        if (tested.count() != before || !sendBox->isTesting() || test->isEnabled()
            || test->text() != QStringLiteral("Testing\u2026")
            || !result->toPlainText().startsWith(QStringLiteral("Testing \"%1\"").arg(expected.at(row).name))) {
            qWarning("row %d: not in the testing state: %s", row, qPrintable(result->toPlainText()));
            return false;
        }
        if (!QTest::qWaitFor([&] { return tested.count() == before + 1; }, 30000))
            return false;
        *out = tested.last().at(1).value<ProbeReport>();
        return true;
    };

    // smtp-sink: banner and EHLO keywords; no STARTTLS offered.
    ProbeReport r;
    QVERIFY(runTest(0, &r));
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(tested.last().at(0).toString(), QStringLiteral("sink"));
    QCOMPARE(r.target, QStringLiteral("127.0.0.1:%1").arg(sinkPort));
    QVERIFY2(r.banner.startsWith(QStringLiteral("220 smtp-sink")), qPrintable(r.banner));
    QVERIFY2(r.ehlo.contains(QStringLiteral("PIPELINING")), qPrintable(r.ehlo.join(QLatin1Char(','))));
    QVERIFY(r.ehlo.contains(QStringLiteral("8BITMIME")));
    QVERIFY(r.ehlo.contains(QStringLiteral("AUTH PLAIN LOGIN")));
    QVERIFY(!r.startTlsOffered);
    QCOMPARE(r.startTlsResult, QStringLiteral("not offered by the server"));
    QVERIFY(r.tlsVersion.isEmpty());
    QCOMPARE(r.authResult, QStringLiteral("not configured (no credentials)"));
    QVERIFY(r.ms >= 0);
    QString text = result->toPlainText();
    for (const char *part : {"Result: OK", "220 smtp-sink", "PIPELINING", "8BITMIME", "not offered by the server"})
        QVERIFY2(text.contains(QLatin1String(part)), qPrintable(text));
    QVERIFY(test->isEnabled());
    if (const QString dir = qEnvironmentVariable("RELAYDESK_GRAB_DIR"); !dir.isEmpty()) {
        panel->resize(1100, 760);
        panel->show();
        QVERIFY(QTest::qWaitForWindowExposed(panel));
        QVERIFY(panel->grab().save(QDir(dir).filePath(QStringLiteral("connectors-send-test.png"))));
    }

    // A dead port: the connect error.
    QVERIFY(runTest(1, &r));
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QStringLiteral("connect to 127.0.0.1:%1").arg(deadPort)), qPrintable(r.error));
    QVERIFY2(r.error.contains(QStringLiteral("refused"), Qt::CaseInsensitive), qPrintable(r.error));
    QVERIFY(r.banner.isEmpty());
    QVERIFY(result->toPlainText().contains(QStringLiteral("Result: FAILED. connect to 127.0.0.1:%1").arg(deadPort)));

    // TLS required, but smtp-sink offers no STARTTLS.
    QVERIFY(runTest(2, &r));
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QStringLiteral("does not offer STARTTLS")), qPrintable(r.error));
    QVERIFY(r.banner.startsWith(QStringLiteral("220 smtp-sink")));

    // Credentials, no encryption: the password is not sent, and appears nowhere.
    QVERIFY(runTest(3, &r));
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QStringLiteral("not sending the password in clear")), qPrintable(r.error));
    QVERIFY2(r.authResult.startsWith(QStringLiteral("not attempted for user relay-user")), qPrintable(r.authResult));
    QVERIFY(!result->toPlainText().contains(kPassword));
    QVERIFY(!r.error.contains(kPassword) && !r.authResult.contains(kPassword));

    // An MX route needs a server to test.
    sendBox->table()->selectRow(4);
    auto *mxHost = panel->findChild<QLineEdit *>(QStringLiteral("mxTestHost"));
    QVERIFY(mxHost->isVisibleTo(panel));
    const qsizetype before = tested.count();
    test->click();
    QCOMPARE(tested.count(), before);
    QVERIFY(result->toPlainText().contains(QStringLiteral("Enter one mail server to test")));
    mxHost->setText(QStringLiteral("127.0.0.1:%1").arg(sinkPort));
    QVERIFY(runTest(4, &r));
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(tested.last().at(0).toString(), QStringLiteral("mx"));
    QVERIFY(r.banner.startsWith(QStringLiteral("220 smtp-sink")));
}

QTEST_MAIN(TestSendConnectors)
#include "tst_sendconnectors.moc"

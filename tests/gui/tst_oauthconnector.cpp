// OAuth 2.0 send connectors in the Connectors panel: the provider presets, the
// Authentication section (None / Password / OAuth 2.0) with its inline
// validation, secrets that are never shown back after saving (through a real
// config.db), the client certificate PEM picked from a file (made by the
// openssl CLI; the split key is checked by signing a JWT assertion and having
// PyJWT verify it), the delegated sign-in against a real engine (URL opened
// through a replaceable opener, Cancel reaches the engine) and the token step
// in the Test connection report.
//
// Set RELAYDESK_GRAB_DIR to a folder to save a screenshot of the dialog with
// the Microsoft 365 preset (oauth-connector-dialog.png).

#include "connectors/connectorpresets.h"
#include "connectors/connectorspanel.h"
#include "connectors/oauthsettingsbox.h"
#include "connectors/oauthsignin.h"
#include "connectors/sendconnectordialog.h"
#include "connectors/sendconnectormodel.h"
#include "connectors/sendconnectorsbox.h"

#include "config/configsnapshot.h"
#include "config/configstore.h"
#include "engine/engine.h"
#include "engine/enginefacade.h"
#include "oauth/jwtassertion.h"
#include "oauth/oauthsettings.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QHostAddress>
#include <QScopeGuard>
#include <QTableView>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QUrlQuery>

using rd::config::ConfigSnapshot;
using rd::config::SendConnectorConfig;
using rd::engine::EngineFacade;
using rd::ui::ConnectorsPanel;
using rd::ui::OAuthSettingsBox;
using rd::ui::SendConnectorDialog;
using rd::ui::SendConnectorsBox;

namespace {

const QString kSecret = QStringLiteral("Zx8~client-secret-value");
const QString kRefresh = QStringLiteral("1//refresh-token-value");

template<typename T>
T *in(QWidget *w, const char *name)
{
    return w->findChild<T *>(QLatin1String(name));
}

bool invalid(QWidget *w)
{
    return w->property("invalid").toBool();
}

// Runs a program; its standard output, or a null array on failure.
QByteArray run(const QString &program, const QStringList &args, const QByteArray &input = {})
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForStarted(5000))
        return {};
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(30000) || p.exitCode() != 0)
        return {};
    return p.readAllStandardOutput().isEmpty() ? QByteArray("ok") : p.readAllStandardOutput();
}

} // namespace

class TestOAuthConnector : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void eachPresetFillsTheDialog_data();
    void eachPresetFillsTheDialog();
    void oauthValidationIsInline();
    void secretsAreStoredNotShown();
    void certificatePemFromFile();
    void signInWithoutEngineReportsError();
    void signInOpensUrlAndCancelReachesEngine();
    void signInCompletesAgainstTokenServer();
    void screenshotMicrosoft365();

private:
    SendConnectorDialog *openPreset(const char *action);

    QTemporaryDir m_dir;
    EngineFacade *m_facade = nullptr;
    ConnectorsPanel *m_panel = nullptr;
};

void TestOAuthConnector::init()
{
    m_facade = new EngineFacade(nullptr, m_dir.path());
    m_panel = new ConnectorsPanel(m_facade);
    m_panel->resize(1000, 700);
    m_panel->setConfig(ConfigSnapshot());
}

void TestOAuthConnector::cleanup()
{
    delete m_panel;
    m_panel = nullptr;
    delete m_facade;
    m_facade = nullptr;
}

SendConnectorDialog *TestOAuthConnector::openPreset(const char *action)
{
    auto *add = in<QPushButton>(m_panel, "addConnectorHint");
    if (!add || !add->menu())
        return nullptr;
    auto *a = add->menu()->findChild<QAction *>(QLatin1String(action));
    if (!a)
        return nullptr;
    a->trigger();
    return m_panel->sendBox()->dialog();
}

void TestOAuthConnector::eachPresetFillsTheDialog_data()
{
    // The expected values are the providers' documented settings (issue #9).
    QTest::addColumn<QString>("action");
    QTest::addColumn<QString>("hostPattern"); // regular expression for the one smart host; "" none
    QTest::addColumn<QString>("tls");
    QTest::addColumn<int>("auth");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("flow");
    QTest::addColumn<QString>("provider");
    QTest::addColumn<QString>("scope");
    QTest::addColumn<QString>("checklistWord");
    QTest::addColumn<QString>("fix"); // a field value that makes the connector valid: "object=value"

    const int none = SendConnectorDialog::NoAuth, pw = SendConnectorDialog::PasswordAuth,
              oauth = SendConnectorDialog::OAuthAuth;
    QTest::newRow("m365") << "presetMicrosoft365" << "smtp\\.office365\\.com:587" << "verify" << oauth << ""
                          << "client_credentials" << "microsoft365" << "https://outlook.office365.com/.default"
                          << "New-ServicePrincipal" << "";
    QTest::newRow("m365-direct") << "presetMicrosoft365Direct" << "" << "verify" << none << "" << "" << "" << ""
                                 << "mail.protection.outlook.com"
                                 << "hostsEdit=contoso-com.mail.protection.outlook.com:25";
    QTest::newRow("gmail") << "presetGmail" << "smtp\\.gmail\\.com:587" << "verify" << oauth << ""
                           << "authorization_code" << "google" << "https://mail.google.com/" << "Desktop app" << "";
    QTest::newRow("gmail-relay") << "presetGmailRelay" << "smtp-relay\\.gmail\\.com:587" << "verify" << none << ""
                                 << "" << "" << "" << "IP address" << "";
    QTest::newRow("ses") << "presetAmazonSes" << "email-smtp\\.[a-z0-9-]+\\.amazonaws\\.com:587" << "verify" << pw
                         << "" << "" << "" << "" << "SMTP credentials" << "authUserEdit=AKIAEXAMPLE";
    QTest::newRow("sendgrid") << "presetSendGrid" << "smtp\\.sendgrid\\.net:587" << "verify" << pw << "apikey" << ""
                              << "" << "" << "API Key" << "passwordEdit=SG.key";
    QTest::newRow("mailgun") << "presetMailgun" << "smtp\\.mailgun\\.org:587" << "verify" << pw << "" << "" << ""
                             << "" << "SMTP credentials" << "authUserEdit=relay@mg.example.com";
}

void TestOAuthConnector::eachPresetFillsTheDialog()
{
    QFETCH(QString, action);
    QFETCH(QString, hostPattern);
    QFETCH(QString, tls);
    QFETCH(int, auth);
    QFETCH(QString, user);
    QFETCH(QString, flow);
    QFETCH(QString, provider);
    QFETCH(QString, scope);
    QFETCH(QString, checklistWord);
    QFETCH(QString, fix);

    SendConnectorDialog *dialog = openPreset(action.toLatin1().constData());
    QVERIFY(dialog);
    const SendConnectorConfig c = dialog->connector();
    if (hostPattern.isEmpty()) {
        QVERIFY(c.smartHosts.isEmpty());
    } else {
        QCOMPARE(c.smartHosts.size(), 1);
        QVERIFY2(QRegularExpression(QStringLiteral("^%1$").arg(hostPattern)).match(c.smartHosts.first()).hasMatch(),
                 qPrintable(c.smartHosts.first()));
    }
    QCOMPARE(c.route, QStringLiteral("smarthost"));
    QCOMPARE(c.tls, tls);
    QVERIFY(!c.implicitTls);
    QCOMPARE(int(dialog->authMode()), auth);
    QCOMPARE(c.usesOAuth(), auth == SendConnectorDialog::OAuthAuth);
    QCOMPARE(in<QLineEdit>(dialog, "authUserEdit")->isVisibleTo(dialog), auth == SendConnectorDialog::PasswordAuth);
    QCOMPARE(dialog->oauthBox()->isVisibleTo(dialog), auth == SendConnectorDialog::OAuthAuth);
    QCOMPARE(c.authUser, user);
    if (c.usesOAuth()) {
        QCOMPARE(c.oauth.flow, flow);
        QCOMPARE(c.oauth.provider, provider);
        QCOMPARE(c.oauth.effectiveScope(), scope);
        QCOMPARE(c.oauth.sasl, QStringLiteral("xoauth2"));
        // The delegated flow shows the sign-in row; client credentials do not.
        QCOMPARE(in<QPushButton>(dialog, "oauthSignInButton")->isVisibleTo(dialog), flow == "authorization_code");
    }
    auto *note = in<QLabel>(dialog, "presetNote");
    QVERIFY(note->isVisibleTo(dialog));
    QVERIFY2(note->text().contains(checklistWord), qPrintable(note->text()));
    QVERIFY(!c.name.isEmpty());

    // What remains to fill in is named, and OK waits for it.
    auto *ok = dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    if (!fix.isEmpty()) {
        QVERIFY(!dialog->errors().isEmpty());
        QVERIFY(!ok->isEnabled());
        const QString object = fix.section(QLatin1Char('='), 0, 0);
        in<QLineEdit>(dialog, object.toLatin1().constData())->setText(fix.section(QLatin1Char('='), 1));
        if (auth == SendConnectorDialog::PasswordAuth && object == QLatin1String("authUserEdit"))
            in<QLineEdit>(dialog, "passwordEdit")->setText(QStringLiteral("pw"));
    }
    if (!c.usesOAuth()) {
        QVERIFY2(dialog->errors().isEmpty(), qPrintable(dialog->errors().join(QLatin1Char('\n'))));
        QVERIFY(ok->isEnabled());
        dialog->accept();
        QCOMPARE(m_panel->sendModel()->rowCount(), 1);
        const SendConnectorConfig saved = m_panel->sendModel()->connector(0);
        QVERIFY(rd::config::validateSendConnectors({saved}).isEmpty());
    } else {
        dialog->reject();
    }
}

void TestOAuthConnector::oauthValidationIsInline()
{
    SendConnectorDialog *dialog = openPreset("presetMicrosoft365");
    QVERIFY(dialog);
    OAuthSettingsBox *box = dialog->oauthBox();
    auto *ok = dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    auto *tenant = in<QLineEdit>(box, "oauthTenantEdit");
    auto *clientId = in<QLineEdit>(box, "oauthClientIdEdit");
    auto *secret = in<QLineEdit>(box, "oauthSecretEdit");
    auto *mailbox = in<QLineEdit>(box, "oauthMailboxEdit");
    QCOMPARE(secret->echoMode(), QLineEdit::Password);

    // Empty: every missing piece is named and marked; core's validateOAuth agrees.
    QVERIFY(!rd::oauth::validateOAuth(dialog->connector().oauth, QStringLiteral("x")).isEmpty());
    QVERIFY(!ok->isEnabled());
    const QString all = dialog->errors().join(QLatin1Char('\n'));
    for (const char *part : {"client_id is required", "tenant", "mailbox", "Enter the client secret"})
        QVERIFY2(all.contains(QLatin1String(part)), qPrintable(all));
    QVERIFY(invalid(tenant) && invalid(clientId) && invalid(secret) && invalid(mailbox));
    // The errors are not mis-filed under the routing fields.
    QVERIFY(!invalid(in<QLineEdit>(dialog, "domainsEdit")));
    QVERIFY(!invalid(in<QLineEdit>(dialog, "nameEdit")));

    tenant->setText(QStringLiteral("contoso.onmicrosoft.com"));
    clientId->setText(QStringLiteral("11111111-2222-3333-4444-555555555555"));
    secret->setText(kSecret);
    mailbox->setText(QStringLiteral("scanner@contoso.com"));
    QVERIFY2(dialog->errors().isEmpty(), qPrintable(dialog->errors().join(QLatin1Char('\n'))));
    QVERIFY(ok->isEnabled());
    QVERIFY(!invalid(tenant) && !invalid(clientId) && !invalid(secret) && !invalid(mailbox));
    const SendConnectorConfig c = dialog->connector();
    QCOMPARE(c.oauth.effectiveTokenEndpoint(),
             QStringLiteral("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"));
    QCOMPARE(c.oauthSecrets.clientSecret, kSecret);
    QVERIFY(c.authUser.isEmpty());
    QVERIFY(rd::config::validateSendConnectors({c}).isEmpty());

    // A malformed tenant.
    tenant->setText(QStringLiteral("contoso com"));
    QVERIFY(invalid(tenant));
    QVERIFY(!ok->isEnabled());
    tenant->setText(QStringLiteral("contoso.com"));
    QVERIFY(!invalid(tenant));

    // A custom provider needs its own https endpoint (http only to loopback).
    auto *provider = in<QComboBox>(box, "oauthProviderCombo");
    provider->setCurrentIndex(provider->findData(QStringLiteral("custom")));
    auto *token = in<QLineEdit>(box, "oauthTokenEndpointEdit");
    QVERIFY(token->isVisibleTo(dialog));
    QVERIFY(invalid(token));
    token->setText(QStringLiteral("http://login.example.com/token"));
    QVERIFY(invalid(token));
    QVERIFY2(token->toolTip().contains(QLatin1String("https")), qPrintable(token->toolTip()));
    token->setText(QStringLiteral("http://127.0.0.1:8080/token"));
    QVERIFY(!invalid(token));
    in<QLineEdit>(box, "oauthScopeEdit")->clear(); // the preset's; a custom provider has no default
    QVERIFY(invalid(in<QLineEdit>(box, "oauthScopeEdit")));
    in<QLineEdit>(box, "oauthScopeEdit")->setText(QStringLiteral("smtp.send"));
    QVERIFY2(dialog->errors().isEmpty(), qPrintable(dialog->errors().join(QLatin1Char('\n'))));

    // Client credentials cannot use a public client.
    auto *clientAuth = in<QComboBox>(box, "oauthClientAuthCombo");
    clientAuth->setCurrentIndex(clientAuth->findData(QStringLiteral("none")));
    QVERIFY(invalid(clientAuth));
    QVERIFY(!ok->isEnabled());
    dialog->reject();
}

void TestOAuthConnector::secretsAreStoredNotShown()
{
    // Save an OAuth connector made in the dialog to a real config.db and load it again.
    SendConnectorDialog *dialog = openPreset("presetMicrosoft365");
    QVERIFY(dialog);
    OAuthSettingsBox *box = dialog->oauthBox();
    in<QLineEdit>(box, "oauthTenantEdit")->setText(QStringLiteral("contoso.com"));
    in<QLineEdit>(box, "oauthClientIdEdit")->setText(QStringLiteral("app-1"));
    in<QLineEdit>(box, "oauthSecretEdit")->setText(kSecret);
    in<QLineEdit>(box, "oauthMailboxEdit")->setText(QStringLiteral("scanner@contoso.com"));
    QVERIFY(dialog->errors().isEmpty());
    dialog->accept();
    SendConnectorConfig m365 = m_panel->sendModel()->connector(0);
    QCOMPARE(m365.oauthSecrets.clientSecret, kSecret);

    SendConnectorConfig gmail = rd::ui::findConnectorPreset(QStringLiteral("gmail"))->connector;
    gmail.name = QStringLiteral("gmail");
    gmail.oauth.clientId = QStringLiteral("123.apps.googleusercontent.com");
    gmail.oauth.mailbox = QStringLiteral("relay@example.com");
    gmail.oauthSecrets.clientSecret = QStringLiteral("gmail-secret");
    gmail.oauthSecrets.refreshToken = kRefresh;
    ConfigSnapshot config;
    config.sendConnectors = {m365, gmail};
    QTemporaryDir data;
    {
        rd::config::ConfigStore store(data.path());
        QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
        QVERIFY2(store.save(config), qPrintable(store.errorString()));
    }
    ConfigSnapshot loaded;
    {
        rd::config::ConfigStore store(data.path());
        loaded = store.load();
    }
    QCOMPARE(loaded.sendConnectors.size(), 2);
    QCOMPARE(loaded.sendConnectors.at(1).oauthSecrets.refreshToken, kRefresh);

    delete m_panel;
    m_panel = new ConnectorsPanel(m_facade);
    m_panel->setConfig(loaded);
    SendConnectorsBox *sendBox = m_panel->sendBox();
    sendBox->table()->selectRow(0);
    sendBox->editSelected();
    dialog = sendBox->dialog();
    QVERIFY(dialog);
    QCOMPARE(dialog->authMode(), SendConnectorDialog::OAuthAuth);
    auto *secret = in<QLineEdit>(dialog->oauthBox(), "oauthSecretEdit");
    QCOMPARE(secret->text(), QString());
    QCOMPARE(secret->placeholderText(), QStringLiteral("(stored)"));
    for (QLineEdit *e : dialog->findChildren<QLineEdit *>())
        QVERIFY(!e->text().contains(kSecret) && !e->placeholderText().contains(kSecret));
    for (QLabel *l : dialog->findChildren<QLabel *>())
        QVERIFY(!l->text().contains(kSecret));
    QVERIFY(dialog->errors().isEmpty()); // the stored secret counts
    QCOMPARE(dialog->connector().oauthSecrets.clientSecret, kSecret);
    secret->setText(QStringLiteral("replaced"));
    QCOMPARE(dialog->connector().oauthSecrets.clientSecret, QStringLiteral("replaced"));
    secret->clear();
    QCOMPARE(dialog->connector().oauthSecrets.clientSecret, kSecret);
    dialog->accept();
    QCOMPARE(m_panel->sendModel()->connector(0), loaded.sendConnectors.at(0)); // unchanged

    // Delegated: the refresh token is named as stored, never shown, and
    // dropped when the mailbox it belongs to changes.
    sendBox->table()->selectRow(1);
    sendBox->editSelected();
    dialog = sendBox->dialog();
    auto *status = in<QLabel>(dialog->oauthBox(), "oauthSignInStatus");
    QVERIFY2(status->text().contains(QLatin1String("refresh token is stored")), qPrintable(status->text()));
    for (QLabel *l : dialog->findChildren<QLabel *>())
        QVERIFY(!l->text().contains(kRefresh));
    QCOMPARE(dialog->connector().oauthSecrets.refreshToken, kRefresh);
    in<QLineEdit>(dialog->oauthBox(), "oauthMailboxEdit")->setText(QStringLiteral("other@example.com"));
    QCOMPARE(dialog->connector().oauthSecrets.refreshToken, QString());
    QVERIFY(status->text().contains(QLatin1String("Not signed in")));
    // Switching to no authentication drops every secret.
    auto *mode = in<QComboBox>(dialog, "authModeCombo");
    mode->setCurrentIndex(mode->findData(int(SendConnectorDialog::NoAuth)));
    QVERIFY(dialog->connector().oauthSecrets.isEmpty());
    QVERIFY(!dialog->connector().usesOAuth());
    dialog->reject();
}

void TestOAuthConnector::certificatePemFromFile()
{
    QTemporaryDir dir;
    const QString key = dir.filePath(QStringLiteral("app.key"));
    const QString cert = dir.filePath(QStringLiteral("app.crt"));
    if (run(QStringLiteral("openssl"), {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                                        QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"),
                                        key, QStringLiteral("-out"), cert, QStringLiteral("-days"), QStringLiteral("2"),
                                        QStringLiteral("-subj"), QStringLiteral("/CN=relaydesk-test-app")})
            .isNull())
        QSKIP("openssl CLI not available");
    // One file with both, as many admins export it.
    QFile k(key), c(cert);
    QVERIFY(k.open(QIODevice::ReadOnly) && c.open(QIODevice::ReadOnly));
    const QByteArray keyPem = k.readAll(), certPem = c.readAll();
    const QString both = dir.filePath(QStringLiteral("both.pem"));
    QFile b(both);
    QVERIFY(b.open(QIODevice::WriteOnly));
    b.write("Bag Attributes: friendly name\n" + certPem + keyPem);
    b.close();

    SendConnectorDialog *dialog = openPreset("presetMicrosoft365");
    QVERIFY(dialog);
    OAuthSettingsBox *box = dialog->oauthBox();
    in<QLineEdit>(box, "oauthTenantEdit")->setText(QStringLiteral("contoso.com"));
    in<QLineEdit>(box, "oauthClientIdEdit")->setText(QStringLiteral("app-1"));
    in<QLineEdit>(box, "oauthMailboxEdit")->setText(QStringLiteral("scanner@contoso.com"));
    auto *clientAuth = in<QComboBox>(box, "oauthClientAuthCombo");
    clientAuth->setCurrentIndex(clientAuth->findData(QStringLiteral("certificate")));
    QVERIFY(!in<QLineEdit>(box, "oauthSecretEdit")->isVisibleTo(dialog));
    auto *certStatus = in<QLabel>(box, "oauthCertificateStatus");
    QVERIFY(certStatus->isVisibleTo(dialog));
    QVERIFY(invalid(certStatus)); // no certificate, no key yet
    const QString before = dialog->errors().join(QLatin1Char('\n'));
    QVERIFY2(before.contains(QLatin1String("certificate")) && before.contains(QLatin1String("private key")),
             qPrintable(before));

    QString error;
    QVERIFY(!box->loadPemFile(dir.filePath(QStringLiteral("missing.pem")), &error));
    QVERIFY(error.contains(QLatin1String("Cannot read")));
    QVERIFY(!box->loadPem("not a pem at all", &error));
    QVERIFY(error.contains(QLatin1String("No PEM")));
    QVERIFY(!box->loadPem("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n", &error));
    QVERIFY(error.contains(QLatin1String("password")));

    // The certificate file alone, then the key file: both end up in place.
    QVERIFY2(box->loadPemFile(cert, &error), qPrintable(error));
    QVERIFY(dialog->errors().join(QLatin1Char('\n')).contains(QLatin1String("private key")));
    QVERIFY2(box->loadPemFile(both, &error), qPrintable(error));
    QVERIFY2(dialog->errors().isEmpty(), qPrintable(dialog->errors().join(QLatin1Char('\n'))));
    QVERIFY(!invalid(certStatus));
    QVERIFY(!certStatus->text().contains(QLatin1String("BEGIN")));
    const SendConnectorConfig conn = dialog->connector();
    QCOMPARE(conn.oauth.clientAuth, QStringLiteral("certificate"));
    QVERIFY(conn.oauth.certificatePem.startsWith(QLatin1String("-----BEGIN CERTIFICATE-----")));
    QVERIFY(!conn.oauth.certificatePem.contains(QLatin1String("PRIVATE")));
    QVERIFY(conn.oauthSecrets.privateKeyPem.contains(QLatin1String("PRIVATE KEY-----")));
    QVERIFY(conn.oauthSecrets.clientSecret.isEmpty());

    // The pieces work together: core signs a client assertion with them and
    // PyJWT (an independent implementation) verifies it with the certificate.
    rd::oauth::ClientAssertionRequest r;
    r.clientId = conn.oauth.clientId;
    r.audience = conn.oauth.effectiveTokenEndpoint();
    r.privateKeyPem = conn.oauthSecrets.privateKeyPem.toLatin1();
    r.certificatePem = conn.oauth.certificatePem.toLatin1();
    const rd::oauth::ClientAssertion a = rd::oauth::makeClientAssertion(r);
    QVERIFY2(a.ok(), qPrintable(a.error));
    const QByteArray script =
        "import sys, jwt\n"
        "from cryptography import x509\n"
        "cert = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())\n"
        "claims = jwt.decode(sys.stdin.read().strip(), cert.public_key(), algorithms=['RS256'], audience=sys.argv[2])\n"
        "assert claims['iss'] == 'app-1' and claims['sub'] == 'app-1'\n";
    QFile scriptFile(dir.filePath(QStringLiteral("verify.py")));
    QVERIFY(scriptFile.open(QIODevice::WriteOnly));
    scriptFile.write(script);
    scriptFile.close();
    if (run(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), QStringLiteral("import jwt, cryptography")})
            .isNull())
        QSKIP("python3-jwt / python3-cryptography not installed; the PEM split was checked without PyJWT");
    QVERIFY(!run(QStringLiteral("/usr/bin/python3"), {scriptFile.fileName(), cert, r.audience}, a.jwt).isNull());
    dialog->reject();
}

void TestOAuthConnector::signInWithoutEngineReportsError()
{
    SendConnectorDialog *dialog = openPreset("presetGmail");
    QVERIFY(dialog);
    OAuthSettingsBox *box = dialog->oauthBox();
    auto *signIn = in<QPushButton>(box, "oauthSignInButton");
    QVERIFY(!signIn->isEnabled()); // no client id yet
    in<QLineEdit>(box, "oauthClientIdEdit")->setText(QStringLiteral("123.apps.googleusercontent.com"));
    in<QLineEdit>(box, "oauthSecretEdit")->setText(QStringLiteral("s"));
    in<QLineEdit>(box, "oauthMailboxEdit")->setText(QStringLiteral("relay@example.com"));
    QVERIFY(signIn->isEnabled());
    int opened = 0;
    dialog->signIn()->setOpener([&opened](const QUrl &) {
        ++opened;
        return true;
    });
    QSignalSpy finished(dialog->signIn(), &rd::ui::OAuthSignIn::finished);
    signIn->click();
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.first().at(0).toBool(), false);
    QCOMPARE(opened, 0);
    const QString status = in<QLabel>(box, "oauthSignInStatus")->text();
    QVERIFY2(status.contains(QLatin1String("Sign-in failed: no engine")), qPrintable(status));
    QVERIFY(!in<QPushButton>(box, "oauthCancelSignInButton")->isVisibleTo(dialog));
    dialog->reject();
}

void TestOAuthConnector::signInOpensUrlAndCancelReachesEngine()
{
    QTemporaryDir dataDir;
    ConfigSnapshot config;
    auto *engine = new rd::engine::Engine(dataDir.path(), config, false);
    QThread thread;
    engine->moveToThread(&thread);
    thread.start();
    auto *facade = new EngineFacade(engine, dataDir.path());
    auto *panel = new ConnectorsPanel(facade);
    auto stop = qScopeGuard([&] {
        delete panel;
        QMetaObject::invokeMethod(engine, &rd::engine::Engine::stop, Qt::BlockingQueuedConnection);
        thread.quit();
        thread.wait();
        delete facade;
        delete engine;
    });
    panel->setConfig(ConfigSnapshot());
    panel->sendBox()->addPresetById(QStringLiteral("gmail"));
    SendConnectorDialog *dialog = panel->sendBox()->dialog();
    QVERIFY(dialog);
    OAuthSettingsBox *box = dialog->oauthBox();
    in<QLineEdit>(box, "oauthClientIdEdit")->setText(QStringLiteral("123.apps.googleusercontent.com"));
    in<QLineEdit>(box, "oauthSecretEdit")->setText(QStringLiteral("s"));
    in<QLineEdit>(box, "oauthMailboxEdit")->setText(QStringLiteral("relay@example.com"));
    QList<QUrl> opened;
    dialog->signIn()->setOpener([&opened](const QUrl &url) {
        opened << url;
        return true;
    });
    QSignalSpy finished(dialog->signIn(), &rd::ui::OAuthSignIn::finished);
    in<QPushButton>(box, "oauthSignInButton")->click();
    QTRY_COMPARE_WITH_TIMEOUT(opened.size(), 1, 10000);
    const QUrl url = opened.first();
    QCOMPARE(url.scheme(), QStringLiteral("https"));
    QCOMPARE(url.host(), QStringLiteral("accounts.google.com"));
    const QUrlQuery q(url);
    QCOMPARE(q.queryItemValue(QStringLiteral("client_id")), QStringLiteral("123.apps.googleusercontent.com"));
    QCOMPARE(q.queryItemValue(QStringLiteral("code_challenge_method")), QStringLiteral("S256"));
    QCOMPARE(QUrl::fromPercentEncoding(q.queryItemValue(QStringLiteral("scope")).toLatin1()),
             QStringLiteral("https://mail.google.com/"));
    const QUrl redirect(QUrl::fromPercentEncoding(q.queryItemValue(QStringLiteral("redirect_uri")).toLatin1()));
    QCOMPARE(redirect.host(), QStringLiteral("127.0.0.1"));
    QVERIFY(redirect.port() > 0);
    auto *status = in<QLabel>(box, "oauthSignInStatus");
    QVERIFY2(status->text().contains(QLatin1String("Waiting for the browser")), qPrintable(status->text()));
    auto *cancel = in<QPushButton>(box, "oauthCancelSignInButton");
    QVERIFY(cancel->isVisibleTo(dialog));
    QVERIFY(!in<QPushButton>(box, "oauthSignInButton")->isEnabled());

    // The engine listens on the loopback redirect until Cancel.
    {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, quint16(redirect.port()));
        QVERIFY(s.waitForConnected(5000));
    }
    cancel->click();
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.first().at(0).toBool(), false);
    QVERIFY(status->text().contains(QLatin1String("cancelled")));
    QVERIFY(!cancel->isVisibleTo(dialog));
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            QTcpSocket s;
            s.connectToHost(QHostAddress::LocalHost, quint16(redirect.port()));
            return !s.waitForConnected(300);
        }(),
        10000);
    dialog->reject();
}

void TestOAuthConnector::signInCompletesAgainstTokenServer()
{
    // The whole delegated sign-in from the dialog: a real engine, the
    // integration tests' oauthlib token server (authorization code + PKCE), and
    // a scripted "browser" that follows /authorize's redirect to the engine.
    if (run(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), QStringLiteral("import oauthlib, jwt")}).isNull())
        QSKIP("python3-oauthlib / python3-jwt not installed");
    // QFINDTESTDATA copes with a relative __FILE__ (ccache base_dir); the server must be found, not skipped.
    const QString serverScript = QFINDTESTDATA("../integration/oauth_token_server.py");
    QVERIFY2(!serverScript.isEmpty(), "tests/integration/oauth_token_server.py not found");
    const QString integration = QFileInfo(serverScript).absolutePath();
    const QString script = QStringLiteral(
        "import sys, json\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from oauth_token_server import TokenServer, Client\n"
        "srv = TokenServer()\n"
        "srv.add_client(Client('gui-app', secret='gui-secret', scopes=['smtp.send']))\n"
        "srv.signed_in_user = 'relay@example.com'\n"
        "srv.start()\n"
        "print(srv.port, flush=True)\n"
        "sys.stdin.read()\n"
        "print(json.dumps([list(r) for r in srv.store.requests]), flush=True)\n");
    QProcess server;
    server.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-u"), QStringLiteral("-c"), script, integration});
    QVERIFY(server.waitForStarted(5000));
    auto stopServer = qScopeGuard([&] {
        server.kill();
        server.waitForFinished(5000);
    });
    QVERIFY(server.waitForReadyRead(10000));
    const int port = server.readLine().trimmed().toInt();
    QVERIFY2(port > 0, server.readAllStandardError().constData());

    QTemporaryDir dataDir;
    auto *engine = new rd::engine::Engine(dataDir.path(), ConfigSnapshot(), false);
    QThread thread;
    engine->moveToThread(&thread);
    thread.start();
    auto *facade = new EngineFacade(engine, dataDir.path());
    auto *panel = new ConnectorsPanel(facade);
    auto stop = qScopeGuard([&] {
        delete panel;
        QMetaObject::invokeMethod(engine, &rd::engine::Engine::stop, Qt::BlockingQueuedConnection);
        thread.quit();
        thread.wait();
        delete facade;
        delete engine;
    });
    panel->setConfig(ConfigSnapshot());
    panel->sendBox()->addPresetById(QStringLiteral("gmail"));
    SendConnectorDialog *dialog = panel->sendBox()->dialog();
    QVERIFY(dialog);
    OAuthSettingsBox *box = dialog->oauthBox();
    auto *provider = in<QComboBox>(box, "oauthProviderCombo");
    provider->setCurrentIndex(provider->findData(QStringLiteral("custom")));
    in<QLineEdit>(box, "oauthTokenEndpointEdit")->setText(QStringLiteral("http://127.0.0.1:%1/token").arg(port));
    in<QLineEdit>(box, "oauthAuthorizeEndpointEdit")->setText(QStringLiteral("http://127.0.0.1:%1/authorize").arg(port));
    in<QLineEdit>(box, "oauthScopeEdit")->setText(QStringLiteral("smtp.send"));
    in<QLineEdit>(box, "oauthClientIdEdit")->setText(QStringLiteral("gui-app"));
    in<QLineEdit>(box, "oauthSecretEdit")->setText(QStringLiteral("gui-secret"));
    in<QLineEdit>(box, "oauthMailboxEdit")->setText(QStringLiteral("relay@example.com"));
    QVERIFY2(dialog->errors().isEmpty(), qPrintable(dialog->errors().join(QLatin1Char('\n'))));

    QNetworkAccessManager browser;
    int opened = 0;
    dialog->signIn()->setOpener([&](const QUrl &url) {
        ++opened;
        QNetworkReply *reply = browser.get(QNetworkRequest(url)); // follows the redirect to the engine
        QObject::connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
        return true;
    });
    QSignalSpy finished(dialog->signIn(), &rd::ui::OAuthSignIn::finished);
    in<QPushButton>(box, "oauthSignInButton")->click();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 20000);
    QCOMPARE(opened, 1);
    auto *status = in<QLabel>(box, "oauthSignInStatus");
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(status->text()));
    QVERIFY2(status->text().contains(QLatin1String("Signed in")), qPrintable(status->text()));
    QVERIFY(!in<QPushButton>(box, "oauthCancelSignInButton")->isVisibleTo(dialog));

    // The token endpoint saw one successful code exchange by this client.
    server.closeWriteChannel();
    QVERIFY(server.waitForFinished(10000));
    const QByteArray requests = server.readAllStandardOutput();
    QVERIFY2(requests.contains("[\"authorization_code\", \"gui-app\", true]"), requests.constData());
    dialog->reject();
}

void TestOAuthConnector::screenshotMicrosoft365()
{
    SendConnectorDialog *dialog = openPreset("presetMicrosoft365");
    QVERIFY(dialog);
    OAuthSettingsBox *box = dialog->oauthBox();
    in<QLineEdit>(box, "oauthTenantEdit")->setText(QStringLiteral("contoso.onmicrosoft.com"));
    in<QLineEdit>(box, "oauthClientIdEdit")->setText(QStringLiteral("6731de76-14a6-49ae-97bc-6eba6914391e"));
    in<QLineEdit>(box, "oauthMailboxEdit")->setText(QStringLiteral("scanner@contoso.com"));
    // The secret is left empty: the screenshot shows its inline error.
    QCOMPARE(dialog->errors().size(), 1);
    const QString dir = qEnvironmentVariable("RELAYDESK_GRAB_DIR");
    if (dir.isEmpty())
        QSKIP("set RELAYDESK_GRAB_DIR to save the screenshot");
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    QTest::qWait(200);
    QVERIFY(QDir().mkpath(dir));
    QVERIFY(dialog->grab().save(QDir(dir).filePath(QStringLiteral("oauth-connector-dialog.png"))));
    dialog->reject();
    // The delegated flow with its sign-in row.
    dialog = openPreset("presetGmail");
    QVERIFY(dialog);
    in<QLineEdit>(dialog->oauthBox(), "oauthClientIdEdit")->setText(QStringLiteral("123.apps.googleusercontent.com"));
    in<QLineEdit>(dialog->oauthBox(), "oauthSecretEdit")->setText(QStringLiteral("s"));
    in<QLineEdit>(dialog->oauthBox(), "oauthMailboxEdit")->setText(QStringLiteral("relay@example.com"));
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    QTest::qWait(200);
    QVERIFY(dialog->grab().save(QDir(dir).filePath(QStringLiteral("oauth-connector-gmail.png"))));
}

QTEST_MAIN(TestOAuthConnector)
#include "tst_oauthconnector.moc"

// The Users panel's Directory section offscreen: fields from a configuration,
// per-field validation (nothing applied), Save through a real engine (read
// back with requestConfig), the bind password kept when left empty, the
// "verify" warning, Test connection against a closed port (FAILED, buttons
// back), the no-engine answers, and, when /usr/sbin/slapd exists, Test
// sign-in ("would relay" for alice) and the group picker against a real
// slapd started by tests/integration/slapdserver.py.

#include "users/directorygrouppicker.h"
#include "users/directorysection.h"
#include "users/userspanel.h"

#include "config/settings.h"
#include "directory/directoryconfig.h"
#include "engine/engine.h"
#include "engine/enginefacade.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTextEdit>
#include <QThread>
#include <QtTest>

#include <memory>

using rd::config::ConfigSnapshot;
using rd::ui::DirectoryGroupPicker;
using rd::ui::DirectorySection;
namespace keys = rd::config::keys;

namespace {

constexpr int kTimeoutMs = 20000;
const QString kRelaySenders = QStringLiteral("cn=Relay senders,ou=groups,dc=example,dc=test");

quint16 freeTcpPort()
{
    QTcpServer s;
    return s.listen(QHostAddress::LocalHost, 0) ? s.serverPort() : 0;
}

void set(ConfigSnapshot &c, const char *key, const QVariant &v)
{
    QString e;
    if (!c.setValue(QString::fromLatin1(key), v, &e))
        qFatal("%s: %s", key, qPrintable(e));
}

// slapdserver.py --stop-on-eof and what it printed.
struct Slapd {
    QProcess proc;
    QJsonObject info;

    bool start(QString *error)
    {
        const QString script = QFINDTESTDATA("../integration/slapdserver.py");
        if (!QFile::exists(script) || !QFile::exists(QStringLiteral("/usr/sbin/slapd"))) {
            *error = QStringLiteral("slapd or tests/integration/slapdserver.py not found");
            return false;
        }
        proc.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        proc.start(QStringLiteral("/usr/bin/python3"), {script, QStringLiteral("--stop-on-eof")});
        if (!proc.waitForStarted(5000)) {
            *error = proc.errorString();
            return false;
        }
        QElapsedTimer t;
        t.start();
        while (!proc.canReadLine() && proc.state() == QProcess::Running && t.elapsed() < 30000)
            proc.waitForReadyRead(100);
        const QByteArray line = proc.readLine().trimmed();
        if (!line.startsWith("ready ")) {
            *error = QStringLiteral("slapdserver.py did not print ready: ") + QString::fromUtf8(line);
            return false;
        }
        info = QJsonDocument::fromJson(line.mid(6)).object();
        return !info.isEmpty();
    }
    QString text(const char *key) const { return info.value(QLatin1String(key)).toString(); }
    ~Slapd()
    {
        if (proc.state() == QProcess::NotRunning)
            return;
        proc.closeWriteChannel();
        if (!proc.waitForFinished(15000)) {
            proc.kill();
            proc.waitForFinished(3000);
        }
    }
};

} // namespace

// A real engine in its own thread, as the application runs it.
struct RunningEngine {
    QThread thread;
    rd::engine::Engine *engine = nullptr;
    std::unique_ptr<rd::engine::EngineFacade> facade;

    bool start(const QString &dir)
    {
        ConfigSnapshot start;
        start.listeners[0].port = freeTcpPort();
        if (!start.listeners[0].port)
            return false;
        engine = new rd::engine::Engine(dir, start, false);
        engine->moveToThread(&thread);
        thread.start();
        facade = std::make_unique<rd::engine::EngineFacade>(engine, dir);
        QMetaObject::invokeMethod(engine, &rd::engine::Engine::start, Qt::QueuedConnection);
        return true;
    }
    ConfigSnapshot load()
    {
        QSignalSpy loaded(facade.get(), &rd::engine::EngineFacade::configLoaded);
        facade->requestConfig();
        if (!loaded.wait(kTimeoutMs))
            qFatal("no configLoaded");
        return loaded.last().at(0).value<ConfigSnapshot>();
    }
    void stop()
    {
        if (!engine)
            return;
        facade.reset();
        QMetaObject::invokeMethod(engine, &rd::engine::Engine::stop, Qt::BlockingQueuedConnection);
        thread.quit();
        thread.wait();
        delete engine;
        engine = nullptr;
    }
    ~RunningEngine() { stop(); }
};

class TestDirectorySection : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();

    void fieldsLoadFromConfig();
    void verifyWarningFollowsCheckbox();
    void presetFilterIsThePlaceholder();
    void invalidFieldsShowErrorsAndDoNotApply();
    void saveAppliesThroughEngine();
    void emptyPasswordKeepsStoredSecret();
    void addRelayGroupsSkipsDuplicates();
    void testConnectionUnreachableFails();
    void noEngineAnswers();
    void usersPanelHasTheDirectoryTab();
    void signInAndGroupPickerAgainstSlapd();

private:
    template <typename T>
    T *child(QObject *o, const char *name)
    {
        T *w = o->findChild<T *>(QLatin1String(name));
        if (!w)
            qFatal("no child %s", name);
        return w;
    }
    QLabel *fieldError(QObject *o, const char *key)
    {
        return child<QLabel>(o, qPrintable(QStringLiteral("error:%1").arg(QLatin1String(key))));
    }
    QString resultText(QObject *o) { return child<QTextEdit>(o, "directoryResult")->toPlainText(); }
    // The engine's configuration (fresh from requestConfig).
    ConfigSnapshot stored() { return m_engine.load(); }
    // A section on the running engine, its fields loaded.
    std::unique_ptr<DirectorySection> newSection()
    {
        auto s = std::make_unique<DirectorySection>(m_engine.facade.get());
        s->resize(1000, 700);
        s->show();
        if (!QTest::qWaitFor([&] { return s->pending() == DirectorySection::Request::None; }, kTimeoutMs))
            qFatal("section never loaded");
        return s;
    }

    QTemporaryDir m_dir;
    RunningEngine m_engine;
};

void TestDirectorySection::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(m_engine.start(m_dir.path()));
    stored(); // the engine answers
}

void TestDirectorySection::cleanupTestCase()
{
    m_engine.stop();
}

void TestDirectorySection::fieldsLoadFromConfig()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    DirectorySection s(&facade);
    ConfigSnapshot c;
    set(c, keys::kDirectoryEnabled, true);
    set(c, keys::kDirectoryKind, QStringLiteral("openldap"));
    set(c, keys::kDirectoryServers, QStringLiteral("ldaps://dc1.example.com ldap://dc2.example.com:389"));
    set(c, keys::kDirectoryCaFile, QStringLiteral("/etc/ssl/ca.pem"));
    set(c, keys::kDirectoryBindDn, QStringLiteral("cn=svc,dc=example,dc=com"));
    set(c, keys::kDirectoryBindPassword, QStringLiteral("s3cret"));
    set(c, keys::kDirectoryBaseDn, QStringLiteral("dc=example,dc=com"));
    set(c, keys::kDirectoryUserFilter, QStringLiteral("(uid=%u)"));
    set(c, keys::kDirectoryRelayGroups, QStringLiteral("cn=a,dc=example,dc=com\ncn=b,dc=example,dc=com"));
    set(c, keys::kDirectoryTimeoutMs, 1500);
    set(c, keys::kDirectoryCacheSeconds, 0);
    s.setConfig(c);

    QVERIFY(child<QCheckBox>(&s, "directoryEnabled")->isChecked());
    QCOMPARE(child<QComboBox>(&s, "directoryKind")->currentData().toString(), QStringLiteral("openldap"));
    QCOMPARE(child<QLineEdit>(&s, "directoryServers")->text(),
             QStringLiteral("ldaps://dc1.example.com ldap://dc2.example.com:389"));
    QCOMPARE(child<QLineEdit>(&s, "directoryCaFile")->text(), QStringLiteral("/etc/ssl/ca.pem"));
    QVERIFY(child<QCheckBox>(&s, "directoryVerify")->isChecked());
    QCOMPARE(child<QLineEdit>(&s, "directoryBindDn")->text(), QStringLiteral("cn=svc,dc=example,dc=com"));
    auto *password = child<QLineEdit>(&s, "directoryBindPassword");
    QVERIFY(password->text().isEmpty()); // a secret is never shown
    QVERIFY(password->placeholderText().contains(QLatin1String("stored")));
    QCOMPARE(child<QLineEdit>(&s, "directoryBaseDn")->text(), QStringLiteral("dc=example,dc=com"));
    QCOMPARE(child<QLineEdit>(&s, "directoryUserFilter")->text(), QStringLiteral("(uid=%u)"));
    QCOMPARE(child<QPlainTextEdit>(&s, "directoryRelayGroups")->toPlainText(),
             QStringLiteral("cn=a,dc=example,dc=com\ncn=b,dc=example,dc=com"));
    QCOMPARE(child<QSpinBox>(&s, "directoryTimeout")->value(), 1500);
    QCOMPARE(child<QSpinBox>(&s, "directoryCache")->value(), 0);
    // Tooltips are the settings' descriptions.
    QCOMPARE(child<QLineEdit>(&s, "directoryServers")->toolTip(),
             rd::config::findSetting(QString::fromLatin1(keys::kDirectoryServers))->description);

    // An edited field is not overwritten by a later load.
    child<QLineEdit>(&s, "directoryBaseDn")->setText(QStringLiteral("dc=typed"));
    s.setConfig(c);
    QCOMPARE(child<QLineEdit>(&s, "directoryBaseDn")->text(), QStringLiteral("dc=typed"));
}

void TestDirectorySection::verifyWarningFollowsCheckbox()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    DirectorySection s(&facade);
    s.show();
    auto *verify = child<QCheckBox>(&s, "directoryVerify");
    auto *warning = child<QLabel>(&s, "directoryVerifyWarning");
    QVERIFY(verify->isChecked()); // default on
    QVERIFY(!warning->isVisible());
    verify->setChecked(false);
    QVERIFY(warning->isVisible());
    QVERIFY(warning->text().contains(QLatin1String("NOT checked")));
    QVERIFY(warning->styleSheet().contains(QLatin1String("#b01e1e")));
    verify->setChecked(true);
    QVERIFY(!warning->isVisible());
    // From a configuration with it off, too.
    ConfigSnapshot c;
    set(c, keys::kDirectoryVerifyCertificate, false);
    DirectorySection s2(&facade);
    s2.show();
    s2.setConfig(c);
    QVERIFY(child<QLabel>(&s2, "directoryVerifyWarning")->isVisible());
}

void TestDirectorySection::presetFilterIsThePlaceholder()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    DirectorySection s(&facade);
    auto *kind = child<QComboBox>(&s, "directoryKind");
    auto *filter = child<QLineEdit>(&s, "directoryUserFilter");
    kind->setCurrentIndex(kind->findData(QStringLiteral("ad")));
    QCOMPARE(filter->placeholderText(), rd::directory::presetUserFilter(rd::directory::DirectoryKind::ActiveDirectory));
    kind->setCurrentIndex(kind->findData(QStringLiteral("openldap")));
    QCOMPARE(filter->placeholderText(), rd::directory::presetUserFilter(rd::directory::DirectoryKind::OpenLdap));
}

void TestDirectorySection::invalidFieldsShowErrorsAndDoNotApply()
{
    auto s = newSection();
    QSignalSpy applied(m_engine.facade.get(), &rd::engine::EngineFacade::configApplied);
    child<QLineEdit>(s.get(), "directoryServers")->setText(QStringLiteral("http://dc1.example.com"));
    child<QLineEdit>(s.get(), "directoryUserFilter")->setText(QStringLiteral("(uid=nobody"));
    child<QPlainTextEdit>(s.get(), "directoryRelayGroups")->setPlainText(QStringLiteral("not a dn"));
    s->save();
    QVERIFY(fieldError(s.get(), keys::kDirectoryServers)->isVisible());
    QVERIFY(fieldError(s.get(), keys::kDirectoryServers)->text().contains(QLatin1String("http://dc1.example.com")));
    QVERIFY(fieldError(s.get(), keys::kDirectoryUserFilter)->isVisible());
    QVERIFY(fieldError(s.get(), keys::kDirectoryRelayGroups)->isVisible());
    QVERIFY(!fieldError(s.get(), keys::kDirectoryBaseDn)->isVisible());
    QVERIFY(child<QLabel>(s.get(), "directoryStatus")->text().contains(QLatin1String("Not saved")));
    QCOMPARE(s->pending(), DirectorySection::Request::None);
    QVERIFY(child<QPushButton>(s.get(), "directorySave")->isEnabled());
    QTest::qWait(200);
    QCOMPARE(applied.count(), 0); // nothing applied
    QVERIFY(stored().stringValue(keys::kDirectoryServers).isEmpty());

    // Turned on without a server or a base DN: both named.
    child<QLineEdit>(s.get(), "directoryServers")->clear();
    child<QLineEdit>(s.get(), "directoryUserFilter")->clear();
    child<QPlainTextEdit>(s.get(), "directoryRelayGroups")->clear();
    child<QCheckBox>(s.get(), "directoryEnabled")->setChecked(true);
    s->save();
    QVERIFY(fieldError(s.get(), keys::kDirectoryServers)->isVisible());
    QVERIFY(fieldError(s.get(), keys::kDirectoryBaseDn)->isVisible());
    QVERIFY(!fieldError(s.get(), keys::kDirectoryUserFilter)->isVisible()); // cleared on the next try
    QTest::qWait(200);
    QCOMPARE(applied.count(), 0);

    // Test connection checks the fields the same way and sends nothing.
    QSignalSpy tested(m_engine.facade.get(), &rd::engine::EngineFacade::directoryTested);
    s->testConnection();
    QVERIFY(resultText(s.get()).contains(QLatin1String("Not tested")));
    QTest::qWait(200);
    QCOMPARE(tested.count(), 0);
}

void TestDirectorySection::saveAppliesThroughEngine()
{
    auto s = newSection();
    child<QCheckBox>(s.get(), "directoryEnabled")->setChecked(true);
    auto *kind = child<QComboBox>(s.get(), "directoryKind");
    kind->setCurrentIndex(kind->findData(QStringLiteral("openldap")));
    child<QLineEdit>(s.get(), "directoryServers")->setText(QStringLiteral("  ldaps://127.0.0.1:1636   ldap://127.0.0.1:1389 "));
    child<QLineEdit>(s.get(), "directoryCaFile")->setText(QStringLiteral("/tmp/ca.pem"));
    child<QCheckBox>(s.get(), "directoryVerify")->setChecked(false);
    child<QLineEdit>(s.get(), "directoryBindDn")->setText(QStringLiteral("cn=relaydesk,ou=services,dc=example,dc=test"));
    child<QLineEdit>(s.get(), "directoryBindPassword")->setText(QStringLiteral("svc-secret"));
    child<QLineEdit>(s.get(), "directoryBaseDn")->setText(QStringLiteral("dc=example,dc=test"));
    child<QLineEdit>(s.get(), "directoryUserFilter")->setText(QStringLiteral("(&(objectClass=inetOrgPerson)(uid=%u))"));
    child<QPlainTextEdit>(s.get(), "directoryRelayGroups")
        ->setPlainText(QStringLiteral("cn=Relay senders,ou=groups,dc=example,dc=test\n\n  cn=Helpdesk,ou=groups,dc=example,dc=test  \n"));
    child<QSpinBox>(s.get(), "directoryTimeout")->setValue(2500);
    child<QSpinBox>(s.get(), "directoryCache")->setValue(60);

    QSignalSpy applied(m_engine.facade.get(), &rd::engine::EngineFacade::configApplied);
    s->save();
    QCOMPARE(s->pending(), DirectorySection::Request::Save);
    QVERIFY(!child<QPushButton>(s.get(), "directorySave")->isEnabled());
    QVERIFY(!child<QPushButton>(s.get(), "directoryTest")->isEnabled());
    QVERIFY(applied.wait(kTimeoutMs));
    QVERIFY2(applied.first().at(0).toBool(), qPrintable(applied.first().at(1).toStringList().join(QLatin1Char(';'))));
    QTRY_COMPARE(s->pending(), DirectorySection::Request::None);
    QVERIFY(child<QPushButton>(s.get(), "directorySave")->isEnabled());
    QVERIFY(child<QLabel>(s.get(), "directoryStatus")->text().contains(QLatin1String("Saved")));
    QVERIFY(child<QLineEdit>(s.get(), "directoryBindPassword")->text().isEmpty());
    QVERIFY(child<QLineEdit>(s.get(), "directoryBindPassword")->placeholderText().contains(QLatin1String("stored")));

    const ConfigSnapshot c = stored();
    QVERIFY(c.boolValue(keys::kDirectoryEnabled));
    QCOMPARE(c.stringValue(keys::kDirectoryKind), QStringLiteral("openldap"));
    QCOMPARE(c.stringValue(keys::kDirectoryServers), QStringLiteral("ldaps://127.0.0.1:1636 ldap://127.0.0.1:1389"));
    QCOMPARE(c.stringValue(keys::kDirectoryCaFile), QStringLiteral("/tmp/ca.pem"));
    QVERIFY(!c.boolValue(keys::kDirectoryVerifyCertificate));
    QCOMPARE(c.stringValue(keys::kDirectoryBindDn), QStringLiteral("cn=relaydesk,ou=services,dc=example,dc=test"));
    QCOMPARE(c.stringValue(keys::kDirectoryBindPassword), QStringLiteral("svc-secret"));
    QCOMPARE(c.stringValue(keys::kDirectoryBaseDn), QStringLiteral("dc=example,dc=test"));
    QCOMPARE(c.stringValue(keys::kDirectoryUserFilter), QStringLiteral("(&(objectClass=inetOrgPerson)(uid=%u))"));
    QCOMPARE(rd::directory::parseGroupList(c.stringValue(keys::kDirectoryRelayGroups)),
             (QStringList{QStringLiteral("cn=Relay senders,ou=groups,dc=example,dc=test"),
                          QStringLiteral("cn=Helpdesk,ou=groups,dc=example,dc=test")}));
    QCOMPARE(c.intValue(keys::kDirectoryTimeoutMs), 2500);
    QCOMPARE(c.intValue(keys::kDirectoryCacheSeconds), 60);

    // A new section (a restarted GUI) shows what was saved.
    auto again = newSection();
    QCOMPARE(child<QLineEdit>(again.get(), "directoryServers")->text(),
             QStringLiteral("ldaps://127.0.0.1:1636 ldap://127.0.0.1:1389"));
    QVERIFY(child<QLabel>(again.get(), "directoryVerifyWarning")->isVisible());
}

void TestDirectorySection::emptyPasswordKeepsStoredSecret()
{
    // After saveAppliesThroughEngine: svc-secret is stored.
    QCOMPARE(stored().stringValue(keys::kDirectoryBindPassword), QStringLiteral("svc-secret"));
    auto s = newSection();
    QVERIFY(child<QLineEdit>(s.get(), "directoryBindPassword")->text().isEmpty());
    child<QLineEdit>(s.get(), "directoryBaseDn")->setText(QStringLiteral("ou=people,dc=example,dc=test"));
    QSignalSpy applied(m_engine.facade.get(), &rd::engine::EngineFacade::configApplied);
    s->save();
    QVERIFY(applied.wait(kTimeoutMs));
    QVERIFY(applied.first().at(0).toBool());
    ConfigSnapshot c = stored();
    QCOMPARE(c.stringValue(keys::kDirectoryBaseDn), QStringLiteral("ou=people,dc=example,dc=test"));
    QCOMPARE(c.stringValue(keys::kDirectoryBindPassword), QStringLiteral("svc-secret"));

    // A typed password replaces it.
    QTRY_COMPARE(s->pending(), DirectorySection::Request::None);
    child<QLineEdit>(s.get(), "directoryBindPassword")->setText(QStringLiteral("new-secret"));
    child<QLineEdit>(s.get(), "directoryBaseDn")->setText(QStringLiteral("dc=example,dc=test"));
    applied.clear();
    s->save();
    QVERIFY(applied.wait(kTimeoutMs));
    c = stored();
    QCOMPARE(c.stringValue(keys::kDirectoryBindPassword), QStringLiteral("new-secret"));
}

void TestDirectorySection::addRelayGroupsSkipsDuplicates()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    DirectorySection s(&facade);
    auto *groups = child<QPlainTextEdit>(&s, "directoryRelayGroups");
    groups->setPlainText(QStringLiteral("CN=Relay Senders, OU=Groups,DC=example,DC=test"));
    s.addRelayGroups({kRelaySenders, QStringLiteral("cn=Helpdesk,ou=groups,dc=example,dc=test")});
    QCOMPARE(groups->toPlainText(), QStringLiteral("CN=Relay Senders, OU=Groups,DC=example,DC=test\n"
                                                   "cn=Helpdesk,ou=groups,dc=example,dc=test"));
}

void TestDirectorySection::testConnectionUnreachableFails()
{
    auto s = newSection();
    const quint16 closed = freeTcpPort();
    QVERIFY(closed);
    child<QLineEdit>(s.get(), "directoryServers")->setText(QStringLiteral("ldaps://127.0.0.1:%1").arg(closed));
    child<QSpinBox>(s.get(), "directoryTimeout")->setValue(1000);
    auto *test = child<QPushButton>(s.get(), "directoryTest");
    QVERIFY(test->isEnabled());
    QSignalSpy tested(m_engine.facade.get(), &rd::engine::EngineFacade::directoryTested);
    QTest::mouseClick(test, Qt::LeftButton);
    QCOMPARE(s->pending(), DirectorySection::Request::Test);
    QVERIFY(!test->isEnabled());
    QVERIFY(!child<QPushButton>(s.get(), "directoryTestSignIn")->isEnabled());
    QVERIFY(!child<QPushButton>(s.get(), "directorySave")->isEnabled());
    QVERIFY(tested.wait(kTimeoutMs));
    QTRY_VERIFY(test->isEnabled());
    const QString text = resultText(s.get());
    QVERIFY2(text.startsWith(QLatin1String("Connection FAILED")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("FAILED:")), qPrintable(text));
    QVERIFY(child<QTextEdit>(s.get(), "directoryResult")->toHtml().contains(QLatin1String("#b01e1e")));
    QVERIFY(child<QPushButton>(s.get(), "directorySave")->isEnabled());
    // Nothing was saved by the test.
    QVERIFY(!stored().stringValue(keys::kDirectoryServers).contains(QString::number(closed)));
}

void TestDirectorySection::noEngineAnswers()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    DirectorySection s(&facade);
    QCOMPARE(s.pending(), DirectorySection::Request::None);
    QVERIFY(child<QLabel>(&s, "directoryStatus")->text().contains(QLatin1String("no engine")));
    child<QLineEdit>(&s, "directoryServers")->setText(QStringLiteral("ldaps://dc1.example.com"));
    s.save();
    QCOMPARE(s.pending(), DirectorySection::Request::None);
    QVERIFY(child<QLabel>(&s, "directoryStatus")->text().contains(QLatin1String("Not saved: no engine")));
    QVERIFY(child<QPushButton>(&s, "directorySave")->isEnabled());
    s.testConnection();
    QVERIFY(resultText(&s).startsWith(QLatin1String("Connection FAILED")));
    QVERIFY(resultText(&s).contains(QLatin1String("no engine")));
    QVERIFY(child<QPushButton>(&s, "directoryTest")->isEnabled());
    s.testSignIn(QStringLiteral("alice"), QStringLiteral("pw"));
    QVERIFY(resultText(&s).contains(QLatin1String("alice could NOT sign in")));
    QVERIFY(resultText(&s).contains(QLatin1String("no engine")));
    DirectoryGroupPicker *picker = s.openGroupPicker();
    QVERIFY(picker);
    picker->search();
    QVERIFY(!picker->isSearching());
    QVERIFY(child<QLabel>(picker, "groupSearchStatus")->text().contains(QLatin1String("no engine")));
    picker->reject();
}

void TestDirectorySection::usersPanelHasTheDirectoryTab()
{
    rd::ui::UsersPanel panel(m_engine.facade.get());
    panel.resize(1100, 750);
    panel.show();
    QVERIFY(panel.directorySection());
    auto *tabs = child<QTabWidget>(&panel, "usersTabs");
    QCOMPARE(tabs->count(), 2);
    QCOMPARE(tabs->currentIndex(), 0);
    panel.showSection(rd::ui::UsersPanel::DirectorySectionTab);
    QVERIFY(panel.directorySection()->isVisible());
    QVERIFY(child<QLabel>(&panel, "directoryHelp")->text().contains(QLatin1String("take precedence")));
    QVERIFY(child<QLabel>(&panel, "directoryHelp")->text().contains(QLatin1String("listener")));
    QTRY_COMPARE(panel.directorySection()->pending(), DirectorySection::Request::None);
}

void TestDirectorySection::signInAndGroupPickerAgainstSlapd()
{
    Slapd ldap;
    QString why;
    if (!ldap.start(&why))
        QFAIL(qPrintable(why)); // scripts/deps.sh installs slapd: never skipped

    auto s = newSection();
    child<QCheckBox>(s.get(), "directoryEnabled")->setChecked(true);
    auto *kind = child<QComboBox>(s.get(), "directoryKind");
    kind->setCurrentIndex(kind->findData(QStringLiteral("openldap")));
    child<QLineEdit>(s.get(), "directoryServers")->setText(ldap.text("ldaps_uri"));
    child<QLineEdit>(s.get(), "directoryCaFile")->setText(ldap.text("ca_file"));
    child<QCheckBox>(s.get(), "directoryVerify")->setChecked(true);
    child<QLineEdit>(s.get(), "directoryBindDn")->setText(ldap.text("service_dn"));
    child<QLineEdit>(s.get(), "directoryBindPassword")->setText(ldap.text("service_password"));
    child<QLineEdit>(s.get(), "directoryBaseDn")->setText(ldap.text("base_dn"));
    child<QLineEdit>(s.get(), "directoryUserFilter")->clear();
    child<QPlainTextEdit>(s.get(), "directoryRelayGroups")->clear();
    child<QSpinBox>(s.get(), "directoryTimeout")->setValue(5000);

    // Test connection: OK, green.
    QSignalSpy tested(m_engine.facade.get(), &rd::engine::EngineFacade::directoryTested);
    s->testConnection();
    QVERIFY(tested.wait(kTimeoutMs));
    QVERIFY2(resultText(s.get()).startsWith(QLatin1String("Connection OK")), qPrintable(resultText(s.get())));
    QVERIFY(child<QTextEdit>(s.get(), "directoryResult")->toHtml().contains(QLatin1String("#1b7f2a")));

    // The group picker lists "Relay senders" (DN as tooltip) and adds its DN.
    DirectoryGroupPicker *picker = s->openGroupPicker();
    QVERIFY(picker);
    child<QLineEdit>(picker, "groupSearchTerm")->setText(QStringLiteral("relay"));
    picker->search();
    QVERIFY(picker->isSearching());
    QVERIFY(!child<QPushButton>(picker, "groupSearchButton")->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!picker->isSearching(), kTimeoutMs);
    auto *list = child<QListWidget>(picker, "groupList");
    const auto found = list->findItems(QStringLiteral("Relay senders"), Qt::MatchExactly);
    QVERIFY2(found.size() == 1, qPrintable(child<QLabel>(picker, "groupSearchStatus")->text()));
    QCOMPARE(rd::directory::normalizedDn(found.first()->toolTip()), rd::directory::normalizedDn(kRelaySenders));
    found.first()->setSelected(true);
    QVERIFY(child<QPushButton>(picker, "groupAddButton")->isEnabled());
    QTest::mouseClick(child<QPushButton>(picker, "groupAddButton"), Qt::LeftButton);
    QCOMPARE(rd::directory::parseGroupList(child<QPlainTextEdit>(s.get(), "directoryRelayGroups")->toPlainText())
                 .size(), 1);
    QCOMPARE(rd::directory::normalizedDn(child<QPlainTextEdit>(s.get(), "directoryRelayGroups")->toPlainText()),
             rd::directory::normalizedDn(kRelaySenders));

    // Test sign-in through the dialog: alice would relay.
    QSignalSpy signedIn(m_engine.facade.get(), &rd::engine::EngineFacade::directorySignInTested);
    QDialog *d = s->openSignInDialog();
    QVERIFY(d);
    auto *testButton = child<QPushButton>(d, "signInTest");
    QVERIFY(!testButton->isEnabled());
    child<QLineEdit>(d, "signInLogin")->setText(QStringLiteral("alice"));
    child<QLineEdit>(d, "signInPassword")->setText(QStringLiteral("alice-pw"));
    QVERIFY(testButton->isEnabled());
    QTest::mouseClick(testButton, Qt::LeftButton);
    QCOMPARE(s->pending(), DirectorySection::Request::SignIn);
    QVERIFY(!child<QPushButton>(s.get(), "directoryTestSignIn")->isEnabled());
    QVERIFY(signedIn.wait(kTimeoutMs));
    QString text = resultText(s.get());
    QVERIFY2(text.startsWith(QLatin1String("alice signed in and would relay")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("uid=alice,ou=people,dc=example,dc=test"), Qt::CaseInsensitive), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("alice@example.test")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String(": would relay (member of")), qPrintable(text));
    QVERIFY(child<QPushButton>(s.get(), "directoryTestSignIn")->isEnabled());
    // RD_SCREENSHOT_DIR: the section with these results, as a real window (run under
    // Xvfb with QT_QPA_PLATFORM=xcb for the screenshot the issue asks for).
    if (const QString dir = qEnvironmentVariable("RD_SCREENSHOT_DIR"); !dir.isEmpty()) {
        d->hide();
        s->resize(1100, 720);
        s->show();
        QVERIFY(QTest::qWaitForWindowExposed(s.get()));
        QTest::qWait(200);
        QVERIFY(s->grab().save(dir + QStringLiteral("/directory-test-signin.png")));
    }

    // Wrong password: the headline says so, in red.
    s->testSignIn(QStringLiteral("alice"), QStringLiteral("wrong"));
    QVERIFY(signedIn.wait(kTimeoutMs));
    text = resultText(s.get());
    QVERIFY2(text.startsWith(QLatin1String("alice could NOT sign in: wrong login or password")), qPrintable(text));

    // bob signs in but is in no relay group.
    s->testSignIn(QStringLiteral("bob"), QStringLiteral("bob-pw"));
    QVERIFY(signedIn.wait(kTimeoutMs));
    text = resultText(s.get());
    QVERIFY2(text.startsWith(QLatin1String("bob signed in but would NOT relay")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("would NOT relay (in none of")), qPrintable(text));
}

QTEST_MAIN(TestDirectorySection)
#include "tst_directorysection.moc"

// The front door, set up entirely in the GUI: "An admin can set up a 25
// (relay, IP-listed) and a 587 (submission, AUTH over STARTTLS) listener with
// an imported PFX certificate entirely in the GUI".
//
// A real rd::engine::Engine runs on its own thread (as app/runtime.cpp builds
// it) on a temporary data folder; its smart host is a Postfix smtp-sink. Then,
// only through the panels' widgets (buttons, dialogs, line edits, the
// listener table's editors): a PFX made here with `openssl` is imported in the
// Certificates panel (first with a wrong password: a clear error, nothing
// imported), a user is added in the Users panel, and the Connectors panel gets
// a relay listener and a submission listener (on two free loopback ports
// instead of 25 and 587) and applies them. Real clients (swaks) then prove it:
// submission with STARTTLS + AUTH PLAIN is accepted, without TLS or AUTH it is
// refused, the relay port takes mail from 127.0.0.1 without AUTH and refuses
// 127.0.0.2; the accepted messages reach the smtp-sink.
//
// Needs openssl, swaks and /usr/sbin/smtp-sink (skipped otherwise).
// Set RELAYDESK_GRAB_DIR to a folder to also save screenshots of the panels.

#include "certificates/certificatemodel.h"
#include "certificates/certificatespanel.h"
#include "certificates/pkcs12importdialog.h"
#include "connectors/connectorspanel.h"
#include "connectors/listenerlimits.h"
#include "connectors/listenermodel.h"
#include "users/userdialog.h"
#include "users/usermodel.h"
#include "users/userspanel.h"

#include "config/configsnapshot.h"
#include "config/configstore.h"
#include "engine/adminservice.h"
#include "engine/engine.h"
#include "engine/enginefacade.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPointer>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>

#include <unistd.h>

using rd::config::ConfigSnapshot;
using rd::config::ListenerConfig;
using rd::engine::EngineFacade;
using rd::ui::CertificateModel;
using rd::ui::CertificatesPanel;
using rd::ui::ConnectorsPanel;
using rd::ui::ListenerLimits;
using rd::ui::ListenerModel;
using rd::ui::Pkcs12ImportDialog;
using rd::ui::UserDialog;
using rd::ui::UsersPanel;

namespace {

constexpr int kTimeoutMs = 30000;
const QString kPfxPassword = QStringLiteral("pfx pass 4 frontdoor");
const QString kUser = QStringLiteral("frontdesk");
const QString kUserPassword = QStringLiteral("Tr0ub4dor & horse staple");
const QString kSinkBinary = QStringLiteral("/usr/sbin/smtp-sink");

quint16 freePort(QList<quint16> *taken)
{
    for (int i = 0; i < 20; ++i) {
        QTcpServer s;
        if (s.listen(QHostAddress::LocalHost, 0) && !taken->contains(s.serverPort())) {
            taken->append(s.serverPort());
            return s.serverPort();
        }
    }
    return 0;
}

struct Run {
    bool finished = false;
    int exitCode = -1;
    QByteArray output;
};

// Runs a program to its end while the event loop keeps running.
Run run(const QString &program, const QStringList &args, int timeoutMs = 60000)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    Run r;
    r.finished = QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, timeoutMs);
    if (!r.finished) {
        p.kill();
        p.waitForFinished(5000);
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.output = p.readAll();
    return r;
}

} // namespace

class TestFrontDoor : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void wrongPfxPasswordImportsNothing();
    void importPfxThroughDialog();
    void addUserThroughDialog();
    void addListenersAndApply();
    void submissionWithStartTlsAndAuth();
    void submissionRefusesWithoutTlsOrAuth();
    void relayPortTakesListedAddressOnly();
    void acceptedMailReachesTheSmartHost();

private:
    QString material(const QString &name) const { return QDir(m_material.path()).filePath(name); }
    template <typename T>
    T *child(QWidget *panel, const char *name) const
    {
        return panel->findChild<T *>(QLatin1String(name));
    }
    bool openssl(const QStringList &args) const
    {
        QProcess p;
        p.setWorkingDirectory(m_material.path());
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral("openssl"), args);
        const bool ok = p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        if (!ok)
            qWarning("openssl %s failed:\n%s", qPrintable(args.join(QLatin1Char(' '))), p.readAll().constData());
        return ok;
    }
    // Imports test.pfx through the Import PFX dialog, typing like a user.
    void importThroughDialog(const QString &password);
    // Opens the cell's editor in the listener table, types `text` and presses Enter.
    void typeIntoCell(const QModelIndex &index, const QString &text);
    Run swaks(quint16 port, const QString &subject, const QStringList &extra) const;

    QTemporaryDir m_data;
    QTemporaryDir m_material;
    QTemporaryDir m_sinkDir;
    QProcess m_sink;
    quint16 m_relayPort = 0;
    quint16 m_submissionPort = 0;
    quint16 m_sinkPort = 0;
    QString m_certificateId;

    rd::engine::Engine *m_engine = nullptr;
    QThread m_thread;
    std::unique_ptr<EngineFacade> m_facade;
    std::unique_ptr<CertificatesPanel> m_certs;
    std::unique_ptr<UsersPanel> m_users;
    std::unique_ptr<ConnectorsPanel> m_connectors;
};

void TestFrontDoor::initTestCase()
{
    for (const char *tool : {"openssl", "swaks"}) {
        if (QStandardPaths::findExecutable(QLatin1String(tool)).isEmpty())
            QSKIP(qPrintable(QStringLiteral("%1 is not installed").arg(QLatin1String(tool))));
    }
    if (!QFile::exists(kSinkBinary))
        QSKIP("smtp-sink (Postfix) is not installed");
    QVERIFY(m_data.isValid() && m_material.isValid() && m_sinkDir.isValid());

    // The PFX an admin would get from their CA or Windows export.
    QVERIFY(openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "fd.key", "-out", "fd.crt", "-days",
                     "365", "-subj", "/CN=mail.frontdoor.test", "-addext", "subjectAltName=DNS:mail.frontdoor.test"}));
    QVERIFY(openssl({"pkcs12", "-export", "-inkey", "fd.key", "-in", "fd.crt", "-passout",
                     QStringLiteral("pass:") + kPfxPassword, "-out", "frontdoor.pfx"}));

    QList<quint16> taken;
    m_relayPort = freePort(&taken);
    m_submissionPort = freePort(&taken);
    m_sinkPort = freePort(&taken);
    QVERIFY(m_relayPort && m_submissionPort && m_sinkPort);

    // The smart host: smtp-sink dumps each message to a file (it writes as postfix when run as root).
    QVERIFY(QFile::setPermissions(m_sinkDir.path(), QFileDevice::Permissions(0x7777)));
    QStringList sinkArgs;
    if (::geteuid() == 0)
        sinkArgs << QStringLiteral("-u") << QStringLiteral("postfix");
    sinkArgs << QStringLiteral("-d") << QDir(m_sinkDir.path()).filePath(QStringLiteral("%M."))
             << QStringLiteral("127.0.0.1:%1").arg(m_sinkPort) << QStringLiteral("10");
    m_sink.setProcessChannelMode(QProcess::MergedChannels);
    m_sink.start(kSinkBinary, sinkArgs);
    QVERIFY(m_sink.waitForStarted(10000));
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     QTcpSocket s;
                     s.connectToHost(QHostAddress::LocalHost, m_sinkPort);
                     return s.waitForConnected(200);
                 },
                 10000),
             m_sink.readAll().constData());

    // The engine as the composition root builds it: config.db created first, no
    // listeners yet, the smart host set before any panel starts.
    {
        rd::config::ConfigStore store(m_data.path());
        QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
    }
    ConfigSnapshot config;
    config.listeners.clear();
    QString error;
    QVERIFY2(config.setValue(QStringLiteral("delivery.smarthost"), QStringLiteral("127.0.0.1:%1").arg(m_sinkPort),
                             &error),
             qPrintable(error));
    QVERIFY2(config.setValue(QStringLiteral("server.hostname"), QStringLiteral("mail.frontdoor.test"), &error),
             qPrintable(error));
    m_engine = new rd::engine::Engine(m_data.path(), config, false);
    m_thread.setObjectName(QStringLiteral("engine"));
    m_engine->moveToThread(&m_thread);
    m_thread.start();
    m_facade = std::make_unique<EngineFacade>(m_engine, m_data.path());
    QMetaObject::invokeMethod(m_engine, &rd::engine::Engine::start, Qt::QueuedConnection);

    QSignalSpy certsListed(m_facade->admin(), &rd::engine::AdminService::certificatesListed);
    QSignalSpy usersListed(m_facade->admin(), &rd::engine::AdminService::usersListed);
    m_certs = std::make_unique<CertificatesPanel>(m_facade.get());
    m_users = std::make_unique<UsersPanel>(m_facade.get());
    m_connectors = std::make_unique<ConnectorsPanel>(m_facade.get());
    for (QWidget *w : {static_cast<QWidget *>(m_certs.get()), static_cast<QWidget *>(m_users.get()),
                       static_cast<QWidget *>(m_connectors.get())}) {
        w->resize(1100, 640);
        w->show();
        QVERIFY(QTest::qWaitForWindowExposed(w));
    }
    QTRY_VERIFY_WITH_TIMEOUT(certsListed.count() >= 2 && usersListed.count() >= 1, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(m_connectors->hasConfig(), kTimeoutMs);
    QCOMPARE(m_connectors->model()->rowCount(), 0);
    QCOMPARE(m_certs->model()->rowCount(), 0);
}

void TestFrontDoor::cleanupTestCase()
{
    m_connectors.reset();
    m_users.reset();
    m_certs.reset();
    if (m_engine) {
        QMetaObject::invokeMethod(m_engine, &rd::engine::Engine::stop, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    m_facade.reset(); // waits for the admin worker
    delete m_engine;
    if (m_sink.state() != QProcess::NotRunning) {
        m_sink.terminate();
        if (!m_sink.waitForFinished(5000))
            m_sink.kill();
        m_sink.waitForFinished(5000);
    }
}

void TestFrontDoor::importThroughDialog(const QString &password)
{
    QTest::mouseClick(child<QPushButton>(m_certs.get(), "importPfxButton"), Qt::LeftButton);
    QPointer<Pkcs12ImportDialog> dialog = m_certs->findChild<Pkcs12ImportDialog *>(QStringLiteral("pkcs12ImportDialog"));
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QVERIFY(!dialog->okButton()->isEnabled()); // no file yet
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("pfxFilePath")), material("frontdoor.pfx"));
    auto *passwordEdit = dialog->findChild<QLineEdit *>(QStringLiteral("pfxPassword"));
    QCOMPARE(passwordEdit->echoMode(), QLineEdit::Password);
    QTest::keyClicks(passwordEdit, password);
    QVERIFY(dialog->okButton()->isEnabled());
    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);
    QTRY_VERIFY(!dialog); // closed and deleted
    QVERIFY(QTest::qWaitFor([&] { return !m_certs->isBusy(); }, kTimeoutMs));
    // The listing that follows every action.
    QSignalSpy listed(m_facade->admin(), &rd::engine::AdminService::certificatesListed);
    m_certs->refresh();
    QVERIFY(listed.wait(kTimeoutMs));
}

void TestFrontDoor::wrongPfxPasswordImportsNothing()
{
    importThroughDialog(QStringLiteral("not the pfx password"));
    auto *status = child<QLabel>(m_certs.get(), "certificateStatus");
    QVERIFY2(status->text().startsWith(QLatin1String("Import of frontdoor.pfx failed")), qPrintable(status->text()));
    QVERIFY2(status->text().contains(QLatin1String("password")), qPrintable(status->text()));
    QVERIFY(status->styleSheet().contains(QLatin1String("#b01e1e"))); // red
    QVERIFY(!status->text().contains(QLatin1String("not the pfx password")));
    QCOMPARE(m_certs->model()->rowCount(), 0);
    QVERIFY(m_certs->bannerText().isEmpty());
    // The Connectors panel has nothing to offer either.
    QTRY_VERIFY(m_connectors->model()->certificatesKnown());
    QVERIFY(m_connectors->model()->certificates().isEmpty());
}

void TestFrontDoor::importPfxThroughDialog()
{
    importThroughDialog(kPfxPassword);
    auto *status = child<QLabel>(m_certs.get(), "certificateStatus");
    QCOMPARE(status->text(), QStringLiteral("Certificate imported from frontdoor.pfx"));
    QVERIFY(!status->styleSheet().contains(QLatin1String("#b01e1e")));
    QCOMPARE(m_certs->model()->rowCount(), 1);
    const QModelIndex row = m_certs->model()->index(0, 0);
    QCOMPARE(row.data(CertificateModel::CommonNameRole).toString(), QStringLiteral("mail.frontdoor.test"));
    m_certificateId = row.data(CertificateModel::IdRole).toString();
    QVERIFY(!m_certificateId.isEmpty());
    QCOMPARE(m_certs->selectedCertificateId(), m_certificateId);
    // The Connectors panel learns of it from the same listing.
    QTRY_COMPARE(m_connectors->model()->certificates().size(), 1);
    QCOMPARE(m_connectors->model()->certificates().first().id, m_certificateId);
}

void TestFrontDoor::addUserThroughDialog()
{
    QTest::mouseClick(child<QPushButton>(m_users.get(), "addUserButton"), Qt::LeftButton);
    QPointer<UserDialog> dialog = m_users->findChild<UserDialog *>(QStringLiteral("userDialog"));
    QVERIFY(dialog && dialog->isVisible());
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("userName")), kUser);
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("userPassword")), kUserPassword);
    QVERIFY(!dialog->okButton()->isEnabled()); // not repeated yet
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("userRepeat")), kUserPassword);
    QVERIFY(dialog->okButton()->isEnabled());
    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(m_users->model()->rowOf(kUser) >= 0, kTimeoutMs);
    QTRY_VERIFY(!dialog);
    QVERIFY(QTest::qWaitFor([&] { return !m_users->isBusy(); }, kTimeoutMs));
    QCOMPARE(child<QLabel>(m_users.get(), "userStatus")->text(), QStringLiteral("User %1 added").arg(kUser));
    QVERIFY(!child<QLabel>(m_users.get(), "userStatus")->text().contains(kUserPassword));
}

void TestFrontDoor::typeIntoCell(const QModelIndex &index, const QString &text)
{
    auto *table = child<QTableView>(m_connectors.get(), "listenerTable");
    // The view keeps its editors in the viewport. A preset opens the name editor itself.
    auto openEditor = [table]() -> QWidget * {
        for (QWidget *w : table->viewport()->findChildren<QWidget *>(Qt::FindDirectChildrenOnly)) {
            if (w->isVisible() && (qobject_cast<QLineEdit *>(w) || qobject_cast<QSpinBox *>(w)))
                return w;
        }
        return nullptr;
    };
    QWidget *editor = openEditor();
    if (!editor || table->currentIndex() != index) {
        QVERIFY(!editor);
        table->setFocus();
        table->setCurrentIndex(index);
        table->edit(index);
        editor = openEditor();
    }
    QVERIFY2(editor, qPrintable(QStringLiteral("no editor for column %1").arg(index.column())));
    QTest::keyClick(editor, Qt::Key_A, Qt::ControlModifier); // select what is there
    QTest::keyClicks(editor, text);
    QTest::keyClick(editor, Qt::Key_Return);
    QPointer<QWidget> closed = editor;
    QTRY_VERIFY(!closed || !closed->isVisible());
    QCOMPARE(index.data(Qt::EditRole).toString(), index.column() == ListenerModel::MaxMessageSize
                                                      ? QString::number(ListenerLimits::parse(
                                                          ListenerLimits::MessageSize, text))
                                                      : text);
}

void TestFrontDoor::addListenersAndApply()
{
    ConnectorsPanel *panel = m_connectors.get();
    ListenerModel *model = panel->model();
    auto *add = child<QPushButton>(panel, "addListener");
    QVERIFY(add->isEnabled());
    auto *menu = add->menu();
    QVERIFY(menu);

    // Port "25": the relay preset (IP-listed relay, STARTTLS offered with the imported certificate).
    menu->findChild<QAction *>(QStringLiteral("presetRelay"))->trigger();
    QCOMPARE(model->rowCount(), 1);
    typeIntoCell(model->index(0, ListenerModel::Name), QStringLiteral("relay25"));
    typeIntoCell(model->index(0, ListenerModel::Port), QString::number(m_relayPort));
    // Port "587": the submission preset (STARTTLS required, AUTH required), 10 MB messages at most.
    menu->findChild<QAction *>(QStringLiteral("presetSubmission"))->trigger();
    QCOMPARE(model->rowCount(), 2);
    typeIntoCell(model->index(1, ListenerModel::Name), QStringLiteral("submission587"));
    typeIntoCell(model->index(1, ListenerModel::Port), QString::number(m_submissionPort));
    typeIntoCell(model->index(1, ListenerModel::MaxMessageSize), QStringLiteral("10 MB"));

    // What the table shows.
    QCOMPARE(model->index(0, ListenerModel::Mode).data().toString(), QStringLiteral("STARTTLS offered"));
    QCOMPARE(model->index(0, ListenerModel::Role).data().toString(), QStringLiteral("Relay"));
    QCOMPARE(model->index(1, ListenerModel::Mode).data().toString(), QStringLiteral("STARTTLS required"));
    QCOMPARE(model->index(1, ListenerModel::Role).data().toString(), QStringLiteral("Submission (AUTH)"));
    QCOMPARE(model->index(1, ListenerModel::Certificate).data().toString(), QStringLiteral("mail.frontdoor.test"));
    QCOMPARE(model->index(1, ListenerModel::MaxMessageSize).data().toString(), QStringLiteral("10 MB"));
    QCOMPARE(model->index(0, ListenerModel::MaxMessageSize).data().toString(), QStringLiteral("global (35 MB)"));
    QVERIFY2(!model->hasErrors(), qPrintable(model->errors().join(QLatin1Char('\n'))));

    // What Apply sends.
    const QList<ListenerConfig> pending = panel->pendingConfig().listeners;
    QCOMPARE(pending.size(), 2);
    const ListenerConfig &relay = pending.at(0);
    QCOMPARE(relay.name, QStringLiteral("relay25"));
    QCOMPARE(relay.address, QStringLiteral("127.0.0.1"));
    QCOMPARE(int(relay.port), int(m_relayPort));
    QCOMPARE(relay.role, QStringLiteral("relay"));
    QCOMPARE(relay.mode, QStringLiteral("plain"));
    QCOMPARE(relay.relayAllow, QStringList{QStringLiteral("127.0.0.1/32")});
    const ListenerConfig &submission = pending.at(1);
    QCOMPARE(int(submission.port), int(m_submissionPort));
    QCOMPARE(submission.role, QStringLiteral("submission"));
    QCOMPARE(submission.mode, QStringLiteral("starttls_required"));
    QCOMPARE(submission.certificate, m_certificateId);
    QCOMPARE(submission.relayAllow, QStringList{});
    QCOMPARE(submission.maxMessageSize, qint64(10 * 1024 * 1024));

    auto *apply = child<QPushButton>(panel, "applyConnectors");
    QVERIFY(apply->isEnabled());
    QSignalSpy applied(m_facade.get(), &EngineFacade::configApplied);
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(applied.count(), 1, kTimeoutMs);
    QVERIFY2(applied.at(0).at(0).toBool(), qPrintable(applied.at(0).at(1).toStringList().join(QLatin1Char('|'))));
    const QString status = child<QLabel>(panel, "connectorsStatus")->text();
    QVERIFY2(status.startsWith(QStringLiteral("Applied: listening on")), qPrintable(status));
    QVERIFY(status.contains(QStringLiteral("127.0.0.1:%1").arg(m_relayPort)));
    QVERIFY(status.contains(QStringLiteral("127.0.0.1:%1").arg(m_submissionPort)));
    QTRY_VERIFY_WITH_TIMEOUT(!model->isDirty() && model->rowCount() == 2, kTimeoutMs);
    QVERIFY(!apply->isEnabled());
    // The Certificates panel shows who uses the certificate.
    m_certs->refresh();
    QTRY_COMPARE_WITH_TIMEOUT(m_certs->model()->index(0, CertificateModel::UsedBy).data().toString(),
                              QStringLiteral("relay25, submission587"), kTimeoutMs);

    if (const QString dir = qEnvironmentVariable("RELAYDESK_GRAB_DIR"); !dir.isEmpty()) {
        QVERIFY(panel->grab().save(QDir(dir).filePath(QStringLiteral("frontdoor-connectors.png"))));
        QVERIFY(m_certs->grab().save(QDir(dir).filePath(QStringLiteral("frontdoor-certificates.png"))));
    }
}

Run TestFrontDoor::swaks(quint16 port, const QString &subject, const QStringList &extra) const
{
    QStringList args{QStringLiteral("--server"), QStringLiteral("127.0.0.1:%1").arg(port),
                     QStringLiteral("--from"), QStringLiteral("a@example.test"),
                     QStringLiteral("--to"), QStringLiteral("b@example.org"),
                     QStringLiteral("--header"), QStringLiteral("Subject: ") + subject,
                     QStringLiteral("--timeout"), QStringLiteral("20")};
    return run(QStringLiteral("swaks"), args + extra);
}

void TestFrontDoor::submissionWithStartTlsAndAuth()
{
    const Run r = swaks(m_submissionPort, QStringLiteral("frontdoor-587"),
                        {QStringLiteral("--tls"), QStringLiteral("--auth"), QStringLiteral("PLAIN"),
                         QStringLiteral("--auth-user"), kUser, QStringLiteral("--auth-password"), kUserPassword});
    QVERIFY2(r.finished && r.exitCode == 0, r.output.constData());
    QVERIFY2(r.output.contains("<-  220 2.0.0"), r.output.constData()); // STARTTLS accepted
    QVERIFY(r.output.contains("<~  235 ")); // AUTH over TLS
    QVERIFY(r.output.contains("<~  250 2.0.0 Ok: queued as"));
    QVERIFY(r.output.contains("250-SIZE 10485760")); // the listener's own limit
    QVERIFY(r.output.contains("mail.frontdoor.test"));
}

void TestFrontDoor::submissionRefusesWithoutTlsOrAuth()
{
    // No TLS, no AUTH: MAIL is refused before anything else.
    Run r = swaks(m_submissionPort, QStringLiteral("frontdoor-587-plain"), {});
    QVERIFY(r.finished);
    QVERIFY2(r.exitCode != 0, r.output.constData());
    QVERIFY2(r.output.contains("<** 530 5.7.0 Must issue a STARTTLS command first"), r.output.constData());
    QVERIFY(!r.output.contains("queued as"));
    // No TLS: AUTH is not offered, swaks cannot sign in.
    r = swaks(m_submissionPort, QStringLiteral("frontdoor-587-noTLS"),
              {QStringLiteral("--auth"), QStringLiteral("PLAIN"), QStringLiteral("--auth-user"), kUser,
               QStringLiteral("--auth-password"), kUserPassword});
    QVERIFY(r.finished);
    QVERIFY2(r.exitCode != 0, r.output.constData());
    QVERIFY(!r.output.contains("queued as"));
    // TLS without AUTH: still refused.
    r = swaks(m_submissionPort, QStringLiteral("frontdoor-587-noAUTH"), {QStringLiteral("--tls")});
    QVERIFY(r.finished);
    QVERIFY2(r.exitCode != 0, r.output.constData());
    QVERIFY2(r.output.contains("<~* 530 5.7.0 Authentication required"), r.output.constData());
    QVERIFY(!r.output.contains("queued as"));
    // A wrong password over TLS.
    r = swaks(m_submissionPort, QStringLiteral("frontdoor-587-badpw"),
              {QStringLiteral("--tls"), QStringLiteral("--auth"), QStringLiteral("PLAIN"), QStringLiteral("--auth-user"),
               kUser, QStringLiteral("--auth-password"), QStringLiteral("wrong password")});
    QVERIFY(r.finished);
    QVERIFY2(r.exitCode != 0 && r.output.contains("535 5.7.8"), r.output.constData());
}

void TestFrontDoor::relayPortTakesListedAddressOnly()
{
    Run r = swaks(m_relayPort, QStringLiteral("frontdoor-25"), {});
    QVERIFY2(r.finished && r.exitCode == 0, r.output.constData());
    QVERIFY(r.output.contains("<-  250 2.0.0 Ok: queued as"));
    QVERIFY(r.output.contains("STARTTLS")); // offered with the certificate, not required
    // 127.0.0.2 is not on the relay list: no relaying to example.org.
    r = swaks(m_relayPort, QStringLiteral("frontdoor-25-unlisted"),
              {QStringLiteral("--local-interface"), QStringLiteral("127.0.0.2")});
    QVERIFY(r.finished);
    QVERIFY2(r.exitCode != 0 && r.output.contains("<** 554 5.7.1"), r.output.constData());
}

void TestFrontDoor::acceptedMailReachesTheSmartHost()
{
    auto dumps = [&] {
        QMap<QString, QByteArray> bySubject;
        const QDir dir(m_sinkDir.path());
        for (const QString &name : dir.entryList(QDir::Files)) {
            QFile f(dir.filePath(name));
            if (!f.open(QIODevice::ReadOnly))
                continue;
            const QByteArray text = f.readAll();
            for (const char *subject : {"frontdoor-587", "frontdoor-25"}) {
                if (text.contains(QByteArray("Subject: ") + subject + '\n')
                    || text.contains(QByteArray("Subject: ") + subject + "\r\n"))
                    bySubject.insert(QLatin1String(subject), text);
            }
            if (text.contains("frontdoor-587-") || text.contains("frontdoor-25-"))
                bySubject.insert(QStringLiteral("refused"), text);
        }
        return bySubject;
    };
    QTRY_COMPARE_WITH_TIMEOUT(dumps().size(), 2, kTimeoutMs);
    QTest::qWait(500); // nothing else arrives
    const auto got = dumps();
    QCOMPARE(got.keys(), (QStringList{QStringLiteral("frontdoor-25"), QStringLiteral("frontdoor-587")}));
    for (const QByteArray &text : got) {
        QVERIFY(text.contains("a@example.test"));
        QVERIFY(text.contains("b@example.org"));
        QVERIFY(text.contains("mail.frontdoor.test")); // our Received: header
    }
    // RFC 3848: the submission arrived over TLS, signed in; the relay one neither.
    QVERIFY2(got.value(QStringLiteral("frontdoor-587")).contains("with ESMTPSA"),
             got.value(QStringLiteral("frontdoor-587")).constData());
    QVERIFY2(got.value(QStringLiteral("frontdoor-25")).contains("with ESMTP "),
             got.value(QStringLiteral("frontdoor-25")).constData());
}

QTEST_MAIN(TestFrontDoor)
#include "tst_frontdoor.moc"

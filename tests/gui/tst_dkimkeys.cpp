// The DKIM keys section of the Certificates panel (DkimKeysPage, DkimKeyModel,
// DkimKeyDialog) against a real EngineFacade with a real Engine on its own
// thread and a real AdminService, on a temporary data folder. Keys are
// generated through the panel and imported from files the `openssl` tool
// makes; the published records are checked against openssl's own view of the
// keys (the public key DER it derives from the private key file, and the key
// size it reads from the published p= value).

#include "certificates/certificatespanel.h"
#include "certificates/dkimkeydialog.h"
#include "certificates/dkimkeymodel.h"
#include "certificates/dkimkeyspage.h"

#include "config/configsnapshot.h"
#include "config/dkimkeystore.h"
#include "engine/adminservice.h"
#include "engine/engine.h"
#include "engine/enginefacade.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDate>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTableView>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>

using rd::ui::CertificatesPanel;
using rd::ui::DkimKeyDialog;
using rd::ui::DkimKeyModel;
using rd::ui::DkimKeysPage;

namespace {

constexpr int kTimeoutMs = 60000;

quint16 freePort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0))
        return 0;
    return s.serverPort();
}

QByteArray pValue(const QString &record)
{
    const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("(?:^|;)\\s*p=([A-Za-z0-9+/=]+)")).match(record);
    return m.hasMatch() ? m.captured(1).toLatin1() : QByteArray();
}

} // namespace

class TestDkimKeys : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void modelMergesByName();
    void dialogValidatesAsTyped();
    void generateEd25519ThroughDialog();
    void generateRsaShowsSplitRecord();
    void importedKeysPublishOpensslPublicKey();
    void invalidInputIsRefusedAtOnce();
    void badKeyFileFails();
    void disableAndEnable();
    void removeAsksThenRemoves();
    void privateKeysAreNeverShown();

private:
    DkimKeysPage *page() const { return m_panel->dkimKeys(); }
    QLabel *status() const { return page()->findChild<QLabel *>(QStringLiteral("dkimStatus")); }
    static bool isRed(QLabel *l) { return l->styleSheet().contains(QLatin1String("#b01e1e")); }
    QString material(const QString &name) const { return QDir(m_material.path()).filePath(name); }

    bool openssl(const QStringList &args, QByteArray *output = nullptr)
    {
        QProcess p;
        p.setWorkingDirectory(m_material.path());
        p.start(QStringLiteral("openssl"), args);
        const bool done = QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, 60000);
        const bool ok = done && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        if (output)
            *output = p.readAllStandardOutput();
        if (!ok)
            qWarning("openssl %s failed:\n%s", qPrintable(args.join(QLatin1Char(' '))),
                     p.readAllStandardError().constData());
        return ok;
    }

    // Waits until the page's requests are answered and a listing after them arrived.
    bool settle()
    {
        if (!QTest::qWaitFor([&] { return !page()->isBusy(); }, kTimeoutMs))
            return false;
        QSignalSpy listed(m_facade->admin(), &rd::engine::AdminService::dkimKeysListed);
        m_facade->admin()->listDkimKeys();
        return listed.wait(kTimeoutMs);
    }

    // The public key openssl derives from a private key file: SubjectPublicKeyInfo DER.
    QByteArray opensslPublicDer(const QString &keyFile)
    {
        const QString out = keyFile + QStringLiteral(".pub.der");
        if (!openssl({"pkey", "-in", keyFile, "-pubout", "-outform", "DER", "-out", out}))
            return {};
        QFile f(material(out));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

    QTemporaryDir m_dir;
    QTemporaryDir m_material;
    QThread m_thread;
    rd::engine::Engine *m_engine = nullptr;
    std::unique_ptr<rd::engine::EngineFacade> m_facade;
    std::unique_ptr<CertificatesPanel> m_panel;
};

void TestDkimKeys::initTestCase()
{
    QVERIFY(m_dir.isValid() && m_material.isValid());
    rd::config::ConfigSnapshot config;
    config.listeners[0].port = freePort();
    QVERIFY(config.listeners[0].port);
    // As app/runtime.cpp: the engine on its own thread, started queued.
    m_engine = new rd::engine::Engine(m_dir.path(), config, false);
    m_thread.setObjectName(QStringLiteral("engine"));
    m_engine->moveToThread(&m_thread);
    m_thread.start();
    m_facade = std::make_unique<rd::engine::EngineFacade>(m_engine, m_dir.path());
    QMetaObject::invokeMethod(m_engine, &rd::engine::Engine::start, Qt::QueuedConnection);

    QSignalSpy listed(m_facade->admin(), &rd::engine::AdminService::dkimKeysListed);
    m_panel = std::make_unique<CertificatesPanel>(m_facade.get());
    m_panel->resize(1000, 700);
    m_panel->show();
    QVERIFY(listed.wait(kTimeoutMs));
    QCOMPARE(page()->model()->rowCount(), 0);
    m_panel->showSection(CertificatesPanel::DkimSection);
    QCOMPARE(m_panel->currentSection(), CertificatesPanel::DkimSection);
    QVERIFY(page()->isVisible());
}

void TestDkimKeys::cleanupTestCase()
{
    m_panel.reset();
    QMetaObject::invokeMethod(m_engine, &rd::engine::Engine::stop, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    m_facade.reset(); // waits for the admin worker
    delete m_engine;
}

void TestDkimKeys::modelMergesByName()
{
    DkimKeyModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto key = [](const char *domain, const char *selector, bool enabled) {
        rd::config::DkimKeyInfo k;
        k.domain = QLatin1String(domain);
        k.selector = QLatin1String(selector);
        k.algorithm = QStringLiteral("rsa-sha256");
        k.bits = 2048;
        k.enabled = enabled;
        k.dnsName = QStringLiteral("%1._domainkey.%2").arg(k.selector, k.domain);
        k.dnsRecord = QStringLiteral("v=DKIM1; k=rsa; p=AAAA");
        return k;
    };
    model.setKeys({key("a.test", "s1", true), key("b.test", "s1", true)});
    QCOMPARE(model.rowCount(), 2);
    QPersistentModelIndex b(model.index(1, 0));
    model.setKeys({key("a.test", "s0", true), key("b.test", "s1", false)});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.rowOf(QStringLiteral("s0._domainkey.a.test")), 0);
    QVERIFY(b.isValid()); // b.test kept its row object
    QCOMPARE(b.row(), 1);
    QCOMPARE(model.index(1, 0).data(DkimKeyModel::EnabledRole).toBool(), false);
    QCOMPARE(model.index(1, DkimKeyModel::Enabled).data().toString(), QStringLiteral("No (not signing)"));
    QCOMPARE(model.index(1, DkimKeyModel::Algorithm).data().toString(), QStringLiteral("RSA 2048"));
    model.setKeys({});
    QCOMPARE(model.rowCount(), 0);
}

void TestDkimKeys::dialogValidatesAsTyped()
{
    DkimKeyDialog dialog(DkimKeyDialog::Generate);
    // Defaults: rd + this month, RSA 2048; nothing typed: OK off, no red text.
    QCOMPARE(dialog.selector(), QStringLiteral("rd") + QDate::currentDate().toString(QStringLiteral("yyyyMM")));
    QCOMPARE(dialog.algorithm(), QStringLiteral("rsa-sha256"));
    QCOMPARE(dialog.bits(), 2048);
    QVERIFY(!dialog.isAcceptable());
    QVERIFY(dialog.problem().isEmpty());

    dialog.setDomain(QStringLiteral("Example.COM"));
    QVERIFY2(dialog.isAcceptable(), qPrintable(dialog.problem()));
    auto *name = dialog.findChild<QLabel *>(QStringLiteral("dkimRecordName"));
    QCOMPARE(name->text(), QStringLiteral("%1._domainkey.example.com").arg(dialog.selector()));

    // A bad selector: the store's own sentence, inline, and OK off.
    dialog.setSelector(QStringLiteral("bad selector!"));
    QVERIFY(!dialog.isAcceptable());
    QVERIFY(!dialog.problem().isEmpty());
    QCOMPARE(dialog.problem(), rd::config::DkimKeyStore::validateSelector(QStringLiteral("bad selector!")));
    QVERIFY(dialog.findChild<QLabel *>(QStringLiteral("dkimProblem"))->isVisible() || !dialog.isVisible());

    dialog.setSelector(QStringLiteral("s1"));
    dialog.setDomain(QStringLiteral("not a domain"));
    QVERIFY(!dialog.isAcceptable());
    QCOMPARE(dialog.problem(), rd::config::DkimKeyStore::validateDomain(QStringLiteral("not a domain")));

    // An existing pair is refused.
    dialog.setDomain(QStringLiteral("example.com"));
    dialog.setExistingNames({QStringLiteral("s1._domainkey.example.com")});
    QVERIFY(!dialog.isAcceptable());
    QVERIFY2(dialog.problem().contains(QStringLiteral("already exists")), qPrintable(dialog.problem()));

    // Ed25519 carries the note that it belongs beside RSA.
    QVERIFY(dialog.setAlgorithm(QStringLiteral("ed25519-sha256")));
    QCOMPARE(dialog.bits(), 256);
    const QString note = dialog.findChild<QLabel *>(QStringLiteral("dkimAlgorithmNote"))->text();
    QVERIFY2(note.contains(QStringLiteral("RSA")), qPrintable(note));
    QVERIFY(dialog.setAlgorithm(QStringLiteral("rsa-sha256"), 4096));
    QCOMPARE(dialog.bits(), 4096);
    QVERIFY(!dialog.setAlgorithm(QStringLiteral("rsa-sha256"), 1024)); // not offered

    DkimKeyDialog import(DkimKeyDialog::Import);
    import.setDomain(QStringLiteral("example.com"));
    import.setSelector(QStringLiteral("old"));
    QVERIFY(!import.isAcceptable());
    QVERIFY(import.problem().contains(QStringLiteral("file")));
    import.setPemPath(material(QStringLiteral("whatever.pem")));
    QVERIFY(import.isAcceptable());
}

void TestDkimKeys::generateEd25519ThroughDialog()
{
    DkimKeyDialog *dialog = page()->openGenerateDialog();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QCOMPARE(dialog->windowModality(), Qt::WindowModal); // open(), not exec()
    dialog->setDomain(QStringLiteral("example.com"));
    dialog->setSelector(QStringLiteral("ed1"));
    QVERIFY(dialog->setAlgorithm(QStringLiteral("ed25519-sha256")));
    QVERIFY2(dialog->isAcceptable(), qPrintable(dialog->problem()));
    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);
    QVERIFY(page()->isBusy());
    QVERIFY(settle());

    const QString name = QStringLiteral("ed1._domainkey.example.com");
    const int row = page()->model()->rowOf(name);
    QVERIFY(row >= 0);
    QCOMPARE(page()->model()->index(row, 0).data(DkimKeyModel::AlgorithmRole).toString(),
             QStringLiteral("ed25519-sha256"));
    QCOMPARE(page()->model()->index(row, DkimKeyModel::Algorithm).data().toString(), QStringLiteral("Ed25519"));
    QVERIFY2(status()->text().startsWith(QStringLiteral("Generated ed1._domainkey.example.com.")),
             qPrintable(status()->text()));
    QVERIFY(!isRed(status()));
    // The new key is selected and its record shown.
    QCOMPARE(page()->selectedName(), name);
    QCOMPARE(page()->recordName(), name);
    const QString record = page()->recordValue();
    QVERIFY2(record.startsWith(QStringLiteral("v=DKIM1; k=ed25519; p=")), qPrintable(record));
    // RFC 8463: p= is the raw 32-byte public key; openssl reads it back as an
    // Ed25519 key when wrapped in the RFC 8410 SubjectPublicKeyInfo header.
    const QByteArray raw = QByteArray::fromBase64(pValue(record));
    QCOMPARE(raw.size(), 32);
    QFile der(material(QStringLiteral("ed1.der")));
    QVERIFY(der.open(QIODevice::WriteOnly));
    der.write(QByteArray::fromHex("302a300506032b6570032100") + raw);
    der.close();
    QByteArray text;
    QVERIFY(openssl({"pkey", "-pubin", "-inform", "DER", "-in", "ed1.der", "-noout", "-text_pub"}, &text));
    QVERIFY2(text.contains("ED25519"), text.constData());
    // Short record: one string in the zone text.
    QCOMPARE(page()->zoneFileText(), QStringLiteral("%1. IN TXT \"%2\"").arg(name, record));
    // The note says to keep RSA too; Copy puts the value on the clipboard.
    QVERIFY(page()->findChild<QLabel *>(QStringLiteral("dkimKeyNote"))->text().contains(QStringLiteral("RSA")));
    QTest::mouseClick(page()->findChild<QPushButton *>(QStringLiteral("copyDkimRecordButton")), Qt::LeftButton);
    QCOMPARE(QApplication::clipboard()->text(), record);
}

void TestDkimKeys::generateRsaShowsSplitRecord()
{
    page()->generateKey(QStringLiteral("example.com"), QStringLiteral("rsa1"), QStringLiteral("rsa-sha256"), 2048);
    QVERIFY(page()->isBusy());
    QVERIFY(settle());
    const QString name = QStringLiteral("rsa1._domainkey.example.com");
    QVERIFY(page()->selectKey(name));
    const int row = page()->model()->rowOf(name);
    QCOMPARE(page()->model()->index(row, DkimKeyModel::Bits).data().toInt(), 2048);
    const QString record = page()->recordValue();
    QVERIFY2(record.startsWith(QStringLiteral("v=DKIM1; k=rsa; p=")), qPrintable(record));

    // openssl reads p= as a 2048-bit RSA public key.
    QFile der(material(QStringLiteral("rsa1.der")));
    QVERIFY(der.open(QIODevice::WriteOnly));
    der.write(QByteArray::fromBase64(pValue(record)));
    der.close();
    QByteArray text;
    QVERIFY(openssl({"pkey", "-pubin", "-inform", "DER", "-in", "rsa1.der", "-noout", "-text_pub"}, &text));
    QVERIFY2(text.contains("(2048 bit)"), text.constData());

    // Over 255 characters: the zone text carries quoted strings of at most
    // 255 characters that join back to the value.
    QVERIFY(record.size() > 255);
    const QString zone = page()->zoneFileText();
    QVERIFY2(zone.startsWith(name + QStringLiteral(". IN TXT (")), qPrintable(zone));
    QStringList parts;
    const QRegularExpression quotedString(QStringLiteral("\"([^\"]*)\""));
    for (auto it = quotedString.globalMatch(zone); it.hasNext();)
        parts << it.next().captured(1);
    QVERIFY(parts.size() >= 2);
    for (const QString &p : parts)
        QVERIFY(p.size() <= 255);
    QCOMPARE(parts.join(QString()), record);
    const QString note = page()->findChild<QLabel *>(QStringLiteral("dkimKeyNote"))->text();
    QVERIFY2(note.contains(QStringLiteral("as %1 strings").arg(parts.size())), qPrintable(note));
}

void TestDkimKeys::importedKeysPublishOpensslPublicKey()
{
    QVERIFY(openssl({"genpkey", "-algorithm", "ed25519", "-out", "imp-ed.pem"}));
    QVERIFY(openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "imp-rsa.pem"}));
    const QByteArray edDer = opensslPublicDer(QStringLiteral("imp-ed.pem"));
    const QByteArray rsaDer = opensslPublicDer(QStringLiteral("imp-rsa.pem"));
    QCOMPARE(edDer.size(), 44);
    QVERIFY(rsaDer.size() > 256);

    // Through the dialog.
    DkimKeyDialog *dialog = page()->openImportDialog();
    dialog->setDomain(QStringLiteral("mail.example.org"));
    dialog->setSelector(QStringLiteral("imported"));
    dialog->setPemPath(material(QStringLiteral("imp-rsa.pem")));
    QVERIFY2(dialog->isAcceptable(), qPrintable(dialog->problem()));
    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);
    QVERIFY(settle());
    QVERIFY2(status()->text().startsWith(QStringLiteral("Imported imported._domainkey.mail.example.org.")),
             qPrintable(status()->text()));
    QCOMPARE(page()->selectedName(), QStringLiteral("imported._domainkey.mail.example.org"));
    QCOMPARE(QByteArray::fromBase64(pValue(page()->recordValue())), rsaDer);

    // Through the slot.
    page()->importKeyFile(QStringLiteral("mail.example.org"), QStringLiteral("imported-ed"),
                          material(QStringLiteral("imp-ed.pem")));
    QVERIFY(settle());
    QVERIFY(page()->selectKey(QStringLiteral("imported-ed._domainkey.mail.example.org")));
    QVERIFY(page()->recordValue().startsWith(QStringLiteral("v=DKIM1; k=ed25519; p=")));
    QCOMPARE(QByteArray::fromBase64(pValue(page()->recordValue())), edDer.right(32));
}

void TestDkimKeys::invalidInputIsRefusedAtOnce()
{
    const int before = page()->model()->rowCount();
    QSignalSpy finished(m_facade->admin(), &rd::engine::AdminService::dkimActionFinished);

    page()->generateKey(QStringLiteral("example.com"), QStringLiteral("bad selector!"), QStringLiteral("rsa-sha256"),
                        2048);
    QVERIFY(!page()->isBusy());
    QCOMPARE(status()->text(), rd::config::DkimKeyStore::validateSelector(QStringLiteral("bad selector!")));
    QVERIFY(!status()->text().isEmpty());
    QVERIFY(isRed(status()));

    page()->generateKey(QStringLiteral("exa mple.com"), QStringLiteral("ok"), QStringLiteral("rsa-sha256"), 2048);
    QVERIFY(!page()->isBusy());
    QCOMPARE(status()->text(), rd::config::DkimKeyStore::validateDomain(QStringLiteral("exa mple.com")));

    page()->importKeyFile(QStringLiteral("example.com"), QStringLiteral("nofile"), material(QStringLiteral("missing.pem")));
    QVERIFY(!page()->isBusy());
    QVERIFY2(status()->text().startsWith(QStringLiteral("Cannot read")), qPrintable(status()->text()));
    QVERIFY(isRed(status()));

    QTest::qWait(200);
    QCOMPARE(finished.count(), 0); // nothing was requested
    QCOMPARE(page()->model()->rowCount(), before);
}

void TestDkimKeys::badKeyFileFails()
{
    QFile f(material(QStringLiteral("garbage.pem")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    f.close();
    const int before = page()->model()->rowCount();
    page()->importKeyFile(QStringLiteral("example.com"), QStringLiteral("garbage"), f.fileName());
    QVERIFY(page()->isBusy());
    QVERIFY(settle());
    QVERIFY2(status()->text().startsWith(QStringLiteral("Importing garbage._domainkey.example.com failed: ")),
             qPrintable(status()->text()));
    QVERIFY(isRed(status()));
    QCOMPARE(page()->model()->rowCount(), before);
}

void TestDkimKeys::disableAndEnable()
{
    const QString name = QStringLiteral("rsa1._domainkey.example.com");
    QVERIFY(page()->selectKey(name));
    auto *button = page()->findChild<QPushButton *>(QStringLiteral("enableDkimKeyButton"));
    QCOMPARE(button->text(), QStringLiteral("Disable"));
    QVERIFY(button->isEnabled());
    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY(settle());
    const int row = page()->model()->rowOf(name);
    QCOMPARE(page()->model()->index(row, 0).data(DkimKeyModel::EnabledRole).toBool(), false);
    QCOMPARE(page()->selectedName(), name); // the selection stayed
    QCOMPARE(button->text(), QStringLiteral("Enable"));
    QVERIFY2(status()->text().startsWith(QStringLiteral("Disabled ")), qPrintable(status()->text()));
    QVERIFY(page()->findChild<QLabel *>(QStringLiteral("dkimKeyNote"))->text().startsWith(QStringLiteral("Disabled")));
    // The store agrees (read through a separate connection).
    {
        rd::config::DkimKeyStore store(m_dir.path());
        QString error;
        bool found = false;
        for (const rd::config::DkimKeyInfo &k : store.list(&error)) {
            if (k.dnsName == name) {
                found = true;
                QVERIFY(!k.enabled);
            }
        }
        QVERIFY(found);
    }
    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY(settle());
    QCOMPARE(page()->model()->index(row, 0).data(DkimKeyModel::EnabledRole).toBool(), true);
}

void TestDkimKeys::removeAsksThenRemoves()
{
    const QString name = QStringLiteral("ed1._domainkey.example.com");
    QVERIFY(page()->selectKey(name));
    const int before = page()->model()->rowCount();

    auto *box = qobject_cast<QMessageBox *>(page()->removeSelected());
    QVERIFY(box);
    QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
    QVERIFY(!page()->isBusy());
    QVERIFY(settle());
    QCOMPARE(page()->model()->rowCount(), before);

    box = qobject_cast<QMessageBox *>(page()->removeSelected());
    QVERIFY(box);
    QVERIFY(box->informativeText().contains(QStringLiteral("cannot be undone")));
    QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
    QVERIFY(page()->isBusy());
    QVERIFY(settle());
    QCOMPARE(page()->model()->rowCount(), before - 1);
    QCOMPARE(page()->model()->rowOf(name), -1);
    QCOMPARE(status()->text(), QStringLiteral("Removed %1.").arg(name));
    QVERIFY(page()->recordValue().isEmpty() || page()->selectedName() != name);
}

void TestDkimKeys::privateKeysAreNeverShown()
{
    QVERIFY(page()->model()->rowCount() >= 2);
    for (int r = 0; r < page()->model()->rowCount(); ++r) {
        page()->selectKey(page()->model()->keyAt(r).dnsName);
        for (QLabel *l : page()->findChildren<QLabel *>())
            QVERIFY(!l->text().contains(QStringLiteral("PRIVATE")));
        for (QLineEdit *e : page()->findChildren<QLineEdit *>())
            QVERIFY(!e->text().contains(QStringLiteral("PRIVATE")));
        for (QPlainTextEdit *e : page()->findChildren<QPlainTextEdit *>())
            QVERIFY(!e->toPlainText().contains(QStringLiteral("PRIVATE")));
        for (int c = 0; c < DkimKeyModel::ColumnCount; ++c)
            QVERIFY(!page()->model()->index(r, c).data().toString().contains(QStringLiteral("PRIVATE")));
    }
    // For a person to look at the layout (offscreen rendering): RD_GRAB_DIR=/some/dir.
    if (qEnvironmentVariableIsSet("RD_GRAB_DIR")) {
        QVERIFY(page()->selectKey(QStringLiteral("imported._domainkey.mail.example.org")));
        QVERIFY(m_panel->grab().save(QDir(qEnvironmentVariable("RD_GRAB_DIR")).filePath(QStringLiteral("dkim-keys.png"))));
    }
}

QTEST_MAIN(TestDkimKeys)
#include "tst_dkimkeys.moc"

// CertificateModel, the certificate dialogs and CertificatesPanel against a
// real AdminService: a real EngineFacade with no engine, on a temporary data
// folder whose config.db is created by ConfigStore. Test material (a PFX, PEM
// certificates expiring in 10 and 3 days, a CA that signs our CSR) is made at
// run time with the `openssl` command-line tool.

#include "certificates/certificatemodel.h"
#include "certificates/certificaterequestdialog.h"
#include "certificates/certificatespanel.h"
#include "certificates/csrviewdialog.h"
#include "certificates/pemimportdialog.h"
#include "certificates/pkcs12importdialog.h"

#include "config/configsnapshot.h"
#include "config/configstore.h"
#include "engine/adminservice.h"
#include "engine/enginefacade.h"
#include "tls/certificatestore.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPointer>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QCheckBox>
#include <QTest>
#include <QTextBrowser>

#include <memory>

using rd::tls::CertificateInfo;
using rd::tls::KeyType;
using rd::ui::CertificateModel;
using rd::ui::CertificateRequestDialog;
using rd::ui::CertificatesPanel;
using rd::ui::CsrViewDialog;
using rd::ui::Pkcs12ImportDialog;

namespace {

constexpr int kTimeoutMs = 30000;

CertificateInfo fakeInfo(const QString &id, const QDateTime &notAfter)
{
    CertificateInfo c;
    c.id = id;
    c.name = id + QStringLiteral(" name");
    c.commonName = id + QStringLiteral(".example.test");
    c.subject = QStringLiteral("CN=") + c.commonName;
    c.issuer = QStringLiteral("CN=Test CA, O=Tests");
    c.sans = {c.commonName, QStringLiteral("192.0.2.1")};
    c.notBefore = notAfter.addDays(-90);
    c.notAfter = notAfter;
    c.sha256Fingerprint = QStringLiteral("AA:") + id;
    c.keyType = QStringLiteral("RSA");
    c.keyBits = 2048;
    c.chainLength = 2;
    return c;
}

} // namespace

class TestCertificatesPanel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void modelColoursAndRoles();
    void requestDialogValidates();
    void importDialogsMaskSecrets();
    void generateSelfSignedThroughDialog();
    void importPfxWithPassword();
    void importPfxWrongPasswordImportsNothing();
    void linkPemThroughDialog();
    void unreadableFileIsReportedAtOnce();
    void expiringCertificatesAreFlagged();
    void usedByComesFromTheConfig();
    void createCsrAndImportSigned();
    void removeAsksThenRemoves();

private:
    QLabel *status() const { return m_panel->findChild<QLabel *>(QStringLiteral("certificateStatus")); }
    QTableView *table() const { return m_panel->findChild<QTableView *>(QStringLiteral("certificateTable")); }
    QString material(const QString &name) const { return QDir(m_material.path()).filePath(name); }
    static bool isRed(QLabel *l) { return l->styleSheet().contains(QLatin1String("#b01e1e")); }
    static bool isAmber(QLabel *l) { return l->styleSheet().contains(QLatin1String("#8a5a00")); }

    bool openssl(const QStringList &args)
    {
        QProcess p;
        p.setWorkingDirectory(m_material.path());
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral("openssl"), args);
        const bool done = QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, 60000);
        const bool ok = done && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        if (!ok)
            qWarning("openssl %s failed:\n%s", qPrintable(args.join(QLatin1Char(' '))), p.readAll().constData());
        return ok;
    }

    // Waits until this panel's requests are answered and the listing after them arrived.
    bool settle()
    {
        if (!QTest::qWaitFor([&] { return !m_panel->isBusy(); }, kTimeoutMs))
            return false;
        QSignalSpy listed(m_facade->admin(), &rd::engine::AdminService::certificatesListed);
        m_facade->admin()->listCertificates();
        return listed.wait(kTimeoutMs);
    }

    int rowWithCn(const QString &cn) const
    {
        const CertificateModel *m = m_panel->model();
        for (int r = 0; r < m->rowCount(); ++r) {
            if (m->index(r, 0).data(CertificateModel::CommonNameRole).toString() == cn)
                return r;
        }
        return -1;
    }

    QTemporaryDir m_dir;
    QTemporaryDir m_material;
    std::unique_ptr<rd::engine::EngineFacade> m_facade;
    std::unique_ptr<CertificatesPanel> m_panel;
    QString m_selfSignedId;
};

void TestCertificatesPanel::initTestCase()
{
    QVERIFY(m_dir.isValid() && m_material.isValid());
    {
        rd::config::ConfigStore store(m_dir.path());
        QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
    }
    // A PFX (OpenSSL 3 defaults: AES-256, PBKDF2) with password "s3cret".
    QVERIFY(openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "pfx.key", "-out", "pfx.crt",
                     "-days", "365", "-subj", "/CN=pfx.example.test", "-addext",
                     "subjectAltName=DNS:pfx.example.test"}));
    QVERIFY(openssl({"pkcs12", "-export", "-inkey", "pfx.key", "-in", "pfx.crt", "-passout", "pass:s3cret",
                     "-out", "test.pfx"}));
    // Certificates that expire in 10 and in 3 days.
    QVERIFY(openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     "soon.key", "-out", "soon.crt", "-days", "10", "-subj", "/CN=soon.example.test"}));
    QVERIFY(openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     "urgent.key", "-out", "urgent.crt", "-days", "3", "-subj", "/CN=urgent.example.test"}));
    QVERIFY(openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     "linked.key", "-out", "linked.crt", "-days", "365", "-subj", "/CN=linked.example.test"}));
    // A CA to sign the CSR the panel creates.
    QVERIFY(openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     "ca.key", "-out", "ca.crt", "-days", "365", "-subj", "/CN=RelayDesk Panel Test CA"}));

    m_facade = std::make_unique<rd::engine::EngineFacade>(nullptr, m_dir.path());
    QSignalSpy listed(m_facade->admin(), &rd::engine::AdminService::certificatesListed);
    m_panel = std::make_unique<CertificatesPanel>(m_facade.get());
    m_panel->resize(1100, 700);
    m_panel->show();
    QVERIFY(listed.wait(kTimeoutMs));
    QCOMPARE(m_panel->model()->rowCount(), 0);
    QVERIFY(m_panel->bannerText().isEmpty());
}

void TestCertificatesPanel::cleanupTestCase()
{
    m_panel.reset();
    m_facade.reset(); // waits for the admin worker
}

void TestCertificatesPanel::modelColoursAndRoles()
{
    CertificateModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QDateTime now(QDate(2025, 6, 1), QTime(12, 0), Qt::UTC);
    model.setReferenceTime(now);
    QCOMPARE(model.columnCount(), int(CertificateModel::ColumnCount));

    model.setCertificates({fakeInfo("ok", now.addDays(200)), fakeInfo("amber", now.addDays(20).addSecs(60)),
                           fakeInfo("red", now.addDays(5).addSecs(60)), fakeInfo("dead", now.addDays(-3))});
    QCOMPARE(model.rowCount(), 4);

    auto cell = [&](const char *id, int column) { return model.index(model.rowOf(QLatin1String(id)), column); };
    QCOMPARE(cell("ok", 0).data(CertificateModel::ExpiryRole).toInt(), int(CertificateInfo::Ok));
    QVERIFY(!cell("ok", 0).data(Qt::BackgroundRole).isValid());
    QCOMPARE(cell("amber", 0).data(CertificateModel::ExpiryRole).toInt(), int(CertificateInfo::Warn30));
    QCOMPARE(cell("amber", CertificateModel::Sans).data(Qt::BackgroundRole).value<QColor>(),
             CertificateModel::expiryBackground(CertificateInfo::Warn30));
    QCOMPARE(cell("red", 0).data(CertificateModel::ExpiryRole).toInt(), int(CertificateInfo::Warn7));
    QCOMPARE(cell("red", 0).data(Qt::ForegroundRole).value<QColor>(),
             CertificateModel::expiryForeground(CertificateInfo::Warn7));
    QCOMPARE(cell("dead", 0).data(CertificateModel::ExpiryRole).toInt(), int(CertificateInfo::Expired));
    QCOMPARE(cell("dead", 0).data(Qt::BackgroundRole).value<QColor>(),
             CertificateModel::expiryBackground(CertificateInfo::Expired));
    QCOMPARE(model.worstExpiry(), CertificateInfo::Expired);

    QCOMPARE(cell("amber", CertificateModel::Expires).data().toString(),
             now.addDays(20).toLocalTime().toString(QStringLiteral("yyyy-MM-dd")) + QStringLiteral(" (in 20 days)"));
    QVERIFY(cell("dead", CertificateModel::Expires).data().toString().endsWith(QLatin1String("(expired 3 days ago)")));
    QCOMPARE(cell("amber", CertificateModel::Expires).data(CertificateModel::RawValueRole).toDateTime(),
             now.addDays(20).addSecs(60));
    QCOMPARE(cell("ok", CertificateModel::Key).data().toString(), QStringLiteral("RSA 2048"));
    QCOMPARE(cell("ok", CertificateModel::Subject).data().toString(), QStringLiteral("ok.example.test"));
    QCOMPARE(cell("ok", CertificateModel::Issuer).data().toString(), QStringLiteral("Test CA"));
    QCOMPARE(cell("ok", CertificateModel::Sans).data().toString(), QStringLiteral("ok.example.test, 192.0.2.1"));
    QCOMPARE(cell("ok", CertificateModel::Sans).data(CertificateModel::RawValueRole).toStringList().size(), 2);
    QCOMPARE(cell("ok", CertificateModel::UsedBy).data().toString(), QStringLiteral("not used"));

    // Used by: from the listeners' certificate ids.
    rd::config::ListenerConfig a;
    a.name = QStringLiteral("relay25");
    a.certificate = QStringLiteral("ok");
    rd::config::ListenerConfig b = a;
    b.name = QStringLiteral("submission587");
    model.setListeners({a, b});
    QCOMPARE(cell("ok", CertificateModel::UsedBy).data().toString(), QStringLiteral("relay25, submission587"));
    QCOMPARE(cell("ok", 0).data(CertificateModel::UsedByRole).toStringList(),
             (QStringList{"relay25", "submission587"}));

    // Merging keeps persistent indexes on their certificate, without a reset.
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    const QPersistentModelIndex red = cell("red", 0);
    model.setCertificates({fakeInfo("red", now.addDays(5).addSecs(60)), fakeInfo("new", now.addDays(100))});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(red.row(), 0);
    QCOMPARE(model.index(1, 0).data(CertificateModel::IdRole).toString(), QStringLiteral("new"));
    QCOMPARE(reset.size(), 0);
}

void TestCertificatesPanel::requestDialogValidates()
{
    CertificateRequestDialog d(CertificateRequestDialog::SelfSigned);
    QVERIFY(!d.isAcceptable());
    QCOMPARE(d.problem(), QString()); // silent while untouched
    d.setCommonName(QStringLiteral("mail.example.test"));
    QVERIFY(d.isAcceptable());
    d.setSans(QStringLiteral("smtp.example.test, bad name!"));
    QVERIFY(!d.isAcceptable());
    QVERIFY2(d.problem().contains(QLatin1String("\"name!\"")), qPrintable(d.problem()));
    d.setSans(QStringLiteral("smtp.example.test, 192.0.2.7  mx.example.test"));
    QVERIFY(d.isAcceptable());
    QCOMPARE(d.sans(), (QStringList{"smtp.example.test", "192.0.2.7", "mx.example.test"}));
    d.setCommonName(QString());
    QVERIFY(!d.isAcceptable());
    d.setCommonName(QStringLiteral("mail.example.test"));

    QCOMPARE(d.keyType(), int(KeyType::Rsa2048));
    d.setKeyType(int(KeyType::EcdsaP256));
    QCOMPARE(d.keyType(), int(KeyType::EcdsaP256));
    QCOMPARE(d.findChild<QComboBox *>(QStringLiteral("keyType"))->count(), 3);
    QCOMPARE(d.days(), CertificateRequestDialog::DefaultDays);
    d.setDays(99999);
    QCOMPARE(d.days(), CertificateRequestDialog::MaxDays);

    CertificateRequestDialog csr(CertificateRequestDialog::SigningRequest);
    QVERIFY(csr.findChild<QSpinBox *>(QStringLiteral("validityDays"))->isHidden());
}

void TestCertificatesPanel::importDialogsMaskSecrets()
{
    Pkcs12ImportDialog pfx;
    QCOMPARE(pfx.findChild<QLineEdit *>(QStringLiteral("pfxPassword"))->echoMode(), QLineEdit::Password);
    QVERIFY(!pfx.isAcceptable());
    pfx.setFilePath(material("test.pfx"));
    QVERIFY(pfx.isAcceptable()); // an empty password is allowed
    pfx.setPassword(QStringLiteral("s3cret"));
    QCOMPARE(pfx.password(), QStringLiteral("s3cret"));
    pfx.clearPassword();
    QCOMPARE(pfx.password(), QString());

    rd::ui::PemImportDialog pem;
    QCOMPARE(pem.findChild<QLineEdit *>(QStringLiteral("pemPassphrase"))->echoMode(), QLineEdit::Password);
    QVERIFY(!pem.isAcceptable());
    pem.setKeyPath(material("soon.key"));
    QVERIFY(!pem.isAcceptable()); // the certificate is required, the key is not
    pem.setCertificatePath(material("soon.crt"));
    QVERIFY(pem.isAcceptable());
}

void TestCertificatesPanel::generateSelfSignedThroughDialog()
{
    QPointer<CertificateRequestDialog> dialog = m_panel->openSelfSignedDialog();
    QVERIFY(dialog);
    QCOMPARE(dialog->mode(), CertificateRequestDialog::SelfSigned);
    QVERIFY(!dialog->okButton()->isEnabled());
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("commonName")), QStringLiteral("mail.example.test"));
    dialog->setSans(QStringLiteral("smtp.example.test, 127.0.0.1"));
    dialog->setKeyType(int(KeyType::EcdsaP256));
    dialog->setDays(365);
    dialog->setDisplayName(QStringLiteral("Mail server"));
    QVERIFY(dialog->okButton()->isEnabled());
    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);

    QVERIFY(m_panel->isBusy());
    QVERIFY(status()->text().startsWith(QStringLiteral("Working\u2026")));
    QVERIFY(!m_panel->findChild<QPushButton *>(QStringLiteral("generateSelfSignedButton"))->isEnabled());

    QTRY_VERIFY_WITH_TIMEOUT(rowWithCn(QStringLiteral("mail.example.test")) >= 0, kTimeoutMs);
    QVERIFY(!m_panel->isBusy());
    QTRY_VERIFY(!dialog);
    const int row = rowWithCn(QStringLiteral("mail.example.test"));
    const CertificateModel *m = m_panel->model();
    QCOMPARE(m->index(row, CertificateModel::Name).data().toString(), QStringLiteral("Mail server"));
    QCOMPARE(m->index(row, CertificateModel::Subject).data().toString(), QStringLiteral("mail.example.test"));
    QCOMPARE(m->index(row, 0).data(CertificateModel::KeyTypeRole).toString(), QStringLiteral("ECDSA P-256"));
    QCOMPARE(m->index(row, CertificateModel::Key).data().toString(), QStringLiteral("ECDSA P-256"));
    QCOMPARE(m->index(row, CertificateModel::Issuer).data().toString(), QStringLiteral("Self-signed"));
    QVERIFY(m->index(row, 0).data(CertificateModel::SansRole).toStringList().contains(QStringLiteral("smtp.example.test")));
    QCOMPARE(m->index(row, 0).data(CertificateModel::ExpiryRole).toInt(), int(CertificateInfo::Ok));
    QCOMPARE(status()->text(), QStringLiteral("Self-signed certificate for mail.example.test created"));
    QVERIFY(!isRed(status()) && !isAmber(status()));
    QVERIFY(m_panel->bannerText().isEmpty());

    // The new certificate is selected; the detail pane shows every field.
    m_selfSignedId = m->index(row, 0).data(CertificateModel::IdRole).toString();
    QCOMPARE(m_panel->selectedCertificateId(), m_selfSignedId);
    const CertificateInfo info = m->certificateAt(row);
    const QString detail = m_panel->findChild<QTextBrowser *>(QStringLiteral("certificateDetail"))->toPlainText();
    QVERIFY2(detail.contains(info.sha256Fingerprint), qPrintable(detail));
    QVERIFY(detail.contains(info.sha1Fingerprint));
    QVERIFY(detail.contains(QLatin1String("Self-signed")));
    QVERIFY(detail.contains(QLatin1String("Chain length")));
    QVERIFY(detail.contains(info.serialNumber));
}

void TestCertificatesPanel::importPfxWithPassword()
{
    const int before = m_panel->model()->rowCount();
    // Through the dialog, as the user would.
    QPointer<Pkcs12ImportDialog> dialog = m_panel->openPkcs12Dialog();
    QVERIFY(dialog);
    dialog->setFilePath(material("test.pfx"));
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("pfxPassword")), QStringLiteral("s3cret"));
    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->model()->rowCount(), before + 1, kTimeoutMs);
    QVERIFY(settle());
    const int row = rowWithCn(QStringLiteral("pfx.example.test"));
    QVERIFY(row >= 0);
    QCOMPARE(m_panel->model()->index(row, CertificateModel::Key).data().toString(), QStringLiteral("RSA 2048"));
    QCOMPARE(m_panel->model()->index(row, CertificateModel::Name).data().toString(), QStringLiteral("pfx.example.test"));
    QCOMPARE(status()->text(), QStringLiteral("Certificate imported from test.pfx"));
    QVERIFY(!isRed(status()));
    QVERIFY(!status()->text().contains(QLatin1String("s3cret")));
}

void TestCertificatesPanel::linkPemThroughDialog()
{
    const int before = m_panel->model()->rowCount();
    QPointer<rd::ui::PemImportDialog> dialog = m_panel->openPemDialog();
    QVERIFY(dialog);
    dialog->setCertificatePath(material("linked.crt"));
    dialog->setKeyPath(material("linked.key"));
    auto *link = dialog->findChild<QCheckBox *>(QStringLiteral("pemLinkFiles"));
    QVERIFY(link);
    link->click();
    QCOMPARE(dialog->okButton()->text(), QStringLiteral("Link"));
    QVERIFY(!dialog->findChild<QLineEdit *>(QStringLiteral("pemPassphrase"))->isEnabled());
    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->model()->rowCount(), before + 1, kTimeoutMs);
    QVERIFY(settle());
    QCOMPARE(status()->text(), QStringLiteral("Certificate linked to linked.crt: it is reloaded when the file is renewed"));
    // The store keeps the path, not a copy.
    rd::tls::CertificateStore store(rd::tls::CertificateStore::defaultFolder(m_facade->dataDir()));
    QString error;
    QVERIFY2(store.open(&error), qPrintable(error));
    QStringList linkedFiles;
    for (const QString &id : store.linkedIds())
        linkedFiles << store.linkedFiles(id);
    QVERIFY2(linkedFiles.contains(QFileInfo(material("linked.crt")).absoluteFilePath()), qPrintable(linkedFiles.join(u',')));
    // A path that does not hold a certificate links nothing and says why.
    const int after = m_panel->model()->rowCount();
    m_panel->linkPemFiles(material("linked.key"), QString());
    QVERIFY(settle());
    QVERIFY2(status()->text().startsWith(QLatin1String("Could not link linked.key")), qPrintable(status()->text()));
    QVERIFY(isRed(status()));
    QCOMPARE(m_panel->model()->rowCount(), after);
}

void TestCertificatesPanel::importPfxWrongPasswordImportsNothing()
{
    const int before = m_panel->model()->rowCount();
    m_panel->importPkcs12File(material("test.pfx"), QStringLiteral("not the password"), QStringLiteral("wrong"));
    QVERIFY(settle());
    QVERIFY2(status()->text().contains(QLatin1String("password")), qPrintable(status()->text()));
    QVERIFY(status()->text().startsWith(QLatin1String("Import of test.pfx failed")));
    QVERIFY(isRed(status()));
    QVERIFY(!status()->text().contains(QLatin1String("not the password")));
    QCOMPARE(m_panel->model()->rowCount(), before);
}

void TestCertificatesPanel::unreadableFileIsReportedAtOnce()
{
    QSignalSpy finished(m_facade->admin(), &rd::engine::AdminService::certificateActionFinished);
    m_panel->importPemFiles(material("missing.crt"), QString(), QString());
    QVERIFY(!m_panel->isBusy());
    QVERIFY(status()->text().startsWith(QLatin1String("Cannot read")));
    QVERIFY(isRed(status()));
    QFile big(material("big.pem"));
    QVERIFY(big.open(QIODevice::WriteOnly));
    QVERIFY(big.resize(CertificatesPanel::MaxFileBytes + 1));
    big.close();
    m_panel->importPkcs12File(big.fileName(), QString());
    QVERIFY(status()->text().contains(QLatin1String("too large")));
    QVERIFY(!m_panel->isBusy());
    QTest::qWait(50);
    QCOMPARE(finished.size(), 0);
}

void TestCertificatesPanel::expiringCertificatesAreFlagged()
{
    // 10 days: amber.
    m_panel->importPemFiles(material("soon.crt"), material("soon.key"), QString());
    QTRY_VERIFY_WITH_TIMEOUT(rowWithCn(QStringLiteral("soon.example.test")) >= 0, kTimeoutMs);
    QVERIFY(settle());
    const CertificateModel *m = m_panel->model();
    int row = rowWithCn(QStringLiteral("soon.example.test"));
    QCOMPARE(m->index(row, 0).data(CertificateModel::ExpiryRole).toInt(), int(CertificateInfo::Warn30));
    const int days = m->index(row, 0).data(CertificateModel::DaysLeftRole).toInt();
    QVERIFY2(days == 9 || days == 10, qPrintable(QString::number(days)));
    QCOMPARE(m->index(row, CertificateModel::Expires).data(Qt::BackgroundRole).value<QColor>(),
             CertificateModel::expiryBackground(CertificateInfo::Warn30));
    QVERIFY(m->index(row, CertificateModel::Expires).data().toString().endsWith(QStringLiteral("(in %1 days)").arg(days)));
    // The PEM import of an expiring certificate may carry a warning (amber), never an error.
    QVERIFY(!isRed(status()));

    auto *banner = m_panel->findChild<QLabel *>(QStringLiteral("certificateBanner"));
    QVERIFY(banner->isVisible());
    QVERIFY2(m_panel->bannerText().contains(QStringLiteral("Certificate \u201csoon.example.test\u201d expires in %1 days").arg(days)),
             qPrintable(m_panel->bannerText()));
    QCOMPARE(banner->property("severity").toString(), QStringLiteral("warning"));
    // Other rows are not flagged.
    QCOMPARE(m->index(rowWithCn(QStringLiteral("mail.example.test")), 0).data(Qt::BackgroundRole), QVariant());

    // 3 days: red, and the banner turns red.
    m_panel->importPemFiles(material("urgent.crt"), material("urgent.key"), QString(), QStringLiteral("Urgent"));
    QTRY_VERIFY_WITH_TIMEOUT(rowWithCn(QStringLiteral("urgent.example.test")) >= 0, kTimeoutMs);
    QVERIFY(settle());
    row = rowWithCn(QStringLiteral("urgent.example.test"));
    QCOMPARE(m->index(row, 0).data(CertificateModel::ExpiryRole).toInt(), int(CertificateInfo::Warn7));
    QCOMPARE(m->index(row, 0).data(Qt::ForegroundRole).value<QColor>(),
             CertificateModel::expiryForeground(CertificateInfo::Warn7));
    QVERIFY(m_panel->bannerText().contains(QStringLiteral("Certificate \u201cUrgent\u201d expires in")));
    QVERIFY(m_panel->bannerText().contains(QLatin1String("soon.example.test")));
    QCOMPARE(banner->property("severity").toString(), QStringLiteral("error"));
}

void TestCertificatesPanel::usedByComesFromTheConfig()
{
    QVERIFY(!m_selfSignedId.isEmpty());
    rd::config::ConfigSnapshot config;
    rd::config::ListenerConfig submission;
    submission.name = QStringLiteral("submission");
    submission.port = 587;
    submission.certificate = m_selfSignedId;
    config.listeners << submission;
    m_panel->setConfig(config);

    const int row = m_panel->model()->rowOf(m_selfSignedId);
    QCOMPARE(m_panel->model()->index(row, CertificateModel::UsedBy).data().toString(), QStringLiteral("submission"));

    // Removing it warns that a listener uses it; Cancel keeps it.
    table()->selectRow(row);
    QCOMPARE(m_panel->selectedCertificateId(), m_selfSignedId);
    auto *box = qobject_cast<QMessageBox *>(m_panel->removeSelected());
    QVERIFY(box);
    QVERIFY(box->informativeText().contains(QLatin1String("submission")));
    QCOMPARE(box->icon(), QMessageBox::Warning);
    QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
    QVERIFY(!m_panel->isBusy());
    QVERIFY(m_panel->model()->rowOf(m_selfSignedId) >= 0);
}

void TestCertificatesPanel::createCsrAndImportSigned()
{
    QSignalSpy created(m_facade->admin(), &rd::engine::AdminService::csrCreated);
    QPointer<CertificateRequestDialog> dialog = m_panel->openCsrDialog();
    QVERIFY(dialog);
    dialog->setCommonName(QStringLiteral("csr.example.test"));
    dialog->setSans(QStringLiteral("mx.example.test"));
    dialog->setKeyType(int(KeyType::EcdsaP256));
    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);

    QVERIFY(created.wait(kTimeoutMs));
    const QString pendingId = created.first().at(0).toString();
    const QByteArray pem = created.first().at(1).toByteArray();
    QVERIFY(pem.startsWith("-----BEGIN CERTIFICATE REQUEST-----"));
    QVERIFY(settle());
    QCOMPARE(m_panel->pendingIds(), QStringList{pendingId});
    QCOMPARE(m_panel->selectedPendingId(), pendingId);
    QVERIFY(status()->text().startsWith(QLatin1String("Signing request for csr.example.test created")));
    QCOMPARE(rowWithCn(QStringLiteral("csr.example.test")), -1); // not a certificate yet

    // The request is shown for copying and saving.
    CsrViewDialog *view = m_panel->findChild<CsrViewDialog *>();
    QVERIFY(view);
    QVERIFY(view->isVisible());
    QCOMPARE(view->text().toLatin1(), pem);
    QVERIFY(view->saveTo(material("request.csr")));
    view->close();

    // The CA signs it; importing the answer completes the request.
    QVERIFY(openssl({"x509", "-req", "-in", "request.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                     "-days", "90", "-copy_extensions", "copy", "-out", "signed.crt"}));
    m_panel->importSignedFile(pendingId, material("signed.crt"));
    QTRY_VERIFY_WITH_TIMEOUT(rowWithCn(QStringLiteral("csr.example.test")) >= 0, kTimeoutMs);
    QVERIFY(settle());
    QVERIFY(m_panel->pendingIds().isEmpty());
    const int row = rowWithCn(QStringLiteral("csr.example.test"));
    QCOMPARE(m_panel->model()->index(row, CertificateModel::Issuer).data().toString(),
             QStringLiteral("RelayDesk Panel Test CA"));
    QVERIFY(status()->text().startsWith(QLatin1String("Signed certificate imported from signed.crt")));
}

void TestCertificatesPanel::removeAsksThenRemoves()
{
    const int row = rowWithCn(QStringLiteral("pfx.example.test"));
    QVERIFY(row >= 0);
    const QString id = m_panel->model()->index(row, 0).data(CertificateModel::IdRole).toString();
    table()->selectRow(row);
    auto *box = qobject_cast<QMessageBox *>(m_panel->removeSelected());
    QVERIFY(box);
    QCOMPARE(box->icon(), QMessageBox::Question); // no listener uses it
    const int before = m_panel->model()->rowCount();
    QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
    QVERIFY(m_panel->isBusy());
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->model()->rowCount(), before - 1, kTimeoutMs);
    QVERIFY(settle());
    QCOMPARE(m_panel->model()->rowOf(id), -1);
    QCOMPARE(status()->text(), QStringLiteral("pfx.example.test removed"));
    QVERIFY(m_panel->selectedCertificateId() != id);
}

QTEST_MAIN(TestCertificatesPanel)
#include "tst_certificatespanel.moc"

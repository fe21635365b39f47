// The "Order with ACME" dialog offscreen: what it allows before an order
// (names, terms, HTTP-01 only when acme.http01_allowed), the DNS-01 records it
// shows and the confirmation it sends, the end of an order (issued / failed),
// and an order through a facade without an engine (a clear failure, nothing
// left running). The order itself runs in the engine and is tested against
// Pebble (tests/unit/tst_acmepebble.cpp, tests/integration/test_acme.py).

#include "certificates/acmedialog.h"
#include "certificates/dnsupdatedialog.h"
#include "certificates/certificatespanel.h"

#include "config/settings.h"
#include "engine/engine.h"
#include "engine/enginefacade.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QSpinBox>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

using rd::config::ConfigSnapshot;
using rd::ui::AcmeDialog;
namespace keys = rd::config::keys;

namespace {

ConfigSnapshot config(bool http01)
{
    ConfigSnapshot c;
    QString e;
    c.setValue(QString::fromLatin1(keys::kHostname), QStringLiteral("Mail.Example.com"), &e);
    c.setValue(QString::fromLatin1(keys::kAcmeHttp01), http01, &e);
    c.setValue(QString::fromLatin1(keys::kAcmeEmail), QStringLiteral("admin@example.com"), &e);
    return c;
}

quint16 freeTcpPort()
{
    QTcpServer s;
    return s.listen(QHostAddress::LocalHost, 0) ? s.serverPort() : 0;
}

const char kSecret[] = "c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OQ=="; // base64

} // namespace

class TestAcmeDialog : public QObject {
    Q_OBJECT
private slots:
    void defaultsAndValidation();
    void http01OnlyWhenAllowed();
    void dnsRecordsShown();
    void finishedStates();
    void orderWithoutEngineFails();
    void panelOpensTheDialog();
    void namesFollowConfigUntilTyped();
    void automaticDnsHidesRecords();
    void dnsUpdateValidation();
    void dnsUpdateSavedThroughEngine();

private:
    template <typename T>
    T *child(QObject *o, const char *name)
    {
        T *w = o->findChild<T *>(QLatin1String(name));
        if (!w)
            qFatal("no child %s", name);
        return w;
    }
    QTemporaryDir m_dir;
};

void TestAcmeDialog::defaultsAndValidation()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    AcmeDialog d(&facade, config(true));
    QCOMPARE(d.names(), QStringList{QStringLiteral("mail.example.com")}); // the host name, lower case
    QCOMPARE(d.challenge(), QStringLiteral("http-01"));
    QVERIFY(!d.orderButton()->isEnabled()); // terms not agreed yet
    child<QCheckBox>(&d, "acmeTerms")->setChecked(true);
    QVERIFY(d.orderButton()->isEnabled());
    child<QLineEdit>(&d, "acmeNames")->setText(QStringLiteral(" smtp.example.com,mail.example.com  SMTP.example.com "));
    QCOMPARE(d.names(), (QStringList{QStringLiteral("smtp.example.com"), QStringLiteral("mail.example.com")}));
    child<QLineEdit>(&d, "acmeNames")->clear();
    QVERIFY(!d.orderButton()->isEnabled());
    QVERIFY(child<QLabel>(&d, "acmeDirectory")->text().contains(QLatin1String("letsencrypt")));
}

void TestAcmeDialog::http01OnlyWhenAllowed()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    AcmeDialog d(&facade, config(false));
    QCOMPARE(d.challenge(), QStringLiteral("dns-01")); // HTTP-01 is off: DNS-01 preselected
    QVERIFY(child<QLabel>(&d, "acmeChallengeNote")->text().contains(QLatin1String("acme.http01_allowed")));
    child<QCheckBox>(&d, "acmeTerms")->setChecked(true);
    QVERIFY(d.orderButton()->isEnabled());
    child<QComboBox>(&d, "acmeChallenge")->setCurrentIndex(0); // HTTP-01 chosen anyway
    QCOMPARE(d.challenge(), QStringLiteral("http-01"));
    QVERIFY(!d.orderButton()->isEnabled());
}

void TestAcmeDialog::dnsRecordsShown()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    AcmeDialog d(&facade, config(false));
    child<QCheckBox>(&d, "acmeTerms")->setChecked(true);
    // Without an engine the order ends at once; show the records as an engine would mid-order.
    d.order();
    QTRY_VERIFY(!d.isRunning());
    QVERIFY(child<QLabel>(&d, "acmeResult")->text().contains(QLatin1String("no engine")));
    // What the engine reports mid-order for DNS-01: the records to publish.
    QList<rd::acme::DnsChallengeRecord> records{{QStringLiteral("_acme-challenge.mail.example.com"),
                                                 QStringLiteral("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0")}};
    d.setDnsRecords(records);
    auto *table = child<QTableWidget>(&d, "acmeDnsRecords");
    QCOMPARE(table->rowCount(), 1);
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("_acme-challenge.mail.example.com"));
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"));
    QVERIFY(child<QPushButton>(&d, "acmeCopyRecords")->isEnabled());
    QVERIFY(child<QPlainTextEdit>(&d, "acmeProgress")->toPlainText().contains(QLatin1String("publish the 1 TXT")));
}

void TestAcmeDialog::finishedStates()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    AcmeDialog d(&facade, config(true));
    QSignalSpy issued(&d, &AcmeDialog::issued);
    d.setFinished(false, QStringLiteral("authorization for mail.example.com failed: urn:ietf:params:acme:error:"
                                        "connection"),
                  QString());
    QVERIFY(child<QLabel>(&d, "acmeResult")->text().startsWith(QLatin1String("The order failed: authorization")));
    QCOMPARE(issued.count(), 0);
    d.setFinished(true, QStringLiteral("certificate c-1 issued for CN=mail.example.com, valid until 2027-02-24"),
                  QStringLiteral("c-1"));
    QCOMPARE(issued.count(), 1);
    QCOMPARE(issued.first().first().toString(), QStringLiteral("c-1"));
    QVERIFY(child<QLabel>(&d, "acmeResult")->text().startsWith(QLatin1String("Issued: certificate c-1")));
    QVERIFY(!child<QPushButton>(&d, "acmeCancel")->isEnabled());
}

void TestAcmeDialog::orderWithoutEngineFails()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    AcmeDialog d(&facade, config(true));
    QSignalSpy finished(&facade, &rd::engine::EngineFacade::acmeFinished);
    child<QCheckBox>(&d, "acmeTerms")->setChecked(true);
    QTest::mouseClick(d.orderButton(), Qt::LeftButton);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.first().at(0).toBool(), false);
    QVERIFY(!d.isRunning());
    QVERIFY(d.orderButton()->isEnabled()); // may try again
}

void TestAcmeDialog::panelOpensTheDialog()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    rd::ui::CertificatesPanel panel(&facade);
    panel.setConfig(config(false));
    auto *button = panel.findChild<QPushButton *>(QStringLiteral("acmeButton"));
    QVERIFY(button);
    QPointer<AcmeDialog> d = panel.openAcmeDialog();
    QVERIFY(d);
    QCOMPARE(d->challenge(), QStringLiteral("dns-01"));
    QCOMPARE(d->names(), QStringList{QStringLiteral("mail.example.com")});
    d->close();
}

void TestAcmeDialog::namesFollowConfigUntilTyped()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    AcmeDialog d(&facade, ConfigSnapshot()); // before the engine's configuration arrives
    d.setConfig(config(true));
    QCOMPARE(d.names(), QStringList{QStringLiteral("mail.example.com")});
    auto *names = child<QLineEdit>(&d, "acmeNames");
    names->selectAll();
    QTest::keyClicks(names, QStringLiteral("smtp.example.com"));
    d.setConfig(config(true));
    QCOMPARE(d.names(), QStringList{QStringLiteral("smtp.example.com")});
}

void TestAcmeDialog::automaticDnsHidesRecords()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    ConfigSnapshot c = config(false);
    QString e;
    QVERIFY2(c.setValue(QString::fromLatin1(keys::kAcmeDnsUpdateServer), QStringLiteral("ns1.example.com:5353"), &e),
             qPrintable(e));
    AcmeDialog d(&facade, c);
    d.show();
    QCOMPARE(d.challenge(), QStringLiteral("dns-01"));
    auto *combo = child<QComboBox>(&d, "acmeChallenge");
    QVERIFY2(combo->itemText(1).contains(QLatin1String("ns1.example.com:5353")), qPrintable(combo->itemText(1)));
    QVERIFY2(combo->itemText(1).contains(QLatin1String("RFC 2136")), qPrintable(combo->itemText(1)));
    // Nothing for the admin to publish or confirm.
    QVERIFY(!child<QTableWidget>(&d, "acmeDnsRecords")->isVisible());
    QVERIFY(!child<QPushButton>(&d, "acmeDnsPublished")->isVisible());
    // Without the server: the manual records again.
    d.setConfig(config(false));
    QVERIFY(combo->itemText(1).contains(QLatin1String("you publish")));
    QVERIFY(child<QTableWidget>(&d, "acmeDnsRecords")->isVisible());
    QVERIFY(child<QPushButton>(&d, "acmeDnsPublished")->isVisible());
}

void TestAcmeDialog::dnsUpdateValidation()
{
    rd::engine::EngineFacade facade(nullptr, m_dir.path());
    ConfigSnapshot c = config(false);
    rd::ui::DnsUpdateDialog d(&facade, c);
    auto *status = child<QLabel>(&d, "dnsUpdateStatus");
    auto *save = child<QPushButton>(&d, "dnsUpdateSave");
    QVERIFY(!child<QPushButton>(&d, "dnsUpdateOff")->isEnabled()); // nothing to turn off

    // A server without a key: refused before anything is applied.
    child<QLineEdit>(&d, "dnsUpdateServer")->setText(QStringLiteral("127.0.0.1:5353"));
    QSignalSpy applied(&facade, &rd::engine::EngineFacade::configApplied);
    QTest::mouseClick(save, Qt::LeftButton);
    QCOMPARE(applied.count(), 0);
    QVERIFY2(status->text().contains(QLatin1String("TSIG key name: needed")), qPrintable(status->text()));
    QVERIFY2(status->text().contains(QLatin1String("Secret: needed")), qPrintable(status->text()));

    // Bad values are named by field; the secret itself is never echoed.
    child<QLineEdit>(&d, "dnsUpdateKeyName")->setText(QStringLiteral("acme key!"));
    child<QLineEdit>(&d, "dnsUpdateSecret")->setText(QStringLiteral("not*base64*at*all"));
    child<QLineEdit>(&d, "dnsUpdateServer")->setText(QStringLiteral("127.0.0.1:99999"));
    QTest::mouseClick(save, Qt::LeftButton);
    QCOMPARE(applied.count(), 0);
    QVERIFY2(status->text().contains(QLatin1String("TSIG key name:")), qPrintable(status->text()));
    QVERIFY2(status->text().contains(QLatin1String("Secret:")), qPrintable(status->text()));
    QVERIFY2(status->text().contains(QLatin1String("DNS server:")), qPrintable(status->text()));
    QVERIFY(!status->text().contains(QLatin1String("not*base64")));

    // Good values: the edited configuration carries them; without an engine the save fails clearly.
    child<QLineEdit>(&d, "dnsUpdateServer")->setText(QStringLiteral("127.0.0.1:5353"));
    child<QLineEdit>(&d, "dnsUpdateZone")->setText(QStringLiteral("example.test"));
    child<QLineEdit>(&d, "dnsUpdateKeyName")->setText(QStringLiteral("acme-key"));
    child<QComboBox>(&d, "dnsUpdateAlgorithm")->setCurrentText(QStringLiteral("hmac-sha512"));
    child<QLineEdit>(&d, "dnsUpdateSecret")->setText(QString::fromLatin1(kSecret));
    child<QSpinBox>(&d, "dnsUpdateTtl")->setValue(30);
    QStringList errors;
    const ConfigSnapshot edited = d.edited(&errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
    QCOMPARE(edited.stringValue(keys::kAcmeDnsUpdateServer), QStringLiteral("127.0.0.1:5353"));
    QCOMPARE(edited.stringValue(keys::kAcmeDnsUpdateZone), QStringLiteral("example.test"));
    QCOMPARE(edited.stringValue(keys::kAcmeTsigKeyName), QStringLiteral("acme-key"));
    QCOMPARE(edited.stringValue(keys::kAcmeTsigAlgorithm), QStringLiteral("hmac-sha512"));
    QCOMPARE(edited.stringValue(keys::kAcmeTsigSecret), QString::fromLatin1(kSecret));
    QCOMPARE(edited.intValue(keys::kAcmeDnsUpdateTtl), 30);
    QTest::mouseClick(save, Qt::LeftButton);
    QCOMPARE(applied.count(), 1);
    QVERIFY2(status->text().startsWith(QLatin1String("Not saved: no engine")), qPrintable(status->text()));
    QVERIFY(d.isVisible() || d.result() != QDialog::Accepted);
}

void TestAcmeDialog::dnsUpdateSavedThroughEngine()
{
    // A real engine in its own thread, as the application runs it.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ConfigSnapshot start = config(false);
    start.listeners[0].port = freeTcpPort();
    QVERIFY(start.listeners[0].port);
    auto *engine = new rd::engine::Engine(dir.path(), start, false);
    QThread thread;
    engine->moveToThread(&thread);
    thread.start();
    rd::engine::EngineFacade facade(engine, dir.path());
    QMetaObject::invokeMethod(engine, &rd::engine::Engine::start, Qt::QueuedConnection);

    ConfigSnapshot loaded;
    bool haveConfig = false;
    connect(&facade, &rd::engine::EngineFacade::configLoaded, this, [&](const ConfigSnapshot &c) {
        loaded = c;
        haveConfig = true;
    });
    facade.requestConfig();
    QTRY_VERIFY_WITH_TIMEOUT(haveConfig, 10000);

    AcmeDialog acme(&facade, loaded);
    {
        rd::ui::DnsUpdateDialog d(&facade, loaded);
        child<QLineEdit>(&d, "dnsUpdateServer")->setText(QStringLiteral("127.0.0.1:5353"));
        child<QLineEdit>(&d, "dnsUpdateKeyName")->setText(QStringLiteral("acme-key"));
        child<QLineEdit>(&d, "dnsUpdateSecret")->setText(QString::fromLatin1(kSecret));
        QSignalSpy accepted(&d, &QDialog::accepted);
        d.save();
        QTRY_COMPARE_WITH_TIMEOUT(accepted.count(), 1, 10000);
    }
    haveConfig = false;
    facade.requestConfig();
    QTRY_VERIFY_WITH_TIMEOUT(haveConfig, 10000);
    QCOMPARE(loaded.stringValue(keys::kAcmeDnsUpdateServer), QStringLiteral("127.0.0.1:5353"));
    QCOMPARE(loaded.stringValue(keys::kAcmeTsigKeyName), QStringLiteral("acme-key"));
    QCOMPARE(loaded.stringValue(keys::kAcmeTsigSecret), QString::fromLatin1(kSecret));
    // The ACME dialog follows the saved configuration (configLoaded), names included until typed.
    QCOMPARE(acme.names(), QStringList{QStringLiteral("mail.example.com")});
    QTRY_VERIFY(child<QComboBox>(&acme, "acmeChallenge")->itemText(1).contains(QLatin1String("127.0.0.1:5353")));

    // Opened again (here before the configuration is known, as at start-up): the fields follow the
    // engine's configuration; the secret is not shown, and an empty field keeps it; Turn off clears the server.
    {
        rd::ui::DnsUpdateDialog d(&facade, ConfigSnapshot());
        QVERIFY(child<QLineEdit>(&d, "dnsUpdateServer")->text().isEmpty());
        facade.requestConfig();
        QTRY_COMPARE_WITH_TIMEOUT(child<QLineEdit>(&d, "dnsUpdateServer")->text(), QStringLiteral("127.0.0.1:5353"), 10000);
        QCOMPARE(child<QLineEdit>(&d, "dnsUpdateKeyName")->text(), QStringLiteral("acme-key"));
        auto *secret = child<QLineEdit>(&d, "dnsUpdateSecret");
        QVERIFY(secret->text().isEmpty());
        QVERIFY(secret->placeholderText().contains(QLatin1String("stored")));
        QVERIFY(child<QPushButton>(&d, "dnsUpdateOff")->isEnabled());
        QSignalSpy accepted(&d, &QDialog::accepted);
        d.turnOff();
        QTRY_COMPARE_WITH_TIMEOUT(accepted.count(), 1, 10000);
    }
    haveConfig = false;
    facade.requestConfig();
    QTRY_VERIFY_WITH_TIMEOUT(haveConfig, 10000);
    QVERIFY(loaded.stringValue(keys::kAcmeDnsUpdateServer).isEmpty());
    QTRY_VERIFY(child<QComboBox>(&acme, "acmeChallenge")->itemText(1).contains(QLatin1String("you publish")));

    QMetaObject::invokeMethod(engine, &rd::engine::Engine::stop, Qt::BlockingQueuedConnection);
    thread.quit();
    thread.wait();
    delete engine;
}

QTEST_MAIN(TestAcmeDialog)
#include "tst_acmedialog.moc"

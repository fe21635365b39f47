// The Delivery panel offscreen: IIS retry fields mapped onto the schedule
// (untouched values kept exactly), validation of addresses, domains and
// folders (checked on disk off the GUI thread), the badmail list through its
// request signal, and Apply through a facade without an engine.

#include "delivery/badmailmodel.h"
#include "delivery/deliveryfields.h"
#include "delivery/deliverypanel.h"

#include "config/settings.h"
#include "engine/enginefacade.h"
#include "pickup/badmail.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

using rd::config::ConfigSnapshot;
using rd::ui::DeliveryPanel;
namespace keys = rd::config::keys;

namespace {

ConfigSnapshot baseConfig()
{
    ConfigSnapshot c;
    QString e;
    c.setValue(QString::fromLatin1(keys::kHostname), QStringLiteral("relay.example.com"), &e);
    c.setValue(QString::fromLatin1(keys::kRetrySchedule), QStringLiteral("60,300,900,1800,3600"), &e);
    c.setValue(QString::fromLatin1(keys::kMaxAge), 432000 + 30, &e); // not whole minutes
    c.setValue(QString::fromLatin1(keys::kDelayWarning), 14400, &e);
    return c;
}

} // namespace

class TestDeliveryPanel : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void retryMapping();
    void loadsAndKeepsExactValues();
    void editedRetryFieldsWriteFourSteps();
    void validation();
    void folders();
    void badmailList();
    void applyWithoutEngine();
    void outboundTlsSettings();

private:
    QTemporaryDir m_dir;
    std::unique_ptr<rd::engine::EngineFacade> m_facade;
    std::unique_ptr<DeliveryPanel> m_panel;
};

void TestDeliveryPanel::init()
{
    m_facade = std::make_unique<rd::engine::EngineFacade>(nullptr, m_dir.path());
    m_panel = std::make_unique<DeliveryPanel>(m_facade.get());
    m_panel->resize(1100, 760);
    m_panel->setConfig(baseConfig());
    QVERIFY(m_panel->hasConfig());
}

void TestDeliveryPanel::cleanup()
{
    m_panel.reset();
    m_facade.reset();
}

void TestDeliveryPanel::retryMapping()
{
    using rd::ui::IisRetryFields;
    // IIS's defaults: 15, 30, 60, 240 minutes.
    const IisRetryFields iis = rd::ui::retryFieldsFromSchedule(QStringLiteral("900,1800,3600,14400"));
    QCOMPARE(iis.first, 15);
    QCOMPARE(iis.second, 30);
    QCOMPARE(iis.third, 60);
    QCOMPARE(iis.subsequent, 240);
    QCOMPARE(rd::ui::scheduleFromRetryFields(iis), QStringLiteral("900,1800,3600,14400"));
    // Short schedules repeat their last value (as delivery does); seconds round up.
    const IisRetryFields one = rd::ui::retryFieldsFromSchedule(QStringLiteral("90"));
    QCOMPARE(one.first, 2);
    QCOMPARE(one.subsequent, 2);
    // Whatever the fields make is a schedule the core accepts.
    QString error;
    const QVector<int> parsed = rd::config::parseSchedule(rd::ui::scheduleFromRetryFields(one), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(parsed, (QVector<int>{120, 120, 120, 120}));
    IisRetryFields max;
    max.first = max.second = max.third = max.subsequent = 1440;
    ConfigSnapshot c;
    QVERIFY2(c.setValue(QString::fromLatin1(keys::kRetrySchedule), rd::ui::scheduleFromRetryFields(max), &error),
             qPrintable(error));
    // Garbage gives the IIS defaults rather than nonsense.
    QCOMPARE(rd::ui::retryFieldsFromSchedule(QStringLiteral("x")).first, 15);
}

void TestDeliveryPanel::loadsAndKeepsExactValues()
{
    QCOMPARE(m_panel->hostnameEdit()->text(), QStringLiteral("relay.example.com"));
    QCOMPARE(m_panel->firstRetryBox()->value(), 1);
    QCOMPARE(m_panel->secondRetryBox()->value(), 5);
    QCOMPARE(m_panel->thirdRetryBox()->value(), 15);
    QCOMPARE(m_panel->subsequentRetryBox()->value(), 60);
    QCOMPARE(m_panel->expirationBox()->value(), 7201); // 432030 s rounds up
    QCOMPARE(m_panel->delayNotifyBox()->value(), 240);
    QCOMPARE(m_panel->maxHopsBox()->value(), 30);
    QCOMPARE(m_panel->retentionBox()->value(), 30);
    QVERIFY(!m_panel->isDirty());
    // Nothing edited: Apply would send exactly what was loaded (5-step schedule, odd seconds).
    QVERIFY(m_panel->pendingConfig() == baseConfig());
    const QLabel *note = m_panel->findChild<QLabel *>(QStringLiteral("deliveryScheduleNote"));
    QVERIFY(note->text().contains(QStringLiteral("5 steps")));
    QVERIFY(!m_panel->canApply());
}

void TestDeliveryPanel::editedRetryFieldsWriteFourSteps()
{
    m_panel->firstRetryBox()->setValue(10);
    QVERIFY(m_panel->isDirty());
    const ConfigSnapshot c = m_panel->pendingConfig();
    QCOMPARE(c.stringValue(keys::kRetrySchedule), QStringLiteral("600,300,900,3600"));
    QCOMPARE(c.intValue(keys::kMaxAge), 432030); // untouched
    m_panel->expirationBox()->setValue(2880);
    m_panel->delayNotifyBox()->setValue(0);
    m_panel->maxHopsBox()->setValue(15);
    m_panel->masqueradeEdit()->setText(QStringLiteral("example.org"));
    const ConfigSnapshot d = m_panel->pendingConfig();
    QCOMPARE(d.intValue(keys::kMaxAge), 172800);
    QCOMPARE(d.intValue(keys::kDelayWarning), 0);
    QCOMPARE(d.intValue(keys::kMaxHops), 15);
    QCOMPARE(d.stringValue(keys::kMasqueradeDomain), QStringLiteral("example.org"));
    QVERIFY(d.validate().isEmpty());
    QTRY_VERIFY(m_panel->canApply());
    m_panel->revert();
    QVERIFY(!m_panel->isDirty());
    QVERIFY(m_panel->pendingConfig() == baseConfig());
}

void TestDeliveryPanel::validation()
{
    QPushButton *apply = m_panel->findChild<QPushButton *>(QStringLiteral("applyDelivery"));
    m_panel->ndrCopyEdit()->setText(QStringLiteral("not an address"));
    QVERIFY(!m_panel->errors().isEmpty());
    QVERIFY(m_panel->errors().first().startsWith(QStringLiteral("NDR copy:")));
    QVERIFY(!apply->isEnabled());
    QVERIFY(m_panel->statusText().contains(QStringLiteral("not one mail address")));
    m_panel->ndrCopyEdit()->setText(QStringLiteral("Postmaster <postmaster@example.com>"));
    QVERIFY(m_panel->errors().isEmpty());
    m_panel->ndrCopyEdit()->setText(QStringLiteral("a@b.example, c@d.example"));
    QVERIFY(!m_panel->errors().isEmpty()); // two addresses
    m_panel->ndrCopyEdit()->setText(QStringLiteral("postmaster@example.com"));
    m_panel->masqueradeEdit()->setText(QStringLiteral("bad..domain"));
    QCOMPARE(m_panel->errors().size(), 1);
    QVERIFY(m_panel->errors().first().startsWith(QStringLiteral("Masquerade domain:")));
    m_panel->masqueradeEdit()->clear();
    m_panel->hostnameEdit()->clear();
    QVERIFY(m_panel->errors().value(0).contains(QStringLiteral("EHLO")));
    m_panel->hostnameEdit()->setText(QStringLiteral("mail.example.com"));
    QVERIFY(m_panel->errors().isEmpty());
    QTRY_VERIFY(apply->isEnabled());
}

void TestDeliveryPanel::folders()
{
    QTemporaryDir tmp;
    const QString pickup = tmp.path() + QStringLiteral("/Pickup");
    m_panel->pickupEdit()->setText(QStringLiteral("relative/path"));
    QVERIFY(m_panel->errors().value(0).contains(QStringLiteral("not a full path")));
    m_panel->pickupEdit()->setText(pickup); // does not exist (yet)
    QTRY_VERIFY(!m_panel->isChecking() && !m_panel->errors().isEmpty());
    QVERIFY2(m_panel->errors().first().contains(QStringLiteral("does not exist")), qPrintable(m_panel->errors().first()));
    QVERIFY(!m_panel->canApply());
    QVERIFY(QDir().mkpath(pickup));
    m_panel->pickupEdit()->setText(pickup + QLatin1Char('/')); // a new path is checked again
    QTRY_VERIFY(!m_panel->isChecking() && m_panel->errors().isEmpty());
    QTRY_VERIFY(m_panel->canApply());
    QCOMPARE(m_panel->pendingConfig().stringValue(keys::kPickupDirectory), pickup + QLatin1Char('/'));
    // A file is not a folder.
    QFile file(tmp.path() + QStringLiteral("/file"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    m_panel->badmailEdit()->setText(file.fileName());
    QTRY_VERIFY(!m_panel->isChecking() && !m_panel->errors().isEmpty());
    QVERIFY(m_panel->errors().first().contains(QStringLiteral("not a folder")));
    // The same folder twice.
    m_panel->badmailEdit()->setText(pickup);
    QTRY_VERIFY(!m_panel->isChecking());
    QVERIFY(m_panel->errors().join(QLatin1Char(' ')).contains(QStringLiteral("must not be the same")));
    m_panel->badmailEdit()->clear();
    QTRY_VERIFY(m_panel->errors().isEmpty());
    QCOMPARE(m_panel->badmailDirectory(), m_dir.path() + QStringLiteral("/badmail"));
}

void TestDeliveryPanel::badmailList()
{
    QTemporaryDir tmp;
    m_panel->badmailEdit()->setText(tmp.path());
    QSignalSpy asked(m_panel.get(), &DeliveryPanel::badmailListRequested);
    m_panel->findChild<QPushButton *>(QStringLiteral("deliveryBadmailRefresh"))->click();
    QCOMPARE(asked.size(), 1);
    QCOMPARE(asked.first().first().toString(), QDir::cleanPath(tmp.path()));
    // Answer as the facade would: the real listing of that folder.
    const rd::pickup::Badmail bad(asked.first().first().toString());
    QString path, error;
    QVERIFY(bad.store("x", QStringLiteral("junk"), QStringLiteral("pickup"),
                      QStringLiteral("the file does not start with a header field"), &path, &error));
    QVERIFY(bad.store("y", QStringLiteral("01JD3K4M5N6P7Q8R"), QStringLiteral("delivery"),
                      QStringLiteral("550 5.1.1 unknown user; the bounce failed"), &path, &error));
    rd::ui::BadmailModel *model = m_panel->badmailModel();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_panel->setBadmailList(bad.list());
    QCOMPARE(model->rowCount(), 2);
    QCOMPARE(model->columnCount(), int(rd::ui::BadmailModel::ColumnCount));
    QStringList files, reasons;
    for (int r = 0; r < 2; ++r) {
        files << model->index(r, rd::ui::BadmailModel::FileColumn).data().toString();
        reasons << model->index(r, rd::ui::BadmailModel::ReasonColumn).data().toString();
        QVERIFY(!model->index(r, rd::ui::BadmailModel::DateColumn).data().toString().isEmpty());
        QVERIFY(model->index(r, 0).data(rd::ui::BadmailModel::PathRole).toString().endsWith(QStringLiteral(".bad")));
    }
    files.sort();
    QCOMPARE(files, (QStringList{"01JD3K4M5N6P7Q8R.bad", "junk.bad"}));
    QVERIFY(reasons.join(QLatin1Char('|')).contains(QStringLiteral("550 5.1.1")));
    QVERIFY(m_panel->findChild<QLabel *>(QStringLiteral("deliveryBadmailInfo"))->text().contains(QStringLiteral("2")));
    m_panel->setBadmailList({});
    QCOMPARE(model->rowCount(), 0);
    if (qEnvironmentVariableIsSet("RD_SCREENSHOT_DIR")) {
        m_panel->setBadmailList(bad.list());
        m_panel->show();
        QTest::qWait(200);
        m_panel->grab().save(qEnvironmentVariable("RD_SCREENSHOT_DIR") + QStringLiteral("/delivery-panel.png"));
    }
}

void TestDeliveryPanel::applyWithoutEngine()
{
    QSignalSpy applied(m_facade.get(), &rd::engine::EngineFacade::configApplied);
    m_panel->maxHopsBox()->setValue(12);
    QTRY_VERIFY(m_panel->canApply());
    m_panel->apply();
    QVERIFY(applied.size() >= 1); // the answer, then the reload the panel asks for (also refused)
    QCOMPARE(applied.first().first().toBool(), false);
    QVERIFY(m_panel->statusText().contains(QStringLiteral("Apply failed: no engine")));
    QVERIFY(m_panel->canApply()); // can be tried again
}

void TestDeliveryPanel::outboundTlsSettings()
{
    // Defaults: MTA-STS on, DANE and TLS-RPT off.
    QVERIFY(m_panel->mtaStsBox()->isChecked());
    QVERIFY(!m_panel->daneBox()->isChecked());
    QVERIFY(!m_panel->tlsRptBox()->isChecked());
    QVERIFY(!m_panel->isDirty());
    m_panel->daneBox()->click();
    m_panel->tlsRptBox()->click();
    QVERIFY(m_panel->isDirty());
    const ConfigSnapshot c = m_panel->pendingConfig();
    QVERIFY(c.boolValue(keys::kDane));
    QVERIFY(c.boolValue(keys::kTlsRpt));
    QVERIFY(c.boolValue(keys::kMtaSts));
    QCOMPARE(c.stringValue(keys::kRetrySchedule), QStringLiteral("60,300,900,1800,3600")); // untouched
    // A configuration from the engine with them on shows them on.
    ConfigSnapshot on = baseConfig();
    QString e;
    on.setValue(QString::fromLatin1(keys::kMtaSts), false, &e);
    on.setValue(QString::fromLatin1(keys::kDane), true, &e);
    m_panel->revert();
    m_panel->setConfig(on);
    QVERIFY(!m_panel->mtaStsBox()->isChecked());
    QVERIFY(m_panel->daneBox()->isChecked());
    QVERIFY(!m_panel->isDirty());
    // The DNS servers DANE relies on: validated as the engine does.
    m_panel->dnsServersEdit()->setText(QStringLiteral("127.0.0.1:5353, [::1]:53"));
    QVERIFY2(m_panel->errors().isEmpty(), qPrintable(m_panel->errors().join(u'\n')));
    QCOMPARE(m_panel->pendingConfig().stringValue(keys::kDnsServers).remove(u' '), QStringLiteral("127.0.0.1:5353,[::1]:53"));
    m_panel->dnsServersEdit()->setText(QStringLiteral("resolver.example"));
    QVERIFY(!m_panel->errors().isEmpty());
    QVERIFY(m_panel->errors().join(u' ').startsWith(QLatin1String("DNS servers:")));
    QVERIFY(!m_panel->canApply());
}

QTEST_MAIN(TestDeliveryPanel)
#include "tst_deliverypanel.moc"

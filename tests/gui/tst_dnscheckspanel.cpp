// The DNS checks panel against a real EngineFacade with a real Engine on its
// own thread, on a temporary data folder. Domains and addresses are edited
// through the panel and read back from the engine's configuration; reports
// are stored through DnsCheckHistory (as the engine does) and announced with
// the facade's dnsCheckFinished signal; one real run goes through the engine
// against a DNS server address on loopback that does not answer, so the run
// must end (asynchronously) with a stored report.

#include "dnschecks/dnscheckspanel.h"
#include "dnschecks/dnsrelaysettings.h"
#include "dnschecks/dnsreportview.h"

#include "config/configsnapshot.h"
#include "config/settings.h"
#include "dnscheck/dnscheckhistory.h"
#include "dnscheck/dnscheckreport.h"
#include "engine/engine.h"
#include "engine/enginefacade.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTreeWidget>
#include <QUdpSocket>

#include <memory>

using rd::dnscheck::Finding;
using rd::dnscheck::Report;
using rd::dnscheck::Status;
using rd::engine::EngineFacade;
using rd::ui::DnsChecksPanel;

namespace {

constexpr int kTimeoutMs = 20000;

quint16 freeTcpPort()
{
    QTcpServer s;
    return s.listen(QHostAddress::LocalHost, 0) ? s.serverPort() : 0;
}

Finding finding(const char *check, Status status, const QString &title, const QString &detail = {},
                const QString &fixName = {}, const QString &fixType = {}, const QString &fixValue = {})
{
    Finding f;
    f.check = QLatin1String(check);
    f.status = status;
    f.title = title;
    f.detail = detail;
    f.fixName = fixName;
    f.fixType = fixType;
    f.fixValue = fixValue;
    return f;
}

// Hue family of a colour: which of red / green / blue dominates.
bool reddish(const QColor &c) { return c.red() > c.green() + 40 && c.red() > c.blue() + 40; }
bool greenish(const QColor &c) { return c.green() > c.red() + 40 && c.green() > c.blue() + 20; }
bool amber(const QColor &c) { return c.red() > c.blue() + 80 && c.green() > c.blue() + 40 && c.red() >= c.green(); }
bool bluish(const QColor &c) { return c.blue() > c.red() + 40; }

} // namespace

class TestDnsChecksPanel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void addDomains();
    void badPublicAddressIsNotSaved();
    void zonesComeFromTheBlockLists();
    void storedReportsShowFindingsAndChanges();
    void finishedSignalShowsNewRun();
    void realRunThroughTheEngine();
    void exportWritesTheReport();
    void removeDomainKeepsHistory();

private:
    template <typename T>
    T *child(const char *name) const
    {
        return m_panel->findChild<T *>(QLatin1String(name));
    }
    // The configuration in force in the engine (a fresh configLoaded).
    rd::config::ConfigSnapshot engineConfig()
    {
        QSignalSpy loaded(m_facade.get(), &EngineFacade::configLoaded);
        m_facade->requestConfig();
        if (!loaded.wait(kTimeoutMs))
            return {};
        return loaded.last().at(0).value<rd::config::ConfigSnapshot>();
    }
    QTreeWidgetItem *findingItem(const QString &title) const
    {
        const QList<QTreeWidgetItem *> items =
            m_panel->reportView()->findingsTree()->findItems(title, Qt::MatchExactly | Qt::MatchRecursive, 0);
        return items.isEmpty() ? nullptr : items.first();
    }

    QTemporaryDir m_dir;
    QThread m_thread;
    QUdpSocket m_silentDns; // bound, never answers
    rd::engine::Engine *m_engine = nullptr;
    std::unique_ptr<EngineFacade> m_facade;
    std::unique_ptr<DnsChecksPanel> m_panel;
    Report m_older;
    Report m_newer;
};

void TestDnsChecksPanel::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(m_silentDns.bind(QHostAddress::LocalHost, 0));
    rd::config::ConfigSnapshot config;
    config.listeners[0].port = freeTcpPort();
    QVERIFY(config.listeners[0].port);
    QString error;
    QVERIFY2(config.setValue(QString::fromLatin1(rd::config::keys::kDnsServers),
                             QStringLiteral("127.0.0.1:%1").arg(m_silentDns.localPort()), &error),
             qPrintable(error));
    QVERIFY2(config.setValue(QString::fromLatin1(rd::config::keys::kDnsTimeout), 200, &error), qPrintable(error));

    m_engine = new rd::engine::Engine(m_dir.path(), config, false);
    m_thread.setObjectName(QStringLiteral("engine"));
    m_engine->moveToThread(&m_thread);
    m_thread.start();
    m_facade = std::make_unique<EngineFacade>(m_engine, m_dir.path());
    QMetaObject::invokeMethod(m_engine, &rd::engine::Engine::start, Qt::QueuedConnection);

    m_panel = std::make_unique<DnsChecksPanel>(m_facade.get());
    m_panel->resize(1000, 720);
    m_panel->show();
    QTRY_VERIFY_WITH_TIMEOUT(m_panel->hasConfig(), kTimeoutMs);
    QVERIFY(m_panel->domains().isEmpty());
    QVERIFY(!child<QPushButton>("runChecksButton")->isEnabled());
    QVERIFY(!child<QPushButton>("exportReportButton")->isEnabled());
}

void TestDnsChecksPanel::cleanupTestCase()
{
    m_panel.reset();
    QMetaObject::invokeMethod(m_engine, &rd::engine::Engine::stop, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    m_facade.reset();
    delete m_engine;
}

void TestDnsChecksPanel::addDomains()
{
    // Typed and added with the button.
    auto *edit = child<QLineEdit>("newDomain");
    auto *add = child<QPushButton>("addDomainButton");
    QVERIFY(!add->isEnabled());
    QTest::keyClicks(edit, QStringLiteral("Example.COM"));
    QVERIFY(add->isEnabled());
    QSignalSpy applied(m_facade.get(), &EngineFacade::configApplied);
    QTest::mouseClick(add, Qt::LeftButton);
    QVERIFY(applied.wait(kTimeoutMs));
    QCOMPARE(applied.first().at(0).toBool(), true);
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->domains(), QStringList{QStringLiteral("example.com")}, kTimeoutMs);
    QVERIFY(edit->text().isEmpty());
    QVERIFY2(m_panel->statusText().startsWith(QStringLiteral("Added example.com")), qPrintable(m_panel->statusText()));
    QCOMPARE(m_panel->currentDomain(), QStringLiteral("example.com"));

    // Through the slot.
    QVERIFY(m_panel->addDomain(QStringLiteral("second.test")));
    QTRY_COMPARE_WITH_TIMEOUT(engineConfig().stringValue(rd::config::keys::kCheckDomains),
                              QStringLiteral("example.com,second.test"), kTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->domains().size(), 2, kTimeoutMs);
    auto *list = child<QListWidget>("dnsDomainList");
    QCOMPARE(list->count(), 2);
    QVERIFY(list->item(1)->text().contains(QStringLiteral("not checked yet")));

    // A duplicate and a bad name: a clear error, nothing saved.
    applied.clear();
    QVERIFY(!m_panel->addDomain(QStringLiteral("EXAMPLE.com")));
    QVERIFY2(m_panel->statusText().contains(QStringLiteral("already in the list")), qPrintable(m_panel->statusText()));
    QVERIFY(!m_panel->addDomain(QStringLiteral("not a domain")));
    QVERIFY(!m_panel->statusText().isEmpty());
    QVERIFY(child<QLabel>("dnsStatus")->styleSheet().contains(QStringLiteral("#b01e1e")));
    QTest::qWait(100);
    QCOMPARE(applied.count(), 0);
    QCOMPARE(engineConfig().stringValue(rd::config::keys::kCheckDomains), QStringLiteral("example.com,second.test"));
}

void TestDnsChecksPanel::badPublicAddressIsNotSaved()
{
    rd::ui::DnsRelaySettings *settings = m_panel->relaySettings();
    auto *apply = child<QPushButton>("applyDnsSettings");
    QVERIFY(!apply->isEnabled());

    m_panel->setPublicAddressesText(QStringLiteral("192.0.2.10, 192.0.2.300"));
    QVERIFY(!apply->isEnabled());
    QVERIFY(settings->problemIsError());
    QVERIFY2(m_panel->settingsProblem().contains(QStringLiteral("\u201c192.0.2.300\u201d is not an IP address")),
             qPrintable(m_panel->settingsProblem()));
    QVERIFY(child<QLabel>("dnsSettingsProblem")->isVisible());
    QSignalSpy applied(m_facade.get(), &EngineFacade::configApplied);
    QVERIFY(!m_panel->applySettings());
    // The core setting refuses it as well; nothing reached the engine.
    rd::config::ConfigSnapshot probe;
    QString error;
    QVERIFY(!probe.setValue(QString::fromLatin1(rd::config::keys::kPublicAddresses),
                            QStringLiteral("192.0.2.10,192.0.2.300"), &error));
    QTest::qWait(100);
    QCOMPARE(applied.count(), 0);
    QVERIFY(engineConfig().stringValue(rd::config::keys::kPublicAddresses).isEmpty());

    // A bad block list zone.
    m_panel->setPublicAddressesText(QStringLiteral("192.0.2.10"));
    m_panel->setDnsblZonesText(QStringLiteral("zen.example.test, not_a zone"));
    QVERIFY(!apply->isEnabled());
    QVERIFY2(m_panel->settingsProblem().contains(QStringLiteral("\u201cnot_a\u201d")), qPrintable(m_panel->settingsProblem()));

    // A private address is a note (amber), not an error.
    m_panel->setPublicAddressesText(QStringLiteral("10.1.2.3"));
    m_panel->setDnsblZonesText(QStringLiteral("zen.example.test"));
    QVERIFY(!settings->problemIsError());
    QVERIFY(m_panel->settingsProblem().contains(QStringLiteral("private")));
    QVERIFY(apply->isEnabled());

    // Valid: saved, and the engine has it.
    m_panel->setPublicAddressesText(QStringLiteral("192.0.2.10  2001:db8::25"));
    QVERIFY(apply->isEnabled());
    QTest::mouseClick(apply, Qt::LeftButton);
    QVERIFY(applied.wait(kTimeoutMs));
    QCOMPARE(applied.first().at(0).toBool(), true);
    const rd::config::ConfigSnapshot c = engineConfig();
    QCOMPARE(c.stringValue(rd::config::keys::kPublicAddresses), QStringLiteral("192.0.2.10,2001:db8::25"));
    QCOMPARE(c.dnsblZones.size(), 1);
    QCOMPARE(c.dnsblZones.at(0).zone, QStringLiteral("zen.example.test"));
    QVERIFY(c.dnsblZones.at(0).enabled);
    QVERIFY(c.dnsblZones.at(0).codes.isEmpty()); // any answer lists
    QTRY_VERIFY_WITH_TIMEOUT(!apply->isEnabled(), kTimeoutMs); // clean again
    QVERIFY(m_panel->statusText().startsWith(QStringLiteral("Saved")));
}

void TestDnsChecksPanel::zonesComeFromTheBlockLists()
{
    // The Filtering panel's zones, with codes and a disabled one, applied by another panel.
    rd::config::ConfigSnapshot c = engineConfig();
    rd::config::DnsblZone zen;
    zen.zone = QStringLiteral("zen.example.test");
    zen.codes = QStringLiteral("127.0.0.2=SBL; 127.0.0.4-127.0.0.7=XBL");
    rd::config::DnsblZone off;
    off.zone = QStringLiteral("off.example.test");
    off.enabled = false;
    rd::config::DnsblZone second;
    second.zone = QStringLiteral("second.example.test");
    second.codes = QStringLiteral("127.0.0.2=listed");
    c.dnsblZones = {zen, off, second};
    QSignalSpy applied(m_facade.get(), &EngineFacade::configApplied);
    m_facade->applyConfig(c);
    QVERIFY(applied.wait(kTimeoutMs));
    QVERIFY(applied.first().at(0).toBool());
    QSignalSpy loaded(m_facade.get(), &EngineFacade::configLoaded);
    m_facade->requestConfig();
    QVERIFY(loaded.wait(kTimeoutMs));
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->relaySettings()->isDirty(), kTimeoutMs);

    // Only the enabled zones are shown; nothing to apply.
    auto *field = child<QLineEdit>("dnsblZones");
    QCOMPARE(field->text(), QStringLiteral("zen.example.test, second.example.test"));
    QVERIFY(!m_panel->canApplySettings());
    QVERIFY(child<QLabel>("dnsblFilteringLink"));
    QSignalSpy link(m_panel->relaySettings(), &rd::ui::DnsRelaySettings::filteringRequested);
    emit child<QLabel>("dnsblFilteringLink")->linkActivated(QStringLiteral("filtering"));
    QCOMPARE(link.count(), 1);

    // Removing one turns it off (codes kept); a new name is appended, enabled.
    m_panel->setDnsblZonesText(QStringLiteral("zen.example.test, NEW.example.test"));
    QVERIFY(m_panel->canApplySettings());
    applied.clear();
    QVERIFY(m_panel->applySettings());
    QVERIFY(applied.wait(kTimeoutMs));
    QVERIFY(applied.first().at(0).toBool());
    const QList<rd::config::DnsblZone> zones = engineConfig().dnsblZones;
    QCOMPARE(zones.size(), 4);
    QCOMPARE(zones.at(0), zen);
    QCOMPARE(zones.at(1), off);
    QCOMPARE(zones.at(2).zone, second.zone);
    QCOMPARE(zones.at(2).codes, second.codes);
    QVERIFY(!zones.at(2).enabled);
    QCOMPARE(zones.at(3).zone, QStringLiteral("new.example.test"));
    QVERIFY(zones.at(3).enabled);
    const QString grabDir = qEnvironmentVariable("RELAYDESK_GRAB_DIR");
    if (!grabDir.isEmpty())
        QVERIFY(m_panel->grab().save(QDir(grabDir).filePath(QStringLiteral("dnschecks-zones.png"))));
}

void TestDnsChecksPanel::storedReportsShowFindingsAndChanges()
{
    const QDateTime t0 = QDateTime::currentDateTimeUtc().addSecs(-7200);
    m_older.domain = QStringLiteral("example.com");
    m_older.when = t0;
    m_older.durationMs = 900;
    m_older.findings = {
        finding("spf", Status::Warn, QStringLiteral("SPF record found")),
        finding("dmarc", Status::Fail, QStringLiteral("No DMARC record")),
        finding("ptr", Status::Fail, QStringLiteral("192.0.2.10 has no PTR record")),
    };
    const QString dmarcFix = QStringLiteral("v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com");
    m_newer.domain = QStringLiteral("example.com");
    m_newer.when = t0.addSecs(3600);
    m_newer.durationMs = 2400;
    m_newer.findings = {
        // Deliberately not in display order: the view groups them.
        finding("dnsbl", Status::Pass, QStringLiteral("192.0.2.10 is not listed on zen.example.test")),
        finding("spf", Status::Pass, QStringLiteral("SPF record found"), QStringLiteral("v=spf1 ip4:192.0.2.10 -all")),
        finding("dkim", Status::Info, QStringLiteral("No DKIM key for example.com"),
                QStringLiteral("Generate one in Certificates, DKIM keys.")),
        finding("dmarc", Status::Fail, QStringLiteral("No DMARC record"),
                QStringLiteral("Receivers cannot tell what to do with mail that fails SPF and DKIM."),
                QStringLiteral("_dmarc.example.com"), QStringLiteral("TXT"), dmarcFix),
        finding("mx", Status::Warn, QStringLiteral("mx1.example.com does not offer STARTTLS")),
        finding("spf", Status::Pass, QStringLiteral("SPF authorises 192.0.2.10")),
    };
    {
        rd::dnscheck::DnsCheckHistory db(m_dir.path());
        QVERIFY2(db.isOpen(), qPrintable(db.errorString()));
        QString error;
        QVERIFY2(db.store(&m_older, &error), qPrintable(error));
        QVERIFY2(db.store(&m_newer, &error), qPrintable(error));
    }

    m_panel->reloadHistory();
    m_panel->setCurrentDomain(QStringLiteral("example.com"));
    QCOMPARE(m_panel->runs().size(), 2);
    QCOMPARE(m_panel->runs().at(0).id, m_newer.id);
    QCOMPARE(m_panel->currentRun(), 0);
    QCOMPARE(child<QListWidget>("dnsRunList")->count(), 2);
    // The domain's last result: worst of the newest run.
    auto *list = child<QListWidget>("dnsDomainList");
    QVERIFY2(list->item(0)->toolTip().contains(QStringLiteral("1 fail, 1 warning, 1 info, 3 pass")),
             qPrintable(list->item(0)->toolTip()));

    // Groups in the usual order, children with their statuses.
    rd::ui::DnsReportView *view = m_panel->reportView();
    QVERIFY(view->hasReport());
    QTreeWidget *tree = view->findingsTree();
    QStringList groups;
    for (int i = 0; i < tree->topLevelItemCount(); ++i)
        groups << tree->topLevelItem(i)->text(0);
    QCOMPARE(groups, (QStringList{QStringLiteral("SPF"), QStringLiteral("DKIM"), QStringLiteral("DMARC"),
                                  QStringLiteral("MX (incoming mail servers)"), QStringLiteral("Block lists (DNSBL)")}));
    QCOMPARE(tree->topLevelItem(0)->childCount(), 2);
    struct Expect {
        QString title;
        QString status;
        bool (*colour)(const QColor &);
    };
    const Expect expected[] = {
        {QStringLiteral("SPF authorises 192.0.2.10"), QStringLiteral("Pass"), greenish},
        {QStringLiteral("No DKIM key for example.com"), QStringLiteral("Info"), bluish},
        {QStringLiteral("No DMARC record"), QStringLiteral("Fail"), reddish},
        {QStringLiteral("mx1.example.com does not offer STARTTLS"), QStringLiteral("Warning"), amber},
    };
    for (const Expect &e : expected) {
        QTreeWidgetItem *item = findingItem(e.title);
        QVERIFY2(item, qPrintable(e.title));
        QCOMPARE(item->text(1), e.status);
        const QColor fg = item->foreground(1).color();
        QVERIFY2(e.colour(fg), qPrintable(e.title + QStringLiteral(": ") + fg.name()));
    }
    // The first problem (the DMARC fail) is selected; its fix is shown.
    QCOMPARE(view->selectedFinding(), 3);
    QVERIFY(view->detailText().contains(QStringLiteral("Receivers cannot tell")));
    QVERIFY(view->isFixShown());
    QCOMPARE(view->fixName(), QStringLiteral("_dmarc.example.com"));
    QCOMPARE(view->fixType(), QStringLiteral("TXT"));
    QCOMPARE(view->fixValue(), dmarcFix);
    if (qEnvironmentVariableIsSet("RD_GRAB_DIR")) // for a person to look at the layout
        m_panel->grab().save(QDir(qEnvironmentVariable("RD_GRAB_DIR")).filePath(QStringLiteral("dns-checks.png")));
    QTest::mouseClick(m_panel->findChild<QPushButton *>(QStringLiteral("copyDnsFixButton")), Qt::LeftButton);
    QCOMPARE(QApplication::clipboard()->text(), dmarcFix);
    // A pass without a fix: no record box.
    QVERIFY(view->selectFinding(1));
    QVERIFY(!view->isFixShown());
    QVERIFY(view->detailText().contains(QStringLiteral("v=spf1 ip4:192.0.2.10 -all")));

    // Changes since the older run, as constructed above.
    const QString changes = view->changesText();
    QVERIFY2(changes.contains(QStringLiteral("was warn, now pass: SPF record found")), qPrintable(changes));
    QVERIFY2(changes.contains(QStringLiteral("gone: [fail] 192.0.2.10 has no PTR record")), qPrintable(changes));
    QVERIFY2(changes.contains(QStringLiteral("new: [warn] mx1.example.com does not offer STARTTLS")),
             qPrintable(changes));
    QVERIFY(!changes.contains(QStringLiteral("No DMARC record"))); // fail before and after
    QVERIFY(child<QLabel>("dnsChanges")->text().contains(QStringLiteral("Changes since the previous run")));

    // The older run: selected in the history, nothing to compare with.
    child<QListWidget>("dnsRunList")->setCurrentRow(1);
    QCOMPARE(view->report().id, m_older.id);
    QVERIFY(view->changes().isEmpty());
    QVERIFY(child<QLabel>("dnsChanges")->text().contains(QStringLiteral("First stored run")));
    QVERIFY(findingItem(QStringLiteral("192.0.2.10 has no PTR record")));
    m_panel->showRun(0);
    QCOMPARE(view->report().id, m_newer.id);
}

void TestDnsChecksPanel::finishedSignalShowsNewRun()
{
    // A run the engine stored and announced.
    Report third = m_newer;
    third.id = 0;
    third.when = m_newer.when.addSecs(600);
    third.findings[3] = finding("dmarc", Status::Pass, QStringLiteral("No DMARC record"));
    {
        rd::dnscheck::DnsCheckHistory db(m_dir.path());
        QString error;
        QVERIFY2(db.store(&third, &error), qPrintable(error));
    }
    emit m_facade->dnsCheckFinished(third);
    QCOMPARE(m_panel->runs().size(), 3);
    QCOMPARE(m_panel->currentRun(), 0);
    QCOMPARE(m_panel->reportView()->report().id, third.id);
    QCOMPARE(m_panel->reportView()->changes(),
             QStringList{QStringLiteral("was fail, now pass: No DMARC record")});

    // A report that was not stored is shown as it came, and said so.
    Report unstored;
    unstored.domain = QStringLiteral("example.com");
    unstored.when = QDateTime::currentDateTimeUtc();
    unstored.findings = {finding("engine", Status::Fail, QStringLiteral("The engine has no DNS resolver"))};
    emit m_facade->dnsCheckFinished(unstored);
    QCOMPARE(m_panel->reportView()->report().findings.size(), 1);
    QVERIFY(findingItem(QStringLiteral("The engine has no DNS resolver")));
    QCOMPARE(m_panel->runs().size(), 3);
    m_panel->showRun(0);
}

void TestDnsChecksPanel::realRunThroughTheEngine()
{
    m_panel->setCurrentDomain(QStringLiteral("second.test"));
    QCOMPARE(m_panel->runs().size(), 0);
    QVERIFY(!m_panel->reportView()->hasReport());
    auto *run = child<QPushButton>("runChecksButton");
    QVERIFY(run->isEnabled());
    QSignalSpy finished(m_facade.get(), &EngineFacade::dnsCheckFinished);
    QTest::mouseClick(run, Qt::LeftButton);
    QVERIFY(m_panel->isRunning());
    QVERIFY(!run->isEnabled());
    QVERIFY(!child<QPushButton>("runAllButton")->isEnabled());
    QVERIFY(child<QProgressBar>("dnsProgress")->isVisible());
    QVERIFY(child<QLabel>("dnsStep")->text().contains(QStringLiteral("second.test")));
    // The GUI thread is free while the engine works.
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isRunning(), 120000);
    QVERIFY(finished.count() >= 1);
    const Report got = finished.last().at(0).value<Report>();
    QCOMPARE(got.domain, QStringLiteral("second.test"));
    QVERIFY(got.id > 0); // stored by the engine
    QVERIFY(!got.findings.isEmpty());
    for (const Finding &f : got.findings)
        qInfo("%s [%s] %s", qPrintable(f.check), qPrintable(rd::dnscheck::statusName(f.status)), qPrintable(f.title));
    QCOMPARE(m_panel->runs().size(), 1);
    QCOMPARE(m_panel->reportView()->report().id, got.id);
    QVERIFY(run->isEnabled());
    QVERIFY(!child<QProgressBar>("dnsProgress")->isVisible());
}

void TestDnsChecksPanel::exportWritesTheReport()
{
    m_panel->setCurrentDomain(QStringLiteral("example.com"));
    m_panel->showRun(0);
    const Report shown = m_panel->reportView()->report();
    const QString path = QDir(m_dir.path()).filePath(QStringLiteral("export/report.txt"));
    // The folder does not exist: a clear error.
    QVERIFY(!m_panel->exportReport(path));
    QVERIFY2(m_panel->statusText().startsWith(QStringLiteral("Cannot write")), qPrintable(m_panel->statusText()));
    QVERIFY(QDir(m_dir.path()).mkdir(QStringLiteral("export")));
    QVERIFY(m_panel->exportReport(path));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(f.readAll());
    QCOMPARE(text, shown.toText());
    QVERIFY(text.startsWith(QStringLiteral("RelayDesk DNS checks for example.com")));
    QVERIFY(text.contains(QStringLiteral("SPF authorises 192.0.2.10")));

    QFileDialog *dialog = m_panel->openExportDialog();
    QVERIFY(dialog);
    QCOMPARE(dialog->windowModality(), Qt::WindowModal); // open(), not exec()
    QVERIFY(dialog->selectedFiles().value(0).contains(QStringLiteral("dns-checks-example.com-")));
    dialog->reject();
}

void TestDnsChecksPanel::removeDomainKeepsHistory()
{
    QSignalSpy applied(m_facade.get(), &EngineFacade::configApplied);
    QVERIFY(m_panel->removeDomain(QStringLiteral("second.test")));
    QVERIFY(applied.wait(kTimeoutMs));
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->domains(), QStringList{QStringLiteral("example.com")}, kTimeoutMs);
    QCOMPARE(engineConfig().stringValue(rd::config::keys::kCheckDomains), QStringLiteral("example.com"));
    rd::dnscheck::DnsCheckHistory db(m_dir.path());
    QCOMPARE(db.history(QStringLiteral("second.test")).size(), 1);
}

QTEST_MAIN(TestDnsChecksPanel)
#include "tst_dnscheckspanel.moc"

// The alert rules (AlertMonitor) fed by a real TrafficStats on a fake clock:
// each rule raises once while its condition holds and resolves when it
// clears, thresholds come from the alerts.* settings, hysteresis and the
// cooldown keep alerts from flapping. AlertStore round trip in a temporary
// log.db opened through rd::storage::openDatabase. The alert mail is parsed
// back by Python's email package (an independent RFC 5322 / 2047 / 2045
// parser): Subject, From, To, Date, Message-ID and the decoded body.

#include "alerts/alert.h"
#include "alerts/alertmail.h"
#include "alerts/alertmonitor.h"
#include "alerts/alertstore.h"
#include "config/configsnapshot.h"
#include "config/settings.h"
#include "dnscheck/dnscheckreport.h"
#include "engine/trafficstats.h"
#include "storage/database.h"
#include "tls/certificateinfo.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using rd::alerts::Alert;
using rd::alerts::AlertMonitor;
using rd::alerts::AlertStore;
using rd::alerts::AlertThresholds;
using rd::alerts::Severity;
using rd::engine::TrafficStats;
namespace rules = rd::alerts::rules;

namespace {

constexpr qint64 kMin = 60 * 1000;
constexpr qint64 kHour = 60 * kMin;
constexpr qint64 kT0 = 1709251200000; // 2024-03-01 00:00 UTC

struct Rig {
    qint64 now = kT0;
    TrafficStats stats{[this] { return now; }};
    AlertMonitor monitor{[this] { return now; }};
    QSignalSpy raised{&monitor, &AlertMonitor::raised};
    QSignalSpy resolved{&monitor, &AlertMonitor::resolved};

    Alert lastRaised() const { return raised.last().first().value<Alert>(); }
    Alert lastResolved() const { return resolved.last().first().value<Alert>(); }
};

AlertThresholds thresholds()
{
    AlertThresholds t;
    t.authFailures = 10;
    t.volumeFactor = 5;
    t.volumeMinimum = 100;
    t.queueSize = 500;
    t.queueAgeS = 3600;
    t.certificateDays = 14;
    t.dnsblSelf = true;
    return t;
}

rd::tls::CertificateInfo cert(const QString &name, const QDateTime &notAfter)
{
    rd::tls::CertificateInfo c;
    c.name = name;
    c.commonName = name;
    c.sha256Fingerprint = QStringLiteral("AB:CD");
    c.notBefore = notAfter.addYears(-1);
    c.notAfter = notAfter;
    return c;
}

rd::dnscheck::Finding dnsbl(rd::dnscheck::Status status, const QString &title)
{
    rd::dnscheck::Finding f;
    f.check = QStringLiteral("dnsbl");
    f.status = status;
    f.title = title;
    return f;
}

} // namespace

class TstAlerts : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void authFailuresRaiseOnceAndResolve();
    void authFailuresPerUserAndCooldown();
    void thresholdsFromSettings();
    void volumeAgainstUsualRate();
    void volumeNotAfterRestart();
    void queueSizeHysteresis();
    void queueAge();
    void certificateExpiryAndEscalation();
    void dnsblSelf();
    void disablingARuleResolves();
    void storeRoundTrip();
    void storeErrors();
    void mailParsedByPython_data();
    void mailParsedByPython();
    void mailRejectsBadAddress();
    void quotedPrintableLines();
};

void TstAlerts::initTestCase()
{
    qRegisterMetaType<Alert>();
}

void TstAlerts::authFailuresRaiseOnceAndResolve()
{
    Rig r;
    r.monitor.setThresholds(thresholds());
    for (int i = 0; i < 9; ++i)
        r.stats.authFailure(QStringLiteral("198.51.100.7"), QString());
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.raised.size(), 0); // 9 < 10
    r.stats.authFailure(QStringLiteral("198.51.100.7"), QString());
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.raised.size(), 1);
    const Alert a = r.lastRaised();
    QCOMPARE(a.rule, QLatin1String(rules::kAuthFailuresIp));
    QCOMPARE(a.subject, QStringLiteral("198.51.100.7"));
    QCOMPARE(a.severity, Severity::Warning);
    QVERIFY(a.message.contains(QStringLiteral("10 failed AUTH attempts from 198.51.100.7")));
    QCOMPARE(a.raised.toMSecsSinceEpoch(), kT0);
    QVERIFY(a.isOpen());
    QVERIFY(a.id > 0);
    // More failures and evaluations: still one alert.
    for (int i = 0; i < 20; ++i) {
        r.stats.authFailure(QStringLiteral("198.51.100.7"), QString());
        r.monitor.evaluateTraffic(r.stats);
    }
    QCOMPARE(r.raised.size(), 1);
    QCOMPARE(r.monitor.openAlerts().size(), 1);
    // The window empties after 10 minutes: resolved once.
    r.now += 10 * kMin;
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.resolved.size(), 1);
    QCOMPARE(r.lastResolved().id, a.id);
    QCOMPARE(r.lastResolved().resolved.toMSecsSinceEpoch(), r.now);
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.resolved.size(), 1);
    QVERIFY(r.monitor.openAlerts().isEmpty());
}

void TstAlerts::authFailuresPerUserAndCooldown()
{
    Rig r;
    r.monitor.setThresholds(thresholds());
    QSignalSpy changed(&r.monitor, &AlertMonitor::openAlertsChanged);
    // Ten failures for one user from ten IPs: the user rule fires, no IP rule.
    for (int i = 0; i < 10; ++i)
        r.stats.authFailure(QStringLiteral("203.0.113.%1").arg(i), QStringLiteral("carol"));
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.raised.size(), 1);
    QCOMPARE(r.lastRaised().rule, QLatin1String(rules::kAuthFailuresUser));
    QCOMPARE(r.lastRaised().subject, QStringLiteral("carol"));
    QCOMPARE(changed.size(), 1);
    // Hysteresis: 6 minutes later a new failure keeps 5+ in the window
    // (>= half the threshold): stays open without re-raising.
    r.now += 9 * kMin + 30 * 1000;
    for (int i = 0; i < 5; ++i)
        r.stats.authFailure(QStringLiteral("203.0.113.50"), QStringLiteral("carol"));
    r.now += kMin; // the first ten left the window; 5 remain
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.resolved.size(), 0);
    r.now += 10 * kMin;
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.resolved.size(), 1);
    // Cooldown: a new burst right after the resolve does not raise again ...
    for (int i = 0; i < 12; ++i)
        r.stats.authFailure(QStringLiteral("203.0.113.60"), QStringLiteral("carol"));
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.raised.size(), 2); // the IP rule fired for .60 (12 >= 10), not carol again
    QCOMPARE(r.lastRaised().subject, QStringLiteral("203.0.113.60"));
    // ... until the cooldown has passed while the condition still holds.
    r.now += AlertMonitor::kCooldownMs - 6 * kMin;
    for (int i = 0; i < 12; ++i)
        r.stats.authFailure(QStringLiteral("203.0.113.61"), QStringLiteral("carol"));
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.raised.size(), 3); // .61 only; carol still cooling down
    r.now += 6 * kMin;
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.raised.size(), 4);
    QCOMPARE(r.lastRaised().subject, QStringLiteral("carol"));
}

void TstAlerts::thresholdsFromSettings()
{
    rd::config::ConfigSnapshot config;
    QString error;
    QVERIFY2(config.setValue(QLatin1String(rd::config::keys::kAlertAuthFailures), 3, &error), qPrintable(error));
    QVERIFY(config.setValue(QLatin1String(rd::config::keys::kAlertQueueSize), 42, &error));
    QVERIFY(config.setValue(QLatin1String(rd::config::keys::kAlertDnsblSelf), false, &error));
    QVERIFY(config.setValue(QLatin1String(rd::config::keys::kAlertEmail), QStringLiteral("ops@example.test"), &error));
    const AlertThresholds t = AlertThresholds::fromConfig(config);
    QCOMPARE(t.authFailures, 3);
    QCOMPARE(t.queueSize, 42);
    QCOMPARE(t.dnsblSelf, false);
    QCOMPARE(t.email, QStringLiteral("ops@example.test"));
    // Defaults come from the settings registry.
    const rd::config::ConfigSnapshot defaults;
    const AlertThresholds d = AlertThresholds::fromConfig(defaults);
    QCOMPARE(d.volumeFactor,
             rd::config::findSetting(QLatin1String(rd::config::keys::kAlertVolumeFactor))->defaultValue.toInt());
    QCOMPARE(d.certificateDays,
             rd::config::findSetting(QLatin1String(rd::config::keys::kAlertCertDays))->defaultValue.toInt());

    Rig r;
    r.monitor.setThresholds(t);
    for (int i = 0; i < 3; ++i)
        r.stats.authFailure(QStringLiteral("192.0.2.1"), QString());
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.raised.size(), 1);
    r.monitor.setQueueState(42, QDateTime());
    QCOMPARE(r.raised.size(), 2);
}

void TstAlerts::volumeAgainstUsualRate()
{
    Rig r;
    r.monitor.setThresholds(thresholds()); // factor 5, minimum 100
    const QString sender = QStringLiteral("billing@example.test");
    // Five hours at 30 per hour: the usual rate.
    for (int h = 0; h < 5; ++h) {
        for (int i = 0; i < 30; ++i) {
            r.now = kT0 + h * kHour + i * 2 * kMin;
            r.stats.accepted(sender, QStringLiteral("billing"), QStringLiteral("10.0.0.5"), 1);
        }
        r.monitor.evaluateTraffic(r.stats);
    }
    QCOMPARE(r.raised.size(), 0);
    // Hour 5: 140 messages late in the hour, so the rolling hour holds hour 5
    // only (>= minimum 100, < 5 x 30 = 150): no alert.
    for (int i = 0; i < 140; ++i) {
        r.now = kT0 + 5 * kHour + 40 * kMin + i * 7500;
        r.stats.accepted(sender, {}, QStringLiteral("10.0.0.5"), 1);
    }
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.raised.size(), 0);
    // 20 more: 160 > 150: one critical alert naming the usual rate.
    for (int i = 0; i < 20; ++i)
        r.stats.accepted(sender, {}, QStringLiteral("10.0.0.5"), 1);
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.raised.size(), 1);
    const Alert a = r.lastRaised();
    QCOMPARE(a.rule, QLatin1String(rules::kVolumeSender));
    QCOMPARE(a.subject, sender);
    QCOMPARE(a.severity, Severity::Critical);
    QVERIFY2(a.message.contains(QStringLiteral("160 messages in the last hour")), qPrintable(a.message));
    QVERIFY2(a.message.contains(QStringLiteral("usual 30 per hour")), qPrintable(a.message));
    // The abuse goes on for hours: the usual rate learns it, the alert stays open.
    for (int h = 6; h < 10; ++h) {
        for (int i = 0; i < 200; ++i) {
            r.now = kT0 + h * kHour + i * 18 * 1000;
            r.stats.accepted(sender, {}, QStringLiteral("10.0.0.5"), 1);
        }
        r.monitor.evaluateTraffic(r.stats);
    }
    QCOMPARE(r.raised.size(), 1);
    QCOMPARE(r.resolved.size(), 0);
    // Back to normal: resolved.
    r.now = kT0 + 11 * kHour;
    r.stats.accepted(sender, {}, QStringLiteral("10.0.0.5"), 1);
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.resolved.size(), 1);
    QCOMPARE(r.lastResolved().id, a.id);
}

void TstAlerts::volumeNotAfterRestart()
{
    Rig r;
    r.monitor.setThresholds(thresholds());
    // Right after a (re)start nothing is "usual" yet: a busy sender is not an alert.
    for (int i = 0; i < 300; ++i) {
        r.now = kT0 + 30 * kMin + i * 5000;
        r.stats.accepted(QStringLiteral("busy@example.test"), {}, QStringLiteral("10.0.0.1"), 1);
    }
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.raised.size(), 0);
    // A sender first seen after an hour of observation with 100+ in an hour is.
    r.now = kT0 + 2 * kHour;
    for (int i = 0; i < 120; ++i)
        r.stats.accepted(QStringLiteral("new@example.test"), QStringLiteral("mallory"), QStringLiteral("10.0.0.2"), 1);
    r.monitor.evaluateTraffic(r.stats);
    QCOMPARE(r.raised.size(), 2); // the sender and the user
    QStringList subjects;
    for (const auto &args : r.raised)
        subjects << args.first().value<Alert>().subject;
    subjects.sort();
    QCOMPARE(subjects, (QStringList{QStringLiteral("mallory"), QStringLiteral("new@example.test")}));
}

void TstAlerts::queueSizeHysteresis()
{
    Rig r;
    r.monitor.setThresholds(thresholds()); // 500
    r.monitor.setQueueState(499, QDateTime());
    QCOMPARE(r.raised.size(), 0);
    r.monitor.setQueueState(500, QDateTime());
    QCOMPARE(r.raised.size(), 1);
    QCOMPARE(r.lastRaised().rule, QLatin1String(rules::kQueueSize));
    QVERIFY(r.lastRaised().message.contains(QStringLiteral("500 messages")));
    // Oscillating around the threshold does not flap.
    for (int size : {480, 510, 420, 505, 401})
        r.monitor.setQueueState(size, QDateTime());
    QCOMPARE(r.raised.size(), 1);
    QCOMPARE(r.resolved.size(), 0);
    r.monitor.setQueueState(399, QDateTime()); // below 80 %
    QCOMPARE(r.resolved.size(), 1);
    // Cooldown: over the threshold again at once -> nothing; after 15 minutes -> raised.
    r.monitor.setQueueState(600, QDateTime());
    QCOMPARE(r.raised.size(), 1);
    r.now += AlertMonitor::kCooldownMs;
    r.monitor.setQueueState(600, QDateTime());
    QCOMPARE(r.raised.size(), 2);
}

void TstAlerts::queueAge()
{
    Rig r;
    r.monitor.setThresholds(thresholds()); // 3600 s
    const QDateTime now = QDateTime::fromMSecsSinceEpoch(kT0, Qt::UTC);
    r.monitor.setQueueState(3, now.addSecs(-3599));
    QCOMPARE(r.raised.size(), 0);
    r.monitor.setQueueState(3, now.addSecs(-2 * 3600 - 300));
    QCOMPARE(r.raised.size(), 1);
    QCOMPARE(r.lastRaised().rule, QLatin1String(rules::kQueueAge));
    QVERIFY2(r.lastRaised().message.contains(QStringLiteral("2 h 5 min old")), qPrintable(r.lastRaised().message));
    r.monitor.setQueueState(0, QDateTime()); // queue drained
    QCOMPARE(r.resolved.size(), 1);
}

void TstAlerts::certificateExpiryAndEscalation()
{
    Rig r;
    r.monitor.setThresholds(thresholds()); // 14 days
    const QDateTime now = QDateTime::fromMSecsSinceEpoch(kT0, Qt::UTC);
    r.monitor.setCertificates({cert(QStringLiteral("mail.example.test"), now.addDays(40)),
                               cert(QStringLiteral("smtp.example.test"), now.addDays(10))});
    QCOMPARE(r.raised.size(), 1);
    QCOMPARE(r.lastRaised().subject, QStringLiteral("smtp.example.test"));
    QCOMPARE(r.lastRaised().severity, Severity::Warning);
    QVERIFY2(r.lastRaised().message.contains(QStringLiteral("expires in 10 days")), qPrintable(r.lastRaised().message));
    // Same state again: nothing new.
    r.monitor.setCertificates({cert(QStringLiteral("smtp.example.test"), now.addDays(10))});
    QCOMPARE(r.raised.size(), 1);
    // It expires: the warning is replaced by a critical alert.
    r.now += 11 * 24 * kHour;
    r.monitor.setCertificates({cert(QStringLiteral("smtp.example.test"), now.addDays(10))});
    QCOMPARE(r.resolved.size(), 1);
    QCOMPARE(r.raised.size(), 2);
    QCOMPARE(r.lastRaised().severity, Severity::Critical);
    QVERIFY(r.lastRaised().message.contains(QStringLiteral("expired")));
    QCOMPARE(r.monitor.openAlerts().size(), 1);
    // Renewed: resolved.
    r.monitor.setCertificates({cert(QStringLiteral("smtp.example.test"), now.addDays(400))});
    QCOMPARE(r.resolved.size(), 2);
    QVERIFY(r.monitor.openAlerts().isEmpty());
}

void TstAlerts::dnsblSelf()
{
    Rig r;
    r.monitor.setThresholds(thresholds());
    using rd::dnscheck::Status;
    rd::dnscheck::Report report;
    report.domain = QStringLiteral("example.test");
    report.findings = {dnsbl(Status::Fail, QStringLiteral("192.0.2.10 on bl.example.net \u2014 listed")),
                       dnsbl(Status::Pass, QStringLiteral("192.0.2.10 on zen.example.org \u2014 not listed"))};
    r.monitor.setDnsCheck(report);
    QCOMPARE(r.raised.size(), 1);
    QCOMPARE(r.lastRaised().rule, QLatin1String(rules::kDnsblSelf));
    QCOMPARE(r.lastRaised().subject, QStringLiteral("192.0.2.10 on bl.example.net"));
    QCOMPARE(r.lastRaised().message, QStringLiteral("The relay's address 192.0.2.10 is listed on bl.example.net"));
    QCOMPARE(r.lastRaised().severity, Severity::Critical);
    // A report without block-list findings changes nothing.
    rd::dnscheck::Report other;
    rd::dnscheck::Finding spf;
    spf.check = QStringLiteral("spf");
    other.findings = {spf};
    r.monitor.setDnsCheck(other);
    QCOMPARE(r.resolved.size(), 0);
    // "Could not be checked" keeps it open; "not listed" resolves it.
    report.findings = {dnsbl(Status::Warn, QStringLiteral("192.0.2.10 on bl.example.net \u2014 could not be checked"))};
    r.monitor.setDnsCheck(report);
    QCOMPARE(r.resolved.size(), 0);
    report.findings = {dnsbl(Status::Pass, QStringLiteral("192.0.2.10 on bl.example.net \u2014 not listed"))};
    r.monitor.setDnsCheck(report);
    QCOMPARE(r.resolved.size(), 1);
}

void TstAlerts::disablingARuleResolves()
{
    Rig r;
    r.monitor.setThresholds(thresholds());
    r.monitor.setQueueState(1000, QDateTime());
    QCOMPARE(r.raised.size(), 1);
    AlertThresholds t = thresholds();
    t.queueSize = 0;
    r.monitor.setThresholds(t);
    QCOMPARE(r.resolved.size(), 1);
    r.monitor.setQueueState(100000, QDateTime());
    QCOMPARE(r.raised.size(), 1);
}

void TstAlerts::storeRoundTrip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QList<Alert> raisedAlerts;
    qint64 lastId = 0;
    {
        AlertStore store;
        QString error;
        QVERIFY2(store.open(dir.path(), &error), qPrintable(error));
        QCOMPARE(store.maxId(&error), 0);
        Rig r;
        r.monitor.setThresholds(thresholds());
        QObject::connect(&r.monitor, &AlertMonitor::raised, [&](const Alert &a) {
            QString e;
            QVERIFY2(store.insert(a, &e), qPrintable(e));
        });
        QObject::connect(&r.monitor, &AlertMonitor::resolved, [&](const Alert &a) {
            QString e;
            QVERIFY2(store.markResolved(a.id, a.resolved, &e), qPrintable(e));
        });
        r.monitor.setQueueState(900, QDateTime::fromMSecsSinceEpoch(kT0 - 2 * kHour, Qt::UTC));
        r.now += kMin;
        r.monitor.setCertificates({cert(QStringLiteral("m\u00fcnchen.example.test"),
                                        QDateTime::fromMSecsSinceEpoch(kT0 + 3 * 24 * kHour, Qt::UTC))});
        QCOMPARE(r.raised.size(), 3);
        r.now += kMin;
        r.monitor.setQueueState(10, QDateTime()); // resolves both queue alerts
        QCOMPARE(r.resolved.size(), 2);
        raisedAlerts = r.monitor.openAlerts();
        lastId = r.monitor.lastId();
        QCOMPARE(store.maxId(&error), lastId);
        const QList<Alert> recent = store.recent(10, &error);
        QCOMPARE(recent.size(), 3);
        QCOMPARE(recent.first().id, lastId); // newest first
        int resolvedCount = 0;
        for (const Alert &a : recent) {
            if (!a.isOpen()) {
                ++resolvedCount;
                QCOMPARE(a.resolved.toMSecsSinceEpoch(), kT0 + 2 * kMin);
            }
        }
        QCOMPARE(resolvedCount, 2);
    }
    // Restart: a new store and monitor restore the open alert, ids continue.
    AlertStore store;
    QString error;
    QVERIFY2(store.open(dir.path(), &error), qPrintable(error));
    const QList<Alert> open = store.loadOpen(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(open, raisedAlerts); // every field survives, UTF-8 included
    QCOMPARE(open.size(), 1);
    QCOMPARE(open.first().subject, QStringLiteral("m\u00fcnchen.example.test"));
    Rig r;
    r.now = kT0 + 10 * kMin;
    r.monitor.setThresholds(thresholds());
    r.monitor.restore(open, store.maxId(&error));
    QCOMPARE(r.monitor.openAlerts(), open);
    // Still expiring: not raised again. Renewed: the restored alert resolves.
    r.monitor.setCertificates({cert(QStringLiteral("m\u00fcnchen.example.test"),
                                    QDateTime::fromMSecsSinceEpoch(kT0 + 3 * 24 * kHour, Qt::UTC))});
    QCOMPARE(r.raised.size(), 0);
    r.monitor.setQueueState(600, QDateTime());
    QCOMPARE(r.lastRaised().id, lastId + 1);
    r.monitor.setCertificates({});
    QCOMPARE(r.resolved.size(), 1);
    QVERIFY(store.markResolved(r.lastResolved().id, r.lastResolved().resolved, &error));
    QVERIFY(store.loadOpen(&error).isEmpty());
    // The rows are in log.db's alerts table: read them on a connection of our own.
    {
        const QString name = rd::storage::uniqueConnectionName(QStringLiteral("check"));
        {
            QSqlDatabase db = rd::storage::openDatabase(dir.path(), rd::storage::DbKind::Log, name, {}, &error);
            QVERIFY2(db.isOpen(), qPrintable(error));
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*), MIN(resolved), MAX(id) FROM alerts")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), 3);
            QVERIFY(q.value(1).toLongLong() > 0); // all three resolved now
            QCOMPARE(q.value(2).toLongLong(), lastId);
        }
        rd::storage::closeDatabase(name);
    }
    QCOMPARE(store.pruneResolved(QDateTime::fromMSecsSinceEpoch(kT0 + kHour, Qt::UTC), &error), 3);
    QCOMPARE(store.recent(10, &error).size(), 0);
}

void TstAlerts::storeErrors()
{
    AlertStore closed;
    QString error;
    Alert a;
    a.id = 1;
    a.rule = QStringLiteral("queue_size");
    QVERIFY(!closed.insert(a, &error));
    QVERIFY(error.contains(QStringLiteral("not open")));
    QTemporaryDir dir;
    AlertStore store;
    QVERIFY(store.open(dir.path(), &error));
    QVERIFY(!store.markResolved(77, QDateTime::currentDateTimeUtc(), &error));
    QVERIFY(error.contains(QStringLiteral("77")));
    QVERIFY(!store.insert(Alert{}, &error));
    // A file that is not a database gives a clear error, no crash.
    QTemporaryDir bad;
    QFile f(bad.filePath(rd::storage::fileName(rd::storage::DbKind::Log)));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(4096, 'x'));
    f.close();
    AlertStore broken;
    error.clear();
    QVERIFY(!broken.open(bad.path(), &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(broken.loadOpen(&error).isEmpty());
}

void TstAlerts::mailParsedByPython_data()
{
    QTest::addColumn<QString>("message");
    QTest::addColumn<bool>("resolved");
    QTest::newRow("ascii") << QStringLiteral("25 failed AUTH attempts from 192.0.2.7 within 10 minutes (alert at 20)")
                           << false;
    QTest::newRow("utf8-long")
        << QStringLiteral("User j\u00fcrgen.m\u00fcller@b\u00fccher.example sent 1,250 messages in the last hour, "
                          "25.0 times the usual 50 per hour \u2014 \u65e5\u672c\u8a9e\u306e\u4ef6\u540d\u3082")
        << true;
    QTest::newRow("long-ascii") << QStringLiteral("Certificate %1 expires in 3 days").arg(QString(200, QLatin1Char('x')))
                                << false;
}

void TstAlerts::mailParsedByPython()
{
    QFETCH(QString, message);
    QFETCH(bool, resolved);
    Alert a;
    a.id = 4711;
    a.rule = QLatin1String(rules::kVolumeUser);
    a.subject = QStringLiteral("j\u00fcrgen");
    a.severity = Severity::Critical;
    a.message = message;
    a.raised = QDateTime(QDate(2024, 3, 1), QTime(9, 30, 5), Qt::UTC);
    if (resolved)
        a.resolved = a.raised.addSecs(3600);
    const QDateTime date(QDate(2024, 3, 1), QTime(9, 31, 0), Qt::UTC);
    rd::queue::LocalMessage m;
    QString error;
    QVERIFY2(rd::alerts::buildAlertMail(a, QStringLiteral("relay.example.test"), QStringLiteral("ops@example.test"),
                                        date, &m, &error),
             qPrintable(error));
    QVERIFY(m.sender.isEmpty());
    QCOMPARE(m.recipients, QList<QByteArray>{"ops@example.test"});
    QCOMPARE(m.origin, QStringLiteral("alert"));
    QVERIFY(!m.smtpUtf8);
    // Wire rules: CRLF only, no line over 998 octets, 7-bit (the body is QP when needed).
    const QList<QByteArray> lines = m.content.split('\n');
    QVERIFY(lines.last().isEmpty());
    for (int i = 0; i + 1 < lines.size(); ++i) {
        QVERIFY(lines[i].endsWith('\r'));
        QVERIFY(lines[i].size() <= 999);
    }
    QVERIFY(!m.content.contains("\r\r"));
    for (char c : m.content)
        QVERIFY(static_cast<unsigned char>(c) < 0x80);

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("alert.eml"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(m.content);
    f.close();
    const QString script = QStringLiteral(
        "import sys, json, email, email.policy, email.utils\n"
        "raw = open(sys.argv[1], 'rb').read()\n"
        "msg = email.message_from_bytes(raw, policy=email.policy.default)\n"
        "body = msg.get_body(preferencelist=('plain',))\n"
        "print(json.dumps({'subject': str(msg['Subject']), 'from': msg['From'].addresses[0].addr_spec,\n"
        "  'to': msg['To'].addresses[0].addr_spec, 'date': email.utils.parsedate_to_datetime(msg['Date']).timestamp(),\n"
        "  'mid': msg['Message-ID'], 'auto': msg['Auto-Submitted'], 'body': body.get_content(),\n"
        "  'charset': body.get_content_charset(), 'defects': [str(d) for d in msg.defects] +\n"
        "  [str(d) for p in msg.walk() for d in p.defects]}))\n");
    QProcess py;
    py.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), script, path});
    QVERIFY(py.waitForFinished(30000));
    QCOMPARE(py.exitCode(), 0);
    const QJsonObject o = QJsonDocument::fromJson(py.readAllStandardOutput()).object();
    QVERIFY2(!o.isEmpty(), py.readAllStandardError().constData());
    const QString expectedSubject = QStringLiteral("[RelayDesk] ") + (resolved ? QStringLiteral("Resolved: ") : QString())
                                    + message;
    QCOMPARE(o.value(QStringLiteral("subject")).toString(), expectedSubject);
    QCOMPARE(o.value(QStringLiteral("from")).toString(), QStringLiteral("postmaster@relay.example.test"));
    QCOMPARE(o.value(QStringLiteral("to")).toString(), QStringLiteral("ops@example.test"));
    QCOMPARE(qint64(o.value(QStringLiteral("date")).toDouble()), date.toSecsSinceEpoch());
    const QString mid = o.value(QStringLiteral("mid")).toString();
    QVERIFY2(mid.startsWith(QLatin1Char('<')) && mid.endsWith(QStringLiteral("@relay.example.test>")), qPrintable(mid));
    QCOMPARE(o.value(QStringLiteral("auto")).toString(), QStringLiteral("auto-generated"));
    QCOMPARE(o.value(QStringLiteral("charset")).toString(), QStringLiteral("utf-8"));
    const QString body = o.value(QStringLiteral("body")).toString();
    QVERIFY2(body.contains(message), qPrintable(body));
    QVERIFY(body.contains(QStringLiteral("j\u00fcrgen")));
    QVERIFY(body.contains(QStringLiteral("critical")));
    QCOMPARE(body.contains(QStringLiteral("Resolved:")), resolved);
    QVERIFY2(o.value(QStringLiteral("defects")).toArray().isEmpty(),
             qPrintable(QJsonDocument(o.value(QStringLiteral("defects")).toArray()).toJson()));
}

void TstAlerts::mailRejectsBadAddress()
{
    Alert a;
    a.id = 1;
    a.rule = QLatin1String(rules::kQueueSize);
    a.message = QStringLiteral("x");
    rd::queue::LocalMessage m;
    QString error;
    for (const QString &bad : {QString(), QStringLiteral("nobody"), QStringLiteral("a b@example.test"),
                               QStringLiteral("a@example.test\r\nBcc: x@y"), QStringLiteral("<a@b>"),
                               QStringLiteral("a@")}) {
        error.clear();
        QVERIFY2(!rd::alerts::buildAlertMail(a, QStringLiteral("h.example"), bad, QDateTime::currentDateTimeUtc(), &m,
                                             &error),
                 qPrintable(bad));
        QVERIFY(!error.isEmpty());
    }
    QVERIFY(!rd::alerts::buildAlertMail(a, QString(), QStringLiteral("a@b.example"), QDateTime::currentDateTimeUtc(),
                                        &m, &error));
    // A UTF-8 address needs SMTPUTF8.
    QVERIFY(rd::alerts::buildAlertMail(a, QStringLiteral("h.example"), QStringLiteral("j\u00fcrgen@example.test"),
                                       QDateTime::currentDateTimeUtc(), &m, &error));
    QVERIFY(m.smtpUtf8);
    QVERIFY(m.mailParams.contains("SMTPUTF8"));
}

void TstAlerts::quotedPrintableLines()
{
    const QByteArray text = QByteArray(200, 'a') + " =\t\r\n\xc3\xa4 end \r\n";
    const QByteArray qp = rd::alerts::quotedPrintable(text);
    for (const QByteArray &line : qp.split('\n')) {
        QVERIFY(line.size() <= 77); // 76 + CR
    }
    QVERIFY(qp.contains("=3D"));
    QVERIFY(qp.contains("=C3=A4"));
    QVERIFY(qp.contains("=09\r\n")); // trailing tab encoded
}

QTEST_GUILESS_MAIN(TstAlerts)
#include "tst_alerts.moc"

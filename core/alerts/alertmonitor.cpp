#include "alerts/alertmonitor.h"

#include "dnscheck/dnscheckreport.h"
#include "engine/trafficstats.h"
#include "tls/certificateinfo.h"

#include <QLocale>

#include <algorithm>
#include <cmath>
#include "util/clock.h"

namespace rd::alerts {

namespace {
using util::fromMs;

QString num(qint64 n)
{
    return QLocale::c().toString(n);
}

QString dateText(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyy-MM-dd hh:mm 'UTC'"));
}

} // namespace

QString formatDuration(qint64 seconds)
{
    seconds = std::max<qint64>(0, seconds);
    const qint64 d = seconds / 86400;
    const qint64 h = seconds % 86400 / 3600;
    const qint64 m = seconds % 3600 / 60;
    const qint64 s = seconds % 60;
    if (d > 0)
        return h > 0 ? QStringLiteral("%1 d %2 h").arg(d).arg(h) : QStringLiteral("%1 d").arg(d);
    if (h > 0)
        return m > 0 ? QStringLiteral("%1 h %2 min").arg(h).arg(m) : QStringLiteral("%1 h").arg(h);
    if (m > 0)
        return s > 0 ? QStringLiteral("%1 min %2 s").arg(m).arg(s) : QStringLiteral("%1 min").arg(m);
    return QStringLiteral("%1 s").arg(s);
}

AlertMonitor::AlertMonitor(Clock clock, QObject *parent)
    : QObject(parent)
    , m_clock(clock ? std::move(clock) : Clock([] { return QDateTime::currentMSecsSinceEpoch(); }))
{
}

QString AlertMonitor::stateKey(const QString &rule, const QString &subject)
{
    return rule + QLatin1Char('\n') + subject;
}

void AlertMonitor::setThresholds(const AlertThresholds &thresholds)
{
    m_thresholds = thresholds;
    m_changed = false;
    const QHash<QString, Condition> none;
    if (m_thresholds.authFailures <= 0) {
        applyRule(QLatin1String(rules::kAuthFailuresIp), none);
        applyRule(QLatin1String(rules::kAuthFailuresUser), none);
    }
    if (m_thresholds.volumeFactor <= 0) {
        applyRule(QLatin1String(rules::kVolumeSender), none);
        applyRule(QLatin1String(rules::kVolumeUser), none);
    }
    if (m_thresholds.queueSize <= 0)
        applyRule(QLatin1String(rules::kQueueSize), none);
    if (m_thresholds.queueAgeS <= 0)
        applyRule(QLatin1String(rules::kQueueAge), none);
    if (m_thresholds.certificateDays <= 0)
        applyRule(QLatin1String(rules::kCertificate), none);
    if (!m_thresholds.dnsblSelf)
        applyRule(QLatin1String(rules::kDnsblSelf), none);
    if (m_changed)
        emit openAlertsChanged(openAlerts());
}

void AlertMonitor::restore(const QList<Alert> &open, qint64 lastId)
{
    m_lastId = lastId;
    for (const Alert &a : open) {
        if (!a.isOpen())
            continue;
        m_open.insert(stateKey(a.rule, a.subject), a);
        m_lastId = std::max(m_lastId, a.id);
    }
}

QList<Alert> AlertMonitor::openAlerts() const
{
    QList<Alert> out = m_open.values();
    sortForDisplay(out);
    return out;
}

void AlertMonitor::raise(const QString &rule, const QString &subject, const Condition &c)
{
    Alert a;
    a.id = ++m_lastId;
    a.rule = rule;
    a.subject = subject;
    a.severity = c.severity;
    a.message = c.message;
    a.raised = fromMs(m_clock());
    const QString key = stateKey(rule, subject);
    m_open.insert(key, a);
    m_baselines.insert(key, c.baseline);
    m_changed = true;
    emit raised(a);
}

void AlertMonitor::resolve(const QString &key)
{
    auto it = m_open.find(key);
    if (it == m_open.end())
        return;
    Alert a = it.value();
    m_open.erase(it);
    m_baselines.remove(key);
    const qint64 now = m_clock();
    a.resolved = fromMs(std::max(now, a.raised.toMSecsSinceEpoch()));
    m_resolvedAt.insert(key, now);
    m_changed = true;
    emit resolved(a);
}

bool AlertMonitor::apply(const QString &rule, const QString &subject, const Condition &c)
{
    const QString key = stateKey(rule, subject);
    const auto open = m_open.constFind(key);
    if (open != m_open.constEnd()) {
        if (c.level == Level::Clear) {
            resolve(key);
        } else if (c.level == Level::Raise && int(c.severity) > int(open->severity)) {
            // Escalation (a certificate that expired): a new alert at the higher severity.
            resolve(key);
            raise(rule, subject, c);
        }
        return true;
    }
    if (c.level != Level::Raise)
        return false;
    const auto last = m_resolvedAt.constFind(key);
    if (last != m_resolvedAt.constEnd() && m_clock() - last.value() < kCooldownMs)
        return false;
    raise(rule, subject, c);
    return true;
}

void AlertMonitor::applyRule(const QString &rule, const QHash<QString, Condition> &conditions)
{
    for (auto it = conditions.cbegin(); it != conditions.cend(); ++it)
        apply(rule, it.key(), it.value());
    QStringList stale;
    for (auto it = m_open.cbegin(); it != m_open.cend(); ++it) {
        if (it->rule == rule && !conditions.contains(it->subject))
            stale << it.key();
    }
    for (const QString &key : stale)
        resolve(key);
}

void AlertMonitor::pruneCooldowns(qint64 nowMs)
{
    for (auto it = m_resolvedAt.begin(); it != m_resolvedAt.end();) {
        if (nowMs - it.value() >= kCooldownMs)
            it = m_resolvedAt.erase(it);
        else
            ++it;
    }
}

void AlertMonitor::evaluateTraffic(engine::TrafficStats &stats)
{
    m_changed = false;
    pruneCooldowns(m_clock());
    const int limit = m_thresholds.authFailures;
    for (const bool users : {false, true}) {
        const QString rule = QLatin1String(users ? rules::kAuthFailuresUser : rules::kAuthFailuresIp);
        QHash<QString, Condition> conditions;
        if (limit > 0) {
            const qint64 clearBelow = std::max(1, limit / 2);
            const auto hits = users ? stats.usersWithAuthFailures(clearBelow) : stats.ipsWithAuthFailures(clearBelow);
            for (const engine::KeyedWindow::Info &h : hits) {
                Condition c;
                c.level = h.inWindow >= limit ? Level::Raise : Level::Hold;
                c.severity = Severity::Warning;
                c.message = users ? tr("%1 failed AUTH attempts for user %2 within 10 minutes (alert at %3)")
                                        .arg(num(h.inWindow), h.key, num(limit))
                                  : tr("%1 failed AUTH attempts from %2 within 10 minutes (alert at %3)")
                                        .arg(num(h.inWindow), h.key, num(limit));
                conditions.insert(h.key, c);
            }
        }
        applyRule(rule, conditions);
    }
    evaluateVolume(stats, rules::kVolumeSender, false);
    evaluateVolume(stats, rules::kVolumeUser, true);
    if (m_changed)
        emit openAlertsChanged(openAlerts());
}

void AlertMonitor::evaluateVolume(engine::TrafficStats &stats, const char *ruleName, bool users)
{
    const QString rule = QLatin1String(ruleName);
    QHash<QString, Condition> conditions;
    const int factor = m_thresholds.volumeFactor;
    const qint64 minimum = std::max(1, m_thresholds.volumeMinimum);
    if (factor > 0) {
        const qint64 holdMinimum = std::max<qint64>(1, minimum * 8 / 10);
        const auto volumes = users ? stats.usersWithVolume(holdMinimum) : stats.sendersWithVolume(holdMinimum);
        for (const engine::KeyedWindow::Info &v : volumes) {
            const QString key = stateKey(rule, v.key);
            double baseline = 0;
            if (m_open.contains(key))
                baseline = m_baselines.value(key);
            else if (v.periods > 0)
                baseline = v.usual;
            else if (v.firstSeenMs - stats.startedMs() < kVolumeLearningMs)
                continue; // seen since the (re)start only: no usual rate yet
            const double count = double(v.inWindow);
            Condition c;
            c.severity = Severity::Critical;
            c.baseline = baseline;
            if (v.inWindow >= minimum && count > factor * baseline)
                c.level = Level::Raise;
            else if (v.inWindow >= holdMinimum && count > 0.8 * factor * baseline)
                c.level = Level::Hold;
            else
                continue;
            const QString who = users ? tr("User %1").arg(v.key) : tr("Sender %1").arg(v.key);
            if (baseline >= 0.05) {
                c.message = tr("%1 sent %2 messages in the last hour, %3 times the usual %4 per hour")
                                .arg(who, num(v.inWindow), QString::number(count / baseline, 'f', 1),
                                     QString::number(baseline, 'f', baseline < 10 ? 1 : 0));
            } else {
                c.message = tr("%1 sent %2 messages in the last hour and none before (alert at %3 per hour)")
                                .arg(who, num(v.inWindow), num(minimum));
            }
            conditions.insert(v.key, c);
        }
    }
    applyRule(rule, conditions);
}

void AlertMonitor::setQueueState(int size, const QDateTime &oldest)
{
    m_changed = false;
    const qint64 now = m_clock();
    {
        QHash<QString, Condition> conditions;
        const int limit = m_thresholds.queueSize;
        if (limit > 0 && size * 10LL >= limit * 8LL) {
            Condition c;
            c.level = size >= limit ? Level::Raise : Level::Hold;
            c.message = tr("The queue holds %1 messages (alert at %2)").arg(num(size), num(limit));
            conditions.insert(QStringLiteral("queue"), c);
        }
        applyRule(QLatin1String(rules::kQueueSize), conditions);
    }
    {
        QHash<QString, Condition> conditions;
        const qint64 limit = m_thresholds.queueAgeS;
        const qint64 age = oldest.isValid() ? std::max<qint64>(0, (now - oldest.toMSecsSinceEpoch()) / 1000) : 0;
        if (limit > 0 && oldest.isValid() && age * 10 >= limit * 8) {
            Condition c;
            c.level = age >= limit ? Level::Raise : Level::Hold;
            c.message = tr("The oldest queued message is %1 old (alert at %2)")
                            .arg(formatDuration(age), formatDuration(limit));
            conditions.insert(QStringLiteral("queue"), c);
        }
        applyRule(QLatin1String(rules::kQueueAge), conditions);
    }
    if (m_changed)
        emit openAlertsChanged(openAlerts());
}

void AlertMonitor::setCertificates(const QList<tls::CertificateInfo> &certificates)
{
    m_changed = false;
    QHash<QString, Condition> conditions;
    const int days = m_thresholds.certificateDays;
    const QDateTime now = fromMs(m_clock());
    if (days > 0) {
        for (const tls::CertificateInfo &cert : certificates) {
            if (cert.isNull() || !cert.notAfter.isValid())
                continue;
            const QString subject = !cert.name.isEmpty()         ? cert.name
                                    : !cert.commonName.isEmpty() ? cert.commonName
                                                                 : cert.sha256Fingerprint.left(23);
            Condition c;
            if (now > cert.notAfter) {
                c.level = Level::Raise;
                c.severity = Severity::Critical;
                c.message = tr("Certificate %1 expired on %2").arg(subject, dateText(cert.notAfter));
            } else if (cert.daysLeft(now) <= days) {
                c.level = Level::Raise;
                c.severity = Severity::Warning;
                const int left = cert.daysLeft(now);
                c.message = (left == 1 ? tr("Certificate %1 expires in 1 day, on %3")
                                       : tr("Certificate %1 expires in %2 days, on %3"))
                                .arg(subject, QString::number(left), dateText(cert.notAfter));
            } else {
                continue;
            }
            conditions.insert(subject, c);
        }
    }
    applyRule(QLatin1String(rules::kCertificate), conditions);
    if (m_changed)
        emit openAlertsChanged(openAlerts());
}

void AlertMonitor::setCertificateReloadErrors(const QHash<QString, QString> &errors)
{
    m_changed = false;
    QHash<QString, Condition> conditions;
    for (auto it = errors.begin(); it != errors.end(); ++it) {
        Condition c;
        c.level = Level::Raise;
        c.severity = Severity::Critical;
        c.message = tr("Certificate %1 changed on disk but cannot be used (the previous one stays in use): %2")
                        .arg(it.key(), it.value());
        conditions.insert(it.key(), c);
    }
    applyRule(QLatin1String(rules::kCertificateReload), conditions);
    if (m_changed)
        emit openAlertsChanged(openAlerts());
}

void AlertMonitor::setSilentNodes(const QHash<QString, QString> &nodes)
{
    m_changed = false;
    QHash<QString, Condition> conditions;
    for (auto it = nodes.begin(); it != nodes.end(); ++it) {
        Condition c;
        c.level = Level::Raise;
        c.severity = Severity::Critical;
        c.message = tr("Cluster node %1 has stopped sending heartbeats: %2").arg(it.key(), it.value());
        conditions.insert(it.key(), c);
    }
    applyRule(QLatin1String(rules::kNodeSilent), conditions);
    if (m_changed)
        emit openAlertsChanged(openAlerts());
}

void AlertMonitor::setClusterStoreError(const QString &error)
{
    m_changed = false;
    QHash<QString, Condition> conditions;
    if (!error.isEmpty()) {
        Condition c;
        c.level = Level::Raise;
        c.severity = Severity::Warning;
        c.message = tr("The cluster store cannot be reached; this node runs on its last configuration: %1").arg(error);
        conditions.insert(QStringLiteral("store"), c);
    }
    applyRule(QLatin1String(rules::kClusterStore), conditions);
    if (m_changed)
        emit openAlertsChanged(openAlerts());
}

void AlertMonitor::setDnsCheck(const dnscheck::Report &report)
{
    bool covered = false;
    QHash<QString, Condition> conditions;
    for (const dnscheck::Finding &f : report.findings) {
        if (f.check != QLatin1String("dnsbl"))
            continue;
        covered = true;
        const int dash = f.title.indexOf(QStringLiteral(" \u2014 "));
        const QString what = dash > 0 ? f.title.left(dash) : f.title;
        if (f.status == dnscheck::Status::Fail) {
            Condition c;
            c.level = Level::Raise;
            c.severity = Severity::Critical;
            const int on = what.indexOf(QLatin1String(" on "));
            c.message = on > 0 ? tr("The relay's address %1 is listed on %2").arg(what.left(on), what.mid(on + 4))
                               : tr("The relay is listed on a block list: %1").arg(what);
            conditions.insert(what, c);
        } else if (f.status == dnscheck::Status::Warn) {
            Condition c;
            c.level = Level::Hold; // not checkable now: keeps an open alert open
            conditions.insert(what, c);
        }
    }
    if (!covered)
        return;
    m_changed = false;
    if (!m_thresholds.dnsblSelf)
        conditions.clear();
    applyRule(QLatin1String(rules::kDnsblSelf), conditions);
    if (m_changed)
        emit openAlertsChanged(openAlerts());
}

} // namespace rd::alerts

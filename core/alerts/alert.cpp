#include "alerts/alert.h"

#include "config/configsnapshot.h"
#include "config/settings.h"

#include <algorithm>

namespace rd::alerts {

QString severityName(Severity s)
{
    switch (s) {
    case Severity::Info: return QStringLiteral("info");
    case Severity::Warning: return QStringLiteral("warning");
    case Severity::Critical: return QStringLiteral("critical");
    }
    return QStringLiteral("warning");
}

Severity severityFromName(const QString &name)
{
    const QString n = name.trimmed().toLower();
    if (n == QLatin1String("info"))
        return Severity::Info;
    if (n == QLatin1String("critical"))
        return Severity::Critical;
    return Severity::Warning;
}

void sortForDisplay(QList<Alert> &alerts)
{
    std::stable_sort(alerts.begin(), alerts.end(), [](const Alert &a, const Alert &b) {
        if (a.severity != b.severity)
            return int(a.severity) > int(b.severity);
        if (a.raised != b.raised)
            return a.raised > b.raised;
        return a.id > b.id;
    });
}

AlertThresholds AlertThresholds::fromConfig(const config::ConfigSnapshot &config)
{
    using namespace config::keys;
    AlertThresholds t;
    t.authFailures = int(config.intValue(kAlertAuthFailures));
    t.volumeFactor = int(config.intValue(kAlertVolumeFactor));
    t.volumeMinimum = int(config.intValue(kAlertVolumeMinimum));
    t.queueSize = int(config.intValue(kAlertQueueSize));
    t.queueAgeS = int(config.intValue(kAlertQueueAge));
    t.certificateDays = int(config.intValue(kAlertCertDays));
    t.dnsblSelf = config.boolValue(kAlertDnsblSelf);
    t.email = config.stringValue(kAlertEmail).trimmed();
    return t;
}

} // namespace rd::alerts

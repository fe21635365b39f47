#pragma once
// An alert raised by the engine (AlertMonitor) and the thresholds of the
// alert rules (settings alerts.*). Value types; shared by the engine, the
// store (log.db table alerts), the alert mail and the GUI.

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

namespace rd::config {
class ConfigSnapshot;
}

namespace rd::alerts {

enum class Severity { Info, Warning, Critical };

// "info", "warning", "critical"; severityFromName: unknown -> Warning.
QString severityName(Severity s);
Severity severityFromName(const QString &name);

// Rule names (Alert::rule), also stored in log.db.
namespace rules {
inline constexpr const char kAuthFailuresIp[] = "auth_failures_ip";
inline constexpr const char kAuthFailuresUser[] = "auth_failures_user";
inline constexpr const char kVolumeSender[] = "volume_sender";
inline constexpr const char kVolumeUser[] = "volume_user";
inline constexpr const char kQueueSize[] = "queue_size";
inline constexpr const char kQueueAge[] = "queue_age";
inline constexpr const char kCertificate[] = "certificate";
// A linked certificate file changed on disk and the new one is unusable.
inline constexpr const char kCertificateReload[] = "certificate_reload";
inline constexpr const char kDnsblSelf[] = "dnsbl_self";
// Cluster mode: another node stopped sending heartbeats without stopping
// cleanly; this node cannot reach the shared store.
inline constexpr const char kNodeSilent[] = "node_silent";
inline constexpr const char kClusterStore[] = "cluster_store";
} // namespace rules

struct Alert {
    qint64 id = 0;          // unique, increasing (log.db row id)
    QString rule;           // one of rules::k*
    QString subject;        // what it is about: an IP, a user, a sender, "queue", a certificate name
    Severity severity = Severity::Warning;
    QString message;        // one line for people: "25 failed AUTH attempts from 192.0.2.7 in 10 minutes"
    QDateTime raised;       // UTC
    QDateTime resolved;     // UTC; invalid while open

    bool isOpen() const { return !resolved.isValid(); }
    bool operator==(const Alert &) const = default;
};

// Most severe first, then newest first (the banner's order).
void sortForDisplay(QList<Alert> &alerts);

// Thresholds of the rules; 0 disables a rule (as in the settings).
struct AlertThresholds {
    int authFailures = 20;      // per IP or user within 10 minutes
    int volumeFactor = 5;       // x the usual hourly rate
    int volumeMinimum = 200;    // messages per hour below which the volume rule is silent
    int queueSize = 1000;
    int queueAgeS = 3600;
    int certificateDays = 14;
    bool dnsblSelf = true;
    QString email;              // where alert mail goes; empty: none

    // The alerts.* settings of a configuration.
    static AlertThresholds fromConfig(const config::ConfigSnapshot &config);
    bool operator==(const AlertThresholds &) const = default;
};

} // namespace rd::alerts

Q_DECLARE_METATYPE(rd::alerts::Alert)
Q_DECLARE_METATYPE(QList<rd::alerts::Alert>)

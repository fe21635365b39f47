#pragma once
// The alert rules. The engine gives the monitor its inputs (TrafficStats for
// AUTH failures and sender/user volumes, the queue's size and oldest message,
// the listeners' certificates, the last DNS check's block-list findings);
// the monitor raises an alert once when a rule's condition starts to hold and
// resolves it when the condition has cleared, and keeps the open list.
//
// No flapping: each rule has a raise level and a lower clear level
// (hysteresis: 80 % of the threshold, half for AUTH failures); between the
// two an open alert stays open and a closed one stays closed. After an alert
// is resolved the same rule and subject cannot raise again for kCooldownMs.
// A volume alert keeps the usual rate it was raised against until it
// resolves (the moving average learning the abuse does not end the alert).
//
// Thread: engine thread (a QObject living there). No I/O: persistence is
// AlertStore's, connected to the signals by the owner. Clock injected.

#include "alerts/alert.h"

#include <QHash>
#include <QObject>

#include <functional>

namespace rd::engine {
class TrafficStats;
}
namespace rd::tls {
struct CertificateInfo;
}
namespace rd::dnscheck {
struct Report;
}

namespace rd::alerts {

class AlertMonitor : public QObject {
    Q_OBJECT
public:
    using Clock = std::function<qint64()>; // UTC epoch ms

    static constexpr qint64 kCooldownMs = 15 * 60 * 1000;
    // A sender or user seen for the first time raises the volume alert (at
    // volumeMinimum) only once the statistics ran this long before it
    // appeared, so a restart does not make every busy sender "new".
    static constexpr qint64 kVolumeLearningMs = 60 * 60 * 1000;

    // clock: null means the system clock.
    explicit AlertMonitor(Clock clock = {}, QObject *parent = nullptr);

    // The rule thresholds (from the alerts.* settings). Takes effect at the
    // next evaluation; a rule set to 0 resolves its open alerts then.
    void setThresholds(const AlertThresholds &thresholds);
    const AlertThresholds &thresholds() const { return m_thresholds; }

    // Restores the alerts open when the engine stopped (AlertStore::loadOpen)
    // and continues ids after lastId. Call before any evaluation; emits nothing.
    void restore(const QList<Alert> &open, qint64 lastId);

    // AUTH failures per IP and user, sender and user volumes.
    void evaluateTraffic(engine::TrafficStats &stats);
    // The queue now: size and the arrival time of its oldest message
    // (invalid when the queue is empty).
    void setQueueState(int size, const QDateTime &oldest);
    // The certificates the listeners use now (name, or CN, is the subject).
    // Certificates no longer listed resolve their alerts.
    void setCertificates(const QList<tls::CertificateInfo> &certificates);
    // Linked certificates whose changed files could not be loaded (name ->
    // error); the old certificate stays in use. Names no longer listed resolve.
    void setCertificateReloadErrors(const QHash<QString, QString> &errors);
    // Cluster mode: the nodes whose heartbeat stopped (name -> what is known),
    // and why the shared store cannot be reached (empty: it can). Nodes no
    // longer listed, and a reachable store, resolve their alerts.
    void setSilentNodes(const QHash<QString, QString> &nodes);
    void setClusterStoreError(const QString &error);
    // A finished DNS check run: its "dnsbl" findings ("<ip> on <zone> —
    // listed" = Fail) raise or resolve the self-listing alerts. A report
    // without dnsbl findings changes nothing.
    void setDnsCheck(const dnscheck::Report &report);

    // Open alerts, most severe first, newest first.
    QList<Alert> openAlerts() const;
    // The id the next alert gets minus one.
    qint64 lastId() const { return m_lastId; }

signals:
    // A new alert (id assigned, open). Emitted synchronously.
    void raised(const rd::alerts::Alert &alert);
    // An alert was resolved (resolved time set).
    void resolved(const rd::alerts::Alert &alert);
    // After any raise or resolve, the open alerts in display order.
    void openAlertsChanged(const QList<rd::alerts::Alert> &open);

private:
    enum class Level { Clear, Hold, Raise };
    struct Condition {
        Level level = Level::Clear;
        Severity severity = Severity::Warning;
        QString message;
        double baseline = 0; // volume rule: the usual rate at raise time
    };

    static QString stateKey(const QString &rule, const QString &subject);
    // Applies one rule to every subject: `conditions` holds the subjects not
    // clear; open alerts of the rule missing from it are cleared.
    void applyRule(const QString &rule, const QHash<QString, Condition> &conditions);
    bool apply(const QString &rule, const QString &subject, const Condition &c);
    void raise(const QString &rule, const QString &subject, const Condition &c);
    void resolve(const QString &key);
    void pruneCooldowns(qint64 nowMs);
    void evaluateVolume(engine::TrafficStats &stats, const char *rule, bool users);

    Clock m_clock;
    AlertThresholds m_thresholds;
    qint64 m_lastId = 0;
    QHash<QString, Alert> m_open;           // stateKey -> open alert
    QHash<QString, double> m_baselines;     // stateKey -> usual rate at raise (volume rules)
    QHash<QString, qint64> m_resolvedAt;    // stateKey -> ms, for the cooldown
    bool m_changed = false;
};

// "2 h 5 min", "45 s", "3 d 4 h": a duration for alert messages.
QString formatDuration(qint64 seconds);

} // namespace rd::alerts

// Traffic statistics and alerts (issue #6): the engine feeds TrafficStats from
// its own log rows (sessions, receptions, refusals, deliveries, AUTH
// failures), evaluates the alert rules every few seconds, keeps alerts in
// log.db and mails them to alerts.email through the relay itself.

#include "engine/engine.h"

#include "alerts/alertmail.h"
#include "alerts/alertmonitor.h"
#include "alerts/alertstore.h"
#include "config/settings.h"
#include "delivery/deliveryagent.h"
#include "engine/trafficstats.h"
#include "queue/localmessage.h"
#include "queue/queuestore.h"

namespace rd::engine {

using namespace config::keys;

void Engine::startAlerts()
{
    if (m_alerts)
        return;
    m_traffic = std::make_unique<TrafficStats>();
    m_alerts = new alerts::AlertMonitor({}, this);
    m_alertStore = std::make_unique<alerts::AlertStore>();
    QString error;
    if (!m_alertStore->open(m_dataDir, &error)) {
        systemLog(QStringLiteral("alerts"), error, QStringLiteral("error"));
    } else {
        const QList<alerts::Alert> open = m_alertStore->loadOpen(&error);
        m_alerts->restore(open, m_alertStore->maxId(&error));
    }
    m_alerts->setThresholds(alerts::AlertThresholds::fromConfig(m_config));
    connect(m_alerts, &alerts::AlertMonitor::raised, this, [this](const alerts::Alert &a) {
        QString err;
        if (m_alertStore && !m_alertStore->insert(a, &err))
            systemLog(QStringLiteral("alerts"), err, QStringLiteral("error"));
        systemLog(QStringLiteral("alert_raised"), QStringLiteral("%1 (rule %2)").arg(a.message, a.rule),
                  a.severity == alerts::Severity::Critical ? QStringLiteral("error") : QStringLiteral("warning"));
        mailAlert(a);
    });
    connect(m_alerts, &alerts::AlertMonitor::resolved, this, [this](const alerts::Alert &a) {
        QString err;
        if (m_alertStore && !m_alertStore->markResolved(a.id, QDateTime::currentDateTimeUtc(), &err))
            systemLog(QStringLiteral("alerts"), err, QStringLiteral("error"));
        systemLog(QStringLiteral("alert_resolved"), a.message);
    });
    connect(m_alerts, &alerts::AlertMonitor::openAlertsChanged, this, &Engine::alertsChanged);
    connect(this, &Engine::dnsCheckFinished, m_alerts, [this](const dnscheck::Report &r) {
        if (m_alerts)
            m_alerts->setDnsCheck(r);
    });
    if (!m_alertTimer) {
        m_alertTimer = new QTimer(this);
        connect(m_alertTimer, &QTimer::timeout, this, &Engine::evaluateAlerts);
    }
    m_alertTimer->start(5000);
    emit alertsChanged(m_alerts->openAlerts());
}

void Engine::evaluateAlerts()
{
    if (!m_traffic || !m_alerts)
        return;
    m_traffic->sampleQueue(m_status.queueSize);
    m_alerts->evaluateTraffic(*m_traffic);
    m_alerts->setQueueState(m_status.queueSize, m_delivery ? m_delivery->oldestReceived() : QDateTime());
    emit trafficUpdated(m_traffic->snapshot());
}

void Engine::observe(const log::LogEvent &e)
{
    if (!m_traffic)
        return;
    switch (e.kind) {
    case log::LogKind::Session:
        if (e.direction == QLatin1String("in") && e.result == QLatin1String("closed"))
            m_traffic->sessionEnded(e.clientIp, !e.tlsVersion.isEmpty());
        break;
    case log::LogKind::Receive:
        if (e.result == QLatin1String("accepted")) {
            m_traffic->accepted(e.sender, e.user, e.clientIp,
                                int(e.recipients.count(QLatin1Char(',')) + (e.recipients.isEmpty() ? 0 : 1)));
        } else if (e.replyCode == 535) {
            m_traffic->authFailure(e.clientIp, e.user);
        } else if (e.replyCode >= 400) {
            m_traffic->rejected(e.clientIp, e.rule.isEmpty() ? e.enhancedCode : e.rule);
        }
        break;
    case log::LogKind::Delivery:
        if (e.result == QLatin1String("delivered"))
            m_traffic->delivered();
        else if (e.result == QLatin1String("deferred"))
            m_traffic->deferred();
        else if (e.result == QLatin1String("failed"))
            m_traffic->failed();
        break;
    case log::LogKind::System:
        break;
    }
}

void Engine::mailAlert(const alerts::Alert &alert)
{
    const QString to = m_config.stringValue(kAlertEmail).trimmed();
    if (to.isEmpty() || !m_queue)
        return;
    queue::LocalMessage msg;
    QString error;
    queue::QueueEntry entry;
    QString tmp;
    if (!alerts::buildAlertMail(alert, hostname(), to, QDateTime::currentDateTimeUtc(), &msg, &error)
        || !queue::writeLocalMessage(m_queue->spoolDir(), msg, &entry, &tmp, &error)) {
        systemLog(QStringLiteral("alert_mail"), error, QStringLiteral("error"));
        return;
    }
    m_queue->commit(entry, tmp, [this, entry, to](bool ok, QString err) {
        if (!ok) {
            systemLog(QStringLiteral("alert_mail"), err, QStringLiteral("error"));
            return;
        }
        systemLog(QStringLiteral("alert_mail"), QStringLiteral("alert mailed to %1 as %2").arg(to, entry.info.queueId));
        messageQueued(entry, QStringLiteral("local"), QString());
        if (m_delivery)
            m_delivery->enqueue(entry);
    });
}

} // namespace rd::engine

// Engine, the delivery side: delivery settings from the configuration, the
// DNS resolver, and queuing bounces (DSNs) for the DeliveryAgent.

#include "mtasts/stsresolver.h"
#include "dane/tlsa.h"
#include "engine/engine.h"
#include "engine/policyservice.h"
#include "alerts/alertmonitor.h"

#include "config/settings.h"
#include "delivery/bounces.h"
#include "delivery/deliveryagent.h"
#include "dns/caresresolver.h"
#include "log/logstore.h"
#include "queue/localmessage.h"
#include "queue/queuestore.h"
#include "tls/certificatestore.h"

#include <QHostAddress>
#include <QPointer>

namespace rd::engine {

using namespace rd::config::keys;

delivery::DeliverySettings Engine::deliverySettings() const
{
    delivery::DeliverySettings ds;
    ds.connectors = m_config.sendConnectors;
    const QString smartHost = m_config.stringValue(kSmartHost);
    if (ds.connectors.isEmpty() && !smartHost.isEmpty()) {
        // The single-smart-host setup of earlier versions: one "*" route.
        config::SendConnectorConfig c;
        c.name = QStringLiteral("smarthost");
        c.domains = {QStringLiteral("*")};
        c.route = QStringLiteral("smarthost");
        c.smartHosts = {smartHost};
        c.tls = QStringLiteral("opportunistic");
        c.connectTimeoutS = int(m_config.intValue(kConnectTimeout));
        c.commandTimeoutS = int(m_config.intValue(kCommandTimeout));
        c.maxConnections = int(m_config.intValue(kMaxConnections));
        ds.connectors << c;
    }
    ds.heloName = hostname();
    QString why;
    ds.retrySchedule = config::parseSchedule(m_config.stringValue(kRetrySchedule), &why);
    ds.maxAgeSeconds = m_config.intValue(kMaxAge);
    ds.maxConnections = int(m_config.intValue(kMaxConnections));
    ds.mxPort = quint16(m_config.intValue(kMxPort));
    ds.delayWarningSeconds = m_config.intValue(kDelayWarning);
    ds.masqueradeDomain = m_config.stringValue(kMasqueradeDomain);
    return ds;
}

QString Engine::routeSummary() const
{
    if (m_config.sendConnectors.isEmpty())
        return m_config.stringValue(kSmartHost);
    QStringList parts;
    for (const config::SendConnectorConfig &c : m_config.sendConnectors) {
        parts << QStringLiteral("%1 (%2 \u2192 %3)")
                     .arg(c.name, c.domains.join(QStringLiteral(", ")),
                          c.usesMx() ? QStringLiteral("MX") : c.smartHosts.join(QStringLiteral(", ")));
    }
    return parts.join(QStringLiteral("; "));
}

void Engine::checkCertificates()
{
    m_status.warnings.clear();
    if (!m_certs)
        return;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (m_alerts) {
        QList<tls::CertificateInfo> used; // the alert watches certificates that listeners use
        for (const tls::CertificateInfo &c : m_certs->list()) {
            for (const config::ListenerConfig &l : m_config.listeners) {
                if (l.certificate == c.id) {
                    used << c;
                    break;
                }
            }
        }
        m_alerts->setCertificates(used);
    }
    for (const tls::CertificateInfo &c : m_certs->list()) {
        const tls::CertificateInfo::Expiry e = c.expiry(now);
        if (e == tls::CertificateInfo::Ok)
            continue;
        QStringList users;
        for (const config::ListenerConfig &l : m_config.listeners) {
            if (l.certificate == c.id)
                users << QStringLiteral("%1 (%2:%3)").arg(l.name, l.address).arg(l.port);
        }
        const QString who = users.isEmpty() ? QStringLiteral("not used by any listener")
                                            : QStringLiteral("used by %1").arg(users.join(QStringLiteral(", ")));
        const QString date = c.notAfter.toUTC().toString(QStringLiteral("yyyy-MM-dd"));
        const int days = c.daysLeft(now);
        const QString text = e == tls::CertificateInfo::Expired
            ? QStringLiteral("certificate %1 (%2) expired on %3, %4").arg(c.name, c.subject, date, who)
            : QStringLiteral("certificate %1 (%2) expires in %3 day(s) on %4, %5")
                  .arg(c.name, c.subject).arg(days).arg(date, who);
        m_status.warnings << text;
        systemLog(QStringLiteral("certificate_expiry"), text,
                  e == tls::CertificateInfo::Warn30 ? QStringLiteral("warning") : QStringLiteral("error"));
    }
    scheduleStatus();
}

void Engine::startResolver()
{
    dns::ResolverConfig rc;
    for (const QString &s : m_config.stringValue(kDnsServers).split(QLatin1Char(','), Qt::SkipEmptyParts))
        rc.servers << s.trimmed();
    rc.timeoutMs = int(m_config.intValue(kDnsTimeout));
    rc.requestAd = m_config.boolValue(kDane); // DANE trusts the validating resolver's AD bit
    delete m_sts; // holds the old resolver
    m_sts = nullptr;
    // The old resolver is not deleted here: an inbound check or a DNS check
    // still running holds it and cancels its lookups on it when it ends. It
    // stays a child until stop() (a DNS settings change is rare; an idle
    // c-ares channel is small).
    m_resolver = new dns::CaresResolver(rc, this);
    if (!m_resolver->isValid())
        systemLog(QStringLiteral("dns"), m_resolver->errorString(), QStringLiteral("error"));
    if (rc.requestAd && m_resolver->isValid()) {
        const QStringList remote = dane::daneRemoteResolvers(m_resolver->servers());
        if (!remote.isEmpty())
            systemLog(QStringLiteral("dane"),
                      QStringLiteral("DANE trusts the DNSSEC validation (AD bit) of DNS server(s) %1, which are not on "
                                     "this machine: their answers cross the network unauthenticated. Run a validating "
                                     "resolver locally (for example Unbound on 127.0.0.1) and name it in dns.servers")
                          .arg(remote.join(QStringLiteral(", "))),
                      QStringLiteral("warning"));
    }
    if (m_policy) {
        m_policy->setResolver(m_resolver);
        m_policy->configure(m_config);
    }
    startMxTls();
    if (m_acme)
        startAcme(); // the DNS-01 checks use the new resolver
}

void Engine::lookupClientName(const QString &clientIp, QObject *context, std::function<void(QString)> done)
{
    const QHostAddress addr(clientIp);
    if (addr.isLoopback() && m_config.stringValue(kDnsServers).isEmpty()) {
        // No DNS for the local machine unless the admin named DNS servers.
        QMetaObject::invokeMethod(context, [done] { done(QStringLiteral("localhost")); }, Qt::QueuedConnection);
        return;
    }
    if (!m_resolver || addr.isNull())
        return;
    // Forward-confirmed reverse DNS: the PTR name must resolve back to the address.
    QPointer<dns::CaresResolver> res(m_resolver);
    QPointer<QObject> ctx(context);
    m_resolver->lookupPtr(addr, context, [res, ctx, addr, done](const dns::Answer &ptr) {
        if (!res || !ctx || !ptr.ok() || ptr.names.isEmpty())
            return;
        const QString name = ptr.names.first().name;
        res->lookupAddresses(name, ctx.data(), [addr, name, done](const dns::AddressAnswer &fwd) {
            for (const dns::AddressRecord &r : fwd.addresses) {
                if (r.address.isEqual(addr, QHostAddress::TolerantConversion)) {
                    done(name);
                    return;
                }
            }
        });
    });
}

void Engine::queueBounce(const queue::QueueEntry &entry, const QList<delivery::BounceRecipient> &rcpts, bool delay,
                         std::function<void(bool)> done)
{
    if (!m_queue) {
        done(false);
        return;
    }
    QString error;
    const QDateTime until = entry.info.received.addSecs(m_config.intValue(kMaxAge));
    const std::optional<queue::LocalMessage> msg =
        delivery::composeBounce(entry, rcpts, delay, hostname(), until, &error);
    if (!msg) {
        if (!error.isEmpty()) {
            systemLog(QStringLiteral("bounce_failed"), QStringLiteral("%1: %2").arg(entry.info.queueId, error),
                      QStringLiteral("error"));
            done(false);
            return;
        }
        done(true); // no DSN wanted (NOTIFY)
        return;
    }
    // IIS's "Send copy of non-delivery report to": the admin gets the same
    // report as a second envelope recipient (delay warnings are not copied).
    queue::LocalMessage withCopy = *msg;
    const QByteArray copyTo = m_config.stringValue(kNdrCopyTo).toUtf8();
    if (!delay && !copyTo.isEmpty() && !withCopy.recipients.contains(copyTo)) {
        withCopy.recipients << copyTo;
        if (!withCopy.rcptParams.isEmpty())
            withCopy.rcptParams << QByteArray();
    }
    queue::QueueEntry bounceEntry;
    QString tmp;
    if (!queue::writeLocalMessage(m_queue->spoolDir(), withCopy, &bounceEntry, &tmp, &error)) {
        systemLog(QStringLiteral("bounce_failed"), QStringLiteral("%1: %2").arg(entry.info.queueId, error),
                  QStringLiteral("error"));
        done(false);
        return;
    }
    const QString original = entry.info.queueId;
    m_queue->commit(bounceEntry, tmp, [this, bounceEntry, original, delay, done](bool ok, QString err) {
        log::LogEvent e;
        e.kind = log::LogKind::Delivery;
        e.direction = QStringLiteral("out");
        e.queueId = original;
        e.sender = QString();
        QStringList to;
        for (const queue::RecipientInfo &r : bounceEntry.info.recipients)
            to << QString::fromUtf8(r.address);
        e.recipients = to.join(QLatin1Char(','));
        e.result = ok ? (delay ? QStringLiteral("delay_warning") : QStringLiteral("bounce_queued"))
                      : QStringLiteral("error");
        e.level = ok ? QStringLiteral("info") : QStringLiteral("error");
        e.message = ok ? QStringLiteral("%1 queued as %2")
                             .arg(delay ? QStringLiteral("delay warning") : QStringLiteral("bounce"),
                                  bounceEntry.info.queueId)
                       : err;
        log(e);
        if (ok)
            messageQueued(bounceEntry, QStringLiteral("local"), QString());
        if (ok && m_delivery)
            m_delivery->enqueue(bounceEntry);
        done(ok);
    });
}

} // namespace rd::engine

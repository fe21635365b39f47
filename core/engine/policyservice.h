#pragma once
// The engine's abuse controls in one place: rate limits and outbound
// throttles (policy/ratelimiter.h), DNSBL lookups (policy/dnsbl.h),
// greylisting (policy/greylist.h) and content rules (policy/contentfilter.h),
// answering the questions InboundHost asks (net/inboundhost.h) and the
// delivery agent's throttle. Decides who is exempt:
//  - rate limits apply to everyone (that is their point for printers and apps);
//  - DNSBL and greylisting never apply to clients with the relay right or to
//    authenticated users;
//  - content rules apply to all mail.
// Order at RCPT: DNSBL (554), recipient rules (550), greylisting (450), then
// the recipient is counted (451 when over a limit). At MAIL: sender rules
// (550), then the message is counted (451).
// Thread: engine thread. Counters and greylist triplets are written to
// config.db (small WAL transactions, no fsync) every minute and at stop.

#include "config/configsnapshot.h"
#include "net/inboundhost.h"
#include "policy/banlist.h"
#include "policy/connectioncontrol.h"
#include "policy/policystatus.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <memory>

namespace rd::dns {
class Resolver;
}
namespace rd::policy {
class ContentFilter;
class DnsblChecker;
class Greylist;
class BanStore;
class RateLimiter;
struct DnsblResult;
}

namespace rd::engine {

class PolicyService : public QObject {
    Q_OBJECT
public:
    // Opens nothing yet; load() reads the persisted state.
    PolicyService(QString dataDir, QObject *parent = nullptr);
    ~PolicyService() override;

    // Restores rate counters and greylist triplets from config.db; returns
    // problems as sentences (the engine logs them; the service still runs).
    QStringList load();
    // Writes rate counters and greylist changes to config.db (also every minute).
    QStringList persist();

    // New rules and settings, without a restart; counters of rules that stay survive.
    void configure(const config::ConfigSnapshot &config);
    // The resolver for DNSBL lookups (recreated when the DNS settings change);
    // lookups in flight finish as "not checked".
    void setResolver(dns::Resolver *resolver);

    // ---- inbound (InboundHost) ----
    bool envelopeChecksEnabled() const;
    bool contentChecksEnabled() const;
    smtp::PolicyVerdict admit(const QString &clientIp, const QString &sessionId, bool relayAllowed);
    void ended(const QString &clientIp, const QString &sessionId);
    void check(const net::PolicyRequest &request, QObject *context,
               std::function<void(const smtp::PolicyVerdict &)> done);
    void checkContent(const net::ContentRequest &request, QObject *context,
                      std::function<void(const net::ContentDecision &)> done);

    // ---- outbound (delivery throttle) ----
    // May a message start now on `connector` to `domain`? Counts it if so;
    // else *retryAtMs is when to ask again.
    bool mayStartMessage(const QString &connector, const QString &domain, qint64 *retryAtMs);
    bool mayOpenConnection(const QString &connector, const QString &domain);
    void connectionClosed(const QString &connector, const QString &domain);
    bool throttlesOutbound() const { return m_outboundRules; }

    policy::PolicyStatus status() const;

    // ---- connection control and automatic bans (policy/connectioncontrol.h, banlist.h) ----
    // A failure by a client (a 535, a refused recipient, a protocol error);
    // reaching a threshold bans the address (logged as a note, saved).
    void recordFailure(const QString &clientIp, policy::FailureKind kind);
    QList<policy::Ban> bans() const;
    // Lifts a ban by its key ("192.0.2.7" or "2001:db8::/64"); false if none.
    bool unban(const QString &key);

signals:
    // A decision worth a log row of its own (a DNSBL error, a held message); the
    // engine writes it. Refusals are logged with the session's rejection rows.
    void note(const QString &event, const QString &message, const QString &level);

private:
    struct SessionState;
    void finishDnsbl(const QString &sessionId, const policy::DnsblResult &result);
    void checkRecipient(const net::PolicyRequest &request, std::function<void(const smtp::PolicyVerdict &)> done);
    smtp::PolicyVerdict afterDnsbl(const net::PolicyRequest &request);

    void saveBans();

    QString m_dataDir;
    policy::ConnectionControl m_connectionRules;
    policy::BanList m_bans;
    policy::BanStore *m_banStore = nullptr; // child; config.db `bans`, written on a worker
    bool m_bansOn = true;
    std::unique_ptr<policy::RateLimiter> m_limiter;
    std::unique_ptr<policy::Greylist> m_greylist;
    std::shared_ptr<const policy::ContentFilter> m_content;
    policy::DnsblChecker *m_dnsbl = nullptr; // child
    QPointer<dns::Resolver> m_resolver;
    QHash<QString, std::shared_ptr<SessionState>> m_sessions; // session id -> counted, DNSBL lookup
    QTimer m_persistTimer;
    bool m_dnsblOn = false;
    bool m_greylistOn = false;
    bool m_inboundRules = false;
    bool m_outboundRules = false;
    bool m_envelopeRules = false;
    bool m_envelopeActions = false; // sender/recipient rules that hold or add a header
};

} // namespace rd::engine

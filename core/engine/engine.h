#pragma once
// The relay engine: listeners, sessions, the queue, delivery and logging,
// composed once. Constructed by the composition root, moved to its own
// thread, started there with start(). Everything inside runs on that thread
// (the queue and log writers have their own). The GUI reaches it only
// through EngineFacade.

#include "config/configsnapshot.h"
#include "dnscheck/dnscheckreport.h"
#include "alerts/alert.h"
#include "engine/enginestatus.h"
#include "engine/trafficsnapshot.h"
#include "acme/acmeorder.h"
#include "policy/banlist.h"
#include "policy/policystatus.h"
#include "net/inboundhost.h"

#include <QDate>
#include <QHash>
#include <QObject>
#include <QThread>
#include <QUrl>
#include <QTimer>
#include <QVector>

#include <functional>
#include <memory>

namespace rd::log {
class LogStore;
}
namespace rd::queue {
class QueueStore;
struct QueueEntry;
}
namespace rd::dns {
class CaresResolver;
}
namespace rd::net {
class Listener;
}
namespace rd::mailauth {
class InboundChecker;
}
namespace rd::delivery {
class DkimSigner;
class DeliveryAgent;
struct DeliverySettings;
struct BounceRecipient;
struct MxAnswer;
struct TlsCheck;
}
namespace rd::auth {
class Authenticator;
struct AuthResult;
}
namespace rd::directory {
struct DirectoryConfig;
class DirectoryService;
struct DirectoryTestReport;
struct DirectorySignInReport;
struct DirectoryGroupList;
}
namespace rd::tls {
class CertificateStore;
class CertificateWatcher;
struct CertificateInfo;
}
namespace rd::oauth {
class TokenManager;
}
namespace rd::mtasts {
class StsResolver;
}
namespace rd::tlsrpt {
class HttpsReportSender;
class TlsResultWriter;
struct ResultRow;
}
namespace rd::pickup {
class PickupService;
}
namespace rd::cluster {
struct ClusterOptions;
class ClusterNode;
struct ClusterOverview;
}
namespace rd::alerts {
class AlertMonitor;
class AlertStore;
struct Alert;
}

namespace rd::engine {

class AcmeService;
class PolicyService;
class TrafficStats;

class Engine : public QObject, public net::InboundHost {
    Q_OBJECT
public:
    // Cheap: stores the settings. Nothing is opened until start().
    // echoLogs: also print every log row as a key=value line on stderr.
    Engine(QString dataDir, config::ConfigSnapshot config, bool echoLogs);
    // The folder of the certificate store inside a data folder.
    static QString certificateFolder(const QString &dataDir);
    // Who changes the configuration through this engine (the OS account), as
    // the cluster's change history records it.
    static QString configActor();
    ~Engine() override;

    // InboundHost (engine thread)
    QString hostname() const override;
    QString spoolDir() const override;
    queue::SpoolRecycler *spoolRecycler() const override { return m_queue ? m_queue->recycler() : nullptr; }
    void commitMessage(const queue::QueueEntry &entry, const QString &tmpPath,
                       std::function<void(bool, QString)> done) override;
    void log(log::LogEvent event) override;
    void messageQueued(const queue::QueueEntry &entry, const QString &listener, const QString &tls) override;
    void sessionOpened() override;
    void sessionClosed() override;
    void messageRejected() override;
    void authenticate(const QByteArray &user, const QByteArray &password, const QString &clientIp,
                      const QString &sessionId, const QString &listener,
                      std::function<void(smtp::AuthOutcome, int)> done) override;
    std::unique_ptr<auth::GssapiExchange> createGssapiExchange() override;
    void authenticatePrincipal(const QString &principal, const QString &authzid, const QString &clientIp,
                               const QString &sessionId, const QString &listener,
                               std::function<void(smtp::AuthOutcome, int)> done) override;
    void lookupClientName(const QString &clientIp, QObject *context, std::function<void(QString)> done) override;
    bool inboundChecksEnabled() const override;
    void checkInbound(const QString &clientIp, const QString &helo, const QString &mailFrom, const QString &spoolPath,
                      qint64 bodyOffset, std::function<void(const QByteArray &, const QString &)> done) override;
    // Abuse control (enginepolicy.cpp)
    smtp::PolicyVerdict admitConnection(const QString &clientIp, const QString &sessionId, bool relayAllowed) override;
    void connectionEnded(const QString &clientIp, const QString &sessionId) override;
    void clientRefused(const QString &clientIp, int replyCode, const QByteArray &command) override;
    bool policyChecksEnabled() const override;
    void checkPolicy(const net::PolicyRequest &request, QObject *context,
                     std::function<void(const smtp::PolicyVerdict &)> done) override;
    bool contentChecksEnabled() const override;
    void checkContent(const net::ContentRequest &request, QObject *context,
                      std::function<void(const net::ContentDecision &)> done) override;
    bool transcriptsEnabled() const override;
    void logTranscript(const QString &sessionId, const QDateTime &start, const QString &lines) override;

public slots:
    // Opens the queue (recovering after a crash), starts delivery and binds
    // every listener. A listener that cannot bind is reported in the status
    // and the log; the others run. Fatal problems (queue database unusable)
    // emit fatalError().
    void start();
    // Cluster mode (core/cluster): call before start(). The engine runs on its
    // local copy of the configuration and keeps it in step with the shared
    // store on a thread of its own (enginecluster.cpp).
    void setCluster(const rd::cluster::ClusterOptions &options);
    // Stops accepting (421 to open sessions), stops delivery and flushes the
    // queue and log writers. Call with Qt::BlockingQueuedConnection before
    // ending the thread.
    void stop();

    // Validates, saves to config.db and applies a new configuration without a
    // restart: delivery settings at once; listeners are rebuilt (old ones stop
    // accepting and let their sessions finish). Answers with configApplied().
    void applyConfig(const rd::config::ConfigSnapshot &config);
    // Answers with configLoaded() (the configuration in force).
    void requestConfig();
    // Re-reads the DKIM signing keys from config.db (after the admin added,
    // removed, enabled or disabled one). Messages already signed keep their
    // signature only within this run.
    void reloadDkimKeys();
    // A certificate was linked (or removed) by the admin: the watcher picks
    // up the linked files (enginecerts.cpp).
    void reloadCertificates();
    // ACME (engine/acmeservice.h): an order for `names` with "http-01" or
    // "dns-01"; progress as acmeProgress(), DNS-01 records as
    // acmeDnsRecords() (then confirmAcmeDns()), the end as acmeFinished().
    void orderAcmeCertificate(const QStringList &names, const QString &challenge, bool termsAgreed);
    void confirmAcmeDns();
    void cancelAcme();
    // Runs the DNS checks of `domain` (dnscheck/dnschecker.h), stores the
    // report in log.db and answers with dnsCheckFinished(). One run per
    // domain at a time (a second request while one runs is ignored).
    void runDnsCheck(const QString &domain);
    // Delegated OAuth sign-in for connector c (engineoauth.cpp): emits
    // oauthSignInUrl() once listening, then oauthSignInFinished(); on success
    // the refresh token is stored for c.name and handed to the token manager.
    void signInOAuth(const rd::config::SendConnectorConfig &c);
    void cancelOAuthSignIn(const QString &name);
    // Answers with policyStatus(): rate-limit counters, greylisting, DNSBL cache.
    void requestPolicyStatus();
    // Answers with bansListed() (the active automatic and manual bans).
    void requestBans();
    // Answers with clusterOverview(): the node registry and the change history
    // (read on the cluster thread), or clustered=false for a standalone relay.
    void requestClusterOverview();
    // Lifts a ban (by its address or /64 key); answers with bansListed().
    void unban(const QString &key);

    void retryNow(const QStringList &ids);
    void hold(const QStringList &ids);
    void release(const QStringList &ids);
    void remove(const QStringList &ids);
    // Deletes and sends the sender a bounce for the undelivered recipients.
    void removeWithBounce(const QStringList &ids);
    // Returns the messages to their senders now (a bounce), then deletes them.
    void bounce(const QStringList &ids);

signals:
    void statusChanged(const rd::engine::EngineStatus &status);
    void queueChanged();
    void logAppended(qint64 lastId);
    void actionFinished(const QString &action, bool ok, const QString &message);
    void fatalError(const QString &message);
    void configLoaded(const rd::config::ConfigSnapshot &config);
    // ok: saved and every listener bound; errors: validation or bind errors.
    void configApplied(bool ok, const QStringList &errors);
    // Emitted once every listener has been tried at start.
    void started(bool allListening);
    void dnsCheckProgress(const QString &domain, const QString &step, int done, int total);
    void dnsCheckFinished(const rd::dnscheck::Report &report);
    void oauthSignInUrl(const QString &name, const QUrl &url);
    void oauthSignInFinished(const QString &name, bool ok, const QString &message);
    void policyStatus(const rd::policy::PolicyStatus &status);
    void bansListed(const QList<rd::policy::Ban> &bans);
    void clusterOverview(const rd::cluster::ClusterOverview &overview);
    void acmeProgress(const QString &text);
    void acmeDnsRecords(const QList<rd::acme::DnsChallengeRecord> &records);
    void acmeFinished(bool ok, const QString &message, const QString &certificateId);
    // Every few seconds: per-minute traffic, top lists, TLS share (enginealerts.cpp).
    void trafficUpdated(const rd::engine::TrafficSnapshot &snapshot);
    // The open alerts, after every change (and once at start).
    void alertsChanged(const QList<rd::alerts::Alert> &open);

private:
    void publishStatus();
    // The token endpoint rotated a connector's refresh token: keep it (config.db, m_config).
    void storeRefreshToken(const QString &connector, const QString &token);
    // Binds the configured listeners. Listeners of `previous` on an endpoint that
    // is still configured are kept (their socket stays open) and take the new
    // settings; the others retire.
    bool startListeners(QList<net::Listener *> previous = {});
    delivery::DeliverySettings deliverySettings() const;
    void startResolver();
    // (Re)creates the inbound checker on the current resolver.
    void startMailAuth();
    // Creates the abuse controls and restores their state (enginepolicy.cpp).
    void startPolicy();
    // Traffic statistics and alerts (enginealerts.cpp).
    void startAlerts();
    void evaluateAlerts();
    void observe(const log::LogEvent &event);
    void mailAlert(const alerts::Alert &alert);
    // DeliveryAgent::HeaderFn: the DKIM-Signature fields for a message.
    QByteArray dkimHeaders(const queue::QueueEntry &entry);
    // Warns (log and status) about certificates that expire within 30 days
    // (error level within 7 days or expired); runs at start and twice a day.
    void checkCertificates();
    // Linked certificate files (certbot, lego, win-acme): new sessions get the
    // renewed certificate; a broken file keeps the old one and raises an alert.
    void startCertificateWatcher();
    void certificateReloaded(const QString &id, const tls::CertificateInfo &info);
    void certificateReloadFailed(const QString &id, const QString &error);
    void startAcme();
    // Directory sign-in (enginedirectory.cpp).
    void startDirectory();
    void startGssapi(const directory::DirectoryConfig &dc);
public:
    // Directory admin tools (engine thread; EngineFacade calls these). `config`
    // supplies the directory.* settings; stored secrets fill empty ones.
    void testDirectory(const config::ConfigSnapshot &config,
                       std::function<void(const directory::DirectoryTestReport &)> done);
    void testDirectorySignIn(const config::ConfigSnapshot &config, const QString &login, const QByteArray &password,
                             std::function<void(const directory::DirectorySignInReport &)> done);
    void searchDirectoryGroups(const config::ConfigSnapshot &config, const QString &term,
                               std::function<void(const directory::DirectoryGroupList &)> done);
private:
    // A directory user's relay right and sender check on `listener`; returns
    // the text added to the log line ("; may relay (member of ...)").
    QString applyDirectoryRights(const auth::AuthResult &r, const QString &listener, smtp::AuthOutcome *o) const;
    // An ACME renewal replaced oldId: listeners that used it get newId (saved, applied).
    void certificateRenewed(const QString &oldId, const QString &newId);
    QString routeSummary() const;
    // BounceFn for the DeliveryAgent: composes the DSN and queues it durably.
    void queueBounce(const queue::QueueEntry &entry, const QList<delivery::BounceRecipient> &rcpts, bool delay,
                     std::function<void(bool)> done);
    void adminAction(const QString &action, const QString &message, const QStringList &ids);
    void scheduleStatus();
    // MTA-STS, DANE and TLS-RPT for delivery by MX (enginemxtls.cpp).
    void startMxTls();
    void lookupMx(const QString &domain, std::function<void(delivery::MxAnswer)> done);
    void tlsChecked(const delivery::TlsCheck &check);
    // TLS-RPT daily reports (enginetlsrpt.cpp).
    void startTlsReports();
    void sendTlsReports();
    void reportTlsDomain(const QDate &day, const QString &domain, const QList<tlsrpt::ResultRow> &rows);
    // Deletes the https: report sender (on the engine thread); its pending reports stay in the outbox.
    void stopTlsReportSender(const QString &why);
    // Pickup and Badmail folders (enginepickup.cpp).
    QString badmailDirectory() const;
    void startPickup();
    void stopPickup();
    void purgeBadmail();
    void storeBadmail(const queue::QueueEntry &entry, const QString &reason);
    void systemLog(const QString &event, const QString &message, const QString &level = QStringLiteral("info"));
    // Applies m_config (already stored) to every part of the running engine;
    // `previous` is the configuration it replaces.
    bool activateConfig(const config::ConfigSnapshot &previous);
    void startCluster();
    void stopCluster();
    void applyClusterConfig(qint64 revision, const QString &changedBy, const QStringList &tables);
    std::unique_ptr<rd::cluster::ClusterOptions> m_clusterOptions;
    rd::cluster::ClusterNode *m_cluster = nullptr;
    QThread *m_clusterThread = nullptr;

    QString m_dataDir;
    config::ConfigSnapshot m_config;
    bool m_echo;
    log::LogStore *m_log = nullptr;
    queue::QueueStore *m_queue = nullptr;
    delivery::DeliveryAgent *m_delivery = nullptr;
    auth::Authenticator *m_auth = nullptr;
    dns::CaresResolver *m_resolver = nullptr;
    oauth::TokenManager *m_tokens = nullptr; // child; access tokens of OAuth connectors
    directory::DirectoryService *m_directory = nullptr; // child; LDAP/AD sign-in
    bool m_gssapiReady = false; // gssapi.keytab usable and a directory to map principals
    PolicyService *m_policy = nullptr;       // child; rate limits, DNSBL, greylisting, content rules
    std::unique_ptr<TrafficStats> m_traffic;
    alerts::AlertMonitor *m_alerts = nullptr; // child
    std::unique_ptr<alerts::AlertStore> m_alertStore;
    QTimer *m_alertTimer = nullptr;
    mailauth::InboundChecker *m_checker = nullptr;
    std::unique_ptr<delivery::DkimSigner> m_dkim;
    QStringList m_dnsChecksRunning;
    QHash<QString, QObject *> m_signIns; // connector name -> running DelegatedSignIn (child)
    std::unique_ptr<tls::CertificateStore> m_certs;
    tls::CertificateWatcher *m_certWatcher = nullptr; // child; linked certificate files
    AcmeService *m_acme = nullptr;                    // child; ACME orders and renewals
    QHash<QString, QString> m_certReloadErrors;        // certificate id -> why its new file is unusable
    QVector<net::Listener *> m_listeners;
    QTimer *m_statusTimer = nullptr;
    QTimer *m_queueTimer = nullptr;
    QTimer *m_certTimer = nullptr;
    mtasts::StsResolver *m_sts = nullptr;      // child; null when mtasts.enabled is off
    std::unique_ptr<tlsrpt::TlsResultWriter> m_tlsResults; // when tlsrpt.enabled
    QTimer *m_tlsrptTimer = nullptr;
    bool m_tlsrptRunning = false;
    tlsrpt::HttpsReportSender *m_tlsrptHttps = nullptr; // child; https: reports and their retries (tlsrpt.enabled)
    pickup::PickupService *m_pickup = nullptr; // child; null when pickup.directory is empty
    QTimer *m_dailyTimer = nullptr;             // badmail retention
    EngineStatus m_status;
    int m_sessions = 0;
};

} // namespace rd::engine

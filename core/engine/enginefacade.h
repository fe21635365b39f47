#pragma once
// The one thread-safe door between the GUI and the engine.
// Lives in the GUI thread. Every call returns at once: requests are queued to
// the engine thread, answers come back as signals (queued, so slots run in the
// GUI thread). The GUI never touches Engine directly.

#include "cluster/clusteroverview.h"
#include "config/configsnapshot.h"
#include "delivery/connectorprobe.h"
#include "directory/directoryservice.h"
#include "dnscheck/dnscheckreport.h"
#include "alerts/alert.h"
#include "engine/enginestatus.h"
#include "engine/trafficsnapshot.h"
#include "acme/acmeorder.h"
#include "pickup/badmail.h"
#include "policy/banlist.h"
#include "policy/policystatus.h"

#include <QObject>
#include <QUrl>
#include <QString>
#include <QStringList>

namespace rd::engine {

class Engine;
class AdminService;

class EngineFacade : public QObject {
    Q_OBJECT
public:
    // engine: owned by the composition root, lives in its own thread and must
    // outlive this facade. May be null (a GUI with no local engine): then every
    // request fails with actionFinished(..., false, "no engine").
    explicit EngineFacade(Engine *engine, const QString &dataDir, QObject *parent = nullptr);

    // Last status published by the engine (a copy; GUI thread).
    EngineStatus status() const { return m_status; }
    // The instance's data folder (readers open their databases there).
    QString dataDir() const { return m_dataDir; }
    // Users and certificates: slow work on a worker thread, results as its
    // signals (in the GUI thread). Owned by the facade; never null.
    AdminService *admin() const { return m_admin; }

public slots:
    // Queue actions on the given queue ids; each ends with actionFinished().
    void retryNow(const QStringList &queueIds);
    void hold(const QStringList &queueIds);
    void release(const QStringList &queueIds);
    // Deletes; with withBounce the senders get a bounce for what was not delivered.
    void remove(const QStringList &queueIds, bool withBounce = false);
    // Returns the messages to their senders (a bounce) and deletes them.
    void bounce(const QStringList &queueIds);

    // Configuration: configLoaded() answers requestConfig(); applyConfig()
    // validates, saves and applies without a restart, then configApplied().
    void requestConfig();
    void applyConfig(const rd::config::ConfigSnapshot &config);

    // "Test connection": connects to the connector's first smart host (for an
    // MX route, pass a copy whose smartHosts holds the server to test), does
    // EHLO, STARTTLS and AUTH as configured, sends no mail, and answers with
    // connectorTested(c.name, report). Runs in the engine thread; bounded by
    // the connector's timeouts. The password is used, never reported or logged.
    void testConnector(const rd::config::SendConnectorConfig &c);

    // DNS checks of a sending domain (SPF, DKIM, DMARC, MX, PTR, DNSBL) with
    // the relay's public addresses (dnschecks.public_addresses), its DKIM keys
    // and DNSBL zones (dnsbl.zones). Runs in the engine thread; progress as
    // dnsCheckProgress(), then dnsCheckFinished() with the report, already
    // stored in log.db (dnscheck/dnscheckhistory.h reads the history).
    void runDnsCheck(const QString &domain);

    // Delegated OAuth sign-in (authorization code + PKCE) for a send connector
    // as edited (flow authorization_code): the engine listens on a loopback
    // port and answers oauthSignInUrl(name, url) for the GUI to open in the
    // system browser; when the browser returns, the code is exchanged and the
    // refresh token stored (oauth_tokens of config.db, never shown), then
    // oauthSignInFinished(name, ok, message). Implemented in engineoauth.cpp.
    void signInOAuth(const rd::config::SendConnectorConfig &c);
    void cancelOAuthSignIn(const QString &name);
    // What the rate limits, greylisting and DNSBL cache hold right now (the
    // busiest counters first); answered with policyStatusReady().
    void requestPolicyStatus();
    // The active bans (automatic and manual), answered with bansReady();
    // unban() lifts one (by address or /64 key) and answers with bansReady().
    void requestBans();
    void unban(const QString &key);
    // Cluster mode: the node registry and the configuration history from the
    // shared store, answered with clusterOverviewReady() (clustered=false when
    // this relay runs standalone).
    void requestClusterOverview();
    // The Badmail folder's .bad files with their reasons (newest first), read
    // on a pool thread; answered with badmailListed().
    void requestBadmailList(const QString &directory);
    // ACME: orders a certificate for `names` ("http-01" or "dns-01") with the
    // acme.* settings; acmeProgress() lines, acmeDnsRecords() for DNS-01
    // (publish them, then confirmAcmeDns()), then acmeFinished().
    void orderAcmeCertificate(const QStringList &names, const QString &challenge, bool termsAgreed);
    void confirmAcmeDns();
    void cancelAcme();
    // Directory (the Users panel's Directory section), run with the directory.*
    // settings of `config` (the values being edited; an empty bind password
    // means the stored one). Nothing is saved or cached. Answered by
    // directoryTested(), directorySignInTested(), directoryGroupsFound().
    void testDirectory(const rd::config::ConfigSnapshot &config);
    void testDirectorySignIn(const rd::config::ConfigSnapshot &config, const QString &login, const QByteArray &password);
    void searchDirectoryGroups(const rd::config::ConfigSnapshot &config, const QString &term);

signals:
    void statusChanged(const rd::engine::EngineStatus &status);
    // The queue index changed (coalesced, at most a few times a second).
    void queueChanged();
    // New log rows were committed; lastId is the highest id now in log.db.
    void logAppended(qint64 lastId);
    // Result of a queue action.
    void actionFinished(const QString &action, bool ok, const QString &message);
    void configLoaded(const rd::config::ConfigSnapshot &config);
    void configApplied(bool ok, const QStringList &errors);
    // Answer to testConnector(); name is the tested connector's name.
    void connectorTested(const QString &name, const rd::delivery::ProbeReport &report);
    void dnsCheckProgress(const QString &domain, const QString &step, int done, int total);
    void dnsCheckFinished(const rd::dnscheck::Report &report);
    void oauthSignInUrl(const QString &name, const QUrl &url);
    void oauthSignInFinished(const QString &name, bool ok, const QString &message);
    void policyStatusReady(const rd::policy::PolicyStatus &status);
    void bansReady(const QList<rd::policy::Ban> &bans);
    void clusterOverviewReady(const rd::cluster::ClusterOverview &overview);
    void badmailListed(const QList<rd::pickup::BadmailItem> &items);
    void acmeProgress(const QString &text);
    void acmeDnsRecords(const QList<rd::acme::DnsChallengeRecord> &records);
    void acmeFinished(bool ok, const QString &message, const QString &certificateId);
    void directoryTested(const rd::directory::DirectoryTestReport &report);
    void directorySignInTested(const rd::directory::DirectorySignInReport &report);
    void directoryGroupsFound(const rd::directory::DirectoryGroupList &groups);
    // Traffic charts and top lists, every few seconds; the open alerts after each change.
    void trafficUpdated(const rd::engine::TrafficSnapshot &snapshot);
    void alertsChanged(const QList<rd::alerts::Alert> &open);

private:
    void onStatus(const rd::engine::EngineStatus &status);
    void invokeAction(const char *method, const QString &action, const QStringList &ids);

    Engine *m_engine;
    QString m_dataDir;
    EngineStatus m_status;
    AdminService *m_admin;
};

} // namespace rd::engine

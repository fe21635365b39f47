#include "engine/engine.h"

#include "cluster/clusternode.h"
#include "engine/policyservice.h"
#include "engine/acmeservice.h"
#include "alerts/alertmonitor.h"
#include "alerts/alertstore.h"
#include "engine/trafficstats.h"

#include "oauth/tokenmanager.h"

#include "auth/authenticator.h"
#include "directory/directoryservice.h"
#include "delivery/deliveryagent.h"
#include "delivery/dkimsigning.h"
#include "delivery/mxresolve.h"
#include "dns/caresresolver.h"
#include "dnscheck/dnschecker.h"
#include "mailauth/inboundcheck.h"
#include "tls/certificatestore.h"
#include "tls/certificatewatcher.h"
#include "tlsrpt/resultwriter.h"
#include "mtasts/stsresolver.h"
#include "log/logstore.h"
#include "net/listener.h"
#include "queue/queuereader.h"
#include "queue/queuestore.h"
#include "config/configstore.h"
#include "util/fsutil.h"

#include <QDir>

namespace rd::engine {

using namespace rd::config::keys;

Engine::Engine(QString dataDir, config::ConfigSnapshot config, bool echoLogs)
    : m_dataDir(std::move(dataDir)), m_config(std::move(config)), m_echo(echoLogs)
{
    qRegisterMetaType<rd::engine::EngineStatus>();
    qRegisterMetaType<rd::log::LogEvent>();
    qRegisterMetaType<rd::config::ConfigSnapshot>();
    qRegisterMetaType<rd::dnscheck::Report>();
    qRegisterMetaType<rd::directory::DirectoryTestReport>();
    qRegisterMetaType<rd::directory::DirectorySignInReport>();
    qRegisterMetaType<rd::directory::DirectoryGroupList>();
}

Engine::~Engine() = default;

QString Engine::certificateFolder(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("tls"));
}

void Engine::authenticate(const QByteArray &user, const QByteArray &password, const QString &clientIp,
                          const QString &sessionId, const QString &listener,
                          std::function<void(smtp::AuthOutcome, int)> done)
{
    if (!m_auth) {
        done(smtp::AuthOutcome::of(smtp::AuthOutcome::Temporary), 0);
        return;
    }
    const QString name = QString::fromUtf8(user);
    m_auth->verify(name, password, clientIp, [this, name, clientIp, sessionId, listener, done](auth::AuthResult r) {
        smtp::AuthOutcome o;
        switch (r.outcome) {
        case auth::AuthResult::Success:
            o.kind = smtp::AuthOutcome::Success;
            o.mayRelay = r.mayRelay;
            if (r.directory)
                r.logReason += applyDirectoryRights(r, listener, &o);
            break;
        case auth::AuthResult::BadCredentials:
        case auth::AuthResult::Disabled:
            o.kind = smtp::AuthOutcome::Failure;
            break;
        case auth::AuthResult::Throttled:
            o.kind = smtp::AuthOutcome::Disconnect;
            break;
        case auth::AuthResult::TemporaryFailure:
            o.kind = smtp::AuthOutcome::Temporary;
            break;
        }
        if (r.disconnect && o.kind != smtp::AuthOutcome::Success)
            o.kind = smtp::AuthOutcome::Disconnect;
        log::LogEvent e;
        e.kind = log::LogKind::Session;
        e.level = o.kind == smtp::AuthOutcome::Success ? QStringLiteral("info") : QStringLiteral("warning");
        e.direction = QStringLiteral("in");
        e.sessionId = sessionId;
        e.clientIp = clientIp;
        e.user = r.userName.isEmpty() ? name : r.userName;
        e.result = o.kind == smtp::AuthOutcome::Success ? QStringLiteral("auth_ok") : QStringLiteral("auth_failed");
        e.replyCode = o.kind == smtp::AuthOutcome::Success ? 235
                      : o.kind == smtp::AuthOutcome::Temporary ? 454
                      : o.kind == smtp::AuthOutcome::Disconnect ? 421
                                                                : 535;
        e.rule = QStringLiteral("auth");
        e.message = r.logReason; // never the password
        log(e);
        done(o, r.delayMs);
    });
}

QString Engine::hostname() const
{
    return m_config.stringValue(kHostname);
}

QString Engine::spoolDir() const
{
    return m_queue ? m_queue->spoolDir() : QString();
}

void Engine::systemLog(const QString &event, const QString &message, const QString &level)
{
    log::LogEvent e;
    e.kind = log::LogKind::System;
    e.level = level;
    e.result = event;
    e.message = message;
    log(e);
}

void Engine::log(log::LogEvent event)
{
    observe(event);
    if (m_log)
        m_log->append(std::move(event));
}

void Engine::messageQueued(const queue::QueueEntry &entry, const QString &listener, const QString &tls)
{
    if (!m_log)
        return;
    log::MessageRecord r;
    r.queueId = entry.info.queueId;
    r.time = entry.info.received;
    r.messageId = entry.info.messageId;
    r.subject = queue::decodeEncodedWords(entry.info.subject.toUtf8());
    r.sender = QString::fromUtf8(entry.info.sender);
    QStringList rcpts;
    for (const queue::RecipientInfo &ri : entry.info.recipients)
        rcpts << QString::fromUtf8(ri.address);
    r.recipients = rcpts.join(QLatin1Char(','));
    r.clientIp = entry.info.clientIp;
    r.listener = listener;
    r.tls = tls;
    r.size = entry.info.size;
    r.origin = entry.origin;
    m_log->appendMessage(std::move(r));
}

void Engine::start()
{
    m_status.state = EngineStatus::State::Starting;
    // The timers live as long as the engine: queued signals from the writer threads can
    // still arrive after stop() (a commit flushed during shutdown), and must find them.
    if (!m_statusTimer) {
        m_statusTimer = new QTimer(this);
        m_statusTimer->setSingleShot(true);
        connect(m_statusTimer, &QTimer::timeout, this, &Engine::publishStatus);
    }
    if (!m_queueTimer) {
        m_queueTimer = new QTimer(this);
        m_queueTimer->setSingleShot(true);
        connect(m_queueTimer, &QTimer::timeout, this, &Engine::queueChanged);
    }

    QString error;
    if (!util::ensurePrivateDir(m_dataDir, &error)) {
        m_status.state = EngineStatus::State::Error;
        m_status.errors << error;
        publishStatus();
        emit fatalError(error);
        return;
    }
    m_log = new log::LogStore(m_dataDir, m_echo, this);
    connect(m_log, &log::LogStore::appended, this, &Engine::logAppended);
    if (!m_log->errorString().isEmpty())
        m_status.errors << m_log->errorString();

    m_queue = new queue::QueueStore(m_dataDir, this);
    QVector<queue::QueueEntry> entries;
    QStringList notes;
    if (!m_queue->open(&entries, &notes, &error)) {
        systemLog(QStringLiteral("fatal"), error, QStringLiteral("error"));
        m_status.state = EngineStatus::State::Error;
        m_status.errors << error;
        publishStatus();
        emit fatalError(error);
        return;
    }
    connect(m_queue, &queue::QueueStore::changed, this, [this] {
        if (m_status.state != EngineStatus::State::Stopped && !m_queueTimer->isActive())
            m_queueTimer->start(250);
    });
    for (const QString &n : notes)
        systemLog(QStringLiteral("recovery"), n, QStringLiteral("warning"));
    systemLog(QStringLiteral("starting"),
              QStringLiteral("RelayDesk %1 data=%2 queued=%3")
                  .arg(QStringLiteral(RELAYDESK_VERSION), m_dataDir)
                  .arg(entries.size()));

    m_log->setRetention(int(m_config.intValue(kLogRetentionDays)), m_config.intValue(kLogMaxSize) * 1024 * 1024);
    startPolicy();
    startAlerts();
    startResolver();
    m_delivery = new delivery::DeliveryAgent(m_queue, [this](log::LogEvent e) { log(std::move(e)); }, this);
    connect(m_delivery, &delivery::DeliveryAgent::changed, this, &Engine::scheduleStatus);
    m_delivery->setMxLookup([this](const QString &domain, std::function<void(delivery::MxAnswer)> done) {
        lookupMx(domain, std::move(done));
    });
    connect(m_delivery, &delivery::DeliveryAgent::tlsChecked, this, &Engine::tlsChecked);
    m_delivery->setBounce([this](const queue::QueueEntry &e, const QList<delivery::BounceRecipient> &rcpts,
                                 bool delay, std::function<void(bool)> done) {
        queueBounce(e, rcpts, delay, std::move(done));
    });
    m_delivery->setHeaders([this](const queue::QueueEntry &e) { return dkimHeaders(e); });
    m_delivery->setBadmail([this](const queue::QueueEntry &e, const QString &reason) { storeBadmail(e, reason); });
    delivery::DeliveryAgent::Throttle throttle;
    throttle.mayStartMessage = [this](const QString &connector, const QString &domain, qint64 *retryAtMs) {
        return !m_policy || m_policy->mayStartMessage(connector, domain, retryAtMs);
    };
    throttle.mayOpenConnection = [this](const QString &connector, const QString &domain) {
        return !m_policy || m_policy->mayOpenConnection(connector, domain);
    };
    throttle.connectionClosed = [this](const QString &connector, const QString &domain) {
        if (m_policy)
            m_policy->connectionClosed(connector, domain);
    };
    m_delivery->setThrottle(std::move(throttle));
    if (!m_tokens) {
        m_tokens = new oauth::TokenManager(this);
        connect(m_tokens, &oauth::TokenManager::refreshTokenChanged, this,
                [this](const QString &connector, const QString &token) { storeRefreshToken(connector, token); });
    }
    m_delivery->setTokens(m_tokens);
    reloadDkimKeys();
    startMailAuth();
    m_delivery->configure(deliverySettings());
    m_delivery->load(entries);
    m_status.smartHost = routeSummary();

    m_auth = new auth::Authenticator(m_dataDir, this);
    connect(m_auth, &auth::Authenticator::storeWarning, this,
            [this](const QString &message) { systemLog(QStringLiteral("auth_store"), message, QStringLiteral("warning")); });
    startDirectory();
    m_certs = std::make_unique<tls::CertificateStore>(tls::CertificateStore::defaultFolder(m_dataDir));
    if (!m_certs->open(&error))
        systemLog(QStringLiteral("certificates"), error, QStringLiteral("error"));
    startCertificateWatcher();

    startAcme();
    const bool all = startListeners();
    startPickup();
    purgeBadmail();
    if (!m_dailyTimer) {
        m_dailyTimer = new QTimer(this);
        connect(m_dailyTimer, &QTimer::timeout, this, &Engine::purgeBadmail);
    }
    m_dailyTimer->start(24 * 3600 * 1000);
    checkCertificates();
    if (!m_certTimer) {
        m_certTimer = new QTimer(this);
        connect(m_certTimer, &QTimer::timeout, this, &Engine::checkCertificates);
    }
    m_certTimer->start(12 * 3600 * 1000);
    m_status.state = EngineStatus::State::Running;
    if (all) {
        systemLog(QStringLiteral("ready"),
                  QStringLiteral("listening on %1").arg(m_status.listening.join(QStringLiteral(", "))));
    } else {
        // Running, but not as configured: say so instead of "ready".
        systemLog(QStringLiteral("degraded"),
                  QStringLiteral("%1 of %2 listeners could not bind; listening on: %3")
                      .arg(m_config.listeners.size() - m_listeners.size())
                      .arg(m_config.listeners.size())
                      .arg(m_status.listening.isEmpty() ? QStringLiteral("nothing")
                                                        : m_status.listening.join(QStringLiteral(", "))),
                  QStringLiteral("error"));
    }
    publishStatus();
    startCluster();
    emit queueChanged();
    emit started(all);
}

bool Engine::startListeners(QList<net::Listener *> previous)
{
    QString why;
    bool all = true;
    for (const config::ListenerConfig &lc : m_config.listeners) {
        net::ListenerSettings ls;
        ls.config = lc;
        // A cluster node may bind the shared "any address" listeners to one address of its own.
        if (m_clusterOptions && !m_clusterOptions->listenAddress.isEmpty()
            && (lc.address == QLatin1String("0.0.0.0") || lc.address == QLatin1String("::")))
            ls.config.address = m_clusterOptions->listenAddress;
        ls.allow.parse(lc.relayAllow, &why);
        ls.deny.parse(lc.relayDeny, &why);
        ls.proxyFrom.parse(lc.proxyFrom, &why);
        ls.acceptedDomains = m_config.acceptedDomains;
        ls.limits.maxMessageSize = lc.maxMessageSize > 0 ? lc.maxMessageSize : m_config.intValue(kMaxMessageSize);
        ls.limits.maxRecipients = lc.maxRecipients > 0 ? lc.maxRecipients : int(m_config.intValue(kMaxRecipients));
        ls.limits.maxErrors = int(m_config.intValue(kMaxErrors));
        ls.limits.maxHops = int(m_config.intValue(kMaxHops));
        ls.idleTimeoutMs = int(m_config.intValue(kIdleTimeout) * 1000);
        ls.maxSessions = int(m_config.intValue(kMaxSessions));
        ls.maxSessionsPerIp = lc.maxSessionsPerIp > 0 ? lc.maxSessionsPerIp : int(m_config.intValue(kMaxSessionsPerIp));
        ls.maxSessionTimeMs = int(m_config.intValue(kMaxSessionTime) * 1000);
        ls.implicitTls = lc.mode == QLatin1String("implicit_tls");
        ls.requireTls = lc.mode != QLatin1String("plain");
        const bool submission = lc.role == QLatin1String("submission");
        ls.authRequired = submission;
        ls.plaintextAuthAllowed = lc.allowPlaintextAuth;
        auto *l = new net::Listener(ls, this, [this] { return m_sessions; }, this);
        QString tlsError;
        if (!lc.certificate.isEmpty()) {
            // A linked certificate whose file was renewed (or broke) since: the
            // watcher holds the last good one.
            if (m_certWatcher)
                ls.tls = m_certWatcher->configuration(lc.certificate);
            if (!ls.tls)
                ls.tls = m_certs->serverConfiguration(lc.certificate, &tlsError);
            if (!ls.tls) {
                // Never run a TLS listener without TLS: report and skip it.
                all = false;
                const QString msg = QStringLiteral("%1: certificate %2 unusable: %3")
                                        .arg(l->endpoint(), lc.certificate, tlsError);
                m_status.errors << msg;
                systemLog(QStringLiteral("listen_failed"), msg, QStringLiteral("error"));
                delete l;
                continue;
            }
        }
        ls.authAvailable = submission || ls.tls.has_value() || ls.plaintextAuthAllowed;
        ls.gssapiAvailable = ls.authAvailable && ls.tls.has_value() && m_gssapiReady;
        const QString endpoint = l->endpoint();
        delete l;
        // Still listening there: keep the socket, take the new settings.
        auto kept = std::find_if(previous.begin(), previous.end(),
                                 [&](net::Listener *p) { return p->endpoint() == endpoint; });
        if (kept != previous.end()) {
            (*kept)->reconfigure(ls);
            m_listeners.append(*kept);
            m_status.listening << endpoint;
            previous.erase(kept);
            continue;
        }
        l = new net::Listener(ls, this, [this] { return m_sessions; }, this);
        if (l->listen()) {
            m_listeners.append(l);
            m_status.listening << l->endpoint();
            systemLog(QStringLiteral("listening"), l->endpoint());
        } else {
            all = false;
            m_status.errors << l->errorString();
            systemLog(QStringLiteral("listen_failed"), l->errorString(), QStringLiteral("error"));
            delete l;
        }
    }
    // Endpoints no longer configured stop accepting; their open sessions finish undisturbed.
    for (net::Listener *l : std::as_const(previous))
        l->retire();
    return all;
}

void Engine::applyConfig(const rd::config::ConfigSnapshot &incoming)
{
    // Secrets the GUI's copy may not have (a refresh token stored by a sign-in
    // after the GUI loaded the configuration) are kept, as on import.
    rd::config::ConfigSnapshot config = incoming;
    rd::config::keepStoredSecrets(&config.sendConnectors, m_config.sendConnectors);
    rd::config::keepStoredSecretSettings(&config, m_config);
    QStringList errors = config.validate();
    if (!errors.isEmpty()) {
        emit configApplied(false, errors);
        return;
    }
    {
        config::ConfigStore store(m_dataDir);
        if (!store.isOpen() || !store.save(config)) {
            emit configApplied(false, {store.errorString()});
            return;
        }
    }
    const config::ConfigSnapshot previous = m_config;
    m_config = config;
    systemLog(QStringLiteral("config_applied"), QStringLiteral("configuration changed by the administrator"));
    if (m_cluster)
        QMetaObject::invokeMethod(m_cluster, "localChanged", Qt::QueuedConnection,
                                  Q_ARG(QString, configActor()), Q_ARG(QString, QString()));
    const bool all = activateConfig(previous);
    emit configApplied(all, m_status.errors);
}

bool Engine::activateConfig(const config::ConfigSnapshot &previous)
{
    const bool dnsChanged = previous.stringValue(kDnsServers) != m_config.stringValue(kDnsServers) ||
                            previous.boolValue(kDane) != m_config.boolValue(kDane) ||
                            previous.intValue(kDnsTimeout) != m_config.intValue(kDnsTimeout);
    if (dnsChanged && m_resolver)
        startResolver();
    else
        startMxTls();
    startMailAuth();
    startDirectory();
    if (m_policy)
        m_policy->configure(m_config);
    if (m_alerts)
        m_alerts->setThresholds(alerts::AlertThresholds::fromConfig(m_config));
    if (m_log)
        m_log->setRetention(int(m_config.intValue(kLogRetentionDays)), m_config.intValue(kLogMaxSize) * 1024 * 1024);
    if (m_delivery)
        m_delivery->configure(deliverySettings());
    m_status.smartHost = routeSummary();
    const QList<net::Listener *> running = m_listeners;
    m_listeners.clear();
    m_status.listening.clear();
    m_status.errors.clear();
    startAcme();
    startCertificateWatcher();
    const bool all = startListeners(running);
    startPickup();
    checkCertificates();
    publishStatus();
    return all;
}

void Engine::storeRefreshToken(const QString &connector, const QString &token)
{
    for (config::SendConnectorConfig &c : m_config.sendConnectors) {
        if (c.name == connector)
            c.oauthSecrets.refreshToken = token;
    }
    config::ConfigStore store(m_dataDir);
    QString error;
    if (!store.isOpen() || !store.saveRefreshToken(connector, token, &error))
        systemLog(QStringLiteral("oauth_token_store"),
                  QStringLiteral("connector %1: the new refresh token could not be stored: %2")
                      .arg(connector, store.isOpen() ? error : store.errorString()),
                  QStringLiteral("error"));
}

void Engine::requestConfig()
{
    emit configLoaded(m_config);
}

void Engine::stop()
{
    if (m_status.state == EngineStatus::State::Stopped)
        return;
    m_status.state = EngineStatus::State::Stopping;
    stopCluster();
    for (net::Listener *l : std::as_const(m_listeners))
        l->shutdown();
    qDeleteAll(m_listeners);
    m_listeners.clear();
    stopPickup();
    if (m_delivery) {
        m_delivery->stop();
        delete m_delivery;
        m_delivery = nullptr;
    }
    if (m_policy) {
        for (const QString &p : m_policy->persist())
            systemLog(QStringLiteral("policy_state"), p, QStringLiteral("warning"));
        delete m_policy;
        m_policy = nullptr;
    }
    delete m_sts;
    m_sts = nullptr;
    m_tlsResults.reset(); // flushes the TLS-RPT rows
    stopTlsReportSender(QStringLiteral("the engine stopped"));
    if (m_auth) {
        m_auth->waitForIdle();
        delete m_auth;
        m_auth = nullptr;
    }
    if (m_directory) {
        m_directory->waitForIdle();
        delete m_directory;
        m_directory = nullptr;
    }
    delete m_acme; // an order in progress ends without a certificate
    m_acme = nullptr;
    delete m_certWatcher; // waits for a check in progress
    m_certWatcher = nullptr;
    // Whatever may still hold a DNS lookup goes before the resolvers: their
    // destructors cancel lookups on them (SPF/DKIM sessions of the inbound
    // checkers, DNS checks). Retired resolvers (a DNS settings change) live
    // on as children until now for the same reason.
    qDeleteAll(findChildren<mailauth::InboundChecker *>(Qt::FindDirectChildrenOnly));
    m_checker = nullptr;
    qDeleteAll(findChildren<dnscheck::DnsChecker *>(Qt::FindDirectChildrenOnly));
    m_dnsChecksRunning.clear();
    qDeleteAll(findChildren<dns::CaresResolver *>(Qt::FindDirectChildrenOnly)); // outstanding lookups are dropped without callbacks
    m_resolver = nullptr;
    m_certReloadErrors.clear();
    m_certs.reset();
    systemLog(QStringLiteral("stopped"), QStringLiteral("engine stopped"));
    delete m_queue; // flushes pending commits and updates
    m_queue = nullptr;
    delete m_log;   // flushes pending log rows
    m_log = nullptr;
    if (m_statusTimer)
        m_statusTimer->stop();
    if (m_queueTimer)
        m_queueTimer->stop();
    if (m_certTimer)
        m_certTimer->stop();
    if (m_dailyTimer)
        m_dailyTimer->stop();
    if (m_tlsrptTimer)
        m_tlsrptTimer->stop();
    // Owned state bound to this thread goes now, not in the destructor (which
    // runs in the thread that made the engine, after this one ended).
    if (m_alertTimer)
        m_alertTimer->stop();
    m_alertStore.reset(); // its database connection belongs to this thread
    m_status.state = EngineStatus::State::Stopped;
    m_status.listening.clear();
    emit statusChanged(m_status);
}

void Engine::commitMessage(const queue::QueueEntry &entry, const QString &tmpPath,
                           std::function<void(bool, QString)> done)
{
    if (!m_queue) {
        done(false, QStringLiteral("engine is stopping"));
        return;
    }
    m_queue->commit(entry, tmpPath, [this, entry, done = std::move(done)](bool ok, QString err) {
        if (ok) {
            ++m_status.accepted;
            if (m_delivery)
                m_delivery->enqueue(entry);
            scheduleStatus();
        }
        done(ok, err);
    });
}

void Engine::sessionOpened()
{
    ++m_sessions;
    scheduleStatus();
}

void Engine::sessionClosed()
{
    --m_sessions;
    scheduleStatus();
}

void Engine::messageRejected()
{
    ++m_status.rejected;
    scheduleStatus();
}

void Engine::scheduleStatus()
{
    if (m_statusTimer && m_status.state != EngineStatus::State::Stopped && !m_statusTimer->isActive())
        m_statusTimer->start(250);
}

void Engine::publishStatus()
{
    m_status.activeSessions = m_sessions;
    if (m_delivery) {
        m_status.queueSize = m_delivery->queueSize();
        m_status.activeDeliveries = m_delivery->activeConnections();
        m_status.delivered = m_delivery->counters().delivered;
        m_status.deferred = m_delivery->counters().deferred;
        m_status.failed = m_delivery->counters().failed;
    }
    emit statusChanged(m_status);
}

void Engine::adminAction(const QString &action, const QString &message, const QStringList &ids)
{
    // Who: the operating-system account running the GUI or the service.
    QString who = qEnvironmentVariable("USER");
    if (who.isEmpty())
        who = qEnvironmentVariable("USERNAME");
    systemLog(QStringLiteral("admin_") + action,
              QStringLiteral("%1 by %2: %3").arg(message, who.isEmpty() ? QStringLiteral("unknown") : who,
                                                  ids.join(QLatin1Char(','))));
    emit actionFinished(action, m_delivery != nullptr, message);
}

void Engine::retryNow(const QStringList &ids)
{
    adminAction(QStringLiteral("retry"), m_delivery ? m_delivery->retryNow(ids) : QStringLiteral("engine not running"),
                ids);
}

void Engine::hold(const QStringList &ids)
{
    adminAction(QStringLiteral("hold"), m_delivery ? m_delivery->hold(ids) : QStringLiteral("engine not running"), ids);
}

void Engine::release(const QStringList &ids)
{
    adminAction(QStringLiteral("release"), m_delivery ? m_delivery->release(ids) : QStringLiteral("engine not running"),
                ids);
}

void Engine::remove(const QStringList &ids)
{
    adminAction(QStringLiteral("delete"), m_delivery ? m_delivery->remove(ids) : QStringLiteral("engine not running"),
                ids);
}

void Engine::removeWithBounce(const QStringList &ids)
{
    adminAction(QStringLiteral("delete_bounce"),
                m_delivery ? m_delivery->remove(ids, true) : QStringLiteral("engine not running"), ids);
}

void Engine::bounce(const QStringList &ids)
{
    adminAction(QStringLiteral("bounce"), m_delivery ? m_delivery->bounce(ids) : QStringLiteral("engine not running"),
                ids);
}

QString EngineStatus::stateName(State s)
{
    switch (s) {
    case State::Stopped:
        return QStringLiteral("stopped");
    case State::Starting:
        return QStringLiteral("starting");
    case State::Running:
        return QStringLiteral("running");
    case State::Stopping:
        return QStringLiteral("stopping");
    case State::Error:
        return QStringLiteral("error");
    }
    return QStringLiteral("unknown");
}

} // namespace rd::engine

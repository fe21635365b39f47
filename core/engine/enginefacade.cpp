#include "engine/enginefacade.h"

#include "engine/adminservice.h"
#include "engine/engine.h"

#include <QFutureWatcher>
#include <QPromise>
#include <QThreadPool>

namespace rd::engine {

EngineFacade::EngineFacade(Engine *engine, const QString &dataDir, QObject *parent)
    : QObject(parent), m_engine(engine), m_dataDir(dataDir), m_admin(new AdminService(dataDir, this))
{
    qRegisterMetaType<rd::engine::EngineStatus>();
    qRegisterMetaType<rd::cluster::ClusterOverview>();
    qRegisterMetaType<rd::config::ConfigSnapshot>();
    qRegisterMetaType<rd::delivery::ProbeReport>();
    qRegisterMetaType<QList<rd::config::DkimKeyInfo>>();
    qRegisterMetaType<rd::dnscheck::Report>();
    qRegisterMetaType<rd::policy::PolicyStatus>();
    qRegisterMetaType<rd::engine::TrafficSnapshot>();
    qRegisterMetaType<QList<rd::alerts::Alert>>();
    qRegisterMetaType<QList<rd::policy::Ban>>();
    qRegisterMetaType<QList<rd::pickup::BadmailItem>>();
    qRegisterMetaType<QList<rd::acme::DnsChallengeRecord>>();
    if (!m_engine)
        return;
    // A DKIM key was added, removed, enabled or disabled: the engine re-reads them.
    connect(m_admin, &AdminService::dkimActionFinished, this, [this](const QString &, const QString &, bool ok) {
        if (ok)
            QMetaObject::invokeMethod(m_engine, &Engine::reloadDkimKeys, Qt::QueuedConnection);
    });
    // A certificate file was linked: the engine watches it from now on.
    connect(m_admin, &AdminService::certificateActionFinished, this,
            [this](const QString &action, const QString &, bool ok) {
                if (ok && action == QLatin1String("link"))
                    QMetaObject::invokeMethod(m_engine, &Engine::reloadCertificates, Qt::QueuedConnection);
            });
    // Engine lives in another thread: these connections are queued, so every
    // slot below runs in the GUI thread.
    connect(m_engine, &Engine::statusChanged, this, &EngineFacade::onStatus, Qt::QueuedConnection);
    connect(m_engine, &Engine::queueChanged, this, &EngineFacade::queueChanged, Qt::QueuedConnection);
    connect(m_engine, &Engine::logAppended, this, &EngineFacade::logAppended, Qt::QueuedConnection);
    connect(m_engine, &Engine::actionFinished, this, &EngineFacade::actionFinished, Qt::QueuedConnection);
    connect(m_engine, &Engine::configLoaded, this, &EngineFacade::configLoaded, Qt::QueuedConnection);
    connect(m_engine, &Engine::configApplied, this, &EngineFacade::configApplied, Qt::QueuedConnection);
    connect(m_engine, &Engine::dnsCheckProgress, this, &EngineFacade::dnsCheckProgress, Qt::QueuedConnection);
    connect(m_engine, &Engine::dnsCheckFinished, this, &EngineFacade::dnsCheckFinished, Qt::QueuedConnection);
    connect(m_engine, &Engine::oauthSignInUrl, this, &EngineFacade::oauthSignInUrl, Qt::QueuedConnection);
    connect(m_engine, &Engine::oauthSignInFinished, this, &EngineFacade::oauthSignInFinished, Qt::QueuedConnection);
    connect(m_engine, &Engine::policyStatus, this, &EngineFacade::policyStatusReady, Qt::QueuedConnection);
    connect(m_engine, &Engine::bansListed, this, &EngineFacade::bansReady, Qt::QueuedConnection);
    connect(m_engine, &Engine::clusterOverview, this, &EngineFacade::clusterOverviewReady, Qt::QueuedConnection);
    connect(m_engine, &Engine::acmeProgress, this, &EngineFacade::acmeProgress, Qt::QueuedConnection);
    connect(m_engine, &Engine::acmeDnsRecords, this, &EngineFacade::acmeDnsRecords, Qt::QueuedConnection);
    connect(m_engine, &Engine::acmeFinished, this, &EngineFacade::acmeFinished, Qt::QueuedConnection);
    connect(m_engine, &Engine::trafficUpdated, this, &EngineFacade::trafficUpdated, Qt::QueuedConnection);
    connect(m_engine, &Engine::alertsChanged, this, &EngineFacade::alertsChanged, Qt::QueuedConnection);
}

void EngineFacade::requestPolicyStatus()
{
    if (!m_engine) {
        emit policyStatusReady({});
        return;
    }
    QMetaObject::invokeMethod(m_engine, &Engine::requestPolicyStatus, Qt::QueuedConnection);
}

void EngineFacade::requestBans()
{
    if (!m_engine) {
        emit bansReady({});
        return;
    }
    QMetaObject::invokeMethod(m_engine, &Engine::requestBans, Qt::QueuedConnection);
}

void EngineFacade::requestClusterOverview()
{
    if (!m_engine) {
        emit clusterOverviewReady({});
        return;
    }
    QMetaObject::invokeMethod(m_engine, &Engine::requestClusterOverview, Qt::QueuedConnection);
}

void EngineFacade::unban(const QString &key)
{
    if (!m_engine) {
        emit bansReady({});
        return;
    }
    QMetaObject::invokeMethod(m_engine, [engine = m_engine, key] { engine->unban(key); }, Qt::QueuedConnection);
}

void EngineFacade::requestBadmailList(const QString &directory)
{
    // A folder listing (and a reason file per entry) never runs in the GUI thread.
    auto promise = std::make_shared<QPromise<QList<rd::pickup::BadmailItem>>>();
    auto *watcher = new QFutureWatcher<QList<rd::pickup::BadmailItem>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] {
        const QList<rd::pickup::BadmailItem> items =
            watcher->future().resultCount() > 0 ? watcher->result() : QList<rd::pickup::BadmailItem>{};
        watcher->deleteLater();
        emit badmailListed(items);
    });
    watcher->setFuture(promise->future());
    promise->start();
    QThreadPool::globalInstance()->start([directory, promise] {
        promise->addResult(rd::pickup::Badmail(directory).list());
        promise->finish();
    });
}

void EngineFacade::orderAcmeCertificate(const QStringList &names, const QString &challenge, bool termsAgreed)
{
    if (!m_engine) {
        emit acmeFinished(false, QStringLiteral("no engine"), QString());
        return;
    }
    QMetaObject::invokeMethod(
        m_engine, [engine = m_engine, names, challenge, termsAgreed] {
            engine->orderAcmeCertificate(names, challenge, termsAgreed);
        },
        Qt::QueuedConnection);
}

void EngineFacade::confirmAcmeDns()
{
    if (m_engine)
        QMetaObject::invokeMethod(m_engine, &Engine::confirmAcmeDns, Qt::QueuedConnection);
}

void EngineFacade::cancelAcme()
{
    if (m_engine)
        QMetaObject::invokeMethod(m_engine, &Engine::cancelAcme, Qt::QueuedConnection);
}

void EngineFacade::requestConfig()
{
    if (!m_engine) {
        emit configApplied(false, {QStringLiteral("no engine")});
        return;
    }
    QMetaObject::invokeMethod(m_engine, &Engine::requestConfig, Qt::QueuedConnection);
}

void EngineFacade::applyConfig(const rd::config::ConfigSnapshot &config)
{
    if (!m_engine) {
        emit configApplied(false, {QStringLiteral("no engine")});
        return;
    }
    QMetaObject::invokeMethod(m_engine, [engine = m_engine, config] { engine->applyConfig(config); },
                              Qt::QueuedConnection);
}

void EngineFacade::testConnector(const rd::config::SendConnectorConfig &c)
{
    if (!m_engine) {
        rd::delivery::ProbeReport report;
        report.connector = c.name;
        report.error = QStringLiteral("no engine");
        emit connectorTested(c.name, report);
        return;
    }
    QMetaObject::invokeMethod(
        m_engine,
        [engine = m_engine, facade = this, c] {
            // Engine thread. The probe deletes itself once done; the engine owns it until then.
            auto *probe = new rd::delivery::ConnectorProbe(c, engine->hostname(), QString(), engine);
            // Queued to the facade's (GUI) thread; dropped if the facade is gone by
            // then. (The composition root stops the engine thread before it deletes
            // the facade, so `facade` is valid while this runs.)
            connect(
                probe, &rd::delivery::ConnectorProbe::finished, facade,
                [facade, name = c.name](const rd::delivery::ProbeReport &r) { emit facade->connectorTested(name, r); },
                Qt::QueuedConnection);
            probe->start();
        },
        Qt::QueuedConnection);
}

void EngineFacade::onStatus(const EngineStatus &status)
{
    m_status = status;
    emit statusChanged(status);
}

void EngineFacade::invokeAction(const char *method, const QString &action, const QStringList &ids)
{
    if (!m_engine) {
        emit actionFinished(action, false, QStringLiteral("no engine"));
        return;
    }
    QMetaObject::invokeMethod(m_engine, method, Qt::QueuedConnection, Q_ARG(QStringList, ids));
}

void EngineFacade::retryNow(const QStringList &queueIds)
{
    invokeAction("retryNow", QStringLiteral("retry"), queueIds);
}

void EngineFacade::hold(const QStringList &queueIds)
{
    invokeAction("hold", QStringLiteral("hold"), queueIds);
}

void EngineFacade::release(const QStringList &queueIds)
{
    invokeAction("release", QStringLiteral("release"), queueIds);
}

void EngineFacade::remove(const QStringList &queueIds, bool withBounce)
{
    if (withBounce)
        invokeAction("removeWithBounce", QStringLiteral("delete_bounce"), queueIds);
    else
        invokeAction("remove", QStringLiteral("delete"), queueIds);
}

void EngineFacade::bounce(const QStringList &queueIds)
{
    invokeAction("bounce", QStringLiteral("bounce"), queueIds);
}

void EngineFacade::runDnsCheck(const QString &domain)
{
    if (!m_engine) {
        rd::dnscheck::Report r;
        r.domain = domain;
        r.when = QDateTime::currentDateTimeUtc();
        rd::dnscheck::Finding f;
        f.check = QStringLiteral("engine");
        f.status = rd::dnscheck::Status::Fail;
        f.title = QStringLiteral("No engine is running");
        r.findings << f;
        emit dnsCheckFinished(r);
        return;
    }
    QMetaObject::invokeMethod(m_engine, [engine = m_engine, domain] { engine->runDnsCheck(domain); },
                              Qt::QueuedConnection);
}

void EngineFacade::testDirectory(const rd::config::ConfigSnapshot &config)
{
    if (!m_engine) {
        rd::directory::DirectoryTestReport r;
        r.lines << QStringLiteral("FAILED: no engine");
        emit directoryTested(r);
        return;
    }
    QMetaObject::invokeMethod(
        m_engine,
        [engine = m_engine, facade = this, config] {
            engine->testDirectory(config, [facade](const rd::directory::DirectoryTestReport &r) {
                QMetaObject::invokeMethod(facade, [facade, r] { emit facade->directoryTested(r); },
                                          Qt::QueuedConnection);
            });
        },
        Qt::QueuedConnection);
}

void EngineFacade::testDirectorySignIn(const rd::config::ConfigSnapshot &config, const QString &login,
                                       const QByteArray &password)
{
    if (!m_engine) {
        rd::directory::DirectorySignInReport r;
        r.login = login;
        r.result.reason = QStringLiteral("no engine");
        emit directorySignInTested(r);
        return;
    }
    QMetaObject::invokeMethod(
        m_engine,
        [engine = m_engine, facade = this, config, login, password] {
            engine->testDirectorySignIn(config, login, password, [facade](const rd::directory::DirectorySignInReport &r) {
                QMetaObject::invokeMethod(facade, [facade, r] { emit facade->directorySignInTested(r); },
                                          Qt::QueuedConnection);
            });
        },
        Qt::QueuedConnection);
}

void EngineFacade::searchDirectoryGroups(const rd::config::ConfigSnapshot &config, const QString &term)
{
    if (!m_engine) {
        rd::directory::DirectoryGroupList g;
        g.error = QStringLiteral("no engine");
        emit directoryGroupsFound(g);
        return;
    }
    QMetaObject::invokeMethod(
        m_engine,
        [engine = m_engine, facade = this, config, term] {
            engine->searchDirectoryGroups(config, term, [facade](const rd::directory::DirectoryGroupList &g) {
                QMetaObject::invokeMethod(facade, [facade, g] { emit facade->directoryGroupsFound(g); },
                                          Qt::QueuedConnection);
            });
        },
        Qt::QueuedConnection);
}

} // namespace rd::engine

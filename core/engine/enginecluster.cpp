// Cluster mode: the engine's side of core/cluster. The ClusterNode runs on a
// thread of its own; the engine only hears that the local copy changed and
// applies it, and tells the node what it saved and what it listens on.

#include "engine/engine.h"

#include "cluster/clusternode.h"
#include "alerts/alertmonitor.h"
#include "config/configstore.h"

namespace rd::engine {

void Engine::setCluster(const rd::cluster::ClusterOptions &options)
{
    m_clusterOptions = std::make_unique<cluster::ClusterOptions>(options);
}

QString Engine::configActor()
{
    QString user = qEnvironmentVariable("USER");
    if (user.isEmpty())
        user = qEnvironmentVariable("USERNAME"); // Windows
    return user.isEmpty() ? QStringLiteral("administrator") : user;
}

void Engine::startCluster()
{
    qRegisterMetaType<rd::cluster::ClusterOverview>();
    if (!m_clusterOptions || m_cluster)
        return;
    m_clusterThread = new QThread(this);
    m_clusterThread->setObjectName(QStringLiteral("cluster"));
    m_cluster = new cluster::ClusterNode(m_dataDir, *m_clusterOptions);
    m_cluster->moveToThread(m_clusterThread);
    connect(m_clusterThread, &QThread::finished, m_cluster, &QObject::deleteLater);
    connect(m_cluster, &cluster::ClusterNode::configPulled, this, &Engine::applyClusterConfig);
    connect(m_cluster, &cluster::ClusterNode::logLine, this,
            [this](const QString &kind, const QString &text, const QString &severity) { systemLog(kind, text, severity); });
    connect(m_cluster, &cluster::ClusterNode::storeState, this, [this](bool up, const QString &message) {
        const QString w = QStringLiteral("cluster store: ");
        m_status.warnings.erase(std::remove_if(m_status.warnings.begin(), m_status.warnings.end(),
                                               [&](const QString &s) { return s.startsWith(w); }),
                                m_status.warnings.end());
        if (!up)
            m_status.warnings << w + message;
        if (m_alerts)
            m_alerts->setClusterStoreError(up ? QString() : message);
        publishStatus();
    });
    connect(m_cluster, &cluster::ClusterNode::overviewReady, this, &Engine::clusterOverview);
    connect(m_cluster, &cluster::ClusterNode::silentNodes, this, [this](const QHash<QString, QString> &nodes) {
        if (m_alerts)
            m_alerts->setSilentNodes(nodes);
    });
    connect(this, &Engine::statusChanged, m_cluster, [node = m_cluster](const EngineStatus &s) {
        node->setListeners(s.listening, EngineStatus::stateName(s.state));
    });
    m_clusterThread->start();
    QMetaObject::invokeMethod(
        m_cluster, [node = m_cluster, listening = m_status.listening,
                    state = EngineStatus::stateName(m_status.state)] { node->setListeners(listening, state); },
        Qt::QueuedConnection);
    QMetaObject::invokeMethod(m_cluster, &cluster::ClusterNode::start, Qt::QueuedConnection);
}

void Engine::requestClusterOverview()
{
    if (!m_cluster) {
        emit clusterOverview(cluster::ClusterOverview{});
        return;
    }
    QMetaObject::invokeMethod(m_cluster, &cluster::ClusterNode::requestOverview, Qt::QueuedConnection);
}

void Engine::stopCluster()
{
    if (!m_cluster)
        return;
    QMetaObject::invokeMethod(m_cluster, &cluster::ClusterNode::stop, Qt::BlockingQueuedConnection);
    m_clusterThread->quit();
    m_clusterThread->wait();
    delete m_clusterThread; // the node was deleted on its thread (deleteLater at finished)
    m_clusterThread = nullptr;
    m_cluster = nullptr;
}

void Engine::applyClusterConfig(qint64 revision, const QString &changedBy, const QStringList &tables)
{
    if (m_status.state == EngineStatus::State::Stopped || m_status.state == EngineStatus::State::Stopping)
        return;
    QStringList warnings;
    config::ConfigSnapshot loaded;
    {
        config::ConfigStore store(m_dataDir);
        if (!store.isOpen()) {
            systemLog(QStringLiteral("cluster_config"), store.errorString(), QStringLiteral("error"));
            return;
        }
        loaded = store.load(&warnings);
    }
    for (const QString &w : warnings)
        systemLog(QStringLiteral("cluster_config"), w, QStringLiteral("warning"));
    const config::ConfigSnapshot previous = m_config;
    m_config = loaded;
    systemLog(QStringLiteral("config_applied"),
              QStringLiteral("configuration revision %1 from the cluster store (changed by %2: %3)")
                  .arg(revision)
                  .arg(changedBy.isEmpty() ? QStringLiteral("unknown") : changedBy, tables.join(QStringLiteral(", "))));
    if (tables.contains(QStringLiteral("dkim_keys")))
        reloadDkimKeys();
    const bool all = activateConfig(previous);
    emit configLoaded(m_config);
    if (!all)
        systemLog(QStringLiteral("cluster_config"),
                  QStringLiteral("not every listener of revision %1 could start: %2")
                      .arg(revision)
                      .arg(m_status.errors.join(QStringLiteral("; "))),
                  QStringLiteral("error"));
}

} // namespace rd::engine

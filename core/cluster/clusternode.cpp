#include "cluster/clusternode.h"

#include "cluster/configsync.h"
#include "storage/database.h"

#include <QDateTime>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>

namespace rd::cluster {
namespace {

const QString kChannel = QStringLiteral("relaydesk_config");

} // namespace

ClusterNode::ClusterNode(QString dataDir, ClusterOptions options, QObject *parent)
    : QObject(parent), m_dataDir(std::move(dataDir)), m_options(std::move(options))
{
}

ClusterNode::~ClusterNode()
{
    stop();
}

void ClusterNode::start()
{
    m_started = QDateTime::currentMSecsSinceEpoch();
    QString why;
    m_keyOk = m_box.load(m_options.keyFile, &why);
    if (!m_keyOk) {
        m_lastError = why;
        emit logLine(QStringLiteral("cluster"), QStringLiteral("cluster mode without a usable key: %1; running on the "
                                                               "local copy of the configuration").arg(why),
                     QStringLiteral("error"));
        emit storeState(false, why);
        return;
    }
    m_localName = storage::uniqueConnectionName(QStringLiteral("cluster-local"));
    QSqlDatabase local = storage::openDatabase(m_dataDir, storage::DbKind::Config, m_localName,
                                               {true, storage::Durability::Full}, &why);
    if (!local.isValid()) {
        m_lastError = why;
        emit storeState(false, why);
        return;
    }
    m_queueName = storage::uniqueConnectionName(QStringLiteral("cluster-queue"));
    storage::OpenOptions ro;
    ro.migrate = false;
    storage::openDatabase(m_dataDir, storage::DbKind::Queue, m_queueName, ro, &why);

    m_heartbeat = new QTimer(this);
    m_heartbeat->setInterval(m_options.heartbeatMs);
    connect(m_heartbeat, &QTimer::timeout, this, &ClusterNode::heartbeat);
    m_poll = new QTimer(this);
    m_poll->setInterval(1000);
    connect(m_poll, &QTimer::timeout, this, &ClusterNode::pollLocal);
    m_retry = new QTimer(this);
    m_retry->setSingleShot(true);
    m_retry->setInterval(m_options.retryMs);
    connect(m_retry, &QTimer::timeout, this, [this] {
        if (connectStore())
            syncNow();
    });
    m_safety = new QTimer(this);
    m_safety->setInterval(30000);
    connect(m_safety, &QTimer::timeout, this, &ClusterNode::syncNow);
    m_soon = new QTimer(this);
    m_soon->setSingleShot(true);
    m_soon->setInterval(50);
    connect(m_soon, &QTimer::timeout, this, &ClusterNode::syncNow);
    m_heartbeat->start();
    m_poll->start();
    m_safety->start();
    pollLocal(); // reads the data version
    m_applied = localRevision(local); // what the engine started with
    if (connectStore())
        syncNow();
    heartbeat();
}

void ClusterNode::stop()
{
    if (m_heartbeat) {
        m_state = QStringLiteral("stopped");
        m_listeners.clear();
        heartbeat();
    }
    delete m_heartbeat;
    m_heartbeat = nullptr;
    delete m_poll;
    m_poll = nullptr;
    delete m_retry;
    m_retry = nullptr;
    delete m_safety;
    m_safety = nullptr;
    delete m_soon;
    m_soon = nullptr;
    if (!m_storeName.isEmpty()) {
        storage::closeDatabase(m_storeName);
        m_storeName.clear();
    }
    if (!m_localName.isEmpty()) {
        storage::closeDatabase(m_localName);
        m_localName.clear();
    }
    if (!m_queueName.isEmpty()) {
        storage::closeDatabase(m_queueName);
        m_queueName.clear();
    }
    m_storeUp = false;
}

bool ClusterNode::connectStore()
{
    if (m_storeUp)
        return true;
    if (!m_storeName.isEmpty()) {
        storage::closeDatabase(m_storeName);
        m_storeName.clear();
    }
    const QString name = storage::uniqueConnectionName(QStringLiteral("cluster-store"));
    QString why;
    QSqlDatabase db = m_options.store.open(name, &why);
    if (!db.isValid() || !storage::migrateShared(db, m_options.store.display(), &why)) {
        db = QSqlDatabase();
        storage::closeDatabase(name);
        dropStore(why);
        return false;
    }
    m_storeName = name;
    QSqlDriver *driver = db.driver();
    if (!driver->subscribeToNotification(kChannel)) {
        const QString why = QStringLiteral("cannot LISTEN on the cluster store: %1").arg(driver->lastError().text());
        db = QSqlDatabase();
        dropStore(why);
        return false;
    }
    connect(driver, &QSqlDriver::notification, this,
            [this](const QString &channel, QSqlDriver::NotificationSource source, const QVariant &) {
                if (channel == kChannel && source == QSqlDriver::OtherSource && m_soon)
                    m_soon->start();
            });
    m_storeUp = true;
    emit logLine(QStringLiteral("cluster"), QStringLiteral("connected to the cluster store %1 as node %2")
                                              .arg(m_options.store.display(), m_options.nodeName),
                 QStringLiteral("info"));
    return true;
}

void ClusterNode::dropStore(const QString &why)
{
    const bool wasUp = m_storeUp || m_lastError != why;
    m_storeUp = false;
    if (!m_storeName.isEmpty()) {
        storage::closeDatabase(m_storeName);
        m_storeName.clear();
    }
    if (wasUp) {
        m_lastError = why;
        emit logLine(QStringLiteral("cluster_store_down"),
                     QStringLiteral("%1; running on the local copy of the configuration (revision %2), retrying")
                         .arg(why)
                         .arg(m_revision),
                     QStringLiteral("warning"));
        emit storeState(false, why);
    }
    if (m_retry && !m_retry->isActive())
        m_retry->start();
}

void ClusterNode::syncNow()
{
    if (!m_keyOk || m_localName.isEmpty())
        return;
    if (!connectStore())
        return;
    SyncRequest req;
    req.node = m_options.nodeName;
    req.actor = m_pendingActor.isEmpty() ? QStringLiteral("an administrator")
                                         : m_pendingActor;
    req.summary = m_pendingSummary;
    SyncOutcome out;
    bool storeGone = false;
    {
        QSqlDatabase local = QSqlDatabase::database(m_localName, false);
        QSqlDatabase store = QSqlDatabase::database(m_storeName, false);
        out = synchronize(local, store, m_box, req);
        if (!out.ok) {
            // A store that went away shows up as a failed statement: reconnect.
            QSqlQuery ping(store);
            storeGone = !store.isOpen() || !ping.exec(QStringLiteral("SELECT 1"));
        }
    }
    if (storeGone) {
        dropStore(out.error);
        return;
    }
    if (!out.ok) {
        if (out.error != m_lastError) {
            m_lastError = out.error;
            emit logLine(QStringLiteral("cluster_sync_failed"), out.error, QStringLiteral("error"));
            emit storeState(false, out.error);
        }
        if (m_retry && !m_retry->isActive())
            m_retry->start();
        return;
    }
    // The engine applied a change it saved itself; anything else that moved
    // the local copy (a pull, a command-line change on this data folder,
    // published by the command or by us) it has to load.
    const bool engineMadeIt = !m_pendingActor.isEmpty();
    m_pendingActor.clear();
    m_pendingSummary.clear();
    if (!m_lastError.isEmpty()) {
        m_lastError.clear();
        emit storeState(true, QString());
    } else if (m_revision < 0) {
        emit storeState(true, QString());
    }
    // Our own pulls do not move data_version for this connection, but the
    // engine's reload does not write either; read it again so that a pull is
    // not mistaken for a local change.
    pollLocal();
    if (out.storeEmpty && m_revision != 0) {
        emit logLine(QStringLiteral("cluster"),
                     QStringLiteral("the cluster store %1 holds no configuration yet; this node runs on its own until "
                                    "one is published (relaydesk --cluster ... --migrate-to-cluster)")
                         .arg(m_options.store.display()),
                     QStringLiteral("warning"));
        m_revision = 0;
    }
    if (out.revision >= 0)
        m_revision = out.revision;
    if (!out.pushed.isEmpty()) {
        emit logLine(QStringLiteral("cluster_config_pushed"),
                     QStringLiteral("configuration revision %1 published to the cluster (%2)")
                         .arg(out.revision)
                         .arg(out.pushed.join(QStringLiteral(", "))),
                     QStringLiteral("info"));
        emit configPushed(out.revision, out.pushed);
    }
    if (!out.pulled.isEmpty()) {
        emit configPulled(out.revision, out.changedBy, out.pulled);
        m_applied = out.revision;
    } else if (out.revision >= 0 && out.revision != m_applied) {
        if (!engineMadeIt || out.pushed.isEmpty())
            emit configPulled(out.revision, QStringLiteral("a change on this node"), sharedTables());
        m_applied = out.revision;
    }
}

void ClusterNode::localChanged(const QString &actor, const QString &summary)
{
    m_pendingActor = actor;
    m_pendingSummary = summary;
    if (m_soon)
        m_soon->start();
}

void ClusterNode::setListeners(const QStringList &endpoints, const QString &state)
{
    m_listeners = endpoints;
    m_state = state;
}

void ClusterNode::requestOverview()
{
    ClusterOverview o;
    o.clustered = true;
    o.store = m_options.store.display();
    o.thisNode = m_options.nodeName;
    o.revision = m_revision >= 0 ? m_revision : m_applied;
    o.readAt = QDateTime::currentMSecsSinceEpoch();
    if (!m_keyOk || !connectStore()) {
        o.error = m_lastError;
        emit overviewReady(o);
        return;
    }
    QString failure;
    {
        QSqlDatabase store = QSqlDatabase::database(m_storeName, false);
        QSqlQuery q(store);
        if (q.exec(QStringLiteral("SELECT name, version, state, listeners, queue_size, oldest_message, heartbeat,"
                                  " store_latency_us, config_revision FROM nodes ORDER BY name"))) {
            while (q.next()) {
                NodeInfo n;
                n.name = q.value(0).toString();
                n.version = q.value(1).toString();
                n.state = q.value(2).toString();
                n.listeners = q.value(3).toString();
                n.queueSize = q.value(4).toLongLong();
                n.oldestMessage = q.value(5).toLongLong();
                n.heartbeat = q.value(6).toLongLong();
                n.storeLatencyUs = q.value(7).toLongLong();
                n.revision = q.value(8).toLongLong();
                n.silent = n.state != QLatin1String("stopped") && n.name != m_options.nodeName
                    && o.readAt - n.heartbeat > silentAfterMs();
                o.nodes << n;
            }
        } else {
            failure = q.lastError().text().trimmed();
        }
        if (failure.isEmpty()
            && q.exec(QStringLiteral("SELECT revision, ts, actor, node, tables, summary FROM config_history"
                                     " ORDER BY revision DESC LIMIT 200"))) {
            while (q.next()) {
                HistoryEntry h;
                h.revision = q.value(0).toLongLong();
                h.ts = q.value(1).toLongLong();
                h.actor = q.value(2).toString();
                h.node = q.value(3).toString();
                h.tables = q.value(4).toString().split(QLatin1Char(','), Qt::SkipEmptyParts);
                h.summary = q.value(5).toString();
                o.history << h;
            }
        } else if (failure.isEmpty()) {
            failure = q.lastError().text().trimmed();
        }
    }
    o.storeUp = failure.isEmpty();
    o.error = failure;
    emit overviewReady(o);
}

void ClusterNode::pollLocal()
{
    if (m_localName.isEmpty())
        return;
    QSqlDatabase local = QSqlDatabase::database(m_localName, false);
    QSqlQuery q(local);
    if (!q.exec(QStringLiteral("PRAGMA data_version")) || !q.next())
        return;
    const qint64 v = q.value(0).toLongLong();
    const bool changed = m_dataVersion >= 0 && v != m_dataVersion;
    m_dataVersion = v;
    if (changed && m_soon && !m_soon->isActive())
        m_soon->start();
}

void ClusterNode::heartbeat()
{
    if (!m_storeUp || m_storeName.isEmpty())
        return;
    qint64 queueSize = 0;
    qint64 oldest = 0;
    if (!m_queueName.isEmpty()) {
        QSqlQuery q(QSqlDatabase::database(m_queueName, false));
        if (q.exec(QStringLiteral("SELECT count(*), min(received) FROM messages")) && q.next()) {
            queueSize = q.value(0).toLongLong();
            oldest = q.value(1).isNull() ? 0 : q.value(1).toLongLong();
        }
    }
    QString failure;
    {
        QSqlDatabase store = QSqlDatabase::database(m_storeName, false);
        QElapsedTimer t;
        t.start();
        QSqlQuery ping(store);
        if (!ping.exec(QStringLiteral("SELECT 1"))) {
            failure = QStringLiteral("the cluster store stopped answering: %1").arg(ping.lastError().text().trimmed());
        } else {
            m_latencyUs = t.nsecsElapsed() / 1000;
            QSqlQuery q(store);
            q.prepare(QStringLiteral(
                "INSERT INTO nodes (name, version, address, listeners, queue_size, oldest_message, heartbeat,"
                " store_latency_us, started, config_revision, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET version = excluded.version, address = excluded.address,"
                " listeners = excluded.listeners, queue_size = excluded.queue_size,"
                " oldest_message = excluded.oldest_message, heartbeat = excluded.heartbeat,"
                " store_latency_us = excluded.store_latency_us, started = excluded.started,"
                " config_revision = excluded.config_revision, state = excluded.state"));
            q.addBindValue(m_options.nodeName);
            q.addBindValue(QStringLiteral(RELAYDESK_VERSION));
            q.addBindValue(storage::nn(m_listeners.isEmpty() ? QString()
                                                             : m_listeners.first().section(QLatin1Char(':'), 0, -2)));
            q.addBindValue(storage::nn(m_listeners.join(QLatin1Char(' '))));
            q.addBindValue(queueSize);
            q.addBindValue(oldest);
            q.addBindValue(QDateTime::currentMSecsSinceEpoch());
            q.addBindValue(m_latencyUs);
            q.addBindValue(m_started);
            q.addBindValue(m_revision);
            q.addBindValue(storage::nn(m_state));
            if (!q.exec())
                failure = QStringLiteral("the node registry: %1").arg(q.lastError().text().trimmed());
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
                QSqlQuery others(store);
            others.prepare(QStringLiteral("SELECT name, heartbeat, listeners FROM nodes"
                                          " WHERE name <> ? AND state <> 'stopped' AND heartbeat < ?"));
            others.addBindValue(m_options.nodeName);
            others.addBindValue(now - silentAfterMs());
            QHash<QString, QString> silent;
            if (failure.isEmpty() && others.exec()) {
                while (others.next())
                    silent.insert(others.value(0).toString(),
                                  QStringLiteral("last heartbeat %1 s ago (listening on %2)")
                                      .arg((now - others.value(1).toLongLong()) / 1000)
                                      .arg(others.value(2).toString()));
                emit silentNodes(silent);
            }
        }
    }
    if (!failure.isEmpty())
        dropStore(failure);
}

} // namespace rd::cluster

#include "app/clustercli.h"

#include "cluster/configsync.h"
#include "engine/engine.h"
#include "storage/database.h"

#include <QDateTime>
#include <QDir>
#include <QHostInfo>
#include <QSqlError>
#include <QSqlQuery>

#include <cstdio>

namespace rd::app {
namespace {

const QCommandLineOption kCluster(QStringLiteral("cluster"),
                                  QStringLiteral("Run as a node of the cluster whose PostgreSQL store this libpq "
                                                 "connection string names (postgresql://user@host/db?sslmode=...)."),
                                  QStringLiteral("CONN"));
const QCommandLineOption kNodeName(QStringLiteral("node-name"),
                                   QStringLiteral("With --cluster: this node's name (default: the host name)."),
                                   QStringLiteral("NAME"));
const QCommandLineOption kListen(QStringLiteral("listen-address"),
                                 QStringLiteral("With --cluster: bind listeners configured on 0.0.0.0 or :: to this "
                                                "address on this node."),
                                 QStringLiteral("ADDR"));
const QCommandLineOption kKey(QStringLiteral("cluster-key"),
                              QStringLiteral("With --cluster: the cluster key file (default: <data>/cluster.key)."),
                              QStringLiteral("FILE"));
const QCommandLineOption kKeygen(QStringLiteral("cluster-keygen"),
                                 QStringLiteral("Write a new cluster key (to --cluster-key or <data>/cluster.key) "
                                                "and exit."));
const QCommandLineOption kMigrate(QStringLiteral("migrate-to-cluster"),
                                  QStringLiteral("With --cluster: publish this instance's configuration as the "
                                                 "cluster's and exit."));
const QCommandLineOption kForce(QStringLiteral("force"),
                                QStringLiteral("With --migrate-to-cluster: replace a configuration the store holds."));
const QCommandLineOption kHistory(QStringLiteral("cluster-history"),
                                  QStringLiteral("With --cluster: print the configuration changes and exit."));
const QCommandLineOption kNodes(QStringLiteral("cluster-nodes"),
                               QStringLiteral("With --cluster: print the node registry and exit."));

void say(FILE *to, const QString &text)
{
    const QByteArray b = text.toUtf8();
    std::fprintf(to, "%s\n", b.constData());
    std::fflush(to);
}

// Who changes the configuration from here, for the store's history (the same
// account name the engine records for a GUI change).
QString commandLineActor()
{
    return QStringLiteral("%1 (command line)").arg(engine::Engine::configActor());
}

QString keyPath(const QCommandLineParser &parser, const QString &dataDir)
{
    return parser.isSet(kKey) ? parser.value(kKey) : QDir(dataDir).filePath(QStringLiteral("cluster.key"));
}

// Opens both sides and loads the key; false with *error.
struct Link {
    QString local = storage::uniqueConnectionName(QStringLiteral("cli-local"));
    QString store = storage::uniqueConnectionName(QStringLiteral("cli-store"));
    cluster::SecretBox box;
    ~Link()
    {
        storage::closeDatabase(local);
        storage::closeDatabase(store);
    }
    bool open(const cluster::ClusterOptions &o, const QString &dataDir, bool needKey, QString *error)
    {
        if (needKey && !box.load(o.keyFile, error))
            return false;
        if (!storage::openDatabase(dataDir, storage::DbKind::Config, local, {true, storage::Durability::Full}, error)
                 .isValid())
            return false;
        QSqlDatabase db = o.store.open(store, error);
        return db.isValid() && storage::migrateShared(db, o.store.display(), error);
    }
};

QString when(qint64 ms)
{
    return ms <= 0 ? QStringLiteral("-")
                   : QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'"));
}

} // namespace

QList<QCommandLineOption> clusterOptions()
{
    return {kCluster, kNodeName, kListen, kKey, kKeygen, kMigrate, kForce, kHistory, kNodes};
}

std::optional<cluster::ClusterOptions> clusterOptionsFrom(const QCommandLineParser &parser, const QString &dataDir,
                                                          int *rc)
{
    QString conn = parser.value(kCluster);
    if (conn.isEmpty())
        conn = qEnvironmentVariable("RELAYDESK_CLUSTER");
    if (conn.isEmpty())
        return std::nullopt;
    QString why;
    const auto loc = cluster::StoreLocation::parse(conn, &why);
    if (!loc) {
        say(stderr, QStringLiteral("relaydesk: --cluster: %1").arg(why));
        *rc = 2;
        return std::nullopt;
    }
    cluster::ClusterOptions o;
    o.store = *loc;
    o.keyFile = keyPath(parser, dataDir);
    o.listenAddress = parser.value(kListen);
    // Tuning for tests and very large clusters; not a command-line option.
    if (const int hb = qEnvironmentVariableIntValue("RELAYDESK_CLUSTER_HEARTBEAT_MS"); hb >= 200)
        o.heartbeatMs = hb;
    o.nodeName = parser.isSet(kNodeName) ? parser.value(kNodeName) : QHostInfo::localHostName();
    return o;
}

bool syncClusterOnce(const cluster::ClusterOptions &options, const QString &dataDir, const QString &summary)
{
    Link link;
    QString why;
    if (!link.open(options, dataDir, true, &why)) {
        say(stderr, QStringLiteral("relaydesk: warning: cluster store not reached (%1); using the local copy of the "
                                   "configuration").arg(why));
        return false;
    }
    QSqlDatabase local = QSqlDatabase::database(link.local);
    QSqlDatabase store = QSqlDatabase::database(link.store);
    cluster::SyncRequest req;
    req.node = options.nodeName;
    req.actor = commandLineActor();
    req.summary = summary;
    const cluster::SyncOutcome out = cluster::synchronize(local, store, link.box, req);
    if (!out.ok) {
        say(stderr, QStringLiteral("relaydesk: warning: cluster synchronisation failed: %1").arg(out.error));
        return false;
    }
    if (out.storeEmpty)
        say(stderr, QStringLiteral("relaydesk: warning: the cluster store holds no configuration yet (publish one "
                                   "with --migrate-to-cluster)"));
    if (!out.pushed.isEmpty())
        say(stderr, QStringLiteral("relaydesk: published configuration revision %1 (%2)")
                        .arg(out.revision)
                        .arg(out.pushed.join(QStringLiteral(", "))));
    return true;
}

std::optional<int> runClusterCommand(const QCommandLineParser &parser, const QString &dataDir,
                                     const std::optional<cluster::ClusterOptions> &options)
{
    if (parser.isSet(kKeygen)) {
        QString why;
        const QString path = keyPath(parser, dataDir);
        if (!cluster::SecretBox::generateKeyFile(path, &why)) {
            say(stderr, QStringLiteral("relaydesk: %1").arg(why));
            return 1;
        }
        cluster::SecretBox box;
        box.load(path, &why);
        say(stdout, QStringLiteral("cluster key written to %1 (fingerprint %2); copy it to every node, owner-only")
                        .arg(path, box.fingerprint()));
        return 0;
    }
    const bool any = parser.isSet(kMigrate) || parser.isSet(kHistory) || parser.isSet(kNodes);
    if (!any)
        return std::nullopt;
    if (!options) {
        say(stderr, QStringLiteral("relaydesk: --migrate-to-cluster, --cluster-history and --cluster-nodes need "
                                   "--cluster"));
        return 2;
    }
    Link link;
    QString why;
    if (!link.open(*options, dataDir, parser.isSet(kMigrate), &why)) {
        say(stderr, QStringLiteral("relaydesk: %1").arg(why));
        return 1;
    }
    QSqlDatabase store = QSqlDatabase::database(link.store);
    if (parser.isSet(kMigrate)) {
        QSqlDatabase local = QSqlDatabase::database(link.local);
        cluster::SyncRequest req;
        req.mode = cluster::SyncRequest::Mode::Publish;
        req.force = parser.isSet(kForce);
        req.node = options->nodeName;
        req.actor = commandLineActor();
        req.summary = QStringLiteral("configuration of the standalone instance in %1 published").arg(dataDir);
        const cluster::SyncOutcome out = cluster::synchronize(local, store, link.box, req);
        if (!out.ok) {
            say(stderr, QStringLiteral("relaydesk: %1").arg(out.error));
            return 1;
        }
        say(stdout, QStringLiteral("published this instance's configuration to %1 as revision %2 (%3 tables)")
                        .arg(options->store.display())
                        .arg(out.revision)
                        .arg(out.pushed.size()));
        return 0;
    }
    QSqlQuery q(store);
    if (parser.isSet(kHistory)) {
        if (!q.exec(QStringLiteral("SELECT revision, ts, actor, node, tables, summary FROM config_history"
                                   " ORDER BY revision"))) {
            say(stderr, QStringLiteral("relaydesk: %1").arg(q.lastError().text()));
            return 1;
        }
        while (q.next())
            say(stdout, QStringLiteral("%1\t%2\t%3\t%4\t%5\t%6")
                            .arg(q.value(0).toLongLong())
                            .arg(when(q.value(1).toLongLong()), q.value(2).toString(), q.value(3).toString(),
                                 q.value(4).toString(), q.value(5).toString()));
        return 0;
    }
    if (!q.exec(QStringLiteral("SELECT name, version, state, listeners, queue_size, oldest_message, heartbeat,"
                               " store_latency_us, config_revision FROM nodes ORDER BY name"))) {
        say(stderr, QStringLiteral("relaydesk: %1").arg(q.lastError().text()));
        return 1;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    say(stdout, QStringLiteral("node\tversion\tstate\tlisteners\tqueue\toldest\tlast heartbeat\tage_s\tstore_ms\trevision"));
    while (q.next())
        say(stdout, QStringLiteral("%1\t%2\t%3\t%4\t%5\t%6\t%7\t%8\t%9\t%10")
                        .arg(q.value(0).toString(), q.value(1).toString(), q.value(2).toString(),
                             q.value(3).toString())
                        .arg(q.value(4).toLongLong())
                        .arg(when(q.value(5).toLongLong()), when(q.value(6).toLongLong()))
                        .arg((now - q.value(6).toLongLong()) / 1000)
                        .arg(double(q.value(7).toLongLong()) / 1000.0, 0, 'f', 2)
                        .arg(q.value(8).toLongLong()));
    return 0;
}

} // namespace rd::app

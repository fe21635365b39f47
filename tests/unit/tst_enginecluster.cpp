// Two engines in cluster mode on a real PostgreSQL (tests/integration/pgserver.py
// --serve), each in its own thread as the application runs them:
//  - a fresh node (never synchronised) joins by pulling the published
//    configuration and applies it without a restart (configLoaded);
//  - a change saved through one engine's applyConfig (the GUI's path) reaches
//    the other engine, which applies it (configLoaded with the new value), and
//    the store's history names the OS account and the node;
//  - the Cluster panel's overview lists both nodes, running, with listeners;
//  - a standalone engine answers the overview with clustered=false.

#include "cluster/clusternode.h"
#include "cluster/configsync.h"
#include "config/configstore.h"
#include "config/settings.h"
#include "engine/engine.h"
#include "storage/database.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using rd::config::ConfigSnapshot;

namespace {

quint16 clusterFreePort()
{
    QTcpServer s;
    return s.listen(QHostAddress::LocalHost, 0) ? s.serverPort() : 0;
}

struct RunningEngine {
    rd::engine::Engine *engine = nullptr;
    QThread thread;
    ConfigSnapshot loaded;
    int loads = 0;
    ~RunningEngine()
    {
        if (!engine)
            return;
        QMetaObject::invokeMethod(engine, &rd::engine::Engine::stop, Qt::BlockingQueuedConnection);
        thread.quit();
        thread.wait();
        delete engine;
    }
};

} // namespace

class TestEngineCluster : public QObject {
    Q_OBJECT

private:
    QProcess m_pg;
    QString m_admin;
    QString m_node;

    void startEngine(RunningEngine *r, const QString &dir, const QString &name, const QString &address)
    {
        rd::config::ConfigStore store(dir);
        QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
        r->engine = new rd::engine::Engine(dir, store.load(), false);
        rd::cluster::ClusterOptions o;
        QString why;
        o.store = *rd::cluster::StoreLocation::parse(m_node, &why);
        o.keyFile = QDir(dir).filePath(QStringLiteral("cluster.key"));
        o.nodeName = name;
        o.listenAddress = address;
        o.heartbeatMs = 500;
        r->engine->setCluster(o);
        connect(r->engine, &rd::engine::Engine::configLoaded, this, [r](const ConfigSnapshot &c) {
            r->loaded = c;
            ++r->loads;
        }, Qt::QueuedConnection);
        r->engine->moveToThread(&r->thread);
        r->thread.start();
        QSignalSpy started(r->engine, &rd::engine::Engine::started);
        QMetaObject::invokeMethod(r->engine, &rd::engine::Engine::start, Qt::QueuedConnection);
        QVERIFY(started.wait(20000));
    }

private slots:
    void initTestCase()
    {
        m_pg.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_pg.start(QStringLiteral("/usr/bin/python3"),
                   {QStringLiteral(RD_TESTS_DIR "/integration/pgserver.py"), QStringLiteral("--serve")});
        QVERIFY(m_pg.waitForStarted(10000));
        QElapsedTimer t;
        t.start();
        qRegisterMetaType<rd::config::ConfigSnapshot>();
        qRegisterMetaType<rd::cluster::ClusterOverview>();
        while (m_node.isEmpty()) {
            QVERIFY2(t.elapsed() < 90000, "pgserver.py --serve did not answer");
            if (m_pg.canReadLine()) {
                const QString line = QString::fromUtf8(m_pg.readLine()).trimmed();
                (m_admin.isEmpty() ? m_admin : m_node) = line;
                continue;
            }
            QVERIFY2(m_pg.state() == QProcess::Running, "pgserver.py --serve ended");
            m_pg.waitForReadyRead(1000);
        }
        QVERIFY(m_admin.startsWith(QLatin1String("postgresql://rd_admin")));
    }

    void cleanupTestCase()
    {
        m_pg.closeWriteChannel(); // pgserver stops PostgreSQL when its stdin closes
        if (!m_pg.waitForFinished(30000))
            m_pg.kill();
    }

    void standaloneOverview()
    {
        QTemporaryDir dir;
        rd::engine::Engine engine(dir.path(), ConfigSnapshot(), false); // never started
        QSignalSpy overview(&engine, &rd::engine::Engine::clusterOverview);
        engine.requestClusterOverview();
        QCOMPARE(overview.count(), 1);
        QVERIFY(!overview.at(0).at(0).value<rd::cluster::ClusterOverview>().clustered);
    }

    void applyConfigReachesTheOtherEngine()
    {
        QTemporaryDir dirA, dirB;
        QString why;
        // Node A: a configuration with a shared listener, published by the admin role.
        const quint16 port = clusterFreePort();
        QVERIFY(port);
        ConfigSnapshot cfg;
        cfg.listeners[0].address = QStringLiteral("0.0.0.0");
        cfg.listeners[0].port = port;
        {
            rd::config::ConfigStore store(dirA.path());
            QVERIFY(store.save(cfg));
        }
        const QString keyA = QDir(dirA.path()).filePath(QStringLiteral("cluster.key"));
        QVERIFY2(rd::cluster::SecretBox::generateKeyFile(keyA, &why), qPrintable(why));
        const QString keyB = QDir(dirB.path()).filePath(QStringLiteral("cluster.key"));
        QVERIFY(QFile::copy(keyA, keyB));
        QFile::setPermissions(keyB, QFile::ReadOwner | QFile::WriteOwner);
        {
            rd::cluster::SecretBox box;
            QVERIFY(box.load(keyA, &why));
            QSqlDatabase local = rd::storage::openDatabase(dirA.path(), rd::storage::DbKind::Config,
                                                           QStringLiteral("pub-local"), {}, &why);
            QVERIFY2(local.isValid(), qPrintable(why));
            QSqlDatabase store = rd::cluster::StoreLocation::parse(m_admin, &why)->open(QStringLiteral("pub-store"), &why);
            QVERIFY2(store.isValid(), qPrintable(why));
            QVERIFY2(rd::storage::migrateShared(store, QStringLiteral("test store"), &why), qPrintable(why));
            rd::cluster::SyncRequest req;
            req.mode = rd::cluster::SyncRequest::Mode::Publish;
            req.actor = QStringLiteral("test");
            req.node = QStringLiteral("a");
            const rd::cluster::SyncOutcome out = rd::cluster::synchronize(local, store, box, req);
            QVERIFY2(out.ok, qPrintable(out.error));
            QCOMPARE(out.revision, 1);
            local = QSqlDatabase();
            store = QSqlDatabase();
            rd::storage::closeDatabase(QStringLiteral("pub-local"));
            rd::storage::closeDatabase(QStringLiteral("pub-store"));
        }

        RunningEngine a;
        RunningEngine b;
        startEngine(&a, dirA.path(), QStringLiteral("a"), QStringLiteral("127.0.0.31"));
        startEngine(&b, dirB.path(), QStringLiteral("b"), QStringLiteral("127.0.0.32"));
        // B started on its defaults and joins by pulling: it ends up on A's listener, on its own address.
        QTRY_VERIFY_WITH_TIMEOUT(b.loads > 0 && b.loaded.listeners.value(0).port == port, 10000);

        // The GUI's path on A: applyConfig. B applies the change, pushed with NOTIFY.
        ConfigSnapshot changed = cfg;
        QVERIFY(changed.setValue(QString::fromLatin1(rd::config::keys::kMaxRecipients), 77, &why));
        const int before = b.loads;
        QElapsedTimer t;
        t.start();
        QSignalSpy applied(a.engine, &rd::engine::Engine::configApplied);
        QMetaObject::invokeMethod(a.engine, "applyConfig", Qt::QueuedConnection, Q_ARG(rd::config::ConfigSnapshot, changed));
        QVERIFY(applied.wait(10000));
        QTRY_VERIFY_WITH_TIMEOUT(b.loads > before
                                     && b.loaded.intValue(rd::config::keys::kMaxRecipients) == 77,
                                 5000);
        qInfo("applyConfig on A -> applied on B: %lld ms", t.elapsed());
        QVERIFY(t.elapsed() < 2000);

        // The history names who (the OS account running the engine) and where.
        QSqlDatabase store = rd::cluster::StoreLocation::parse(m_admin, &why)->open(QStringLiteral("check"), &why);
        QVERIFY(store.isValid());
        {
            QSqlQuery q(store);
            QVERIFY(q.exec(QStringLiteral("SELECT actor, node, tables FROM config_history ORDER BY revision DESC LIMIT 1")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toString(), rd::engine::Engine::configActor());
            QCOMPARE(q.value(1).toString(), QStringLiteral("a"));
            QCOMPARE(q.value(2).toString(), QStringLiteral("settings"));
        }
        store = QSqlDatabase();
        rd::storage::closeDatabase(QStringLiteral("check"));

        // The overview (Cluster panel) from B: both nodes running on their own addresses.
        QSignalSpy overview(b.engine, &rd::engine::Engine::clusterOverview);
        rd::cluster::ClusterOverview o;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                QMetaObject::invokeMethod(b.engine, &rd::engine::Engine::requestClusterOverview, Qt::QueuedConnection);
                if (!overview.wait(2000))
                    return false;
                o = overview.takeLast().at(0).value<rd::cluster::ClusterOverview>();
                return o.nodes.size() == 2 && o.nodes.at(0).listeners.contains(QLatin1String("127.0.0.31"))
                    && o.nodes.at(1).listeners.contains(QLatin1String("127.0.0.32"));
            }(),
            10000);
        QVERIFY(o.clustered);
        QVERIFY(o.storeUp);
        QCOMPARE(o.thisNode, QStringLiteral("b"));
        QCOMPARE(o.nodes.at(0).state, QStringLiteral("running"));
        QVERIFY(!o.nodes.at(0).silent);
        QVERIFY(o.history.size() >= 2);
        QCOMPARE(o.history.first().node, QStringLiteral("a"));
    }
};

QTEST_GUILESS_MAIN(TestEngineCluster)
#include "tst_enginecluster.moc"

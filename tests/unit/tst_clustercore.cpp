// The pure parts of cluster mode (core/cluster/): the cluster store's address
// (storelocation.h: libpq connection strings into QPSQL settings), the sealing
// of secrets with the cluster key (secretbox.h: AES-256-GCM), the schema's
// PostgreSQL dialect and the Cluster migrations (storage/schema.h), and the
// local bookkeeping of configuration synchronisation on a real SQLite
// config.db (configsync.h). synchronize() itself needs PostgreSQL and is
// tested by the integration tests.

#include "cluster/configsync.h"
#include "cluster/secretbox.h"
#include "cluster/storelocation.h"
#include "storage/database.h"
#include "storage/schema.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using rd::cluster::SecretBox;
using rd::cluster::StoreLocation;
using namespace rd::storage;

namespace {

constexpr QFileDevice::Permissions kClusterTestGroupOther = QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup
    | QFile::ReadOther | QFile::WriteOther | QFile::ExeOther;

bool clusterTestWrite(const QString &path, const QByteArray &data, QFile::Permissions perms)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size() && f.setPermissions(perms);
}

QByteArray clusterTestRead(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestClusterCore : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void parse_data();
    void parse();
    void openUnreachable_data();
    void openUnreachable();
    void keyFile();
    void keyFileRefused();
    void fingerprint();
    void sealRoundTrip_data();
    void sealRoundTrip();
    void openRefuses_data();
    void openRefuses();
    void forBackend_data();
    void forBackend();
    void migrationsArePortable();
    void configSyncLocal();

private:
    QTemporaryDir m_dir;
    SecretBox m_boxA; // from a generated key file
    SecretBox m_boxB; // another key
};

void TestClusterCore::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QString error;
    const QString path = m_dir.filePath(QStringLiteral("a.key"));
    QVERIFY2(SecretBox::generateKeyFile(path, &error), qPrintable(error));
    QVERIFY2(m_boxA.load(path, &error), qPrintable(error));
    QVERIFY2(m_boxB.setKey(QByteArray(32, '\x5a'), &error), qPrintable(error));
    QVERIFY(m_boxA.isLoaded() && m_boxB.isLoaded());
}

// ---- StoreLocation::parse ---------------------------------------------------

void TestClusterCore::parse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");   // substring of the error; empty: must parse
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("database");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<QString>("display");
    QTest::addColumn<QString>("knownBug"); // QEXPECT_FAIL reason, empty if none

    const QString rd = QStringLiteral("relaydesk");
    auto ok = [](const char *tag, const char *text, const QString &host, int port, const QString &db, const QString &user,
                 const QString &pw, const QStringList &opts, const char *display, const char *knownBug = "") {
        QTest::newRow(tag) << QString::fromUtf8(text) << QString() << host << port << db << user << pw << opts
                           << QString::fromUtf8(display) << QString::fromUtf8(knownBug);
    };
    auto bad = [](const char *tag, const char *text, const char *error, const char *knownBug = "") {
        QTest::newRow(tag) << QString::fromUtf8(text) << QString::fromUtf8(error) << QString() << 0 << QString()
                           << QString() << QString() << QStringList() << QString() << QString::fromUtf8(knownBug);
    };

    ok("uri-full",
       "postgresql://rd%40corp:p%40ss%3Aw%2Frd@db1.example.net:6543/relay_cfg?sslmode=verify-full"
       "&sslrootcert=%2Fetc%2Fssl%2Fca.pem&connect_timeout=3&passfile=/root/.pgpass",
       "db1.example.net", 6543, "relay_cfg", "rd@corp", "p@ss:w/rd",
       {"sslmode=verify-full", "sslrootcert=/etc/ssl/ca.pem", "connect_timeout=3", "passfile=/root/.pgpass"},
       "postgresql://rd%40corp@db1.example.net:6543/relay_cfg?sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem"
       "&connect_timeout=3&passfile=/root/.pgpass");
    ok("uri-postgres-scheme-no-path", "postgres://alice@pg.local", "pg.local", 5432, rd, "alice", "", {},
       "postgresql://alice@pg.local:5432/relaydesk");
    ok("uri-root-path", "postgresql://pg.local/", "pg.local", 5432, rd, "", "", {},
       "postgresql://pg.local:5432/relaydesk");
    ok("uri-ipv6", "postgresql://u:pw%20x@[2001:db8::5]:5433/cfg", "2001:db8::5", 5433, "cfg", "u", "pw x", {},
       "postgresql://u@[2001:db8::5]:5433/cfg");
    ok("kv-basic", "host=10.0.0.5 port=5433 dbname=cfg user=rd password=Secr3t sslmode=require", "10.0.0.5", 5433,
       "cfg", "rd", "Secr3t", {"sslmode=require"}, "postgresql://rd@10.0.0.5:5433/cfg?sslmode=require");
    ok("kv-quoted", "  host=db1   user='relay desk'    password='it\\'s a secret'  connect_timeout=4  ", "db1", 5432,
       rd, "relay desk", "it's a secret", {"connect_timeout=4"},
       "postgresql://relay%20desk@db1:5432/relaydesk?connect_timeout=4");
    ok("kv-host-only", "host=db1", "db1", 5432, rd, "", "", {}, "postgresql://db1:5432/relaydesk");

    bad("empty", "", "empty");
    bad("blank", "   ", "empty");
    bad("unknown-kv", "host=db1 sslmod=require", "unknown connection parameter \"sslmod\"");
    bad("unknown-uri", "postgresql://db1/cfg?sslmod=require", "unknown connection parameter \"sslmod\"");
    bad("port-0-kv", "host=db1 port=0", "invalid port \"0\"");
    bad("port-70000-kv", "host=db1 port=70000", "invalid port \"70000\"");
    bad("port-abc-kv", "host=db1 port=abc", "invalid port \"abc\"");
    bad("port-0-uri", "postgresql://db1:0/cfg", "port");
    bad("port-70000-uri", "postgresql://db1:70000/cfg", "not a valid postgresql:// address");
    bad("port-abc-uri", "postgresql://db1:abc/cfg", "not a valid postgresql:// address");
    bad("kv-no-host", "dbname=cfg user=rd", "names no host");
    bad("kv-unterminated-quote", "host=db1 password='abc", "unterminated quote after password=");
    bad("kv-no-equals", "host=db1 garbage", "expected key=value");
    bad("semicolon-kv", "host=db1 application_name=a;sslmode=disable", "may not contain spaces or ';'");
    bad("semicolon-uri", "postgresql://db1/cfg?application_name=a%3Bsslmode%3Ddisable", "may not contain spaces or ';'");
    bad("space-uri", "postgresql://db1/cfg?application_name=a%20sslmode%3Ddisable", "may not contain spaces or ';'");
}

void TestClusterCore::parse()
{
    QFETCH(QString, text);
    QFETCH(QString, error);
    QFETCH(QString, knownBug);
    QString why;
    const std::optional<StoreLocation> loc = StoreLocation::parse(text, &why);
    if (!error.isEmpty()) {
        if (!knownBug.isEmpty())
            QEXPECT_FAIL("", qPrintable(knownBug), Abort);
        QVERIFY2(!loc, loc ? qPrintable(QStringLiteral("accepted: port %1").arg(loc->port)) : "");
        QVERIFY2(why.contains(error), qPrintable(why));
        return;
    }
    QVERIFY2(loc, qPrintable(why));
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, database);
    QFETCH(QString, user);
    QFETCH(QString, password);
    QFETCH(QStringList, options);
    QFETCH(QString, display);
    QCOMPARE(loc->host, host);
    QCOMPARE(loc->port, port);
    QCOMPARE(loc->database, database);
    QCOMPARE(loc->user, user);
    QCOMPARE(loc->password, password);
    QCOMPARE(loc->options, options);
    const QString shown = loc->display();
    if (!password.isEmpty()) {
        QVERIFY2(!shown.contains(password), qPrintable(shown));
        QVERIFY2(!shown.contains(QString::fromLatin1(QUrl::toPercentEncoding(password))), qPrintable(shown));
    }
    if (!knownBug.isEmpty())
        QEXPECT_FAIL("", qPrintable(knownBug), Abort);
    QCOMPARE(shown, display);
    // display() is an address parse() takes back: the same store, without the password.
    const auto back = StoreLocation::parse(shown, &why);
    QVERIFY2(back, qPrintable(why));
    QCOMPARE(back->host, host);
    QCOMPARE(back->port, port);
    QCOMPARE(back->database, database);
    QCOMPARE(back->user, user);
    QCOMPARE(back->password, QString());
    QCOMPARE(back->options, options);
}

// ---- StoreLocation::open ----------------------------------------------------

void TestClusterCore::openUnreachable_data()
{
    QTest::addColumn<bool>("listening"); // a server that accepts and never answers, else a closed port
    QTest::addColumn<int>("minMs");
    QTest::newRow("refused") << false << 0;
    QTest::newRow("silent-server") << true << 1500; // connect_timeout=2 must be what libpq waits
}

void TestClusterCore::openUnreachable()
{
    QFETCH(bool, listening);
    QFETCH(int, minMs);
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const quint16 port = server.serverPort();
    if (!listening)
        server.close();
    const QString pw = QStringLiteral("Do-Not-Leak-9f3c");
    QString error;
    const auto loc = StoreLocation::parse(
        QStringLiteral("host=127.0.0.1 port=%1 user=rd password=%2 dbname=cfg connect_timeout=2").arg(port).arg(pw),
        &error);
    QVERIFY2(loc, qPrintable(error));
    const QString name = QStringLiteral("tst-clustercore-unreachable");
    QElapsedTimer timer;
    timer.start();
    QSqlDatabase db = loc->open(name, &error);
    const qint64 ms = timer.elapsed();
    QVERIFY(!db.isValid());
    QVERIFY(!db.isOpen());
    QVERIFY(!QSqlDatabase::contains(name));
    QVERIFY2(!error.contains(QLatin1String("not installed")), qPrintable(error));
    QVERIFY2(error.contains(QLatin1String("cannot connect to the cluster store ") + loc->display()), qPrintable(error));
    QVERIFY2(!error.contains(pw), qPrintable(error));
    QVERIFY2(ms < 5000, qPrintable(QString::number(ms)));
    QVERIFY2(ms >= minMs, qPrintable(QString::number(ms)));
}

// ---- SecretBox ----------------------------------------------------------------

void TestClusterCore::keyFile()
{
    const QString path = m_dir.filePath(QStringLiteral("keyfile.key"));
    QString error;
    QVERIFY2(SecretBox::generateKeyFile(path, &error), qPrintable(error));
    const QFile::Permissions perms = QFile::permissions(path);
    QVERIFY(perms & QFile::ReadOwner);
    QVERIFY(perms & QFile::WriteOwner);
    QCOMPARE(perms & kClusterTestGroupOther, QFile::Permissions());

    const QByteArray before = clusterTestRead(path);
    QVERIFY(!before.isEmpty());
    QVERIFY(!SecretBox::generateKeyFile(path, &error));
    QVERIFY2(error.contains(QLatin1String("already exists")), qPrintable(error));
    QCOMPARE(clusterTestRead(path), before);

    SecretBox box;
    QVERIFY2(box.load(path, &error), qPrintable(error));
    QVERIFY(box.isLoaded());
}

void TestClusterCore::keyFileRefused()
{
    QString error;
    const QString open = m_dir.filePath(QStringLiteral("readable.key"));
    QVERIFY2(SecretBox::generateKeyFile(open, &error), qPrintable(error));
    QVERIFY(QFile::setPermissions(open, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther));
    SecretBox box;
    QVERIFY(!box.load(open, &error));
    QVERIFY2(error.contains(QLatin1String("chmod")), qPrintable(error));
    QVERIFY(!box.isLoaded());

    const QString shortKey = m_dir.filePath(QStringLiteral("short.key"));
    QVERIFY(clusterTestWrite(shortKey, "# a key\n" + QByteArray(16, '\x11').toBase64() + '\n',
                             QFile::ReadOwner | QFile::WriteOwner));
    QVERIFY(!box.load(shortKey, &error));
    QVERIFY2(error.contains(QLatin1String("expected 32 bytes")), qPrintable(error));
    QVERIFY(!box.isLoaded());

    QVERIFY(!box.load(m_dir.filePath(QStringLiteral("missing.key")), &error));
    QVERIFY2(error.contains(QLatin1String("cannot read the cluster key")), qPrintable(error));
}

void TestClusterCore::fingerprint()
{
    QString error;
    SecretBox again;
    QVERIFY2(again.load(m_dir.filePath(QStringLiteral("a.key")), &error), qPrintable(error));
    QCOMPARE(again.fingerprint(), m_boxA.fingerprint());
    QVERIFY(m_boxA.fingerprint() != m_boxB.fingerprint());
    static const QRegularExpression form(QStringLiteral("^sha256:[0-9a-f]{32}$"));
    QVERIFY2(form.match(m_boxA.fingerprint()).hasMatch(), qPrintable(m_boxA.fingerprint()));
    QVERIFY2(form.match(m_boxB.fingerprint()).hasMatch(), qPrintable(m_boxB.fingerprint()));
    // Does not reveal the key.
    QVERIFY(!m_boxB.fingerprint().contains(QString::fromLatin1(QByteArray(32, '\x5a').toHex().left(16))));
}

void TestClusterCore::sealRoundTrip_data()
{
    QTest::addColumn<QString>("plain");
    QTest::newRow("ascii") << QStringLiteral("smarthost-password-1234");
    QTest::newRow("utf8") << QStringLiteral(u"Grüße, 密码 🔑 — ça va");
    QString big;
    for (int i = 0; big.size() < 100 * 1024; ++i)
        big += QStringLiteral("line %1 of a DKIM private key é\n").arg(i);
    QTest::newRow("100k") << big;
}

void TestClusterCore::sealRoundTrip()
{
    QFETCH(QString, plain);
    const QString ctx = QStringLiteral("send_connectors.auth_password[1]");
    const QString sealed = m_boxA.seal(plain, ctx);
    QVERIFY(SecretBox::isSealed(sealed));
    QVERIFY(sealed.startsWith(QLatin1String("rdenc1:")));
    QVERIFY(!sealed.contains(plain.left(16)));
    const QString again = m_boxA.seal(plain, ctx);
    QVERIFY(again != sealed); // a fresh nonce each time
    QString error;
    const auto back = m_boxA.open(sealed, ctx, &error);
    QVERIFY2(back, qPrintable(error));
    QCOMPARE(*back, plain);
    QCOMPARE(m_boxA.open(again, ctx, &error).value_or(QString()), plain);

    // Empty stays empty, both ways.
    QCOMPARE(m_boxA.seal(QString(), ctx), QString());
    const auto empty = m_boxA.open(QString(), ctx, &error);
    QVERIFY(empty && empty->isEmpty());
    // No key, no sealing.
    QCOMPARE(SecretBox().seal(plain, ctx), QString());
}

void TestClusterCore::openRefuses_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("otherKey");
    QTest::addColumn<QString>("error");
    const QString ctx = QStringLiteral("dkim_keys.private_key[example.org/s1]");
    const QString sealed = m_boxA.seal(QStringLiteral("-----BEGIN PRIVATE KEY-----\nMIIEv..."), ctx);
    QVERIFY(sealed.size() > 40);
    const QString notOpen = QStringLiteral("does not open with this node's cluster key");

    QTest::newRow("wrong-context") << m_boxA.seal(QStringLiteral("x"), QStringLiteral("dkim_keys.private_key[other/s1]"))
                                   << false << notOpen;
    QTest::newRow("other-key") << sealed << true << notOpen;
    QString tampered = sealed;
    const int mid = 7 + (sealed.size() - 7) / 2;
    tampered[mid] = tampered.at(mid) == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
    QTest::newRow("tampered") << tampered << false << notOpen;
    QTest::newRow("truncated") << sealed.left(sealed.size() - 4) << false << notOpen;
    QTest::newRow("truncated-short") << sealed.left(7 + 16) << false << QStringLiteral("damaged");
    QTest::newRow("clear-text") << QStringLiteral("hunter2") << false << QStringLiteral("stored in clear");
    QTest::newRow("not-base64") << QStringLiteral("rdenc1:@@@@####!!!!") << false << QStringLiteral("damaged");
}

void TestClusterCore::openRefuses()
{
    QFETCH(QString, value);
    QFETCH(bool, otherKey);
    QFETCH(QString, error);
    const QString ctx = QStringLiteral("dkim_keys.private_key[example.org/s1]");
    QString why;
    const auto plain = (otherKey ? m_boxB : m_boxA).open(value, ctx, &why);
    QVERIFY2(!plain, qPrintable(plain.value_or(QString())));
    QVERIFY2(why.contains(error), qPrintable(why));
    QVERIFY2(why.contains(ctx), qPrintable(why));
}

// ---- schema -----------------------------------------------------------------

void TestClusterCore::forBackend_data()
{
    QTest::addColumn<QString>("statement");
    QTest::addColumn<int>("backend");
    QTest::addColumn<QString>("expected");
    const QString idStmt = QStringLiteral("CREATE TABLE events (id INTEGER PRIMARY KEY, ts BIGINT NOT NULL)");
    const QString posStmt = QStringLiteral("CREATE TABLE rate_limits (position INTEGER PRIMARY KEY, scope TEXT NOT NULL)");
    QTest::newRow("pg-id") << idStmt << int(Backend::Postgres)
                           << QStringLiteral("CREATE TABLE events (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                                             " ts BIGINT NOT NULL)");
    QTest::newRow("pg-position") << posStmt << int(Backend::Postgres) << posStmt;
    QTest::newRow("sqlite-id") << idStmt << int(Backend::Sqlite) << idStmt;
    QTest::newRow("sqlite-position") << posStmt << int(Backend::Sqlite) << posStmt;
}

void TestClusterCore::forBackend()
{
    QFETCH(QString, statement);
    QFETCH(int, backend);
    QFETCH(QString, expected);
    QCOMPARE(rd::storage::forBackend(statement, Backend(backend)), expected);
}

void TestClusterCore::migrationsArePortable()
{
    QCOMPARE(versionKey(DbKind::Config), QStringLiteral("schema_version"));
    QVERIFY(!versionKey(DbKind::Cluster).isEmpty());
    QVERIFY(versionKey(DbKind::Cluster) != versionKey(DbKind::Config));
    QVERIFY(latestVersion(DbKind::Cluster) >= 1);
    QVERIFY(!migrations(DbKind::Cluster).isEmpty());

    int statements = 0;
    for (const DbKind kind : {DbKind::Config, DbKind::Cluster}) {
        int previous = 0;
        for (const Migration &m : migrations(kind)) {
            QVERIFY(m.version > previous);
            previous = m.version;
            for (const QString &s : m.statements) {
                const QString pg = rd::storage::forBackend(s, Backend::Postgres);
                for (const char *word : {"AUTOINCREMENT", "INSERT OR", "PRAGMA", "(id INTEGER PRIMARY KEY,"})
                    QVERIFY2(!pg.contains(QLatin1String(word), Qt::CaseInsensitive), qPrintable(pg));
                ++statements;
            }
        }
        QCOMPARE(previous, latestVersion(kind));
    }
    QVERIFY(statements > 20);
}

// ---- configsync on SQLite -------------------------------------------------------

void TestClusterCore::configSyncLocal()
{
    const QStringList shared = rd::cluster::sharedTables();
    for (const char *t : {"settings", "users", "dkim_keys", "listeners"})
        QVERIFY2(shared.contains(QLatin1String(t)), t);
    for (const char *t : {"rate_counters", "greylist", "cluster_sync"})
        QVERIFY2(!shared.contains(QLatin1String(t)), t);
    QCOMPARE(QSet<QString>(shared.begin(), shared.end()).size(), shared.size());

    QTemporaryDir data;
    QVERIFY(data.isValid());
    const QString name = QStringLiteral("tst-clustercore-config");
    QString error;
    {
        QSqlDatabase db = openDatabase(data.path(), DbKind::Config, name, {true, Durability::Full}, &error);
        QVERIFY2(db.isOpen(), qPrintable(error));
        const QStringList tables = db.tables();
        for (const QString &t : shared)
            QVERIFY2(tables.contains(t), qPrintable(t)); // every shared table exists locally
        QVERIFY(tables.contains(QLatin1String("cluster_sync")));

        QCOMPARE(rd::cluster::localRevision(db), qint64(-1));
        error.clear();
        QCOMPARE(rd::cluster::locallyChangedTables(db, &error), QStringList());
        QVERIFY2(error.isEmpty(), qPrintable(error));

        QSqlQuery q(db);
        QVERIFY2(q.exec(QStringLiteral("INSERT INTO cluster_sync (name, value) VALUES ('revision', '5')")),
                 qPrintable(q.lastError().text()));
        QCOMPARE(rd::cluster::localRevision(db), qint64(5));
        // A revision but no table hashes recorded: every shared table counts as changed.
        QStringList changed = rd::cluster::locallyChangedTables(db, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(changed, shared);
    }
    closeDatabase(name);
}

QTEST_GUILESS_MAIN(TestClusterCore)
#include "tst_clustercore.moc"

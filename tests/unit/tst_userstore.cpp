// The SMTP AUTH user store in config.db.
#include "auth/passwordhash.h"
#include "auth/userstore.h"
#include "storage/database.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace rd::auth;
using namespace rd::storage;

namespace {

constexpr int kTestIterations = 1000;

// Reads a column of one user straight from the database (what list() must hide).
QString rawHash(const QString &dir, const QString &name)
{
    const QString conn = uniqueConnectionName(QStringLiteral("tst-raw"));
    QString hash;
    {
        QString error;
        QSqlDatabase db = openDatabase(dir, DbKind::Config, conn, {}, &error);
        QSqlQuery q(db);
        q.prepare(QStringLiteral("SELECT password_hash FROM users WHERE name = ?"));
        q.addBindValue(name);
        if (q.exec() && q.next())
            hash = q.value(0).toString();
    }
    closeDatabase(conn);
    return hash;
}

} // namespace

class TestUserStore : public QObject {
    Q_OBJECT
private slots:
    void schemaBecomesVersion2()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        UserStore store(dir.path(), kTestIterations);
        QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
        // Version 2 is the users table; later migrations (other features) may follow.
        QVERIFY(latestVersion(DbKind::Config) >= 2);
        QCOMPARE(migrations(DbKind::Config).at(1).version, 2);
        QVERIFY(migrations(DbKind::Config).at(1).statements.first().startsWith(QStringLiteral("CREATE TABLE users")));
        const QString conn = uniqueConnectionName(QStringLiteral("tst-schema"));
        {
            QString error;
            QSqlDatabase db = openDatabase(dir.path(), DbKind::Config, conn, {}, &error);
            QVERIFY2(db.isOpen(), qPrintable(error));
            QVERIFY(schemaVersion(db) >= 2);
            QCOMPARE(schemaVersion(db), latestVersion(DbKind::Config));
            QVERIFY(db.tables().contains(QStringLiteral("users")));
            QVERIFY(db.tables().contains(QStringLiteral("settings")));
        }
        closeDatabase(conn);
    }

    void upgradesAVersion1Database()
    {
        QTemporaryDir dir;
        // A config.db as the first release wrote it: version 1, one setting.
        const QString conn = uniqueConnectionName(QStringLiteral("tst-v1"));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), conn);
            db.setDatabaseName(dir.filePath(QStringLiteral("config.db")));
            QVERIFY(db.open());
            QSqlQuery q(db);
            for (const QString &sql : migrations(DbKind::Config).first().statements)
                QVERIFY(q.exec(sql));
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE schema_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO schema_meta VALUES ('schema_version', '1')")));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO settings VALUES ('smtp.max_recipients', '7')")));
            db.close();
        }
        QSqlDatabase::removeDatabase(conn);

        UserStore store(dir.path(), kTestIterations);
        QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
        QString error;
        QVERIFY2(store.addUser(QStringLiteral("alice"), QStringLiteral("pw-alice-1"), true, &error), qPrintable(error));
        const QString check = uniqueConnectionName(QStringLiteral("tst-v1b"));
        {
            QSqlDatabase db = openDatabase(dir.path(), DbKind::Config, check, {}, &error);
            QCOMPARE(schemaVersion(db), latestVersion(DbKind::Config));
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("SELECT value FROM settings WHERE key = 'smtp.max_recipients'")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("7"));
        }
        closeDatabase(check);
    }

    void addListAndNoHash()
    {
        QTemporaryDir dir;
        UserStore store(dir.path(), kTestIterations);
        QString error;
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        QVERIFY2(store.addUser(QStringLiteral("Alice"), QStringLiteral("s3cret pass"), true, &error),
                 qPrintable(error));
        QVERIFY(store.addUser(QStringLiteral("bob@example.com"), QStringLiteral("another one"), false, &error));
        const QList<UserInfo> users = store.list(&error);
        QCOMPARE(users.size(), 2);
        QCOMPARE(users.at(0).name, QStringLiteral("Alice"));
        QCOMPARE(users.at(1).name, QStringLiteral("bob@example.com"));
        const UserInfo &a = users.at(0);
        QVERIFY(a.enabled);
        QVERIFY(a.mayRelay);
        QVERIFY(!users.at(1).mayRelay);
        QVERIFY(a.created.isValid());
        QCOMPARE(a.created.timeSpec(), Qt::UTC);
        QVERIFY(a.created.toMSecsSinceEpoch() >= before);
        QVERIFY(a.created.toMSecsSinceEpoch() <= QDateTime::currentMSecsSinceEpoch());
        QVERIFY(a.lastLogin.isNull());
        QCOMPARE(a.lastLoginIp, QString());
        QCOMPARE(a.note, QString());

        // The stored hash is a PBKDF2 encoding of the password and never appears in list().
        const QString hash = rawHash(dir.path(), QStringLiteral("Alice"));
        QVERIFY(hash.startsWith(QStringLiteral("pbkdf2-sha256$1000$")));
        QVERIFY(verifyPassword("s3cret pass", hash));
        QVERIFY(!hash.contains(QStringLiteral("s3cret")));
        for (const UserInfo &u : users) {
            for (const QString &field : {u.name, u.lastLoginIp, u.note}) {
                QVERIFY(!field.contains(QStringLiteral("pbkdf2")));
                QVERIFY(!field.contains(hash.section(QLatin1Char('$'), 3, 3)));
            }
        }
        QCOMPARE(*store.passwordHashFor(QStringLiteral("alice")), hash);
    }

    void caseInsensitiveNames()
    {
        QTemporaryDir dir;
        UserStore store(dir.path(), kTestIterations);
        QString error;
        QVERIFY(store.addUser(QStringLiteral("Alice"), QStringLiteral("pw-1"), true, &error));
        QVERIFY(!store.addUser(QStringLiteral("alice"), QStringLiteral("pw-2"), true, &error));
        QCOMPARE(error, QStringLiteral("A user named \"Alice\" already exists."));
        QVERIFY(!store.addUser(QStringLiteral("ALICE"), QStringLiteral("pw-2"), true, &error));
        // Unicode folding, not only ASCII.
        QVERIFY(store.addUser(QStringLiteral("ÄRGER"), QStringLiteral("pw-3"), true, &error));
        QVERIFY(!store.addUser(QStringLiteral("ärger"), QStringLiteral("pw-4"), true, &error));
        QCOMPARE(store.list().size(), 2);
        // Every method accepts any spelling; the stored one is reported.
        const auto rec = store.authRecord(QStringLiteral("aLiCe"));
        QVERIFY(rec.has_value());
        QCOMPARE(rec->name, QStringLiteral("Alice"));
        QCOMPARE(store.authRecord(QStringLiteral("ärger"))->name, QStringLiteral("ÄRGER"));
        QVERIFY(store.setEnabled(QStringLiteral("ALICE"), false, &error));
        QCOMPARE(*store.isEnabled(QStringLiteral("alice")), false);
    }

    void nameValidation_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("errorPart");
        QTest::newRow("empty") << QString() << "empty";
        QTest::newRow("too long") << QString(257, QLatin1Char('a')) << "256";
        QTest::newRow("newline") << QStringLiteral("a\nb") << "control";
        QTest::newRow("cr") << QStringLiteral("a\rb") << "control";
        QTest::newRow("tab") << QStringLiteral("a\tb") << "control";
        QTest::newRow("NUL") << QString(QStringLiteral("ab")).insert(1, QChar(0)) << "control";
        QTest::newRow("DEL") << QStringLiteral("a\x7f") << "control";
        QTest::newRow("C1") << QStringLiteral("a\u0085b") << "control";
        QTest::newRow("bidi override") << QStringLiteral("a\u202eb") << "control";
        QTest::newRow("line separator") << QStringLiteral("a\u2028b") << "control";
        QTest::newRow("leading space") << QStringLiteral(" alice") << "space";
        QTest::newRow("trailing space") << QStringLiteral("alice ") << "space";
        QTest::newRow("lone surrogate") << QString(QChar(0xd800)) + QStringLiteral("x") << "invalid";
    }
    void nameValidation()
    {
        QFETCH(QString, name);
        QFETCH(QString, errorPart);
        const QString why = UserStore::validateName(name);
        QVERIFY2(why.contains(errorPart, Qt::CaseInsensitive), qPrintable(why));
        QTemporaryDir dir;
        UserStore store(dir.path(), kTestIterations);
        QString error;
        QVERIFY(!store.addUser(name, QStringLiteral("pw"), true, &error));
        QCOMPARE(error, why);
        QVERIFY(store.list().isEmpty());
    }

    void acceptableNames()
    {
        QVERIFY(UserStore::validateName(QString(256, QLatin1Char('a'))).isNull());
        QVERIFY(UserStore::validateName(QStringLiteral("a")).isNull());
        QVERIFY(UserStore::validateName(QStringLiteral("printer 2nd floor")).isNull());
        QVERIFY(UserStore::validateName(QStringLiteral("jürgen@例え.jp")).isNull());
        QVERIFY(UserStore::validateName(QStringLiteral("emoji\U0001F600")).isNull());
    }

    void passwordValidation()
    {
        QTemporaryDir dir;
        UserStore store(dir.path(), kTestIterations);
        QString error;
        QVERIFY(!store.addUser(QStringLiteral("alice"), QString(), true, &error));
        QCOMPARE(error, QStringLiteral("The password is empty."));
        QVERIFY(!store.addUser(QStringLiteral("alice"), QString(QStringLiteral("ab")).insert(1, QChar(0)), true, &error));
        QVERIFY(error.contains(QStringLiteral("NUL")));
        QVERIFY(!store.addUser(QStringLiteral("alice"), QString(1025, QLatin1Char('p')), true, &error));
        QVERIFY(error.contains(QStringLiteral("1024")));
        QVERIFY(store.list().isEmpty());
        QVERIFY(store.addUser(QStringLiteral("alice"), QString(1024, QLatin1Char('p')), true, &error));
    }

    void updates()
    {
        QTemporaryDir dir;
        UserStore store(dir.path(), kTestIterations);
        QString error;
        QVERIFY(store.addUser(QStringLiteral("carol"), QStringLiteral("first-pw"), true, &error));
        const QString oldHash = *store.passwordHashFor(QStringLiteral("carol"));

        QVERIFY(store.setPassword(QStringLiteral("Carol"), QStringLiteral("second-pw"), &error));
        const QString newHash = *store.passwordHashFor(QStringLiteral("carol"));
        QVERIFY(newHash != oldHash);
        QVERIFY(verifyPassword("second-pw", newHash));
        QVERIFY(!verifyPassword("first-pw", newHash));
        QVERIFY(!store.setPassword(QStringLiteral("carol"), QString(), &error));
        QVERIFY(!store.setPassword(QStringLiteral("nobody"), QStringLiteral("x"), &error));
        QCOMPARE(error, QStringLiteral("There is no user named \"nobody\"."));

        QVERIFY(store.setEnabled(QStringLiteral("carol"), false, &error));
        QVERIFY(store.setMayRelay(QStringLiteral("carol"), false, &error));
        QVERIFY(store.setNote(QStringLiteral("carol"), QStringLiteral("scanner on floor 2"), &error));
        auto u = store.user(QStringLiteral("CAROL"));
        QVERIFY(u.has_value());
        QVERIFY(!u->enabled);
        QVERIFY(!u->mayRelay);
        QCOMPARE(u->note, QStringLiteral("scanner on floor 2"));
        QCOMPARE(*store.mayRelay(QStringLiteral("carol")), false);
        QVERIFY(store.setNote(QStringLiteral("carol"), QString(), &error)); // null note binds as ''
        QCOMPARE(store.user(QStringLiteral("carol"))->note, QString());
        QVERIFY(store.setEnabled(QStringLiteral("carol"), true, &error));
        QCOMPARE(*store.isEnabled(QStringLiteral("carol")), true);

        // Stored-hash replacement guarded by the previous value.
        const QString third = hashPassword("third-pw", kTestIterations);
        QVERIFY(!store.setPasswordHash(QStringLiteral("carol"), third, oldHash, &error));
        QVERIFY(error.contains(QStringLiteral("changed meanwhile")));
        QVERIFY(store.setPasswordHash(QStringLiteral("carol"), third, newHash, &error));
        QCOMPARE(*store.passwordHashFor(QStringLiteral("carol")), third);
        QVERIFY(!store.setPasswordHash(QStringLiteral("carol"), QStringLiteral("garbage"), {}, &error));

        for (auto op : {&UserStore::setEnabled, &UserStore::setMayRelay}) {
            QVERIFY(!(store.*op)(QStringLiteral("nobody"), true, &error));
            QCOMPARE(error, QStringLiteral("There is no user named \"nobody\"."));
        }
    }

    void removeUsers()
    {
        QTemporaryDir dir;
        UserStore store(dir.path(), kTestIterations);
        QString error;
        QVERIFY(store.addUser(QStringLiteral("dave"), QStringLiteral("pw-dave"), true, &error));
        QVERIFY(store.addUser(QStringLiteral("erin"), QStringLiteral("pw-erin"), true, &error));
        QVERIFY(store.removeUser(QStringLiteral("DAVE"), &error));
        QCOMPARE(store.list().size(), 1);
        QVERIFY(!store.authRecord(QStringLiteral("dave")).has_value());
        QVERIFY(!store.removeUser(QStringLiteral("dave"), &error));
        QCOMPARE(error, QStringLiteral("There is no user named \"dave\"."));
        // The name is free again.
        QVERIFY(store.addUser(QStringLiteral("Dave"), QStringLiteral("pw-dave-2"), true, &error));
    }

    void loginStamp()
    {
        QTemporaryDir dir;
        UserStore store(dir.path(), kTestIterations);
        QString error;
        QVERIFY(store.addUser(QStringLiteral("frank"), QStringLiteral("pw-frank"), true, &error));
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        QVERIFY2(store.recordLogin(QStringLiteral("Frank"), QStringLiteral("2001:db8::5"), &error), qPrintable(error));
        const UserInfo u = *store.user(QStringLiteral("frank"));
        QVERIFY(u.lastLogin.isValid());
        QVERIFY(u.lastLogin.toMSecsSinceEpoch() >= before);
        QCOMPARE(u.lastLoginIp, QStringLiteral("2001:db8::5"));
        QVERIFY(!store.recordLogin(QStringLiteral("nobody"), QStringLiteral("192.0.2.1"), &error));
    }

    void unknownLookups()
    {
        QTemporaryDir dir;
        UserStore store(dir.path(), kTestIterations);
        QVERIFY(!store.authRecord(QStringLiteral("x")).has_value());
        QVERIFY(!store.authRecord(QString()).has_value());
        QVERIFY(!store.passwordHashFor(QStringLiteral("x")).has_value());
        QVERIFY(!store.isEnabled(QStringLiteral("x")).has_value());
        QVERIFY(!store.mayRelay(QStringLiteral("x")).has_value());
        QVERIFY(!store.user(QStringLiteral("x")).has_value());
    }

    void persistsAcrossReopen()
    {
        QTemporaryDir dir;
        {
            UserStore store(dir.path(), kTestIterations);
            QString error;
            QVERIFY(store.addUser(QStringLiteral("gina"), QStringLiteral("pw-gina"), false, &error));
            QVERIFY(store.setNote(QStringLiteral("gina"), QStringLiteral("n"), &error));
        }
        UserStore again(dir.path(), kTestIterations);
        const auto u = again.user(QStringLiteral("gina"));
        QVERIFY(u.has_value());
        QVERIFY(!u->mayRelay);
        QCOMPARE(u->note, QStringLiteral("n"));
        QVERIFY(verifyPassword("pw-gina", *again.passwordHashFor(QStringLiteral("gina"))));
    }

    void twoStoresSeeEachOther()
    {
        QTemporaryDir dir;
        UserStore a(dir.path(), kTestIterations);
        UserStore b(dir.path(), kTestIterations);
        QString error;
        QVERIFY(a.addUser(QStringLiteral("hank"), QStringLiteral("pw-hank"), true, &error));
        QVERIFY(!b.addUser(QStringLiteral("HANK"), QStringLiteral("pw-x"), true, &error));
        QVERIFY(b.setEnabled(QStringLiteral("hank"), false, &error));
        QCOMPARE(*a.isEnabled(QStringLiteral("hank")), false);
    }

    void unusableDataDir()
    {
        UserStore store(QStringLiteral("/nonexistent/relaydesk-test/dir"), kTestIterations);
        QVERIFY(!store.isOpen());
        QVERIFY(!store.errorString().isEmpty());
        QString error;
        QVERIFY(!store.addUser(QStringLiteral("x"), QStringLiteral("y"), true, &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(store.list(&error).isEmpty());
        QVERIFY(!store.authRecord(QStringLiteral("x")).has_value());
    }
};

QTEST_GUILESS_MAIN(TestUserStore)
#include "tst_userstore.moc"

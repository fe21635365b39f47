// rd::policy::Greylist with an injected clock: the triplet rules (first
// sight, early retry, pass after the delay, retry window, expiry), auto-pass,
// /24 and /64 grouping, BATV normalisation, the memory bound, and persistence
// in a real config.db (schema v8, opened through rd::storage::openDatabase)
// checked with plain SQL.

#include "policy/greylist.h"
#include "storage/database.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace rd;
using namespace rd::policy;

namespace {

constexpr qint64 kT0 = 1700000000000; // a wall-clock time in ms
constexpr qint64 kSec = 1000;
constexpr qint64 kDay = 86400 * kSec;

QHostAddress ip(const char *text)
{
    return QHostAddress(QString::fromLatin1(text));
}

GreylistParams params()
{
    GreylistParams p;
    p.delaySeconds = 300;
    p.retryWindowSeconds = 3600;
    p.expiryDays = 2;
    return p;
}

// Rows of the greylist table as "net|sender|recipient|first|last|passed", sorted.
QStringList tableRows(QSqlDatabase &db)
{
    QStringList out;
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT client_net, sender, recipient, first_seen, last_seen, passed FROM greylist")))
        return {QStringLiteral("error: ") + q.lastError().text()};
    while (q.next()) {
        QStringList f;
        for (int i = 0; i < 6; ++i)
            f << q.value(i).toString();
        out << f.join(QLatin1Char('|'));
    }
    out.sort();
    return out;
}

} // namespace

class TstGreylist : public QObject {
    Q_OBJECT

private slots:
    void keys()
    {
        QCOMPARE(Greylist::clientNetwork(ip("192.0.2.77")), QStringLiteral("192.0.2.0/24"));
        QCOMPARE(Greylist::clientNetwork(ip("::ffff:192.0.2.77")), QStringLiteral("192.0.2.0/24"));
        QCOMPARE(Greylist::clientNetwork(ip("2001:db8:1:2:3:4:5:6")), QStringLiteral("2001:db8:1:2::/64"));
        QCOMPARE(Greylist::clientNetwork(ip("::1")), QStringLiteral("::/64"));
        QVERIFY(!Greylist::clientNetwork(QHostAddress()).isEmpty());

        QCOMPARE(Greylist::normalizedSender(QStringLiteral("prvs=1234567890=User@Example.COM")),
                 QStringLiteral("user@example.com"));
        QCOMPARE(Greylist::normalizedSender(QStringLiteral("<PRVS=0123ABCDEF=bounce-7@lists.example>")),
                 QStringLiteral("bounce-7@lists.example"));
        QCOMPARE(Greylist::normalizedSender(QStringLiteral("msprvs1=17890abcdef=bounces-x@ex.com")),
                 QStringLiteral("bounces-x@ex.com"));
        // Not BATV: left alone.
        QCOMPARE(Greylist::normalizedSender(QStringLiteral("prvs@example.com")), QStringLiteral("prvs@example.com"));
        QCOMPARE(Greylist::normalizedSender(QStringLiteral("prvsx=1=a@b.example")),
                 QStringLiteral("prvsx=1=a@b.example"));
        QCOMPARE(Greylist::normalizedSender(QString()), QStringLiteral("<>"));
        QCOMPARE(Greylist::normalizedSender(QStringLiteral("<>")), QStringLiteral("<>"));
        QCOMPARE(Greylist::normalizedRecipient(QStringLiteral(" <Rcpt@Example.ORG> ")),
                 QStringLiteral("rcpt@example.org"));
    }

    void delayAndRetry()
    {
        Greylist g(params());
        const QHostAddress c = ip("198.51.100.7");
        const QString s = QStringLiteral("alice@sender.example");
        const QString r = QStringLiteral("bob@rcpt.example");

        GreylistDecision d = g.check(c, s, r, kT0);
        QCOMPARE(d.verdict, GreylistDecision::Defer);
        QCOMPARE(d.secondsLeft, 300);
        QCOMPARE(d.reason, QStringLiteral("new"));
        QCOMPARE(g.stats().triplets, 1);
        QCOMPARE(g.stats().pending, 1);

        // Early retries do not move the first sight.
        d = g.check(c, s, r, kT0 + 100 * kSec);
        QCOMPARE(d.verdict, GreylistDecision::Defer);
        QCOMPARE(d.secondsLeft, 200);
        QCOMPARE(d.reason, QStringLiteral("early retry"));
        d = g.check(c, s, r, kT0 + 299 * kSec + 500);
        QCOMPARE(d.verdict, GreylistDecision::Defer);
        QCOMPARE(d.secondsLeft, 1);

        d = g.check(c, s, r, kT0 + 300 * kSec);
        QCOMPARE(d.verdict, GreylistDecision::Pass);
        QCOMPARE(d.reason, QStringLiteral("retried"));
        QCOMPARE(g.stats().pending, 0);
        d = g.check(c, s, r, kT0 + 5 * kDay / 4); // passed triplets outlive the retry window
        QVERIFY(d.pass());
        QCOMPARE(d.reason, QStringLiteral("passed"));
        QCOMPARE(g.stats().triplets, 1);
    }

    void retryWindowExpires()
    {
        Greylist g(params());
        const QHostAddress c = ip("198.51.100.7");
        QCOMPARE(g.check(c, QStringLiteral("a@x.example"), QStringLiteral("r@y.example"), kT0).reason,
                 QStringLiteral("new"));
        // Too late: starts over.
        GreylistDecision d = g.check(c, QStringLiteral("a@x.example"), QStringLiteral("r@y.example"),
                                     kT0 + 3601 * kSec);
        QCOMPARE(d.verdict, GreylistDecision::Defer);
        QCOMPARE(d.reason, QStringLiteral("retry window expired"));
        QCOMPARE(d.secondsLeft, 300);
        QVERIFY(!g.check(c, QStringLiteral("a@x.example"), QStringLiteral("r@y.example"), kT0 + 3800 * kSec).pass());
        QVERIFY(g.check(c, QStringLiteral("a@x.example"), QStringLiteral("r@y.example"), kT0 + 3901 * kSec).pass());
        // Exactly at the end of the window still counts (another sender
        // domain: x.example auto-passes now).
        QVERIFY(!g.check(c, QStringLiteral("b@z.example"), QStringLiteral("r@y.example"), kT0).pass());
        QCOMPARE(g.check(c, QStringLiteral("b@z.example"), QStringLiteral("r@y.example"), kT0 + 3600 * kSec).reason,
                 QStringLiteral("retried"));
    }

    void passedTripletsExpire()
    {
        Greylist g(params());
        const QHostAddress c = ip("203.0.113.9");
        const QString s = QStringLiteral("a@x.example");
        const QString r = QStringLiteral("r@y.example");
        g.check(c, s, r, kT0);
        QVERIFY(g.check(c, s, r, kT0 + 300 * kSec).pass());
        // Each use extends the life by the expiry (2 days).
        QVERIFY(g.check(c, s, r, kT0 + 300 * kSec + 2 * kDay).pass());
        QVERIFY(g.check(c, s, r, kT0 + 300 * kSec + 4 * kDay).pass());
        const GreylistDecision d = g.check(c, s, r, kT0 + 300 * kSec + 6 * kDay + 1);
        QCOMPARE(d.verdict, GreylistDecision::Defer);
        QCOMPARE(d.reason, QStringLiteral("new"));
    }

    void autoPass()
    {
        Greylist g(params());
        const QString s = QStringLiteral("news@lists.example");
        g.check(ip("192.0.2.10"), s, QStringLiteral("r1@y.example"), kT0);
        g.check(ip("192.0.2.20"), QStringLiteral("late@lists.example"), QStringLiteral("r4@y.example"), kT0 + 200 * kSec);
        QVERIFY(g.check(ip("192.0.2.10"), s, QStringLiteral("r1@y.example"), kT0 + 400 * kSec).pass());
        QCOMPARE(g.stats().autoPassNets, 1);

        // Same network and sender domain: new recipients and senders pass at once.
        GreylistDecision d = g.check(ip("192.0.2.11"), s, QStringLiteral("r2@y.example"), kT0 + 500 * kSec);
        QVERIFY(d.pass());
        QCOMPARE(d.reason, QStringLiteral("auto-pass"));
        QVERIFY(g.check(ip("192.0.2.12"), QStringLiteral("prvs=0000000000=Other@Lists.Example"),
                        QStringLiteral("r3@y.example"), kT0 + 500 * kSec).pass());
        // Another network, another domain (even a subdomain): greylisted.
        QVERIFY(!g.check(ip("192.0.3.10"), s, QStringLiteral("r2@y.example"), kT0 + 500 * kSec).pass());
        QVERIFY(!g.check(ip("192.0.2.10"), QStringLiteral("x@sub.lists.example"), QStringLiteral("r2@y.example"),
                         kT0 + 500 * kSec).pass());
        // A triplet of the pair still waiting passes at its next attempt.
        QCOMPARE(g.check(ip("192.0.2.20"), QStringLiteral("late@lists.example"), QStringLiteral("r4@y.example"),
                         kT0 + 450 * kSec).reason,
                 QStringLiteral("auto-pass"));
        // Auto-passed triplets are known on their own.
        QCOMPARE(g.check(ip("192.0.2.11"), s, QStringLiteral("r2@y.example"), kT0 + 600 * kSec).reason,
                 QStringLiteral("passed"));
        // Once every passed triplet of the pair has expired, no more auto-pass.
        QVERIFY(!g.check(ip("192.0.2.10"), s, QStringLiteral("r9@y.example"), kT0 + 3 * kDay).pass());

        // The null sender never auto-passes.
        g.check(ip("192.0.2.10"), QString(), QStringLiteral("r1@y.example"), kT0);
        QVERIFY(g.check(ip("192.0.2.10"), QStringLiteral("<>"), QStringLiteral("r1@y.example"), kT0 + 300 * kSec).pass());
        d = g.check(ip("192.0.2.10"), QString(), QStringLiteral("r2@y.example"), kT0 + 301 * kSec);
        QCOMPARE(d.verdict, GreylistDecision::Defer);
        QCOMPARE(d.reason, QStringLiteral("new"));
    }

    void networkGrouping()
    {
        Greylist g(params());
        const QString s = QStringLiteral("a@x.example");
        const QString r = QStringLiteral("r@y.example");
        // IPv4 /24: a retry from another host of the same /24 counts.
        g.check(ip("192.0.2.1"), s, r, kT0);
        QVERIFY(g.check(ip("192.0.2.254"), s, r, kT0 + 300 * kSec).pass());
        QVERIFY(g.check(ip("::ffff:192.0.2.9"), s, r, kT0 + 301 * kSec).pass());
        QVERIFY(!g.check(ip("192.0.3.1"), s, QStringLiteral("other@y.example"), kT0 + 301 * kSec).pass());
        // IPv6 /64.
        g.check(ip("2001:db8:1:2::1"), s, r, kT0);
        QVERIFY(g.check(ip("2001:db8:1:2:ffff:ffff:ffff:fffe"), s, r, kT0 + 300 * kSec).pass());
        QVERIFY(!g.check(ip("2001:db8:1:3::1"), QStringLiteral("b@z.example"), r, kT0 + 300 * kSec).pass());
        QCOMPARE(g.stats().triplets, 4);
    }

    void batvAndCase()
    {
        Greylist g(params());
        const QHostAddress c = ip("198.51.100.7");
        // Each attempt carries a new BATV tag; the triplet is the same.
        g.check(c, QStringLiteral("prvs=1111111111=u@ex.example"), QStringLiteral("R@Example.org"), kT0);
        QVERIFY(g.check(c, QStringLiteral("PRVS=2222222222=U@EX.example"), QStringLiteral("r@example.ORG"),
                        kT0 + 300 * kSec).pass());
        QCOMPARE(g.stats().triplets, 1);
    }

    void memoryBound()
    {
        GreylistParams p = params();
        p.maxTriplets = 10;
        Greylist g(p);
        for (int i = 0; i < 10; ++i)
            g.check(ip("192.0.2.1"), QStringLiteral("s@d%1.example").arg(i), QStringLiteral("r@y.example"), kT0 + i);
        QCOMPARE(g.stats().triplets, 10);
        g.check(ip("192.0.2.1"), QStringLiteral("s@d10.example"), QStringLiteral("r@y.example"), kT0 + 10);
        QCOMPARE(g.stats().triplets, 10);
        QCOMPARE(g.stats().pending, 10);
        // The oldest went: it starts over; the second oldest is still known.
        QCOMPARE(g.check(ip("192.0.2.1"), QStringLiteral("s@d1.example"), QStringLiteral("r@y.example"),
                         kT0 + 300 * kSec + 1).reason,
                 QStringLiteral("retried"));
        QCOMPARE(g.check(ip("192.0.2.1"), QStringLiteral("s@d0.example"), QStringLiteral("r@y.example"),
                         kT0 + 300 * kSec + 1).reason,
                 QStringLiteral("new"));
    }

    void oddInput()
    {
        Greylist g(params());
        GreylistDecision d = g.check(QHostAddress(), QString(), QString(), kT0);
        QCOMPARE(d.verdict, GreylistDecision::Defer);
        QVERIFY(g.check(QHostAddress(), QString(), QString(), kT0 + 300 * kSec).pass());
        GreylistParams p = params();
        p.delaySeconds = 0;
        g.setParams(p);
        d = g.check(ip("10.1.2.3"), QStringLiteral("a\x1f" "b@x"), QStringLiteral("r@y"), kT0);
        QCOMPARE(d.verdict, GreylistDecision::Defer); // first sight still defers
        QCOMPARE(d.secondsLeft, 1);
        QVERIFY(g.check(ip("10.1.2.3"), QStringLiteral("a\x1f" "b@x"), QStringLiteral("r@y"), kT0).pass());
    }

    void persistence()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QString error;
        const QString conn = storage::uniqueConnectionName(QStringLiteral("tst_greylist"));
        {
            QSqlDatabase db = storage::openDatabase(dir.path(), storage::DbKind::Config, conn, {}, &error);
            QVERIFY2(db.isOpen(), qPrintable(error));

            Greylist g(params());
            g.check(ip("192.0.2.5"), QStringLiteral("prvs=1234567890=A@X.example"), QStringLiteral("R@y.example"), kT0);
            g.check(ip("2001:db8::5"), QStringLiteral("b@x.example"), QStringLiteral("r@y.example"), kT0);
            QVERIFY(g.check(ip("2001:db8::5"), QStringLiteral("b@x.example"), QStringLiteral("r@y.example"),
                            kT0 + 400 * kSec).pass());
            QVERIFY2(g.flush(db, &error, kT0 + 400 * kSec), qPrintable(error));
            const QString t0 = QString::number(kT0);
            const QString t400 = QString::number(kT0 + 400 * kSec);
            QCOMPARE(tableRows(db), (QStringList{
                QStringLiteral("192.0.2.0/24|a@x.example|r@y.example|%1|%1|0").arg(t0),
                QStringLiteral("2001:db8::/64|b@x.example|r@y.example|%1|%2|1").arg(t0, t400),
            }));
            // Nothing changed: nothing to write. A pass within the hour does
            // not rewrite last_seen; one later does.
            QVERIFY(g.takeChanges().isEmpty());
            QVERIFY(g.check(ip("2001:db8::6"), QStringLiteral("b@x.example"), QStringLiteral("r@y.example"),
                            kT0 + 1000 * kSec).pass());
            QVERIFY(g.takeChanges().isEmpty());
            QVERIFY(g.check(ip("2001:db8::6"), QStringLiteral("b@x.example"), QStringLiteral("r@y.example"),
                            kT0 + 400 * kSec + 3600 * kSec).pass());
            QCOMPARE(g.takeChanges().upserts.size(), 1);

            // A failed write keeps the changes for the next flush.
            g.check(ip("192.0.2.6"), QStringLiteral("c@x.example"), QStringLiteral("r@y.example"), kT0 + 500 * kSec);
            QSqlQuery(db).exec(QStringLiteral("ALTER TABLE greylist RENAME TO greylist_away"));
            QVERIFY(!g.flush(db, &error, kT0 + 500 * kSec));
            QVERIFY2(error.startsWith(QStringLiteral("greylist: ")), qPrintable(error));
            QVERIFY(QSqlQuery(db).exec(QStringLiteral("ALTER TABLE greylist_away RENAME TO greylist")));
            QVERIFY2(g.flush(db, &error, kT0 + 500 * kSec), qPrintable(error));
            QCOMPARE(tableRows(db).size(), 3);
            QCOMPARE(tableRows(db).at(0).section(QLatin1Char('|'), 0, 1), QStringLiteral("192.0.2.0/24|a@x.example"));
            QCOMPARE(tableRows(db).at(1).section(QLatin1Char('|'), 0, 1), QStringLiteral("192.0.2.0/24|c@x.example"));
        }

        {
            QSqlDatabase db = QSqlDatabase::database(conn);
            // A new instance (a restart) picks the state up.
            Greylist g(params());
            QVERIFY2(g.load(db, kT0 + 600 * kSec, &error), qPrintable(error));
            QCOMPARE(g.stats().triplets, 3);
            QCOMPARE(g.stats().pending, 2);
            QCOMPARE(g.stats().autoPassNets, 1);
            // The pending triplets kept their first sight: one is still early,
            // the other's retry passes now.
            QCOMPARE(g.check(ip("192.0.2.77"), QStringLiteral("c@x.example"), QStringLiteral("r@y.example"),
                             kT0 + 600 * kSec).reason,
                     QStringLiteral("early retry"));
            GreylistDecision d = g.check(ip("192.0.2.5"), QStringLiteral("a@x.example"), QStringLiteral("r@y.example"),
                                         kT0 + 600 * kSec);
            QCOMPARE(d.reason, QStringLiteral("retried"));
            // Auto-pass survives the restart.
            QCOMPARE(g.check(ip("2001:db8::9"), QStringLiteral("new@x.example"), QStringLiteral("r2@y.example"),
                             kT0 + 600 * kSec).reason,
                     QStringLiteral("auto-pass"));
            QVERIFY2(g.flush(db, &error, kT0 + 600 * kSec), qPrintable(error));
            QCOMPARE(tableRows(db).size(), 4);

            // Expiry cleanup: past every retry window only passed triplets stay;
            // past the passed ones' expiry the table is empty.
            QVERIFY2(g.flush(db, &error, kT0 + 500 * kSec + 3601 * kSec), qPrintable(error));
            QCOMPARE(tableRows(db).size(), 3);
            for (const QString &row : tableRows(db))
                QVERIFY2(row.endsWith(QStringLiteral("|1")), qPrintable(row));
            QCOMPARE(g.stats().pending, 0);
            QVERIFY2(g.flush(db, &error, kT0 + 600 * kSec + 2 * kDay + 1), qPrintable(error));
            QCOMPARE(tableRows(db), QStringList());
            QCOMPARE(g.stats().triplets, 0);
            QCOMPARE(g.stats().autoPassNets, 0);
        }

        {
            // Rows that expired while the relay was down are skipped at load
            // and deleted at the next flush.
            QSqlDatabase db = QSqlDatabase::database(conn);
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("INSERT INTO greylist VALUES ('192.0.2.0/24', 'old@x.example', 'r@y.example',"
                                          " %1, %1, 0)").arg(kT0)));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO greylist VALUES ('192.0.2.0/24', 'ok@x.example', 'r@y.example',"
                                          " %1, %1, 1)").arg(kT0)));
            Greylist g(params());
            QVERIFY2(g.load(db, kT0 + 2 * 3600 * kSec, &error), qPrintable(error));
            QCOMPARE(g.stats().triplets, 1);
            QVERIFY2(g.flush(db, &error, kT0 + 2 * 3600 * kSec), qPrintable(error));
            QCOMPARE(tableRows(db).size(), 1);
            QVERIFY(tableRows(db).at(0).contains(QStringLiteral("ok@x.example")));
        }
        storage::closeDatabase(conn);

        // No such table: a clear error, not a crash.
        const QString bare = storage::uniqueConnectionName(QStringLiteral("tst_greylist_bare"));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), bare);
            db.setDatabaseName(QStringLiteral(":memory:"));
            QVERIFY(db.open());
            Greylist g(params());
            QVERIFY(!g.load(db, kT0, &error));
            QVERIFY2(error.contains(QStringLiteral("greylist")), qPrintable(error));
            QCOMPARE(g.stats().triplets, 0);
        }
        QSqlDatabase::removeDatabase(bare);
    }
};

QTEST_GUILESS_MAIN(TstGreylist)
#include "tst_greylist.moc"

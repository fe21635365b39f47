// Log browser benchmark: generates a log.db with N rows (default 1,000,000:
// many client IPs with a few busy ones, thousands of senders, sessions of 2-4
// rows, 5% 4xx and 5% 5xx replies) through the real schema, then times the
// Logs panel's queries (LogReader::newest, first and second page of 500 rows)
// for each filter and some combinations, full-text words and the live tail.
// Prints a table (median and worst of the runs, rows returned, plan driver).
//
//   rd-log-bench [--rows N] [--runs R] [--dir DIR] [--keep]
//   --dir DIR: use DIR/log.db (generated when missing, reused when present)
// Exit status: 0; 1 when a query's median is over the 200 ms target.

#include "log/logreader.h"
#include "storage/database.h"

#include <QCoreApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

using namespace rd::log;

namespace {

bool generate(const QString &dir, qint64 rows)
{
    QString error;
    QSqlDatabase db = rd::storage::openDatabase(dir, rd::storage::DbKind::Log, QStringLiteral("gen"), {}, &error);
    if (!db.isValid()) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return false;
    }
    QSqlQuery q(db);
    q.exec(QStringLiteral("PRAGMA synchronous=OFF"));
    QRandomGenerator rng(42);
    QStringList ips, senders, users, domains;
    for (int i = 0; i < 20000; ++i)
        ips << QStringLiteral("10.%1.%2.%3").arg(rng.bounded(256)).arg(rng.bounded(256)).arg(1 + rng.bounded(254));
    for (int i = 0; i < 2000; ++i)
        ips << QStringLiteral("2001:db8:%1::%2").arg(rng.bounded(65536), 0, 16).arg(rng.bounded(65536), 0, 16);
    for (int i = 0; i < 500; ++i)
        domains << QStringLiteral("dest%1.example").arg(i);
    const QStringList senderDomains = {QStringLiteral("example.com"), QStringLiteral("corp.test"),
                                       QStringLiteral("mail.example.org"), QStringLiteral("shop.test")};
    for (int i = 0; i < 5000; ++i)
        senders << QStringLiteral("user%1@%2").arg(i).arg(senderDomains.at(i % 4));
    for (int i = 0; i < 200; ++i)
        users << QStringLiteral("app%1").arg(i);
    const QStringList words = {QStringLiteral("queued as"), QStringLiteral("hello"), QStringLiteral("spam score"),
                               QStringLiteral("quota exceeded"), QStringLiteral("user unknown"),
                               QStringLiteral("greylisted, try again"), QStringLiteral("delivered ok")};
    const qint64 start = QDateTime::currentMSecsSinceEpoch() - 30LL * 86400000;
    const qint64 step = std::max<qint64>(1, 30LL * 86400000 / rows);
    q.prepare(QStringLiteral(
        "INSERT INTO events (ts, kind, level, session_id, direction, client_ip, client_name, user, helo,"
        " sender, recipients, queue_id, reply_code, enhanced_code, bytes, tls_version, tls_cipher,"
        " duration_ms, result, rule, message) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    qint64 n = 0, session = 0, lastCommit = 0;
    db.transaction();
    QElapsedTimer t;
    t.start();
    while (n < rows) {
        ++session;
        // Half the sessions come from a few busy IPs (Pareto), half from anywhere.
        const int ipIndex = rng.bounded(2) ? std::min<int>(int(std::pow(rng.generateDouble(), 4) * 50), 49)
                                           : rng.bounded(int(ips.size()));
        const QString ip = ips.at(ipIndex);
        const QString user = rng.bounded(10) < 3 ? users.at(rng.bounded(int(users.size()))) : QString();
        const QString sender = senders.at(rng.bounded(int(senders.size())));
        const int perSession = 2 + rng.bounded(3);
        for (int k = 0; k < perSession && n < rows; ++k, ++n) {
            const int kind = k == 0 ? 0 : (k == perSession - 1 && rng.bounded(10) == 0 ? 3 : 1 + rng.bounded(2));
            const int r = rng.bounded(100);
            const int code = r < 90 ? 250 : (r < 95 ? 451 : 550);
            QString rcpts;
            for (int j = 0, m = 1 + rng.bounded(3); j < m; ++j)
                rcpts += (j ? QStringLiteral(",") : QString())
                    + QStringLiteral("r%1@%2").arg(rng.bounded(100000)).arg(domains.at(rng.bounded(500)));
            q.addBindValue(start + n * step);
            q.addBindValue(kind);
            q.addBindValue(code >= 500 ? QStringLiteral("warning") : QStringLiteral("info"));
            q.addBindValue(QStringLiteral("S%1").arg(session, 9, 10, QLatin1Char('0')));
            q.addBindValue(kind == 2 ? QStringLiteral("out") : (kind == 3 ? QString(QLatin1String("")) : QStringLiteral("in")));
            q.addBindValue(ip);
            q.addBindValue(QStringLiteral("host%1.client.example").arg(ipIndex));
            q.addBindValue(rd::storage::nn(user));
            q.addBindValue(QStringLiteral("helo%1.example").arg(ipIndex % 1000));
            q.addBindValue(sender);
            q.addBindValue(rcpts);
            q.addBindValue(QStringLiteral("Q%1").arg(n, 12, 10, QLatin1Char('0')));
            q.addBindValue(code);
            q.addBindValue(QStringLiteral("%1.0.0").arg(code / 100));
            q.addBindValue(1000 + rng.bounded(100000));
            q.addBindValue(QStringLiteral("TLSv1.3"));
            q.addBindValue(QStringLiteral("TLS_AES_256_GCM_SHA384"));
            q.addBindValue(5 + rng.bounded(2000));
            q.addBindValue(code == 250 ? (kind == 2 ? QStringLiteral("delivered") : QStringLiteral("accepted"))
                                       : (code == 451 ? QStringLiteral("deferred") : QStringLiteral("rejected")));
            q.addBindValue(code == 550 && rng.bounded(2) ? QStringLiteral("dnsbl:zen") : QString(QLatin1String("")));
            q.addBindValue(words.at(rng.bounded(int(words.size()))) + QStringLiteral(" n%1").arg(n));
            if (!q.exec()) {
                std::fprintf(stderr, "insert failed: %s\n", qPrintable(q.lastError().text()));
                return false;
            }
        }
        if (n - lastCommit >= 50000) {
            lastCommit = n;
            db.commit();
            db.transaction();
            std::fprintf(stderr, "\r%lld rows (%.0f s)", n, t.elapsed() / 1000.0);
        }
    }
    db.commit();
    q.exec(QStringLiteral("ANALYZE"));
    q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
    std::fprintf(stderr, "\rgenerated %lld rows in %.1f s\n", n, t.elapsed() / 1000.0);
    q = QSqlQuery();
    db = QSqlDatabase();
    rd::storage::closeDatabase(QStringLiteral("gen"));
    return true;
}

struct Case {
    const char *name;
    std::function<void(LogFilter &)> set;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.addOption({QStringLiteral("rows"), QStringLiteral("rows to generate"), QStringLiteral("N"),
                 QStringLiteral("1000000")});
    p.addOption({QStringLiteral("runs"), QStringLiteral("runs per query"), QStringLiteral("R"), QStringLiteral("5")});
    p.addOption({QStringLiteral("dir"), QStringLiteral("data folder (reused if log.db exists)"), QStringLiteral("DIR")});
    p.addHelpOption();
    p.process(app);
    QTemporaryDir tmp;
    const QString dir = p.isSet(QStringLiteral("dir")) ? p.value(QStringLiteral("dir")) : tmp.path();
    if (!QFileInfo::exists(dir + QStringLiteral("/log.db"))
        && !generate(dir, p.value(QStringLiteral("rows")).toLongLong()))
        return 2;

    LogReader reader(dir);
    if (!reader.isOpen()) {
        std::fprintf(stderr, "%s\n", qPrintable(reader.errorString()));
        return 2;
    }
    // Values that exist in the data: the busiest IP, a user, a sender.
    QString busyIp, someSender;
    {
        QString error;
        QSqlDatabase db = rd::storage::openDatabase(dir, rd::storage::DbKind::Log, QStringLiteral("pick"), {}, &error);
        QSqlQuery q(db);
        if (q.exec(QStringLiteral("SELECT client_ip FROM events GROUP BY client_ip ORDER BY count(*) DESC LIMIT 1"))
            && q.next())
            busyIp = q.value(0).toString();
        if (q.exec(QStringLiteral("SELECT sender FROM events WHERE id = (SELECT max(id) / 3 FROM events)")) && q.next())
            someSender = q.value(0).toString();
        q = QSqlQuery();
        db = QSqlDatabase();
        rd::storage::closeDatabase(QStringLiteral("pick"));
    }
    const QString rareIp = QStringLiteral("10.200.200.200");
    const QString someUser = QStringLiteral("app17");
    const QDateTime now = QDateTime::currentDateTimeUtc();

    const QList<Case> cases = {
        {"no filter", [](LogFilter &) {}},
        {"ip busy", [&](LogFilter &f) { f.ip = busyIp; }},
        {"ip rare/absent", [&](LogFilter &f) { f.ip = rareIp; }},
        {"ip cidr /16", [](LogFilter &f) { f.ip = QStringLiteral("10.20.0.0/16"); }},
        {"ip cidr /20", [](LogFilter &f) { f.ip = QStringLiteral("10.20.16.0/20"); }},
        {"ip v6 prefix", [](LogFilter &f) { f.ip = QStringLiteral("2001:db8:"); }},
        {"user", [&](LogFilter &f) { f.user = someUser; }},
        {"sender exact", [&](LogFilter &f) { f.sender = someSender; }},
        {"sender @domain", [](LogFilter &f) { f.sender = QStringLiteral("@corp.test"); }},
        {"recipient address", [](LogFilter &f) { f.recipient = QStringLiteral("r4242@dest7.example"); }},
        {"recipient domain", [](LogFilter &f) { f.recipient = QStringLiteral("dest7.example"); }},
        {"status 4xx", [](LogFilter &f) { f.statusClass = 4; }},
        {"status 5xx", [](LogFilter &f) { f.statusClass = 5; }},
        {"direction out", [](LogFilter &f) { f.direction = QStringLiteral("out"); }},
        {"kind system", [](LogFilter &f) { f.kind = 3; }},
        {"last hour", [&](LogFilter &f) { f.from = now.addSecs(-3600); }},
        {"a day 2 weeks ago", [&](LogFilter &f) {
             f.from = now.addDays(-15);
             f.to = now.addDays(-14);
         }},
        {"session", [](LogFilter &f) { f.sessionId = QStringLiteral("S000123456"); }},
        {"fts common word", [](LogFilter &f) { f.search = QStringLiteral("accepted"); }},
        {"fts rare word", [](LogFilter &f) { f.search = QStringLiteral("greylisted"); }},
        {"fts two words", [](LogFilter &f) { f.search = QStringLiteral("quota exceeded"); }},
        {"fts queue id", [](LogFilter &f) { f.search = QStringLiteral("Q000000654321"); }},
        {"fts absent", [](LogFilter &f) { f.search = QStringLiteral("zzzznothing"); }},
        {"busy ip + sender", [&](LogFilter &f) {
             f.ip = busyIp;
             f.sender = someSender;
         }},
        {"user + 5xx", [&](LogFilter &f) {
             f.user = someUser;
             f.statusClass = 5;
         }},
        {"5xx + out", [](LogFilter &f) {
             f.statusClass = 5;
             f.direction = QStringLiteral("out");
         }},
        {"cidr + kind + 7 days", [&](LogFilter &f) {
             f.ip = QStringLiteral("10.0.0.0/8");
             f.kind = 1;
             f.from = now.addDays(-7);
         }},
        {"user + fts word", [&](LogFilter &f) {
             f.user = someUser;
             f.search = QStringLiteral("spam");
         }},
        {"user + fts prefix", [&](LogFilter &f) {
             f.user = someUser;
             f.search = QStringLiteral("accep");
         }},
        {"sender domain + 4xx", [](LogFilter &f) {
             f.sender = QStringLiteral("@shop.test");
             f.statusClass = 4;
         }},
        {"recipient + last 7 days", [&](LogFilter &f) {
             f.recipient = QStringLiteral("dest9.example");
             f.from = now.addDays(-7);
         }},
    };

    const int runs = std::max(1, p.value(QStringLiteral("runs")).toInt());
    std::printf("%-26s %10s %10s %10s %7s  %s\n", "filter", "page1 med", "page1 max", "page2 med", "rows",
                "driver");
    int over = 0;
    for (const Case &c : cases) {
        LogFilter f;
        c.set(f);
        QVector<double> first, second;
        int rows = 0;
        for (int r = 0; r < runs; ++r) {
            QElapsedTimer t;
            t.start();
            const LogPage page = reader.newest(f, 500);
            first << t.nsecsElapsed() / 1e6;
            if (!page.error.isEmpty())
                std::fprintf(stderr, "%s: %s\n", c.name, qPrintable(page.error));
            rows = page.rows.size();
            if (!page.atEnd) {
                t.restart();
                reader.newest(f, 500, page.next);
                second << t.nsecsElapsed() / 1e6;
            }
        }
        std::sort(first.begin(), first.end());
        std::sort(second.begin(), second.end());
        const double med = first.at(first.size() / 2);
        over += med > 200 ? 1 : 0;
        QString plan = reader.queryPlan(f).split(QLatin1Char('\n')).value(0);
        plan.replace(QStringLiteral("USING "), QString());
        std::printf("%-26s %8.1f ms %8.1f ms %8s %7d  %s\n", c.name, med, first.last(),
                    second.isEmpty() ? "-" : qPrintable(QStringLiteral("%1 ms").arg(second.at(second.size() / 2), 0, 'f', 1)),
                    rows, qPrintable(plan.left(60)));
    }
    // The live tail: rows after (last - 1000), as LogModel asks.
    const qint64 last = reader.lastId();
    QElapsedTimer t;
    t.start();
    const int tailRows = reader.after({}, last - 1000, 1000).size();
    std::printf("%-26s %8.1f ms %10s %10s %7d\n", "tail 1000 (no filter)", t.nsecsElapsed() / 1e6, "", "", tailRows);
    LogFilter tf;
    tf.user = someUser;
    tf.search = QStringLiteral("spam");
    t.restart();
    const int tailFiltered = reader.after(tf, last - 1000, 1000).size();
    std::printf("%-26s %8.1f ms %10s %10s %7d\n", "tail 1000 (user + fts)", t.nsecsElapsed() / 1e6, "", "",
                tailFiltered);
    std::printf("%d of %d queries over the 200 ms target (median of %d runs)\n", over, int(cases.size()), runs);
    return over ? 1 : 0;
}

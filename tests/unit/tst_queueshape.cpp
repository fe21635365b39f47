// Queue shape on a real queue.db written through QueueStore: counts by
// recipient and sender domain x age bucket against an in-test oracle (qshape's
// bucket edges written out here, not taken from the code under test), edges
// at exactly 5/1280 minutes, delivered recipients not counted, top N + other,
// the --qshape command's text and JSON, and timing at 100k queued messages
// (bulk rows with QueueStore's column list; printed, not asserted).

#include "queue/queuereader.h"
#include "queue/queueshape.h"
#include "queue/queuestore.h"
#include "queue/spoolfile.h"
#include "storage/database.h"
#include "util/ids.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace rd::queue;

namespace {

// qshape(1): "buckets T, 5, 10, 20, 40, 80, 160, 320, 640, 1280, 1280+" (minutes).
int oracleBucket(qint64 ageMs)
{
    const double minutes = double(ageMs) / 60000.0;
    const double edges[] = {5, 10, 20, 40, 80, 160, 320, 640, 1280};
    for (int i = 0; i < 9; ++i) {
        if (minutes < edges[i])
            return i;
    }
    return 9;
}

QString domainOf(const QByteArray &address)
{
    const int at = address.lastIndexOf('@');
    return at < 0 ? QString() : QString::fromUtf8(address.mid(at + 1)).toLower();
}

struct Generated {
    QByteArray sender;
    QList<QByteArray> rcpts;
    qint64 ageMs = 0;
    QSet<int> delivered; // recipient indexes marked delivered afterwards
};

QueueEntry writeMessage(const QString &spoolDir, const Generated &g, qint64 nowMs, QString *tmpPath)
{
    SpoolEnvelope env;
    env.queueId = rd::util::newQueueId();
    env.sender = g.sender;
    env.recipients = g.rcpts;
    env.receivedMs = nowMs - g.ageMs;
    env.clientIp = QStringLiteral("127.0.0.1");
    env.helo = QStringLiteral("client.test");
    SpoolFile f(spoolDir, env);
    QString error;
    if (!f.begin(&error))
        qFatal("begin: %s", qPrintable(error));
    const QByteArray body = "Subject: shape\r\n\r\nx\r\n";
    f.append(body.constData(), body.size());
    if (!f.finish(&error))
        qFatal("finish: %s", qPrintable(error));
    QueueEntry e;
    e.spoolPath = f.finalPath();
    e.bodyOffset = f.bodyOffset();
    e.info.queueId = env.queueId;
    e.info.sender = env.sender;
    for (const QByteArray &r : g.rcpts)
        e.info.recipients.append(RecipientInfo{r, RecipientState::Pending, 0, {}});
    e.info.recipientCount = int(g.rcpts.size());
    e.info.size = body.size();
    e.info.received = QDateTime::fromMSecsSinceEpoch(env.receivedMs, Qt::UTC);
    *tmpPath = f.tmpPath();
    return e;
}

} // namespace

class TestQueueShape : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QVector<Generated> m_gen;
    QDateTime m_now = QDateTime::fromMSecsSinceEpoch(1800000000000LL, Qt::UTC);

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QList<QByteArray> domains = {"Big.Example", "big.example", "mid.test", "small.test", "tiny%1.test"};
        const qint64 edgeAges[] = {0, 5 * 60000 - 1, 5 * 60000, 10 * 60000, 1280 * 60000 - 1, 1280 * 60000,
                                   3 * 86400000LL, -60000 /* clock skew: counted as new */};
        for (int i = 0; i < 240; ++i) {
            Generated g;
            g.sender = i % 9 == 0 ? QByteArray() : QByteArray("app") + QByteArray::number(i % 4) + "@Sender"
                                                      + QByteArray::number(i % 3) + ".example";
            const int n = 1 + i % 3;
            for (int r = 0; r < n; ++r) {
                QByteArray d = domains.at((i + r) % domains.size());
                d.replace("%1", QByteArray::number(i % 30));
                g.rcpts << QByteArray("u") + QByteArray::number(i) + "_" + QByteArray::number(r) + "@" + d;
            }
            if (i % 17 == 0)
                g.rcpts << "postmaster"; // no domain
            g.ageMs = i < 8 ? edgeAges[i] : qint64(i) * 7919 * 1000 % (2000LL * 60000);
            if (i % 4 == 1 && g.rcpts.size() > 1)
                g.delivered.insert(0);
            m_gen << g;
        }
        QueueStore store(m_dir.path());
        QVector<QueueEntry> entries;
        QStringList notes;
        QString error;
        QVERIFY2(store.open(&entries, &notes, &error), qPrintable(error));
        int done = 0;
        QVector<QueueEntry> written;
        for (const Generated &g : m_gen) {
            QString tmp;
            written << writeMessage(store.spoolDir(), g, m_now.toMSecsSinceEpoch(), &tmp);
            store.commit(written.last(), tmp, [&](bool ok, QString) { done += ok ? 1 : 1000000; });
        }
        QVERIFY(QTest::qWaitFor([&] { return done >= m_gen.size(); }, 60000));
        QCOMPARE(done, int(m_gen.size()));
        for (int i = 0; i < m_gen.size(); ++i) {
            if (m_gen[i].delivered.isEmpty())
                continue;
            AttemptUpdate u;
            u.queueId = written[i].info.queueId;
            u.state = MessageState::Deferred;
            u.attempts = 1;
            u.nextAttempt = m_now.addSecs(600);
            u.recipients = written[i].info.recipients;
            for (int r : m_gen[i].delivered)
                u.recipients[r].state = RecipientState::Delivered;
            u.host = QStringLiteral("127.0.0.1:25");
            u.result = QStringLiteral("partial");
            store.recordAttempt(u);
        }
        store.flushNow();
    }

    void bucketEdgesMatchQshape()
    {
        for (qint64 ms : {0LL, 1LL, 299999LL, 300000LL, 599999LL, 600000LL, 76799999LL, 76800000LL, 999999999LL})
            QCOMPARE(shapeBucket(ms), oracleBucket(ms));
        QCOMPARE(shapeBucket(-5), 0);
        QCOMPARE(shapeBucketLabel(0), QStringLiteral("5"));
        QCOMPARE(shapeBucketLabel(9), QStringLiteral("1280+"));
        qint64 lo, hi;
        shapeBucketRange(3, &lo, &hi);
        QCOMPARE(lo, 20 * 60000LL);
        QCOMPARE(hi, 40 * 60000LL);
        shapeBucketRange(9, &lo, &hi);
        QCOMPARE(hi, -1LL);
    }

    void recipientShapeMatchesOracle()
    {
        QMap<QString, QVector<qint64>> want;
        for (const Generated &g : m_gen) {
            for (int r = 0; r < g.rcpts.size(); ++r) {
                if (g.delivered.contains(r))
                    continue;
                QVector<qint64> &row = want[domainOf(g.rcpts[r])];
                row.resize(10);
                ++row[oracleBucket(g.ageMs)];
            }
        }
        QueueReader reader(m_dir.path());
        const QueueShape s = reader.shape(ShapeBy::RecipientDomain, m_now, 0);
        QVERIFY2(s.error.isEmpty(), qPrintable(s.error));
        QMap<QString, QVector<qint64>> got;
        qint64 prevTotal = LLONG_MAX;
        qint64 sum = 0;
        for (const ShapeRow &r : s.rows) {
            QVERIFY(r.total <= prevTotal); // sorted by total desc
            prevTotal = r.total;
            got[r.domain] = QVector<qint64>(r.buckets.begin(), r.buckets.end());
            qint64 t = 0;
            for (qint64 b : r.buckets)
                t += b;
            QCOMPARE(r.total, t);
            sum += r.total;
        }
        QCOMPARE(got, want);
        QCOMPARE(s.totals.total, sum);
        QVERIFY(got.contains(QStringLiteral("big.example"))); // Big.Example folded in, case-insensitive
        QVERIFY(got.contains(QString()));                      // "postmaster"
    }

    void senderShapeCountsMessages()
    {
        QMap<QString, QVector<qint64>> want;
        for (const Generated &g : m_gen) {
            if (g.delivered.size() == g.rcpts.size())
                continue;
            QVector<qint64> &row = want[g.sender.isEmpty() ? QStringLiteral("<>") : domainOf(g.sender)];
            row.resize(10);
            ++row[oracleBucket(g.ageMs)];
        }
        QueueReader reader(m_dir.path());
        const QueueShape s = reader.shape(ShapeBy::SenderDomain, m_now, 0);
        QVERIFY(s.error.isEmpty());
        QMap<QString, QVector<qint64>> got;
        for (const ShapeRow &r : s.rows)
            got[r.domain] = QVector<qint64>(r.buckets.begin(), r.buckets.end());
        QCOMPARE(got, want);
    }

    void topNFoldsIntoOther()
    {
        QueueReader reader(m_dir.path());
        const QueueShape all = reader.shape(ShapeBy::RecipientDomain, m_now, 0);
        const QueueShape top = reader.shape(ShapeBy::RecipientDomain, m_now, 3);
        QCOMPARE(top.rows.size(), 4);
        QVERIFY(top.rows.last().isOther);
        QCOMPARE(top.rows.last().domain, QStringLiteral("other"));
        qint64 rest = 0;
        for (int i = 3; i < all.rows.size(); ++i)
            rest += all.rows[i].total;
        QCOMPARE(top.rows.last().total, rest);
        QCOMPARE(top.totals.total, all.totals.total);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(top.rows[i].domain, all.rows[i].domain);
    }

    void commandTextAndJson()
    {
        QString out;
        QshapeCommand c;
        QCOMPARE(runQshapeCommand(m_dir.path(), c, &out), 0);
        const QStringList lines = out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY(lines.at(0).simplified().startsWith(QStringLiteral("T 5 10 20 40 80 160 320 640 1280 1280+")));
        QVERIFY(lines.at(1).simplified().startsWith(QStringLiteral("TOTAL ")));
        c.json = true;
        c.by = ShapeBy::SenderDomain;
        QCOMPARE(runQshapeCommand(m_dir.path(), c, &out), 0);
        const QJsonObject o = QJsonDocument::fromJson(out.toUtf8()).object();
        QCOMPARE(o[QStringLiteral("by")].toString(), QStringLiteral("sender"));
        QCOMPARE(o[QStringLiteral("buckets")].toArray().size(), 11);
        qint64 sum = 0;
        for (const QJsonValue &r : o[QStringLiteral("rows")].toArray())
            sum += r[QStringLiteral("total")].toInteger();
        QCOMPARE(o[QStringLiteral("total")][QStringLiteral("total")].toInteger(), sum);
        QTemporaryDir empty;
        c.json = false;
        QCOMPARE(runQshapeCommand(empty.path(), c, &out), 0); // a fresh queue: just the header and TOTAL 0
        QVERIFY(out.contains(QStringLiteral("TOTAL")));
    }

    void hundredThousandMessages()
    {
        QTemporaryDir dir;
        const int count = 100000;
        const qint64 now = m_now.toMSecsSinceEpoch();
        QElapsedTimer t;
        t.start();
        {
            QString error;
            const QString connection = QStringLiteral("tst-shape-bulk");
            QSqlDatabase db = rd::storage::openDatabase(dir.path(), rd::storage::DbKind::Queue, connection, {}, &error);
            QVERIFY2(db.isValid(), qPrintable(error));
            QVERIFY(db.transaction());
            QSqlQuery msg(db), rcpt(db);
            // QueueStore's column list (core/queue/queuestore.cpp); writing 100k
            // spool files through it would take minutes on the shared machine.
            QVERIFY(msg.prepare(QStringLiteral(
                "INSERT INTO messages (queue_id, sender, size, received, state, attempts, next_attempt,"
                " last_error, client_ip, helo, message_id, subject, rcpt_count, rcpt_summary, body_offset,"
                " eight_bit) VALUES (?,?,?,?,?,0,NULL,'','127.0.0.1','h','','s',?,?,100,0)")));
            QVERIFY(rcpt.prepare(QStringLiteral(
                "INSERT INTO recipients (queue_id, idx, address, state, attempts, last_reply) VALUES (?,?,?,?,0,'')")));
            for (int i = 0; i < count; ++i) {
                const QString id = QStringLiteral("B%1").arg(i, 15, 10, QLatin1Char('0'));
                const QString to = QStringLiteral("r%1@d%2.test").arg(i).arg(i % 500);
                msg.addBindValue(id);
                msg.addBindValue(QStringLiteral("s@s%1.test").arg(i % 50));
                msg.addBindValue(1000);
                msg.addBindValue(now - qint64(i) * 1000);
                msg.addBindValue(i % 3 == 0 ? 2 : 0);
                msg.addBindValue(1);
                msg.addBindValue(to);
                QVERIFY2(msg.exec(), qPrintable(msg.lastError().text()));
                rcpt.addBindValue(id);
                rcpt.addBindValue(0);
                rcpt.addBindValue(to);
                rcpt.addBindValue(0);
                QVERIFY(rcpt.exec());
            }
            QVERIFY(db.commit());
            db = QSqlDatabase();
            rd::storage::closeDatabase(connection);
        }
        qInfo("bulk insert of %d messages: %lld ms", count, t.elapsed());
        QueueReader reader(dir.path());
        t.restart();
        const QueueShape s = reader.shape(ShapeBy::RecipientDomain, m_now, 20);
        qInfo("qshape by recipient domain at %d messages: %lld ms", count, t.elapsed());
        QCOMPARE(s.totals.total, qint64(count));
        QCOMPARE(s.rows.size(), 21);
        // Ages are i seconds: the first bucket (< 5 min) holds i = 0..299.
        QCOMPARE(s.totals.buckets[0], 300LL);
        t.restart();
        const QueueShape bySender = reader.shape(ShapeBy::SenderDomain, m_now, 20);
        qInfo("qshape by sender domain at %d messages: %lld ms", count, t.elapsed());
        QCOMPARE(bySender.totals.total, qint64(count));
    }
};

QTEST_GUILESS_MAIN(TestQueueShape)
#include "tst_queueshape.moc"

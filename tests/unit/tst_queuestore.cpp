// The durable queue: group commit, recovery after a crash, and the reader.
#include "queue/queuereader.h"
#include "queue/queuestore.h"
#include "queue/spoolfile.h"
#include "util/ids.h"

#include <QDir>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace rd::queue;

namespace {

// Writes a spool file the way an inbound session does and returns its entry.
QueueEntry writeMessage(const QString &spoolDir, const QByteArray &body, QString *tmpPath,
                        const QList<QByteArray> &rcpts = {"b@example.test"})
{
    SpoolEnvelope env;
    env.queueId = rd::util::newQueueId();
    env.sender = "a@example.test";
    env.recipients = rcpts;
    env.receivedMs = QDateTime::currentMSecsSinceEpoch();
    env.clientIp = QStringLiteral("127.0.0.1");
    env.helo = QStringLiteral("client.test");
    SpoolFile f(spoolDir, env);
    QString error;
    if (!f.begin(&error))
        qFatal("begin: %s", qPrintable(error));
    f.append(body.constData(), body.size());
    if (!f.finish(&error))
        qFatal("finish: %s", qPrintable(error));
    QueueEntry e;
    e.spoolPath = f.finalPath();
    e.bodyOffset = f.bodyOffset();
    e.info.queueId = env.queueId;
    e.info.sender = env.sender;
    for (const QByteArray &r : rcpts)
        e.info.recipients.append(RecipientInfo{r, RecipientState::Pending, 0, {}});
    e.info.recipientCount = rcpts.size();
    e.info.size = body.size();
    e.info.received = QDateTime::currentDateTimeUtc();
    scanHeaders(body, &e.info.messageId, &e.info.subject);
    *tmpPath = f.tmpPath();
    return e;
}

} // namespace

class TestQueueStore : public QObject {
    Q_OBJECT
private slots:
    void commitIsDurableAndReloads()
    {
        QTemporaryDir dir;
        QStringList ids;
        {
            QueueStore store(dir.path());
            QVector<QueueEntry> entries;
            QStringList notes;
            QString error;
            QVERIFY2(store.open(&entries, &notes, &error), qPrintable(error));
            QCOMPARE(entries.size(), 0);
            int done = 0, okCount = 0;
            for (int i = 0; i < 50; ++i) {
                QString tmp;
                const QByteArray body = "Message-ID: <m" + QByteArray::number(i) + "@x>\r\nSubject: subject-number-" +
                                        QByteArray::number(i) + "x\r\n\r\nbody\r\n";
                QueueEntry e = writeMessage(store.spoolDir(), body, &tmp);
                ids << e.info.queueId;
                store.commit(e, tmp, [&](bool ok, QString) {
                    ++done;
                    okCount += ok;
                });
            }
            QVERIFY(QTest::qWaitFor([&] { return done == 50; }, 10000));
            QCOMPARE(okCount, 50);
            // Every committed message is a complete file in the spool, no temporaries left.
            QCOMPARE(QDir(store.spoolDir()).entryList({QStringLiteral("*.msg")}).size(), 50);
            QCOMPARE(QDir(store.spoolDir() + QStringLiteral("/incoming")).entryList(QDir::Files).size(), 0);
        }
        QueueStore store(dir.path());
        QVector<QueueEntry> entries;
        QStringList notes;
        QString error;
        QVERIFY(store.open(&entries, &notes, &error));
        QCOMPARE(entries.size(), 50);
        QCOMPARE(notes.size(), 0);
        QCOMPARE(entries.first().info.messageId, QStringLiteral("<m0@x>"));

        QueueReader reader(dir.path());
        QVERIFY(reader.isOpen());
        QCOMPARE(reader.count(), 50);
        QueueFilter f;
        f.text = QStringLiteral("subject-number-7x");
        QCOMPARE(reader.count(f), 1);
        const auto page = reader.page({}, 10, 5);
        QCOMPARE(page.size(), 5);
        QCOMPARE(page.first().recipients.size(), 1);
        QCOMPARE(page.first().recipientCount, 1);
        const QByteArray raw = reader.rawMessage(ids.at(3));
        QVERIFY2(raw.startsWith("Message-ID: <m3@x>"), raw.constData());
    }

    void recoveryReconcilesSpoolAndIndex()
    {
        QTemporaryDir dir;
        QString orphanId, keptId;
        {
            QueueStore store(dir.path());
            QVector<QueueEntry> entries;
            QStringList notes;
            QString error;
            QVERIFY(store.open(&entries, &notes, &error));
            int done = 0;
            QString tmp;
            QueueEntry a = writeMessage(store.spoolDir(), "Subject: kept\r\n\r\nx\r\n", &tmp);
            keptId = a.info.queueId;
            store.commit(a, tmp, [&](bool, QString) { ++done; });
            QueueEntry b = writeMessage(store.spoolDir(), "Subject: gone\r\n\r\nx\r\n", &tmp);
            orphanId = b.info.queueId;
            store.commit(b, tmp, [&](bool, QString) { ++done; });
            QVERIFY(QTest::qWaitFor([&] { return done == 2; }, 5000));
            // A partial message that was never acknowledged.
            QString partialTmp;
            SpoolEnvelope env;
            env.queueId = rd::util::newQueueId();
            env.recipients = {"x@y"};
            SpoolFile partial(store.spoolDir(), env);
            QVERIFY(partial.begin(&error));
            partial.append("half", 4);
            QVERIFY(partial.finish(&error)); // left in incoming/ as if we crashed
            // A crash between fsync+rename and the index commit: file without a row.
            QueueEntry c = writeMessage(store.spoolDir(), "Subject: unindexed\r\n\r\nx\r\n", &tmp,
                                        {"r1@example.test", "r2@example.test"});
            QVERIFY(QFile::rename(tmp, c.spoolPath));
        }
        // A row without a file: the message's file was removed but the row stayed.
        QVERIFY(QFile::remove(dir.filePath(QStringLiteral("spool/%1.msg").arg(orphanId))));

        QueueStore store(dir.path());
        QVector<QueueEntry> entries;
        QStringList notes;
        QString error;
        QVERIFY(store.open(&entries, &notes, &error));
        QCOMPARE(entries.size(), 2);
        QStringList subjects;
        for (const QueueEntry &e : entries)
            subjects << e.info.subject;
        subjects.sort();
        QCOMPARE(subjects, (QStringList{QStringLiteral("kept"), QStringLiteral("unindexed")}));
        for (const QueueEntry &e : entries) {
            if (e.info.subject == QLatin1String("unindexed"))
                QCOMPARE(e.info.recipients.size(), 2);
        }
        const QString all = notes.join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QLatin1String("re-indexed")), qPrintable(all));
        QVERIFY2(all.contains(orphanId), qPrintable(all));
        QVERIFY2(all.contains(QLatin1String("partial")), qPrintable(all));
        QCOMPARE(QDir(store.spoolDir() + QStringLiteral("/incoming")).entryList(QDir::Files).size(), 0);
    }

    void attemptUpdateAndRemove()
    {
        QTemporaryDir dir;
        QueueStore store(dir.path());
        QVector<QueueEntry> entries;
        QStringList notes;
        QString error;
        QVERIFY(store.open(&entries, &notes, &error));
        QString tmp;
        QueueEntry e = writeMessage(store.spoolDir(), "Subject: t\r\n\r\nx\r\n", &tmp, {"a@x", "b@x"});
        bool done = false;
        store.commit(e, tmp, [&](bool, QString) { done = true; });
        QVERIFY(QTest::qWaitFor([&] { return done; }, 5000));

        AttemptUpdate u;
        u.queueId = e.info.queueId;
        u.state = MessageState::Deferred;
        u.attempts = 1;
        u.nextAttempt = QDateTime::currentDateTimeUtc().addSecs(60);
        u.lastError = QStringLiteral("451 4.3.0 try later");
        u.recipients = e.info.recipients;
        u.recipients[0].state = RecipientState::Delivered;
        u.recipients[1].lastReply = u.lastError;
        u.host = QStringLiteral("127.0.0.1:25");
        u.result = QStringLiteral("partial");
        store.recordAttempt(u);
        store.flushNow();
        QueueReader reader(dir.path());
        auto m = reader.message(e.info.queueId);
        QVERIFY(m.has_value());
        QCOMPARE(m->state, MessageState::Deferred);
        QCOMPARE(m->attempts, 1);
        QCOMPARE(m->recipients.at(0).state, RecipientState::Delivered);
        QCOMPARE(m->recipients.at(1).lastReply, u.lastError);

        store.remove(e.info.queueId);
        store.flushNow();
        QVERIFY(!reader.message(e.info.queueId).has_value());
        QVERIFY(!QFile::exists(e.spoolPath));
    }
};

QTEST_GUILESS_MAIN(TestQueueStore)
#include "tst_queuestore.moc"

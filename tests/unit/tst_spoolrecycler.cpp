// Spool file reuse (queue/spoolrecycler.h): a delivered message's file is kept
// as a spare and written over by the next message, never leaking old content,
// and start-up keeps spares apart from queued messages.
#include "queue/queuereader.h"
#include "queue/queuestore.h"
#include "queue/spoolfile.h"
#include "queue/spoolrecycler.h"
#include "util/ids.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace rd::queue;

namespace {

SpoolEnvelope envelope()
{
    SpoolEnvelope env;
    env.queueId = rd::util::newQueueId();
    env.sender = "a@example.test";
    env.recipients = {"b@example.test"};
    env.receivedMs = QDateTime::currentMSecsSinceEpoch();
    env.clientIp = QStringLiteral("127.0.0.1");
    env.helo = QStringLiteral("client.test");
    return env;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

QueueEntry entryFor(const SpoolFile &f, const QByteArray &body)
{
    QueueEntry e;
    e.spoolPath = f.finalPath();
    e.bodyOffset = f.bodyOffset();
    e.info.queueId = f.envelope().queueId;
    e.info.sender = f.envelope().sender;
    e.info.recipients.append(RecipientInfo{"b@example.test", RecipientState::Pending, 0, {}});
    e.info.recipientCount = 1;
    e.info.size = body.size();
    e.info.received = QDateTime::currentDateTimeUtc();
    return e;
}

} // namespace

class TestSpoolRecycler : public QObject {
    Q_OBJECT
private slots:
    void reusedFileHoldsOnlyTheNewMessage()
    {
        QTemporaryDir dir;
        const QString incoming = dir.filePath(QStringLiteral("spool/incoming"));
        QVERIFY(QDir().mkpath(incoming));
        SpoolRecycler recycler(incoming);
        QCOMPARE(recycler.take(), QString()); // none yet

        // A long message, delivered: its file becomes a spare.
        const QByteArray longBody = QByteArray("OLD-SECRET-LINE\r\n").repeated(4000);
        QString firstPath;
        {
            SpoolFile f(dir.filePath(QStringLiteral("spool")), envelope(), &recycler);
            QString error;
            QVERIFY2(f.begin(&error), qPrintable(error));
            QVERIFY(f.append(longBody.constData(), longBody.size()));
            QVERIFY2(f.finish(&error), qPrintable(error));
            firstPath = f.tmpPath();
            QVERIFY(firstPath.endsWith(QStringLiteral(".tmp"))); // created, not reused
            QVERIFY(QFile::rename(firstPath, f.finalPath()));
            QVERIFY(recycler.give(f.finalPath()));
            QVERIFY(!QFile::exists(f.finalPath()));
        }
        QCOMPARE(recycler.spares(), 1);

        // A short message is written over it: nothing of the old one remains.
        const QByteArray shortBody = "Subject: new\r\n\r\nshort\r\n";
        SpoolFile g(dir.filePath(QStringLiteral("spool")), envelope(), &recycler);
        QString error;
        QVERIFY2(g.begin(&error), qPrintable(error));
        QVERIFY(g.tmpPath().endsWith(QStringLiteral(".spare")));
        QCOMPARE(recycler.spares(), 0);
        QVERIFY(g.append(shortBody.constData(), shortBody.size()));
        QVERIFY2(g.finish(&error), qPrintable(error));
        const QByteArray content = readFile(g.tmpPath());
        QCOMPARE(content.size(), g.bodyOffset() + shortBody.size());
        QVERIFY(content.endsWith(shortBody));
        QVERIFY(!content.contains("OLD-SECRET-LINE"));
        SpoolEnvelope back;
        qint64 offset = 0;
        QVERIFY2(SpoolFile::readHeader(g.tmpPath(), &back, &offset, &error), qPrintable(error));
        QCOMPARE(back.queueId, g.envelope().queueId);
        QCOMPARE(offset, g.bodyOffset());
        QCOMPARE(QFile(g.tmpPath()).permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup),
                 QFileDevice::Permissions());
    }

    void discardedMessageDoesNotBecomeASpare()
    {
        QTemporaryDir dir;
        const QString incoming = dir.filePath(QStringLiteral("spool/incoming"));
        QVERIFY(QDir().mkpath(incoming));
        SpoolRecycler recycler(incoming);
        QFile spare(incoming + QStringLiteral("/7.spare"));
        QVERIFY(spare.open(QIODevice::WriteOnly));
        spare.write("old");
        spare.close();
        recycler.adoptExisting();
        QCOMPARE(recycler.spares(), 1);
        {
            SpoolFile f(dir.filePath(QStringLiteral("spool")), envelope(), &recycler);
            QString error;
            QVERIFY(f.begin(&error));
            f.append("REFUSED-CONTENT", 15);
            // destroyed without finish(): a refused or broken message
        }
        QCOMPARE(QDir(incoming).entryList(QDir::Files), QStringList());
        // New spares continue the numbering after the adopted ones.
        QFile other(dir.filePath(QStringLiteral("x.msg")));
        QVERIFY(other.open(QIODevice::WriteOnly));
        other.close();
        QVERIFY(recycler.give(other.fileName()));
        QCOMPARE(QDir(incoming).entryList(QDir::Files), QStringList{QStringLiteral("8.spare")});
    }

    void capsAndLargeFilesAreDeleted()
    {
        QTemporaryDir dir;
        const QString incoming = dir.filePath(QStringLiteral("incoming"));
        QVERIFY(QDir().mkpath(incoming));
        SpoolRecycler recycler(incoming);
        QFile big(dir.filePath(QStringLiteral("big.msg")));
        QVERIFY(big.open(QIODevice::WriteOnly));
        QVERIFY(big.resize(SpoolRecycler::kMaxSpareSize + 1));
        big.close();
        QVERIFY(recycler.give(big.fileName()));
        QVERIFY(!big.exists());
        QCOMPARE(recycler.spares(), 0);
        for (int i = 0; i < SpoolRecycler::kMaxSpares + 10; ++i) {
            QFile f(dir.filePath(QStringLiteral("m%1.msg").arg(i)));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("x");
            f.close();
            QVERIFY(recycler.give(f.fileName()));
            QVERIFY(!f.exists());
        }
        QCOMPARE(recycler.spares(), SpoolRecycler::kMaxSpares);
        QCOMPARE(QDir(incoming).entryList(QDir::Files).size(), SpoolRecycler::kMaxSpares);
    }

    // Through the QueueStore: delivered messages' files are reused; a restart
    // keeps the spares, does not index them, and reuses them again.
    void queueStoreRecyclesAcrossRestart()
    {
        QTemporaryDir dir;
        QString keptId;
        {
            QueueStore store(dir.path());
            QVector<QueueEntry> entries;
            QStringList notes;
            QString error;
            QVERIFY2(store.open(&entries, &notes, &error), qPrintable(error));
            int committed = 0;
            QStringList ids;
            for (int i = 0; i < 5; ++i) {
                const QByteArray body = "Subject: m" + QByteArray::number(i) + "\r\n\r\nbody-" + QByteArray::number(i) +
                                        "\r\n";
                SpoolFile f(store.spoolDir(), envelope(), store.recycler());
                QVERIFY(f.begin(&error));
                f.append(body.constData(), body.size());
                QVERIFY(f.finish(&error));
                ids << f.envelope().queueId;
                store.commit(entryFor(f, body), f.tmpPath(), [&](bool ok, QString) { committed += ok; });
            }
            QVERIFY(QTest::qWaitFor([&] { return committed == 5; }, 10000));
            for (int i = 0; i < 4; ++i)
                store.remove(ids.at(i)); // delivered
            store.flushNow();
            QCOMPARE(store.recycler()->spares(), 4);
            keptId = ids.at(4);
        }
        QueueStore store(dir.path());
        QVector<QueueEntry> entries;
        QStringList notes;
        QString error;
        QVERIFY2(store.open(&entries, &notes, &error), qPrintable(error));
        QCOMPARE(entries.size(), 1);
        QCOMPARE(entries.first().info.queueId, keptId);
        QCOMPARE(store.recycler()->spares(), 4);
        SpoolFile f(store.spoolDir(), envelope(), store.recycler());
        QVERIFY(f.begin(&error));
        QVERIFY(f.tmpPath().endsWith(QStringLiteral(".spare")));
        QCOMPARE(store.recycler()->spares(), 3);
    }
};

QTEST_GUILESS_MAIN(TestSpoolRecycler)
#include "tst_spoolrecycler.moc"

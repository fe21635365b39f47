// PickupService against a real folder: settle and claim, thousands of files
// at once with bounded work, crash recovery without loss or duplicates, bad
// files to badmail, failed commits retried. Commits go to a fake queue that
// renames the spool file into place as QueueStore does (and can fail or
// "crash"), plus one run against the real QueueStore.

#include "pickup/badmail.h"
#include "pickup/pickupjobs.h"
#include "pickup/pickupparser.h"
#include "pickup/pickupservice.h"
#include "queue/queuestore.h"
#include "queue/spoolfile.h"
#include "util/ids.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <memory>

using namespace rd::pickup;
using rd::queue::QueueEntry;

namespace {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

QByteArray sample(const QString &name)
{
    return readFile(QFINDTESTDATA(QStringLiteral("../data/pickup/") + name));
}

QByteArray numbered(int i)
{
    return QStringLiteral("X-Sender: app@example.com\r\nX-Receiver: user%1@example.org\r\nMIME-Version: 1.0\r\n"
                          "From: app@example.com\r\nTo: user%1@example.org\r\nSubject: message %1\r\n"
                          "Content-Type: text/plain; charset=us-ascii\r\n"
                          "Content-Transfer-Encoding: quoted-printable\r\n\r\nbody %1\r\n")
        .arg(i)
        .toUtf8();
}

// The message part of a spool file.
QByteArray spoolContent(const QString &path)
{
    rd::queue::SpoolEnvelope env;
    qint64 offset = 0;
    QString error;
    if (!rd::queue::SpoolFile::readHeader(path, &env, &offset, &error))
        return {};
    return readFile(path).mid(offset);
}

// A queue that commits by renaming the spool file into place (as QueueStore
// does after its fsync), asynchronously.
struct FakeQueue {
    enum Mode { Commit, Fail, CrashAfterCommit, CrashBeforeCommit };
    Mode mode = Commit;
    int failuresLeft = 0; // Commit mode: fail this many first
    int delayMs = 1;      // how long a commit takes
    bool hold = false;    // keep every answer until release()
    QList<std::function<void()>> held;

    void release()
    {
        hold = false;
        const auto answers = held;
        held.clear();
        for (const auto &a : answers)
            a();
    }
    QList<QueueEntry> committed;
    int pending = 0;
    int maxPending = 0;

    QObject context; // timers die with the queue

    PickupService::CommitFn fn(QObject *)
    {
        return [this](QueueEntry e, QString tmp, std::function<void(bool, QString)> done) {
            ++pending;
            maxPending = std::max(maxPending, pending);
            QTimer::singleShot(delayMs, &context, [this, e, tmp, done] {
                if (hold) {
                    held.append([this, e, tmp, done] { answer(e, tmp, done); });
                    return;
                }
                answer(e, tmp, done);
            });
        };
    }

    void answer(const QueueEntry &e, const QString &tmp, const std::function<void(bool, QString)> &done)
    {
        --pending;
        if (mode == CrashBeforeCommit)
            return; // never answers: the process "died"
        if (mode == Fail || failuresLeft > 0) {
            --failuresLeft;
            QFile::remove(tmp);
            done(false, QStringLiteral("disk full (test)"));
            return;
        }
        QFile::rename(tmp, e.spoolPath);
        committed.append(e);
        if (mode == CrashAfterCommit)
            return; // committed, but the answer never came
        done(true, QString());
    }
};

struct Fixture {
    QTemporaryDir tmp;
    QString pickup, spool, badmail;
    QList<PickupEvent> events;

    Fixture()
    {
        pickup = tmp.path() + QStringLiteral("/Pickup");
        spool = tmp.path() + QStringLiteral("/spool");
        badmail = tmp.path() + QStringLiteral("/Badmail");
        QDir().mkpath(pickup);
        QDir().mkpath(spool + QStringLiteral("/incoming"));
    }
    PickupOptions options(int settleMs = 100) const
    {
        PickupOptions o;
        o.directory = pickup;
        o.spoolDir = spool;
        o.badmailDir = badmail;
        o.maxMessageSize = 10 * 1024 * 1024;
        o.settleMs = settleMs;
        o.rescanMs = 300;
        o.retryMs = 200;
        return o;
    }
    PickupService::LogFn logger()
    {
        return [this](const PickupEvent &e) { events.append(e); };
    }
    int count(PickupEvent::Kind k) const
    {
        return int(std::count_if(events.begin(), events.end(), [k](const PickupEvent &e) { return e.kind == k; }));
    }
    QStringList pickupFiles() const
    {
        return QDir(pickup).entryList(QDir::Files | QDir::Hidden);
    }
    QStringList claimFiles() const
    {
        return QDir(claimDirFor(pickup)).entryList(QDir::Files | QDir::Hidden);
    }
};

} // namespace

class TestPickupService : public QObject {
    Q_OBJECT
private slots:
    void queuesAndRemoves();
    void waitsWhileFileGrows();
    void badFilesGoToBadmail();
    void failedCommitIsRetried();
    void thousandsAtOnceBounded();
    void recoveryStates();
    void crashAfterCommitNoDuplicate();
    void crashBeforeCommitNoLoss();
    void realQueueStore();
};

void TestPickupService::queuesAndRemoves()
{
    Fixture fx;
    FakeQueue q;
    QVERIFY(writeFile(fx.pickup + QStringLiteral("/3f1e9a.eml"), sample(QStringLiteral("snm-plain.eml"))));
    QVERIFY(writeFile(fx.pickup + QStringLiteral("/backup.EML"), sample(QStringLiteral("script-lf.eml"))));
    QVERIFY(writeFile(fx.pickup + QStringLiteral("/notes.txt"), "not a pickup file"));
    PickupOptions o = fx.options();
    o.hostname = QStringLiteral("relay.example.com");
    PickupService svc(o, q.fn(this), fx.logger());
    svc.start();
    QTRY_COMPARE_WITH_TIMEOUT(q.committed.size(), 2, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(fx.count(PickupEvent::Queued), 2, 5000);
    QCOMPARE(fx.pickupFiles(), QStringList{"notes.txt"});
    QVERIFY(fx.claimFiles().isEmpty());
    for (const QueueEntry &e : std::as_const(q.committed)) {
        const QByteArray content = spoolContent(e.spoolPath);
        QVERIFY(!content.isEmpty());
        QCOMPARE(e.origin, QStringLiteral("local"));
        if (e.info.sender == "app@example.com") {
            QCOMPARE(e.info.recipients.size(), 3);
            QVERIFY(content.startsWith("Received: from pickup by relay.example.com (RelayDesk pickup);\r\n\t"));
            QVERIFY(content.contains(" +0000\r\nMIME-Version: 1.0\r\n"));
            QCOMPARE(e.info.subject, QStringLiteral("Invoice 42"));
        } else {
            QCOMPARE(e.info.sender, QByteArray("backup@example.com"));
            QCOMPARE(e.info.recipients.size(), 5);
            QVERIFY(!content.contains("Bcc:"));
        }
    }
    for (const PickupEvent &e : std::as_const(fx.events)) {
        QVERIFY(rd::util::isValidQueueId(e.queueId));
        QVERIFY(e.fileName == QLatin1String("3f1e9a.eml") || e.fileName == QLatin1String("backup.EML"));
        QCOMPARE(e.kindName(), QStringLiteral("queued"));
    }
    QCOMPARE(svc.queuedCount(), 2);
}

void TestPickupService::waitsWhileFileGrows()
{
    Fixture fx;
    FakeQueue q;
    PickupService svc(fx.options(600), q.fn(this), fx.logger());
    svc.start();
    const QString path = fx.pickup + QStringLiteral("/slow.eml");
    const QByteArray full = sample(QStringLiteral("snm-plain.eml"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    // Written in pieces, 150 ms apart, for ~2 s: never settled, never taken.
    const int pieces = 14;
    for (int i = 0; i < pieces; ++i) {
        const qsizetype from = full.size() * i / pieces, to = full.size() * (i + 1) / pieces;
        f.write(full.mid(from, to - from));
        f.flush();
        QTest::qWait(150);
        QVERIFY2(q.committed.isEmpty(), "a file still being written was picked up");
    }
    f.close();
    QTRY_COMPARE_WITH_TIMEOUT(q.committed.size(), 1, 10000);
    QCOMPARE(spoolContent(q.committed.first().spoolPath), full.mid(full.indexOf("MIME-Version:")));
    QCOMPARE(q.committed.first().info.recipients.size(), 3);
}

void TestPickupService::badFilesGoToBadmail()
{
    Fixture fx;
    FakeQueue q;
    for (const char *name : {"junk-binary.eml", "junk-text.eml", "no-recipients.eml"})
        QVERIFY(writeFile(fx.pickup + QLatin1Char('/') + QLatin1String(name), sample(QLatin1String(name))));
    PickupOptions o = fx.options();
    o.maxMessageSize = 4000; // junk-binary.eml (3006 bytes) fits, big.eml does not
    QVERIFY(writeFile(fx.pickup + QStringLiteral("/big.eml"), "From: a@example.com\nTo: b@example.com\n\n"
                                                                  + QByteArray(5000, 'x')));
    PickupService svc(o, q.fn(this), fx.logger());
    svc.start();
    QTRY_COMPARE_WITH_TIMEOUT(fx.count(PickupEvent::Badmail), 4, 10000);
    QVERIFY(q.committed.isEmpty());
    QVERIFY(fx.pickupFiles().isEmpty());
    QVERIFY(fx.claimFiles().isEmpty());
    const QList<BadmailItem> items = Badmail(fx.badmail).list();
    QCOMPARE(items.size(), 4);
    QHash<QString, BadmailItem> byName;
    for (const BadmailItem &i : items)
        byName.insert(i.fileName, i);
    QVERIFY(byName.value(QStringLiteral("junk-binary.bad")).reason.contains(QStringLiteral("NUL")));
    QVERIFY(byName.value(QStringLiteral("no-recipients.bad")).reason.startsWith(QStringLiteral("no recipients")));
    QVERIFY(byName.value(QStringLiteral("big.bad")).reason.contains(QStringLiteral("smtp.max_message_size")));
    QCOMPARE(byName.value(QStringLiteral("junk-text.bad")).source, QStringLiteral("pickup"));
    // The .bad file is the original, byte for byte.
    QCOMPARE(readFile(byName.value(QStringLiteral("junk-binary.bad")).path), sample(QStringLiteral("junk-binary.eml")));
    for (const PickupEvent &e : std::as_const(fx.events)) {
        if (e.kind == PickupEvent::Badmail)
            QVERIFY(e.badPath.endsWith(QStringLiteral(".bad")) && !e.detail.isEmpty());
    }
}

void TestPickupService::failedCommitIsRetried()
{
    Fixture fx;
    FakeQueue q;
    q.failuresLeft = 2;
    QVERIFY(writeFile(fx.pickup + QStringLiteral("/retry.eml"), numbered(1)));
    PickupService svc(fx.options(), q.fn(this), fx.logger());
    svc.start();
    QTRY_COMPARE_WITH_TIMEOUT(fx.count(PickupEvent::Deferred), 1, 10000);
    // While waiting for the retry the file stays claimed, not lost, not in the folder.
    QVERIFY(fx.pickupFiles().isEmpty());
    QCOMPARE(fx.claimFiles().size(), 1);
    QVERIFY(fx.claimFiles().first().endsWith(QStringLiteral(".processing")));
    QTRY_COMPARE_WITH_TIMEOUT(q.committed.size(), 1, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(fx.claimFiles().isEmpty(), 5000);
    QCOMPARE(fx.count(PickupEvent::Deferred), 2);
    QVERIFY(fx.events.first().detail.contains(QStringLiteral("disk full")));
    // Failed commits left no spool files behind.
    QCOMPARE(QDir(fx.spool + QStringLiteral("/incoming")).entryList(QDir::Files).size(), 0);
}

void TestPickupService::thousandsAtOnceBounded()
{
    Fixture fx;
    FakeQueue q;
    q.hold = true; // no commit answers at first: the in-flight cap must stop the claiming
    const int n = 2000;
    for (int i = 0; i < n; ++i)
        QVERIFY(writeFile(fx.pickup + QStringLiteral("/m%1.eml").arg(i, 5, 10, QLatin1Char('0')), numbered(i)));
    PickupOptions o = fx.options(0);
    o.batchSize = 50;
    o.maxInFlight = 120;
    PickupService svc(o, q.fn(this), fx.logger());
    // The engine thread must stay responsive: a 10 ms heartbeat never stalls long.
    QElapsedTimer beat;
    qint64 maxGap = 0;
    QTimer heart;
    heart.setInterval(10);
    connect(&heart, &QTimer::timeout, this, [&] {
        maxGap = std::max(maxGap, beat.restart());
    });
    int maxInFlight = 0;
    QTimer probe;
    probe.setInterval(1);
    connect(&probe, &QTimer::timeout, this, [&] { maxInFlight = std::max(maxInFlight, svc.inFlight()); });
    beat.start();
    heart.start();
    probe.start();
    QElapsedTimer total;
    total.start();
    svc.start();
    QTRY_COMPARE_WITH_TIMEOUT(q.pending, o.maxInFlight, 60000);
    QTest::qWait(1000);
    QCOMPARE(q.pending, o.maxInFlight);
    QCOMPARE(fx.claimFiles().size(), o.maxInFlight);           // claimed, waiting for the queue
    QCOMPARE(fx.pickupFiles().size(), n - o.maxInFlight);      // not touched yet
    q.release();
    QTRY_COMPARE_WITH_TIMEOUT(q.committed.size(), n, 120000);
    QTRY_COMPARE_WITH_TIMEOUT(fx.count(PickupEvent::Queued), n, 10000);
    heart.stop();
    probe.stop();
    qInfo("2000 files queued in %lld ms; max heartbeat gap %lld ms; max in flight %d; max pending commits %d",
          total.elapsed(), maxGap, maxInFlight, q.maxPending);
    QVERIFY(maxInFlight <= o.maxInFlight);
    QVERIFY(q.maxPending <= o.maxInFlight);
    QVERIFY2(maxGap < 1500, "the engine thread stalled");
    // Every file exactly once.
    QSet<QByteArray> seen;
    for (const QueueEntry &e : std::as_const(q.committed))
        seen.insert(e.info.recipients.value(0).address);
    QCOMPARE(seen.size(), n);
    QTRY_VERIFY_WITH_TIMEOUT(fx.pickupFiles().isEmpty() && fx.claimFiles().isEmpty(), 5000);
}

void TestPickupService::recoveryStates()
{
    Fixture fx;
    const QString claim = claimDirFor(fx.pickup);
    QDir().mkpath(claim);
    // A claim that never got to its commit: picked up again.
    QVERIFY(writeFile(claim + QStringLiteral("/k1-0_a.eml.processing"), numbered(1)));
    // Committed before the crash (its spool file exists): removed, not queued again.
    const QString committedId = rd::util::newQueueId();
    QVERIFY(writeFile(fx.spool + QLatin1Char('/') + committedId + QStringLiteral(".msg"), "RDSPOOL1\n{}\n"));
    QVERIFY(writeFile(claim + QStringLiteral("/k1-1_b.eml.%1.committing").arg(committedId), numbered(2)));
    // Not committed (no spool file): queued again.
    const QString lostId = rd::util::newQueueId();
    QVERIFY(writeFile(claim + QStringLiteral("/k1-2_c.eml.%1.committing").arg(lostId), numbered(3)));
    // Committed and answered, removal not done: removed.
    QVERIFY(writeFile(claim + QStringLiteral("/k1-3_d.eml.X.committing.done"), numbered(4)));

    FakeQueue q;
    PickupOptions o = fx.options();
    o.hostname = QStringLiteral("relay.example.com");
    PickupService svc(o, q.fn(this), fx.logger());
    svc.start();
    QTRY_COMPARE_WITH_TIMEOUT(q.committed.size(), 2, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(fx.claimFiles().isEmpty(), 5000);
    QTest::qWait(500);
    QCOMPARE(q.committed.size(), 2);
    QStringList rcpts;
    for (const QueueEntry &e : std::as_const(q.committed))
        rcpts << QString::fromUtf8(e.info.recipients.value(0).address);
    rcpts.sort();
    QCOMPARE(rcpts, (QStringList{"user1@example.org", "user3@example.org"}));
    QCOMPARE(fx.count(PickupEvent::Recovered), 3);
    bool sawCommitted = false;
    for (const PickupEvent &e : std::as_const(fx.events))
        sawCommitted = sawCommitted || (e.kind == PickupEvent::Recovered && e.detail.contains(committedId));
    QVERIFY(sawCommitted);
    QCOMPARE(originalNameOf(QStringLiteral("k1-2_c.eml.%1.committing").arg(lostId)), QStringLiteral("c.eml"));
}

void TestPickupService::crashAfterCommitNoDuplicate()
{
    Fixture fx;
    QVERIFY(writeFile(fx.pickup + QStringLiteral("/once.eml"), numbered(7)));
    {
        FakeQueue q;
        q.mode = FakeQueue::CrashAfterCommit;
        PickupService svc(fx.options(), q.fn(this), fx.logger());
        svc.start();
        QTRY_COMPARE_WITH_TIMEOUT(q.committed.size(), 1, 10000);
    } // the process "dies" with the answer outstanding
    QCOMPARE(fx.claimFiles().size(), 1);
    QVERIFY(fx.claimFiles().first().endsWith(QStringLiteral(".committing")));
    FakeQueue q2;
    PickupService svc2(fx.options(), q2.fn(this), fx.logger());
    svc2.start();
    QTRY_VERIFY_WITH_TIMEOUT(fx.claimFiles().isEmpty(), 5000);
    QTest::qWait(800);
    QCOMPARE(q2.committed.size(), 0);
    QVERIFY(fx.pickupFiles().isEmpty());
}

void TestPickupService::crashBeforeCommitNoLoss()
{
    Fixture fx;
    QVERIFY(writeFile(fx.pickup + QStringLiteral("/keep.eml"), numbered(8)));
    {
        FakeQueue q;
        q.mode = FakeQueue::CrashBeforeCommit;
        PickupService svc(fx.options(), q.fn(this), fx.logger());
        svc.start();
        QTRY_VERIFY_WITH_TIMEOUT(!fx.claimFiles().isEmpty() && fx.claimFiles().first().endsWith(
                                     QStringLiteral(".committing")), 10000);
        QTest::qWait(50);
    }
    // QueueStore::open() would remove the unfinished spool file at the restart.
    for (const QString &f : QDir(fx.spool + QStringLiteral("/incoming")).entryList(QDir::Files))
        QFile::remove(fx.spool + QStringLiteral("/incoming/") + f);
    FakeQueue q2;
    PickupService svc2(fx.options(), q2.fn(this), fx.logger());
    svc2.start();
    QTRY_COMPARE_WITH_TIMEOUT(q2.committed.size(), 1, 10000);
    QCOMPARE(q2.committed.first().info.recipients.value(0).address, QByteArray("user8@example.org"));
    QTRY_VERIFY_WITH_TIMEOUT(fx.claimFiles().isEmpty(), 5000);
}

void TestPickupService::realQueueStore()
{
    Fixture fx;
    const QString data = fx.tmp.path() + QStringLiteral("/data");
    const int n = 300;
    {
        rd::queue::QueueStore store(data);
        QVector<QueueEntry> entries;
        QStringList notes;
        QString error;
        QVERIFY2(store.open(&entries, &notes, &error), qPrintable(error));
        for (int i = 0; i < n; ++i)
            QVERIFY(writeFile(fx.pickup + QStringLiteral("/r%1.eml").arg(i), numbered(i)));
        PickupOptions o = fx.options(0);
        o.spoolDir = store.spoolDir();
        PickupService svc(
            o, [&store](QueueEntry e, QString tmp, std::function<void(bool, QString)> done) {
                store.commit(e, tmp, std::move(done));
            },
            fx.logger());
        svc.start();
        QTRY_COMPARE_WITH_TIMEOUT(fx.count(PickupEvent::Queued), n, 60000);
        store.flushNow();
    }
    rd::queue::QueueStore again(data);
    QVector<QueueEntry> entries;
    QStringList notes;
    QString error;
    QVERIFY2(again.open(&entries, &notes, &error), qPrintable(error));
    QCOMPARE(entries.size(), n);
    QVERIFY(fx.pickupFiles().isEmpty());
    QVERIFY(fx.claimFiles().isEmpty());
}

QTEST_GUILESS_MAIN(TestPickupService)
#include "tst_pickupservice.moc"

// Message tracking on a real log.db written through LogStore: search by each
// field against an in-test oracle over the records we wrote, keyset paging,
// bad input as errors, a trail rebuilt from events (received, deferred,
// delivered, bounce both ways, admin actions), CSV parsed back by Python's csv
// module, the --track command's JSON, and timing at 200k messages / 1M events
// (RD_TRACK_BIG=1; printed, not asserted).

#include "log/logstore.h"
#include "log/messagetrack.h"
#include "log/messagetrackservice.h"
#include "log/trackreport.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rd::log;

namespace {

const qint64 kBase = 1700000000000LL;
const QStringList kSubjects = {QStringLiteral("Invoice 2026-11"), QStringLiteral("Grüße aus Köln"),
                               QStringLiteral("Weekly REPORT"), QStringLiteral("100% off_sale")};

MessageRecord makeRecord(int n)
{
    MessageRecord r;
    r.queueId = QStringLiteral("0000000000%1").arg(n, 6, 10, QLatin1Char('0'));
    r.time = QDateTime::fromMSecsSinceEpoch(kBase + qint64(n / 2) * 1000, Qt::UTC); // ties of 2
    r.messageId = n % 2 ? QStringLiteral("<m%1@host.example>").arg(n) : QStringLiteral("m%1@host.example").arg(n);
    r.subject = kSubjects.at(n % kSubjects.size()) + QStringLiteral(" #%1").arg(n);
    r.sender = n % 7 == 0 ? QString() : QStringLiteral("User%1@Sender%2.example").arg(n % 5).arg(n % 3);
    r.recipients = QStringLiteral("a%1@dest%2.test,b@other.test").arg(n % 11).arg(n % 4);
    r.clientIp = QStringLiteral("127.0.0.%1").arg(1 + n % 9);
    r.listener = QStringLiteral("smtp");
    r.tls = n % 3 ? QStringLiteral("TLSv1.3 TLS_AES_256_GCM_SHA384") : QString();
    r.size = 1000 + n;
    r.origin = QStringLiteral("relay");
    return r;
}

LogEvent makeEvent(LogKind kind, const QString &qid, qint64 ms, const QString &result, const QString &message)
{
    LogEvent e;
    e.kind = kind;
    e.time = QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
    e.queueId = qid;
    e.result = result;
    e.message = message;
    return e;
}

// Independent CSV reader: Python's csv module.
QList<QStringList> parseCsvWithPython(const QString &path)
{
    QProcess p;
    p.start(QStringLiteral("/usr/bin/python3"),
            {QStringLiteral("-c"),
             QStringLiteral("import csv,json,sys\n"
                            "rows=list(csv.reader(open(sys.argv[1],newline='',encoding='utf-8')))\n"
                            "print(json.dumps(rows))"),
             path});
    if (!p.waitForFinished(30000) || p.exitCode() != 0)
        return {};
    QList<QStringList> out;
    for (const QJsonValue &row : QJsonDocument::fromJson(p.readAllStandardOutput()).array()) {
        QStringList cells;
        for (const QJsonValue &c : row.toArray())
            cells << c.toString();
        out << cells;
    }
    return out;
}

} // namespace

class TestMessageTrack : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QVector<MessageRecord> m_records;

    // Oracle: the records matching a field/text, newest first (ts desc, queue id desc).
    QStringList expected(TrackField field, const QString &text) const
    {
        QVector<MessageRecord> hits;
        for (const MessageRecord &r : m_records) {
            bool ok = false;
            switch (field) {
            case TrackField::MessageId: {
                QString a = r.messageId, b = text.trimmed();
                a.remove(QLatin1Char('<')).remove(QLatin1Char('>'));
                b.remove(QLatin1Char('<')).remove(QLatin1Char('>'));
                ok = a == b;
                break;
            }
            case TrackField::Sender: ok = r.sender.contains(text, Qt::CaseInsensitive); break;
            case TrackField::Recipient: ok = r.recipients.contains(text, Qt::CaseInsensitive); break;
            case TrackField::Subject: ok = r.subject.contains(text, Qt::CaseInsensitive); break;
            }
            if (ok)
                hits << r;
        }
        std::sort(hits.begin(), hits.end(), [](const MessageRecord &a, const MessageRecord &b) {
            return a.time != b.time ? a.time > b.time : a.queueId > b.queueId;
        });
        QStringList ids;
        for (const MessageRecord &r : hits)
            ids << r.queueId;
        return ids;
    }

    static QStringList ids(const TrackPage &p)
    {
        QStringList out;
        for (const MessageRecord &r : p.rows)
            out << r.queueId;
        return out;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        LogStore store(m_dir.path(), false);
        QVERIFY2(store.errorString().isEmpty(), qPrintable(store.errorString()));
        for (int n = 0; n < 300; ++n) {
            m_records << makeRecord(n);
            store.appendMessage(m_records.last());
        }
        // One message's life: A deferred, then delivered to one recipient and
        // bounced for the other; the bounce B; an admin hold naming A and C.
        const QString a = QStringLiteral("AAAAAAAAAAAAAAA1"), b = QStringLiteral("BBBBBBBBBBBBBBB2");
        MessageRecord ra;
        ra.queueId = a;
        ra.time = QDateTime::fromMSecsSinceEpoch(kBase + 10'000'000, Qt::UTC);
        ra.messageId = QStringLiteral("<life@example.org>");
        ra.subject = QStringLiteral("A long life");
        ra.sender = QStringLiteral("app@example.org");
        ra.recipients = QStringLiteral("ok@dest.test,bad@dest.test");
        ra.clientIp = QStringLiteral("127.0.0.5");
        ra.listener = QStringLiteral("submission");
        ra.tls = QStringLiteral("TLSv1.3 TLS_AES_128_GCM_SHA256");
        ra.size = 4321;
        ra.origin = QStringLiteral("relay");
        store.appendMessage(ra);
        LogEvent rx = makeEvent(LogKind::Receive, a, kBase + 10'000'000, QStringLiteral("accepted"),
                            QStringLiteral("message-id=<life@example.org>"));
        rx.clientIp = ra.clientIp;
        rx.tlsVersion = QStringLiteral("TLSv1.3");
        store.append(rx);
        LogEvent d1 = makeEvent(LogKind::Delivery, a, kBase + 10'060'000, QStringLiteral("deferred"),
                            QStringLiteral("451 4.7.1 try later (attempt 1, next in 300 s)"));
        d1.clientName = QStringLiteral("mx.dest.test");
        d1.clientIp = QStringLiteral("127.0.0.9");
        d1.replyCode = 451;
        d1.recipients = ra.recipients;
        store.append(d1);
        store.append(makeEvent(LogKind::System, QString(), kBase + 10'100'000, QStringLiteral("admin_hold"),
                           QStringLiteral("1 message held by root: %1,CCCCCCCCCCCCCCC3").arg(a)));
        store.append(makeEvent(LogKind::System, QString(), kBase + 10'110'000, QStringLiteral("admin_hold"),
                           QStringLiteral("1 message held by root: CCCCCCCCCCCCCCC3")));
        LogEvent d2 = makeEvent(LogKind::Delivery, a, kBase + 10'400'000, QStringLiteral("delivered"),
                            QStringLiteral("250 2.0.0 Ok queued"));
        d2.replyCode = 250;
        d2.recipients = QStringLiteral("ok@dest.test");
        store.append(d2);
        LogEvent d3 = makeEvent(LogKind::Delivery, a, kBase + 10'400'001, QStringLiteral("failed"),
                            QStringLiteral("550 5.1.1 no such user"));
        d3.replyCode = 550;
        d3.recipients = QStringLiteral("bad@dest.test");
        store.append(d3);
        store.append(makeEvent(LogKind::Delivery, a, kBase + 10'400'002, QStringLiteral("bounce_queued"),
                           QStringLiteral("bounce queued as %1").arg(b)));
        MessageRecord rb;
        rb.queueId = b;
        rb.time = QDateTime::fromMSecsSinceEpoch(kBase + 10'400'002, Qt::UTC);
        rb.messageId = QStringLiteral("dsn1@relay.test");
        rb.subject = QStringLiteral("Undelivered Mail Returned to Sender");
        rb.recipients = ra.sender;
        rb.origin = QStringLiteral("local");
        rb.listener = QStringLiteral("local");
        store.appendMessage(rb);
        LogEvent bd = makeEvent(LogKind::Delivery, b, kBase + 10'500'000, QStringLiteral("delivered"),
                            QStringLiteral("250 ok"));
        bd.replyCode = 250;
        store.append(bd);
        // Noise that names the ids in other ways must not join the trail.
        store.append(makeEvent(LogKind::System, QString(), kBase + 10'600'000, QStringLiteral("config_applied"),
                           QStringLiteral("mentions %1 but is no admin action").arg(a)));
        store.flushNow();
    }

    void searchByEachFieldMatchesOracle_data()
    {
        QTest::addColumn<int>("field");
        QTest::addColumn<QString>("text");
        QTest::newRow("msgid-bare") << int(TrackField::MessageId) << QStringLiteral("m17@host.example");
        QTest::newRow("msgid-angle") << int(TrackField::MessageId) << QStringLiteral("<m18@host.example>");
        QTest::newRow("msgid-angle-stored") << int(TrackField::MessageId) << QStringLiteral(" m19@host.example ");
        QTest::newRow("msgid-none") << int(TrackField::MessageId) << QStringLiteral("nope@host.example");
        QTest::newRow("sender-case") << int(TrackField::Sender) << QStringLiteral("user3@SENDER1");
        QTest::newRow("sender-domain") << int(TrackField::Sender) << QStringLiteral("sender2.example");
        QTest::newRow("rcpt") << int(TrackField::Recipient) << QStringLiteral("a7@dest3.test");
        QTest::newRow("rcpt-domain") << int(TrackField::Recipient) << QStringLiteral("@DEST1.");
        QTest::newRow("subject-case") << int(TrackField::Subject) << QStringLiteral("weekly report");
        QTest::newRow("subject-percent") << int(TrackField::Subject) << QStringLiteral("100% off_");
        QTest::newRow("subject-like-meta") << int(TrackField::Subject) << QStringLiteral("_");
        QTest::newRow("subject-utf8") << int(TrackField::Subject) << QStringLiteral("Grüße");
    }

    void searchByEachFieldMatchesOracle()
    {
        QFETCH(int, field);
        QFETCH(QString, text);
        MessageTrack track(m_dir.path());
        QVERIFY2(track.isOpen(), qPrintable(track.errorString()));
        TrackQuery q;
        q.field = TrackField(field);
        q.text = text;
        q.limit = 1000;
        const TrackPage page = track.search(q);
        QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
        QStringList want = expected(q.field, text);
        QCOMPARE(ids(page), want);
    }

    void pagingWalksEveryRowOnce()
    {
        MessageTrack track(m_dir.path());
        TrackQuery q;
        q.field = TrackField::Recipient;
        q.text = QStringLiteral("other.test");
        q.limit = 7; // ties of 2 timestamps straddle page ends
        QStringList all;
        for (int guard = 0; guard < 100; ++guard) {
            const TrackPage p = track.search(q);
            QVERIFY(p.error.isEmpty());
            all << ids(p);
            if (!p.more)
                break;
            q.beforeTs = p.rows.last().time.toMSecsSinceEpoch();
            q.beforeQueueId = p.rows.last().queueId;
        }
        QCOMPARE(all, expected(TrackField::Recipient, QStringLiteral("other.test")));
        QCOMPARE(all.size(), 300);
    }

    void timeRangeIsInclusive()
    {
        MessageTrack track(m_dir.path());
        TrackQuery q;
        q.field = TrackField::Subject;
        q.from = QDateTime::fromMSecsSinceEpoch(kBase + 10'000, Qt::UTC);
        q.to = QDateTime::fromMSecsSinceEpoch(kBase + 20'000, Qt::UTC);
        const TrackPage p = track.search(q);
        QVERIFY(p.error.isEmpty());
        int want = 0;
        for (const MessageRecord &r : m_records)
            want += r.time >= q.from && r.time <= q.to;
        QCOMPARE(p.rows.size(), want);
        QCOMPARE(want, 22); // n = 20..41: 11 seconds of 2 messages each
    }

    void badInputGivesErrors()
    {
        MessageTrack track(m_dir.path());
        TrackQuery q;
        q.field = TrackField::MessageId;
        q.text = QStringLiteral("<>");
        QVERIFY(!track.search(q).error.isEmpty());
        q.field = TrackField::Subject;
        q.text = QStringLiteral("x");
        q.from = QDateTime::fromMSecsSinceEpoch(kBase + 5000, Qt::UTC);
        q.to = QDateTime::fromMSecsSinceEpoch(kBase, Qt::UTC);
        QVERIFY(!track.search(q).error.isEmpty());
        q = TrackQuery();
        q.text = QStringLiteral("'; DROP TABLE messages; --\" MATCH *");
        q.limit = -5; // clamped, not an error
        QVERIFY(track.search(q).error.isEmpty());
        QVERIFY(!track.trail(QString()).error.isEmpty());
        const MessageTrail none = track.trail(QStringLiteral("\" OR 1 --"));
        QVERIFY(none.error.isEmpty());
        QVERIFY(!none.found);
        TrackField f;
        QVERIFY(!parseTrackField(QStringLiteral("body"), &f));
        MessageTrack missing(m_dir.path() + QStringLiteral("/no/such/dir"));
        const TrackPage mp = missing.search(TrackQuery());
        QVERIFY(!missing.isOpen() || mp.error.isEmpty());
    }

    void trailHasTheWholeLife()
    {
        MessageTrack track(m_dir.path());
        const MessageTrail t = track.trail(QStringLiteral("AAAAAAAAAAAAAAA1"));
        QVERIFY(t.error.isEmpty());
        QVERIFY(t.found && t.hasRecord);
        QCOMPARE(t.record.messageId, QStringLiteral("life@example.org"));
        QCOMPARE(t.record.listener, QStringLiteral("submission"));
        QStringList what;
        for (const TrailStep &s : t.steps)
            what << s.what;
        QCOMPARE(what, (QStringList{"accepted", "deferred", "admin_hold", "delivered", "failed", "bounce_queued"}));
        QCOMPARE(t.steps.at(1).host, QStringLiteral("mx.dest.test [127.0.0.9]"));
        QCOMPARE(t.steps.at(1).replyCode, 451);
        QCOMPARE(t.steps.at(0).tls, QStringLiteral("TLSv1.3"));
        QCOMPARE(t.bounceQueueId, QStringLiteral("BBBBBBBBBBBBBBB2"));
        QCOMPARE(t.steps.last().linkedQueueId, QStringLiteral("BBBBBBBBBBBBBBB2"));
        QCOMPARE(t.status, QStringLiteral("bounced"));

        const MessageTrail b = track.trail(QStringLiteral("BBBBBBBBBBBBBBB2"));
        QCOMPARE(b.originalQueueId, QStringLiteral("AAAAAAAAAAAAAAA1"));
        what.clear();
        for (const TrailStep &s : b.steps)
            what << s.what;
        // No Receive event for a local bounce: the tracking record gives "received".
        QCOMPARE(what, (QStringList{"received", "bounce_of", "delivered"}));
        QCOMPARE(b.status, QStringLiteral("delivered"));

        const MessageTrail c = track.trail(QStringLiteral("CCCCCCCCCCCCCCC3"));
        QCOMPARE(c.steps.size(), 2); // both admin holds name it; no record
        QVERIFY(c.found && !c.hasRecord);
    }

    void csvExportParsesBack()
    {
        MessageTrack track(m_dir.path());
        const MessageTrail t = track.trail(QStringLiteral("AAAAAAAAAAAAAAA1"));
        QTemporaryDir out;
        const QString path = out.filePath(QStringLiteral("trail.csv"));
        MessageTrackService service(m_dir.path());
        QSignalSpy done(&service, &MessageTrackService::exportFinished);
        service.requestExport(t.queueId, TrailFormat::Csv, path);
        QVERIFY(done.wait(10000));
        QCOMPARE(done.at(0).at(1).toString(), QString());
        const QList<QStringList> rows = parseCsvWithPython(path);
        QCOMPARE(rows.size(), t.steps.size() + 1);
        QCOMPARE(rows.at(0).at(2), QStringLiteral("what"));
        for (int i = 0; i < t.steps.size(); ++i) {
            QCOMPARE(rows.at(i + 1).at(0), t.queueId);
            QCOMPARE(rows.at(i + 1).at(2), t.steps.at(i).what);
            QCOMPARE(rows.at(i + 1).at(4), t.steps.at(i).recipients); // contains a comma
            QCOMPARE(rows.at(i + 1).at(6), t.steps.at(i).detail);
        }
        const QString text = trailToText(t);
        QVERIFY(text.contains(QStringLiteral("451 4.7.1 try later")));
        QVERIFY(text.contains(QStringLiteral("Bounce: BBBBBBBBBBBBBBB2")));
    }

    void serviceAnswersSearchAndTrail()
    {
        MessageTrackService service(m_dir.path());
        QSignalSpy pages(&service, &MessageTrackService::searchReady);
        QSignalSpy trails(&service, &MessageTrackService::trailReady);
        TrackQuery q;
        q.field = TrackField::Subject;
        q.text = QStringLiteral("long life");
        service.requestSearch(7, q);
        service.requestTrail(8, QStringLiteral("AAAAAAAAAAAAAAA1"));
        QVERIFY(trails.wait(10000));
        QCOMPARE(pages.size(), 1);
        QCOMPARE(pages.at(0).at(0).toULongLong(), 7ULL);
        QCOMPARE(pages.at(0).at(1).value<TrackPage>().rows.size(), 1);
        QCOMPARE(trails.at(0).at(1).value<MessageTrail>().steps.size(), 6);
    }

    void trackCommandJson()
    {
        TrackCommand c;
        c.query = QStringLiteral("<life@example.org>");
        c.json = true;
        QString out;
        QCOMPARE(runTrackCommand(m_dir.path(), c, &out), 0);
        const QJsonObject o = QJsonDocument::fromJson(out.toUtf8()).object();
        const QJsonArray msgs = o.value(QStringLiteral("messages")).toArray();
        QCOMPARE(msgs.size(), 1);
        QCOMPARE(msgs.at(0)[QStringLiteral("status")].toString(), QStringLiteral("bounced"));
        QCOMPARE(msgs.at(0)[QStringLiteral("steps")].toArray().size(), 6);
        c.query = QStringLiteral("nothing like this");
        c.field = QStringLiteral("subject");
        c.json = false;
        QCOMPARE(runTrackCommand(m_dir.path(), c, &out), 1);
        c.field = QStringLiteral("body");
        QCOMPARE(runTrackCommand(m_dir.path(), c, &out), 2);
        QVERIFY(out.contains(QStringLiteral("unknown field")));
    }

    void scaleTiming()
    {
        // 200k messages and 1M events when RD_TRACK_BIG=1 (with QTEST_FUNCTION_TIMEOUT=900000: ~80 s to
        // write); 10k / 50k otherwise. Timings are printed, not asserted.
        const bool big = qEnvironmentVariableIntValue("RD_TRACK_BIG") == 1;
        const int messages = big ? 200000 : 10000;
        const int perMessage = 5;
        QTemporaryDir dir;
        QElapsedTimer timer;
        timer.start();
        {
            LogStore store(dir.path(), false);
            for (int n = 0; n < messages; ++n) {
                MessageRecord r = makeRecord(n);
                r.queueId = QStringLiteral("Q%1").arg(n, 15, 10, QLatin1Char('0'));
                store.appendMessage(r);
                for (int k = 0; k < perMessage; ++k) {
                    LogEvent e = makeEvent(k == 0 ? LogKind::Receive : LogKind::Delivery, r.queueId,
                                       r.time.toMSecsSinceEpoch() + k * 1000,
                                       k == 0 ? QStringLiteral("accepted") : QStringLiteral("deferred"),
                                       QStringLiteral("451 4.4.1 connection refused"));
                    store.append(e);
                }
                if (n % 5000 == 4999)
                    store.flushNow();
            }
            store.flushNow();
        }
        qInfo("wrote %d messages, %d events in %lld ms", messages, messages * perMessage, timer.elapsed());
        MessageTrack track(dir.path());
        auto time = [&](const char *what, const TrackQuery &q) {
            QElapsedTimer t;
            t.start();
            const TrackPage p = track.search(q);
            qInfo("%-28s %4lld ms, %d rows, plan: %s", what, t.elapsed(), int(p.rows.size()),
                  qPrintable(track.queryPlan(q).join(QStringLiteral(" | "))));
            QVERIFY(p.error.isEmpty());
        };
        TrackQuery q;
        q.text = QStringLiteral("m12345@host.example");
        time("message-id exact", q);
        q.field = TrackField::Subject;
        q.text = QStringLiteral("weekly");
        time("subject common (page 100)", q);
        q.text = QStringLiteral("#12345");
        time("subject rare (full scan)", q);
        q.field = TrackField::Sender;
        q.text = QStringLiteral("user4@sender2");
        time("sender common", q);
        QElapsedTimer t;
        t.start();
        const MessageTrail trail = track.trail(QStringLiteral("Q%1").arg(messages / 2, 15, 10, QLatin1Char('0')));
        qInfo("trail: %lld ms, %d steps", t.elapsed(), int(trail.steps.size()));
        QCOMPARE(trail.steps.size(), perMessage);
    }
};

QTEST_GUILESS_MAIN(TestMessageTrack)
#include "tst_messagetrack.moc"

// QueueModel, QueuePanel and QueueReader against a small real queue written
// through rd::queue::QueueStore (spool file plus index row, exactly as the
// engine writes them), no engine running. The 100,000-message measurements
// are in tst_queuescale.cpp.

#include "queue/queuemodel.h"
#include "queue/queuepanel.h"
#include "queue/queueshapemodel.h"
#include "queue/queueshapeview.h"

#include "engine/enginefacade.h"
#include "queue/queuereader.h"
#include "queue/queuestore.h"
#include "queue/spoolfile.h"
#include "util/ids.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMap>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>

using rd::queue::MessageState;
using rd::queue::QueueEntry;
using rd::queue::RecipientInfo;
using rd::queue::RecipientState;
using rd::ui::QueueModel;
using rd::ui::QueuePanel;

class TestQueuePanel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void headerParsingIsPure();
    void readerPagesAgree();
    void readerFiltersAndAttempts();
    void columnsFormatValues();
    void refreshFollowsSelectionWithoutReset();
    void queueChangedIsCoalesced();
    void hiddenPanelRefreshesWhenShown();
    void panelFiltersByDomainSenderAndText();
    void panelDetailShowsEnvelopeHeadersAttemptsAndRaw();
    void panelActionsSendSelectedIds();
    void bounceNeedsEngineSupport();
    void shapeViewCountsAndListsACell();

private:
    // Writes one message through QueueStore (spool file + index row).
    QString commitMessage(rd::queue::QueueStore &store, const QByteArray &sender,
                          const QList<QByteArray> &rcpts, MessageState state, const QByteArray &body,
                          const QString &lastError = {});
    QModelIndex rowOf(const QueueModel &model, const QString &queueId) const;

    QTemporaryDir m_smallDir;
    QStringList m_smallIds; // in received order
    QString m_bigBodyId;
    QString m_fiveRcptId;
    QString m_encodedId;
    qint64 m_receivedMs = 0;
};

QString TestQueuePanel::commitMessage(rd::queue::QueueStore &store, const QByteArray &sender,
                                      const QList<QByteArray> &rcpts, MessageState state,
                                      const QByteArray &body, const QString &lastError)
{
    rd::queue::SpoolEnvelope env;
    env.queueId = rd::util::newQueueId();
    env.sender = sender;
    env.recipients = rcpts;
    env.receivedMs = (m_receivedMs += 1000);
    env.clientIp = QStringLiteral("127.0.0.1");
    env.helo = QStringLiteral("client.test");

    rd::queue::SpoolFile spool(store.spoolDir(), env);
    QString error;
    if (!spool.begin(&error) || !spool.append(body.constData(), body.size()) || !spool.finish(&error)) {
        qWarning() << "spool write failed:" << error;
        return {};
    }
    QueueEntry entry;
    entry.spoolPath = spool.finalPath();
    entry.bodyOffset = spool.bodyOffset();
    auto &m = entry.info;
    m.queueId = env.queueId;
    m.sender = sender;
    for (const QByteArray &r : rcpts)
        m.recipients.append(RecipientInfo{r, RecipientState::Pending, 0, {}});
    m.recipientCount = int(rcpts.size());
    m.size = spool.contentSize();
    m.received = QDateTime::fromMSecsSinceEpoch(env.receivedMs, Qt::UTC);
    m.state = state;
    m.clientIp = env.clientIp;
    m.heloName = env.helo;
    m.lastError = lastError;
    if (state == MessageState::Deferred)
        m.nextAttempt = QDateTime::currentDateTimeUtc().addSecs(600);
    rd::queue::scanHeaders(body.left(65536), &m.messageId, &m.subject);
    store.commit(entry, spool.tmpPath(), {});
    store.flushNow();
    return env.queueId;
}

void TestQueuePanel::initTestCase()
{
    QVERIFY(m_smallDir.isValid());
    m_receivedMs = QDateTime::currentMSecsSinceEpoch() - 3600 * 1000;

    rd::queue::QueueStore store(m_smallDir.path());
    QVector<QueueEntry> entries;
    QStringList notes;
    QString error;
    QVERIFY2(store.open(&entries, &notes, &error), qPrintable(error));
    const QByteArray small = "From: a@example.test\r\nSubject: Hello queue\r\nMessage-ID: <m1@example.test>\r\n"
                             "\r\nHello.\r\n";
    m_fiveRcptId = commitMessage(store, "alice@example.test",
                                 {"r1@x.test", "r2@y.test", "r3@z.test", "r4@z.test", "r5@Z.TEST"},
                                 MessageState::Queued, small);
    m_smallIds << m_fiveRcptId;
    m_smallIds << commitMessage(store, "bob@example.test", {"carol@remote.test"}, MessageState::Deferred, small,
                                QStringLiteral("451 4.7.1 Greylisted, try later"));
    m_smallIds << commitMessage(store, "", {"postmaster@remote.test"}, MessageState::Held, small);
    m_smallIds << commitMessage(store, "dave@example.test", {"nobody@remote.test"}, MessageState::Failed, small,
                                QStringLiteral("550 5.1.1 User unknown"));
    QByteArray big = "From: big@example.test\r\nSubject: Big attachment\r\n\r\n";
    while (big.size() < 100 * 1024)
        big += QByteArray(76, 'x') + "\r\n";
    m_bigBodyId = commitMessage(store, "big@example.test", {"eve@remote.test"}, MessageState::Queued, big);
    m_smallIds << m_bigBodyId;
    m_encodedId = commitMessage(store, "zoe@other.test", {"kim@elsewhere.test"}, MessageState::Queued,
                                "Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?ISO-8859-1?Q?_aus_K=F6ln?=\r\n"
                                "To: Kim <kim@elsewhere.test>,\r\n\tLee <lee@elsewhere.test>\r\n"
                                "X-Empty:\r\n\r\nBody: not a header\r\n");
    m_smallIds << m_encodedId;
    for (const QString &id : std::as_const(m_smallIds))
        QVERIFY(!id.isEmpty());

    // Two delivery attempts of the deferred message, as the engine records them.
    rd::queue::AttemptUpdate u;
    u.queueId = m_smallIds[1];
    u.state = MessageState::Deferred;
    u.nextAttempt = QDateTime::currentDateTimeUtc().addSecs(600);
    u.recipients = {RecipientInfo{"carol@remote.test", RecipientState::Pending, 1, {}}};
    u.host = QStringLiteral("mx1.remote.test:25");
    u.result = QStringLiteral("deferred");
    u.attempts = 1;
    u.lastError = QStringLiteral("421 4.4.2 mx1 busy");
    store.recordAttempt(u);
    store.flushNow();
    QTest::qWait(5); // distinct timestamps
    u.host = QStringLiteral("mx2.remote.test:25");
    u.attempts = 2;
    u.recipients[0].attempts = 2;
    u.lastError = QStringLiteral("451 4.7.1 Greylisted, try later");
    u.recipients[0].lastReply = u.lastError;
    store.recordAttempt(u);
    store.flushNow();
}

QModelIndex TestQueuePanel::rowOf(const QueueModel &model, const QString &queueId) const
{
    for (int r = 0; r < model.rowCount(); ++r) {
        if (model.queueIdAt(r) == queueId)
            return model.index(r, QueueModel::QueueId);
    }
    return {};
}

void TestQueuePanel::headerParsingIsPure()
{
    bool complete = false;
    const auto h = rd::queue::parseHeaderSection("Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?ISO-8859-1?Q?_aus_K=F6ln?=\r\n"
                                                 "To: a,\r\n\tb\r\nX-Empty:\r\n\r\nBody: x\r\n",
                                                 &complete);
    QVERIFY(complete);
    QCOMPARE(h.size(), 3);
    QCOMPARE(h[0].name, QStringLiteral("Subject"));
    QCOMPARE(h[0].value, QString::fromUtf8("Grüße aus Köln"));
    QCOMPARE(h[1].value, QStringLiteral("a,\tb")); // unfolding removes only the line break
    QCOMPARE(h[2].name, QStringLiteral("X-Empty"));
    QCOMPARE(h[2].value, QString());

    const auto cut = rd::queue::parseHeaderSection("Subject: a\nTo: b", &complete);
    QVERIFY(!complete);
    QCOMPARE(cut.size(), 1);

    using rd::queue::decodeEncodedWords;
    QCOMPARE(decodeEncodedWords("=?utf-8?q?a_b?= c"), QStringLiteral("a b c"));
    QCOMPARE(decodeEncodedWords("x =?us-ascii?Q?y?=  =?us-ascii?Q?z?="), QStringLiteral("x yz"));
    QCOMPARE(decodeEncodedWords("=?no-such-charset?B?eA==?="), QStringLiteral("=?no-such-charset?B?eA==?="));
    QCOMPARE(decodeEncodedWords("a =? b ?= c"), QStringLiteral("a =? b ?= c"));
    QCOMPARE(decodeEncodedWords("Gr\xc3\xbc\xc3\x9f" "e"), QString::fromUtf8("Grüße"));
}

void TestQueuePanel::readerPagesAgree()
{
    rd::queue::QueueReader reader(m_smallDir.path());
    QVERIFY(reader.isOpen());
    auto ids = [](const QVector<rd::queue::MessageInfo> &rows) {
        QStringList out;
        for (const auto &m : rows)
            out << m.queueId;
        return out;
    };
    const auto all = reader.page({}, 0, 100);
    QCOMPARE(ids(all), m_smallIds);
    QCOMPARE(all.first().recipients.size(), 5); // one recipients query for the whole page
    QCOMPARE(all.first().recipientCount, 5);
    QCOMPARE(ids(reader.page({}, 4, 2, 6)), m_smallIds.mid(4, 2)); // read from the end
    QCOMPARE(ids(reader.page({}, 3, 5, 6)), m_smallIds.mid(3, 3));
    QCOMPARE(ids(reader.pageAfter({}, rd::queue::QueueKey::of(all[1]), 2)), m_smallIds.mid(2, 2));
    QCOMPARE(ids(reader.pageBefore({}, rd::queue::QueueKey::of(all[4]), 3)), m_smallIds.mid(1, 3));
    QCOMPARE(reader.queueIds({}, rd::queue::QueueKey::of(all[1]), rd::queue::QueueKey::of(all[4])),
             m_smallIds.mid(1, 4));
    QCOMPARE(reader.position({}, rd::queue::QueueKey::of(all[3])), 3);
    rd::queue::QueueFilter failed;
    failed.state = int(MessageState::Failed);
    QCOMPARE(reader.position(failed, rd::queue::QueueKey::of(all[3])), 0);
    QCOMPARE(reader.position(failed, rd::queue::QueueKey::of(all[2])), -1);
    QCOMPARE(reader.rowsBefore(failed, rd::queue::QueueKey::of(all[5])), 1);
}

void TestQueuePanel::readerFiltersAndAttempts()
{
    rd::queue::QueueReader reader(m_smallDir.path());
    auto count = [&](const QString &domain, const QString &sender, const QString &text = {}) {
        rd::queue::QueueFilter f;
        f.domain = domain;
        f.sender = sender;
        f.text = text;
        return reader.count(f);
    };
    QCOMPARE(count(QStringLiteral("remote.test"), {}), 4);
    QCOMPARE(count(QStringLiteral(" @REMOTE.test "), {}), 4);
    QCOMPARE(count(QStringLiteral("z.test"), {}), 1);       // r3, r4, r5: one message
    QCOMPARE(count(QStringLiteral("example.test"), {}), 0); // recipient domains only
    QCOMPARE(count(QStringLiteral("test"), {}), 0);         // exact, not a suffix
    QCOMPARE(count({}, QStringLiteral("example.test")), 4);
    QCOMPARE(count({}, QStringLiteral("<>")), 1);
    QCOMPARE(count({}, QStringLiteral("BOB@")), 1);
    QCOMPARE(count({}, QStringLiteral("100%")), 0); // LIKE wildcards are literal
    QCOMPARE(count(QStringLiteral("remote.test"), QStringLiteral("example.test")), 3);
    QCOMPARE(count({}, {}, QStringLiteral("Greylisted")), 1);
    QCOMPARE(count({}, {}, QStringLiteral("R5@Z.TEST")), 1); // 5th recipient: not in the summary

    const auto attempts = reader.attempts(m_smallIds[1]);
    QCOMPARE(attempts.size(), 2);
    QCOMPARE(attempts[0].host, QStringLiteral("mx1.remote.test:25"));
    QCOMPARE(attempts[0].result, QStringLiteral("deferred"));
    QCOMPARE(attempts[0].reply, QStringLiteral("421 4.4.2 mx1 busy"));
    QCOMPARE(attempts[1].host, QStringLiteral("mx2.remote.test:25"));
    QVERIFY(attempts[0].time <= attempts[1].time);
    QVERIFY(attempts[0].time.isValid());
    QVERIFY(reader.attempts(m_fiveRcptId).isEmpty());

    bool complete = false;
    const auto headers = reader.headers(m_encodedId, 1 << 20, &complete);
    QVERIFY(complete);
    QCOMPARE(headers.size(), 3);
    QCOMPARE(headers[0].value, QString::fromUtf8("Grüße aus Köln"));
}

void TestQueuePanel::columnsFormatValues()
{
    QueueModel model(m_smallDir.path());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), int(m_smallIds.size()));
    QCOMPARE(model.columnCount(), int(QueueModel::ColumnCount));
    for (int r = 0; r < m_smallIds.size(); ++r)
        QCOMPARE(model.queueIdAt(r), m_smallIds.at(r));

    const QModelIndex five = rowOf(model, m_fiveRcptId);
    QVERIFY(five.isValid());
    QCOMPARE(five.siblingAtColumn(QueueModel::Recipients).data().toString(),
             QStringLiteral("r1@x.test, r2@y.test (+3)"));
    QCOMPARE(five.data(QueueModel::RecipientCountRole).toInt(), 5);
    QCOMPARE(five.data(QueueModel::RecipientsRole).toStringList().size(), 5);
    QCOMPARE(five.siblingAtColumn(QueueModel::Sender).data().toString(), QStringLiteral("alice@example.test"));
    QCOMPARE(five.siblingAtColumn(QueueModel::State).data().toString(), QStringLiteral("Queued"));
    QVERIFY(five.siblingAtColumn(QueueModel::Age).data().toString().endsWith(QStringLiteral(" min"))
            || five.siblingAtColumn(QueueModel::Age).data().toString().contains(QStringLiteral(" h")));
    QCOMPARE(five.siblingAtColumn(QueueModel::Age).data(QueueModel::RawValueRole).toDateTime(),
             five.data(QueueModel::ReceivedRole).toDateTime());

    const QModelIndex deferred = model.index(1, 0);
    QCOMPARE(deferred.siblingAtColumn(QueueModel::State).data().toString(), QStringLiteral("Deferred"));
    QCOMPARE(deferred.siblingAtColumn(QueueModel::LastError).data().toString(),
             QStringLiteral("451 4.7.1 Greylisted, try later"));
    QVERIFY(deferred.siblingAtColumn(QueueModel::NextAttempt).data().toString().startsWith(QStringLiteral("in ")));

    QCOMPARE(model.index(2, QueueModel::Sender).data().toString(), QStringLiteral("<>"));
    QCOMPARE(model.index(2, QueueModel::Sender).data(QueueModel::SenderRole).toString(), QString());

    const QModelIndex big = rowOf(model, m_bigBodyId);
    const qint64 bytes = big.data(QueueModel::SizeBytesRole).toLongLong();
    QVERIFY(bytes > 100 * 1024);
    QCOMPARE(big.siblingAtColumn(QueueModel::Size).data().toString(), QueueModel::formatSize(bytes));
    QVERIFY(big.siblingAtColumn(QueueModel::Size).data().toString().endsWith(QStringLiteral(" KB")));

    QCOMPARE(QueueModel::formatSize(512), QStringLiteral("512 B"));
    QCOMPARE(QueueModel::formatSize(4200), QStringLiteral("4.1 KB"));
    QCOMPARE(QueueModel::formatAge(42), QStringLiteral("42 s"));
    QCOMPARE(QueueModel::formatAge(180), QStringLiteral("3 min"));
    QCOMPARE(QueueModel::formatAge(2 * 3600 + 300), QStringLiteral("2 h 5 min"));
    QCOMPARE(QueueModel::formatAge(3 * 86400 + 4 * 3600), QStringLiteral("3 d 4 h"));
}

void TestQueuePanel::refreshFollowsSelectionWithoutReset()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    rd::queue::QueueStore store(dir.path());
    QVector<QueueEntry> entries;
    QStringList notes;
    QString error;
    QVERIFY2(store.open(&entries, &notes, &error), qPrintable(error));
    QStringList ids;
    for (int i = 0; i < 6; ++i)
        ids << commitMessage(store, "s@example.test", {QByteArray("r") + QByteArray::number(i) + "@x.test"},
                             MessageState::Queued, "Subject: n\r\n\r\nbody\r\n");

    QueueModel model(dir.path());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTableView view;
    view.setSelectionBehavior(QAbstractItemView::SelectRows);
    view.setSelectionMode(QAbstractItemView::ExtendedSelection);
    view.setModel(&model);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCOMPARE(model.rowCount(), 6);

    // Select ids[3] and ids[4]; make ids[3] current.
    view.selectionModel()->setCurrentIndex(model.index(3, 0),
                                           QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    view.selectionModel()->select(model.index(4, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);

    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);

    // Two earlier messages leave the queue, one later one too.
    store.remove(ids[0]);
    store.remove(ids[2]);
    store.remove(ids[5]);
    store.flushNow();
    model.refresh();
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(resets.count(), 0);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(view.selectionModel()->currentIndex().data(QueueModel::QueueIdRole).toString(), ids[3]);
    QModelIndexList sel = view.selectionModel()->selectedRows();
    QStringList selectedIds;
    for (const QModelIndex &i : sel)
        selectedIds << i.data(QueueModel::QueueIdRole).toString();
    selectedIds.sort();
    QStringList expected{ids[3], ids[4]};
    expected.sort();
    QCOMPARE(selectedIds, expected);

    // A new message arrives: appended at the end, selection unchanged.
    const QString fresh = commitMessage(store, "n@example.test", {"z@x.test"}, MessageState::Queued,
                                        "Subject: new\r\n\r\nbody\r\n");
    model.refresh();
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(model.queueIdAt(3), fresh);
    QCOMPARE(view.selectionModel()->currentIndex().data(QueueModel::QueueIdRole).toString(), ids[3]);

    // The selected message itself leaves: its row is deselected, not moved to another message.
    store.remove(ids[3]);
    store.flushNow();
    model.refresh();
    QCOMPARE(model.rowCount(), 3);
    const QModelIndexList left = view.selectionModel()->selectedRows();
    QCOMPARE(left.size(), 1);
    QCOMPARE(left.first().data(QueueModel::QueueIdRole).toString(), ids[4]);
    QCOMPARE(resets.count(), 0);
}

void TestQueuePanel::queueChangedIsCoalesced()
{
    rd::engine::EngineFacade facade(nullptr, m_smallDir.path());
    QueuePanel panel(&facade);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QSignalSpy refreshed(panel.model(), &QueueModel::refreshed);
    for (int i = 0; i < 10; ++i)
        emit facade.queueChanged();
    QCOMPARE(refreshed.count(), 0); // nothing before the timer fires
    QTRY_COMPARE_WITH_TIMEOUT(refreshed.count(), 1, 3000);
    QTest::qWait(QueueModel::RefreshDelayMs * 2);
    QCOMPARE(refreshed.count(), 1);
}

void TestQueuePanel::hiddenPanelRefreshesWhenShown()
{
    rd::engine::EngineFacade facade(nullptr, m_smallDir.path());
    QueuePanel panel(&facade);
    QSignalSpy refreshed(panel.model(), &QueueModel::refreshed);
    for (int i = 0; i < 3; ++i)
        emit facade.queueChanged();
    QTest::qWait(QueueModel::RefreshDelayMs * 2);
    QCOMPARE(refreshed.count(), 0); // hidden: no reads at all
    panel.show();
    QTRY_COMPARE_WITH_TIMEOUT(refreshed.count(), 1, 3000);
}

void TestQueuePanel::panelFiltersByDomainSenderAndText()
{
    rd::engine::EngineFacade facade(nullptr, m_smallDir.path());
    QueuePanel panel(&facade);
    panel.resize(1000, 700);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto *count = panel.findChild<QLabel *>(QStringLiteral("queueCount"));
    auto *state = panel.findChild<QComboBox *>(QStringLiteral("stateFilter"));
    auto *domain = panel.findChild<QLineEdit *>(QStringLiteral("domainFilter"));
    auto *sender = panel.findChild<QLineEdit *>(QStringLiteral("senderFilter"));
    auto *text = panel.findChild<QLineEdit *>(QStringLiteral("queueFilter"));
    QVERIFY(count && state && domain && sender && text);
    QCOMPARE(panel.model()->rowCount(), int(m_smallIds.size()));
    QCOMPARE(state->count(), 6);

    QTest::keyClicks(domain, QStringLiteral("Remote.Test"));
    QCOMPARE(panel.model()->rowCount(), int(m_smallIds.size())); // debounced: not yet
    QTRY_COMPARE_WITH_TIMEOUT(panel.model()->rowCount(), 4, 2000);
    QCOMPARE(count->text(), QStringLiteral("4 messages"));
    QTest::keyClicks(sender, QStringLiteral("example.test"));
    QTRY_COMPARE_WITH_TIMEOUT(panel.model()->rowCount(), 3, 2000);
    state->setCurrentIndex(state->findData(int(MessageState::Failed)));
    QCOMPARE(panel.model()->rowCount(), 1);
    QCOMPARE(panel.model()->queueIdAt(0), m_smallIds[3]);
    QCOMPARE(count->text(), QStringLiteral("1 message"));
    QCOMPARE(panel.model()->filter().domain, QStringLiteral("Remote.Test"));
    QCOMPARE(panel.model()->filter().sender, QStringLiteral("example.test"));

    state->setCurrentIndex(0);
    domain->clear();
    sender->setText(QStringLiteral("<>"));
    QTRY_COMPARE_WITH_TIMEOUT(panel.model()->filter().sender, QStringLiteral("<>"), 2000);
    QCOMPARE(panel.model()->rowCount(), 1);
    QCOMPARE(panel.model()->queueIdAt(0), m_smallIds[2]);
    sender->clear();
    QTest::keyClicks(text, QStringLiteral("kim@"));
    QTRY_COMPARE_WITH_TIMEOUT(panel.model()->filter().text, QStringLiteral("kim@"), 2000);
    QCOMPARE(panel.model()->rowCount(), 1);
    QCOMPARE(panel.model()->queueIdAt(0), m_encodedId);
    text->clear();
    QTRY_COMPARE_WITH_TIMEOUT(panel.model()->rowCount(), int(m_smallIds.size()), 2000);
}

void TestQueuePanel::panelDetailShowsEnvelopeHeadersAttemptsAndRaw()
{
    rd::engine::EngineFacade facade(nullptr, m_smallDir.path());
    QueuePanel panel(&facade);
    panel.resize(1000, 700);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto *table = panel.findChild<QTableView *>(QStringLiteral("queueTable"));
    auto *envelope = panel.findChild<QLabel *>(QStringLiteral("queueEnvelope"));
    auto *recipients = panel.findChild<QTreeWidget *>(QStringLiteral("queueRecipients"));
    auto *headers = panel.findChild<QTreeWidget *>(QStringLiteral("queueHeaders"));
    auto *attempts = panel.findChild<QTreeWidget *>(QStringLiteral("queueAttempts"));
    auto *tabs = panel.findChild<QTabWidget *>(QStringLiteral("queueDetail"));
    auto *raw = panel.findChild<QPlainTextEdit *>(QStringLiteral("queueRawMessage"));
    QVERIFY(table && envelope && recipients && headers && attempts && tabs && raw);
    auto select = [&](const QString &id) {
        table->selectionModel()->setCurrentIndex(rowOf(*panel.model(), id),
                                                 QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    };

    select(m_fiveRcptId);
    QTRY_COMPARE_WITH_TIMEOUT(recipients->topLevelItemCount(), 5, 2000);
    QCOMPARE(recipients->topLevelItem(0)->text(0), QStringLiteral("r1@x.test"));
    QCOMPARE(recipients->topLevelItem(0)->text(1), QStringLiteral("Pending"));
    QVERIFY(envelope->text().contains(QStringLiteral("alice@example.test")));
    QVERIFY(envelope->text().contains(QStringLiteral("Hello queue")));
    QVERIFY(envelope->text().contains(m_fiveRcptId));
    QVERIFY(raw->toPlainText().contains(QStringLiteral("Subject: Hello queue")));
    QCOMPARE(headers->topLevelItemCount(), 3);
    QCOMPARE(headers->topLevelItem(1)->text(0), QStringLiteral("Subject"));
    QCOMPARE(headers->topLevelItem(1)->text(1), QStringLiteral("Hello queue"));
    QCOMPARE(headers->topLevelItem(2)->text(1), QStringLiteral("<m1@example.test>"));
    QCOMPARE(attempts->topLevelItemCount(), 0);
    QVERIFY(tabs->tabText(2).contains(QStringLiteral("(0)")));

    select(m_smallIds[1]);
    QTRY_COMPARE_WITH_TIMEOUT(attempts->topLevelItemCount(), 2, 2000);
    QCOMPARE(attempts->topLevelItem(0)->text(1), QStringLiteral("mx1.remote.test:25"));
    QCOMPARE(attempts->topLevelItem(0)->text(2), QStringLiteral("deferred"));
    QCOMPARE(attempts->topLevelItem(1)->text(3), QStringLiteral("451 4.7.1 Greylisted, try later"));
    QVERIFY(!attempts->topLevelItem(0)->text(0).isEmpty());
    QVERIFY(tabs->tabText(2).contains(QStringLiteral("(2)")));
    QCOMPARE(recipients->topLevelItem(0)->text(2), QStringLiteral("2"));

    select(m_encodedId);
    QTRY_COMPARE_WITH_TIMEOUT(headers->topLevelItem(0)->text(1), QString::fromUtf8("Grüße aus Köln"), 2000);
    QCOMPARE(headers->topLevelItemCount(), 3);
    QVERIFY(headers->topLevelItem(1)->text(1).contains(QStringLiteral("lee@elsewhere.test")));
    QVERIFY(!raw->toPlainText().contains(QStringLiteral("truncated")));

    select(m_bigBodyId);
    QTRY_VERIFY_WITH_TIMEOUT(raw->toPlainText().contains(QStringLiteral("Big attachment")), 2000);
    QVERIFY(raw->toPlainText().contains(QStringLiteral("truncated")));
    QVERIFY(raw->toPlainText().size() < 70 * 1024);
    QCOMPARE(recipients->topLevelItemCount(), 1);
    QCOMPARE(headers->topLevelItemCount(), 2);

    table->selectionModel()->clear();
    QTRY_COMPARE_WITH_TIMEOUT(recipients->topLevelItemCount(), 0, 2000);
    QCOMPARE(headers->topLevelItemCount(), 0);
    QCOMPARE(attempts->topLevelItemCount(), 0);
}

void TestQueuePanel::panelActionsSendSelectedIds()
{
    // A facade without an engine answers every action with actionFinished(action, false, "no engine").
    rd::engine::EngineFacade facade(nullptr, m_smallDir.path());
    QueuePanel panel(&facade);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto *table = panel.findChild<QTableView *>(QStringLiteral("queueTable"));
    auto *hold = panel.findChild<QPushButton *>(QStringLiteral("holdButton"));
    auto *retry = panel.findChild<QPushButton *>(QStringLiteral("retryButton"));
    auto *del = panel.findChild<QPushButton *>(QStringLiteral("deleteButton"));
    auto *result = panel.findChild<QLabel *>(QStringLiteral("queueActionResult"));
    auto *selected = panel.findChild<QLabel *>(QStringLiteral("queueSelection"));
    QVERIFY(table && hold && retry && del && result && selected);
    QVERIFY(!hold->isEnabled());
    QVERIFY(!del->isEnabled());

    const auto selectRow = QItemSelectionModel::Select | QItemSelectionModel::Rows;
    table->selectionModel()->select(panel.model()->index(3, 0), selectRow);
    table->selectionModel()->select(panel.model()->index(1, 0), selectRow);
    QVERIFY(hold->isEnabled());
    QCOMPARE(selected->text(), QStringLiteral("2 selected"));
    QCOMPARE(panel.selectedQueueIds(), (QStringList{m_smallIds[1], m_smallIds[3]})); // row order

    QSignalSpy actions(&facade, &rd::engine::EngineFacade::actionFinished);
    hold->click();
    QCOMPARE(actions.count(), 1);
    QCOMPARE(actions.at(0).at(0).toString(), QStringLiteral("hold"));
    QVERIFY(result->text().contains(QStringLiteral("no engine")));

    // Delete asks first: Cancel sends nothing, Yes sends the request. The
    // bounce check box works only with an engine that can bounce.
    bool checkBoxSeen = false;
    auto answer = [&](QMessageBox::StandardButton button) {
        QTimer::singleShot(100, [&, button] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            QVERIFY(box);
            QVERIFY(box->text().contains(QStringLiteral("2 messages")));
            auto *bounce = box->findChild<QCheckBox *>(QStringLiteral("deleteWithBounce"));
            QVERIFY(bounce);
            QCOMPARE(bounce->isEnabled(), panel.canDeleteWithBounce());
            QVERIFY(bounce->isEnabled() || !bounce->toolTip().isEmpty());
            checkBoxSeen = true;
            box->button(button)->click();
        });
    };
    answer(QMessageBox::Cancel);
    del->click();
    QVERIFY(checkBoxSeen);
    QCOMPARE(actions.count(), 1);
    answer(QMessageBox::Yes);
    del->click();
    QCOMPARE(actions.count(), 2);
    QCOMPARE(actions.at(1).at(0).toString(), QStringLiteral("delete"));

    // Select all: every action covers every row.
    table->selectAll();
    QCOMPARE(selected->text(), QStringLiteral("%1 selected").arg(m_smallIds.size()));
    QCOMPARE(panel.selectedQueueIds(), m_smallIds);
    retry->click();
    QCOMPARE(actions.count(), 3);
    QCOMPARE(actions.at(2).at(0).toString(), QStringLiteral("retry"));
    table->clearSelection();
    QVERIFY(!retry->isEnabled());
    QCOMPARE(selected->text(), QString());
}

void TestQueuePanel::bounceNeedsEngineSupport()
{
    rd::engine::EngineFacade facade(nullptr, m_smallDir.path());
    QueuePanel panel(&facade);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto *table = panel.findChild<QTableView *>(QStringLiteral("queueTable"));
    auto *bounce = panel.findChild<QPushButton *>(QStringLiteral("bounceButton"));
    QVERIFY(table && bounce);
    QCOMPARE(panel.canBounce(), facade.metaObject()->indexOfMethod("bounce(QStringList)") >= 0);
    QVERIFY(!bounce->isEnabled());
    table->selectRow(0);
    QCOMPARE(bounce->isEnabled(), panel.canBounce());
    QSignalSpy actions(&facade, &rd::engine::EngineFacade::actionFinished);
    if (!panel.canBounce()) {
        QVERIFY(bounce->toolTip().contains(QStringLiteral("Not available")));
        panel.bounceSelected(); // no dialog, no request
        QCOMPARE(actions.count(), 0);
        return;
    }
    QTimer::singleShot(100, [] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        QVERIFY(box);
        box->button(QMessageBox::Yes)->click();
    });
    bounce->click();
    QTRY_COMPARE_WITH_TIMEOUT(actions.count(), 1, 2000);
}

void TestQueuePanel::shapeViewCountsAndListsACell()
{
    // Oracle: queued recipients per domain from each message as the reader's
    // message() returns it (a different query from the shape's aggregate).
    rd::queue::QueueReader reader(m_smallDir.path());
    QMap<QString, qint64> want;
    qint64 total = 0;
    for (const QString &id : std::as_const(m_smallIds)) {
        const auto m = reader.message(id);
        QVERIFY(m.has_value());
        for (const RecipientInfo &r : m->recipients) {
            if (r.state != RecipientState::Pending)
                continue;
            ++want[QString::fromUtf8(r.address.mid(r.address.indexOf('@') + 1)).toLower()];
            ++total;
        }
    }

    rd::engine::EngineFacade facade(nullptr, m_smallDir.path());
    QueuePanel panel(&facade);
    panel.resize(1000, 700);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto *tabs = panel.findChild<QTabWidget *>(QStringLiteral("queueViews"));
    QVERIFY(tabs);
    rd::ui::QueueShapeView *view = panel.shapeView();
    rd::ui::QueueShapeModel *model = view->model();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    panel.showShape();
    QCOMPARE(tabs->currentWidget(), view);
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 1 + int(want.size()), 5000);
    QCOMPARE(model->index(0, rd::ui::QueueShapeModel::TotalColumn).data(rd::ui::QueueShapeModel::CountRole)
                 .toLongLong(),
             total);
    int remoteRow = -1;
    for (int row = 1; row < model->rowCount(); ++row) {
        const QString d = model->index(row, 0).data(rd::ui::QueueShapeModel::DomainRole).toString();
        QCOMPARE(model->index(row, rd::ui::QueueShapeModel::TotalColumn)
                     .data(rd::ui::QueueShapeModel::CountRole)
                     .toLongLong(),
                 want.value(d, -1));
        if (d == QLatin1String("remote.test"))
            remoteRow = row;
    }
    QVERIFY(remoteRow > 0);
    // The messages were received about an hour ago: all in the 40-80 minute bucket.
    const int bucketColumn = rd::ui::QueueShapeModel::FirstBucketColumn + 4; // 5, 10, 20, 40, [80]
    QCOMPARE(model->headerData(bucketColumn, Qt::Horizontal).toString(), QStringLiteral("80"));
    const QModelIndex cell = model->index(remoteRow, bucketColumn);
    QCOMPARE(cell.data(rd::ui::QueueShapeModel::CountRole).toLongLong(), want.value(QStringLiteral("remote.test")));

    // Clicking the cell lists that domain's messages.
    QSignalSpy chosen(view, &rd::ui::QueueShapeView::cellChosen);
    const QRect rect = view->table()->visualRect(cell);
    QTest::mouseClick(view->table()->viewport(), Qt::LeftButton, {}, rect.center());
    QCOMPARE(chosen.size(), 1);
    QCOMPARE(chosen.at(0).at(0).toString(), QStringLiteral("remote.test"));
    QCOMPARE(chosen.at(0).at(1).toLongLong(), 40 * 60000LL);
    QCOMPARE(chosen.at(0).at(2).toLongLong(), 80 * 60000LL);
    QCOMPARE(tabs->currentIndex(), 0);
    QCOMPARE(panel.model()->filter().domain, QStringLiteral("remote.test"));
    QCOMPARE(panel.model()->rowCount(), 4); // the four messages with a remote.test recipient

    // By sender domain: the null sender is its own row "<>"; clicking it filters the sender.
    panel.showShape();
    auto *by = view->findChild<QComboBox *>(QStringLiteral("shapeBy"));
    by->setCurrentIndex(1);
    QTRY_COMPARE_WITH_TIMEOUT(model->shape().by, rd::queue::ShapeBy::SenderDomain, 5000);
    int nullRow = -1;
    for (int row = 1; row < model->rowCount(); ++row)
        if (model->index(row, 0).data(rd::ui::QueueShapeModel::DomainRole).toString() == QLatin1String("<>"))
            nullRow = row;
    QVERIFY(nullRow > 0);
    QTest::mouseClick(view->table()->viewport(), Qt::LeftButton, {},
                      view->table()->visualRect(model->index(nullRow, rd::ui::QueueShapeModel::TotalColumn)).center());
    QCOMPARE(panel.model()->filter().sender, QStringLiteral("<>"));
    QCOMPARE(panel.model()->rowCount(), 1);
    QCOMPARE(panel.model()->queueIdAt(0), m_smallIds[2]);
}

QTEST_MAIN(TestQueuePanel)
#include "tst_queuepanel.moc"

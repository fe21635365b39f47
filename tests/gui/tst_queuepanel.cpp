// QueueModel and QueuePanel against real queue databases, no engine running.
//
// Data: a few real messages written through rd::queue::QueueStore (spool file
// plus index row, exactly as the engine writes them), and a separate data
// folder with 100,000 index rows. The bulk rows are inserted with one
// QSqlQuery transaction into a database created by core's schema helper
// (storage::openDatabase), using the column list of QueueStore's own insert:
// committing 100,000 messages through QueueStore would fsync 100,000 spool
// files, which takes minutes. The reader only reads the index, so the model
// cannot tell the difference.

#include "queue/queuemodel.h"
#include "queue/queuepanel.h"

#include "engine/enginefacade.h"
#include "queue/queuereader.h"
#include "queue/queuestore.h"
#include "queue/spoolfile.h"
#include "storage/database.h"
#include "util/ids.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
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

namespace {

constexpr int kBigCount = 100000;

QString bigId(int i)
{
    // Valid-looking, sorted like the received times.
    return QStringLiteral("B%1").arg(i, 15, 10, QLatin1Char('0'));
}

} // namespace

class TestQueuePanel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void bigModelOpensInstantly();
    void bigModelPassesModelTester();
    void bigModelFilters();
    void columnsFormatValues();
    void refreshFollowsSelectionWithoutReset();
    void queueChangedIsCoalesced();
    void panelFiltersAndCounts();
    void panelDetailShowsEnvelopeRecipientsAndRaw();
    void panelActionsSendSelectedIds();

private:
    // Writes one message through QueueStore (spool file + index row).
    QString commitMessage(rd::queue::QueueStore &store, const QByteArray &sender,
                          const QList<QByteArray> &rcpts, MessageState state, const QByteArray &body,
                          const QString &lastError = {});
    void fillBigQueue();
    QModelIndex rowOf(const QueueModel &model, const QString &queueId) const;

    QTemporaryDir m_smallDir;
    QTemporaryDir m_bigDir;
    QStringList m_smallIds; // in received order
    QString m_bigBodyId;
    QString m_fiveRcptId;
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

void TestQueuePanel::fillBigQueue()
{
    const QString connection = QStringLiteral("tst-bulk");
    QString error;
    {
        QSqlDatabase db = rd::storage::openDatabase(m_bigDir.path(), rd::storage::DbKind::Queue, connection,
                                                    {}, &error);
        QVERIFY2(db.isValid(), qPrintable(error));
        QVERIFY(db.transaction());
        QSqlQuery msg(db), rcpt(db);
        // The column list of QueueStore's insert (core/queue/queuestore.cpp).
        QVERIFY(msg.prepare(QStringLiteral(
            "INSERT INTO messages (queue_id, sender, size, received, state, attempts, next_attempt,"
            " last_error, client_ip, helo, message_id, subject, rcpt_count, rcpt_summary, body_offset, eight_bit)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")));
        QVERIFY(rcpt.prepare(QStringLiteral(
            "INSERT INTO recipients (queue_id, idx, address, state, attempts, last_reply) VALUES (?,?,?,?,?,?)")));
        const qint64 base = QDateTime::currentMSecsSinceEpoch() - qint64(kBigCount) * 1000;
        for (int i = 0; i < kBigCount; ++i) {
            const QString id = bigId(i);
            const QString rcptAddr = QStringLiteral("rcpt%1@bulk.test").arg(i);
            msg.addBindValue(id);
            msg.addBindValue(QStringLiteral("sender%1@bulk.test").arg(i));
            msg.addBindValue(qint64(1000 + i));
            msg.addBindValue(base + qint64(i) * 1000);
            msg.addBindValue(i % 5); // every MessageState, 20,000 each
            msg.addBindValue(0);
            msg.addBindValue(QVariant(QMetaType::fromType<qint64>()));
            msg.addBindValue(QStringLiteral("")); // NOT NULL: a null QString binds as NULL
            msg.addBindValue(QStringLiteral("10.0.0.1"));
            msg.addBindValue(QStringLiteral("bulk.test"));
            msg.addBindValue(QStringLiteral(""));
            msg.addBindValue(QStringLiteral("Bulk message %1").arg(i));
            msg.addBindValue(1);
            msg.addBindValue(rcptAddr);
            msg.addBindValue(qint64(100));
            msg.addBindValue(0);
            QVERIFY2(msg.exec(), qPrintable(msg.lastError().text()));
            rcpt.addBindValue(id);
            rcpt.addBindValue(0);
            rcpt.addBindValue(rcptAddr);
            rcpt.addBindValue(0);
            rcpt.addBindValue(0);
            rcpt.addBindValue(QStringLiteral(""));
            QVERIFY2(rcpt.exec(), qPrintable(rcpt.lastError().text()));
        }
        QVERIFY(db.commit());
    }
    rd::storage::closeDatabase(connection);
}

void TestQueuePanel::initTestCase()
{
    QVERIFY(m_smallDir.isValid());
    QVERIFY(m_bigDir.isValid());
    m_receivedMs = QDateTime::currentMSecsSinceEpoch() - 3600 * 1000;

    {
        rd::queue::QueueStore store(m_smallDir.path());
        QVector<QueueEntry> entries;
        QStringList notes;
        QString error;
        QVERIFY2(store.open(&entries, &notes, &error), qPrintable(error));
        const QByteArray small = "From: a@example.test\r\nSubject: Hello queue\r\nMessage-ID: <m1@example.test>\r\n"
                                 "\r\nHello.\r\n";
        m_fiveRcptId = commitMessage(store, "alice@example.test",
                                     {"r1@x.test", "r2@y.test", "r3@z.test", "r4@z.test", "r5@z.test"},
                                     MessageState::Queued, small);
        m_smallIds << m_fiveRcptId;
        m_smallIds << commitMessage(store, "bob@example.test", {"carol@remote.test"}, MessageState::Deferred,
                                    small, QStringLiteral("451 4.7.1 Greylisted, try later"));
        m_smallIds << commitMessage(store, "", {"postmaster@remote.test"}, MessageState::Held, small);
        m_smallIds << commitMessage(store, "dave@example.test", {"nobody@remote.test"}, MessageState::Failed,
                                    small, QStringLiteral("550 5.1.1 User unknown"));
        QByteArray big = "From: big@example.test\r\nSubject: Big attachment\r\n\r\n";
        while (big.size() < 100 * 1024)
            big += QByteArray(76, 'x') + "\r\n";
        m_bigBodyId = commitMessage(store, "big@example.test", {"eve@remote.test"}, MessageState::Queued, big);
        m_smallIds << m_bigBodyId;
        for (const QString &id : std::as_const(m_smallIds))
            QVERIFY(!id.isEmpty());
    }

    QElapsedTimer t;
    t.start();
    fillBigQueue();
    qInfo("filled %d queue rows in %lld ms", kBigCount, t.elapsed());
}

QModelIndex TestQueuePanel::rowOf(const QueueModel &model, const QString &queueId) const
{
    for (int r = 0; r < model.rowCount(); ++r) {
        if (model.queueIdAt(r) == queueId)
            return model.index(r, QueueModel::QueueId);
    }
    return {};
}

void TestQueuePanel::bigModelOpensInstantly()
{
    QElapsedTimer t;
    t.start();
    QueueModel model(m_bigDir.path());
    QCOMPARE(model.rowCount(), kBigCount);
    const QModelIndex last = model.index(kBigCount - 1, QueueModel::QueueId);
    QCOMPARE(last.data().toString(), bigId(kBigCount - 1));
    QCOMPARE(last.data(QueueModel::QueueIdRole).toString(), bigId(kBigCount - 1));
    const qint64 modelMs = t.elapsed();

    QTableView view;
    view.verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view.resize(900, 600);
    t.restart();
    view.setModel(&model);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.scrollToBottom();
    QCoreApplication::processEvents();
    const qint64 viewMs = t.elapsed();
    qInfo("100k-row queue: model open + count + last row %lld ms; table shown and scrolled to bottom %lld ms",
          modelMs, viewMs);
    QVERIFY2(modelMs + viewMs < 5000, "opening 100,000 rows should be near-instant (budget 1 s, hard limit 5 s)");

    const QModelIndex middle = model.index(kBigCount / 2, QueueModel::Sender);
    QCOMPARE(middle.data().toString(), QStringLiteral("sender%1@bulk.test").arg(kBigCount / 2));
    QCOMPARE(model.index(0, QueueModel::Size).data(QueueModel::SizeBytesRole).toLongLong(), qint64(1000));
}

void TestQueuePanel::bigModelPassesModelTester()
{
    QueueModel model(m_bigDir.path());
    QElapsedTimer t;
    t.start();
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    qInfo("QAbstractItemModelTester pass over 100k rows: %lld ms", t.elapsed());
    QVERIFY(!QTest::currentTestFailed());
}

void TestQueuePanel::bigModelFilters()
{
    QueueModel model(m_bigDir.path());
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    rd::queue::QueueFilter f;
    f.state = int(MessageState::Held);
    model.setFilter(f);
    QCOMPARE(model.rowCount(), kBigCount / 5);
    QCOMPARE(model.index(0, QueueModel::State).data(QueueModel::StateRole).toInt(), int(MessageState::Held));
    QCOMPARE(model.index(model.rowCount() - 1, QueueModel::State).data().toString(), QStringLiteral("Held"));

    f.text = QStringLiteral("sender4243@"); // 4243 % 5 == 3 == Held
    model.setFilter(f);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.queueIdAt(0), bigId(4243));

    f.state = -1;
    f.text = QStringLiteral("rcpt9999"); // rcpt9999@, rcpt99990..99999@
    model.setFilter(f);
    QCOMPARE(model.rowCount(), 11);

    f.text.clear();
    model.setFilter(f);
    QCOMPARE(model.rowCount(), kBigCount);
    QCOMPARE(resets.count(), 4); // one reset per filter change
    model.setFilter(f);          // unchanged: nothing happens
    QCOMPARE(resets.count(), 4);
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
    QSignalSpy refreshed(panel.model(), &QueueModel::refreshed);
    for (int i = 0; i < 10; ++i)
        emit facade.queueChanged();
    QCOMPARE(refreshed.count(), 0); // nothing before the timer fires
    QTRY_COMPARE_WITH_TIMEOUT(refreshed.count(), 1, 3000);
    QTest::qWait(QueueModel::RefreshDelayMs * 2);
    QCOMPARE(refreshed.count(), 1);
}

void TestQueuePanel::panelFiltersAndCounts()
{
    rd::engine::EngineFacade facade(nullptr, m_bigDir.path());
    QueuePanel panel(&facade);
    panel.resize(1000, 700);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));

    auto *table = panel.findChild<QTableView *>(QStringLiteral("queueTable"));
    auto *count = panel.findChild<QLabel *>(QStringLiteral("queueCount"));
    auto *state = panel.findChild<QComboBox *>(QStringLiteral("stateFilter"));
    auto *text = panel.findChild<QLineEdit *>(QStringLiteral("queueFilter"));
    QVERIFY(table && count && state && text);
    QCOMPARE(table->model()->rowCount(), kBigCount);
    QCOMPARE(count->text(), QStringLiteral("%1 messages").arg(QLocale().toString(kBigCount)));

    QCOMPARE(state->count(), 6);
    state->setCurrentIndex(state->findText(QStringLiteral("Deferred")));
    QCOMPARE(panel.model()->rowCount(), kBigCount / 5);
    QCOMPARE(count->text(), QStringLiteral("%1 messages").arg(QLocale().toString(kBigCount / 5)));

    QTest::keyClicks(text, QStringLiteral("sender4242@"));
    QCOMPARE(panel.model()->rowCount(), kBigCount / 5); // debounced: not yet
    QTRY_COMPARE_WITH_TIMEOUT(panel.model()->rowCount(), 1, 2000);
    QCOMPARE(count->text(), QStringLiteral("1 message"));

    state->setCurrentIndex(0); // All
    QCOMPARE(panel.model()->rowCount(), 1);
    text->clear();
    QTRY_COMPARE_WITH_TIMEOUT(panel.model()->rowCount(), kBigCount, 2000);
}

void TestQueuePanel::panelDetailShowsEnvelopeRecipientsAndRaw()
{
    rd::engine::EngineFacade facade(nullptr, m_smallDir.path());
    QueuePanel panel(&facade);
    panel.resize(1000, 700);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto *table = panel.findChild<QTableView *>(QStringLiteral("queueTable"));
    auto *envelope = panel.findChild<QLabel *>(QStringLiteral("queueEnvelope"));
    auto *recipients = panel.findChild<QTreeWidget *>(QStringLiteral("queueRecipients"));
    auto *raw = panel.findChild<QPlainTextEdit *>(QStringLiteral("queueRawMessage"));
    QVERIFY(table && envelope && recipients && raw);

    const QModelIndex five = rowOf(*panel.model(), m_fiveRcptId);
    table->selectionModel()->setCurrentIndex(five, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    QTRY_COMPARE_WITH_TIMEOUT(recipients->topLevelItemCount(), 5, 2000);
    QCOMPARE(recipients->topLevelItem(0)->text(0), QStringLiteral("r1@x.test"));
    QCOMPARE(recipients->topLevelItem(0)->text(1), QStringLiteral("Pending"));
    QVERIFY(envelope->text().contains(QStringLiteral("alice@example.test")));
    QVERIFY(envelope->text().contains(QStringLiteral("Hello queue")));
    QVERIFY(envelope->text().contains(m_fiveRcptId));
    QVERIFY(raw->toPlainText().contains(QStringLiteral("Subject: Hello queue")));

    const QModelIndex big = rowOf(*panel.model(), m_bigBodyId);
    table->selectionModel()->setCurrentIndex(big, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    QTRY_VERIFY_WITH_TIMEOUT(raw->toPlainText().contains(QStringLiteral("Big attachment")), 2000);
    QVERIFY(raw->toPlainText().contains(QStringLiteral("truncated")));
    QVERIFY(raw->toPlainText().size() < 70 * 1024);
    QCOMPARE(recipients->topLevelItemCount(), 1);

    table->selectionModel()->clear();
    QTRY_COMPARE_WITH_TIMEOUT(recipients->topLevelItemCount(), 0, 2000);
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
    auto *del = panel.findChild<QPushButton *>(QStringLiteral("deleteButton"));
    auto *result = panel.findChild<QLabel *>(QStringLiteral("queueActionResult"));
    QVERIFY(table && hold && del && result);
    QVERIFY(!hold->isEnabled());

    const auto selectRow = QItemSelectionModel::Select | QItemSelectionModel::Rows;
    table->selectionModel()->select(panel.model()->index(1, 0), selectRow);
    table->selectionModel()->select(panel.model()->index(3, 0), selectRow);
    QVERIFY(hold->isEnabled());
    QCOMPARE(panel.selectedQueueIds(), (QStringList{m_smallIds[1], m_smallIds[3]}));

    QSignalSpy actions(&facade, &rd::engine::EngineFacade::actionFinished);
    hold->click();
    QCOMPARE(actions.count(), 1);
    QCOMPARE(actions.at(0).at(0).toString(), QStringLiteral("hold"));
    QVERIFY(result->text().contains(QStringLiteral("no engine")));

    // Delete asks first: Cancel sends nothing, Yes sends the request.
    auto answer = [](QMessageBox::StandardButton button) {
        QTimer::singleShot(100, [button] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            QVERIFY(box);
            QVERIFY(box->text().contains(QStringLiteral("2 messages")));
            box->button(button)->click();
        });
    };
    answer(QMessageBox::Cancel);
    del->click();
    QCOMPARE(actions.count(), 1);
    answer(QMessageBox::Yes);
    del->click();
    QCOMPARE(actions.count(), 2);
    QCOMPARE(actions.at(1).at(0).toString(), QStringLiteral("delete"));
}

QTEST_MAIN(TestQueuePanel)
#include "tst_queuepanel.moc"

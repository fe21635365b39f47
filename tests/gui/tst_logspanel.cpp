// LogModel and LogsPanel against a real log.db written by rd::log::LogStore
// (the engine's own writer), no engine running.

#include "logs/logmodel.h"
#include "logs/logspanel.h"

#include "engine/enginefacade.h"
#include "log/logreader.h"
#include "log/logstore.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

#include <memory>

using rd::log::LogEvent;
using rd::log::LogKind;
using rd::ui::LogModel;
using rd::ui::LogsPanel;

namespace {

constexpr int kInitial = 1200; // > 2 pages of 500

LogEvent makeEvent(int n, LogKind kind)
{
    LogEvent e;
    e.kind = kind;
    e.time = QDateTime::fromMSecsSinceEpoch(1700000000000LL + qint64(n) * 1000, Qt::UTC);
    e.sessionId = QStringLiteral("S%1").arg(n / 3);
    e.direction = kind == LogKind::Delivery ? QStringLiteral("out") : QStringLiteral("in");
    e.clientIp = QStringLiteral("10.0.%1.%2").arg(n / 250).arg(n % 250);
    e.sender = QStringLiteral("sender%1@example.test").arg(n);
    e.recipients = QStringLiteral("a%1@remote.test,b%1@remote.test").arg(n);
    e.queueId = QStringLiteral("Q%1").arg(n, 15, 10, QLatin1Char('0'));
    e.replyCode = kind == LogKind::Delivery ? 250 : 0;
    e.enhancedCode = kind == LogKind::Delivery ? QStringLiteral("2.0.0") : QString();
    e.bytes = 1000 + n;
    e.result = kind == LogKind::Delivery ? QStringLiteral("delivered") : QStringLiteral("accepted");
    e.message = QStringLiteral("event number %1").arg(n);
    return e;
}

// Kinds cycle Session, Receive, Delivery, System.
LogKind kindOf(int n)
{
    return LogKind(n % 4);
}

} // namespace

class TestLogsPanel : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void newestFirstAndRoles();
    void fetchMoreLoadsOlderRows();
    void filterRequeries();
    void liveTailInsertsAtTopWithoutReset();
    void liveTailWithFilterSkipsNonMatching();
    void capDropsOldestRows();
    void panelFilterDebounceFollowAndDetail();

private:
    // Appends events numbered [from, to) and waits until they are in log.db.
    void append(int from, int to, LogKind forced = LogKind(-1));
    qint64 lastId() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<rd::log::LogStore> m_store;
    int m_next = 0;
};

void TestLogsPanel::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_store = std::make_unique<rd::log::LogStore>(m_dir->path(), false);
    QVERIFY2(m_store->errorString().isEmpty(), qPrintable(m_store->errorString()));
    m_next = 0;
    append(0, kInitial);
}

void TestLogsPanel::cleanup()
{
    m_store.reset();
    m_dir.reset();
}

void TestLogsPanel::append(int from, int to, LogKind forced)
{
    for (int n = from; n < to; ++n)
        m_store->append(makeEvent(n, int(forced) >= 0 ? forced : kindOf(n)));
    m_store->flushNow();
    m_next = std::max(m_next, to);
}

qint64 TestLogsPanel::lastId() const
{
    return rd::log::LogReader(m_dir->path()).lastId();
}

void TestLogsPanel::newestFirstAndRoles()
{
    LogModel model(m_dir->path());
    QCOMPARE(model.rowCount(), int(LogModel::PageSize)); // the newest page only
    QVERIFY(model.canFetchMore({}));
    // (The tester calls fetchMore() itself, so attach it after that check.)
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.columnCount(), int(LogModel::ColumnCount));
    for (int r = 1; r < model.rowCount(); ++r)
        QVERIFY(model.index(r - 1, 0).data(LogModel::IdRole).toLongLong()
                > model.index(r, 0).data(LogModel::IdRole).toLongLong());

    const int n = kInitial - 1; // the newest event
    const QModelIndex top = model.index(0, 0);
    QCOMPARE(top.data(LogModel::IdRole).toLongLong(), lastId());
    QCOMPARE(top.siblingAtColumn(LogModel::Sender).data().toString(), QStringLiteral("sender%1@example.test").arg(n));
    QCOMPARE(top.data(LogModel::TimeRole).toDateTime(),
             QDateTime::fromMSecsSinceEpoch(1700000000000LL + qint64(n) * 1000, Qt::UTC));
    QCOMPARE(top.siblingAtColumn(LogModel::Time).data().toString(),
             top.data(LogModel::TimeRole).toDateTime().toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
    QCOMPARE(top.siblingAtColumn(LogModel::Kind).data().toString(), LogModel::kindLabel(kindOf(n)));
    QCOMPARE(top.data(LogModel::KindRole).toInt(), int(kindOf(n)));
    QCOMPARE(top.siblingAtColumn(LogModel::Client).data().toString(), QStringLiteral("10.0.4.199"));
    QCOMPARE(top.siblingAtColumn(LogModel::Bytes).data(LogModel::RawValueRole).toLongLong(), qint64(1000 + n));
    QCOMPARE(top.data(LogModel::LogEventRole).value<LogEvent>().message, QStringLiteral("event number %1").arg(n));

    // The newest Delivery row has a reply with its enhanced code.
    for (int r = 0; r < 4; ++r) {
        const QModelIndex idx = model.index(r, LogModel::Reply);
        if (idx.data(LogModel::KindRole).toInt() == int(LogKind::Delivery)) {
            QCOMPARE(idx.data().toString(), QStringLiteral("250 2.0.0"));
            QCOMPARE(idx.data(LogModel::ReplyCodeRole).toInt(), 250);
        } else {
            QCOMPARE(idx.data().toString(), QString());
        }
    }
}

void TestLogsPanel::fetchMoreLoadsOlderRows()
{
    LogModel model(m_dir->path());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    // The tester itself calls fetchMore(); start from what it left.
    while (model.canFetchMore({}))
        model.fetchMore({});
    QCOMPARE(model.rowCount(), kInitial);
    QVERIFY(!model.canFetchMore({}));
    QCOMPARE(model.index(kInitial - 1, LogModel::Message).data().toString(), QStringLiteral("event number 0"));

    LogModel fresh(m_dir->path());
    QSignalSpy inserted(&fresh, &QAbstractItemModel::rowsInserted);
    QCOMPARE(fresh.rowCount(), int(LogModel::PageSize));
    QVERIFY(fresh.canFetchMore({}));
    fresh.fetchMore({});
    QCOMPARE(fresh.rowCount(), 2 * LogModel::PageSize);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), int(LogModel::PageSize)); // appended at the bottom
    QCOMPARE(fresh.index(LogModel::PageSize, LogModel::Message).data().toString(),
             QStringLiteral("event number %1").arg(kInitial - 1 - LogModel::PageSize));
}

void TestLogsPanel::filterRequeries()
{
    LogModel model(m_dir->path());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    rd::log::LogFilter f;
    f.kind = int(LogKind::Delivery);
    model.setFilter(f);
    while (model.canFetchMore({}))
        model.fetchMore({});
    QCOMPARE(model.rowCount(), kInitial / 4);
    for (int r = 0; r < model.rowCount(); ++r)
        QCOMPARE(model.index(r, 0).data(LogModel::KindRole).toInt(), int(LogKind::Delivery));

    f.kind = -1;
    f.text = QStringLiteral("sender77@"); // one event
    model.setFilter(f);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0, LogModel::Sender).data().toString(), QStringLiteral("sender77@example.test"));

    f.text = QStringLiteral("10.0.1."); // client ips of events 250..499
    model.setFilter(f);
    QCOMPARE(model.rowCount(), 250);
    QVERIFY(!model.canFetchMore({}));
}

void TestLogsPanel::liveTailInsertsAtTopWithoutReset()
{
    LogModel model(m_dir->path());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const int before = model.rowCount();
    const qint64 oldTop = model.index(0, 0).data(LogModel::IdRole).toLongLong();
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy prepended(&model, &LogModel::rowsPrepended);

    append(m_next, m_next + 3);
    const qint64 newest = lastId();
    // Several notifications within the coalescing window give one fetch.
    model.onLogAppended(newest - 1);
    model.onLogAppended(newest);
    model.onLogAppended(newest);
    QTRY_COMPARE_WITH_TIMEOUT(prepended.count(), 1, 2000);
    QTest::qWait(LogModel::TailDelayMs + 50);
    QCOMPARE(prepended.count(), 1);
    QCOMPARE(prepended.at(0).at(0).toInt(), 3);
    QCOMPARE(resets.count(), 0);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0); // first
    QCOMPARE(inserted.at(0).at(2).toInt(), 2); // last
    QCOMPARE(model.rowCount(), before + 3);
    QCOMPARE(model.index(0, 0).data(LogModel::IdRole).toLongLong(), newest);
    QCOMPARE(model.index(2, 0).data(LogModel::IdRole).toLongLong(), newest - 2);
    QCOMPARE(model.index(3, 0).data(LogModel::IdRole).toLongLong(), oldTop);
    QCOMPARE(model.newestId(), newest);

    // A notification for what we already hold does nothing.
    model.onLogAppended(newest);
    QTest::qWait(LogModel::TailDelayMs + 50);
    QCOMPARE(prepended.count(), 1);
}

void TestLogsPanel::liveTailWithFilterSkipsNonMatching()
{
    LogModel model(m_dir->path());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    rd::log::LogFilter f;
    f.kind = int(LogKind::System);
    model.setFilter(f);
    const int before = model.rowCount();
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);

    append(m_next, m_next + 5, LogKind::Receive);
    append(m_next, m_next + 2, LogKind::System);
    append(m_next, m_next + 5, LogKind::Receive);
    model.fetchNewer();
    QCOMPARE(model.rowCount(), before + 2);
    QCOMPARE(resets.count(), 0);
    QCOMPARE(model.index(0, 0).data(LogModel::KindRole).toInt(), int(LogKind::System));
    QCOMPARE(model.index(1, 0).data(LogModel::KindRole).toInt(), int(LogKind::System));
    // The tail moved past the non-matching rows as well.
    QCOMPARE(model.newestId(), lastId());
}

void TestLogsPanel::capDropsOldestRows()
{
    LogModel model(m_dir->path());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMaxRows(600);
    while (model.canFetchMore({}))
        model.fetchMore({});
    QCOMPARE(model.rowCount(), 600);
    const qint64 oldestKept = model.index(599, 0).data(LogModel::IdRole).toLongLong();

    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    append(m_next, m_next + 50);
    model.fetchNewer();
    QCOMPARE(model.rowCount(), 600);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 600);
    QCOMPARE(resets.count(), 0);
    QCOMPARE(model.index(0, 0).data(LogModel::IdRole).toLongLong(), lastId());
    QCOMPARE(model.index(599, 0).data(LogModel::IdRole).toLongLong(), oldestKept + 50);
}

void TestLogsPanel::panelFilterDebounceFollowAndDetail()
{
    rd::engine::EngineFacade facade(nullptr, m_dir->path());
    LogsPanel panel(&facade);
    panel.resize(1000, 700);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));

    auto *table = panel.findChild<QTableView *>(QStringLiteral("logTable"));
    auto *filter = panel.findChild<QLineEdit *>(QStringLiteral("logFilter"));
    auto *kind = panel.findChild<QComboBox *>(QStringLiteral("logKind"));
    auto *follow = panel.findChild<QCheckBox *>(QStringLiteral("logFollow"));
    auto *detail = panel.findChild<QTextBrowser *>(QStringLiteral("logDetail"));
    QVERIFY(table && filter && kind && follow && detail);
    QCOMPARE(table->model(), panel.model());
    QCOMPARE(kind->count(), 5);
    QVERIFY(panel.isFollowing());

    // Live tail through the facade's signal; Follow keeps the newest row in view.
    table->scrollTo(panel.model()->index(200, 0));
    panel.setFollowing(true);
    QSignalSpy resets(panel.model(), &QAbstractItemModel::modelReset);
    append(m_next, m_next + 4);
    emit facade.logAppended(lastId());
    QTRY_COMPARE_WITH_TIMEOUT(panel.model()->index(0, 0).data(LogModel::IdRole).toLongLong(), lastId(), 2000);
    QCOMPARE(resets.count(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(table->verticalScrollBar()->value(), 0, 2000);
    QCOMPARE(table->rowAt(0), 0);

    // Not following: the rows being read stay in place.
    panel.setFollowing(false);
    table->scrollTo(panel.model()->index(100, 0), QAbstractItemView::PositionAtTop);
    QCoreApplication::processEvents();
    const int topRow = table->rowAt(0);
    const qint64 topId = panel.model()->index(topRow, 0).data(LogModel::IdRole).toLongLong();
    QVERIFY(topRow > 0);
    append(m_next, m_next + 3);
    emit facade.logAppended(lastId());
    QTRY_COMPARE_WITH_TIMEOUT(panel.model()->index(0, 0).data(LogModel::IdRole).toLongLong(), lastId(), 2000);
    QTRY_COMPARE_WITH_TIMEOUT(panel.model()->index(table->rowAt(0), 0).data(LogModel::IdRole).toLongLong(), topId,
                              2000);

    // Text filter: re-queried after the debounce, not per keystroke.
    QSignalSpy filterResets(panel.model(), &QAbstractItemModel::modelReset);
    QTest::keyClicks(filter, QStringLiteral("sender77@"));
    QCOMPARE(filterResets.count(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(panel.model()->rowCount(), 1, 2000);
    QCOMPARE(filterResets.count(), 1);

    // Detail shows every field of the selected row.
    table->selectionModel()->setCurrentIndex(panel.model()->index(0, 0),
                                             QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    const QString text = detail->toPlainText();
    QVERIFY2(text.contains(QStringLiteral("sender77@example.test")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("a77@remote.test,b77@remote.test")));
    QVERIFY(text.contains(QStringLiteral("10.0.0.77")));
    QVERIFY(text.contains(QStringLiteral("event number 77")));
    QVERIFY(text.contains(QStringLiteral("S25"))); // session id
    QVERIFY(text.contains(QStringLiteral("Q%1").arg(77, 15, 10, QLatin1Char('0'))));

    // Kind combo applies at once (77 % 4 == 1: Receive).
    kind->setCurrentIndex(kind->findData(int(LogKind::Delivery)));
    QCOMPARE(panel.model()->rowCount(), 0);
    kind->setCurrentIndex(kind->findData(int(LogKind::Receive)));
    QCOMPARE(panel.model()->rowCount(), 1);
}

QTEST_MAIN(TestLogsPanel)
#include "tst_logspanel.moc"

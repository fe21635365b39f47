// LogModel and LogsPanel against a real log.db written by rd::log::LogStore
// (the engine's own writer), no engine running. Queries run in the
// LogQueryService thread, so every check waits for the answer.

#include "logs/logmodel.h"
#include "logs/logspanel.h"

#include "engine/enginefacade.h"
#include "logs/logdetailpane.h"
#include "logs/logfilterbar.h"
#include "log/logqueryservice.h"
#include "log/logreader.h"
#include "log/logstore.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QToolButton>

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
    e.user = n % 10 == 0 ? QStringLiteral("tenth") : QString();
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
    void filterRequeriesAndDropsStaleAnswers();
    void liveTailInsertsAtTopWithoutReset();
    void liveTailWithFilterSkipsNonMatching();
    void capDropsOldestRows();
    void panelFilterBarFollowAndDetail();
    void panelTranscriptAndShowSession();
    void panelExport();

private:
    // Appends events numbered [from, to) and waits until they are in log.db.
    void append(int from, int to, LogKind forced = LogKind(-1));
    qint64 lastId() const;
    static bool settled(const LogModel &model) { return !model.isLoading(); }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<rd::log::LogStore> m_store;
    std::unique_ptr<rd::log::LogQueryService> m_service;
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
    m_service = std::make_unique<rd::log::LogQueryService>(m_dir->path());
}

void TestLogsPanel::cleanup()
{
    m_service.reset();
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
    LogModel model(m_service.get());
    QCOMPARE(model.rowCount(), 0); // nothing until the worker answers
    QVERIFY(model.isLoading());
    QTRY_VERIFY_WITH_TIMEOUT(settled(model), 5000);
    QCOMPARE(model.rowCount(), int(LogModel::PageSize)); // the newest page only
    QVERIFY(model.canFetchMore({}));
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

    for (int r = 0; r < 4; ++r) {
        const QModelIndex idx = model.index(r, LogModel::Reply);
        if (idx.data(LogModel::KindRole).toInt() == int(LogKind::Delivery)) {
            QCOMPARE(idx.data().toString(), QStringLiteral("250 2.0.0"));
            QCOMPARE(idx.data(LogModel::ReplyCodeRole).toInt(), 250);
            QCOMPARE(idx.siblingAtColumn(LogModel::Direction).data().toString(), QStringLiteral("out"));
        } else {
            QCOMPARE(idx.data().toString(), QString());
        }
    }
}

void TestLogsPanel::fetchMoreLoadsOlderRows()
{
    LogModel model(m_service.get());
    QTRY_VERIFY_WITH_TIMEOUT(settled(model), 5000);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QVERIFY(model.canFetchMore({}));
    model.fetchMore({});
    QVERIFY(!model.canFetchMore({})); // one page at a time
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2 * LogModel::PageSize, 5000);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), int(LogModel::PageSize)); // appended at the bottom
    QCOMPARE(model.index(LogModel::PageSize, LogModel::Message).data().toString(),
             QStringLiteral("event number %1").arg(kInitial - 1 - LogModel::PageSize));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    for (int guard = 0; guard < 10 && (model.canFetchMore({}) || model.isLoading()); ++guard) {
        model.fetchMore({});
        QTRY_VERIFY_WITH_TIMEOUT(settled(model), 5000);
    }
    QCOMPARE(model.rowCount(), kInitial);
    QVERIFY(!model.canFetchMore({}));
    QCOMPARE(model.index(kInitial - 1, LogModel::Message).data().toString(), QStringLiteral("event number 0"));
}

void TestLogsPanel::filterRequeriesAndDropsStaleAnswers()
{
    LogModel model(m_service.get());
    QTRY_VERIFY_WITH_TIMEOUT(settled(model), 5000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    rd::log::LogFilter f;
    f.kind = int(LogKind::Delivery);
    model.setFilter(f);
    rd::log::LogFilter g;
    g.user = QStringLiteral("tenth"); // replaces the kind filter before its answer is in
    model.setFilter(g);
    QTRY_VERIFY_WITH_TIMEOUT(settled(model), 5000);
    QTest::qWait(100);
    QCOMPARE(resets.count(), 1); // the stale answer was dropped
    QCOMPARE(model.rowCount(), kInitial / 10);
    for (int r = 0; r < model.rowCount(); ++r)
        QCOMPARE(model.index(r, LogModel::User).data().toString(), QStringLiteral("tenth"));

    rd::log::LogFilter h;
    h.search = QStringLiteral("sender77@example.test");
    model.setFilter(h);
    QTRY_VERIFY_WITH_TIMEOUT(settled(model), 5000);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0, LogModel::Sender).data().toString(), QStringLiteral("sender77@example.test"));

    rd::log::LogFilter i;
    i.ip = QStringLiteral("10.0.1.0/24"); // client ips of events 250..499
    model.setFilter(i);
    QTRY_VERIFY_WITH_TIMEOUT(settled(model), 5000);
    QCOMPARE(model.rowCount(), 250);
    QVERIFY(!model.canFetchMore({}));

    rd::log::LogFilter bad;
    bad.ip = QStringLiteral("10.0.0.0/40");
    model.setFilter(bad);
    QTRY_VERIFY_WITH_TIMEOUT(settled(model), 5000);
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(!model.errorString().isEmpty());
}

void TestLogsPanel::liveTailInsertsAtTopWithoutReset()
{
    LogModel model(m_service.get());
    QTRY_VERIFY_WITH_TIMEOUT(settled(model), 5000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    // The tester pages everything in (it calls fetchMore() after each insert).
    QTRY_VERIFY_WITH_TIMEOUT(settled(model) && !model.canFetchMore({}), 5000);
    const int before = model.rowCount();
    QCOMPARE(before, kInitial);
    const qint64 oldTop = model.index(0, 0).data(LogModel::IdRole).toLongLong();
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy prepended(&model, &LogModel::rowsPrepended);

    append(m_next, m_next + 3);
    const qint64 newest = lastId();
    // Several notifications within the coalescing window give one query.
    model.onLogAppended(newest - 1);
    model.onLogAppended(newest);
    model.onLogAppended(newest);
    QTRY_COMPARE_WITH_TIMEOUT(prepended.count(), 1, 3000);
    QTest::qWait(LogModel::TailDelayMs + 100);
    QCOMPARE(prepended.count(), 1);
    QCOMPARE(prepended.at(0).at(0).toInt(), 3);
    QCOMPARE(resets.count(), 0);
    // (The tester pages older rows in at the bottom meanwhile; count the top.)
    QList<QList<QVariant>> atTop;
    for (const auto &args : inserted) {
        if (args.at(1).toInt() == 0)
            atTop << args;
    }
    QCOMPARE(atTop.size(), 1);
    QCOMPARE(atTop.at(0).at(2).toInt(), 2); // last
    QCOMPARE(model.rowCount(), before + 3);
    QCOMPARE(model.index(0, 0).data(LogModel::IdRole).toLongLong(), newest);
    QCOMPARE(model.index(2, 0).data(LogModel::IdRole).toLongLong(), newest - 2);
    QCOMPARE(model.index(3, 0).data(LogModel::IdRole).toLongLong(), oldTop);
    QCOMPARE(model.newestId(), newest);

    // A notification for what we already hold does nothing.
    model.onLogAppended(newest);
    QTest::qWait(LogModel::TailDelayMs + 100);
    QCOMPARE(prepended.count(), 1);
}

void TestLogsPanel::liveTailWithFilterSkipsNonMatching()
{
    LogModel model(m_service.get());
    rd::log::LogFilter f;
    f.kind = int(LogKind::System);
    model.setFilter(f);
    QTRY_VERIFY_WITH_TIMEOUT(settled(model), 5000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const int before = model.rowCount();
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);

    append(m_next, m_next + 5, LogKind::Receive);
    append(m_next, m_next + 2, LogKind::System);
    append(m_next, m_next + 5, LogKind::Receive);
    model.fetchNewer();
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), before + 2, 3000);
    QTRY_VERIFY_WITH_TIMEOUT(settled(model), 3000);
    QCOMPARE(resets.count(), 0);
    QCOMPARE(model.index(0, 0).data(LogModel::KindRole).toInt(), int(LogKind::System));
    QCOMPARE(model.index(1, 0).data(LogModel::KindRole).toInt(), int(LogKind::System));
    // The tail moved past the non-matching rows as well.
    QCOMPARE(model.newestId(), lastId());
}

void TestLogsPanel::capDropsOldestRows()
{
    LogModel model(m_service.get());
    QTRY_VERIFY_WITH_TIMEOUT(settled(model), 5000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMaxRows(600);
    for (int guard = 0; guard < 10 && (model.canFetchMore({}) || model.isLoading()); ++guard) {
        model.fetchMore({});
        QTRY_VERIFY_WITH_TIMEOUT(settled(model), 5000);
    }
    QCOMPARE(model.rowCount(), 600);
    const qint64 oldestKept = model.index(599, 0).data(LogModel::IdRole).toLongLong();

    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    append(m_next, m_next + 50);
    model.fetchNewer();
    QTRY_COMPARE_WITH_TIMEOUT(removed.count(), 1, 3000);
    QCOMPARE(model.rowCount(), 600);
    QCOMPARE(removed.at(0).at(1).toInt(), 600);
    QCOMPARE(resets.count(), 0);
    QCOMPARE(model.index(0, 0).data(LogModel::IdRole).toLongLong(), lastId());
    QCOMPARE(model.index(599, 0).data(LogModel::IdRole).toLongLong(), oldestKept + 50);
}

void TestLogsPanel::panelFilterBarFollowAndDetail()
{
    rd::engine::EngineFacade facade(nullptr, m_dir->path());
    LogsPanel panel(&facade);
    panel.resize(1200, 800);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    LogModel *model = panel.model();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), int(LogModel::PageSize), 5000);

    auto *table = panel.findChild<QTableView *>(QStringLiteral("logTable"));
    auto *search = panel.findChild<QLineEdit *>(QStringLiteral("logFilter"));
    auto *ip = panel.findChild<QLineEdit *>(QStringLiteral("logIp"));
    auto *user = panel.findChild<QLineEdit *>(QStringLiteral("logUser"));
    auto *kind = panel.findChild<QComboBox *>(QStringLiteral("logKind"));
    auto *status = panel.findChild<QComboBox *>(QStringLiteral("logStatus"));
    auto *direction = panel.findChild<QComboBox *>(QStringLiteral("logDirection"));
    auto *time = panel.findChild<QComboBox *>(QStringLiteral("logTime"));
    auto *follow = panel.findChild<QCheckBox *>(QStringLiteral("logFollow"));
    auto *detail = panel.findChild<QTextBrowser *>(QStringLiteral("logDetail"));
    QVERIFY(table && search && ip && user && kind && status && direction && time && follow && detail);
    QCOMPARE(table->model(), model);
    QCOMPARE(kind->count(), 5);
    QVERIFY(panel.isFollowing());

    // Live tail through the facade's signal; Follow keeps the newest row in view.
    table->scrollTo(model->index(200, 0));
    panel.setFollowing(true);
    QSignalSpy resets(model, &QAbstractItemModel::modelReset);
    append(m_next, m_next + 4);
    emit facade.logAppended(lastId());
    QTRY_COMPARE_WITH_TIMEOUT(model->index(0, 0).data(LogModel::IdRole).toLongLong(), lastId(), 3000);
    QCOMPARE(resets.count(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(table->verticalScrollBar()->value(), 0, 2000);

    // Not following: the rows being read stay in place.
    panel.setFollowing(false);
    table->scrollTo(model->index(100, 0), QAbstractItemView::PositionAtTop);
    QCoreApplication::processEvents();
    const int topRow = table->rowAt(0);
    const qint64 topId = model->index(topRow, 0).data(LogModel::IdRole).toLongLong();
    QVERIFY(topRow > 0);
    append(m_next, m_next + 3);
    emit facade.logAppended(lastId());
    QTRY_COMPARE_WITH_TIMEOUT(model->index(0, 0).data(LogModel::IdRole).toLongLong(), lastId(), 3000);
    QTRY_COMPARE_WITH_TIMEOUT(model->index(table->rowAt(0), 0).data(LogModel::IdRole).toLongLong(), topId, 2000);

    // Typing is debounced: one query after the pause, not one per keystroke.
    QSignalSpy filterResets(model, &QAbstractItemModel::modelReset);
    QTest::keyClicks(search, QStringLiteral("sender77@example.test"));
    QCOMPARE(filterResets.count(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 1, 3000);
    QCOMPARE(filterResets.count(), 1);
    QCOMPARE(model->filter().search, QStringLiteral("sender77@example.test"));

    // Detail shows every field of the selected row.
    table->selectionModel()->setCurrentIndex(model->index(0, 0),
                                             QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    const QString text = detail->toPlainText();
    QVERIFY2(text.contains(QStringLiteral("sender77@example.test")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("a77@remote.test,b77@remote.test")));
    QVERIFY(text.contains(QStringLiteral("10.0.0.77")));
    QVERIFY(text.contains(QStringLiteral("event number 77")));
    QVERIFY(text.contains(QStringLiteral("S25"))); // session id

    // Combos apply at once (77 % 4 == 1: Receive, direction in, no reply code).
    kind->setCurrentIndex(kind->findData(int(LogKind::Delivery)));
    QTRY_VERIFY_WITH_TIMEOUT(settled(*model) && model->rowCount() == 0, 3000);
    kind->setCurrentIndex(kind->findData(int(LogKind::Receive)));
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 1, 3000);
    direction->setCurrentIndex(direction->findData(QStringLiteral("out")));
    QTRY_VERIFY_WITH_TIMEOUT(settled(*model) && model->rowCount() == 0, 3000);
    direction->setCurrentIndex(0);
    search->clear();
    kind->setCurrentIndex(0);
    QTRY_VERIFY_WITH_TIMEOUT(settled(*model) && model->filter().isEmpty() && model->rowCount() > 1, 3000);

    // Status class: only the Delivery rows carry 250.
    status->setCurrentIndex(status->findData(2));
    QTRY_VERIFY_WITH_TIMEOUT(settled(*model) && model->filter().statusClass == 2, 3000);
    QVERIFY(model->rowCount() > 0);
    for (int r = 0; r < model->rowCount(); ++r)
        QCOMPARE(model->index(r, 0).data(LogModel::ReplyCodeRole).toInt() / 100, 2);
    status->setCurrentIndex(0);

    // An invalid IP is marked and not queried; a valid one is.
    QTest::keyClicks(ip, QStringLiteral("10.0.1.0/99"));
    QTRY_VERIFY_WITH_TIMEOUT(!panel.filterBar()->inputError().isEmpty(), 2000);
    QVERIFY(!ip->toolTip().isEmpty());
    QVERIFY(model->filter().ip.isEmpty());
    ip->clear();
    QTest::keyClicks(ip, QStringLiteral("10.0.1.0/24"));
    QTRY_VERIFY_WITH_TIMEOUT(settled(*model) && model->filter().ip == QStringLiteral("10.0.1.0/24"), 3000);
    QCOMPARE(model->rowCount(), 250);
    QVERIFY(ip->toolTip().isEmpty());
    QTest::keyClicks(user, QStringLiteral("tenth"));
    QTRY_VERIFY_WITH_TIMEOUT(settled(*model) && model->filter().user == QStringLiteral("tenth"), 3000);
    QCOMPARE(model->rowCount(), 25);

    // A time preset: every row is from 2023, so "last hour" is empty.
    time->setCurrentIndex(time->findData(int(rd::ui::LogFilterBar::LastHour)));
    QTRY_VERIFY_WITH_TIMEOUT(settled(*model) && model->filter().from.isValid(), 3000);
    QCOMPARE(model->rowCount(), 0);
}

void TestLogsPanel::panelTranscriptAndShowSession()
{
    m_store->appendTranscript(QStringLiteral("S25"), QDateTime::currentDateTimeUtc(),
                              QStringLiteral("S: 220 ready\nC: EHLO a.example\nC: AUTH LOGIN ***"));
    m_store->flushNow();
    rd::engine::EngineFacade facade(nullptr, m_dir->path());
    LogsPanel panel(&facade);
    panel.resize(1200, 800);
    panel.show();
    LogModel *model = panel.model();
    auto *table = panel.findChild<QTableView *>(QStringLiteral("logTable"));
    auto *detail = panel.findChild<QTextBrowser *>(QStringLiteral("logDetail"));
    auto *showSession = panel.findChild<QPushButton *>(QStringLiteral("logShowSession"));
    QVERIFY(table && detail && showSession);
    rd::log::LogFilter f;
    f.search = QStringLiteral("sender77@example.test");
    model->setFilter(f);
    QTRY_VERIFY_WITH_TIMEOUT(settled(*model) && model->rowCount() == 1, 5000);
    QVERIFY(!showSession->isEnabled());
    table->selectionModel()->setCurrentIndex(model->index(0, 0),
                                             QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    QTRY_VERIFY_WITH_TIMEOUT(detail->toPlainText().contains(QStringLiteral("C: EHLO a.example")), 3000);
    QVERIFY(detail->toPlainText().contains(QStringLiteral("AUTH LOGIN ***")));
    QVERIFY(showSession->isEnabled());

    // Show session: every row of S25 (events 75..77), not just the search hit.
    QTest::mouseClick(showSession, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(settled(*model) && model->filter().sessionId == QStringLiteral("S25"), 3000);
    QCOMPARE(model->rowCount(), 3);
    for (int r = 0; r < 3; ++r)
        QCOMPARE(model->index(r, 0).data(LogModel::SessionIdRole).toString(), QStringLiteral("S25"));
    auto *label = panel.findChild<QLabel *>(QStringLiteral("logSessionLabel"));
    QVERIFY(label && label->isVisible() && label->text().contains(QStringLiteral("S25")));
    // A row without a stored transcript says so.
    table->selectionModel()->setCurrentIndex(model->index(0, 0),
                                             QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    auto *clear = panel.findChild<QToolButton *>(QStringLiteral("logSessionClear"));
    QVERIFY(clear);
    QTest::mouseClick(clear, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(settled(*model) && model->filter().sessionId.isEmpty() && model->rowCount() > 3, 3000);
    QVERIFY(!label->isVisible());
}

void TestLogsPanel::panelExport()
{
    rd::engine::EngineFacade facade(nullptr, m_dir->path());
    LogsPanel panel(&facade);
    LogModel *model = panel.model();
    rd::log::LogFilter f;
    f.kind = int(LogKind::Delivery);
    model->setFilter(f);
    QTRY_VERIFY_WITH_TIMEOUT(settled(*model), 5000);
    QTemporaryDir out;
    QSignalSpy finished(&panel, &LogsPanel::exportFinished);
    const QString csvPath = out.filePath(QStringLiteral("log.csv"));
    panel.exportTo(csvPath, rd::log::ExportFormat::Csv);
    QVERIFY(panel.isExporting());
    QVERIFY(!panel.findChild<QPushButton *>(QStringLiteral("logExport"))->isEnabled());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
    QVERIFY(!panel.isExporting());
    const auto result = finished.at(0).at(0).value<rd::log::ExportResult>();
    QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
    QCOMPARE(result.rows, qint64(kInitial / 4));
    QFile csv(csvPath);
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = csv.readAll().split('\n');
    QCOMPARE(lines.size(), kInitial / 4 + 2); // header, rows, "" after the last CRLF
    QVERIFY(lines.at(0).startsWith("id,time,kind"));
    QVERIFY(lines.at(1).contains(",delivery,"));
    QVERIFY(panel.findChild<QLabel *>(QStringLiteral("logCount"))->text().contains(QStringLiteral("300")));

    const QString w3cPath = out.filePath(QStringLiteral("log.log"));
    panel.exportTo(w3cPath, rd::log::ExportFormat::W3c);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 10000);
    QFile w3c(w3cPath);
    QVERIFY(w3c.open(QIODevice::ReadOnly));
    const QByteArray all = w3c.readAll();
    QVERIFY(all.startsWith("#Software: RelayDesk"));
    QCOMPARE(all.count("DELIVERY"), kInitial / 4);

    // A path that cannot be written gives an error, not a crash.
    panel.exportTo(out.filePath(QStringLiteral("missing/dir/x.csv")), rd::log::ExportFormat::Csv);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 3, 10000);
    QVERIFY(!finished.at(2).at(0).value<rd::log::ExportResult>().error.isEmpty());
}

QTEST_MAIN(TestLogsPanel)
#include "tst_logspanel.moc"

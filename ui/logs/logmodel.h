#pragma once
// Table model over the structured log, newest row first, fed asynchronously
// by rd::log::LogQueryService (queries run on its thread, never here).
//
// Holds a bounded window of rows: the newest PageSize after setFilter(),
// older pages on fetchMore() (the view asks when scrolled to the bottom), and
// a live tail: onLogAppended() coalesces the facade's notifications and asks
// for the rows after the newest id looked at; they are inserted at the top
// (beginInsertRows, no reset). Beyond maxRows() the oldest rows are dropped.
// Each setFilter()/reload() starts a new generation: answers for an older one
// are dropped; the old rows stay until the new first page arrives (one reset).
// Thread: GUI thread only. No SQL here.

#include "log/logtypes.h"

#include <QAbstractTableModel>
#include <QList>
#include <QTimer>

namespace rd::log {
class LogQueryService;
struct LogPage;
}

namespace rd::ui {

class LogModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Time,       // local time
        Kind,
        Direction,
        Result,
        Client,     // peer ip
        User,
        Sender,
        Recipients,
        QueueId,
        Reply,      // "550 5.7.1"
        Bytes,
        Message,
        ColumnCount
    };

    // Raw values, independent of the index's column (except RawValueRole).
    enum Role {
        RawValueRole = Qt::UserRole + 1, // the raw value behind the cell's column
        IdRole,                          // qint64
        TimeRole,                        // QDateTime, UTC
        KindRole,                        // int (rd::log::LogKind)
        LevelRole,                       // QString: info, warning, error
        ResultRole,                      // QString
        ClientIpRole,                    // QString
        SenderRole,                      // QString
        RecipientsRole,                  // QString, comma-separated
        QueueIdRole,                     // QString
        ReplyCodeRole,                   // int, 0 when none
        EnhancedCodeRole,                // QString
        BytesRole,                       // qint64
        MessageRole,                     // QString
        SessionIdRole,                   // QString
        LogEventRole                     // rd::log::LogEvent
    };

    static constexpr int PageSize = 500;
    static constexpr int DefaultMaxRows = 50000;
    static constexpr int TailDelayMs = 200;
    static constexpr int TailBatch = 1000;

    // Uses `service` (not owned; must outlive the model) and loads the newest page.
    explicit LogModel(rd::log::LogQueryService *service, QObject *parent = nullptr);
    ~LogModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    // Older rows exist, none are being fetched and the window is below maxRows().
    bool canFetchMore(const QModelIndex &parent) const override;
    // Asks for the next PageSize older rows (appended at the bottom on arrival).
    void fetchMore(const QModelIndex &parent) override;

    rd::log::LogFilter filter() const { return m_filter; }
    // Applies a new filter: the newest page is requested (one reset on arrival).
    void setFilter(const rd::log::LogFilter &filter);

    // Cap of rows held in memory (oldest dropped first); at least PageSize.
    int maxRows() const { return m_maxRows; }
    void setMaxRows(int rows);

    // Highest log id the model has looked at (rows after it are "new").
    qint64 newestId() const { return m_newestId; }
    // The event at a row (newest first), or nullptr when out of range.
    const rd::log::LogEvent *eventAt(int row) const;

    // A query is running for the current filter (first page, older page or tail).
    bool isLoading() const { return m_pageLoading || m_fetching || m_tailing; }
    // The last query error for the current filter ("" if fine).
    QString errorString() const { return m_error; }

    static QString kindLabel(rd::log::LogKind kind);

public slots:
    // Requests the newest page again (one reset when it arrives).
    void reload();
    // Connect EngineFacade::logAppended here: the tail is requested once,
    // TailDelayMs after the first notification with an id we have not looked at.
    void onLogAppended(qint64 lastId);
    // Requests the rows newer than newestId() now.
    void fetchNewer();

signals:
    // After rows newer than the top were inserted at the top.
    void rowsPrepended(int count);
    // After the first page of a filter arrived (and replaced the rows).
    void pageLoaded();
    // isLoading() or errorString() changed.
    void stateChanged();

private:
    void onPage(quint64 generation, const rd::log::LogPage &page);
    void onTail(quint64 generation, const QVector<rd::log::LogEvent> &rows, qint64 lastId);
    void trimToMax();
    QVariant displayValue(const rd::log::LogEvent &e, int column) const;
    QVariant rawValue(const rd::log::LogEvent &e, int column) const;

    rd::log::LogQueryService *m_service;
    rd::log::LogFilter m_filter;
    QList<rd::log::LogEvent> m_rows; // newest first
    rd::log::LogCursor m_cursor;     // where the next older page starts
    quint64 m_generation = 0;
    qint64 m_newestId = 0;           // tail position (may be past m_rows.first())
    qint64 m_pendingTail = 0;        // highest id announced, not yet looked at
    bool m_atEnd = true;             // no older rows beyond m_rows.last()
    bool m_pageLoading = false;      // first page of this generation pending
    bool m_fetching = false;         // an older page pending
    bool m_tailing = false;          // a tail query pending
    bool m_tailAgain = false;        // more rows announced while tailing
    QString m_error;
    int m_maxRows = DefaultMaxRows;
    QTimer m_tailTimer;
};

} // namespace rd::ui

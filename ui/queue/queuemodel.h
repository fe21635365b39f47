#pragma once
// Paged table model over the queue index (rd::queue::QueueReader).
//
// Only the total count is read up front; rows are fetched in pages of
// PageSize when data() first asks for them and kept in a small LRU cache, so a
// queue of 100,000 messages opens instantly. A page next to a cached one is
// read by key (as cheap at row 90,000 as at row 0); others by offset from the
// nearer end.
//
// refresh() re-reads the count and drops the cache in one layout change:
// persistent indexes (the view's selection, current row, scroll anchor)
// follow their queue id, found by key with two indexed queries per cached
// page that holds one, or by the key remembered when their page left the
// cache (rows never read are moved by their neighbours' shift), or are
// dropped when the message is gone, so a selection never silently moves to
// another message. Count, mapping and the pages in view are read in one
// snapshot of the queue. Then rows are inserted or removed at the end.
// No model reset except when the filter changes.
//
// Updates are batched: scheduleRefresh() (connected to queueChanged) runs
// refresh() at most every RefreshDelayMs - longer when refreshes get slow
// (at most a fifth of the GUI thread's time goes to them).
// Thread: GUI thread only. The model owns its reader (no SQL here).

#include "queue/queuereader.h"
#include "queue/queuetypes.h"

#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <QItemSelection>
#include <QHash>
#include <QTimer>
#include <QVector>

#include <memory>

namespace rd::ui {

class QueueModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        QueueId,
        Sender,
        Recipients,  // "a@x, b@y (+3)"
        Size,        // "4.1 KB"
        Age,         // "3 min"
        State,
        Attempts,
        NextAttempt, // "in 4 min", "due"
        LastError,
        ColumnCount
    };

    // Raw values, independent of the index's column (except RawValueRole).
    enum Role {
        RawValueRole = Qt::UserRole + 1, // the raw value behind the cell's column
        QueueIdRole,                     // QString
        SenderRole,                      // QString, empty for <>
        RecipientsRole,                  // QStringList (the first ones the reader lists)
        RecipientCountRole,              // int, total number of recipients
        SizeBytesRole,                   // qint64
        ReceivedRole,                    // QDateTime, UTC
        StateRole,                       // int (rd::queue::MessageState)
        AttemptsRole,                    // int
        NextAttemptRole,                 // QDateTime, UTC, null when not scheduled
        LastErrorRole,                   // QString
        MessageInfoRole                  // rd::queue::MessageInfo
    };

    static constexpr int PageSize = 200;
    static constexpr int MaxCachedPages = 32;
    static constexpr int RefreshDelayMs = 250;
    static constexpr int MaxRememberedRows = 1000; // selected rows known by key off-cache
    static constexpr int MaxKeyLookups = 32;       // per refresh (one indexed query each)

    // Opens dataDir/queue.db through a QueueReader it owns. If the database
    // cannot be opened yet, the model is empty and refresh() retries.
    explicit QueueModel(const QString &dataDir, QObject *parent = nullptr);
    ~QueueModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    rd::queue::QueueFilter filter() const { return m_filter; }
    // Applies a new filter (one model reset); no-op when unchanged.
    void setFilter(const rd::queue::QueueFilter &filter);

    // The reader, for detail views (message(), rawMessage()); never null.
    const rd::queue::QueueReader *reader() const { return m_reader.get(); }
    bool isOpen() const;
    QString errorString() const;

    // Queue id of a row ("" when out of range or the page could not be read).
    QString queueIdAt(int row) const;
    // Queue ids of every row in the selection, in row order, without
    // duplicates. Rows already shown give the ids the user saw; a range
    // spanning rows never read is completed by key between its first and last
    // message, so "select all" over 100,000 rows costs one query.
    QStringList queueIds(const QItemSelection &selection) const;
    // Duration of the last refresh() in ms (for the status line and tests).
    qint64 lastRefreshMs() const { return m_lastRefreshMs; }

    // Human formatting used by the columns (exposed for the detail pane).
    static QString formatSize(qint64 bytes);
    static QString formatAge(qint64 seconds);
    static QString stateLabel(rd::queue::MessageState state);

public slots:
    // Coalesces calls: refresh() runs once, RefreshDelayMs after the first.
    // Connect EngineFacade::queueChanged here.
    void scheduleRefresh();
    // Re-reads the count and the visible rows now (see the file comment).
    void refresh();

signals:
    // After refresh() or setFilter(): the count or rows may have changed.
    void refreshed();

private:
    struct Page {
        QVector<rd::queue::MessageInfo> rows;
        quint64 stamp = 0;
    };

    const rd::queue::MessageInfo *messageAt(int row) const;
    const Page &loadPage(int page) const;
    QHash<int, int> mapPersistentRows(const QModelIndexList &from, int limit,
                                      QHash<int, rd::queue::QueueKey> *keysOfNewRows) const;
    void rememberKeys(int page, const QVector<rd::queue::MessageInfo> &rows) const;
    void reopenIfNeeded();
    void tickTimes();
    QVariant rawValue(const rd::queue::MessageInfo &m, int column) const;

    QString m_dataDir;
    std::unique_ptr<rd::queue::QueueReader> m_reader;
    rd::queue::QueueFilter m_filter;
    int m_count = 0;
    int m_pageTotal = 0; // the count page offsets refer to (the new one during refresh())
    mutable QHash<int, Page> m_pages;
    // Keys of persistent rows (selection, current) whose page is not cached.
    mutable QHash<int, rd::queue::QueueKey> m_keysOfRows;
    mutable quint64 m_tick = 0;
    QTimer m_refreshTimer;
    qint64 m_lastRefreshMs = 0;
    QTimer m_clockTimer; // repaints Age / NextAttempt
};

} // namespace rd::ui

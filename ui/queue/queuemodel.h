#pragma once
// Paged table model over the queue index (rd::queue::QueueReader).
//
// Only the total count is read up front; rows are fetched in pages of
// PageSize when data() first asks for them and kept in a small LRU cache, so a
// queue of 100,000 messages opens instantly. refresh() re-reads the count and
// drops the cache in one layout change (persistent indexes - the view's
// selection and current row - follow their queue id, or are dropped when the
// message is gone), then inserts or removes rows at the end. No model reset
// except when the filter changes.
// Thread: GUI thread only. The model owns its reader (no SQL here).

#include "queue/queuetypes.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QTimer>
#include <QVector>

#include <memory>

namespace rd::queue {
class QueueReader;
}

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
    int findRow(const QString &queueId, int hintRow, int limit) const;
    void reopenIfNeeded();
    void tickTimes();
    QVariant rawValue(const rd::queue::MessageInfo &m, int column) const;

    QString m_dataDir;
    std::unique_ptr<rd::queue::QueueReader> m_reader;
    rd::queue::QueueFilter m_filter;
    int m_count = 0;
    mutable QHash<int, Page> m_pages;
    mutable quint64 m_tick = 0;
    QTimer m_refreshTimer;
    QTimer m_clockTimer; // repaints Age / NextAttempt
};

} // namespace rd::ui

#pragma once
// Table model over the structured log (rd::log::LogReader), newest row first.
//
// Holds a bounded window of rows: the newest PageSize on load, older pages on
// fetchMore() (the view asks when scrolled to the bottom), and a live tail:
// onLogAppended() coalesces the facade's notifications and fetchNewer() inserts
// the rows that came after the newest id held at the top (beginInsertRows, no
// reset). Beyond maxRows() the oldest rows are dropped (beginRemoveRows).
// Only setFilter()/reload() reset the model.
// Thread: GUI thread only. The model owns its reader (no SQL here).

#include "log/logtypes.h"

#include <QAbstractTableModel>
#include <QList>
#include <QTimer>

#include <memory>

namespace rd::log {
class LogReader;
}

namespace rd::ui {

class LogModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Time,       // local time
        Kind,
        Result,
        Client,     // peer ip
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

    // Opens dataDir/log.db through a LogReader it owns and loads the newest
    // page. If the database cannot be opened yet, the model is empty and the
    // next onLogAppended()/reload() retries.
    explicit LogModel(const QString &dataDir, QObject *parent = nullptr);
    ~LogModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    // Older rows exist and the window is below maxRows().
    bool canFetchMore(const QModelIndex &parent) const override;
    // Appends the next PageSize older rows at the bottom.
    void fetchMore(const QModelIndex &parent) override;

    rd::log::LogFilter filter() const { return m_filter; }
    // Applies a new filter and reloads the newest page (one model reset).
    void setFilter(const rd::log::LogFilter &filter);

    // Cap of rows held in memory (oldest dropped first); at least PageSize.
    int maxRows() const { return m_maxRows; }
    void setMaxRows(int rows);

    // Highest log id the model has looked at (rows after it are "new").
    qint64 newestId() const { return m_newestId; }
    // The event at a row (newest first), or nullptr when out of range.
    const rd::log::LogEvent *eventAt(int row) const;

    bool isOpen() const;
    QString errorString() const;

    static QString kindLabel(rd::log::LogKind kind);

public slots:
    // Reloads the newest page (one model reset).
    void reload();
    // Connect EngineFacade::logAppended here: fetchNewer() runs once,
    // TailDelayMs after the first notification with an id we do not hold.
    void onLogAppended(qint64 lastId);
    // Inserts rows newer than newestId() at the top now.
    void fetchNewer();

signals:
    // After fetchNewer() inserted `count` rows at the top.
    void rowsPrepended(int count);

private:
    void load();
    void trimToMax();
    QVariant displayValue(const rd::log::LogEvent &e, int column) const;
    QVariant rawValue(const rd::log::LogEvent &e, int column) const;

    QString m_dataDir;
    std::unique_ptr<rd::log::LogReader> m_reader;
    rd::log::LogFilter m_filter;
    QList<rd::log::LogEvent> m_rows; // newest first
    qint64 m_newestId = 0;           // tail position (may be past m_rows.first())
    bool m_atEnd = true;             // no older rows beyond m_rows.last()
    int m_maxRows = DefaultMaxRows;
    QTimer m_tailTimer;
};

} // namespace rd::ui

#pragma once
// Results of a message-tracking search (core/log/messagetrack.h): one row per
// accepted message, newest first, appended page by page. Raw values through
// custom roles. Thread: GUI thread; fed by TrackingPanel (no I/O here).

#include "log/messagerecord.h"

#include <QAbstractTableModel>
#include <QVector>

namespace rd::ui {

class TrackingModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TimeColumn, SenderColumn, RecipientsColumn, SubjectColumn, MessageIdColumn, SizeColumn,
                  ClientColumn, QueueIdColumn, ColumnCount };
    enum Role {
        QueueIdRole = Qt::UserRole + 1, // QString
        TimeRole,                       // QDateTime (UTC)
        RecordRole,                     // rd::log::MessageRecord
    };

    explicit TrackingModel(QObject *parent = nullptr);

    // Replaces every row (a new search).
    void setRows(const QVector<rd::log::MessageRecord> &rows);
    // Appends a further page (rows older than the last one).
    void appendRows(const QVector<rd::log::MessageRecord> &rows);
    const rd::log::MessageRecord &record(int row) const { return m_rows.at(row); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<rd::log::MessageRecord> m_rows;
};

} // namespace rd::ui

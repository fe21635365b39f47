#pragma once
// Table model of a queue shape (core/queue/queueshape.h): row 0 is TOTAL,
// then one row per domain (top N, then "other"); column 0 the domain, column 1
// the total, then one column per age bucket. Raw values through custom roles.
// Thread: GUI thread; fed with setShape() (no I/O here).

#include "queue/queueshape.h"

#include <QAbstractTableModel>

namespace rd::ui {

class QueueShapeModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { DomainColumn = 0, TotalColumn = 1, FirstBucketColumn = 2,
                  ColumnCount = FirstBucketColumn + rd::queue::kShapeBuckets };
    enum Role {
        DomainRole = Qt::UserRole + 1, // QString: the row's domain ("" for TOTAL)
        BucketRole,                    // int: the column's age bucket, -1 for the total column
        CountRole,                     // qint64: the cell's count
        IsTotalRowRole,                // bool
        IsOtherRowRole,                // bool
    };

    explicit QueueShapeModel(QObject *parent = nullptr);

    // Replaces the shown shape (one model reset; the table is small).
    void setShape(const rd::queue::QueueShape &shape);
    const rd::queue::QueueShape &shape() const { return m_shape; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    const rd::queue::ShapeRow &rowAt(int row) const;

    rd::queue::QueueShape m_shape;
};

} // namespace rd::ui

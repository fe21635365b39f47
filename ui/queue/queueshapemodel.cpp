#include "queue/queueshapemodel.h"

#include <QFont>
#include <QLocale>

namespace rd::ui {

using rd::queue::ShapeRow;

QueueShapeModel::QueueShapeModel(QObject *parent) : QAbstractTableModel(parent)
{
    m_shape.totals.domain = QStringLiteral("TOTAL");
}

void QueueShapeModel::setShape(const rd::queue::QueueShape &shape)
{
    beginResetModel();
    m_shape = shape;
    endResetModel();
}

int QueueShapeModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : 1 + int(m_shape.rows.size());
}

int QueueShapeModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const ShapeRow &QueueShapeModel::rowAt(int row) const
{
    return row == 0 ? m_shape.totals : m_shape.rows.at(row - 1);
}

QVariant QueueShapeModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount)
        return {};
    const ShapeRow &r = rowAt(index.row());
    const int bucket = index.column() >= FirstBucketColumn ? index.column() - FirstBucketColumn : -1;
    const qint64 count = index.column() == TotalColumn ? r.total
                         : bucket >= 0                 ? r.buckets[size_t(bucket)]
                                                       : 0;
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == DomainColumn) {
            if (index.row() == 0)
                return tr("TOTAL");
            return r.domain.isEmpty() ? tr("(no domain)") : r.domain;
        }
        return count == 0 && index.column() != TotalColumn ? QString() : QLocale().toString(count);
    case Qt::TextAlignmentRole:
        return index.column() == DomainColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                              : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::FontRole:
        if (index.row() == 0 || index.column() == TotalColumn) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == DomainColumn)
            return {};
        return tr("%1 queued, %2, age %3: click to list them")
            .arg(count)
            .arg(index.row() == 0 ? tr("all domains") : r.domain)
            .arg(bucket < 0 ? tr("any")
                            : bucket == rd::queue::kShapeBuckets - 1
                                ? tr("%1 min or more").arg(rd::queue::kShapeEdgesMin.back())
                                : tr("under %1 min").arg(rd::queue::shapeBucketLabel(bucket)));
    case DomainRole: return index.row() == 0 ? QString() : r.domain;
    case BucketRole: return bucket;
    case CountRole: return count;
    case IsTotalRowRole: return index.row() == 0;
    case IsOtherRowRole: return r.isOther;
    default: return {};
    }
}

QVariant QueueShapeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (section == DomainColumn)
        return m_shape.by == rd::queue::ShapeBy::SenderDomain ? tr("Sender domain") : tr("Domain");
    if (section == TotalColumn)
        return tr("T");
    return rd::queue::shapeBucketLabel(section - FirstBucketColumn);
}

} // namespace rd::ui

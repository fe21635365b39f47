#include "delivery/badmailmodel.h"

#include <QLocale>

namespace rd::ui {

BadmailModel::BadmailModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void BadmailModel::setItems(const QList<rd::pickup::BadmailItem> &items)
{
    beginResetModel();
    m_items = items;
    endResetModel();
}

int BadmailModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_items.size());
}

int BadmailModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant BadmailModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_items.size())
        return {};
    const rd::pickup::BadmailItem &item = m_items.at(index.row());
    switch (role) {
    case PathRole:
        return item.path;
    case DateRole:
        return item.modified;
    case SizeRole:
        return item.size;
    case Qt::ToolTipRole:
        return QStringLiteral("%1\n%2").arg(item.path, item.reason);
    case Qt::DisplayRole:
        switch (index.column()) {
        case FileColumn:
            return item.fileName;
        case DateColumn:
            return QLocale().toString(item.modified.toLocalTime(), QLocale::ShortFormat);
        case SourceColumn:
            return item.source;
        case ReasonColumn:
            return item.reason;
        default:
            return {};
        }
    default:
        return {};
    }
}

QVariant BadmailModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case FileColumn:
        return tr("File");
    case DateColumn:
        return tr("Date");
    case SourceColumn:
        return tr("From");
    case ReasonColumn:
        return tr("Reason");
    default:
        return {};
    }
}

} // namespace rd::ui

#include "dashboard/toplistmodel.h"

#include <QLocale>

namespace rd::ui {

TopListModel::TopListModel(const QString &keyTitle, const QString &countTitle, QObject *parent)
    : QAbstractTableModel(parent)
    , m_keyTitle(keyTitle)
    , m_countTitle(countTitle)
{
}

void TopListModel::setEntries(const QList<rd::engine::TrafficTopEntry> &entries)
{
    const int oldRows = int(m_entries.size());
    const int newRows = int(entries.size());
    if (newRows < oldRows) {
        beginRemoveRows({}, newRows, oldRows - 1);
        m_entries.resize(newRows);
        endRemoveRows();
    } else if (newRows > oldRows) {
        beginInsertRows({}, oldRows, newRows - 1);
        m_entries = entries;
        endInsertRows();
    }
    m_entries = entries;
    if (newRows > 0)
        emit dataChanged(index(0, 0), index(newRows - 1, ColumnCount - 1));
}

int TopListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int TopListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TopListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_entries.size())
        return {};
    const rd::engine::TrafficTopEntry &e = m_entries[index.row()];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Rank: return index.row() + 1;
        case Key: return e.key;
        case Count: {
            const QString n = QLocale().toString(e.count);
            return e.error > 0 ? QStringLiteral("~") + n : n;
        }
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == Count && e.error > 0)
            return tr("Between %1 and %2 (the lists count with bounded memory)")
                .arg(QLocale().toString(e.count - e.error), QLocale().toString(e.count));
        if (index.column() == Key)
            return e.key;
        break;
    case Qt::TextAlignmentRole:
        if (index.column() != Key)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case RawCountRole:
        return e.count;
    case ErrorRole:
        return e.error;
    }
    return {};
}

QVariant TopListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Rank: return QStringLiteral("#");
    case Key: return m_keyTitle;
    case Count: return m_countTitle;
    }
    return {};
}

} // namespace rd::ui

#include "filtering/banmodel.h"

namespace rd::ui {

BanModel::BanModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int BanModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_bans.size());
}

int BanModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant BanModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return {};
    const rd::policy::Ban &b = m_bans.at(index.row());
    auto when = [](const QDateTime &t) { return t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")); };
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Address: return b.ip;
        case Reason: return b.reason;
        case Since: return when(b.created);
        case Until: return when(b.expires);
        case Failures: return b.failures > 0 ? QVariant(b.failures) : QVariant(tr("manual"));
        }
        return {};
    case Qt::ToolTipRole:
        return tr("%1 is refused at connect until %2 UTC %3").arg(b.ip, when(b.expires), b.reason);
    case Qt::TextAlignmentRole:
        return index.column() == Failures ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case IpRole: return b.ip;
    case ExpiresRole: return b.expires;
    }
    return {};
}

QVariant BanModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Address: return tr("Address");
    case Reason: return tr("Reason");
    case Since: return tr("Since (UTC)");
    case Until: return tr("Until (UTC)");
    case Failures: return tr("Failures");
    }
    return {};
}

void BanModel::setBans(const QList<rd::policy::Ban> &bans)
{
    beginResetModel();
    m_bans = bans;
    endResetModel();
}

int BanModel::rowOf(const QString &ip) const
{
    for (int i = 0; i < m_bans.size(); ++i) {
        if (m_bans.at(i).ip == ip)
            return i;
    }
    return -1;
}

} // namespace rd::ui

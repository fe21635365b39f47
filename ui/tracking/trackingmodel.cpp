#include "tracking/trackingmodel.h"

#include <QLocale>

namespace rd::ui {

TrackingModel::TrackingModel(QObject *parent) : QAbstractTableModel(parent) {}

void TrackingModel::setRows(const QVector<rd::log::MessageRecord> &rows)
{
    beginResetModel();
    m_rows = rows;
    endResetModel();
}

void TrackingModel::appendRows(const QVector<rd::log::MessageRecord> &rows)
{
    if (rows.isEmpty())
        return;
    beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + rows.size() - 1));
    m_rows += rows;
    endInsertRows();
}

int TrackingModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TrackingModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TrackingModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size() || index.column() >= ColumnCount)
        return {};
    const rd::log::MessageRecord &r = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case TimeColumn: return QLocale().toString(r.time.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        case SenderColumn: return r.sender.isEmpty() ? QStringLiteral("<>") : r.sender;
        case RecipientsColumn: return r.recipients;
        case SubjectColumn: return r.subject;
        case MessageIdColumn: return r.messageId;
        case SizeColumn: return QLocale().formattedDataSize(r.size);
        case ClientColumn: return r.clientIp.isEmpty() ? r.origin : r.clientIp;
        case QueueIdColumn: return r.queueId;
        case ColumnCount: break;
        }
        return {};
    case Qt::ToolTipRole:
        return tr("Received %1 from %2 on %3, TLS: %4")
            .arg(r.time.toUTC().toString(Qt::ISODate), r.clientIp.isEmpty() ? r.origin : r.clientIp,
                 r.listener.isEmpty() ? tr("-") : r.listener, r.tls.isEmpty() ? tr("none") : r.tls);
    case Qt::TextAlignmentRole:
        return index.column() == SizeColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case QueueIdRole: return r.queueId;
    case TimeRole: return r.time;
    case RecordRole: return QVariant::fromValue(r);
    default: return {};
    }
}

QVariant TrackingModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case TimeColumn: return tr("Received");
    case SenderColumn: return tr("Sender");
    case RecipientsColumn: return tr("Recipients");
    case SubjectColumn: return tr("Subject");
    case MessageIdColumn: return tr("Message-ID");
    case SizeColumn: return tr("Size");
    case ClientColumn: return tr("Client");
    case QueueIdColumn: return tr("Queue id");
    case ColumnCount: break;
    }
    return {};
}

} // namespace rd::ui

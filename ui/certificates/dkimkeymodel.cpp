#include "certificates/dkimkeymodel.h"

#include <QBrush>
#include <QColor>
#include <QHash>
#include <QSet>

namespace rd::ui {

using rd::config::DkimKeyInfo;

namespace {

QString localTime(const QDateTime &utc)
{
    return utc.isValid() ? utc.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")) : QString();
}

bool sameRow(const DkimKeyInfo &a, const DkimKeyInfo &b)
{
    return a.domain == b.domain && a.selector == b.selector && a.algorithm == b.algorithm && a.bits == b.bits
        && a.created == b.created && a.enabled == b.enabled && a.dnsName == b.dnsName && a.dnsRecord == b.dnsRecord
        && a.problem == b.problem;
}

} // namespace

DkimKeyModel::DkimKeyModel(QObject *parent) : QAbstractTableModel(parent) {}

int DkimKeyModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int DkimKeyModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString DkimKeyModel::algorithmText(const DkimKeyInfo &key)
{
    if (key.algorithm.startsWith(QLatin1String("ed25519")))
        return tr("Ed25519");
    if (key.algorithm.startsWith(QLatin1String("rsa")))
        return key.bits > 0 ? tr("RSA %1").arg(key.bits) : tr("RSA");
    return key.algorithm;
}

QVariant DkimKeyModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() < 0 || index.row() >= m_rows.size())
        return {};
    const DkimKeyInfo &k = m_rows.at(index.row());
    switch (role) {
    case NameRole: return k.dnsName;
    case DomainRole: return k.domain;
    case SelectorRole: return k.selector;
    case AlgorithmRole: return k.algorithm;
    case BitsRole: return k.bits;
    case CreatedRole: return k.created;
    case EnabledRole: return k.enabled;
    case RecordRole: return k.dnsRecord;
    case ProblemRole: return k.problem;
    case Qt::ForegroundRole:
        if (!k.problem.isEmpty())
            return QBrush(QColor(0xb0, 0x1e, 0x1e));
        if (!k.enabled)
            return QBrush(QColor(0x80, 0x80, 0x80));
        return {};
    case Qt::ToolTipRole:
        if (!k.problem.isEmpty())
            return tr("This key cannot be used: %1").arg(k.problem);
        if (index.column() == Algorithm && k.algorithm.startsWith(QLatin1String("ed25519")))
            return tr("Ed25519 (RFC 8463): publish an RSA key beside it; not every receiver verifies Ed25519.");
        return index.column() == DnsName ? k.dnsName : QVariant();
    case Qt::DisplayRole:
        switch (index.column()) {
        case Domain: return k.domain;
        case Selector: return k.selector;
        case Algorithm: return algorithmText(k);
        case Bits: return k.bits;
        case Created: return localTime(k.created);
        case Enabled:
            if (!k.problem.isEmpty())
                return tr("Unusable");
            return k.enabled ? tr("Yes") : tr("No (not signing)");
        case DnsName: return k.dnsName;
        }
        return {};
    default: return {};
    }
}

QVariant DkimKeyModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Domain: return tr("Domain");
    case Selector: return tr("Selector");
    case Algorithm: return tr("Algorithm");
    case Bits: return tr("Bits");
    case Created: return tr("Created");
    case Enabled: return tr("Enabled");
    case DnsName: return tr("DNS name");
    }
    return {};
}

void DkimKeyModel::setKeys(const QList<DkimKeyInfo> &keys)
{
    // Merge by name: remove rows that are gone, update rows that changed,
    // then insert the new ones at their listed positions.
    QSet<QString> wanted;
    for (const DkimKeyInfo &k : keys)
        wanted.insert(k.dnsName);
    for (int r = int(m_rows.size()) - 1; r >= 0; --r) {
        if (!wanted.contains(m_rows.at(r).dnsName)) {
            beginRemoveRows({}, r, r);
            m_rows.removeAt(r);
            endRemoveRows();
        }
    }
    for (int i = 0; i < keys.size(); ++i) {
        const DkimKeyInfo &k = keys.at(i);
        const int at = rowOf(k.dnsName);
        if (at == i) {
            if (!sameRow(m_rows.at(i), k)) {
                m_rows[i] = k;
                emit dataChanged(index(i, 0), index(i, ColumnCount - 1));
            }
            continue;
        }
        if (at > i) { // order changed (only when the sort key changed): move it up
            beginMoveRows({}, at, at, {}, i);
            m_rows.move(at, i);
            endMoveRows();
            m_rows[i] = k;
            emit dataChanged(index(i, 0), index(i, ColumnCount - 1));
            continue;
        }
        beginInsertRows({}, i, i);
        m_rows.insert(i, k);
        endInsertRows();
    }
}

int DkimKeyModel::rowOf(const QString &dnsName) const
{
    for (int r = 0; r < m_rows.size(); ++r) {
        if (m_rows.at(r).dnsName.compare(dnsName, Qt::CaseInsensitive) == 0)
            return r;
    }
    return -1;
}

DkimKeyInfo DkimKeyModel::keyAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row) : DkimKeyInfo();
}

} // namespace rd::ui

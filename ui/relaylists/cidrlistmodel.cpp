#include "relaylists/cidrlistmodel.h"

#include "util/cidr.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QHash>
#include <QLocale>

#include <cmath>

namespace rd::ui {

namespace {

const QColor kErrorBackground(255, 205, 205);
const QColor kErrorForeground(120, 0, 0);

bool checkDomain(const QString &text, QString *canonical, QString *error)
{
    const QString d = text.trimmed();
    if (d.isEmpty()) {
        *error = CidrListModel::tr("Enter a domain name, e.g. example.com");
        return false;
    }
    for (const QChar c : d) {
        if (c.isSpace()) {
            *error = CidrListModel::tr("A domain name has no spaces");
            return false;
        }
    }
    if (d.contains(QLatin1Char('@'))) {
        *error = CidrListModel::tr("Enter the domain only, without a user name and '@' (example.com, not "
                                   "user@example.com)");
        return false;
    }
    if (d.endsWith(QLatin1Char('.'))) {
        *error = CidrListModel::tr("Remove the trailing dot");
        return false;
    }
    if (!d.contains(QLatin1Char('.'))) {
        *error = CidrListModel::tr("A domain name needs a dot, e.g. example.com");
        return false;
    }
    if (d.size() > 253) {
        *error = CidrListModel::tr("A domain name has at most 253 characters");
        return false;
    }
    const QStringList labels = d.split(QLatin1Char('.'));
    for (const QString &label : labels) {
        if (label.isEmpty()) {
            *error = CidrListModel::tr("Empty label: a dot at the start or two dots in a row");
            return false;
        }
        if (label.size() > 63) {
            *error = CidrListModel::tr("The label \"%1\" is longer than 63 characters").arg(label);
            return false;
        }
        if (label.startsWith(QLatin1Char('-')) || label.endsWith(QLatin1Char('-'))) {
            *error = CidrListModel::tr("The label \"%1\" starts or ends with '-'").arg(label);
            return false;
        }
        for (const QChar c : label) {
            if (!c.isLetterOrNumber() && c != QLatin1Char('-') && c != QLatin1Char('_')) {
                *error = CidrListModel::tr("'%1' is not allowed in a domain name").arg(c);
                return false;
            }
        }
    }
    bool numeric = false;
    labels.last().toLongLong(&numeric);
    if (numeric) {
        *error = CidrListModel::tr("\"%1\" looks like an address; enter a domain name").arg(d);
        return false;
    }
    *canonical = d.toLower();
    return true;
}

} // namespace

CidrListModel::CidrListModel(Kind kind, QObject *parent)
    : QAbstractTableModel(parent)
    , m_kind(kind)
{
}

QString CidrListModel::describeRange(const rd::util::CidrRange &range)
{
    const bool v4 = range.network.protocol() == QAbstractSocket::IPv4Protocol;
    const int hostBits = (v4 ? 32 : 128) - range.prefix;
    QString count;
    if (hostBits == 0)
        count = tr("1 address");
    else if (hostBits <= 32)
        count = tr("%1 addresses").arg(QLocale().toString(quint64(1) << hostBits));
    else
        count = tr("2^%1 addresses").arg(hostBits);
    if (range.prefix == 0)
        count += v4 ? tr(", every IPv4 address") : tr(", every IPv6 address");
    return QStringLiteral("%1 \u2014 %2").arg(range.toString(), count);
}

bool CidrListModel::checkEntry(Kind kind, const QString &text, QString *canonical, QString *covers, QString *error)
{
    if (kind == Kind::Domain) {
        if (!checkDomain(text, canonical, error))
            return false;
        *covers = tr("mail to *@%1 from anyone").arg(*canonical);
        return true;
    }
    if (text.trimmed().isEmpty()) {
        *error = tr("Enter an address or a range, e.g. 192.168.1.20 or 192.168.1.0/24");
        return false;
    }
    rd::util::CidrRange range;
    if (!rd::util::parseCidr(text, &range, error))
        return false;
    *canonical = range.toString();
    *covers = describeRange(range);
    return true;
}

int CidrListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CidrListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CidrListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    const int column = index.column();
    const bool dirty = r.isNew || r.text != r.original;
    switch (role) {
    case Qt::DisplayRole:
        if (column == Entry)
            return r.text;
        return r.error.isEmpty() ? r.covers : r.error;
    case Qt::EditRole:
        return column == Entry ? QVariant(r.text) : QVariant();
    case Qt::ToolTipRole:
        if (!r.error.isEmpty())
            return r.error;
        if (r.isNew)
            return tr("New, not applied yet");
        if (dirty)
            return tr("Changed from \"%1\", not applied yet").arg(r.original);
        return {};
    case Qt::BackgroundRole:
        return r.error.isEmpty() ? QVariant() : QVariant(QBrush(kErrorBackground));
    case Qt::ForegroundRole:
        if (!r.error.isEmpty())
            return QBrush(kErrorForeground);
        return {};
    case Qt::FontRole: {
        if (!dirty)
            return {};
        QFont f;
        f.setItalic(true);
        f.setBold(column == Entry);
        return f;
    }
    case RawValueRole: return column == Entry ? r.text : r.canonical;
    case EntryRole: return r.text;
    case CanonicalRole: return r.canonical;
    case PrefixRole: return r.prefix;
    case AddressCountRole: return r.addresses;
    case ErrorRole: return r.error;
    case DirtyRole: return dirty;
    case NewRole: return r.isNew;
    }
    return {};
}

bool CidrListModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return false;
    if (role != Qt::EditRole || index.column() != Entry)
        return false;
    m_rows[index.row()].text = value.toString().trimmed();
    validateAll();
    emitAllChanged();
    emit stateChanged();
    return true;
}

Qt::ItemFlags CidrListModel::flags(const QModelIndex &index) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.column() == Entry)
        f |= Qt::ItemIsEditable;
    return f;
}

QVariant CidrListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical) {
        if (section < 0 || section >= m_rows.size())
            return {};
        const Row &r = m_rows.at(section);
        const bool dirty = r.isNew || r.text != r.original;
        if (role == Qt::DisplayRole)
            return r.isNew ? QStringLiteral("+") : dirty ? QStringLiteral("*") : QString();
        if (role == Qt::ToolTipRole)
            return r.isNew ? tr("New, not applied yet") : dirty ? tr("Changed, not applied yet") : QString();
        return {};
    }
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (section) {
    case Entry:
        if (role == Qt::ToolTipRole) {
            return m_kind == Kind::Cidr ? tr("An IPv4 or IPv6 address, or a range in CIDR notation (10.0.0.0/8)")
                                        : tr("A domain this relay accepts mail for, e.g. example.com");
        }
        return m_kind == Kind::Cidr ? tr("Address or range") : tr("Domain");
    case Covers:
        if (role == Qt::ToolTipRole)
            return tr("What the entry matches, or why it is invalid");
        return m_kind == Kind::Cidr ? tr("Covers") : tr("Accepts");
    }
    return {};
}

bool CidrListModel::removeRows(int row, int count, const QModelIndex &parent)
{
    if (parent.isValid() || row < 0 || count <= 0 || row + count > m_rows.size())
        return false;
    beginRemoveRows({}, row, row + count - 1);
    m_rows.remove(row, count);
    endRemoveRows();
    validateAll();
    emitAllChanged();
    emit stateChanged();
    return true;
}

void CidrListModel::load(const QStringList &entries)
{
    beginResetModel();
    m_loaded = entries;
    m_rows.clear();
    m_rows.reserve(entries.size());
    for (const QString &e : entries) {
        Row r;
        r.text = e;
        r.original = e;
        m_rows.append(r);
    }
    validateAll();
    endResetModel();
    emit stateChanged();
}

void CidrListModel::revertAll()
{
    load(m_loaded);
}

int CidrListModel::addEntry(const QString &text)
{
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    Row r;
    r.text = text.trimmed();
    r.isNew = true;
    m_rows.append(r);
    endInsertRows();
    validateAll();
    emitAllChanged();
    emit stateChanged();
    return row;
}

QStringList CidrListModel::entries() const
{
    QStringList out;
    out.reserve(m_rows.size());
    for (const Row &r : m_rows)
        out << r.text;
    return out;
}

QStringList CidrListModel::errors() const
{
    QStringList out;
    for (int i = 0; i < m_rows.size(); ++i) {
        const Row &r = m_rows.at(i);
        if (!r.error.isEmpty())
            out << tr("Row %1 (\"%2\"): %3").arg(i + 1).arg(r.text, r.error);
    }
    return out;
}

void CidrListModel::validateAll()
{
    m_errorCount = 0;
    QHash<QString, int> seen; // canonical -> first row
    for (int i = 0; i < m_rows.size(); ++i) {
        Row &r = m_rows[i];
        r.canonical.clear();
        r.covers.clear();
        r.error.clear();
        r.prefix = -1;
        r.addresses = 0;
        QString canonical, covers, error;
        if (!checkEntry(m_kind, r.text, &canonical, &covers, &error)) {
            r.error = error;
        } else if (seen.contains(canonical)) {
            r.error = tr("Already listed in row %1").arg(seen.value(canonical) + 1);
        } else {
            seen.insert(canonical, i);
            r.canonical = canonical;
            r.covers = covers;
            if (m_kind == Kind::Cidr) {
                const int slash = canonical.lastIndexOf(QLatin1Char('/'));
                r.prefix = canonical.mid(slash + 1).toInt();
                const int bits = canonical.contains(QLatin1Char(':')) ? 128 : 32;
                r.addresses = std::ldexp(1.0, bits - r.prefix);
            }
        }
        if (!r.error.isEmpty())
            ++m_errorCount;
    }
}

void CidrListModel::emitAllChanged()
{
    if (m_rows.isEmpty())
        return;
    // Duplicate errors move between rows, so every row is refreshed.
    emit dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
    emit headerDataChanged(Qt::Vertical, 0, int(m_rows.size()) - 1);
}

} // namespace rd::ui

#include "filtering/connectionrulemodel.h"

#include <QColor>

namespace rd::ui {

using rd::config::ConnectionAction;
using rd::config::ConnectionRule;

namespace {

QVariantList choice(const QString &label, int value)
{
    return QVariantList{label, value};
}

} // namespace

ConnectionRuleModel::ConnectionRuleModel(QObject *parent)
    : PolicyListModel(parent)
{
}

int ConnectionRuleModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

void ConnectionRuleModel::setNow(const QDateTime &now)
{
    m_now = now;
    if (rowCount() > 0)
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

QDateTime ConnectionRuleModel::now() const
{
    return m_now.isValid() ? m_now : QDateTime::currentDateTimeUtc();
}

QStringList ConnectionRuleModel::warnings() const
{
    QStringList out;
    for (const QString &w : rd::config::connectionRuleWarnings(items(), now()))
        out << capitalized(w);
    return out;
}

QString ConnectionRuleModel::expiryText(const QDateTime &expires)
{
    return expires.isValid() ? expires.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm")) : QString();
}

bool ConnectionRuleModel::parseExpiry(const QString &text, QDateTime *out)
{
    QString t = text.trimmed();
    if (t.endsWith(QLatin1String("UTC"), Qt::CaseInsensitive))
        t.chop(3);
    t = t.trimmed().replace(QLatin1Char('T'), QLatin1Char(' '));
    if (t.isEmpty()) {
        *out = QDateTime();
        return true;
    }
    for (const QString &format : {QStringLiteral("yyyy-MM-dd HH:mm"), QStringLiteral("yyyy-MM-dd HH:mm:ss"),
                                  QStringLiteral("yyyy-MM-dd")}) {
        QDateTime d = QDateTime::fromString(t, format);
        if (d.isValid()) {
            d.setTimeSpec(Qt::UTC);
            *out = d;
            return true;
        }
    }
    return false;
}

QStringList ConnectionRuleModel::validate(const QList<ConnectionRule> &items) const
{
    return rd::config::validateConnectionRules(items);
}

QString ConnectionRuleModel::errorPrefix(int row, const ConnectionRule &r) const
{
    return QStringLiteral("connection rule %1 (%2): ").arg(row + 1).arg(rd::config::connectionRuleLabel(r));
}

int ConnectionRuleModel::columnForError(const QString &text) const
{
    if (text.startsWith(QLatin1String("Priority:")))
        return Priority;
    if (text.startsWith(QLatin1String("Comment:")))
        return Comment;
    if (text.startsWith(QLatin1String("Expires:")))
        return Expires;
    return Network;
}

QVariant ConnectionRuleModel::cellData(const ConnectionRule &r, int column, int role) const
{
    const bool expired = r.expires.isValid() && r.expires <= now();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case Network: return r.network;
        case Action: return r.action == ConnectionAction::Allow ? tr("Allow") : tr("Deny");
        case Priority: return r.priority;
        case Expires:
            return r.expires.isValid() ? expiryText(r.expires) + (expired ? tr(" UTC (expired)") : tr(" UTC"))
                                       : tr("never");
        case Comment: return r.comment;
        }
        return {};
    case Qt::EditRole:
        switch (column) {
        case Network: return r.network;
        case Action: return int(r.action);
        case Priority: return r.priority;
        case Expires: return expiryText(r.expires);
        case Comment: return r.comment;
        }
        return {};
    case Qt::CheckStateRole:
        return column == Enabled ? QVariant(r.enabled ? Qt::Checked : Qt::Unchecked) : QVariant();
    case Qt::ToolTipRole: {
        QString text = r.action == ConnectionAction::Allow
                         ? tr("Clients in %1 are admitted (even if banned), priority %2").arg(r.network).arg(r.priority)
                         : tr("Clients in %1 are refused at connect with 554 5.7.1, priority %2")
                               .arg(r.network)
                               .arg(r.priority);
        if (!r.enabled)
            text += QLatin1Char('\n') + tr("Disabled: not applied");
        if (expired)
            text += QLatin1Char('\n') + tr("Expired: kept, but no longer applied");
        return text;
    }
    case Qt::ForegroundRole:
        if (!r.enabled || expired)
            return QColor(Qt::gray);
        if (column == Action)
            return r.action == ConnectionAction::Deny ? QColor(0xb0, 0x1e, 0x1e) : QColor(0x1b, 0x7a, 0x2b);
        return {};
    case ChoicesRole:
        if (column == Action)
            return QVariantList{QVariant(choice(tr("Allow"), int(ConnectionAction::Allow))),
                                QVariant(choice(tr("Deny"), int(ConnectionAction::Deny)))};
        return {};
    case ExpiredRole:
        return r.enabled && expired;
    }
    return {};
}

bool ConnectionRuleModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return false;
    ConnectionRule r = item(index.row());
    if (role == Qt::CheckStateRole && index.column() == Enabled) {
        r.enabled = value.toInt() == Qt::Checked;
        return setItem(index.row(), r);
    }
    if (role != Qt::EditRole)
        return false;
    bool ok = true;
    switch (index.column()) {
    case Network:
        r.network = value.toString().trimmed();
        break;
    case Action: {
        ConnectionAction a;
        if (value.typeId() == QMetaType::QString && rd::config::parseConnectionAction(value.toString(), &a)) {
            r.action = a;
        } else {
            const int v = value.toInt(&ok);
            if (!ok || (v != int(ConnectionAction::Allow) && v != int(ConnectionAction::Deny)))
                return false;
            r.action = ConnectionAction(v);
        }
        break;
    }
    case Priority:
        r.priority = value.toInt(&ok);
        if (!ok)
            return false;
        break;
    case Expires:
        if (value.typeId() == QMetaType::QDateTime) {
            r.expires = value.toDateTime().toUTC();
        } else if (!parseExpiry(value.toString(), &r.expires)) {
            return false;
        }
        break;
    case Comment:
        r.comment = value.toString();
        break;
    default:
        return false;
    }
    return setItem(index.row(), r);
}

Qt::ItemFlags ConnectionRuleModel::flags(const QModelIndex &index) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.column() == Enabled)
        f |= Qt::ItemIsUserCheckable;
    else
        f |= Qt::ItemIsEditable;
    return f;
}

QString ConnectionRuleModel::columnTitle(int column) const
{
    switch (column) {
    case Enabled: return tr("On");
    case Network: return tr("Address or range");
    case Action: return tr("Action");
    case Priority: return tr("Priority");
    case Expires: return tr("Expires (UTC)");
    case Comment: return tr("Name / comment");
    }
    return {};
}

QString ConnectionRuleModel::columnTip(int column) const
{
    switch (column) {
    case Network: return tr("An IPv4 or IPv6 address or CIDR range, like 192.0.2.0/24 or 2001:db8::/32");
    case Action: return tr("Allow admits the client (even a banned one); Deny refuses it at connect");
    case Priority: return tr("Higher wins; on a tie the narrower range wins, then Deny");
    case Expires: return tr("When the rule stops applying, e.g. 2026-12-31 18:00 (UTC); empty: never");
    case Comment: return tr("Names the rule in the refusal (\"Connection refused by rule 'name'\") and the log");
    }
    return {};
}

} // namespace rd::ui

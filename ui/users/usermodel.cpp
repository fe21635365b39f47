#include "users/usermodel.h"

#include <QColor>
#include <QDateTime>
#include <QPalette>

#include <algorithm>

namespace rd::ui {

using rd::auth::UserInfo;

namespace {

QString key(const QString &name)
{
    return name.toCaseFolded();
}

bool lessByName(const UserInfo &a, const UserInfo &b)
{
    const int c = key(a.name).compare(key(b.name));
    return c != 0 ? c < 0 : a.name < b.name;
}

bool sameRow(const UserInfo &a, const UserInfo &b)
{
    return a.name == b.name && a.enabled == b.enabled && a.mayRelay == b.mayRelay && a.created == b.created
        && a.lastLogin == b.lastLogin && a.lastLoginIp == b.lastLoginIp && a.note == b.note;
}

QString localTimeText(const QDateTime &utc)
{
    return utc.isValid() ? utc.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")) : QString();
}

} // namespace

UserModel::UserModel(QObject *parent) : QAbstractTableModel(parent) {}

int UserModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_users.size());
}

int UserModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant UserModel::rawValue(const UserInfo &u, int column) const
{
    switch (column) {
    case Name: return u.name;
    case Enabled: return u.enabled;
    case MayRelay: return u.mayRelay;
    case LastLogin: return u.lastLogin;
    case LastLoginIp: return u.lastLoginIp;
    case Created: return u.created;
    default: return {};
    }
}

QVariant UserModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const UserInfo &u = m_users.at(index.row());
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case Name: return u.name;
        case Enabled: return u.enabled ? tr("Enabled") : tr("Disabled");
        case MayRelay: return u.mayRelay ? tr("Any domain") : tr("Accepted domains only");
        case LastLogin: return u.lastLogin.isValid() ? localTimeText(u.lastLogin) : tr("never");
        case LastLoginIp: return u.lastLoginIp;
        case Created: return localTimeText(u.created);
        }
        return {};
    case Qt::ToolTipRole:
        switch (column) {
        case Enabled:
            return u.enabled ? tr("The user may sign in with SMTP AUTH")
                             : tr("Sign-ins are refused until the user is enabled again");
        case MayRelay:
            return u.mayRelay ? tr("Once signed in, the user may send mail to any domain")
                              : tr("Once signed in, the user may send only to the accepted domains");
        }
        return {};
    case Qt::ForegroundRole:
        // A disabled account is greyed out; "never" is a non-value.
        if (!u.enabled || (column == LastLogin && !u.lastLogin.isValid()))
            return QPalette().color(QPalette::Disabled, QPalette::Text);
        return {};
    case RawValueRole: return rawValue(u, column);
    case NameRole: return u.name;
    case EnabledRole: return u.enabled;
    case MayRelayRole: return u.mayRelay;
    case LastLoginRole: return u.lastLogin;
    case LastLoginIpRole: return u.lastLoginIp;
    case CreatedRole: return u.created;
    }
    return {};
}

QVariant UserModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Name: return tr("User name");
    case Enabled: return tr("Status");
    case MayRelay: return tr("May relay to");
    case LastLogin: return tr("Last login");
    case LastLoginIp: return tr("From IP");
    case Created: return tr("Created");
    }
    return {};
}

void UserModel::setUsers(QList<UserInfo> users)
{
    std::sort(users.begin(), users.end(), lessByName);
    // Merge the two sorted lists, editing m_users in place.
    int i = 0; // row in m_users
    int j = 0; // index in users
    while (i < m_users.size() || j < users.size()) {
        int cmp;
        if (i >= m_users.size())
            cmp = 1; // only new ones left: insert
        else if (j >= users.size())
            cmp = -1; // only old ones left: remove
        else
            cmp = key(m_users.at(i).name) == key(users.at(j).name) ? 0
                : (lessByName(m_users.at(i), users.at(j)) ? -1 : 1);
        if (cmp < 0) {
            beginRemoveRows({}, i, i);
            m_users.removeAt(i);
            endRemoveRows();
        } else if (cmp > 0) {
            beginInsertRows({}, i, i);
            m_users.insert(i, users.at(j));
            endInsertRows();
            ++i;
            ++j;
        } else {
            if (!sameRow(m_users.at(i), users.at(j))) {
                m_users[i] = users.at(j);
                emit dataChanged(index(i, 0), index(i, ColumnCount - 1));
            }
            ++i;
            ++j;
        }
    }
}

int UserModel::rowOf(const QString &name) const
{
    const QString k = key(name);
    for (int r = 0; r < m_users.size(); ++r) {
        if (key(m_users.at(r).name) == k)
            return r;
    }
    return -1;
}

UserInfo UserModel::userAt(int row) const
{
    return row >= 0 && row < m_users.size() ? m_users.at(row) : UserInfo{};
}

QStringList UserModel::names() const
{
    QStringList out;
    out.reserve(m_users.size());
    for (const UserInfo &u : m_users)
        out << u.name;
    return out;
}

} // namespace rd::ui

#pragma once
// Table model over the SMTP AUTH users (rd::auth::UserInfo), as listed by
// AdminService::usersListed(). It never holds a password or a hash.
//
// setUsers() merges the new list into the rows by name (case-insensitive, as
// the store compares names): changed rows get dataChanged, new ones are
// inserted, gone ones removed, so the view's selection stays on its user.
// Thread: GUI thread only. No SQL here: the panel feeds the list.

#include "auth/userstore.h"

#include <QAbstractTableModel>
#include <QList>

namespace rd::ui {

class UserModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Name,
        Enabled,      // "Enabled" / "Disabled"
        MayRelay,     // "Any domain" / "Accepted domains only"
        LastLogin,    // local time, "never"
        LastLoginIp,
        Created,      // local time
        ColumnCount
    };

    // Raw values, independent of the index's column (except RawValueRole).
    enum Role {
        RawValueRole = Qt::UserRole + 1, // the raw value behind the cell's column
        NameRole,                        // QString, as stored
        EnabledRole,                     // bool
        MayRelayRole,                    // bool
        LastLoginRole,                   // QDateTime, UTC, null if never
        LastLoginIpRole,                 // QString, empty if never
        CreatedRole                      // QDateTime, UTC
    };

    explicit UserModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Replaces the rows with `users` (any order; shown sorted by name) without
    // a model reset (see the file comment).
    void setUsers(QList<rd::auth::UserInfo> users);

    // Row of the user called `name` in any letter case, or -1.
    int rowOf(const QString &name) const;
    // The user at `row`; a default UserInfo when out of range.
    rd::auth::UserInfo userAt(int row) const;
    // Stored names, in row order.
    QStringList names() const;

private:
    QVariant rawValue(const rd::auth::UserInfo &u, int column) const;

    QList<rd::auth::UserInfo> m_users; // sorted by case-folded name
};

} // namespace rd::ui

#pragma once
// The bans in force (policy::Ban), as the engine last reported them: address
// (or IPv6 /64), reason, since, until (UTC), failures. Read-only; replaced as
// a whole by setBans() (the list is small: bans are capped in the engine).
// Raw values through IpRole / ExpiresRole. Thread: GUI thread. No I/O.

#include "policy/banlist.h"

#include <QAbstractTableModel>
#include <QList>

namespace rd::ui {

class BanModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Address, Reason, Since, Until, Failures, ColumnCount };
    enum Role {
        IpRole = Qt::UserRole + 1, // QString: Ban::ip, what unban takes
        ExpiresRole,               // QDateTime (UTC)
    };

    explicit BanModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Replaces the rows (sorted by expiry as given).
    void setBans(const QList<rd::policy::Ban> &bans);
    const QList<rd::policy::Ban> &bans() const { return m_bans; }
    // The row of `ip` (Ban::ip), -1 if none.
    int rowOf(const QString &ip) const;

private:
    QList<rd::policy::Ban> m_bans;
};

} // namespace rd::ui

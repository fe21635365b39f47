#pragma once
// A top-10 list of the dashboard (senders, client IPs, refused IPs): rank,
// key and count. Counts from the space-saving summary may overestimate; an
// entry with an error shows "~count" and the true range in its tooltip.
// Thread: GUI thread.

#include "engine/trafficsnapshot.h"

#include <QAbstractTableModel>

namespace rd::ui {

class TopListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Rank, Key, Count, ColumnCount };
    enum Role { RawCountRole = Qt::UserRole + 1, ErrorRole };

    // keyTitle / countTitle: the headers of the key and count columns
    // ("Sender" / "Messages", "Client IP" / "Refusals").
    TopListModel(const QString &keyTitle, const QString &countTitle, QObject *parent = nullptr);

    // Replaces the rows (rows that stay get dataChanged, no reset).
    void setEntries(const QList<rd::engine::TrafficTopEntry> &entries);
    const QList<rd::engine::TrafficTopEntry> &entries() const { return m_entries; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    QString m_keyTitle;
    QString m_countTitle;
    QList<rd::engine::TrafficTopEntry> m_entries;
};

} // namespace rd::ui

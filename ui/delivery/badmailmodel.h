#pragma once
// The Badmail list of the Delivery panel: one row per .bad file (file, date,
// reason), newest first, replaced as a whole when a new listing arrives.
// Thread: GUI thread. No I/O: the listing is made off the GUI thread
// (Badmail::list() on a worker) and handed to setItems().

#include "pickup/badmail.h"

#include <QAbstractTableModel>
#include <QList>

namespace rd::ui {

class BadmailModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { FileColumn, DateColumn, SourceColumn, ReasonColumn, ColumnCount };
    enum Role { PathRole = Qt::UserRole + 1, DateRole, SizeRole };

    explicit BadmailModel(QObject *parent = nullptr);

    void setItems(const QList<rd::pickup::BadmailItem> &items);
    const QList<rd::pickup::BadmailItem> &items() const { return m_items; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<rd::pickup::BadmailItem> m_items;
};

} // namespace rd::ui

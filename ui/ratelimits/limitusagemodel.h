#pragma once
// The live "Now" table of the Rate limits panel: one row per counter of
// PolicyStatus::usage (a subject under a rule). setUsage() merges a new status
// by key (rule + subject): rows that stay are updated in place, new ones are
// appended, gone ones removed, so a view keeps its selection and scroll
// position across refreshes (no model reset). Rows at >= 80 % of their
// maximum are "near", at or over it "over" (LevelRole, amber / red text).
// Thread: GUI thread. No I/O.

#include "policy/policystatus.h"

#include <QAbstractTableModel>
#include <QVector>

namespace rd::ui {

class LimitUsageModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Subject, Rule, Used, Refused, Resets, ColumnCount };

    enum Level { Normal, Near, Over };

    enum DataRole {
        LevelRole = Qt::UserRole + 1, // int Level
        FractionRole,                 // double used / maximum (0 when unlimited)
        UsedRole,                     // int
        MaximumRole,                  // int
        SortRole                      // raw value per column (numbers for numbers)
    };

    explicit LimitUsageModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Merges `usage` (see above).
    void setUsage(const QList<rd::policy::LimitUsage> &usage);
    rd::policy::LimitUsage usage(int row) const { return m_rows.value(row); }
    int nearCount() const;
    int overCount() const;

    static Level levelOf(const rd::policy::LimitUsage &u);
    // "2 min 5 s", "45 s", "1 h 3 min"; "" for 0.
    static QString formatSeconds(int seconds);

private:
    static QString keyOf(const rd::policy::LimitUsage &u);

    QVector<rd::policy::LimitUsage> m_rows;
    QVector<QString> m_keys;
};

} // namespace rd::ui

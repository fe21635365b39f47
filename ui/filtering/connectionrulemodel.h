#pragma once
// The connection rules (ConfigSnapshot::connectionRules,
// config::ConnectionRule): address ranges allowed or denied at connect, by
// priority, with an optional expiry. Network, Action (combo box), Priority,
// Expires ("yyyy-MM-dd HH:mm" in UTC, empty: never) and Comment are edited in
// place, Enabled with a check box. Checked with
// config::validateConnectionRules() after every change (PolicyListModel);
// rules whose expiry has passed are greyed out with a note (ExpiredRole), as
// saving them is allowed. Thread: GUI thread. No I/O.

#include "ratelimits/policylistmodel.h"

#include "config/connectionrules.h"

#include <QDateTime>

namespace rd::ui {

class ConnectionRuleModel : public PolicyListModel<rd::config::ConnectionRule> {
    Q_OBJECT
public:
    enum Column { Enabled, Network, Action, Priority, Expires, Comment, ColumnCount };
    enum CustomRole {
        ExpiredRole = FirstCustomRole, // bool: enabled, with an expiry at or before now()
    };

    explicit ConnectionRuleModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;

    // The clock used for "expired" (tests set it; default: the current time).
    void setNow(const QDateTime &now);
    QDateTime now() const;
    // config::connectionRuleWarnings() for the rows as edited.
    QStringList warnings() const;

    // "2026-12-31 18:00" (UTC) / "" for never.
    static QString expiryText(const QDateTime &expires);
    // Parses expiryText()'s form (also with seconds or an ISO "T"); "" gives a
    // null QDateTime. False for anything else.
    static bool parseExpiry(const QString &text, QDateTime *out);

protected:
    QStringList validate(const QList<rd::config::ConnectionRule> &items) const override;
    QString errorPrefix(int row, const rd::config::ConnectionRule &item) const override;
    int columnForError(const QString &text) const override;
    QVariant cellData(const rd::config::ConnectionRule &rule, int column, int role) const override;
    QString columnTitle(int column) const override;
    QString columnTip(int column) const override;

private:
    QDateTime m_now; // null: the current time
};

} // namespace rd::ui

#pragma once
// The editable table of rate limits and outbound throttles
// (ConfigSnapshot::rateLimits, config::RateLimitRule), in order. Cells are
// edited in place: Scope, Metric and Window with a combo box (ChoicesRole),
// Subject, Maximum and Comment as text/number, Enabled as a check box. Every
// change is checked with config::validateRateLimits(); its sentences land on
// the row and cell they are about (PolicyListModel). Thread: GUI thread. No I/O.

#include "ratelimits/policylistmodel.h"

#include "config/policyconfig.h"

namespace rd::ui {

class RateLimitModel : public PolicyListModel<rd::config::RateLimitRule> {
    Q_OBJECT
public:
    enum Column { Scope, Subject, Metric, Window, Maximum, Enabled, Comment, ColumnCount };

    explicit RateLimitModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;

    static QString scopeLabel(rd::config::LimitScope scope);
    static QString metricLabel(rd::config::LimitMetric metric);
    static QString windowLabel(int seconds);
    // describeRateLimit() with a capital letter ("60 messages per minute per client IP").
    static QString describe(const rd::config::RateLimitRule &rule);

protected:
    QStringList validate(const QList<rd::config::RateLimitRule> &items) const override;
    QString errorPrefix(int row, const rd::config::RateLimitRule &item) const override;
    int columnForError(const QString &text) const override;
    QVariant cellData(const rd::config::RateLimitRule &rule, int column, int role) const override;
    QString columnTitle(int column) const override;
    QString columnTip(int column) const override;
};

} // namespace rd::ui

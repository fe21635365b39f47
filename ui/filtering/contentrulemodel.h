#pragma once
// The ordered list of content rules (ConfigSnapshot::contentRules,
// config::ContentRule): the first matching enabled rule wins. Rows are edited
// whole with ContentRuleDialog (setItem), the Enabled box in place; added,
// removed, moved, reverted like every PolicyListModel, and checked with
// config::validateContentRules() after each change. Thread: GUI thread. No I/O.

#include "ratelimits/policylistmodel.h"

#include "config/policyconfig.h"

#include <QCoreApplication>

namespace rd::ui {

class ContentRuleModel : public PolicyListModel<rd::config::ContentRule> {
    Q_OBJECT
public:
    enum Column { Enabled, Name, Target, Match, Pattern, Action, ColumnCount };

    explicit ContentRuleModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;

    // `base`, or "base 2", "base 3", ... : not used by any row other than `except`.
    QString uniqueName(const QString &base, int except = -1) const;

    static QString targetLabel(rd::config::RuleTarget target);
    static QString matchLabel(rd::config::RuleMatch match);
    static QString actionLabel(rd::config::RuleAction action);
    // The matches validateContentRules() accepts for `target`, most useful first.
    static QList<rd::config::RuleMatch> matchesFor(rd::config::RuleTarget target);
    // "Subject header", "Attachment file name", ...
    static QString appliesTo(const rd::config::ContentRule &rule);
    // One sentence: "If the attachment file name has extension exe, js: reject".
    static QString describe(const rd::config::ContentRule &rule);

protected:
    QStringList validate(const QList<rd::config::ContentRule> &items) const override;
    QString errorPrefix(int row, const rd::config::ContentRule &item) const override;
    int columnForError(const QString &text) const override;
    QVariant cellData(const rd::config::ContentRule &rule, int column, int role) const override;
    QString columnTitle(int column) const override;
    QString columnTip(int column) const override;
};

// Ready-made rules (dangerous attachments, big messages).
struct ContentRulePreset {
    QString label;
    QString explanation;
    rd::config::ContentRule rule;
};

class ContentRulePresets {
    Q_DECLARE_TR_FUNCTIONS(ContentRulePresets)
public:
    static QList<ContentRulePreset> all();
};

} // namespace rd::ui

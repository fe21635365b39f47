#pragma once
// The Content rules tab of the Filtering panel: the ordered rule list
// (ContentRuleModel), edited through ContentRuleDialog (Add, Edit or a double
// click), presets, remove, move up/down and the Enabled box in place.
// A thin page: load() / writeTo() / revert(), changed() after every edit.
// Thread: GUI thread. No I/O.

#include "config/configsnapshot.h"

#include <QWidget>

class QPushButton;
class QTableView;
class QToolButton;

namespace rd::ui {

class ContentRuleDialog;
class ContentRuleModel;

class ContentRulesPage : public QWidget {
    Q_OBJECT
public:
    explicit ContentRulesPage(QWidget *parent = nullptr);

    ContentRuleModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    // Takes config.contentRules unless there are unapplied edits (or `force`).
    void load(const rd::config::ConfigSnapshot &config, bool force = false);
    void writeTo(rd::config::ConfigSnapshot *config) const;
    void revert();
    bool isDirty() const;
    QStringList errors() const;
    // A note for the status line after a preset was added ("" when none).
    QString note() const { return m_note; }

    // Opens the rule dialog (window-modal, open()) for row `row`, or for a new
    // rule when row < 0; OK stores the rule in the table. Returns the dialog.
    ContentRuleDialog *openRuleDialog(int row);
    // Appends preset `index` (a unique name); returns its row, -1 if none.
    int addPreset(int index);
    int currentRow() const;
    void moveSelected(int delta);
    void removeSelected();

signals:
    void changed();

private:
    void updateButtons();

    ContentRuleModel *m_model;
    QString m_note;
    QTableView *m_view = nullptr;
    QToolButton *m_presets = nullptr;
    QPushButton *m_add = nullptr;
    QPushButton *m_edit = nullptr;
    QPushButton *m_remove = nullptr;
    QPushButton *m_up = nullptr;
    QPushButton *m_down = nullptr;
};

} // namespace rd::ui

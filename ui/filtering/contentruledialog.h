#pragma once
// Edits one content rule: name, what it looks at (target, and the header
// field for header rules), how it matches (only the matches the target
// accepts are offered), the pattern, the action and the header to add. The
// rule is checked with config::validateContentRules() as it is typed (plus
// name uniqueness against the other rules); a regular expression error is
// shown under the pattern with a caret at its position. OK is possible only
// when the rule is valid. Open it with open() (window-modal, never exec()).
// Thread: GUI thread. No I/O.

#include "config/policyconfig.h"

#include <QDialog>
#include <QStringList>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace rd::ui {

class ContentRuleDialog : public QDialog {
    Q_OBJECT
public:
    // otherNames: the names of the other rules (a clash is an error).
    ContentRuleDialog(const rd::config::ContentRule &rule, const QStringList &otherNames, QWidget *parent = nullptr);

    // The rule as edited.
    rd::config::ContentRule rule() const;
    // The problems of the rule as edited ("" when valid), one per line.
    QString problem() const;
    bool isValid() const { return problem().isEmpty(); }

    // Sets the fields as if chosen (tests and presets).
    void setTarget(rd::config::RuleTarget target);
    void setMatch(rd::config::RuleMatch match);
    void setAction(rd::config::RuleAction action);
    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *fieldEdit() const { return m_field; }
    QLineEdit *patternEdit() const { return m_pattern; }
    QLineEdit *headerEdit() const { return m_header; }
    QComboBox *matchCombo() const { return m_match; }
    // The monospaced pattern with a caret under a regex error ("" when none).
    QString regexCaret() const;

private:
    void refillMatches();
    void refresh();

    QStringList m_otherNames;
    QLineEdit *m_name = nullptr;
    QCheckBox *m_enabled = nullptr;
    QComboBox *m_target = nullptr;
    QLineEdit *m_field = nullptr;
    QLabel *m_fieldLabel = nullptr;
    QComboBox *m_match = nullptr;
    QLineEdit *m_pattern = nullptr;
    QLabel *m_patternHint = nullptr;
    QLabel *m_caret = nullptr;
    QComboBox *m_action = nullptr;
    QLineEdit *m_header = nullptr;
    QLabel *m_headerLabel = nullptr;
    QLabel *m_summary = nullptr;
    QLabel *m_problem = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace rd::ui

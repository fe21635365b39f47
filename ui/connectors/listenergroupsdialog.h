#pragma once
// Editor for one listener's directory relay groups (issue #10): a plain text
// field with one group DN per line. OK checks every line with
// rd::directory::dnProblem() (through ListenerModel::groupsProblem()); on a
// problem the sentence is shown under the field and the dialog stays open.
// An empty field means "the global setting" (directory.relay_groups).
// Thread: GUI thread. No I/O.

#include <QDialog>
#include <QStringList>

class QLabel;
class QPlainTextEdit;

namespace rd::ui {

class ListenerGroupsDialog : public QDialog {
    Q_OBJECT
public:
    ListenerGroupsDialog(const QString &listenerName, const QStringList &groups, QWidget *parent = nullptr);

    // The DNs as entered (parseGroupList(): trimmed, blank lines and duplicates dropped).
    QStringList groups() const;
    // The problem shown after the last OK, "" when none.
    QString error() const { return m_error; }

    void accept() override;

private:
    QPlainTextEdit *m_edit;
    QLabel *m_errorLabel;
    QString m_error;
};

} // namespace rd::ui

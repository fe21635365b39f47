#pragma once
// The "Add user" and "Set password" dialog: name, password twice, the relay
// right (add only), and a live strength bar with a hint
// (rd::auth::assessStrength). OK stays disabled until the name and password
// are valid (UserStore::validateName/validatePassword), the name is not taken,
// and both passwords match. A weak password is allowed: the hint is advice.
//
// The password is shown nowhere but in its two (masked) fields. Whoever reads
// password() must call clearPasswords() once it has been handed on; the dialog
// also clears its fields when it is destroyed.
// Thread: GUI thread. Pure widget: no I/O, no engine calls.

#include <QDialog>
#include <QStringList>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace rd::ui {

class UserDialog : public QDialog {
    Q_OBJECT
public:
    enum Mode { AddUser, SetPassword };

    // AddUser: every field editable. SetPassword: `name` is shown read-only
    // and the relay right is hidden.
    explicit UserDialog(Mode mode, const QString &name = {}, QWidget *parent = nullptr);
    ~UserDialog() override;

    Mode mode() const { return m_mode; }

    QString name() const;           // trimmed
    QString password() const;
    bool mayRelay() const;

    void setName(const QString &name);
    void setPassword(const QString &password);
    void setRepeatedPassword(const QString &password);
    void setMayRelay(bool mayRelay);
    // Names already in use (compared case-insensitively); AddUser only.
    void setExistingNames(const QStringList &names);

    // True when OK is enabled.
    bool isAcceptable() const;
    // Why OK is disabled ("" when it is enabled).
    QString problem() const;
    // The strength shown for the current password (0..4; -1 while empty).
    int strengthScore() const { return m_score; }
    QString strengthText() const;

    QPushButton *okButton() const;

    // Empties both password fields (best effort: Qt keeps its own copies).
    void clearPasswords();

private:
    void update();

    Mode m_mode;
    QStringList m_existing; // case-folded
    int m_score = -1;

    QLineEdit *m_name = nullptr;
    QLineEdit *m_password = nullptr;
    QLineEdit *m_repeat = nullptr;
    QCheckBox *m_mayRelay = nullptr;
    QProgressBar *m_strength = nullptr;
    QLabel *m_strengthLabel = nullptr;
    QLabel *m_hint = nullptr;
    QLabel *m_problem = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace rd::ui

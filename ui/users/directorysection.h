#pragma once
// The Users panel's Directory section (issue #10): the directory.* settings
// (Active Directory / OpenLDAP sign-in) with Save, "Test connection",
// "Test sign-in..." and "Add from directory..." (DirectoryGroupPicker).
//
// Values come from the facade's configLoaded() (requested at construction);
// fields the admin has edited are not overwritten until saved. Save validates
// every field with rd::config::validateSetting (the error shown under the
// field, nothing applied), then applies a copy of the last loaded snapshot
// through facade->applyConfig(). The bind password is a secret: the field only
// says whether one is stored, and an empty field keeps it.
//
// The tests run with the values being edited (not yet saved); the engine runs
// them off its thread and answers with directoryTested() /
// directorySignInTested(). Buttons are disabled while a request of this
// section runs. With no engine every answer says so.
// Thread: GUI thread. No SQL, no network here.

#include "config/configsnapshot.h"

#include <QHash>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDialog;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTextEdit;

namespace rd::directory {
struct DirectoryTestReport;
struct DirectorySignInReport;
}
namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class DirectoryGroupPicker;

class DirectorySection : public QWidget {
    Q_OBJECT
public:
    enum class Request { None, Load, Save, Test, SignIn };

    explicit DirectorySection(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~DirectorySection() override;

    // The last configuration loaded from the engine with the fields applied;
    // *errors gets "key: problem" for each invalid field (and the field's error
    // label is shown). Public for tests.
    rd::config::ConfigSnapshot edited(QStringList *errors);
    Request pending() const { return m_pending; }
    bool isBusy() const { return m_pending != Request::None && m_pending != Request::Load; }

public slots:
    // Fills the fields (unless edited since the last load or save).
    void setConfig(const rd::config::ConfigSnapshot &config);
    void save();
    void testConnection();
    // Runs the sign-in test with these credentials (the dialog calls it).
    void testSignIn(const QString &login, const QString &password);
    // Window-modal dialogs, opened with open() and returned for tests.
    QDialog *openSignInDialog();
    DirectoryGroupPicker *openGroupPicker();
    // Adds group DNs to the relay groups (duplicates skipped).
    void addRelayGroups(const QStringList &dns);

private:
    void buildUi();
    QWidget *withError(QWidget *field, const char *key);
    void setFieldError(const char *key, const QString &error);
    void clearFieldErrors();
    void updateState();
    void updatePlaceholders();
    void setStatus(const QString &text, bool error);
    void showResult(bool ok, const QString &headline, const QStringList &lines);
    void onApplied(bool ok, const QStringList &errors);
    void onTested(const rd::directory::DirectoryTestReport &report);
    void onSignInTested(const rd::directory::DirectorySignInReport &report);

    rd::engine::EngineFacade *m_facade;
    rd::config::ConfigSnapshot m_config;
    bool m_haveConfig = false;
    bool m_touched = false;
    bool m_loading = false;             // fields being filled from a snapshot
    rd::config::ConfigSnapshot m_saving; // what the pending Save applies
    Request m_pending = Request::None;
    QHash<QString, QLabel *> m_errors; // key -> the error label under its field

    QCheckBox *m_enabled = nullptr;
    QComboBox *m_kind = nullptr;
    QLineEdit *m_servers = nullptr;
    QLineEdit *m_caFile = nullptr;
    QPushButton *m_browse = nullptr;
    QCheckBox *m_verify = nullptr;
    QLabel *m_verifyWarning = nullptr;
    QLineEdit *m_bindDn = nullptr;
    QLineEdit *m_bindPassword = nullptr;
    QLineEdit *m_baseDn = nullptr;
    QLineEdit *m_userFilter = nullptr;
    QPlainTextEdit *m_groups = nullptr;
    QPushButton *m_addGroups = nullptr;
    QSpinBox *m_timeout = nullptr;
    QSpinBox *m_cache = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_test = nullptr;
    QPushButton *m_signIn = nullptr;
    QLabel *m_status = nullptr;
    QTextEdit *m_result = nullptr;
};

} // namespace rd::ui

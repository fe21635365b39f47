#pragma once
// The Users panel: the SMTP AUTH users (UserModel) with Add, Set password,
// Enable/Disable, Relay right and Remove, and a status line with the last
// action's result, in the "Local users" tab; the "Directory" tab holds the
// directory sign-in settings (DirectorySection, issue #10).
//
// Every action is a request to the facade's AdminService (hashing takes
// ~0.3 s on its worker thread); the panel shows "Working..." and disables the
// buttons until the answers (userActionFinished, then usersListed) arrive.
// Dialogs are opened with open(), never exec(), and the slots that do the
// work take plain values, so tests can drive either.
// Passwords go straight from the dialog to AdminService; the panel keeps none.
// Thread: GUI thread. No SQL here.

#include <QList>
#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;
class QTabWidget;

namespace rd::auth {
struct UserInfo;
}
namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class DirectorySection;
class UserDialog;
class UserModel;

class UsersPanel : public QWidget {
    Q_OBJECT
public:
    enum Section { LocalUsersSection, DirectorySectionTab };

    // facade: owned by the composition root, must outlive the panel. The
    // panel lists the users at once (facade->admin()->listUsers()).
    explicit UsersPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~UsersPanel() override;

    UserModel *model() const { return m_model; }
    // Stored name of the current row ("" if none).
    QString selectedUser() const;
    // True while a request of this panel is running.
    bool isBusy() const { return !m_pending.isEmpty(); }
    DirectorySection *directorySection() const { return m_directory; }
    void showSection(Section section);

public slots:
    // Re-reads the list.
    void refresh();

    // Requests (non-blocking); each ends with a line in the status label.
    // `password` is handed to AdminService and not kept.
    void addUser(const QString &name, const QString &password, bool mayRelay);
    void setPassword(const QString &name, const QString &password);
    void setUserEnabled(const QString &name, bool enabled);
    void setUserMayRelay(const QString &name, bool mayRelay);
    // No confirmation (removeSelected() asks first).
    void removeUser(const QString &name);

    // Open a dialog (window-modal, open()) and return it; on OK it calls the
    // slot above and clears the password. Null if no user is selected where
    // one is needed.
    UserDialog *openAddDialog();
    UserDialog *openPasswordDialog();
    // Toggle the selected user's state.
    void toggleSelectedEnabled();
    void toggleSelectedMayRelay();
    // Asks for confirmation (a window-modal QMessageBox, returned so tests can
    // answer it), then removes the selected user. Null if none is selected.
    QWidget *removeSelected();

private:
    struct Pending {
        QString action; // as AdminService names it
        QString name;
        bool value = false;
    };

    void buildUi();
    void request(const Pending &p);
    void updateButtons();
    void setStatus(const QString &text, bool error);
    void onUsersListed(const QList<rd::auth::UserInfo> &users, const QString &error);
    void onActionFinished(const QString &action, const QString &name, bool ok, const QString &message);

    rd::engine::EngineFacade *m_facade;
    UserModel *m_model;
    QList<Pending> m_pending; // this panel's requests, in the order AdminService runs them
    QString m_selectAfterList; // a user just added: select it once listed

    QTabWidget *m_tabs = nullptr;
    DirectorySection *m_directory = nullptr;
    QTableView *m_table = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_addButton = nullptr;
    QPushButton *m_passwordButton = nullptr;
    QPushButton *m_enableButton = nullptr;
    QPushButton *m_relayButton = nullptr;
    QPushButton *m_removeButton = nullptr;
};

} // namespace rd::ui

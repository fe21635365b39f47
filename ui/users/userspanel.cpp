#include "users/userspanel.h"

#include "users/directorysection.h"
#include "users/userdialog.h"
#include "users/usermodel.h"

#include "engine/adminservice.h"
#include "engine/enginefacade.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace rd::ui {

using rd::auth::UserInfo;

namespace {

constexpr auto kErrorStyle = "color: #b01e1e;";

QString actionLine(const QString &action, const QString &name, bool value, bool ok, const QString &message)
{
    if (!ok) {
        QString what;
        if (action == QLatin1String("add"))
            what = UsersPanel::tr("Could not add user %1").arg(name);
        else if (action == QLatin1String("password"))
            what = UsersPanel::tr("Could not set the password of %1").arg(name);
        else if (action == QLatin1String("enable"))
            what = value ? UsersPanel::tr("Could not enable %1").arg(name)
                         : UsersPanel::tr("Could not disable %1").arg(name);
        else if (action == QLatin1String("relay"))
            what = UsersPanel::tr("Could not change the relay right of %1").arg(name);
        else if (action == QLatin1String("remove"))
            what = UsersPanel::tr("Could not remove user %1").arg(name);
        else
            what = UsersPanel::tr("%1 %2 failed").arg(action, name);
        return message.isEmpty() ? what : QStringLiteral("%1: %2").arg(what, message);
    }
    if (action == QLatin1String("add"))
        return UsersPanel::tr("User %1 added").arg(name);
    if (action == QLatin1String("password"))
        return UsersPanel::tr("Password of %1 changed").arg(name);
    if (action == QLatin1String("enable"))
        return value ? UsersPanel::tr("User %1 enabled").arg(name) : UsersPanel::tr("User %1 disabled").arg(name);
    if (action == QLatin1String("relay"))
        return value ? UsersPanel::tr("%1 may now relay to any domain").arg(name)
                     : UsersPanel::tr("%1 may now send only to the accepted domains").arg(name);
    if (action == QLatin1String("remove"))
        return UsersPanel::tr("User %1 removed").arg(name);
    return UsersPanel::tr("%1 %2: done").arg(action, name);
}

QString workingLine(const QString &action, const QString &name)
{
    if (action == QLatin1String("add"))
        return UsersPanel::tr("Working\u2026 adding %1").arg(name);
    if (action == QLatin1String("password"))
        return UsersPanel::tr("Working\u2026 setting the password of %1").arg(name);
    if (action == QLatin1String("remove"))
        return UsersPanel::tr("Working\u2026 removing %1").arg(name);
    return UsersPanel::tr("Working\u2026 updating %1").arg(name);
}

// Best effort: overwrites this copy's characters before dropping it.
void wipe(QString &s)
{
    if (!s.isEmpty() && !s.isDetached())
        s = QString(); // shared: only our reference can be dropped
    s.fill(QChar(u'\0'));
    s.clear();
}

} // namespace

UsersPanel::UsersPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_facade(facade)
    , m_model(new UserModel(this))
{
    setObjectName(QStringLiteral("usersPanel"));
    buildUi();

    rd::engine::AdminService *admin = m_facade->admin();
    connect(admin, &rd::engine::AdminService::usersListed, this, &UsersPanel::onUsersListed);
    connect(admin, &rd::engine::AdminService::userActionFinished, this, &UsersPanel::onActionFinished);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &UsersPanel::updateButtons);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &UsersPanel::updateButtons);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &UsersPanel::updateButtons);

    updateButtons();
    refresh();
}

UsersPanel::~UsersPanel() = default;

void UsersPanel::buildUi()
{
    auto *title = new QLabel(tr("Users"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);

    auto *explanation = new QLabel(
        tr("Mail clients sign in with these accounts using SMTP AUTH, which is offered only over TLS "
           "(STARTTLS or implicit TLS). Users with the relay right may send to any domain; the others only "
           "to the accepted domains."),
        this);
    explanation->setObjectName(QStringLiteral("usersExplanation"));
    explanation->setWordWrap(true);

    auto makeButton = [this](const QString &text, QStyle::StandardPixmap icon, const QString &objectName,
                             const QString &tip) {
        auto *b = new QPushButton(style()->standardIcon(icon), text, this);
        b->setObjectName(objectName);
        b->setToolTip(tip);
        return b;
    };
    m_addButton = makeButton(tr("Add\u2026"), QStyle::SP_FileDialogNewFolder, QStringLiteral("addUserButton"),
                             tr("Create a user with a password"));
    m_passwordButton = makeButton(tr("Set password\u2026"), QStyle::SP_DialogResetButton,
                                  QStringLiteral("setPasswordButton"), tr("Give the selected user a new password"));
    m_enableButton = makeButton(tr("Disable"), QStyle::SP_DialogNoButton, QStringLiteral("enableUserButton"),
                                tr("Refuse or allow sign-ins of the selected user without deleting it"));
    m_relayButton = makeButton(tr("Deny relay"), QStyle::SP_ArrowRight, QStringLiteral("relayUserButton"),
                               tr("Whether the selected user may send to any domain once signed in"));
    m_removeButton = makeButton(tr("Remove"), QStyle::SP_TrashIcon, QStringLiteral("removeUserButton"),
                                tr("Delete the selected user"));
    connect(m_addButton, &QPushButton::clicked, this, &UsersPanel::openAddDialog);
    connect(m_passwordButton, &QPushButton::clicked, this, &UsersPanel::openPasswordDialog);
    connect(m_enableButton, &QPushButton::clicked, this, &UsersPanel::toggleSelectedEnabled);
    connect(m_relayButton, &QPushButton::clicked, this, &UsersPanel::toggleSelectedMayRelay);
    connect(m_removeButton, &QPushButton::clicked, this, &UsersPanel::removeSelected);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("userStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setWordWrap(true);

    auto *actionBar = new QHBoxLayout;
    actionBar->addWidget(m_addButton);
    actionBar->addWidget(m_passwordButton);
    actionBar->addWidget(m_enableButton);
    actionBar->addWidget(m_relayButton);
    actionBar->addWidget(m_removeButton);
    actionBar->addSpacing(16);
    actionBar->addWidget(m_status, 1);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("userTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    auto *header = m_table->horizontalHeader();
    header->setStretchLastSection(true);
    header->setHighlightSections(false);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    const int columnWidths[UserModel::ColumnCount] = {220, 90, 160, 140, 140, 140};
    for (int c = 0; c < UserModel::ColumnCount; ++c)
        m_table->setColumnWidth(c, columnWidths[c]);
    connect(m_table, &QTableView::doubleClicked, this, &UsersPanel::openPasswordDialog);

    auto *localPage = new QWidget(this);
    auto *localLayout = new QVBoxLayout(localPage);
    localLayout->addWidget(explanation);
    localLayout->addLayout(actionBar);
    localLayout->addWidget(m_table, 1);

    m_directory = new DirectorySection(m_facade, this);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("usersTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(localPage, style()->standardIcon(QStyle::SP_DirHomeIcon), tr("Local users"));
    m_tabs->addTab(m_directory, style()->standardIcon(QStyle::SP_DriveNetIcon), tr("Directory (Active Directory / LDAP)"));

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(m_tabs, 1);
}

void UsersPanel::showSection(Section section)
{
    m_tabs->setCurrentIndex(section == DirectorySectionTab ? 1 : 0);
}

QString UsersPanel::selectedUser() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(UserModel::NameRole).toString();
}

void UsersPanel::refresh()
{
    m_facade->admin()->listUsers();
}

void UsersPanel::request(const Pending &p)
{
    m_pending.append(p);
    setStatus(workingLine(p.action, p.name), false);
    updateButtons();
}

void UsersPanel::addUser(const QString &name, const QString &password, bool mayRelay)
{
    request({QStringLiteral("add"), name, mayRelay});
    m_facade->admin()->addUser(name, password, mayRelay);
}

void UsersPanel::setPassword(const QString &name, const QString &password)
{
    request({QStringLiteral("password"), name, false});
    m_facade->admin()->setUserPassword(name, password);
}

void UsersPanel::setUserEnabled(const QString &name, bool enabled)
{
    request({QStringLiteral("enable"), name, enabled});
    m_facade->admin()->setUserEnabled(name, enabled);
}

void UsersPanel::setUserMayRelay(const QString &name, bool mayRelay)
{
    request({QStringLiteral("relay"), name, mayRelay});
    m_facade->admin()->setUserMayRelay(name, mayRelay);
}

void UsersPanel::removeUser(const QString &name)
{
    request({QStringLiteral("remove"), name, false});
    m_facade->admin()->removeUser(name);
}

UserDialog *UsersPanel::openAddDialog()
{
    auto *dialog = new UserDialog(UserDialog::AddUser, {}, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setExistingNames(m_model->names());
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        QString password = dialog->password();
        dialog->clearPasswords();
        m_selectAfterList = dialog->name();
        addUser(dialog->name(), password, dialog->mayRelay());
        wipe(password);
    });
    connect(dialog, &QDialog::rejected, dialog, &UserDialog::clearPasswords);
    dialog->open();
    return dialog;
}

UserDialog *UsersPanel::openPasswordDialog()
{
    const QString name = selectedUser();
    if (name.isEmpty() || isBusy())
        return nullptr;
    auto *dialog = new UserDialog(UserDialog::SetPassword, name, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, name] {
        QString password = dialog->password();
        dialog->clearPasswords();
        setPassword(name, password);
        wipe(password);
    });
    connect(dialog, &QDialog::rejected, dialog, &UserDialog::clearPasswords);
    dialog->open();
    return dialog;
}

void UsersPanel::toggleSelectedEnabled()
{
    const int row = m_model->rowOf(selectedUser());
    if (row < 0)
        return;
    const UserInfo u = m_model->userAt(row);
    setUserEnabled(u.name, !u.enabled);
}

void UsersPanel::toggleSelectedMayRelay()
{
    const int row = m_model->rowOf(selectedUser());
    if (row < 0)
        return;
    const UserInfo u = m_model->userAt(row);
    setUserMayRelay(u.name, !u.mayRelay);
}

QWidget *UsersPanel::removeSelected()
{
    const QString name = selectedUser();
    if (name.isEmpty())
        return nullptr;
    auto *box = new QMessageBox(QMessageBox::Question, tr("Remove user"),
                                tr("Remove user %1?").arg(name), QMessageBox::Yes | QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("removeUserConfirmation"));
    box->setInformativeText(tr("Mail clients signing in as %1 will be refused. This cannot be undone.").arg(name));
    box->setDefaultButton(QMessageBox::Cancel);
    box->button(QMessageBox::Yes)->setText(tr("Remove"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, name] {
        if (box->clickedButton() == box->button(QMessageBox::Yes))
            removeUser(name);
    });
    box->open();
    return box;
}

void UsersPanel::updateButtons()
{
    const bool busy = isBusy();
    const int row = m_model->rowOf(selectedUser());
    const bool any = row >= 0;
    const UserInfo u = m_model->userAt(row);

    m_addButton->setEnabled(!busy);
    for (QPushButton *b : {m_passwordButton, m_enableButton, m_relayButton, m_removeButton})
        b->setEnabled(!busy && any);
    m_enableButton->setText(!any || u.enabled ? tr("Disable") : tr("Enable"));
    m_enableButton->setIcon(style()->standardIcon(!any || u.enabled ? QStyle::SP_DialogNoButton
                                                                   : QStyle::SP_DialogYesButton));
    m_relayButton->setText(!any || u.mayRelay ? tr("Deny relay") : tr("Allow relay"));
}

void UsersPanel::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QString::fromLatin1(kErrorStyle) : QString());
}

void UsersPanel::onUsersListed(const QList<UserInfo> &users, const QString &error)
{
    if (!error.isEmpty()) {
        // Keep the rows we have: a failed read is not an empty user list.
        setStatus(tr("Could not read the users: %1").arg(error), true);
        return;
    }
    m_model->setUsers(users);
    if (!m_selectAfterList.isEmpty()) {
        const int row = m_model->rowOf(m_selectAfterList);
        if (row >= 0) {
            m_table->selectRow(row);
            m_selectAfterList.clear();
        }
    }
    if (!isBusy())
        m_selectAfterList.clear();
    updateButtons();
}

void UsersPanel::onActionFinished(const QString &action, const QString &name, bool ok, const QString &message)
{
    // AdminService runs tasks in order; answers to other panels' requests
    // still get a status line, with the value unknown.
    Pending p{action, name, false};
    for (int i = 0; i < m_pending.size(); ++i) {
        if (m_pending.at(i).action == action && m_pending.at(i).name == name) {
            p = m_pending.takeAt(i);
            break;
        }
    }
    if (!ok && action == QLatin1String("add") && m_selectAfterList == name)
        m_selectAfterList.clear();
    setStatus(actionLine(action, name, p.value, ok, message), !ok);
    if (isBusy())
        setStatus(m_status->text() + QLatin1String(" \u2014 ") + workingLine(m_pending.first().action,
                                                                          m_pending.first().name), !ok);
    updateButtons();
}

} // namespace rd::ui

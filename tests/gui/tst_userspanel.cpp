// UserModel, UserDialog and UsersPanel against a real AdminService: a real
// EngineFacade with no engine, on a temporary data folder whose config.db is
// created by ConfigStore. Every user action really hashes (PBKDF2, 600,000
// iterations, ~0.3 s), so the test adds only one user.

#include "users/userdialog.h"
#include "users/usermodel.h"
#include "users/userspanel.h"

#include "auth/passwordhash.h"
#include "auth/userstore.h"
#include "config/configstore.h"
#include "engine/adminservice.h"
#include "engine/enginefacade.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using rd::auth::UserInfo;
using rd::ui::UserDialog;
using rd::ui::UserModel;
using rd::ui::UsersPanel;

namespace {

constexpr int kTimeoutMs = 20000;
const QString kPassword = QStringLiteral("Tr0ub4dor & horse staple");
const QString kNewPassword = QStringLiteral("another long pass phrase 77");

UserInfo user(const QString &name, bool enabled = true, bool mayRelay = true)
{
    UserInfo u;
    u.name = name;
    u.enabled = enabled;
    u.mayRelay = mayRelay;
    u.created = QDateTime(QDate(2025, 1, 2), QTime(3, 4), Qt::UTC);
    return u;
}

} // namespace

class TestUsersPanel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void modelMergesWithoutReset();
    void dialogOkNeedsValidMatchingPasswords();
    void dialogShowsStrength();
    void panelStartsEmpty();
    void addUserThroughDialog();
    void duplicateNameShowsError();
    void disableChangesEnabledColumn();
    void relayRightToggles();
    void setPasswordThroughDialog();
    void removeAsksThenRemoves();

private:
    QLabel *status() const { return m_panel->findChild<QLabel *>(QStringLiteral("userStatus")); }
    QPushButton *button(const char *name) const { return m_panel->findChild<QPushButton *>(QLatin1String(name)); }
    QTableView *table() const { return m_panel->findChild<QTableView *>(QStringLiteral("userTable")); }
    bool selectUser(const QString &name)
    {
        const int row = m_panel->model()->rowOf(name);
        if (row < 0)
            return false;
        table()->selectRow(row);
        return m_panel->selectedUser() == m_panel->model()->userAt(row).name;
    }
    static bool isRed(QLabel *label) { return label->styleSheet().contains(QLatin1String("#b01e1e")); }

    QTemporaryDir m_dir;
    std::unique_ptr<rd::engine::EngineFacade> m_facade;
    std::unique_ptr<UsersPanel> m_panel;
};

void TestUsersPanel::initTestCase()
{
    QVERIFY(m_dir.isValid());
    {
        rd::config::ConfigStore store(m_dir.path());
        QVERIFY2(store.isOpen(), qPrintable(store.errorString()));
    }
    m_facade = std::make_unique<rd::engine::EngineFacade>(nullptr, m_dir.path());
    QSignalSpy listed(m_facade->admin(), &rd::engine::AdminService::usersListed);
    m_panel = std::make_unique<UsersPanel>(m_facade.get());
    m_panel->resize(1000, 500);
    m_panel->show();
    QVERIFY(listed.wait(kTimeoutMs));
    QCOMPARE(listed.first().at(1).toString(), QString());
}

void TestUsersPanel::cleanupTestCase()
{
    m_panel.reset();
    m_facade.reset(); // waits for the admin worker
}

void TestUsersPanel::modelMergesWithoutReset()
{
    UserModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

    model.setUsers({user("carol"), user("Alice"), user("bob")});
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.names(), (QStringList{"Alice", "bob", "carol"}));
    QCOMPARE(model.columnCount(), int(UserModel::ColumnCount));

    // A persistent index on "carol" follows it while rows come and go.
    const QPersistentModelIndex carol = model.index(2, UserModel::Name);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.setUsers({user("aaron"), user("bob", false), user("carol")});
    QCOMPARE(model.names(), (QStringList{"aaron", "bob", "carol"}));
    QCOMPARE(carol.row(), 2);
    QCOMPARE(changed.size(), 1); // bob only
    QCOMPARE(model.rowOf(QStringLiteral("BOB")), 1);
    QCOMPARE(reset.size(), 0);

    // Display text and raw roles.
    const QModelIndex enabled = model.index(1, UserModel::Enabled);
    QCOMPARE(enabled.data().toString(), QStringLiteral("Disabled"));
    QCOMPARE(enabled.data(UserModel::RawValueRole).toBool(), false);
    QCOMPARE(model.index(0, UserModel::Name).data(UserModel::EnabledRole).toBool(), true);
    QCOMPARE(model.index(0, UserModel::LastLogin).data().toString(), QStringLiteral("never"));
    QVERIFY(!model.index(0, UserModel::LastLogin).data(UserModel::LastLoginRole).toDateTime().isValid());
    QCOMPARE(model.index(0, UserModel::Created).data(UserModel::CreatedRole).toDateTime(),
             QDateTime(QDate(2025, 1, 2), QTime(3, 4), Qt::UTC));

    model.setUsers({});
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(!carol.isValid());
    QCOMPARE(reset.size(), 0);
}

void TestUsersPanel::dialogOkNeedsValidMatchingPasswords()
{
    UserDialog d(UserDialog::AddUser);
    d.setExistingNames({QStringLiteral("Alice")});
    QVERIFY(!d.isAcceptable());
    QVERIFY(!d.okButton()->isEnabled());
    QCOMPARE(d.problem(), QString()); // silent while untouched

    d.setName(QStringLiteral("bob"));
    d.setPassword(QStringLiteral("correct horse battery"));
    d.setRepeatedPassword(QStringLiteral("correct horse batterx"));
    QVERIFY(!d.isAcceptable());
    QVERIFY2(d.problem().contains(QLatin1String("do not match")), qPrintable(d.problem()));

    d.setRepeatedPassword(QStringLiteral("correct horse battery"));
    QVERIFY(d.isAcceptable());
    QCOMPARE(d.problem(), QString());

    // Name rules come from UserStore; taken names are refused in any case.
    d.setName(QStringLiteral("ALICE"));
    QVERIFY(!d.isAcceptable());
    QVERIFY(d.problem().contains(QLatin1String("already exists")));
    d.setName(QStringLiteral("bad\tname"));
    QVERIFY(!d.isAcceptable());
    d.setName(QStringLiteral("  bob  ")); // trimmed
    QVERIFY(d.isAcceptable());
    QCOMPARE(d.name(), QStringLiteral("bob"));

    // A weak password is allowed (the hint is advice), an empty one is not.
    d.setPassword(QStringLiteral("x"));
    d.setRepeatedPassword(QStringLiteral("x"));
    QVERIFY(d.isAcceptable());
    d.setPassword(QString());
    d.setRepeatedPassword(QString());
    QVERIFY(!d.isAcceptable());

    // The password is shown in no label of the dialog.
    d.setPassword(QStringLiteral("s3cr3t-value-xyz"));
    d.setRepeatedPassword(QStringLiteral("s3cr3t-value-xyz"));
    for (QLabel *l : d.findChildren<QLabel *>())
        QVERIFY(!l->text().contains(QLatin1String("s3cr3t")));
    for (QLineEdit *e : d.findChildren<QLineEdit *>()) {
        if (e->objectName() != QLatin1String("userName"))
            QCOMPARE(e->echoMode(), QLineEdit::Password);
    }
    d.clearPasswords();
    QCOMPARE(d.password(), QString());

    // Set password: the name is fixed and the relay right hidden.
    UserDialog p(UserDialog::SetPassword, QStringLiteral("alice"));
    QVERIFY(p.findChild<QLineEdit *>(QStringLiteral("userName"))->isReadOnly());
    QVERIFY(p.findChild<QCheckBox *>(QStringLiteral("userMayRelay"))->isHidden());
    p.setPassword(kNewPassword);
    QVERIFY(!p.isAcceptable());
    p.setRepeatedPassword(kNewPassword);
    QVERIFY(p.isAcceptable());
}

void TestUsersPanel::dialogShowsStrength()
{
    UserDialog d(UserDialog::AddUser);
    auto *bar = d.findChild<QProgressBar *>(QStringLiteral("strengthBar"));
    auto *hint = d.findChild<QLabel *>(QStringLiteral("strengthHint"));
    QVERIFY(bar && hint);
    QCOMPARE(d.strengthScore(), -1);

    d.setPassword(QStringLiteral("password1"));
    QVERIFY(d.strengthScore() <= 1);
    QCOMPARE(d.strengthScore(), rd::auth::assessStrength(QStringLiteral("password1")).score);
    QCOMPARE(bar->value(), d.strengthScore() + 1);
    QVERIFY(!hint->text().isEmpty());
    QVERIFY(d.strengthText().contains(QLatin1String("weak"), Qt::CaseInsensitive));

    d.setPassword(QStringLiteral("Velvet-Orbit-Cactus-Lantern-93"));
    QVERIFY2(d.strengthScore() >= 3, qPrintable(d.strengthText()));
    QCOMPARE(bar->value(), d.strengthScore() + 1);
}

void TestUsersPanel::panelStartsEmpty()
{
    QCOMPARE(m_panel->model()->rowCount(), 0);
    QVERIFY(table());
    QCOMPARE(table()->model(), m_panel->model());
    QVERIFY(button("addUserButton")->isEnabled());
    QVERIFY(!button("removeUserButton")->isEnabled());
    QVERIFY(!button("setPasswordButton")->isEnabled());
    QVERIFY(m_panel->findChild<QLabel *>(QStringLiteral("usersExplanation"))->text().contains(QLatin1String("TLS")));
}

void TestUsersPanel::addUserThroughDialog()
{
    QPointer<UserDialog> dialog = m_panel->openAddDialog();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    dialog->findChild<QLineEdit *>(QStringLiteral("userName"))->setText(QStringLiteral("alice"));
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("userPassword")), kPassword);
    QVERIFY(!dialog->okButton()->isEnabled());
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("userRepeat")), kPassword);
    QVERIFY(dialog->okButton()->isEnabled());
    dialog->setMayRelay(true);

    QSignalSpy finished(m_facade->admin(), &rd::engine::AdminService::userActionFinished);
    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);

    // Busy while the hash is computed.
    QVERIFY(m_panel->isBusy());
    QVERIFY(status()->text().contains(QStringLiteral("Working\u2026")));
    QVERIFY(!button("addUserButton")->isEnabled());
    QVERIFY(!status()->text().contains(kPassword));

    QTRY_VERIFY_WITH_TIMEOUT(m_panel->model()->rowOf(QStringLiteral("alice")) >= 0, kTimeoutMs);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.first().at(2).toBool(), true);
    QVERIFY(!m_panel->isBusy());
    QCOMPARE(status()->text(), QStringLiteral("User alice added"));
    QVERIFY(!isRed(status()));
    QVERIFY(button("addUserButton")->isEnabled());
    QTRY_VERIFY(!dialog); // closed and deleted

    // The new user is selected; its row shows the values.
    QCOMPARE(m_panel->selectedUser(), QStringLiteral("alice"));
    const int row = m_panel->model()->rowOf(QStringLiteral("alice"));
    QCOMPARE(m_panel->model()->index(row, UserModel::Enabled).data(UserModel::RawValueRole).toBool(), true);
    QCOMPARE(m_panel->model()->index(row, UserModel::MayRelay).data(UserModel::MayRelayRole).toBool(), true);
    QVERIFY(m_panel->model()->index(row, UserModel::Created).data(UserModel::CreatedRole).toDateTime().isValid());
}

void TestUsersPanel::duplicateNameShowsError()
{
    QCOMPARE(m_panel->model()->rowCount(), 1);
    m_panel->addUser(QStringLiteral("ALICE"), QStringLiteral("whatever it is 12"), false);
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isBusy(), kTimeoutMs);
    QVERIFY2(status()->text().startsWith(QLatin1String("Could not add user ALICE")), qPrintable(status()->text()));
    QVERIFY(isRed(status()));
    QCOMPARE(m_panel->model()->rowCount(), 1);
}

void TestUsersPanel::disableChangesEnabledColumn()
{
    QVERIFY(selectUser(QStringLiteral("alice")));
    QPushButton *enable = button("enableUserButton");
    QCOMPARE(enable->text(), QStringLiteral("Disable"));
    QTest::mouseClick(enable, Qt::LeftButton);
    const int row = m_panel->model()->rowOf(QStringLiteral("alice"));
    const QModelIndex cell = m_panel->model()->index(row, UserModel::Enabled);
    QTRY_COMPARE_WITH_TIMEOUT(cell.data(UserModel::EnabledRole).toBool(), false, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isBusy(), kTimeoutMs);
    QCOMPARE(cell.data().toString(), QStringLiteral("Disabled"));
    QCOMPARE(status()->text(), QStringLiteral("User alice disabled"));
    QVERIFY(!isRed(status()));
    QCOMPARE(m_panel->selectedUser(), QStringLiteral("alice")); // selection kept
    QCOMPARE(enable->text(), QStringLiteral("Enable"));

    QTest::mouseClick(enable, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(cell.data(UserModel::EnabledRole).toBool(), true, kTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(status()->text(), QStringLiteral("User alice enabled"), kTimeoutMs);
}

void TestUsersPanel::relayRightToggles()
{
    QVERIFY(selectUser(QStringLiteral("alice")));
    QPushButton *relay = button("relayUserButton");
    QCOMPARE(relay->text(), QStringLiteral("Deny relay"));
    QTest::mouseClick(relay, Qt::LeftButton);
    const int row = m_panel->model()->rowOf(QStringLiteral("alice"));
    const QModelIndex cell = m_panel->model()->index(row, UserModel::MayRelay);
    QTRY_COMPARE_WITH_TIMEOUT(cell.data(UserModel::RawValueRole).toBool(), false, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isBusy(), kTimeoutMs);
    QCOMPARE(relay->text(), QStringLiteral("Allow relay"));
    QVERIFY(status()->text().contains(QLatin1String("only to the accepted domains")));
}

void TestUsersPanel::setPasswordThroughDialog()
{
    QVERIFY(selectUser(QStringLiteral("alice")));
    QPointer<UserDialog> dialog = m_panel->openPasswordDialog();
    QVERIFY(dialog);
    QCOMPARE(dialog->mode(), UserDialog::SetPassword);
    QCOMPARE(dialog->name(), QStringLiteral("alice"));
    dialog->setPassword(kNewPassword);
    dialog->setRepeatedPassword(kNewPassword + QLatin1Char('!'));
    QVERIFY(!dialog->okButton()->isEnabled());
    dialog->setRepeatedPassword(kNewPassword);
    QVERIFY(dialog->okButton()->isEnabled());
    QTest::mouseClick(dialog->okButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isBusy(), kTimeoutMs);
    QCOMPARE(status()->text(), QStringLiteral("Password of alice changed"));
    QTRY_VERIFY(!dialog);

    // The store has the new password (and not the old one).
    rd::auth::UserStore store(m_dir.path());
    QVERIFY(store.isOpen());
    const auto hash = store.passwordHashFor(QStringLiteral("alice"));
    QVERIFY(hash);
    QVERIFY(rd::auth::verifyPassword(kNewPassword.toUtf8(), *hash));
}

void TestUsersPanel::removeAsksThenRemoves()
{
    QVERIFY(selectUser(QStringLiteral("alice")));
    // Cancel: nothing happens.
    auto *box = qobject_cast<QMessageBox *>(m_panel->removeSelected());
    QVERIFY(box);
    QVERIFY(box->text().contains(QLatin1String("alice")));
    QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
    QVERIFY(!m_panel->isBusy());
    QCOMPARE(m_panel->model()->rowCount(), 1);

    // Yes: removed.
    box = qobject_cast<QMessageBox *>(m_panel->removeSelected());
    QVERIFY(box);
    QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
    QVERIFY(m_panel->isBusy());
    QTRY_COMPARE_WITH_TIMEOUT(m_panel->model()->rowCount(), 0, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isBusy(), kTimeoutMs);
    QCOMPARE(status()->text(), QStringLiteral("User alice removed"));
    QVERIFY(!button("removeUserButton")->isEnabled());
    QVERIFY(m_panel->selectedUser().isEmpty());
}

QTEST_MAIN(TestUsersPanel)
#include "tst_userspanel.moc"

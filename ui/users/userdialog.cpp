#include "users/userdialog.h"

#include "auth/passwordhash.h"
#include "auth/userstore.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace rd::ui {

namespace {

// Bar colours for scores 0..4: red, red, amber, green, green.
const char *const kStrengthColours[] = {"#c62828", "#e53935", "#f9a825", "#7cb342", "#2e7d32"};

} // namespace

UserDialog::UserDialog(Mode mode, const QString &name, QWidget *parent) : QDialog(parent), m_mode(mode)
{
    setObjectName(QStringLiteral("userDialog"));
    setWindowTitle(mode == AddUser ? tr("Add user") : tr("Set password for %1").arg(name));

    m_name = new QLineEdit(name, this);
    m_name->setObjectName(QStringLiteral("userName"));
    m_name->setPlaceholderText(tr("the name the mail client signs in with"));
    m_name->setReadOnly(mode == SetPassword);

    m_password = new QLineEdit(this);
    m_password->setObjectName(QStringLiteral("userPassword"));
    m_password->setEchoMode(QLineEdit::Password);
    m_repeat = new QLineEdit(this);
    m_repeat->setObjectName(QStringLiteral("userRepeat"));
    m_repeat->setEchoMode(QLineEdit::Password);
    for (QLineEdit *e : {m_password, m_repeat}) {
        // Never leaves the field by the clipboard or an input method's history.
        e->setInputMethodHints(Qt::ImhHiddenText | Qt::ImhSensitiveData | Qt::ImhNoPredictiveText);
        e->setContextMenuPolicy(Qt::NoContextMenu);
    }

    m_strength = new QProgressBar(this);
    m_strength->setObjectName(QStringLiteral("strengthBar"));
    m_strength->setRange(0, 5);
    m_strength->setTextVisible(false);
    m_strength->setFixedHeight(8);
    m_strengthLabel = new QLabel(this);
    m_strengthLabel->setObjectName(QStringLiteral("strengthLabel"));
    m_strengthLabel->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("Very weak")) * 5 / 4 + 8);
    auto *strengthRow = new QHBoxLayout;
    strengthRow->addWidget(m_strength, 1);
    strengthRow->addWidget(m_strengthLabel);

    m_hint = new QLabel(this);
    m_hint->setObjectName(QStringLiteral("strengthHint"));
    m_hint->setWordWrap(true);

    m_mayRelay = new QCheckBox(tr("May relay to any domain"), this);
    m_mayRelay->setObjectName(QStringLiteral("userMayRelay"));
    m_mayRelay->setToolTip(tr("Without this right the user, once signed in, may send only to the accepted "
                              "domains, like any other client."));
    m_mayRelay->setChecked(true);
    m_mayRelay->setVisible(mode == AddUser);

    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("userDialogProblem"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #b01e1e;"));

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    okButton()->setText(mode == AddUser ? tr("Add user") : tr("Set password"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *form = new QFormLayout;
    form->addRow(tr("User name:"), m_name);
    form->addRow(tr("Password:"), m_password);
    form->addRow(tr("Repeat password:"), m_repeat);
    form->addRow(tr("Strength:"), strengthRow);
    form->addRow(QString(), m_hint);
    if (mode == AddUser)
        form->addRow(QString(), m_mayRelay);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addStretch(1);
    layout->addWidget(m_buttons);
    setMinimumWidth(440);

    for (QLineEdit *e : {m_name, m_password, m_repeat})
        connect(e, &QLineEdit::textChanged, this, &UserDialog::update);
    update();
    (mode == AddUser ? m_name : m_password)->setFocus();
}

UserDialog::~UserDialog()
{
    clearPasswords();
}

QString UserDialog::name() const
{
    return m_name->text().trimmed();
}

QString UserDialog::password() const
{
    return m_password->text();
}

bool UserDialog::mayRelay() const
{
    return m_mayRelay->isChecked();
}

void UserDialog::setName(const QString &name)
{
    m_name->setText(name);
}

void UserDialog::setPassword(const QString &password)
{
    m_password->setText(password);
}

void UserDialog::setRepeatedPassword(const QString &password)
{
    m_repeat->setText(password);
}

void UserDialog::setMayRelay(bool mayRelay)
{
    m_mayRelay->setChecked(mayRelay);
}

void UserDialog::setExistingNames(const QStringList &names)
{
    m_existing.clear();
    for (const QString &n : names)
        m_existing << n.toCaseFolded();
    update();
}

QPushButton *UserDialog::okButton() const
{
    return m_buttons->button(QDialogButtonBox::Ok);
}

bool UserDialog::isAcceptable() const
{
    return okButton()->isEnabled();
}

QString UserDialog::problem() const
{
    return m_problem->text();
}

QString UserDialog::strengthText() const
{
    return m_strengthLabel->text();
}

void UserDialog::clearPasswords()
{
    // setText() (unlike clear()) also drops the fields' undo history.
    m_password->setText(QString());
    m_repeat->setText(QString());
}

void UserDialog::update()
{
    const QString password = m_password->text();

    // Strength: advisory, recomputed on every key press (assessStrength is fast).
    if (password.isEmpty()) {
        m_score = -1;
        m_strength->setValue(0);
        m_strengthLabel->clear();
        m_strength->setStyleSheet(QString());
        m_hint->setText(tr("Use 12 or more characters; a few unrelated words are easy to type and hard to guess."));
    } else {
        const rd::auth::PasswordStrength s = rd::auth::assessStrength(password);
        m_score = s.score;
        const QLatin1String colour(kStrengthColours[s.score]);
        m_strength->setValue(s.score + 1);
        m_strength->setStyleSheet(QStringLiteral("QProgressBar { border: 1px solid palette(mid); border-radius: 3px; }"
                                                 "QProgressBar::chunk { background-color: %1; }")
                                      .arg(colour));
        m_strengthLabel->setText(s.label);
        m_strengthLabel->setStyleSheet(QStringLiteral("color: %1; font-weight: bold;").arg(colour));
        m_hint->setText(s.hint);
    }

    // The first problem found, in the order of the fields.
    QString why;
    const QString n = name();
    if (m_mode == AddUser) {
        if (n.isEmpty())
            why = tr("Enter a user name.");
        else if (const QString bad = rd::auth::UserStore::validateName(n); !bad.isNull())
            why = bad;
        else if (m_existing.contains(n.toCaseFolded()))
            why = tr("A user called %1 already exists.").arg(n);
    }
    if (why.isEmpty()) {
        if (password.isEmpty())
            why = tr("Enter a password.");
        else if (const QString bad = rd::auth::UserStore::validatePassword(password); !bad.isNull())
            why = bad;
        else if (m_repeat->text().isEmpty())
            why = tr("Enter the password again.");
        else if (m_repeat->text() != password)
            why = tr("The two passwords do not match.");
    }
    // Say nothing while the form is simply not filled in yet.
    const bool untouched = (m_mode == SetPassword || m_name->text().isEmpty()) && password.isEmpty()
        && m_repeat->text().isEmpty();
    m_problem->setText(untouched ? QString() : why);
    okButton()->setEnabled(why.isEmpty());
}

} // namespace rd::ui

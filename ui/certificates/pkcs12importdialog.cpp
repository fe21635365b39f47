#include "certificates/pkcs12importdialog.h"

#include "certificates/filechooser.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace rd::ui {

Pkcs12ImportDialog::Pkcs12ImportDialog(QWidget *parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("pkcs12ImportDialog"));
    setWindowTitle(tr("Import PFX / PKCS#12"));

    auto *intro = new QLabel(tr("A PFX (.pfx or .p12) file holds the certificate, its chain and the private "
                                "key, protected by a password. Windows and most CAs export this format."),
                             this);
    intro->setWordWrap(true);

    m_file = new FileChooser(tr("Choose a PFX file"),
                             tr("PKCS#12 files (*.pfx *.p12);;All files (*)"), this);
    m_file->setObjectName(QStringLiteral("pfxFile"));
    m_file->lineEdit()->setObjectName(QStringLiteral("pfxFilePath"));

    m_password = new QLineEdit(this);
    m_password->setObjectName(QStringLiteral("pfxPassword"));
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setInputMethodHints(Qt::ImhHiddenText | Qt::ImhSensitiveData | Qt::ImhNoPredictiveText);
    m_password->setContextMenuPolicy(Qt::NoContextMenu);
    m_password->setPlaceholderText(tr("the password the file was exported with"));

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("certificateName"));
    m_name->setPlaceholderText(tr("optional; defaults to the certificate's common name"));

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    okButton()->setText(tr("Import"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *form = new QFormLayout;
    form->addRow(tr("PFX file:"), m_file);
    form->addRow(tr("Password:"), m_password);
    form->addRow(tr("Name:"), m_name);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addStretch(1);
    layout->addWidget(m_buttons);
    setMinimumWidth(520);

    connect(m_file, &FileChooser::pathChanged, this, &Pkcs12ImportDialog::update);
    update();
}

Pkcs12ImportDialog::~Pkcs12ImportDialog()
{
    clearPassword();
}

QString Pkcs12ImportDialog::filePath() const
{
    return m_file->path();
}

QString Pkcs12ImportDialog::password() const
{
    return m_password->text();
}

QString Pkcs12ImportDialog::displayName() const
{
    return m_name->text().trimmed();
}

void Pkcs12ImportDialog::setFilePath(const QString &path)
{
    m_file->setPath(path);
}

void Pkcs12ImportDialog::setPassword(const QString &password)
{
    m_password->setText(password);
}

void Pkcs12ImportDialog::setDisplayName(const QString &name)
{
    m_name->setText(name);
}

bool Pkcs12ImportDialog::isAcceptable() const
{
    return okButton()->isEnabled();
}

QPushButton *Pkcs12ImportDialog::okButton() const
{
    return m_buttons->button(QDialogButtonBox::Ok);
}

void Pkcs12ImportDialog::clearPassword()
{
    m_password->setText(QString()); // also drops the undo history
}

void Pkcs12ImportDialog::update()
{
    okButton()->setEnabled(!filePath().isEmpty());
}

} // namespace rd::ui

#include "certificates/pemimportdialog.h"

#include "certificates/filechooser.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace rd::ui {

PemImportDialog::PemImportDialog(QWidget *parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("pemImportDialog"));
    setWindowTitle(tr("Import PEM certificate and key"));

    auto *intro = new QLabel(tr("PEM files are text files beginning with \"-----BEGIN\". Choose the "
                                "certificate (with its chain, if your CA sent one) and the private key."),
                             this);
    intro->setWordWrap(true);

    const QString pemFilter = tr("PEM files (*.pem *.crt *.cer *.key);;All files (*)");
    m_cert = new FileChooser(tr("Choose the certificate file"), pemFilter, this);
    m_cert->setObjectName(QStringLiteral("pemCertificateFile"));
    m_cert->lineEdit()->setObjectName(QStringLiteral("pemCertificatePath"));
    m_key = new FileChooser(tr("Choose the private key file"), pemFilter, this);
    m_key->setObjectName(QStringLiteral("pemKeyFile"));
    m_key->lineEdit()->setObjectName(QStringLiteral("pemKeyPath"));
    m_key->setPlaceholderText(tr("optional if the certificate file also holds the key"));

    m_passphrase = new QLineEdit(this);
    m_passphrase->setObjectName(QStringLiteral("pemPassphrase"));
    m_passphrase->setEchoMode(QLineEdit::Password);
    m_passphrase->setInputMethodHints(Qt::ImhHiddenText | Qt::ImhSensitiveData | Qt::ImhNoPredictiveText);
    m_passphrase->setContextMenuPolicy(Qt::NoContextMenu);
    m_passphrase->setPlaceholderText(tr("only if the key is encrypted"));

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("certificateName"));
    m_name->setPlaceholderText(tr("optional; defaults to the certificate's common name"));

    m_link = new QCheckBox(tr("Use the files where they are and reload them when they are renewed "
                              "(certbot, lego, win-acme)"), this);
    m_link->setObjectName(QStringLiteral("pemLinkFiles"));
    m_link->setToolTip(tr("RelayDesk watches the files: sessions accepted after a renewal get the new "
                          "certificate, without a restart. A broken new file keeps the old certificate and "
                          "raises an alert. The key must not be encrypted."));
    connect(m_link, &QCheckBox::toggled, this, &PemImportDialog::update);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    okButton()->setText(tr("Import"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *form = new QFormLayout;
    form->addRow(tr("Certificate file:"), m_cert);
    form->addRow(tr("Key file:"), m_key);
    form->addRow(tr("Key passphrase:"), m_passphrase);
    form->addRow(tr("Name:"), m_name);
    form->addRow(QString(), m_link);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addStretch(1);
    layout->addWidget(m_buttons);
    setMinimumWidth(560);

    connect(m_cert, &FileChooser::pathChanged, this, &PemImportDialog::update);
    update();
}

PemImportDialog::~PemImportDialog()
{
    clearPassphrase();
}

QString PemImportDialog::certificatePath() const
{
    return m_cert->path();
}

QString PemImportDialog::keyPath() const
{
    return m_key->path();
}

QString PemImportDialog::passphrase() const
{
    return m_passphrase->text();
}

QString PemImportDialog::displayName() const
{
    return m_name->text().trimmed();
}

void PemImportDialog::setCertificatePath(const QString &path)
{
    m_cert->setPath(path);
}

void PemImportDialog::setKeyPath(const QString &path)
{
    m_key->setPath(path);
}

void PemImportDialog::setPassphrase(const QString &passphrase)
{
    m_passphrase->setText(passphrase);
}

void PemImportDialog::setDisplayName(const QString &name)
{
    m_name->setText(name);
}

bool PemImportDialog::isAcceptable() const
{
    return okButton()->isEnabled();
}

QPushButton *PemImportDialog::okButton() const
{
    return m_buttons->button(QDialogButtonBox::Ok);
}

void PemImportDialog::clearPassphrase()
{
    m_passphrase->setText(QString());
}

bool PemImportDialog::linkFiles() const
{
    return m_link->isChecked();
}

void PemImportDialog::setLinkFiles(bool link)
{
    m_link->setChecked(link);
}

void PemImportDialog::update()
{
    okButton()->setEnabled(!certificatePath().isEmpty());
    okButton()->setText(linkFiles() ? tr("Link") : tr("Import"));
    m_passphrase->setEnabled(!linkFiles());
    if (linkFiles())
        m_passphrase->clear();
}

} // namespace rd::ui

#include "certificates/certificaterequestdialog.h"

#include "tls/certificatestore.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHostAddress>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QUrl>
#include <QVBoxLayout>

namespace rd::ui {

using rd::tls::KeyType;

CertificateRequestDialog::CertificateRequestDialog(Mode mode, QWidget *parent) : QDialog(parent), m_mode(mode)
{
    setObjectName(mode == SelfSigned ? QStringLiteral("selfSignedDialog") : QStringLiteral("csrDialog"));
    setWindowTitle(mode == SelfSigned ? tr("Generate self-signed certificate") : tr("Create signing request (CSR)"));

    auto *intro = new QLabel(
        mode == SelfSigned
            ? tr("A self-signed certificate encrypts the connection but is not trusted by mail clients "
                 "unless they are told to. Good for tests and for relaying between your own servers.")
            : tr("A new key is created and kept here; the request (CSR) is what you send to your "
                 "certificate authority. When it answers, use \"Import signed certificate\"."),
        this);
    intro->setWordWrap(true);

    m_cn = new QLineEdit(this);
    m_cn->setObjectName(QStringLiteral("commonName"));
    m_cn->setPlaceholderText(tr("mail.example.com"));
    m_cn->setMaxLength(64);

    m_sans = new QLineEdit(this);
    m_sans->setObjectName(QStringLiteral("subjectAltNames"));
    m_sans->setPlaceholderText(tr("smtp.example.com, 192.0.2.10 (the common name is added)"));

    m_keyType = new QComboBox(this);
    m_keyType->setObjectName(QStringLiteral("keyType"));
    m_keyType->addItem(tr("RSA 2048 bits (most compatible)"), int(KeyType::Rsa2048));
    m_keyType->addItem(tr("RSA 3072 bits"), int(KeyType::Rsa3072));
    m_keyType->addItem(tr("ECDSA P-256 (fast, modern clients)"), int(KeyType::EcdsaP256));

    m_days = new QSpinBox(this);
    m_days->setObjectName(QStringLiteral("validityDays"));
    m_days->setRange(MinDays, MaxDays);
    m_days->setValue(DefaultDays);
    m_days->setSuffix(tr(" days"));

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("certificateName"));
    m_name->setPlaceholderText(tr("optional; defaults to the common name"));

    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("requestProblem"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #b01e1e;"));

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    okButton()->setText(mode == SelfSigned ? tr("Generate") : tr("Create request"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *form = new QFormLayout;
    form->addRow(tr("Common name:"), m_cn);
    form->addRow(tr("Alternative names:"), m_sans);
    form->addRow(tr("Key type:"), m_keyType);
    if (mode == SelfSigned)
        form->addRow(tr("Valid for:"), m_days);
    else
        m_days->hide();
    form->addRow(tr("Name:"), m_name);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addStretch(1);
    layout->addWidget(m_buttons);
    setMinimumWidth(520);

    connect(m_cn, &QLineEdit::textChanged, this, &CertificateRequestDialog::update);
    connect(m_sans, &QLineEdit::textChanged, this, &CertificateRequestDialog::update);
    update();
}

QString CertificateRequestDialog::commonName() const
{
    return m_cn->text().trimmed();
}

QStringList CertificateRequestDialog::sans() const
{
    static const QRegularExpression separators(QStringLiteral("[,;\\s]+"));
    return m_sans->text().split(separators, Qt::SkipEmptyParts);
}

int CertificateRequestDialog::keyType() const
{
    return m_keyType->currentData().toInt();
}

int CertificateRequestDialog::days() const
{
    return m_days->value();
}

QString CertificateRequestDialog::displayName() const
{
    return m_name->text().trimmed();
}

void CertificateRequestDialog::setCommonName(const QString &cn)
{
    m_cn->setText(cn);
}

void CertificateRequestDialog::setSans(const QString &commaSeparated)
{
    m_sans->setText(commaSeparated);
}

void CertificateRequestDialog::setKeyType(int keyType)
{
    const int i = m_keyType->findData(keyType);
    if (i >= 0)
        m_keyType->setCurrentIndex(i);
}

void CertificateRequestDialog::setDays(int days)
{
    m_days->setValue(days);
}

void CertificateRequestDialog::setDisplayName(const QString &name)
{
    m_name->setText(name);
}

bool CertificateRequestDialog::isAcceptable() const
{
    return okButton()->isEnabled();
}

QString CertificateRequestDialog::problem() const
{
    return m_problem->text();
}

QPushButton *CertificateRequestDialog::okButton() const
{
    return m_buttons->button(QDialogButtonBox::Ok);
}

QString CertificateRequestDialog::checkHostName(const QString &name)
{
    static const QRegularExpression host(QStringLiteral(
        "^(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"));
    const QString t = name.trimmed();
    if (!QHostAddress(t).isNull())
        return {};
    const QString ace = QString::fromLatin1(QUrl::toAce(t)).toLower();
    if (ace.isEmpty() || ace.size() > 253 || !host.match(ace).hasMatch())
        return tr("\"%1\" is not a host name or IP address.").arg(t);
    return {};
}

void CertificateRequestDialog::update()
{
    QString why;
    const QString cn = commonName();
    if (cn.isEmpty())
        why = tr("Enter the common name: the host name clients connect to.");
    for (const QString &san : sans()) {
        if (!why.isEmpty())
            break;
        why = checkHostName(san);
    }
    const bool untouched = m_cn->text().isEmpty() && m_sans->text().isEmpty();
    m_problem->setText(untouched ? QString() : why);
    okButton()->setEnabled(why.isEmpty());
}

} // namespace rd::ui

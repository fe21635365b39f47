#include "certificates/dkimkeydialog.h"

#include "certificates/filechooser.h"

#include "config/dkimkeystore.h"

#include <QComboBox>
#include <QDate>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace rd::ui {

using rd::config::DkimKeyStore;

namespace {

const QString kRsa = QStringLiteral("rsa-sha256");
const QString kEd25519 = QStringLiteral("ed25519-sha256");

} // namespace

DkimKeyDialog::DkimKeyDialog(Mode mode, QWidget *parent) : QDialog(parent), m_mode(mode)
{
    setObjectName(mode == Generate ? QStringLiteral("dkimGenerateDialog") : QStringLiteral("dkimImportDialog"));
    setWindowTitle(mode == Generate ? tr("Generate DKIM key") : tr("Import DKIM key"));

    auto *intro = new QLabel(
        mode == Generate
            ? tr("RelayDesk signs the mail it relays for this domain (and its subdomains) with the new key. "
                 "The private key stays in this computer's data folder; you publish the public key as a TXT "
                 "record in DNS.")
            : tr("Use a private key you already publish (PEM, unencrypted; RSA of 2048 bits or more, or "
                 "Ed25519). The file is read once and stored in this computer's data folder."),
        this);
    intro->setWordWrap(true);

    m_domain = new QLineEdit(this);
    m_domain->setObjectName(QStringLiteral("dkimDomain"));
    m_domain->setPlaceholderText(tr("example.com"));
    m_domain->setMaxLength(253);

    m_selector = new QLineEdit(this);
    m_selector->setObjectName(QStringLiteral("dkimSelector"));
    m_selector->setMaxLength(63);
    if (mode == Generate)
        m_selector->setText(defaultSelector(QDate::currentDate()));
    m_selector->setToolTip(tr("A name for this key; it becomes part of the DNS name "
                              "<selector>._domainkey.<domain>. A new selector per key lets you rotate keys."));

    m_algorithm = new QComboBox(this);
    m_algorithm->setObjectName(QStringLiteral("dkimAlgorithm"));
    auto addAlgorithm = [this](const QString &text, const QString &algorithm, int bits) {
        m_algorithm->addItem(text, QVariantList{algorithm, bits});
    };
    addAlgorithm(tr("RSA 2048 bits (recommended)"), kRsa, 2048);
    addAlgorithm(tr("RSA 3072 bits"), kRsa, 3072);
    addAlgorithm(tr("RSA 4096 bits (record too long for some DNS providers)"), kRsa, 4096);
    addAlgorithm(tr("Ed25519 (in addition to an RSA key)"), kEd25519, 256);

    m_algorithmNote = new QLabel(this);
    m_algorithmNote->setObjectName(QStringLiteral("dkimAlgorithmNote"));
    m_algorithmNote->setWordWrap(true);
    m_algorithmNote->setStyleSheet(QStringLiteral("color: gray;"));

    m_file = new FileChooser(tr("Choose the DKIM private key"), tr("PEM keys (*.pem *.key *.txt);;All files (*)"),
                             this);
    m_file->setObjectName(QStringLiteral("dkimPemFile"));
    m_file->setPlaceholderText(tr("dkim-private.pem"));

    m_recordName = new QLabel(this);
    m_recordName->setObjectName(QStringLiteral("dkimRecordName"));
    m_recordName->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("dkimProblem"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #b01e1e;"));

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    okButton()->setText(mode == Generate ? tr("Generate") : tr("Import"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *form = new QFormLayout;
    form->addRow(tr("Sender domain:"), m_domain);
    form->addRow(tr("Selector:"), m_selector);
    if (mode == Generate) {
        form->addRow(tr("Algorithm:"), m_algorithm);
        form->addRow(QString(), m_algorithmNote);
        m_file->hide();
    } else {
        form->addRow(tr("Private key file:"), m_file);
        m_algorithm->hide();
        m_algorithmNote->hide();
    }
    form->addRow(tr("DNS name:"), m_recordName);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addStretch(1);
    layout->addWidget(m_buttons);
    setMinimumWidth(540);

    connect(m_domain, &QLineEdit::textChanged, this, &DkimKeyDialog::update);
    connect(m_selector, &QLineEdit::textChanged, this, &DkimKeyDialog::update);
    connect(m_algorithm, &QComboBox::currentIndexChanged, this, &DkimKeyDialog::update);
    connect(m_file, &FileChooser::pathChanged, this, &DkimKeyDialog::update);
    update();
}

QString DkimKeyDialog::defaultSelector(const QDate &localDate)
{
    return QStringLiteral("rd") + localDate.toString(QStringLiteral("yyyyMM"));
}

QString DkimKeyDialog::domain() const
{
    return m_domain->text().trimmed();
}

QString DkimKeyDialog::selector() const
{
    return m_selector->text().trimmed();
}

QString DkimKeyDialog::algorithm() const
{
    return m_algorithm->currentData().toList().value(0).toString();
}

int DkimKeyDialog::bits() const
{
    return m_algorithm->currentData().toList().value(1).toInt();
}

QString DkimKeyDialog::pemPath() const
{
    return m_file->path();
}

void DkimKeyDialog::setDomain(const QString &domain)
{
    m_domain->setText(domain);
}

void DkimKeyDialog::setSelector(const QString &selector)
{
    m_selector->setText(selector);
}

bool DkimKeyDialog::setAlgorithm(const QString &algorithm, int bits)
{
    for (int i = 0; i < m_algorithm->count(); ++i) {
        const QVariantList d = m_algorithm->itemData(i).toList();
        if (d.value(0).toString() == algorithm && (algorithm == kEd25519 || d.value(1).toInt() == bits)) {
            m_algorithm->setCurrentIndex(i);
            return true;
        }
    }
    return false;
}

void DkimKeyDialog::setPemPath(const QString &path)
{
    m_file->setPath(path);
}

void DkimKeyDialog::setExistingNames(const QStringList &dnsNames)
{
    m_existing = dnsNames;
    update();
}

bool DkimKeyDialog::isAcceptable() const
{
    return okButton()->isEnabled();
}

QString DkimKeyDialog::problem() const
{
    return m_problem->text();
}

QPushButton *DkimKeyDialog::okButton() const
{
    return m_buttons->button(QDialogButtonBox::Ok);
}

void DkimKeyDialog::update()
{
    m_algorithmNote->setText(
        algorithm() == kEd25519
            ? tr("Not every receiver verifies Ed25519 signatures yet: keep an RSA key for this domain too "
                 "(with another selector). RelayDesk then signs with both.")
            : tr("RSA 2048 is verified everywhere and fits in most DNS providers' forms."));

    QString why;
    const QString d = domain();
    const QString s = selector();
    if (d.isEmpty())
        why = tr("Enter the domain in your senders' addresses (the part after @).");
    else
        why = DkimKeyStore::validateDomain(d);
    if (why.isEmpty())
        why = s.isEmpty() ? tr("Enter a selector, e.g. %1.").arg(defaultSelector(QDate::currentDate()))
                          : DkimKeyStore::validateSelector(s);
    QString name;
    if (why.isEmpty()) {
        name = QStringLiteral("%1._domainkey.%2").arg(s.toLower(), DkimKeyStore::normalizeDomain(d));
        if (m_existing.contains(name, Qt::CaseInsensitive))
            why = tr("A key with selector %1 already exists for %2: choose another selector.")
                      .arg(s, DkimKeyStore::normalizeDomain(d));
    }
    if (why.isEmpty() && m_mode == Import && pemPath().isEmpty())
        why = tr("Choose the private key file.");
    m_recordName->setText(name.isEmpty() ? QStringLiteral("\u2014") : name);
    // Nothing typed yet: no red text, just a disabled OK.
    const bool untouched = m_domain->text().isEmpty() && (m_mode == Generate || pemPath().isEmpty());
    m_problem->setText(untouched ? QString() : why);
    okButton()->setEnabled(why.isEmpty());
}

} // namespace rd::ui

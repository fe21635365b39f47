#include "certificates/acmedialog.h"

#include "certificates/dnsupdatedialog.h"

#include "config/settings.h"
#include "engine/enginefacade.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTableWidget>
#include <QVBoxLayout>

namespace rd::ui {

using namespace rd::config::keys;

AcmeDialog::AcmeDialog(rd::engine::EngineFacade *facade, const rd::config::ConfigSnapshot &config, QWidget *parent)
    : QDialog(parent), m_facade(facade)
{
    setWindowTitle(tr("Order a certificate with ACME"));

    auto *intro = new QLabel(tr("RelayDesk asks the ACME certificate authority below for a certificate, proves "
                                "that it controls the names, stores the certificate and renews it by itself at "
                                "two thirds of its lifetime."),
                             this);
    intro->setWordWrap(true);

    m_names = new QLineEdit(this);
    m_names->setObjectName(QStringLiteral("acmeNames"));
    m_names->setPlaceholderText(tr("mail.example.com, smtp.example.com"));

    m_challenge = new QComboBox(this);
    m_challenge->setObjectName(QStringLiteral("acmeChallenge"));
    m_challenge->addItem(QString(), QStringLiteral("http-01"));
    m_challenge->addItem(tr("DNS-01: TXT records you publish"), QStringLiteral("dns-01"));
    m_challengeNote = new QLabel(this);
    m_challengeNote->setObjectName(QStringLiteral("acmeChallengeNote"));
    m_dnsUpdate = new QPushButton(tr("Automatic DNS-01..."), this);
    m_dnsUpdate->setObjectName(QStringLiteral("acmeDnsUpdate"));
    m_dnsUpdate->setToolTip(tr("Let RelayDesk publish the TXT records itself (RFC 2136 dynamic update with a TSIG key)"));

    m_directory = new QLabel(this);
    m_directory->setObjectName(QStringLiteral("acmeDirectory"));
    m_directory->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_email = new QLabel(this);
    m_email->setObjectName(QStringLiteral("acmeEmail"));

    m_terms = new QCheckBox(tr("I agree to the certificate authority's terms of service"), this);
    m_terms->setObjectName(QStringLiteral("acmeTerms"));

    m_order = new QPushButton(tr("Order"), this);
    m_order->setObjectName(QStringLiteral("acmeOrder"));
    m_order->setDefault(true);
    m_cancel = new QPushButton(tr("Stop the order"), this);
    m_cancel->setObjectName(QStringLiteral("acmeCancel"));

    m_progress = new QPlainTextEdit(this);
    m_progress->setObjectName(QStringLiteral("acmeProgress"));
    m_progress->setReadOnly(true);
    m_progress->setMinimumHeight(110);

    m_records = new QTableWidget(0, 2, this);
    m_records->setObjectName(QStringLiteral("acmeDnsRecords"));
    m_records->setHorizontalHeaderLabels({tr("TXT record name"), tr("Value")});
    m_records->horizontalHeader()->setStretchLastSection(true);
    m_records->verticalHeader()->hide();
    m_records->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_records->setMaximumHeight(110);
    m_copy = new QPushButton(tr("Copy as zone lines"), this);
    m_copy->setObjectName(QStringLiteral("acmeCopyRecords"));
    m_published = new QPushButton(tr("The records are published"), this);
    m_published->setObjectName(QStringLiteral("acmeDnsPublished"));

    m_result = new QLabel(this);
    m_result->setObjectName(QStringLiteral("acmeResult"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *form = new QFormLayout;
    form->addRow(tr("Names:"), m_names);
    auto *proofRow = new QHBoxLayout;
    proofRow->addWidget(m_challenge, 1);
    proofRow->addWidget(m_dnsUpdate);
    form->addRow(tr("Proof:"), proofRow);
    form->addRow(QString(), m_challengeNote);
    form->addRow(tr("Certificate authority:"), m_directory);
    form->addRow(tr("Account contact:"), m_email);
    form->addRow(QString(), m_terms);

    auto *orderRow = new QHBoxLayout;
    orderRow->addStretch(1);
    orderRow->addWidget(m_cancel);
    orderRow->addWidget(m_order);

    auto *recordRow = new QHBoxLayout;
    recordRow->addStretch(1);
    recordRow->addWidget(m_copy);
    recordRow->addWidget(m_published);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addLayout(orderRow);
    layout->addWidget(new QLabel(tr("Progress:"), this));
    layout->addWidget(m_progress, 1);
    m_recordsLabel = new QLabel(tr("DNS-01 records to publish:"), this);
    layout->addWidget(m_recordsLabel);
    layout->addWidget(m_records);
    layout->addLayout(recordRow);
    layout->addWidget(m_result);
    layout->addWidget(buttons);
    setMinimumWidth(620);

    connect(m_names, &QLineEdit::textChanged, this, &AcmeDialog::updateButtons);
    connect(m_names, &QLineEdit::textEdited, this, [this] { m_namesTouched = true; });
    connect(m_terms, &QCheckBox::toggled, this, &AcmeDialog::updateButtons);
    connect(m_challenge, &QComboBox::currentIndexChanged, this, &AcmeDialog::updateButtons);
    connect(m_challenge, &QComboBox::activated, this, [this] { m_challengeTouched = true; });
    connect(m_order, &QPushButton::clicked, this, &AcmeDialog::order);
    connect(m_dnsUpdate, &QPushButton::clicked, this, &AcmeDialog::openDnsUpdateDialog);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (m_facade)
            m_facade->cancelAcme();
    });
    connect(m_published, &QPushButton::clicked, this, [this] {
        m_published->setEnabled(false);
        setProgress(tr("waiting until the TXT records are visible, then asking the CA to check them"));
        if (m_facade)
            m_facade->confirmAcmeDns();
    });
    connect(m_copy, &QPushButton::clicked, this, [this] {
        QStringList lines;
        for (int r = 0; r < m_records->rowCount(); ++r)
            lines << QStringLiteral("%1. 300 IN TXT \"%2\"").arg(m_records->item(r, 0)->text(),
                                                                 m_records->item(r, 1)->text());
        QApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
    });
    if (m_facade) {
        connect(m_facade, &rd::engine::EngineFacade::acmeProgress, this, &AcmeDialog::setProgress);
        connect(m_facade, &rd::engine::EngineFacade::acmeDnsRecords, this, &AcmeDialog::setDnsRecords);
        connect(m_facade, &rd::engine::EngineFacade::acmeFinished, this, &AcmeDialog::setFinished);
        connect(m_facade, &rd::engine::EngineFacade::configLoaded, this, &AcmeDialog::setConfig);
    }
    setConfig(config);
}

void AcmeDialog::setConfig(const rd::config::ConfigSnapshot &config)
{
    m_config = config;
    const QString updateServer = config.stringValue(kAcmeDnsUpdateServer);
    m_dnsAutomatic = !updateServer.isEmpty();
    m_challenge->setItemText(1, m_dnsAutomatic
                                    ? tr("DNS-01, automatic: %1 (RFC 2136)").arg(updateServer)
                                    : tr("DNS-01: TXT records you publish"));
    for (QWidget *w : {static_cast<QWidget *>(m_recordsLabel), static_cast<QWidget *>(m_records),
                       static_cast<QWidget *>(m_copy), static_cast<QWidget *>(m_published)})
        w->setVisible(!m_dnsAutomatic);
    const QString directory = config.stringValue(kAcmeDirectory);
    const QString email = config.stringValue(kAcmeEmail);
    const qint64 port = config.intValue(kAcmeHttp01Port);
    m_http01Allowed = config.boolValue(kAcmeHttp01);
    m_directory->setText(directory.isEmpty() ? tr("(not set: acme.directory_url)") : directory);
    m_email->setText(email.isEmpty() ? tr("(none: acme.email)") : email);
    m_challenge->setItemText(0, tr("HTTP-01: a temporary web listener on port %1").arg(port));
    if (m_names->text().trimmed().isEmpty() || !m_namesTouched)
        m_names->setText(config.stringValue(kHostname).toLower());
    if (!m_running) {
        if (!m_http01Allowed && challenge() == QLatin1String("http-01"))
            m_challenge->setCurrentIndex(1);
        else if (m_http01Allowed && !m_challengeTouched)
            m_challenge->setCurrentIndex(0);
    }
    m_challengeNote->setText(m_http01Allowed ? QString()
                                             : tr("HTTP-01 is off (setting acme.http01_allowed; the CA must reach "
                                                  "port %1 here)").arg(port));
    m_challengeNote->setVisible(!m_http01Allowed);
    updateButtons();
}

QStringList AcmeDialog::names() const
{
    QStringList out;
    for (QString n : m_names->text().split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts)) {
        n = n.trimmed().toLower();
        if (!out.contains(n))
            out << n;
    }
    return out;
}

QString AcmeDialog::challenge() const
{
    return m_challenge->currentData().toString();
}

void AcmeDialog::updateButtons()
{
    const bool http01 = challenge() == QLatin1String("http-01");
    const bool ready = !names().isEmpty() && m_terms->isChecked() && (!http01 || m_http01Allowed);
    m_order->setEnabled(ready && !m_running);
    m_cancel->setEnabled(m_running);
    m_names->setEnabled(!m_running);
    m_challenge->setEnabled(!m_running);
    m_dnsUpdate->setEnabled(!m_running);
    m_published->setEnabled(m_running && m_records->rowCount() > 0);
    m_copy->setEnabled(m_records->rowCount() > 0);
    if (http01 && !m_http01Allowed)
        m_challengeNote->setStyleSheet(QStringLiteral("color: #b00020;"));
    else
        m_challengeNote->setStyleSheet(QString());
}

void AcmeDialog::order()
{
    if (!m_order->isEnabled())
        return;
    m_running = true;
    m_progress->clear();
    m_records->setRowCount(0);
    m_result->clear();
    m_result->setStyleSheet(QString());
    setProgress(tr("ordering a certificate for %1").arg(names().join(QStringLiteral(", "))));
    updateButtons();
    if (m_facade)
        m_facade->orderAcmeCertificate(names(), challenge(), m_terms->isChecked());
}

void AcmeDialog::setProgress(const QString &text)
{
    m_progress->appendPlainText(text);
}

void AcmeDialog::setDnsRecords(const QList<rd::acme::DnsChallengeRecord> &records)
{
    m_records->setRowCount(int(records.size()));
    for (int i = 0; i < records.size(); ++i) {
        m_records->setItem(i, 0, new QTableWidgetItem(records.at(i).name));
        m_records->setItem(i, 1, new QTableWidgetItem(records.at(i).value));
    }
    m_records->resizeColumnToContents(0);
    setProgress(tr("publish the %n TXT record(s) below in your DNS, then press \"The records are published\"", nullptr,
                   int(records.size())));
    updateButtons();
}

void AcmeDialog::setFinished(bool ok, const QString &message, const QString &certificateId)
{
    m_running = false;
    m_result->setText(ok ? tr("Issued: %1. Choose it for a listener under Connectors; it renews by itself.").arg(message)
                         : tr("The order failed: %1").arg(message));
    m_result->setStyleSheet(ok ? QString() : QStringLiteral("color: #b00020;"));
    setProgress(ok ? tr("done") : tr("stopped"));
    updateButtons();
    if (ok)
        emit issued(certificateId);
}

DnsUpdateDialog *AcmeDialog::openDnsUpdateDialog()
{
    auto *dialog = new DnsUpdateDialog(m_facade, m_config, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    // A saved change comes back through configLoaded() -> setConfig().
    connect(dialog, &QDialog::accepted, this, [this] {
        if (m_facade)
            m_facade->requestConfig();
    });
    dialog->open();
    return dialog;
}

} // namespace rd::ui

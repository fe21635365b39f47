#include "certificates/dnsupdatedialog.h"

#include "config/settings.h"
#include "engine/enginefacade.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace rd::ui {

using namespace rd::config::keys;

DnsUpdateDialog::DnsUpdateDialog(rd::engine::EngineFacade *facade, const rd::config::ConfigSnapshot &config,
                                 QWidget *parent)
    : QDialog(parent), m_facade(facade), m_config(config)
{
    setWindowTitle(tr("Automatic DNS-01 (RFC 2136 dynamic update)"));

    auto *intro = new QLabel(tr("With a DNS server that accepts dynamic updates signed with a TSIG key (BIND, Knot, "
                                "PowerDNS, Windows DNS with a BIND-style key), RelayDesk adds the _acme-challenge TXT "
                                "records itself, waits until they are visible, and deletes them when the order ends."),
                             this);
    intro->setWordWrap(true);

    m_server = new QLineEdit(this);
    m_server->setObjectName(QStringLiteral("dnsUpdateServer"));
    m_server->setPlaceholderText(tr("ns1.example.com or 192.0.2.53:53 (empty: off)"));
    m_zone = new QLineEdit(this);
    m_zone->setObjectName(QStringLiteral("dnsUpdateZone"));
    m_zone->setPlaceholderText(tr("example.com (empty: found from the names)"));
    m_keyName = new QLineEdit(this);
    m_keyName->setObjectName(QStringLiteral("dnsUpdateKeyName"));
    m_keyName->setPlaceholderText(tr("acme-update"));
    m_algorithm = new QComboBox(this);
    m_algorithm->setObjectName(QStringLiteral("dnsUpdateAlgorithm"));
    m_algorithm->addItem(QStringLiteral("hmac-sha256"));
    m_algorithm->addItem(QStringLiteral("hmac-sha512"));
    m_secret = new QLineEdit(this);
    m_secret->setObjectName(QStringLiteral("dnsUpdateSecret"));
    m_secret->setEchoMode(QLineEdit::Password);
    m_ttl = new QSpinBox(this);
    m_ttl->setObjectName(QStringLiteral("dnsUpdateTtl"));
    m_ttl->setRange(1, 86400);
    m_ttl->setSuffix(tr(" s"));

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("dnsUpdateStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *form = new QFormLayout;
    form->addRow(tr("DNS server:"), m_server);
    form->addRow(tr("Zone:"), m_zone);
    form->addRow(tr("TSIG key name:"), m_keyName);
    form->addRow(tr("Algorithm:"), m_algorithm);
    form->addRow(tr("Secret:"), m_secret);
    form->addRow(tr("Record TTL:"), m_ttl);

    auto *buttons = new QDialogButtonBox(this);
    m_save = buttons->addButton(tr("Save"), QDialogButtonBox::AcceptRole);
    m_save->setObjectName(QStringLiteral("dnsUpdateSave"));
    m_off = buttons->addButton(tr("Turn off"), QDialogButtonBox::ResetRole);
    m_off->setObjectName(QStringLiteral("dnsUpdateOff"));
    buttons->addButton(QDialogButtonBox::Cancel);
    connect(m_save, &QPushButton::clicked, this, &DnsUpdateDialog::save);
    connect(m_off, &QPushButton::clicked, this, &DnsUpdateDialog::turnOff);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    setMinimumWidth(520);

    setConfig(config);
    for (QLineEdit *e : {m_server, m_zone, m_keyName, m_secret})
        connect(e, &QLineEdit::textEdited, this, [this] { m_touched = true; });
    connect(m_algorithm, &QComboBox::activated, this, [this] { m_touched = true; });
    connect(m_ttl, &QSpinBox::editingFinished, this, [this] { m_touched = true; });
    if (m_facade) {
        connect(m_facade, &rd::engine::EngineFacade::configApplied, this, &DnsUpdateDialog::applied);
        connect(m_facade, &rd::engine::EngineFacade::configLoaded, this, &DnsUpdateDialog::setConfig);
    }
}

void DnsUpdateDialog::setConfig(const rd::config::ConfigSnapshot &config)
{
    m_config = config;
    const bool stored = !config.stringValue(kAcmeTsigSecret).isEmpty();
    m_secret->setPlaceholderText(stored ? tr("stored (leave empty to keep it)")
                                        : tr("base64, as in the key file: secret \"...\""));
    m_off->setEnabled(!config.stringValue(kAcmeDnsUpdateServer).isEmpty());
    if (m_touched)
        return;
    m_server->setText(config.stringValue(kAcmeDnsUpdateServer));
    m_zone->setText(config.stringValue(kAcmeDnsUpdateZone));
    m_keyName->setText(config.stringValue(kAcmeTsigKeyName));
    m_algorithm->setCurrentText(config.stringValue(kAcmeTsigAlgorithm).toLower());
    m_ttl->setValue(int(config.intValue(kAcmeDnsUpdateTtl)));
}

rd::config::ConfigSnapshot DnsUpdateDialog::edited(QStringList *errors) const
{
    rd::config::ConfigSnapshot c = m_config;
    const auto set = [&](const char *key, const QString &label, const QVariant &value) {
        QString error;
        if (!c.setValue(QString::fromLatin1(key), value, &error))
            errors->append(QStringLiteral("%1: %2").arg(label, error));
    };
    const QString server = m_server->text().trimmed();
    set(kAcmeDnsUpdateServer, tr("DNS server"), server);
    set(kAcmeDnsUpdateZone, tr("Zone"), m_zone->text().trimmed());
    set(kAcmeTsigKeyName, tr("TSIG key name"), m_keyName->text().trimmed());
    set(kAcmeTsigAlgorithm, tr("Algorithm"), m_algorithm->currentText());
    if (!m_secret->text().isEmpty())
        set(kAcmeTsigSecret, tr("Secret"), m_secret->text().trimmed());
    set(kAcmeDnsUpdateTtl, tr("Record TTL"), m_ttl->value());
    if (!server.isEmpty()) {
        if (c.stringValue(kAcmeTsigKeyName).isEmpty())
            errors->append(tr("TSIG key name: needed with a DNS server (unsigned updates are not sent)"));
        if (c.stringValue(kAcmeTsigSecret).isEmpty())
            errors->append(tr("Secret: needed with a DNS server"));
    }
    return c;
}

void DnsUpdateDialog::save()
{
    QStringList errors;
    const rd::config::ConfigSnapshot c = edited(&errors);
    if (!errors.isEmpty()) {
        m_status->setStyleSheet(QStringLiteral("color: #b00020;"));
        m_status->setText(errors.join(QLatin1Char('\n')));
        return;
    }
    m_status->setStyleSheet(QString());
    m_status->setText(tr("saving..."));
    m_waiting = true;
    m_save->setEnabled(false);
    if (m_facade)
        m_facade->applyConfig(c); // with no engine the answer comes inside this call
    else
        applied(false, {tr("no relay engine is running")});
}

void DnsUpdateDialog::turnOff()
{
    m_server->clear();
    m_secret->clear();
    save();
}

void DnsUpdateDialog::applied(bool ok, const QStringList &errors)
{
    if (!m_waiting)
        return;
    m_waiting = false;
    m_save->setEnabled(true);
    if (!ok) {
        m_status->setStyleSheet(QStringLiteral("color: #b00020;"));
        m_status->setText(tr("Not saved: %1").arg(errors.join(QStringLiteral("; "))));
        return;
    }
    accept();
}

} // namespace rd::ui

#pragma once
// "Order with ACME": a certificate from an ACME CA (Let's Encrypt by
// default, acme.directory_url) for the names the admin gives, with HTTP-01
// (a temporary HTTP listener on acme.http01_port, only when
// acme.http01_allowed) or DNS-01 (the exact TXT records to publish, then
// "The records are published"; or, with acme.dns_update_server set, published
// by RelayDesk itself through RFC 2136 dynamic update: "Automatic DNS-01..."
// edits those settings, DnsUpdateDialog). The order runs in the engine thread
// (EngineFacade::orderAcmeCertificate); this dialog only shows and asks.
// The certificate is renewed automatically at two thirds of its lifetime.

#include "acme/acmeorder.h"
#include "config/configsnapshot.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class DnsUpdateDialog;

class AcmeDialog : public QDialog {
    Q_OBJECT
public:
    // config: the configuration in force (acme.* settings, server.hostname for the default name).
    AcmeDialog(rd::engine::EngineFacade *facade, const rd::config::ConfigSnapshot &config, QWidget *parent = nullptr);

    QStringList names() const;
    QString challenge() const; // "http-01" or "dns-01"
    bool isRunning() const { return m_running; }
    QPushButton *orderButton() const { return m_order; }

public slots:
    // The acme.* settings and host name (again when the configuration changes;
    // names already typed are kept).
    void setConfig(const rd::config::ConfigSnapshot &config);
    void order();
    void setProgress(const QString &text);
    void setDnsRecords(const QList<rd::acme::DnsChallengeRecord> &records);
    void setFinished(bool ok, const QString &message, const QString &certificateId);
    // "Automatic DNS-01...": the RFC 2136 settings, modal over this dialog (deletes itself on close).
    DnsUpdateDialog *openDnsUpdateDialog();

signals:
    // A certificate was issued (the panel refreshes its list).
    void issued(const QString &certificateId);

private:
    void updateButtons();

    rd::engine::EngineFacade *m_facade;
    rd::config::ConfigSnapshot m_config;
    bool m_dnsAutomatic = false; // acme.dns_update_server is set
    bool m_http01Allowed = false;
    bool m_running = false;
    bool m_namesTouched = false;     // the admin typed names: a new configuration keeps them
    bool m_challengeTouched = false; // the admin picked a challenge: a new configuration keeps it
    QLineEdit *m_names = nullptr;
    QComboBox *m_challenge = nullptr;
    QLabel *m_challengeNote = nullptr;
    QCheckBox *m_terms = nullptr;
    QPushButton *m_order = nullptr;
    QPushButton *m_cancel = nullptr;
    QPlainTextEdit *m_progress = nullptr;
    QTableWidget *m_records = nullptr;
    QPushButton *m_published = nullptr;
    QPushButton *m_copy = nullptr;
    QPushButton *m_dnsUpdate = nullptr;
    QLabel *m_recordsLabel = nullptr;
    QLabel *m_result = nullptr;
    QLabel *m_directory = nullptr;
    QLabel *m_email = nullptr;
};

} // namespace rd::ui

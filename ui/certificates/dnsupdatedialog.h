#pragma once
// "Automatic DNS-01": the RFC 2136 dynamic update settings the ACME client uses to
// publish its TXT records itself (acme.dns_update_server, acme.dns_update_zone,
// acme.tsig_key_name, acme.tsig_algorithm, acme.tsig_secret, acme.dns_update_ttl).
// Shows and edits only: Save checks every value with the settings' own validation,
// then hands the new configuration to the engine (EngineFacade::applyConfig). The
// secret is never shown; left empty it keeps the stored one.

#include "config/configsnapshot.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class DnsUpdateDialog : public QDialog {
    Q_OBJECT
public:
    DnsUpdateDialog(rd::engine::EngineFacade *facade, const rd::config::ConfigSnapshot &config,
                    QWidget *parent = nullptr);

    // The configuration Save would apply, or errors (one line per field) in *errors.
    rd::config::ConfigSnapshot edited(QStringList *errors) const;

public slots:
    // The configuration in force (again when the engine reports it): shown unless the
    // admin has already typed in a field.
    void setConfig(const rd::config::ConfigSnapshot &config);
    void save();
    // "Turn off": clears the server (DNS-01 goes back to records the admin publishes).
    void turnOff();

private:
    void applied(bool ok, const QStringList &errors);

    rd::engine::EngineFacade *m_facade;
    rd::config::ConfigSnapshot m_config;
    bool m_waiting = false;
    bool m_touched = false; // a field was edited: a new configuration does not overwrite it
    QLineEdit *m_server = nullptr;
    QLineEdit *m_zone = nullptr;
    QLineEdit *m_keyName = nullptr;
    QComboBox *m_algorithm = nullptr;
    QLineEdit *m_secret = nullptr;
    QSpinBox *m_ttl = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_off = nullptr;
};

} // namespace rd::ui

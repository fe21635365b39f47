#pragma once
// Editor for one send connector. Every change is checked at once: the list
// with this connector in its place goes through validateSendConnectors(), its
// sentences about this connector are listed under the form and the fields they
// are about are marked red (property "invalid", tooltip). OK stays disabled
// while anything is invalid.
// The password is never shown back: the field starts empty with "(stored)" as
// placeholder when one exists; leaving it empty keeps the stored password,
// typing replaces it, and clearing the AUTH user drops it.
// Thread: GUI thread. No I/O.

#include "config/sendconnector.h"

#include <QDialog>
#include <QList>
#include <QStringList>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QWidget;

namespace rd::ui {

class SendConnectorDialog : public QDialog {
    Q_OBJECT
public:
    // connector: the values to edit. all: every connector as currently edited,
    // in order; row: this connector's place in `all`, or -1 for a new one (it
    // would be appended).
    SendConnectorDialog(const rd::config::SendConnectorConfig &connector,
                        const QList<rd::config::SendConnectorConfig> &all, int row, QWidget *parent = nullptr);

    // The connector as edited (stored password kept unless replaced or the user cleared).
    rd::config::SendConnectorConfig connector() const;
    // Problems with the current values (empty: OK is enabled).
    QStringList errors() const { return m_errors; }
    // A line shown above the form (e.g. "enter the mailbox's user and password").
    void setNote(const QString &note);
    // "host:port" entries of the Smart hosts field that do not parse.
    QStringList invalidHosts() const;

    // Splits a list typed by the user ("a, b; c d") into its entries.
    static QStringList splitList(const QString &text);

private:
    void buildUi();
    void load(const rd::config::SendConnectorConfig &c);
    void revalidate();
    void markField(QWidget *field, const QStringList &problems, const QString &tip);

    QList<rd::config::SendConnectorConfig> m_all;
    int m_row;
    rd::config::SendConnectorConfig m_original;
    QStringList m_errors;

    QLabel *m_note = nullptr;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_domains = nullptr;
    QComboBox *m_route = nullptr;
    QLineEdit *m_hosts = nullptr;
    QComboBox *m_tls = nullptr;
    QCheckBox *m_implicitTls = nullptr;
    QLineEdit *m_caFile = nullptr;
    QLineEdit *m_authUser = nullptr;
    QLineEdit *m_password = nullptr;
    QSpinBox *m_connectTimeout = nullptr;
    QSpinBox *m_commandTimeout = nullptr;
    QSpinBox *m_maxConnections = nullptr;
    QSpinBox *m_maxMessages = nullptr;
    QLabel *m_errorLabel = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace rd::ui

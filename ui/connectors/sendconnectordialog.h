#pragma once
// Editor for one send connector. Every change is checked at once: the list
// with this connector in its place goes through validateSendConnectors(), its
// sentences about this connector are listed under the form and the fields they
// are about are marked red (property "invalid", tooltip). OK stays disabled
// while anything is invalid.
// The password is never shown back: the field starts empty with "(stored)" as
// placeholder when one exists; leaving it empty keeps the stored password,
// typing replaces it, and clearing the AUTH user drops it.
// Authentication is None, Password (AUTH PLAIN/LOGIN) or OAuth 2.0 (the
// OAuthSettingsBox; its validateOAuth() sentences are shown inline). With a
// facade, "Sign in..." runs the delegated OAuth sign-in (OAuthSignIn).
// Thread: GUI thread. No I/O (except the PEM file the admin picks).

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
class QFormLayout;
class QWidget;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class OAuthSettingsBox;
class OAuthSignIn;

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

    enum AuthMode { NoAuth, PasswordAuth, OAuthAuth };
    // The Authentication choice (a preset sets it; the loaded connector otherwise).
    void setAuthMode(AuthMode mode);
    AuthMode authMode() const;
    // Enables "Sign in..." for the delegated OAuth flow; facade must outlive the dialog.
    void setFacade(rd::engine::EngineFacade *facade);
    // The sign-in controller (null until setFacade()); tests replace its opener.
    OAuthSignIn *signIn() const { return m_signIn; }
    OAuthSettingsBox *oauthBox() const { return m_oauth; }

    // Splits a list typed by the user ("a, b; c d") into its entries.
    static QStringList splitList(const QString &text);

public slots:
    // Cancels a running sign-in before closing.
    void done(int result) override;

private:
    void buildUi();
    void load(const rd::config::SendConnectorConfig &c);
    void revalidate();
    void fitHeight(); // as tall as the form, at most 90% of the screen
    void markField(QWidget *field, const QStringList &problems, const QString &tip);

    QList<rd::config::SendConnectorConfig> m_all;
    int m_row;
    rd::config::SendConnectorConfig m_original;
    QStringList m_errors;

    QWidget *m_content = nullptr; // the scrolled form
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
    QFormLayout *m_securityForm = nullptr;
    QComboBox *m_authMode = nullptr;
    OAuthSettingsBox *m_oauth = nullptr;
    OAuthSignIn *m_signIn = nullptr;
    QSpinBox *m_connectTimeout = nullptr;
    QSpinBox *m_commandTimeout = nullptr;
    QSpinBox *m_maxConnections = nullptr;
    QSpinBox *m_maxMessages = nullptr;
    QLabel *m_errorLabel = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace rd::ui

#pragma once
// The OAuth 2.0 part of the send connector editor: flow (client credentials or
// delegated sign-in), provider (Microsoft 365, Google, a custom token
// endpoint), tenant, client id, client secret or certificate, scope, mailbox
// and SASL mechanism, plus the "Sign in..." row for the delegated flow.
// Secrets are never shown back: a stored client secret leaves the field empty
// with "(stored)" as placeholder (typing replaces it); a stored private key
// and refresh token are only named as stored.
// Thread: GUI thread. I/O: only loadPemFile() reads the file the admin picked.

#include "oauth/oauthsettings.h"

#include <QByteArray>
#include <QGroupBox>
#include <QStringList>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QWidget;

namespace rd::ui {

class OAuthSettingsBox : public QGroupBox {
    Q_OBJECT
public:
    explicit OAuthSettingsBox(QWidget *parent = nullptr);

    // Shows `s`; `stored` are the secrets saved so far (never displayed).
    void load(const rd::oauth::OAuthSettings &s, const rd::oauth::OAuthSecrets &stored);
    // The settings as edited.
    rd::oauth::OAuthSettings settings() const;
    // The secrets as edited: the stored ones unless replaced; those the chosen
    // client authentication / flow do not use are dropped, and the refresh
    // token too when the client id, provider or mailbox changed.
    rd::oauth::OAuthSecrets secrets() const;

    // Marks the fields named by `oauthErrors` (validateOAuth sentences, with or
    // without their "send connector N" prefix) and adds the missing-secret
    // problems. Returns every problem as a sentence for the dialog's list.
    QStringList showProblems(const QStringList &oauthErrors);

    // Reads a PEM file picked by the admin: its certificate replaces the
    // certificate, its private key the stored key (either may be absent; pick
    // the key file next). False with *error for an unreadable file, no PEM
    // block, or an encrypted key.
    bool loadPemFile(const QString &path, QString *error);
    bool loadPem(const QByteArray &pem, QString *error);
    // Splits PEM text into the CERTIFICATE blocks and the one private key block.
    static bool splitPem(const QByteArray &pem, QString *certificates, QString *privateKey, QString *error);

    // The delegated sign-in row: enabled or not, running or not, the status text.
    void setSignInEnabled(bool enabled);
    void setSignInState(bool running, const QString &text);
    // True once a sign-in in this dialog succeeded (the engine stored the token).
    void markSignedIn() { m_signedIn = true; }

signals:
    void changed();
    void signInRequested();
    void cancelSignInRequested();

private:
    void buildUi();
    void updateVisibility();
    void chooseCertificateFile();
    void mark(QWidget *field, const QStringList &problems, const QString &tip);
    bool storedTokenStillValid() const;

    rd::oauth::OAuthSettings m_original;
    rd::oauth::OAuthSecrets m_stored;
    QString m_certificatePem;  // as loaded or picked
    QString m_newPrivateKey;   // picked in this dialog; empty: keep the stored one
    bool m_signedIn = false;
    bool m_signInRunning = false;

    QFormLayout *m_form = nullptr;
    QComboBox *m_flow = nullptr;
    QComboBox *m_provider = nullptr;
    QLineEdit *m_tenant = nullptr;
    QLineEdit *m_tokenEndpoint = nullptr;
    QLineEdit *m_authorizeEndpoint = nullptr;
    QLineEdit *m_clientId = nullptr;
    QComboBox *m_clientAuth = nullptr;
    QLineEdit *m_secret = nullptr;
    QWidget *m_certRow = nullptr;
    QLabel *m_certStatus = nullptr;
    QPushButton *m_certButton = nullptr;
    QLineEdit *m_scope = nullptr;
    QLineEdit *m_mailbox = nullptr;
    QComboBox *m_sasl = nullptr;
    QWidget *m_signInRow = nullptr;
    QPushButton *m_signInButton = nullptr;
    QPushButton *m_cancelSignIn = nullptr;
    QLabel *m_signInStatus = nullptr;
};

} // namespace rd::ui

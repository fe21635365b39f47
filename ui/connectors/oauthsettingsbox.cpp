#include "connectors/oauthsettingsbox.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>

namespace rd::ui {

using rd::oauth::OAuthSecrets;
using rd::oauth::OAuthSettings;

namespace {

const QString kInvalidStyle = QStringLiteral("background-color: #ffcdcd;");

QComboBox *combo(QWidget *parent, const char *name, const QList<std::pair<QString, QString>> &items)
{
    auto *c = new QComboBox(parent);
    c->setObjectName(QLatin1String(name));
    for (const auto &[label, value] : items)
        c->addItem(label, value);
    return c;
}

QLineEdit *edit(QWidget *parent, const char *name, const QString &tip)
{
    auto *e = new QLineEdit(parent);
    e->setObjectName(QLatin1String(name));
    e->setToolTip(tip);
    return e;
}

void select(QComboBox *c, const QString &value)
{
    c->setCurrentIndex(std::max(0, c->findData(value)));
}

// The part of a validateSendConnectors()/validateOAuth() sentence after its
// "send connector N ("name"): " prefix.
QString bare(const QString &e)
{
    const qsizetype colon = e.indexOf(QLatin1String("\"): "));
    return colon < 0 ? e : e.mid(colon + 4);
}

} // namespace

OAuthSettingsBox::OAuthSettingsBox(QWidget *parent)
    : QGroupBox(tr("OAuth 2.0"), parent)
{
    setObjectName(QStringLiteral("oauthBox"));
    buildUi();
}

void OAuthSettingsBox::buildUi()
{
    m_flow = combo(this, "oauthFlowCombo",
                   {{tr("Client credentials: the app signs in as itself (Microsoft 365)"),
                     QStringLiteral("client_credentials")},
                    {tr("Delegated sign-in: a person signs in once in the browser"),
                     QStringLiteral("authorization_code")}});
    m_provider = combo(this, "oauthProviderCombo",
                       {{tr("Microsoft 365 (Entra ID)"), QStringLiteral("microsoft365")},
                        {tr("Google"), QStringLiteral("google")},
                        {tr("Custom token endpoint"), QStringLiteral("custom")}});
    m_tenant = edit(this, "oauthTenantEdit", tr("Directory (tenant) ID or a domain of the tenant, e.g. contoso.com"));
    m_tenant->setPlaceholderText(tr("Directory (tenant) ID or contoso.onmicrosoft.com"));
    m_tokenEndpoint = edit(this, "oauthTokenEndpointEdit", tr("https URL of the token endpoint"));
    m_authorizeEndpoint = edit(this, "oauthAuthorizeEndpointEdit", tr("https URL of the authorization endpoint"));
    m_clientId = edit(this, "oauthClientIdEdit", tr("Application (client) ID of the app registration"));
    m_clientAuth = combo(this, "oauthClientAuthCombo",
                         {{tr("Client secret"), QStringLiteral("secret")},
                          {tr("Certificate (signed JWT assertion)"), QStringLiteral("certificate")},
                          {tr("None (public client, delegated sign-in only)"), QStringLiteral("none")}});
    m_secret = edit(this, "oauthSecretEdit", QString());
    m_secret->setEchoMode(QLineEdit::Password);

    m_certRow = new QWidget(this);
    m_certStatus = new QLabel(m_certRow);
    m_certStatus->setObjectName(QStringLiteral("oauthCertificateStatus"));
    m_certStatus->setWordWrap(true);
    m_certButton = new QPushButton(tr("Choose PEM file\u2026"), m_certRow);
    m_certButton->setObjectName(QStringLiteral("oauthCertificateButton"));
    m_certButton->setToolTip(tr("A PEM file with the app's certificate and its private key (or pick the "
                                "certificate and the key one after the other). The key is kept owner-only and "
                                "never shown again."));
    auto *certLayout = new QHBoxLayout(m_certRow);
    certLayout->setContentsMargins(0, 0, 0, 0);
    certLayout->addWidget(m_certStatus, 1);
    certLayout->addWidget(m_certButton);
    connect(m_certButton, &QPushButton::clicked, this, &OAuthSettingsBox::chooseCertificateFile);

    m_scope = edit(this, "oauthScopeEdit", tr("Empty: the provider's default shown here"));
    m_mailbox = edit(this, "oauthMailboxEdit", tr("The mailbox to send as (XOAUTH2 user)"));
    m_mailbox->setPlaceholderText(tr("scanner@contoso.com"));
    m_sasl = combo(this, "oauthSaslCombo",
                   {{tr("Automatic (from the server's EHLO)"), QStringLiteral("auto")},
                    {QStringLiteral("XOAUTH2"), QStringLiteral("xoauth2")},
                    {QStringLiteral("OAUTHBEARER (RFC 7628)"), QStringLiteral("oauthbearer")}});

    m_signInRow = new QWidget(this);
    m_signInButton = new QPushButton(tr("Sign in\u2026"), m_signInRow);
    m_signInButton->setObjectName(QStringLiteral("oauthSignInButton"));
    m_signInButton->setToolTip(tr("Opens the provider's sign-in page in your browser; the relay keeps the "
                                  "refresh token it gets (never shown)"));
    m_cancelSignIn = new QPushButton(tr("Cancel"), m_signInRow);
    m_cancelSignIn->setObjectName(QStringLiteral("oauthCancelSignInButton"));
    m_signInStatus = new QLabel(m_signInRow);
    m_signInStatus->setObjectName(QStringLiteral("oauthSignInStatus"));
    m_signInStatus->setWordWrap(true);
    m_signInStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *signInLayout = new QHBoxLayout(m_signInRow);
    signInLayout->setContentsMargins(0, 0, 0, 0);
    signInLayout->addWidget(m_signInButton);
    signInLayout->addWidget(m_cancelSignIn);
    signInLayout->addWidget(m_signInStatus, 1);
    connect(m_signInButton, &QPushButton::clicked, this, &OAuthSettingsBox::signInRequested);
    connect(m_cancelSignIn, &QPushButton::clicked, this, &OAuthSettingsBox::cancelSignInRequested);

    m_form = new QFormLayout(this);
    m_form->addRow(tr("Flow:"), m_flow);
    m_form->addRow(tr("Provider:"), m_provider);
    m_form->addRow(tr("Tenant:"), m_tenant);
    m_form->addRow(tr("Token endpoint:"), m_tokenEndpoint);
    m_form->addRow(tr("Authorize endpoint:"), m_authorizeEndpoint);
    m_form->addRow(tr("Client ID:"), m_clientId);
    m_form->addRow(tr("Client authentication:"), m_clientAuth);
    m_form->addRow(tr("Client secret:"), m_secret);
    m_form->addRow(tr("Certificate:"), m_certRow);
    m_form->addRow(tr("Scope:"), m_scope);
    m_form->addRow(tr("Send as mailbox:"), m_mailbox);
    m_form->addRow(tr("SASL mechanism:"), m_sasl);
    m_form->addRow(tr("Delegated sign-in:"), m_signInRow);

    for (QLineEdit *e : {m_tenant, m_tokenEndpoint, m_authorizeEndpoint, m_clientId, m_secret, m_scope, m_mailbox})
        connect(e, &QLineEdit::textChanged, this, [this] {
            updateVisibility();
            emit changed();
        });
    for (QComboBox *c : {m_flow, m_provider, m_clientAuth, m_sasl})
        connect(c, &QComboBox::currentIndexChanged, this, [this] {
            updateVisibility();
            emit changed();
        });
    setSignInState(false, QString());
}

void OAuthSettingsBox::load(const OAuthSettings &s, const OAuthSecrets &stored)
{
    m_original = s;
    m_stored = stored;
    m_certificatePem = s.certificatePem;
    m_newPrivateKey.clear();
    m_signedIn = false;
    const QSignalBlocker blockers[] = {QSignalBlocker(m_flow), QSignalBlocker(m_provider),
                                       QSignalBlocker(m_clientAuth), QSignalBlocker(m_sasl)};
    select(m_flow, s.flow);
    select(m_provider, s.provider);
    select(m_clientAuth, s.clientAuth);
    select(m_sasl, s.sasl);
    m_tenant->setText(s.tenant);
    m_tokenEndpoint->setText(s.tokenEndpoint);
    m_authorizeEndpoint->setText(s.authorizeEndpoint);
    m_clientId->setText(s.clientId);
    m_secret->clear(); // never shown back
    m_scope->setText(s.scope);
    m_mailbox->setText(s.mailbox);
    setSignInState(false, QString());
    updateVisibility();
}

OAuthSettings OAuthSettingsBox::settings() const
{
    OAuthSettings s = m_original;
    s.flow = m_flow->currentData().toString();
    s.provider = m_provider->currentData().toString();
    s.tenant = m_tenant->text().trimmed();
    s.tokenEndpoint = m_tokenEndpoint->text().trimmed();
    s.authorizeEndpoint = s.flow == QLatin1String("authorization_code") ? m_authorizeEndpoint->text().trimmed()
                                                                          : QString();
    s.clientId = m_clientId->text().trimmed();
    s.clientAuth = m_clientAuth->currentData().toString();
    s.certificatePem = s.clientAuth == QLatin1String("certificate") ? m_certificatePem : QString();
    s.scope = m_scope->text().trimmed();
    s.mailbox = m_mailbox->text().trimmed();
    s.sasl = m_sasl->currentData().toString();
    return s;
}

bool OAuthSettingsBox::storedTokenStillValid() const
{
    const OAuthSettings s = settings();
    return s.flow == QLatin1String("authorization_code") && s.clientId == m_original.clientId
        && s.provider == m_original.provider && s.mailbox == m_original.mailbox;
}

OAuthSecrets OAuthSettingsBox::secrets() const
{
    const OAuthSettings s = settings();
    OAuthSecrets out;
    if (s.clientAuth == QLatin1String("secret"))
        out.clientSecret = m_secret->text().isEmpty() ? m_stored.clientSecret : m_secret->text();
    if (s.clientAuth == QLatin1String("certificate"))
        out.privateKeyPem = m_newPrivateKey.isEmpty() ? m_stored.privateKeyPem : m_newPrivateKey;
    if (storedTokenStillValid())
        out.refreshToken = m_stored.refreshToken;
    return out;
}

void OAuthSettingsBox::updateVisibility()
{
    const OAuthSettings s = settings();
    const bool delegated = s.flow == QLatin1String("authorization_code");
    const bool custom = s.provider == QLatin1String("custom");
    m_form->setRowVisible(m_tenant, s.provider == QLatin1String("microsoft365"));
    m_form->setRowVisible(m_tokenEndpoint, custom || !m_tokenEndpoint->text().isEmpty());
    m_form->setRowVisible(m_authorizeEndpoint, delegated && (custom || !m_authorizeEndpoint->text().isEmpty()));
    m_form->setRowVisible(m_secret, s.clientAuth == QLatin1String("secret"));
    m_form->setRowVisible(m_certRow, s.clientAuth == QLatin1String("certificate"));
    m_form->setRowVisible(m_signInRow, delegated);
    m_tokenEndpoint->setPlaceholderText(s.effectiveTokenEndpoint());
    m_authorizeEndpoint->setPlaceholderText(s.effectiveAuthorizeEndpoint());
    m_scope->setPlaceholderText(s.effectiveScope());
    m_secret->setPlaceholderText(m_stored.clientSecret.isEmpty() ? QString() : tr("(stored)"));

    QStringList cert;
    if (!m_certificatePem.isEmpty())
        cert << tr("certificate loaded");
    if (!m_newPrivateKey.isEmpty())
        cert << tr("new private key picked");
    else if (!m_stored.privateKeyPem.isEmpty())
        cert << tr("private key stored");
    m_certStatus->setText(cert.isEmpty() ? tr("No certificate yet") : cert.join(QStringLiteral(", ")));

    if (!m_signInRunning) {
        if (m_signedIn)
            ; // keep the success text
        else if (!secrets().refreshToken.isEmpty())
            m_signInStatus->setText(tr("Signed in: the refresh token is stored."));
        else
            m_signInStatus->setText(tr("Not signed in yet: the relay cannot send until someone signs in."));
    }
}

void OAuthSettingsBox::mark(QWidget *field, const QStringList &problems, const QString &tip)
{
    field->setProperty("invalid", !problems.isEmpty());
    field->setStyleSheet(problems.isEmpty() ? QString() : kInvalidStyle);
    field->setToolTip(problems.isEmpty() ? tip : problems.join(QLatin1Char('\n')));
}

QStringList OAuthSettingsBox::showProblems(const QStringList &oauthErrors)
{
    const OAuthSettings s = settings();
    QStringList flow, provider, tenant, token, authorize, clientId, clientAuth, secret, cert, scope, mailbox, sasl;
    QStringList all;
    for (const QString &e : oauthErrors) {
        QString text = bare(e);
        if (text.startsWith(QLatin1String("oauth ")))
            text = text.mid(6);
        text = tr("OAuth: %1").arg(text);
        all << text;
        if (text.contains(QLatin1String("tenant \"")))
            tenant << text;
        else if (text.contains(QLatin1String("token_endpoint")))
            (s.provider == QLatin1String("microsoft365") && s.tokenEndpoint.isEmpty() ? tenant : token) << text;
        else if (text.contains(QLatin1String("authorize_endpoint")))
            (s.provider == QLatin1String("microsoft365") && s.authorizeEndpoint.isEmpty() ? tenant : authorize)
                << text;
        else if (text.contains(QLatin1String("client_id")))
            clientId << text;
        else if (text.contains(QLatin1String("needs the certificate")) || text.contains(QLatin1String("assertion")))
            cert << text;
        else if (text.contains(QLatin1String("client_auth")))
            clientAuth << text;
        else if (text.contains(QLatin1String("scope")))
            scope << text;
        else if (text.contains(QLatin1String("mailbox")))
            mailbox << text;
        else if (text.contains(QLatin1String("sasl")))
            sasl << text;
        else if (text.contains(QLatin1String("provider")))
            provider << text;
        else
            flow << text;
    }
    const OAuthSecrets sec = secrets();
    if (s.clientAuth == QLatin1String("secret") && sec.clientSecret.isEmpty()) {
        secret << tr("Enter the client secret of the app registration");
        all << secret;
    }
    if (s.clientAuth == QLatin1String("certificate") && sec.privateKeyPem.isEmpty()) {
        const QString text = tr("Choose the PEM file with the certificate's private key");
        cert << text;
        all << text;
    }
    mark(m_flow, flow, QString());
    mark(m_provider, provider, QString());
    mark(m_tenant, tenant, tr("Directory (tenant) ID or a domain of the tenant, e.g. contoso.com"));
    mark(m_tokenEndpoint, token, tr("https URL of the token endpoint"));
    mark(m_authorizeEndpoint, authorize, tr("https URL of the authorization endpoint"));
    mark(m_clientId, clientId, tr("Application (client) ID of the app registration"));
    mark(m_clientAuth, clientAuth, QString());
    mark(m_secret, secret,
         tr("Kept in the configuration database (readable by this account only); never shown again, exported or "
            "logged. Leave empty to keep the stored secret."));
    mark(m_certStatus, cert, QString());
    mark(m_scope, scope, tr("Empty: the provider's default shown here"));
    mark(m_mailbox, mailbox, tr("The mailbox to send as (XOAUTH2 user)"));
    mark(m_sasl, sasl, QString());
    return all;
}

bool OAuthSettingsBox::splitPem(const QByteArray &pem, QString *certificates, QString *privateKey, QString *error)
{
    static const QRegularExpression block(
        QStringLiteral("-----BEGIN ([A-Z0-9 ]+)-----\\r?\\n[A-Za-z0-9+/=:,\\-\\s]*?-----END \\1-----"));
    const QString text = QString::fromLatin1(pem);
    QStringList certs;
    QStringList keys;
    for (auto it = block.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        const QString type = m.captured(1);
        if (type == QLatin1String("CERTIFICATE")) {
            certs << m.captured(0);
        } else if (type == QLatin1String("ENCRYPTED PRIVATE KEY") || m.captured(0).contains(QLatin1String("ENCRYPTED"))) {
            *error = tr("The private key is protected with a password; export it without one (it is stored "
                        "readable by this account only)");
            return false;
        } else if (type.endsWith(QLatin1String("PRIVATE KEY"))) {
            keys << m.captured(0);
        }
    }
    if (keys.size() > 1) {
        *error = tr("The file holds %1 private keys; pick a file with one").arg(keys.size());
        return false;
    }
    if (certs.isEmpty() && keys.isEmpty()) {
        *error = tr("No PEM certificate or private key found in the file");
        return false;
    }
    *certificates = certs.isEmpty() ? QString() : certs.join(QLatin1Char('\n')) + QLatin1Char('\n');
    *privateKey = keys.isEmpty() ? QString() : keys.first() + QLatin1Char('\n');
    return true;
}

bool OAuthSettingsBox::loadPem(const QByteArray &pem, QString *error)
{
    QString certs, key;
    if (!splitPem(pem, &certs, &key, error))
        return false;
    if (!certs.isEmpty())
        m_certificatePem = certs;
    if (!key.isEmpty())
        m_newPrivateKey = key;
    updateVisibility();
    emit changed();
    return true;
}

bool OAuthSettingsBox::loadPemFile(const QString &path, QString *error)
{
    QFile f(path);
    if (f.size() > 1024 * 1024) {
        *error = tr("%1 is too large for a PEM file").arg(path);
        return false;
    }
    if (!f.open(QIODevice::ReadOnly)) {
        *error = tr("Cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    return loadPem(f.readAll(), error);
}

void OAuthSettingsBox::chooseCertificateFile()
{
    auto *dialog = new QFileDialog(this, tr("Certificate and private key (PEM)"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setNameFilters({tr("PEM files (*.pem *.crt *.cer *.key)"), tr("All files (*)")});
    dialog->setFileMode(QFileDialog::ExistingFile);
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &path) {
        QString error;
        if (!loadPemFile(path, &error))
            m_certStatus->setText(error);
    });
    dialog->open();
}

void OAuthSettingsBox::setSignInEnabled(bool enabled)
{
    m_signInButton->setEnabled(enabled && !m_signInRunning);
}

void OAuthSettingsBox::setSignInState(bool running, const QString &text)
{
    m_signInRunning = running;
    m_cancelSignIn->setVisible(running);
    if (running)
        m_signInButton->setEnabled(false);
    if (!text.isEmpty())
        m_signInStatus->setText(text);
}

} // namespace rd::ui

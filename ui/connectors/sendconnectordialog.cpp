#include "connectors/sendconnectordialog.h"

#include "config/settings.h"
#include "connectors/oauthsettingsbox.h"
#include "connectors/oauthsignin.h"
#include "connectors/sendconnectormodel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScreen>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

namespace rd::ui {

using rd::config::SendConnectorConfig;

namespace {

const QString kInvalidStyle = QStringLiteral("background-color: #ffcdcd;");

QString tlsDescription(const QString &policy)
{
    if (policy == QLatin1String("none"))
        return SendConnectorDialog::tr("None: never encrypt");
    if (policy == QLatin1String("opportunistic"))
        return SendConnectorDialog::tr("Opportunistic: STARTTLS when the server offers it");
    if (policy == QLatin1String("required"))
        return SendConnectorDialog::tr("Required: STARTTLS must succeed (certificate not checked)");
    if (policy == QLatin1String("verify"))
        return SendConnectorDialog::tr("Required + verify: trusted certificate matching the host name");
    return policy;
}

QSpinBox *spin(QWidget *parent, const char *name, int min, int max, const QString &suffix)
{
    auto *s = new QSpinBox(parent);
    s->setObjectName(QLatin1String(name));
    s->setRange(min, max);
    s->setSuffix(suffix);
    return s;
}

} // namespace

SendConnectorDialog::SendConnectorDialog(const SendConnectorConfig &connector, const QList<SendConnectorConfig> &all,
                                         int row, QWidget *parent)
    : QDialog(parent)
    , m_all(all)
    , m_row(row >= 0 && row < all.size() ? row : -1)
    , m_original(connector)
{
    setObjectName(QStringLiteral("sendConnectorDialog"));
    setWindowTitle(m_row < 0 ? tr("New send connector") : tr("Send connector %1").arg(connector.name));
    buildUi();
    load(connector);
    revalidate();
    fitHeight();
}

void SendConnectorDialog::fitHeight()
{
    const QScreen *screen = this->screen();
    const int available = screen ? screen->availableGeometry().height() * 9 / 10 : 900;
    const int wanted = m_content->sizeHint().height() + m_errorLabel->sizeHint().height()
                       + m_buttons->sizeHint().height() + 48;
    resize(600, std::min(wanted, available));
}

QStringList SendConnectorDialog::splitList(const QString &text)
{
    static const QRegularExpression separators(QStringLiteral("[,;\\s]+"));
    return text.split(separators, Qt::SkipEmptyParts);
}

void SendConnectorDialog::buildUi()
{
    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("presetNote"));
    m_note->setWordWrap(true);
    m_note->setVisible(false);
    m_note->setTextFormat(Qt::PlainText);
    m_note->setTextInteractionFlags(Qt::TextSelectableByMouse); // commands to copy
    m_note->setFrameShape(QFrame::StyledPanel);
    m_note->setMargin(6);

    // Routing.
    auto *routing = new QGroupBox(tr("Routing"), this);
    m_name = new QLineEdit(routing);
    m_name->setObjectName(QStringLiteral("nameEdit"));
    m_domains = new QLineEdit(routing);
    m_domains->setObjectName(QStringLiteral("domainsEdit"));
    m_domains->setPlaceholderText(tr("example.com, *.example.com, or * for every domain"));
    m_domains->setToolTip(tr("Recipient domains this connector handles. Connectors are checked from the top; the "
                             "first whose domains match the recipient's domain is used."));
    m_route = new QComboBox(routing);
    m_route->setObjectName(QStringLiteral("routeCombo"));
    m_route->addItem(tr("Smart host: hand the mail to the servers below"), QStringLiteral("smarthost"));
    m_route->addItem(tr("MX lookup: deliver to the recipient domain's mail servers"), QStringLiteral("mx"));
    m_hosts = new QLineEdit(routing);
    m_hosts->setObjectName(QStringLiteral("hostsEdit"));
    m_hosts->setToolTip(tr("host:port, e.g. smtp.office365.com:587 or mailhub.corp.example:25; several hosts, "
                           "comma-separated, are tried in order (failover). IPv6: [2001:db8::25]:25"));
    auto *routingForm = new QFormLayout(routing);
    routingForm->addRow(tr("&Name:"), m_name);
    routingForm->addRow(tr("&Domains:"), m_domains);
    routingForm->addRow(tr("&Route:"), m_route);
    routingForm->addRow(tr("Smart &hosts:"), m_hosts);

    // Security.
    auto *security = new QGroupBox(tr("Encryption and authentication"), this);
    m_tls = new QComboBox(security);
    m_tls->setObjectName(QStringLiteral("tlsCombo"));
    for (const QString &p : SendConnectorModel::tlsPolicies())
        m_tls->addItem(tlsDescription(p), p);
    m_implicitTls = new QCheckBox(tr("Implicit TLS (encrypted from the first byte, as on port 465)"), security);
    m_implicitTls->setObjectName(QStringLiteral("implicitTlsCheck"));
    m_caFile = new QLineEdit(security);
    m_caFile->setObjectName(QStringLiteral("caFileEdit"));
    m_caFile->setPlaceholderText(tr("System trust store"));
    m_caFile->setToolTip(tr("PEM file with the CA certificates to trust for \"verify\"; empty: the system's"));
    m_authUser = new QLineEdit(security);
    m_authUser->setObjectName(QStringLiteral("authUserEdit"));
    m_authUser->setPlaceholderText(tr("No authentication"));
    m_authUser->setToolTip(tr("User for SMTP AUTH (PLAIN or LOGIN), sent only over an encrypted connection"));
    m_password = new QLineEdit(security);
    m_password->setObjectName(QStringLiteral("passwordEdit"));
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setToolTip(tr("Kept in the configuration database (readable by this account only); never "
                              "shown again, exported or logged"));
    m_authMode = new QComboBox(security);
    m_authMode->setObjectName(QStringLiteral("authModeCombo"));
    m_authMode->addItem(tr("None"), int(NoAuth));
    m_authMode->addItem(tr("Password (AUTH PLAIN / LOGIN)"), int(PasswordAuth));
    m_authMode->addItem(tr("OAuth 2.0 (XOAUTH2 / OAUTHBEARER)"), int(OAuthAuth));
    m_securityForm = new QFormLayout(security);
    m_securityForm->addRow(tr("&TLS:"), m_tls);
    m_securityForm->addRow(QString(), m_implicitTls);
    m_securityForm->addRow(tr("CA &file:"), m_caFile);
    m_securityForm->addRow(tr("&Authentication:"), m_authMode);
    m_securityForm->addRow(tr("AUTH &user:"), m_authUser);
    m_securityForm->addRow(tr("&Password:"), m_password);
    m_oauth = new OAuthSettingsBox(this);
    connect(m_oauth, &OAuthSettingsBox::changed, this, &SendConnectorDialog::revalidate);

    // Limits.
    auto *limits = new QGroupBox(tr("Limits"), this);
    m_connectTimeout = spin(limits, "connectTimeoutSpin", 1, 600, tr(" s"));
    m_commandTimeout = spin(limits, "commandTimeoutSpin", 1, 3600, tr(" s"));
    m_maxConnections = spin(limits, "maxConnectionsSpin", 1, 1000, QString());
    m_maxMessages = spin(limits, "maxMessagesSpin", 1, 100000, QString());
    auto *limitsForm = new QFormLayout(limits);
    limitsForm->addRow(tr("Connect timeout:"), m_connectTimeout);
    limitsForm->addRow(tr("Command timeout:"), m_commandTimeout);
    limitsForm->addRow(tr("Connections per destination:"), m_maxConnections);
    limitsForm->addRow(tr("Messages per connection:"), m_maxMessages);

    m_errorLabel = new QLabel(this);
    m_errorLabel->setObjectName(QStringLiteral("dialogErrors"));
    m_errorLabel->setWordWrap(true);
    m_errorLabel->setTextFormat(Qt::PlainText);
    m_errorLabel->setStyleSheet(QStringLiteral("color: #b01e1e;"));

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    // The form scrolls when the screen is too small for it (OAuth adds a lot).
    m_content = new QWidget;
    auto *contentLayout = new QVBoxLayout(m_content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    contentLayout->addWidget(m_note);
    contentLayout->addWidget(routing);
    contentLayout->addWidget(security);
    contentLayout->addWidget(m_oauth);
    contentLayout->addWidget(limits);
    contentLayout->addStretch(1);
    auto *scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("dialogScroll"));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setWidget(m_content);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(scroll, 1);
    layout->addWidget(m_errorLabel);
    layout->addWidget(m_buttons);

    for (QLineEdit *e : {m_name, m_domains, m_hosts, m_caFile, m_authUser, m_password})
        connect(e, &QLineEdit::textChanged, this, &SendConnectorDialog::revalidate);
    for (QComboBox *c : {m_route, m_tls, m_authMode})
        connect(c, &QComboBox::currentIndexChanged, this, &SendConnectorDialog::revalidate);
    connect(m_implicitTls, &QCheckBox::toggled, this, &SendConnectorDialog::revalidate);
    for (QSpinBox *s : {m_connectTimeout, m_commandTimeout, m_maxConnections, m_maxMessages})
        connect(s, &QSpinBox::valueChanged, this, &SendConnectorDialog::revalidate);
}

void SendConnectorDialog::load(const SendConnectorConfig &c)
{
    m_name->setText(c.name);
    m_domains->setText(c.domains.join(QStringLiteral(", ")));
    m_route->setCurrentIndex(std::max(0, m_route->findData(c.route)));
    m_hosts->setText(c.smartHosts.join(QStringLiteral(", ")));
    m_tls->setCurrentIndex(std::max(0, m_tls->findData(c.tls)));
    m_implicitTls->setChecked(c.implicitTls);
    m_caFile->setText(c.caFile);
    m_authUser->setText(c.authUser);
    m_password->clear(); // never shown back
    m_password->setPlaceholderText(c.authPassword.isEmpty() ? QString() : tr("(stored)"));
    m_oauth->load(c.oauth, c.oauthSecrets);
    setAuthMode(c.usesOAuth() ? OAuthAuth : c.authUser.isEmpty() ? NoAuth : PasswordAuth);
    m_connectTimeout->setValue(c.connectTimeoutS);
    m_commandTimeout->setValue(c.commandTimeoutS);
    m_maxConnections->setValue(c.maxConnections);
    m_maxMessages->setValue(c.maxMessagesPerConnection);
}

void SendConnectorDialog::setAuthMode(AuthMode mode)
{
    m_authMode->setCurrentIndex(std::max(0, m_authMode->findData(int(mode))));
    revalidate();
    if (m_content)
        fitHeight();
}

SendConnectorDialog::AuthMode SendConnectorDialog::authMode() const
{
    return AuthMode(m_authMode->currentData().toInt());
}

void SendConnectorDialog::setFacade(rd::engine::EngineFacade *facade)
{
    if (m_signIn || !facade)
        return;
    m_signIn = new OAuthSignIn(facade, this);
    connect(m_oauth, &OAuthSettingsBox::signInRequested, this, [this] { m_signIn->start(connector()); });
    connect(m_oauth, &OAuthSettingsBox::cancelSignInRequested, m_signIn, &OAuthSignIn::cancel);
    connect(m_signIn, &OAuthSignIn::stateChanged, this, [this](const QString &text) {
        m_oauth->setSignInState(true, text);
    });
    connect(m_signIn, &OAuthSignIn::finished, this, [this](bool ok, const QString &message) {
        if (ok)
            m_oauth->markSignedIn();
        m_oauth->setSignInState(false, ok ? message : tr("Sign-in failed: %1").arg(message));
        revalidate();
    });
    revalidate();
}

void SendConnectorDialog::done(int result)
{
    if (m_signIn && m_signIn->isRunning())
        m_signIn->cancel();
    QDialog::done(result);
}

void SendConnectorDialog::setNote(const QString &note)
{
    m_note->setText(note);
    m_note->setVisible(!note.isEmpty());
    fitHeight();
}

SendConnectorConfig SendConnectorDialog::connector() const
{
    SendConnectorConfig c = m_original;
    c.name = m_name->text().trimmed();
    c.domains = splitList(m_domains->text());
    c.route = m_route->currentData().toString();
    c.smartHosts = c.usesMx() ? QStringList() : splitList(m_hosts->text());
    c.tls = m_tls->currentData().toString();
    c.implicitTls = m_implicitTls->isChecked();
    c.caFile = m_caFile->text().trimmed();
    const AuthMode mode = authMode();
    c.authUser = mode == PasswordAuth ? m_authUser->text().trimmed() : QString();
    if (c.authUser.isEmpty())
        c.authPassword.clear();
    else if (!m_password->text().isEmpty())
        c.authPassword = m_password->text();
    // else: keep the stored password
    c.authMechanism = mode == OAuthAuth ? QStringLiteral("oauth2") : QString();
    if (mode == OAuthAuth) {
        c.oauth = m_oauth->settings();
        c.oauthSecrets = m_oauth->secrets();
    } else {
        c.oauthSecrets = {};
    }
    c.connectTimeoutS = m_connectTimeout->value();
    c.commandTimeoutS = m_commandTimeout->value();
    c.maxConnections = m_maxConnections->value();
    c.maxMessagesPerConnection = m_maxMessages->value();
    return c;
}

QStringList SendConnectorDialog::invalidHosts() const
{
    QStringList bad;
    if (m_route->currentData().toString() == QLatin1String("mx"))
        return bad;
    for (const QString &h : splitList(m_hosts->text())) {
        QString host, why;
        quint16 port = 0;
        if (!rd::config::parseHostPort(h, &host, &port, &why))
            bad << h;
    }
    return bad;
}

void SendConnectorDialog::markField(QWidget *field, const QStringList &problems, const QString &tip)
{
    field->setProperty("invalid", !problems.isEmpty());
    field->setStyleSheet(problems.isEmpty() ? QString() : kInvalidStyle);
    field->setToolTip(problems.isEmpty() ? tip : problems.join(QLatin1Char('\n')));
}

void SendConnectorDialog::revalidate()
{
    const SendConnectorConfig c = connector();
    const bool mx = c.usesMx();
    m_hosts->setEnabled(!mx);
    m_hosts->setPlaceholderText(mx ? tr("Not used: mail goes to the MX hosts of each recipient domain")
                                   : tr("host:port, e.g. smtp.office365.com:587 (more: comma-separated failover)"));
    m_caFile->setEnabled(c.tls == QLatin1String("verify"));
    const AuthMode mode = authMode();
    m_securityForm->setRowVisible(m_authUser, mode == PasswordAuth);
    m_securityForm->setRowVisible(m_password, mode == PasswordAuth);
    m_password->setEnabled(!c.authUser.isEmpty());
    m_oauth->setVisible(mode == OAuthAuth);

    // The whole list with this connector in its place: duplicate names count too.
    QList<SendConnectorConfig> list = m_all;
    const int row = m_row < 0 ? int(list.size()) : m_row;
    if (m_row < 0)
        list.append(c);
    else
        list[m_row] = c;
    const QString prefix = QStringLiteral("send connector %1 (\"%2\"): ").arg(row + 1).arg(c.name);
    QStringList perColumn[SendConnectorModel::ColumnCount];
    m_errors.clear();
    // validateSendConnectors() names a duplicate on its later row; here it is always this one's problem.
    for (int j = 0; j < list.size(); ++j) {
        if (j != row && !c.name.isEmpty() && list.at(j).name.compare(c.name, Qt::CaseInsensitive) == 0) {
            const QString text = tr("Another send connector has this name (number %1)").arg(j + 1);
            m_errors << text;
            perColumn[SendConnectorModel::Name] << text;
            break;
        }
    }
    QStringList oauthErrors;
    for (const QString &e : rd::config::validateSendConnectors(list)) {
        if (!e.startsWith(prefix) || e.endsWith(QLatin1String("another send connector has this name")))
            continue; // about another connector, or the duplicate name handled above
        if (e.mid(prefix.size()).startsWith(QLatin1String("oauth "))) {
            oauthErrors << e; // shown by the OAuth box, next to its fields
            continue;
        }
        const QString text = SendConnectorModel::sentence(e.mid(prefix.size()));
        m_errors << text;
        perColumn[SendConnectorModel::columnForError(e)] << text;
    }
    // TLS sentences go to the TLS combo or the implicit TLS box.
    QStringList tlsProblems, caProblems, implicitProblems;
    for (const QString &e : perColumn[SendConnectorModel::Tls]) {
        if (e.contains(QLatin1String("implicit"), Qt::CaseInsensitive))
            implicitProblems << e;
        else
            tlsProblems << e;
    }
    if (c.tls == QLatin1String("verify") && !c.caFile.isEmpty() && !c.caFile.startsWith(QLatin1Char('/'))) {
        caProblems << tr("The CA file must be an absolute path (it is read by the relay, not this window)");
        m_errors << caProblems;
    }
    QStringList passwordProblems;
    if (mode == PasswordAuth && c.authUser.isEmpty()) {
        perColumn[SendConnectorModel::AuthUser] << tr("Enter the AUTH user (or choose no authentication)");
        m_errors << perColumn[SendConnectorModel::AuthUser].last();
    }
    if (mode == OAuthAuth) {
        m_errors << m_oauth->showProblems(oauthErrors);
        m_oauth->setSignInEnabled(m_signIn && oauthErrors.isEmpty());
    }
    if (!c.authUser.isEmpty() && c.authPassword.isEmpty()) {
        passwordProblems << tr("Enter the password for AUTH user %1").arg(c.authUser);
        m_errors << passwordProblems;
    }

    markField(m_name, perColumn[SendConnectorModel::Name], QString());
    markField(m_domains, perColumn[SendConnectorModel::Domains],
              tr("Recipient domains this connector handles; the first matching connector is used."));
    markField(m_route, perColumn[SendConnectorModel::Route], QString());
    markField(m_hosts, perColumn[SendConnectorModel::Hosts],
              tr("host:port, tried in order (failover); IPv6: [2001:db8::25]:25"));
    markField(m_tls, tlsProblems, QString());
    markField(m_implicitTls, implicitProblems, QString());
    markField(m_caFile, caProblems, tr("PEM file with the CA certificates to trust for \"verify\"; empty: the "
                                       "system's"));
    markField(m_authUser, perColumn[SendConnectorModel::AuthUser],
              tr("User for SMTP AUTH (PLAIN or LOGIN), sent only over an encrypted connection"));
    markField(m_password, passwordProblems,
              tr("Kept in the configuration database (readable by this account only); never shown again, "
                 "exported or logged. Leave empty to keep the stored password."));
    // Limits are bounded by the spin boxes; a sentence about them still shows below.

    m_errorLabel->setText(m_errors.join(QLatin1Char('\n')));
    m_errorLabel->setVisible(!m_errors.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(m_errors.isEmpty());
}

} // namespace rd::ui

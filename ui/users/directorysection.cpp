#include "users/directorysection.h"

#include "users/directorygrouppicker.h"

#include "config/settings.h"
#include "directory/directoryconfig.h"
#include "engine/enginefacade.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSet>
#include <QSpinBox>
#include <QStyle>
#include <QTextEdit>
#include <QVBoxLayout>

namespace rd::ui {

using namespace rd::config::keys;
using rd::directory::DirectoryKind;

namespace {

constexpr auto kRed = "#b01e1e";
constexpr auto kGreen = "#1b7f2a";

QString description(const char *key)
{
    const rd::config::SettingDef *def = rd::config::findSetting(QString::fromLatin1(key));
    return def ? def->description : QString();
}

QString outcomeName(rd::directory::DirectorySignIn::Outcome o)
{
    switch (o) {
    case rd::directory::DirectorySignIn::Success:
        return DirectorySection::tr("signed in");
    case rd::directory::DirectorySignIn::BadCredentials:
        return DirectorySection::tr("wrong login or password");
    case rd::directory::DirectorySignIn::Refused:
        return DirectorySection::tr("refused (account disabled, locked or expired)");
    case rd::directory::DirectorySignIn::Unavailable:
        return DirectorySection::tr("directory unavailable");
    }
    return {};
}

// Group DNs of the text, one per line, blanks dropped.
QStringList groupLines(const QString &text)
{
    QStringList out;
    for (const QString &line : text.split(QLatin1Char('\n'))) {
        const QString dn = line.trimmed();
        if (!dn.isEmpty())
            out << dn;
    }
    return out;
}

} // namespace

DirectorySection::DirectorySection(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent), m_facade(facade)
{
    setObjectName(QStringLiteral("directorySection"));
    buildUi();

    connect(m_facade, &rd::engine::EngineFacade::configLoaded, this, &DirectorySection::setConfig);
    connect(m_facade, &rd::engine::EngineFacade::configApplied, this, &DirectorySection::onApplied);
    connect(m_facade, &rd::engine::EngineFacade::directoryTested, this, &DirectorySection::onTested);
    connect(m_facade, &rd::engine::EngineFacade::directorySignInTested, this, &DirectorySection::onSignInTested);

    setConfig(rd::config::ConfigSnapshot()); // defaults until the engine answers
    m_haveConfig = false;
    m_pending = Request::Load;
    updateState();
    m_facade->requestConfig(); // with no engine, configApplied(false) comes inside this call
}

DirectorySection::~DirectorySection() = default;

QWidget *DirectorySection::withError(QWidget *field, const char *key)
{
    auto *box = new QWidget(this);
    auto *v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(2);
    v->addWidget(field);
    auto *error = new QLabel(box);
    error->setObjectName(QStringLiteral("error:%1").arg(QLatin1String(key)));
    error->setStyleSheet(QStringLiteral("color: %1;").arg(QLatin1String(kRed)));
    error->setWordWrap(true);
    error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    error->hide();
    v->addWidget(error);
    m_errors.insert(QString::fromLatin1(key), error);
    const QString tip = description(key);
    if (!tip.isEmpty() && field->toolTip().isEmpty())
        field->setToolTip(tip);
    return box;
}

void DirectorySection::buildUi()
{
    auto *help = new QLabel(
        tr("Mail clients can also sign in with their Active Directory or OpenLDAP account (AUTH PLAIN/LOGIN over "
           "TLS). RelayDesk finds the user with the service account below, then checks the password with a bind "
           "as that user. Members of the relay groups (nested groups included) may relay; a listener can set its "
           "own groups, which replace these. <b>Local users (first tab) take precedence over directory "
           "users of the same name.</b>"),
        this);
    help->setObjectName(QStringLiteral("directoryHelp"));
    help->setWordWrap(true);
    help->setTextFormat(Qt::RichText);

    // --- Connection --------------------------------------------------------
    m_enabled = new QCheckBox(tr("Sign in directory users"), this);
    m_enabled->setObjectName(QStringLiteral("directoryEnabled"));
    m_enabled->setToolTip(description(kDirectoryEnabled));

    m_kind = new QComboBox(this);
    m_kind->setObjectName(QStringLiteral("directoryKind"));
    m_kind->addItem(tr("Active Directory"), QStringLiteral("ad"));
    m_kind->addItem(tr("OpenLDAP"), QStringLiteral("openldap"));

    m_servers = new QLineEdit(this);
    m_servers->setObjectName(QStringLiteral("directoryServers"));
    m_servers->setPlaceholderText(tr("ldaps://dc1.example.com ldaps://dc2.example.com"));

    m_caFile = new QLineEdit(this);
    m_caFile->setObjectName(QStringLiteral("directoryCaFile"));
    m_caFile->setPlaceholderText(tr("empty: the system's trust store"));
    m_caFile->setToolTip(description(kDirectoryCaFile));
    m_browse = new QPushButton(tr("Browse\u2026"), this);
    m_browse->setObjectName(QStringLiteral("directoryCaBrowse"));
    auto *caRow = new QWidget(this);
    auto *caLayout = new QHBoxLayout(caRow);
    caLayout->setContentsMargins(0, 0, 0, 0);
    caLayout->addWidget(m_caFile, 1);
    caLayout->addWidget(m_browse);
    connect(m_browse, &QPushButton::clicked, this, [this] {
        auto *d = new QFileDialog(this, tr("CA certificate of the directory servers"), m_caFile->text(),
                                  tr("PEM certificates (*.pem *.crt *.cer);;All files (*)"));
        d->setFileMode(QFileDialog::ExistingFile);
        d->setAttribute(Qt::WA_DeleteOnClose);
        connect(d, &QFileDialog::fileSelected, m_caFile, &QLineEdit::setText);
        d->open();
    });

    m_verify = new QCheckBox(tr("Verify the server certificate (name and CA)"), this);
    m_verify->setObjectName(QStringLiteral("directoryVerify"));
    m_verify->setToolTip(description(kDirectoryVerifyCertificate));
    m_verifyWarning = new QLabel(
        tr("\u26a0 The certificate is NOT checked: anyone on the path can pose as the directory and read "
           "users' passwords. Use this for a test only; give the CA file instead."),
        this);
    m_verifyWarning->setObjectName(QStringLiteral("directoryVerifyWarning"));
    m_verifyWarning->setWordWrap(true);
    m_verifyWarning->setStyleSheet(
        QStringLiteral("color: white; background: %1; font-weight: bold; padding: 4px; border-radius: 3px;")
            .arg(QLatin1String(kRed)));
    auto *verifyBox = new QWidget(this);
    auto *verifyLayout = new QVBoxLayout(verifyBox);
    verifyLayout->setContentsMargins(0, 0, 0, 0);
    verifyLayout->addWidget(m_verify);
    verifyLayout->addWidget(m_verifyWarning);

    m_bindDn = new QLineEdit(this);
    m_bindDn->setObjectName(QStringLiteral("directoryBindDn"));
    m_bindDn->setPlaceholderText(tr("CN=relaydesk,OU=Services,DC=example,DC=com (empty: anonymous)"));
    m_bindPassword = new QLineEdit(this);
    m_bindPassword->setObjectName(QStringLiteral("directoryBindPassword"));
    m_bindPassword->setEchoMode(QLineEdit::Password);
    m_baseDn = new QLineEdit(this);
    m_baseDn->setObjectName(QStringLiteral("directoryBaseDn"));
    m_baseDn->setPlaceholderText(tr("DC=example,DC=com"));
    m_userFilter = new QLineEdit(this);
    m_userFilter->setObjectName(QStringLiteral("directoryUserFilter"));

    m_timeout = new QSpinBox(this);
    m_timeout->setObjectName(QStringLiteral("directoryTimeout"));
    m_timeout->setRange(200, 60000);
    m_timeout->setSingleStep(500);
    m_timeout->setSuffix(tr(" ms"));
    m_cache = new QSpinBox(this);
    m_cache->setObjectName(QStringLiteral("directoryCache"));
    m_cache->setRange(0, 86400);
    m_cache->setSingleStep(60);
    m_cache->setSuffix(tr(" s"));
    m_cache->setSpecialValueText(tr("no cache"));

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(QString(), withError(m_enabled, kDirectoryEnabled));
    form->addRow(tr("Kind:"), withError(m_kind, kDirectoryKind));
    form->addRow(tr("Servers:"), withError(m_servers, kDirectoryServers));
    form->addRow(tr("CA file:"), withError(caRow, kDirectoryCaFile));
    form->addRow(QString(), withError(verifyBox, kDirectoryVerifyCertificate));
    form->addRow(tr("Service account DN:"), withError(m_bindDn, kDirectoryBindDn));
    form->addRow(tr("Service password:"), withError(m_bindPassword, kDirectoryBindPassword));
    form->addRow(tr("Base DN:"), withError(m_baseDn, kDirectoryBaseDn));
    form->addRow(tr("User filter:"), withError(m_userFilter, kDirectoryUserFilter));
    form->addRow(tr("Timeout per server:"), withError(m_timeout, kDirectoryTimeoutMs));
    form->addRow(tr("Remember sign-ins for:"), withError(m_cache, kDirectoryCacheSeconds));

    auto *connectionBox = new QGroupBox(tr("Connection"), this);
    connectionBox->setObjectName(QStringLiteral("directoryConnectionBox"));
    connectionBox->setLayout(form);

    // --- Relay groups ------------------------------------------------------
    auto *groupsHelp = new QLabel(tr("Members of these groups may relay to any domain. One group DN per line."),
                                  this);
    groupsHelp->setWordWrap(true);
    m_groups = new QPlainTextEdit(this);
    m_groups->setObjectName(QStringLiteral("directoryRelayGroups"));
    m_groups->setPlaceholderText(tr("CN=Relay senders,OU=Groups,DC=example,DC=com"));
    m_groups->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_groups->setTabChangesFocus(true);
    m_addGroups = new QPushButton(style()->standardIcon(QStyle::SP_FileDialogContentsView),
                                  tr("Add from directory\u2026"), this);
    m_addGroups->setObjectName(QStringLiteral("directoryAddGroups"));
    m_addGroups->setToolTip(tr("Search the directory's groups by name and add them here"));
    connect(m_addGroups, &QPushButton::clicked, this, &DirectorySection::openGroupPicker);
    auto *groupsButtons = new QHBoxLayout;
    groupsButtons->addWidget(m_addGroups);
    groupsButtons->addStretch(1);
    auto *groupsLayout = new QVBoxLayout;
    groupsLayout->addWidget(groupsHelp);
    groupsLayout->addWidget(withError(m_groups, kDirectoryRelayGroups), 1);
    groupsLayout->addLayout(groupsButtons);
    auto *groupsBox = new QGroupBox(tr("Relay groups"), this);
    groupsBox->setObjectName(QStringLiteral("directoryGroupsBox"));
    groupsBox->setLayout(groupsLayout);

    // --- Tests -------------------------------------------------------------
    m_test = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), tr("Test connection"), this);
    m_test->setObjectName(QStringLiteral("directoryTest"));
    m_test->setToolTip(tr("Connect to each server with the values above (not saved yet): TLS, the service "
                          "account's bind and the base DN"));
    m_signIn = new QPushButton(style()->standardIcon(QStyle::SP_DialogApplyButton), tr("Test sign-in\u2026"), this);
    m_signIn->setObjectName(QStringLiteral("directoryTestSignIn"));
    m_signIn->setToolTip(tr("Sign in as a directory user with the values above and see whether they would relay"));
    connect(m_test, &QPushButton::clicked, this, &DirectorySection::testConnection);
    connect(m_signIn, &QPushButton::clicked, this, &DirectorySection::openSignInDialog);
    m_result = new QTextEdit(this);
    m_result->setObjectName(QStringLiteral("directoryResult"));
    m_result->setReadOnly(true);
    m_result->setPlaceholderText(tr("The result of a test appears here."));
    m_result->setMinimumHeight(120);
    auto *testButtons = new QHBoxLayout;
    testButtons->addWidget(m_test);
    testButtons->addWidget(m_signIn);
    testButtons->addStretch(1);
    auto *testLayout = new QVBoxLayout;
    testLayout->addLayout(testButtons);
    testLayout->addWidget(m_result, 1);
    auto *testBox = new QGroupBox(tr("Tests"), this);
    testBox->setObjectName(QStringLiteral("directoryTestBox"));
    testBox->setLayout(testLayout);

    // --- Save --------------------------------------------------------------
    m_save = new QPushButton(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("Save"), this);
    m_save->setObjectName(QStringLiteral("directorySave"));
    m_save->setToolTip(tr("Check and apply the directory settings (no restart)"));
    connect(m_save, &QPushButton::clicked, this, &DirectorySection::save);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("directoryStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *saveRow = new QHBoxLayout;
    saveRow->addWidget(m_save);
    saveRow->addSpacing(12);
    saveRow->addWidget(m_status, 1);

    auto *right = new QVBoxLayout;
    right->addWidget(groupsBox, 2);
    right->addWidget(testBox, 3);

    auto *columns = new QHBoxLayout;
    columns->addWidget(connectionBox, 3);
    columns->addLayout(right, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(help);
    layout->addLayout(columns, 1);
    layout->addLayout(saveRow);

    // Edits by the admin (or a test) mark the fields as touched: a later
    // configLoaded() does not overwrite them.
    const auto touched = [this] {
        if (!m_loading)
            m_touched = true;
        updateState();
    };
    for (QLineEdit *e : {m_servers, m_caFile, m_bindDn, m_bindPassword, m_baseDn, m_userFilter})
        connect(e, &QLineEdit::textChanged, this, touched);
    connect(m_groups, &QPlainTextEdit::textChanged, this, touched);
    connect(m_enabled, &QCheckBox::toggled, this, touched);
    connect(m_verify, &QCheckBox::toggled, this, touched);
    connect(m_kind, &QComboBox::currentIndexChanged, this, [this, touched] {
        updatePlaceholders();
        touched();
    });
    connect(m_timeout, &QSpinBox::valueChanged, this, touched);
    connect(m_cache, &QSpinBox::valueChanged, this, touched);
}

void DirectorySection::setConfig(const rd::config::ConfigSnapshot &config)
{
    m_config = config;
    m_haveConfig = true;
    if (m_pending == Request::Load)
        m_pending = Request::None;
    if (!m_touched) {
        m_loading = true;
        m_enabled->setChecked(config.boolValue(kDirectoryEnabled));
        const int kind = m_kind->findData(config.stringValue(kDirectoryKind).trimmed().toLower());
        m_kind->setCurrentIndex(kind < 0 ? 0 : kind);
        m_servers->setText(config.stringValue(kDirectoryServers));
        m_caFile->setText(config.stringValue(kDirectoryCaFile));
        m_verify->setChecked(config.boolValue(kDirectoryVerifyCertificate));
        m_bindDn->setText(config.stringValue(kDirectoryBindDn));
        m_bindPassword->clear();
        m_baseDn->setText(config.stringValue(kDirectoryBaseDn));
        m_userFilter->setText(config.stringValue(kDirectoryUserFilter));
        m_groups->setPlainText(groupLines(config.stringValue(kDirectoryRelayGroups)).join(QLatin1Char('\n')));
        m_timeout->setValue(int(config.intValue(kDirectoryTimeoutMs)));
        m_cache->setValue(int(config.intValue(kDirectoryCacheSeconds)));
        m_loading = false;
    }
    updatePlaceholders();
    updateState();
}

void DirectorySection::updatePlaceholders()
{
    const bool stored = !m_config.stringValue(kDirectoryBindPassword).isEmpty();
    m_bindPassword->setPlaceholderText(stored ? tr("stored (leave empty to keep it)") : tr("not set"));
    DirectoryKind kind = DirectoryKind::ActiveDirectory;
    rd::directory::parseKind(m_kind->currentData().toString(), &kind);
    m_userFilter->setPlaceholderText(rd::directory::presetUserFilter(kind));
}

void DirectorySection::updateState()
{
    m_verifyWarning->setVisible(!m_verify->isChecked());
    const bool busy = isBusy();
    for (QPushButton *b : {m_save, m_test, m_signIn, m_addGroups})
        b->setEnabled(!busy);
}

void DirectorySection::setFieldError(const char *key, const QString &error)
{
    QLabel *label = m_errors.value(QString::fromLatin1(key));
    if (!label)
        return;
    label->setText(error);
    label->setVisible(!error.isEmpty());
}

void DirectorySection::clearFieldErrors()
{
    for (QLabel *label : std::as_const(m_errors)) {
        label->clear();
        label->hide();
    }
}

rd::config::ConfigSnapshot DirectorySection::edited(QStringList *errors)
{
    clearFieldErrors();
    rd::config::ConfigSnapshot c = m_config;
    const auto set = [&](const char *key, const QVariant &raw) {
        const QString k = QString::fromLatin1(key);
        const rd::config::SettingDef *def = rd::config::findSetting(k);
        QVariant value;
        QString error;
        if (!def)
            error = tr("unknown setting");
        else if (rd::config::validateSetting(*def, raw, &value, &error))
            c.setValue(k, value, &error);
        if (!error.isEmpty()) {
            setFieldError(key, error);
            errors->append(QStringLiteral("%1: %2").arg(k, error));
        }
    };
    set(kDirectoryEnabled, m_enabled->isChecked());
    set(kDirectoryKind, m_kind->currentData().toString());
    set(kDirectoryServers, m_servers->text().simplified());
    set(kDirectoryCaFile, m_caFile->text().trimmed());
    set(kDirectoryVerifyCertificate, m_verify->isChecked());
    set(kDirectoryBindDn, m_bindDn->text().trimmed());
    if (!m_bindPassword->text().isEmpty()) // empty: keep the stored one
        set(kDirectoryBindPassword, m_bindPassword->text());
    set(kDirectoryBaseDn, m_baseDn->text().trimmed());
    set(kDirectoryUserFilter, m_userFilter->text().trimmed());
    set(kDirectoryRelayGroups, groupLines(m_groups->toPlainText()).join(QLatin1Char('\n')));
    set(kDirectoryTimeoutMs, m_timeout->value());
    set(kDirectoryCacheSeconds, m_cache->value());

    // What directory sign-in cannot work without, once turned on.
    if (m_enabled->isChecked()) {
        if (c.stringValue(kDirectoryServers).trimmed().isEmpty() && m_errors.value(QString::fromLatin1(kDirectoryServers))->isHidden()) {
            const QString e = tr("name at least one ldaps:// or ldap:// server to turn directory sign-in on");
            setFieldError(kDirectoryServers, e);
            errors->append(QStringLiteral("%1: %2").arg(QLatin1String(kDirectoryServers), e));
        }
        if (c.stringValue(kDirectoryBaseDn).trimmed().isEmpty() && m_errors.value(QString::fromLatin1(kDirectoryBaseDn))->isHidden()) {
            const QString e = tr("needed to turn directory sign-in on: where users are searched");
            setFieldError(kDirectoryBaseDn, e);
            errors->append(QStringLiteral("%1: %2").arg(QLatin1String(kDirectoryBaseDn), e));
        }
    }
    return c;
}

void DirectorySection::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: %1;").arg(QLatin1String(kRed)) : QString());
}

void DirectorySection::save()
{
    if (isBusy())
        return;
    QStringList errors;
    const rd::config::ConfigSnapshot c = edited(&errors);
    if (!errors.isEmpty()) {
        setStatus(tr("Not saved: correct the fields marked in red."), true);
        return;
    }
    m_pending = Request::Save;
    m_saving = c;
    setStatus(tr("Saving\u2026"), false);
    updateState();
    m_facade->applyConfig(c); // with no engine the answer comes inside this call
}

void DirectorySection::onApplied(bool ok, const QStringList &errors)
{
    if (m_pending == Request::Load) {
        // requestConfig() without an engine.
        m_pending = Request::None;
        if (!ok)
            setStatus(tr("No relay engine is running: the settings cannot be read or saved (%1).")
                          .arg(errors.join(QStringLiteral("; "))),
                      true);
        updateState();
        return;
    }
    if (m_pending != Request::Save)
        return; // another panel's save
    m_pending = Request::None;
    if (!ok) {
        setStatus(tr("Not saved: %1").arg(errors.join(QStringLiteral("; "))), true);
        updateState();
        return;
    }
    m_touched = false;
    setConfig(m_saving); // the password field empties; its placeholder says "stored"
    m_saving = rd::config::ConfigSnapshot();
    setStatus(m_enabled->isChecked() ? tr("Saved. Directory sign-in is on.") : tr("Saved. Directory sign-in is off."),
              false);
    m_facade->requestConfig(); // the engine's canonical values
}

void DirectorySection::showResult(bool ok, const QString &headline, const QStringList &lines)
{
    QString html = QStringLiteral("<p style=\"color:%1; font-weight:bold;\">%2</p>")
                       .arg(QLatin1String(ok ? kGreen : kRed), headline.toHtmlEscaped());
    for (const QString &line : lines) {
        const bool bad = line.startsWith(QLatin1String("FAILED")) || line.startsWith(QLatin1String("WARNING"))
            || line.startsWith(QLatin1String("Problem")) || line.contains(QLatin1String("would NOT relay"));
        html += bad ? QStringLiteral("<div style=\"color:%1;\">%2</div>").arg(QLatin1String(kRed), line.toHtmlEscaped())
                    : QStringLiteral("<div>%1</div>").arg(line.toHtmlEscaped());
    }
    m_result->setHtml(html);
}

void DirectorySection::testConnection()
{
    if (isBusy())
        return;
    QStringList errors;
    const rd::config::ConfigSnapshot c = edited(&errors);
    if (!errors.isEmpty()) {
        showResult(false, tr("Not tested: correct the fields marked in red."), errors);
        return;
    }
    m_pending = Request::Test;
    updateState();
    m_result->setPlainText(tr("Testing the connection\u2026"));
    m_facade->testDirectory(c); // with no engine the answer comes inside this call
}

void DirectorySection::onTested(const rd::directory::DirectoryTestReport &report)
{
    if (m_pending != Request::Test)
        return;
    m_pending = Request::None;
    showResult(report.ok, report.ok ? tr("Connection OK") : tr("Connection FAILED"), report.lines);
    updateState();
}

void DirectorySection::testSignIn(const QString &login, const QString &password)
{
    if (isBusy())
        return;
    QStringList errors;
    const rd::config::ConfigSnapshot c = edited(&errors);
    if (!errors.isEmpty()) {
        showResult(false, tr("Not tested: correct the fields marked in red."), errors);
        return;
    }
    m_pending = Request::SignIn;
    updateState();
    m_result->setPlainText(tr("Signing in as %1\u2026").arg(login));
    QByteArray secret = password.toUtf8();
    m_facade->testDirectorySignIn(c, login.trimmed(), secret);
    secret.fill('\0');
}

void DirectorySection::onSignInTested(const rd::directory::DirectorySignInReport &report)
{
    if (m_pending != Request::SignIn)
        return;
    m_pending = Request::None;
    const rd::directory::DirectorySignIn &r = report.result;
    const bool signedIn = r.outcome == rd::directory::DirectorySignIn::Success;
    bool wouldRelay = false;
    for (const QString &line : report.relayLines) {
        if (line.contains(QLatin1String(": would relay")))
            wouldRelay = true;
    }
    QString headline;
    if (!signedIn)
        headline = tr("%1 could NOT sign in: %2").arg(report.login, outcomeName(r.outcome));
    else if (wouldRelay)
        headline = tr("%1 signed in and would relay").arg(report.login);
    else
        headline = tr("%1 signed in but would NOT relay").arg(report.login);

    const QString none = tr("(none)");
    QStringList lines;
    lines << tr("Outcome: %1").arg(outcomeName(r.outcome));
    if (!r.reason.isEmpty())
        lines << tr("Reason: %1").arg(r.reason);
    if (signedIn) {
        lines << tr("Found DN: %1").arg(r.dn.isEmpty() ? none : r.dn);
        if (!r.login.isEmpty() && r.login != report.login)
            lines << tr("Directory login: %1").arg(r.login);
        lines << tr("Groups: %1").arg(r.groups.isEmpty() ? none : r.groups.join(QStringLiteral("; ")));
        lines << tr("Addresses: %1").arg(r.addresses.isEmpty() ? none : r.addresses.join(QStringLiteral(", ")));
    }
    if (!r.server.isEmpty())
        lines << tr("Server: %1").arg(r.server);
    if (!report.relayLines.isEmpty()) {
        lines << QString() << tr("Per listener:");
        lines += report.relayLines;
    }
    showResult(signedIn && wouldRelay, headline, lines);
    updateState();
}

QDialog *DirectorySection::openSignInDialog()
{
    if (isBusy())
        return nullptr;
    auto *d = new QDialog(this);
    d->setObjectName(QStringLiteral("directorySignInDialog"));
    d->setWindowTitle(tr("Test sign-in"));
    d->setAttribute(Qt::WA_DeleteOnClose);
    auto *intro = new QLabel(tr("Signs in as this directory user with the settings as edited (not saved yet), "
                                "then tells whether the user would relay on each listener. Nothing is stored."),
                             d);
    intro->setWordWrap(true);
    auto *login = new QLineEdit(d);
    login->setObjectName(QStringLiteral("signInLogin"));
    login->setPlaceholderText(tr("jdoe, jdoe@example.com"));
    auto *password = new QLineEdit(d);
    password->setObjectName(QStringLiteral("signInPassword"));
    password->setEchoMode(QLineEdit::Password);
    auto *form = new QFormLayout;
    form->addRow(tr("Login:"), login);
    form->addRow(tr("Password:"), password);
    auto *buttons = new QDialogButtonBox(d);
    QPushButton *test = buttons->addButton(tr("Test"), QDialogButtonBox::AcceptRole);
    test->setObjectName(QStringLiteral("signInTest"));
    test->setEnabled(false);
    buttons->addButton(QDialogButtonBox::Cancel);
    connect(login, &QLineEdit::textChanged, test, [test](const QString &t) { test->setEnabled(!t.trimmed().isEmpty()); });
    connect(buttons, &QDialogButtonBox::accepted, d, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, d, &QDialog::reject);
    connect(d, &QDialog::accepted, this, [this, login, password] {
        QString pw = password->text();
        password->clear();
        testSignIn(login->text(), pw);
        pw.fill(QChar(u'\0'));
    });
    connect(d, &QDialog::rejected, password, &QLineEdit::clear);
    auto *layout = new QVBoxLayout(d);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(buttons);
    d->setMinimumWidth(420);
    d->open();
    return d;
}

DirectoryGroupPicker *DirectorySection::openGroupPicker()
{
    if (isBusy())
        return nullptr;
    QStringList errors;
    const rd::config::ConfigSnapshot c = edited(&errors);
    if (!errors.isEmpty()) {
        setStatus(tr("Correct the fields marked in red first."), true);
        return nullptr;
    }
    auto *picker = new DirectoryGroupPicker(m_facade, c, this);
    picker->setAttribute(Qt::WA_DeleteOnClose);
    connect(picker, &DirectoryGroupPicker::groupsChosen, this, &DirectorySection::addRelayGroups);
    picker->open();
    return picker;
}

void DirectorySection::addRelayGroups(const QStringList &dns)
{
    QStringList lines = groupLines(m_groups->toPlainText());
    QSet<QString> have;
    for (const QString &dn : std::as_const(lines))
        have.insert(rd::directory::normalizedDn(dn));
    for (const QString &dn : dns) {
        const QString key = rd::directory::normalizedDn(dn);
        if (dn.trimmed().isEmpty() || have.contains(key))
            continue;
        have.insert(key);
        lines << dn.trimmed();
    }
    m_groups->setPlainText(lines.join(QLatin1Char('\n')));
}

} // namespace rd::ui

#include "connectors/connectorpresets.h"

#include <QCoreApplication>

namespace rd::ui {

using rd::config::SendConnectorConfig;

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ConnectorPreset", text);
}

SendConnectorConfig smartHost(const QString &hostPort, const QString &tls)
{
    SendConnectorConfig c;
    c.name.clear();
    c.domains = {QStringLiteral("*")};
    c.route = QStringLiteral("smarthost");
    c.smartHosts = hostPort.isEmpty() ? QStringList() : QStringList{hostPort};
    c.tls = tls;
    return c;
}

QList<ConnectorPreset> build()
{
    const QString verify = QStringLiteral("verify");
    QList<ConnectorPreset> list;

    {
        ConnectorPreset p;
        p.id = QStringLiteral("microsoft365");
        p.objectSuffix = QStringLiteral("Microsoft365");
        p.label = tr("Microsoft 365 (OAuth 2.0, smtp.office365.com:587)");
        p.nameBase = QStringLiteral("microsoft365");
        p.auth = ConnectorPreset::OAuthAuth;
        p.connector = smartHost(QStringLiteral("smtp.office365.com:587"), verify);
        p.connector.authMechanism = QStringLiteral("oauth2");
        p.connector.oauth.flow = QStringLiteral("client_credentials");
        p.connector.oauth.provider = QStringLiteral("microsoft365");
        p.connector.oauth.clientAuth = QStringLiteral("secret");
        p.connector.oauth.scope = QStringLiteral("https://outlook.office365.com/.default");
        p.connector.oauth.sasl = QStringLiteral("xoauth2");
        p.checklist = tr("1. Microsoft Entra admin center: App registrations > New registration; note the "
                         "Directory (tenant) ID and the Application (client) ID.\n"
                         "2. Certificates & secrets: add a client secret (or upload a certificate).\n"
                         "3. API permissions > Add > APIs my organization uses > Office 365 Exchange Online > "
                         "Application permissions > SMTP.SendAsApp; then Grant admin consent.\n"
                         "4. Exchange Online PowerShell: New-ServicePrincipal -AppId <client id> -ObjectId "
                         "<object id of the app's Enterprise application>, then Add-MailboxPermission -Identity "
                         "<mailbox> -User <service principal id> -AccessRights FullAccess.\n"
                         "5. Turn on Authenticated SMTP (SMTP AUTH) for that mailbox (Set-CASMailbox "
                         "-SmtpClientAuthenticationDisabled $false).");
        list << p;
    }
    {
        ConnectorPreset p;
        p.id = QStringLiteral("microsoft365-direct");
        p.objectSuffix = QStringLiteral("Microsoft365Direct");
        p.label = tr("Microsoft 365 direct send (no AUTH, port 25 to your tenant's MX)");
        p.nameBase = QStringLiteral("microsoft365-direct");
        p.connector = smartHost(QString(), verify);
        p.checklist = tr("1. Smart hosts: your domain's MX host in Microsoft 365 with port 25, e.g. "
                         "contoso-com.mail.protection.outlook.com:25 (see the MX record in the Microsoft 365 admin "
                         "center > Settings > Domains). Or choose the MX route.\n"
                         "2. Direct send only delivers to mailboxes of your own tenant, from addresses of your "
                         "accepted domains.\n"
                         "3. Add this server's public IP address to your domain's SPF record; for mail to outside "
                         "recipients create an inbound connector in the Exchange admin center (Mail flow > "
                         "Connectors) that accepts this IP address or certificate.\n"
                         "4. Outbound port 25 must be open from this server.");
        list << p;
    }
    {
        ConnectorPreset p;
        p.id = QStringLiteral("gmail");
        p.objectSuffix = QStringLiteral("Gmail");
        p.label = tr("Gmail / Google Workspace (OAuth 2.0 sign-in, smtp.gmail.com:587)");
        p.nameBase = QStringLiteral("gmail");
        p.auth = ConnectorPreset::OAuthAuth;
        p.connector = smartHost(QStringLiteral("smtp.gmail.com:587"), verify);
        p.connector.authMechanism = QStringLiteral("oauth2");
        p.connector.oauth.flow = QStringLiteral("authorization_code");
        p.connector.oauth.provider = QStringLiteral("google");
        p.connector.oauth.clientAuth = QStringLiteral("secret");
        p.connector.oauth.scope = QStringLiteral("https://mail.google.com/");
        p.connector.oauth.sasl = QStringLiteral("xoauth2");
        p.checklist = tr("1. Google Cloud console: create a project, configure the OAuth consent screen and add "
                         "the scope https://mail.google.com/.\n"
                         "2. Credentials > Create credentials > OAuth client ID, type \"Desktop app\"; copy the "
                         "client ID and secret here.\n"
                         "3. Press \"Sign in\u2026\" below and sign in as the mailbox that sends. Google offers no "
                         "app-only (client credentials) sign-in for Gmail SMTP, so a person signs in once; the relay "
                         "keeps the refresh token.");
        list << p;
    }
    {
        ConnectorPreset p;
        p.id = QStringLiteral("gmail-relay");
        p.objectSuffix = QStringLiteral("GmailRelay");
        p.label = tr("Google Workspace SMTP relay (smtp-relay.gmail.com:587, IP allowlist)");
        p.nameBase = QStringLiteral("gmail-relay");
        p.connector = smartHost(QStringLiteral("smtp-relay.gmail.com:587"), verify);
        p.checklist = tr("1. Google Admin console: Apps > Google Workspace > Gmail > Routing > SMTP relay service: "
                         "add a setting.\n"
                         "2. Allowed senders: only addresses in your domains; Authentication: \"Only accept mail "
                         "from the specified IP addresses\" with this server's public IP address.\n"
                         "3. Tick \"Require TLS encryption\". No user name or password is needed.");
        list << p;
    }
    {
        ConnectorPreset p;
        p.id = QStringLiteral("ses");
        p.objectSuffix = QStringLiteral("AmazonSes");
        p.label = tr("Amazon SES (email-smtp.<region>.amazonaws.com:587, SMTP credentials)");
        p.nameBase = QStringLiteral("amazon-ses");
        p.auth = ConnectorPreset::PasswordAuth;
        p.connector = smartHost(QStringLiteral("email-smtp.us-east-1.amazonaws.com:587"), verify);
        p.checklist = tr("1. Change us-east-1 in the host to your SES region.\n"
                         "2. Amazon SES console > SMTP settings > Create SMTP credentials; they are valid in that "
                         "region only. Enter the SMTP user name and password below.\n"
                         "3. Verify the sending domain (or address) in SES; leave the sandbox to send to anyone.");
        list << p;
    }
    {
        ConnectorPreset p;
        p.id = QStringLiteral("sendgrid");
        p.objectSuffix = QStringLiteral("SendGrid");
        p.label = tr("SendGrid (smtp.sendgrid.net:587, API key)");
        p.nameBase = QStringLiteral("sendgrid");
        p.auth = ConnectorPreset::PasswordAuth;
        p.connector = smartHost(QStringLiteral("smtp.sendgrid.net:587"), verify);
        p.connector.authUser = QStringLiteral("apikey");
        p.checklist = tr("1. SendGrid: Settings > API Keys > Create API Key with \"Mail Send\" access.\n"
                         "2. The user name is the word apikey; paste the API key as the password.\n"
                         "3. Authenticate your sending domain (Sender Authentication).");
        list << p;
    }
    {
        ConnectorPreset p;
        p.id = QStringLiteral("mailgun");
        p.objectSuffix = QStringLiteral("Mailgun");
        p.label = tr("Mailgun (smtp.mailgun.org:587, SMTP password)");
        p.nameBase = QStringLiteral("mailgun");
        p.auth = ConnectorPreset::PasswordAuth;
        p.connector = smartHost(QStringLiteral("smtp.mailgun.org:587"), verify);
        p.checklist = tr("1. Mailgun: add and verify your sending domain.\n"
                         "2. Domain settings > SMTP credentials: create a login (e.g. relay@mg.example.com) and "
                         "its password; enter both below.\n"
                         "3. EU accounts use smtp.eu.mailgun.org instead.");
        list << p;
    }
    {
        ConnectorPreset p;
        p.id = QStringLiteral("direct-mx");
        p.objectSuffix = QStringLiteral("DirectMx");
        p.label = tr("Direct MX delivery (route mx, opportunistic TLS)");
        p.nameBase = QStringLiteral("direct-mx");
        p.connector = smartHost(QString(), QStringLiteral("opportunistic"));
        p.connector.route = QStringLiteral("mx");
        p.checklist = tr("Mail goes straight to each recipient domain's MX servers on port 25; this server needs "
                         "outbound port 25 and a good reputation (reverse DNS, SPF).");
        list << p;
    }
    {
        ConnectorPreset p;
        p.id = QStringLiteral("internal");
        p.objectSuffix = QStringLiteral("Internal");
        p.label = tr("Internal smart host (host:25, opportunistic)");
        p.nameBase = QStringLiteral("internal");
        p.connector = smartHost(QString(), QStringLiteral("opportunistic"));
        p.checklist = tr("Enter your internal mail server as host:25 (several, comma-separated, for failover).");
        list << p;
    }
    {
        ConnectorPreset p;
        p.id = QStringLiteral("blank");
        p.objectSuffix = QStringLiteral("Blank");
        p.label = tr("Empty connector");
        p.nameBase = QStringLiteral("connector");
        p.connector = smartHost(QString(), QStringLiteral("opportunistic"));
        list << p;
    }
    return list;
}

} // namespace

const QList<ConnectorPreset> &connectorPresets()
{
    static const QList<ConnectorPreset> presets = build();
    return presets;
}

const ConnectorPreset *findConnectorPreset(const QString &id)
{
    for (const ConnectorPreset &p : connectorPresets()) {
        if (p.id == id)
            return &p;
    }
    return nullptr;
}

} // namespace rd::ui

#include "oauth/oauthsettings.h"

#include <QHostAddress>
#include <QSet>
#include <QUrl>

namespace rd::oauth {

namespace {

const QStringList kFlows = {QStringLiteral("client_credentials"), QStringLiteral("authorization_code")};
const QStringList kProviders = {QStringLiteral("microsoft365"), QStringLiteral("google"), QStringLiteral("custom")};
const QStringList kClientAuth = {QStringLiteral("secret"), QStringLiteral("certificate"), QStringLiteral("none")};
const QStringList kSasl = {QStringLiteral("auto"), QStringLiteral("xoauth2"), QStringLiteral("oauthbearer")};

bool validTenant(const QString &t)
{
    if (t.isEmpty() || t.size() > 253)
        return false;
    for (QChar c : t) {
        if (!(c.isLetterOrNumber() || c == QLatin1Char('-') || c == QLatin1Char('.') || c == QLatin1Char('_')))
            return false;
    }
    return true;
}

} // namespace

QString OAuthSettings::effectiveTokenEndpoint() const
{
    if (!tokenEndpoint.isEmpty())
        return tokenEndpoint;
    if (provider == QLatin1String("microsoft365") && !tenant.isEmpty())
        return QStringLiteral("https://login.microsoftonline.com/%1/oauth2/v2.0/token").arg(tenant);
    if (provider == QLatin1String("google"))
        return QStringLiteral("https://oauth2.googleapis.com/token");
    return {};
}

QString OAuthSettings::effectiveAuthorizeEndpoint() const
{
    if (!authorizeEndpoint.isEmpty())
        return authorizeEndpoint;
    if (provider == QLatin1String("microsoft365") && !tenant.isEmpty())
        return QStringLiteral("https://login.microsoftonline.com/%1/oauth2/v2.0/authorize").arg(tenant);
    if (provider == QLatin1String("google"))
        return QStringLiteral("https://accounts.google.com/o/oauth2/v2/auth");
    return {};
}

QString OAuthSettings::effectiveScope() const
{
    if (!scope.isEmpty())
        return scope;
    const bool delegated = flow == QLatin1String("authorization_code");
    if (provider == QLatin1String("microsoft365")) {
        return delegated ? QStringLiteral("https://outlook.office365.com/SMTP.Send offline_access")
                         : QStringLiteral("https://outlook.office365.com/.default");
    }
    if (provider == QLatin1String("google"))
        return QStringLiteral("https://mail.google.com/");
    return {};
}

bool acceptableEndpoint(const QString &text, QString *why)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty()) {
        *why = QStringLiteral("\"%1\" is not an absolute URL").arg(text);
        return false;
    }
    if (url.scheme() == QLatin1String("https"))
        return true;
    if (url.scheme() == QLatin1String("http")) {
        const QHostAddress a(url.host());
        if (url.host() == QLatin1String("localhost") || (!a.isNull() && a.isLoopback()))
            return true;
        *why = QStringLiteral("\"%1\" must use https (http only to a loopback address)").arg(text);
        return false;
    }
    *why = QStringLiteral("\"%1\" must be an https URL").arg(text);
    return false;
}

QStringList validateOAuth(const OAuthSettings &s, const QString &where)
{
    QStringList e;
    if (!kFlows.contains(s.flow))
        e << QStringLiteral("%1: oauth flow \"%2\" must be one of %3").arg(where, s.flow, kFlows.join(QStringLiteral(", ")));
    if (!kProviders.contains(s.provider))
        e << QStringLiteral("%1: oauth provider \"%2\" must be one of %3")
                 .arg(where, s.provider, kProviders.join(QStringLiteral(", ")));
    if (!s.tenant.isEmpty() && !validTenant(s.tenant))
        e << QStringLiteral("%1: oauth tenant \"%2\" is not a tenant id or domain").arg(where, s.tenant);
    if (s.clientId.trimmed().isEmpty())
        e << QStringLiteral("%1: oauth client_id is required").arg(where);
    QString why;
    const QString token = s.effectiveTokenEndpoint();
    if (token.isEmpty())
        e << QStringLiteral("%1: oauth needs a token_endpoint (or, for Microsoft 365, a tenant)").arg(where);
    else if (!acceptableEndpoint(token, &why))
        e << QStringLiteral("%1: oauth token_endpoint %2").arg(where, why);
    if (s.flow == QLatin1String("authorization_code")) {
        const QString auth = s.effectiveAuthorizeEndpoint();
        if (auth.isEmpty())
            e << QStringLiteral("%1: oauth authorization_code needs an authorize_endpoint (or a tenant)").arg(where);
        else if (!acceptableEndpoint(auth, &why))
            e << QStringLiteral("%1: oauth authorize_endpoint %2").arg(where, why);
    }
    if (!kClientAuth.contains(s.clientAuth))
        e << QStringLiteral("%1: oauth client_auth \"%2\" must be one of %3")
                 .arg(where, s.clientAuth, kClientAuth.join(QStringLiteral(", ")));
    if (s.clientAuth == QLatin1String("none") && s.flow == QLatin1String("client_credentials"))
        e << QStringLiteral("%1: oauth client_credentials needs client_auth secret or certificate").arg(where);
    if (s.clientAuth == QLatin1String("certificate")) {
        if (!s.certificatePem.contains(QLatin1String("-----BEGIN CERTIFICATE-----")))
            e << QStringLiteral("%1: oauth client_auth certificate needs the certificate (PEM)").arg(where);
        if (s.assertionAlg != QLatin1String("RS256") && s.assertionAlg != QLatin1String("PS256"))
            e << QStringLiteral("%1: oauth assertion_alg must be RS256 or PS256").arg(where);
    }
    if (s.effectiveScope().isEmpty())
        e << QStringLiteral("%1: oauth scope is required for provider custom").arg(where);
    if (s.mailbox.trimmed().isEmpty() || !s.mailbox.contains(QLatin1Char('@')))
        e << QStringLiteral("%1: oauth mailbox (the address to send as) is required").arg(where);
    for (QChar c : s.mailbox) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f) {
            e << QStringLiteral("%1: oauth mailbox contains a control character").arg(where);
            break;
        }
    }
    if (!kSasl.contains(s.sasl))
        e << QStringLiteral("%1: oauth sasl \"%2\" must be one of %3").arg(where, s.sasl, kSasl.join(QStringLiteral(", ")));
    return e;
}

QJsonObject oauthToJson(const OAuthSettings &s)
{
    QJsonObject o;
    o.insert(QStringLiteral("flow"), s.flow);
    o.insert(QStringLiteral("provider"), s.provider);
    o.insert(QStringLiteral("tenant"), s.tenant);
    o.insert(QStringLiteral("token_endpoint"), s.tokenEndpoint);
    o.insert(QStringLiteral("authorize_endpoint"), s.authorizeEndpoint);
    o.insert(QStringLiteral("client_id"), s.clientId);
    o.insert(QStringLiteral("client_auth"), s.clientAuth);
    o.insert(QStringLiteral("certificate"), s.certificatePem);
    o.insert(QStringLiteral("assertion_alg"), s.assertionAlg);
    o.insert(QStringLiteral("scope"), s.scope);
    o.insert(QStringLiteral("mailbox"), s.mailbox);
    o.insert(QStringLiteral("sasl"), s.sasl);
    return o;
}

QJsonObject oauthSecretsToJson(const OAuthSecrets &s, bool withRefreshToken)
{
    QJsonObject o;
    if (!s.clientSecret.isEmpty())
        o.insert(QStringLiteral("client_secret"), s.clientSecret);
    if (!s.privateKeyPem.isEmpty())
        o.insert(QStringLiteral("private_key"), s.privateKeyPem);
    if (withRefreshToken && !s.refreshToken.isEmpty())
        o.insert(QStringLiteral("refresh_token"), s.refreshToken);
    return o;
}

OAuthSettings oauthFromJson(const QJsonObject &o, const QString &where, QStringList *errors, OAuthSecrets *secrets)
{
    static const QSet<QString> keys = {
        QStringLiteral("flow"), QStringLiteral("provider"), QStringLiteral("tenant"),
        QStringLiteral("token_endpoint"), QStringLiteral("authorize_endpoint"), QStringLiteral("client_id"),
        QStringLiteral("client_auth"), QStringLiteral("certificate"), QStringLiteral("assertion_alg"),
        QStringLiteral("scope"), QStringLiteral("mailbox"), QStringLiteral("sasl")};
    static const QSet<QString> secretKeys = {QStringLiteral("client_secret"), QStringLiteral("private_key"),
                                             QStringLiteral("refresh_token")};
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!keys.contains(it.key()) && !(secrets && secretKeys.contains(it.key())))
            *errors << QStringLiteral("%1: unknown key \"oauth.%2\"").arg(where, it.key());
    }
    OAuthSettings s;
    auto text = [&](const char *key, QString *out) {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return;
        if (!v.isString())
            *errors << QStringLiteral("%1: \"oauth.%2\" must be a string").arg(where, QLatin1String(key));
        else
            *out = v.toString();
    };
    text("flow", &s.flow);
    text("provider", &s.provider);
    text("tenant", &s.tenant);
    text("token_endpoint", &s.tokenEndpoint);
    text("authorize_endpoint", &s.authorizeEndpoint);
    text("client_id", &s.clientId);
    text("client_auth", &s.clientAuth);
    text("certificate", &s.certificatePem);
    text("assertion_alg", &s.assertionAlg);
    text("scope", &s.scope);
    text("mailbox", &s.mailbox);
    text("sasl", &s.sasl);
    if (secrets) {
        text("client_secret", &secrets->clientSecret);
        text("private_key", &secrets->privateKeyPem);
        text("refresh_token", &secrets->refreshToken);
    }
    return s;
}

} // namespace rd::oauth

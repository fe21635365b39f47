#pragma once
// Send connectors: the routes outbound mail takes. Each one matches recipient
// domains ("example.com", "*.example.com" for its subdomains, "*" for all),
// first match wins, and delivers either to an ordered failover list of smart
// hosts or straight to the domain's MX hosts. Value types, validation, JSON
// and config.db rows; no I/O beyond the given database.

#include "oauth/oauthsettings.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

class QSqlDatabase;

namespace rd::config {

struct SendConnectorConfig {
    QString name = QStringLiteral("default");
    QStringList domains = {QStringLiteral("*")};
    QString route = QStringLiteral("smarthost");   // "smarthost" or "mx"
    QStringList smartHosts;                         // "host:port", tried in order
    // "none", "opportunistic" (STARTTLS when offered), "required" (STARTTLS must
    // succeed, certificate not checked) or "verify" (required, and the certificate
    // must chain to the system CA store or caFile and match the host name).
    QString tls = QStringLiteral("opportunistic");
    QString caFile;                                 // PEM bundle for "verify"; empty: system store
    bool implicitTls = false;                       // TLS from the first byte (port 465)
    QString authUser;                               // empty: no AUTH
    QString authPassword;                           // kept in config.db (owner-only); never exported or logged
    // "" (a password when authUser is set, else no AUTH) or "oauth2" (sign in
    // with an OAuth 2.0 access token: XOAUTH2 / OAUTHBEARER; authUser unused).
    QString authMechanism;
    oauth::OAuthSettings oauth;                     // authMechanism "oauth2"
    oauth::OAuthSecrets oauthSecrets;               // owner-only like authPassword; never exported or logged
    int connectTimeoutS = 30;
    int commandTimeoutS = 300;
    int maxConnections = 10;                        // parallel connections per destination
    int maxMessagesPerConnection = 100;

    bool operator==(const SendConnectorConfig &) const = default;

    bool usesMx() const { return route == QLatin1String("mx"); }
    bool usesOAuth() const { return authMechanism == QLatin1String("oauth2"); }
};

// True if `pattern` ("example.com", "*.example.com", "*") matches `domain`
// (case-insensitive; a trailing dot on the domain is ignored; "*.example.com"
// matches sub.example.com but not example.com itself).
bool domainMatches(const QString &pattern, const QString &domain);

// Index of the first connector whose domains match `domain`, or -1.
int routeFor(const QList<SendConnectorConfig> &connectors, const QString &domain);

// Problems with the list, each naming the connector: names (unique, non-empty),
// domain patterns, route, smart hosts (host:port), TLS policy, limits, and
// for auth_mechanism oauth2 the OAuth settings (validateOAuth).
QStringList validateSendConnectors(const QList<SendConnectorConfig> &connectors);

// JSON ("send_connectors" entries in docs/CONFIG.md). The password and the
// OAuth secrets (oauth.client_secret, oauth.private_key, oauth.refresh_token)
// are read if present but written only when withSecrets.
SendConnectorConfig sendConnectorFromJson(const QJsonObject &o, const QString &where, QStringList *errors);
QJsonObject sendConnectorToJson(const SendConnectorConfig &c, bool withSecrets);

// An exported configuration carries no passwords: when it is imported again,
// a connector with the same name and user keeps the password already stored;
// an OAuth connector with the same name and client id keeps its client secret
// and key, and with the same mailbox too its refresh token.
void keepStoredSecrets(QList<SendConnectorConfig> *incoming, const QList<SendConnectorConfig> &stored);

// config.db rows (table send_connectors, schema v6: auth_mechanism, oauth,
// oauth_secret; the refresh tokens in oauth_tokens, one row per connector
// name). Saving replaces every oauth_tokens row with the connectors' tokens.
bool loadSendConnectors(QSqlDatabase &db, QList<SendConnectorConfig> *out, QString *error);
bool saveSendConnectors(QSqlDatabase &db, const QList<SendConnectorConfig> &connectors, QString *error);

// Stores (or, with an empty token, deletes) one connector's refresh token:
// for the engine when the token endpoint rotates it or a sign-in finished.
bool saveRefreshToken(QSqlDatabase &db, const QString &connector, const QString &refreshToken, QString *error);

} // namespace rd::config

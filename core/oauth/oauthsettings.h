#pragma once
// How a send connector signs in to its smart host with OAuth 2.0: the flow,
// the identity provider's endpoints, the app registration and the mailbox to
// send as. Value types, defaults for Microsoft 365 and Google, validation and
// JSON. Secrets (client secret, the certificate's private key, a delegated
// refresh token) are kept apart in OAuthSecrets: stored owner-only, never
// exported, shown or logged. No I/O.

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace rd::oauth {

struct OAuthSettings {
    // "client_credentials" (RFC 6749 4.4, an app signs in as itself) or
    // "authorization_code" (RFC 6749 4.1 with PKCE, a user signs in once in the
    // browser; the refresh token is kept).
    QString flow = QStringLiteral("client_credentials");
    // "microsoft365", "google" or "custom": where the endpoint and scope
    // defaults come from.
    QString provider = QStringLiteral("microsoft365");
    QString tenant;            // Microsoft 365: directory (tenant) id or domain
    QString tokenEndpoint;     // empty: the provider's (M365: built from tenant)
    QString authorizeEndpoint; // authorization_code only; empty: the provider's
    QString clientId;
    // Client authentication at the token endpoint: "secret" (client_secret in
    // the body), "certificate" (private_key_jwt, RFC 7523) or "none" (a public
    // client: authorization_code with PKCE only).
    QString clientAuth = QStringLiteral("secret");
    QString certificatePem;    // the app's certificate (public part) for "certificate"
    QString assertionAlg = QStringLiteral("RS256"); // or "PS256"
    QString scope;             // empty: the provider's default for the flow
    QString mailbox;           // the mailbox to send as (XOAUTH2 user=, OAUTHBEARER a=)
    QString sasl = QStringLiteral("auto"); // "auto", "xoauth2" or "oauthbearer"

    bool operator==(const OAuthSettings &) const = default;

    // The token endpoint in use: tokenEndpoint, else the provider's.
    QString effectiveTokenEndpoint() const;
    QString effectiveAuthorizeEndpoint() const;
    QString effectiveScope() const;
};

struct OAuthSecrets {
    QString clientSecret;   // clientAuth "secret"
    QString privateKeyPem;  // clientAuth "certificate"
    QString refreshToken;   // flow authorization_code: from the delegated sign-in

    bool operator==(const OAuthSecrets &) const = default;
    bool isEmpty() const { return clientSecret.isEmpty() && privateKeyPem.isEmpty() && refreshToken.isEmpty(); }
};

// Problems, each prefixed with `where`: flow, provider, client id, endpoints
// (https; http only to a loopback address), client authentication and its
// certificate, scope, mailbox, SASL mechanism.
QStringList validateOAuth(const OAuthSettings &s, const QString &where);

// The non-secret settings as JSON (the "oauth" object of a send connector, and
// the send_connectors.oauth column).
QJsonObject oauthToJson(const OAuthSettings &s);
// Reads what oauthToJson writes; unknown keys and wrong types are reported.
// Secret keys ("client_secret", "private_key", "refresh_token") are read into
// *secrets when given, reported as unknown otherwise.
OAuthSettings oauthFromJson(const QJsonObject &o, const QString &where, QStringList *errors,
                            OAuthSecrets *secrets = nullptr);
// The secrets as JSON (the send_connectors.oauth_secret column; config export
// with secrets). Empty values are left out.
QJsonObject oauthSecretsToJson(const OAuthSecrets &s, bool withRefreshToken);

// True if `url` is https, or http to 127.0.0.0/8, ::1 or localhost.
bool acceptableEndpoint(const QString &url, QString *why);

} // namespace rd::oauth

#pragma once
// Token endpoint requests and replies (RFC 6749 4.1.3, 4.4.2, 6, 5.1, 5.2;
// RFC 7523 2.2 for the client assertion): form bodies to POST and the parsed
// JSON answer. Pure: no I/O. Bodies hold secrets: never log them.

#include "oauth/oauthsettings.h"

#include <QByteArray>
#include <QString>

namespace rd::oauth {

enum class Grant { ClientCredentials, AuthorizationCode, RefreshToken };

struct TokenRequest {
    Grant grant = Grant::ClientCredentials;
    QString endpoint;
    QByteArray body;   // application/x-www-form-urlencoded
    QString error;     // set when the request could not be built (then body is empty)
};

// Builds the request for `grant` from the connector's settings and secrets:
// client_id always; client_secret (clientAuth "secret") or client_assertion +
// client_assertion_type (clientAuth "certificate", signed now); scope for
// client credentials and refresh; code + redirect_uri + code_verifier for the
// code exchange; refresh_token for a refresh.
TokenRequest buildTokenRequest(Grant grant, const OAuthSettings &s, const OAuthSecrets &secrets,
                               const QByteArray &code = {}, const QString &redirectUri = {},
                               const QByteArray &codeVerifier = {});

struct TokenResponse {
    bool ok = false;
    QByteArray accessToken;
    QString tokenType;
    qint64 expiresIn = 0;   // seconds; 0 when the server sent none (then 3600 is assumed)
    QByteArray refreshToken; // non-empty when the server issued (or rotated) one
    QString scope;
    QString error;            // RFC 6749 5.2 "error" (e.g. invalid_client)
    QString errorDescription; // "error_description", printable and bounded
    int httpStatus = 0;
    // Could retrying later help? Transport errors, 5xx, 429 and unreadable
    // replies: yes. An OAuth error (invalid_client, invalid_grant, ...): it
    // needs the admin, but mail is kept anyway (every token failure defers).
    bool transient = false;
    // "token endpoint said invalid_client: AADSTS7000215: ..." or
    // "token endpoint answered HTTP 500" (no secrets).
    QString message() const;
};

// Parses a token endpoint answer. httpStatus 0 = no HTTP answer (transportError
// says why). The access token must be a bearer token (token_type "Bearer",
// case-insensitive; a missing token_type is tolerated).
TokenResponse parseTokenResponse(int httpStatus, const QByteArray &body, const QString &transportError = {});

} // namespace rd::oauth

#pragma once
// Authorization code with PKCE (RFC 7636, method S256) and the pieces around
// it: random code verifiers and state values, the code challenge, and the
// authorization request URL (RFC 6749 4.1.1). Pure apart from the random
// source (OpenSSL RAND_bytes). The verifier is a secret until it is used.

#include <QByteArray>
#include <QString>
#include <QUrl>

namespace rd::oauth {

// base64url without padding (RFC 7636 Appendix A / RFC 7515 2).
QByteArray base64Url(const QByteArray &bytes);

// `bytes` random octets from the system CSPRNG as base64url; empty on failure
// (callers refuse to go on). 32 octets give a 43-character code verifier.
QByteArray randomToken(int bytes = 32);

// RFC 7636 4.2: BASE64URL(SHA256(ASCII(code_verifier))).
QByteArray codeChallengeS256(const QByteArray &codeVerifier);

// True for a verifier RFC 7636 4.1 allows: 43-128 characters of
// [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
bool validCodeVerifier(const QByteArray &codeVerifier);

struct AuthorizeRequest {
    QUrl authorizeEndpoint;
    QString clientId;
    QUrl redirectUri;       // http://127.0.0.1:<port>/ for the loopback listener
    QString scope;
    QByteArray state;       // randomToken(): checked when the browser comes back
    QByteArray codeChallenge;
    QString loginHint;      // optional: the mailbox, pre-filled on the sign-in page
    bool offlineAccess = false; // Google: access_type=offline and prompt=consent (to get a refresh token)
};

// The URL to open in the system browser: response_type=code, client_id,
// redirect_uri, scope, state, code_challenge, code_challenge_method=S256
// (and login_hint / access_type when given). Query values are percent-encoded.
QUrl authorizeUrl(const AuthorizeRequest &r);

} // namespace rd::oauth

#pragma once
// SASL messages for signing in with an OAuth 2.0 access token: XOAUTH2 (the
// Google/Microsoft mechanism) and OAUTHBEARER (RFC 7628). Pure functions: no
// state, no I/O. The token is a secret: callers never log these messages.

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace rd::oauth {

// XOAUTH2 initial client response, base64: "user=" user ^A "auth=Bearer " token ^A ^A.
QByteArray xoauth2InitialResponse(const QByteArray &user, const QByteArray &accessToken);

// OAUTHBEARER initial client response, base64 (RFC 7628 3.1): the GS2 header
// "n,a=<user>," (a= omitted when user is empty; ',' and '=' in the user are
// escaped as =2C / =3D, RFC 5801), then ^A host=<host> ^A port=<port> (each
// omitted when empty/0) ^A auth=Bearer <token> ^A ^A.
QByteArray oauthBearerInitialResponse(const QByteArray &user, const QByteArray &accessToken,
                                      const QByteArray &host = {}, quint16 port = 0);

// The client's reply to an error challenge: XOAUTH2 wants an empty line,
// OAUTHBEARER a single ^A (RFC 7628 3.2.3), both base64 ("" and "AQ==").
QByteArray xoauth2ErrorAck();
QByteArray oauthBearerErrorAck();

// What a 334 error challenge said: base64 of a JSON object such as
// {"status":"invalid_token","scope":"...","openid-configuration":"..."}
// (RFC 7628 3.2.2; XOAUTH2 uses the same shape with "status":"401").
struct BearerChallenge {
    bool valid = false;  // decoded and parsed as a JSON object
    QString status;
    QString scope;
    QString schemes;
    // "status=invalid_token scope=..." (printable ASCII only, bounded), for
    // error texts; "unreadable challenge" when !valid.
    QString summary() const;
};
// Lenient about missing base64 padding (servers omit it); never throws.
BearerChallenge parseBearerChallenge(QByteArrayView base64Text);

} // namespace rd::oauth

#include "oauth/tokenrequest.h"

#include "oauth/jwtassertion.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

namespace rd::oauth {

namespace {

void addField(QByteArray &body, const char *key, const QByteArray &value)
{
    if (!body.isEmpty())
        body += '&';
    body += key;
    body += '=';
    body += QUrl::toPercentEncoding(QString::fromUtf8(value));
}

QString printable(const QString &s, int max = 400)
{
    QString out;
    for (QChar c : s) {
        if (out.size() >= max) {
            out += QStringLiteral("...");
            break;
        }
        out += (c == QLatin1Char('\r') || c == QLatin1Char('\n') || c == QLatin1Char('\t')) ? QLatin1Char(' ')
            : c.isPrint()                                                                     ? c
                                                                                              : QLatin1Char('?');
    }
    return out.simplified();
}

} // namespace

TokenRequest buildTokenRequest(Grant grant, const OAuthSettings &s, const OAuthSecrets &secrets,
                               const QByteArray &code, const QString &redirectUri, const QByteArray &codeVerifier)
{
    TokenRequest r;
    r.grant = grant;
    r.endpoint = s.effectiveTokenEndpoint();
    if (r.endpoint.isEmpty()) {
        r.error = QStringLiteral("no token endpoint configured");
        return r;
    }
    QByteArray body;
    switch (grant) {
    case Grant::ClientCredentials:
        addField(body, "grant_type", "client_credentials");
        addField(body, "scope", s.effectiveScope().toUtf8());
        break;
    case Grant::AuthorizationCode:
        if (code.isEmpty() || codeVerifier.isEmpty()) {
            r.error = QStringLiteral("no authorization code to exchange");
            return r;
        }
        addField(body, "grant_type", "authorization_code");
        addField(body, "code", code);
        addField(body, "redirect_uri", redirectUri.toUtf8());
        addField(body, "code_verifier", codeVerifier);
        break;
    case Grant::RefreshToken:
        if (secrets.refreshToken.isEmpty()) {
            r.error = QStringLiteral("no refresh token stored: sign in to the mailbox first (Sign in in the "
                                     "connector dialog)");
            return r;
        }
        addField(body, "grant_type", "refresh_token");
        addField(body, "refresh_token", secrets.refreshToken.toUtf8());
        addField(body, "scope", s.effectiveScope().toUtf8());
        break;
    }
    addField(body, "client_id", s.clientId.toUtf8());
    if (s.clientAuth == QLatin1String("secret")) {
        if (secrets.clientSecret.isEmpty()) {
            r.error = QStringLiteral("no client secret stored for client %1").arg(s.clientId);
            return r;
        }
        addField(body, "client_secret", secrets.clientSecret.toUtf8());
    } else if (s.clientAuth == QLatin1String("certificate")) {
        ClientAssertionRequest a;
        a.clientId = s.clientId;
        a.audience = r.endpoint;
        a.privateKeyPem = secrets.privateKeyPem.toUtf8();
        a.certificatePem = s.certificatePem.toUtf8();
        a.algorithm = s.assertionAlg;
        const ClientAssertion jwt = makeClientAssertion(a);
        if (!jwt.ok()) {
            r.error = jwt.error;
            return r;
        }
        addField(body, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        addField(body, "client_assertion", jwt.jwt);
    }
    r.body = body;
    return r;
}

QString TokenResponse::message() const
{
    if (ok)
        return QString();
    if (!error.isEmpty()) {
        return errorDescription.isEmpty() ? QStringLiteral("token endpoint said %1").arg(error)
                                          : QStringLiteral("token endpoint said %1: %2").arg(error, errorDescription);
    }
    if (!errorDescription.isEmpty())
        return errorDescription;
    return QStringLiteral("token endpoint answered HTTP %1").arg(httpStatus);
}

TokenResponse parseTokenResponse(int httpStatus, const QByteArray &body, const QString &transportError)
{
    TokenResponse r;
    r.httpStatus = httpStatus;
    if (httpStatus == 0) {
        r.transient = true;
        r.errorDescription = QStringLiteral("token endpoint unreachable: %1")
                                 .arg(transportError.isEmpty() ? QStringLiteral("no answer") : printable(transportError));
        return r;
    }
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &perr);
    const QJsonObject o = doc.object();
    const bool json = perr.error == QJsonParseError::NoError && doc.isObject();
    if (json && o.value(QStringLiteral("error")).isString()) {
        r.error = printable(o.value(QStringLiteral("error")).toString(), 80);
        r.errorDescription = printable(o.value(QStringLiteral("error_description")).toString());
        r.transient = httpStatus >= 500 || httpStatus == 429 || r.error == QLatin1String("temporarily_unavailable");
        return r;
    }
    if (httpStatus < 200 || httpStatus >= 300 || !json) {
        r.transient = true;
        r.errorDescription = json || httpStatus != 200
            ? QStringLiteral("token endpoint answered HTTP %1").arg(httpStatus)
            : QStringLiteral("token endpoint answered HTTP %1 with something that is not JSON").arg(httpStatus);
        return r;
    }
    const QJsonValue token = o.value(QStringLiteral("access_token"));
    if (!token.isString() || token.toString().isEmpty()) {
        r.transient = true;
        r.errorDescription = QStringLiteral("token endpoint answered without an access_token");
        return r;
    }
    r.tokenType = o.value(QStringLiteral("token_type")).toString();
    if (!r.tokenType.isEmpty() && r.tokenType.compare(QLatin1String("bearer"), Qt::CaseInsensitive) != 0) {
        r.errorDescription = QStringLiteral("token endpoint issued a \"%1\" token, not a bearer token")
                                 .arg(printable(r.tokenType, 40));
        return r;
    }
    const QByteArray tok = token.toString().toUtf8();
    for (char c : tok) {
        if (uchar(c) < 0x21 || uchar(c) > 0x7e) { // RFC 6750 b64token: printable, no spaces
            r.errorDescription = QStringLiteral("token endpoint issued an access token with invalid characters");
            return r;
        }
    }
    const QJsonValue exp = o.value(QStringLiteral("expires_in"));
    // Some servers send expires_in as a string ("3599").
    r.expiresIn = exp.isDouble() ? qint64(exp.toDouble()) : exp.toString().toLongLong();
    if (r.expiresIn < 0)
        r.expiresIn = 0;
    r.accessToken = tok;
    r.refreshToken = o.value(QStringLiteral("refresh_token")).toString().toUtf8();
    r.scope = o.value(QStringLiteral("scope")).toString();
    r.ok = true;
    return r;
}

} // namespace rd::oauth

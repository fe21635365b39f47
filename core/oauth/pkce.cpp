#include "oauth/pkce.h"

#include <QCryptographicHash>
#include <QUrlQuery>

#include <openssl/rand.h>

namespace rd::oauth {

QByteArray base64Url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray randomToken(int bytes)
{
    if (bytes <= 0 || bytes > 1024)
        return {};
    QByteArray raw(bytes, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(raw.data()), bytes) != 1)
        return {};
    return base64Url(raw);
}

QByteArray codeChallengeS256(const QByteArray &codeVerifier)
{
    return base64Url(QCryptographicHash::hash(codeVerifier, QCryptographicHash::Sha256));
}

bool validCodeVerifier(const QByteArray &v)
{
    if (v.size() < 43 || v.size() > 128)
        return false;
    for (char c : v) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~';
        if (!ok)
            return false;
    }
    return true;
}

QUrl authorizeUrl(const AuthorizeRequest &r)
{
    QUrl url = r.authorizeEndpoint;
    QUrlQuery q(url);
    auto add = [&q](const QString &key, const QString &value) {
        // Encode everything but unreserved characters: '+' and ' ' are not the same in a query.
        q.addQueryItem(key, QString::fromLatin1(QUrl::toPercentEncoding(value)));
    };
    add(QStringLiteral("response_type"), QStringLiteral("code"));
    add(QStringLiteral("client_id"), r.clientId);
    add(QStringLiteral("redirect_uri"), r.redirectUri.toString(QUrl::FullyEncoded));
    add(QStringLiteral("scope"), r.scope);
    add(QStringLiteral("state"), QString::fromLatin1(r.state));
    add(QStringLiteral("code_challenge"), QString::fromLatin1(r.codeChallenge));
    add(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
    if (!r.loginHint.isEmpty())
        add(QStringLiteral("login_hint"), r.loginHint);
    if (r.offlineAccess) {
        add(QStringLiteral("access_type"), QStringLiteral("offline"));
        add(QStringLiteral("prompt"), QStringLiteral("consent"));
    }
    url.setQuery(q.query(QUrl::FullyEncoded), QUrl::StrictMode);
    return url;
}

} // namespace rd::oauth

#include "oauth/saslbearer.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace rd::oauth {

namespace {

constexpr char kSoh = '\x01';

// RFC 5801 saslname: "," and "=" escaped.
QByteArray gs2Escape(const QByteArray &s)
{
    QByteArray out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == ',')
            out += "=2C";
        else if (c == '=')
            out += "=3D";
        else
            out += c;
    }
    return out;
}

QString printableBounded(const QString &s, int max = 200)
{
    QString out;
    for (QChar c : s) {
        if (out.size() >= max) {
            out += QStringLiteral("...");
            break;
        }
        out += (c.unicode() >= 0x20 && c.unicode() < 0x7f) ? c : QLatin1Char('?');
    }
    return out;
}

} // namespace

QByteArray xoauth2InitialResponse(const QByteArray &user, const QByteArray &accessToken)
{
    const QByteArray raw = "user=" + user + kSoh + "auth=Bearer " + accessToken + kSoh + kSoh;
    return raw.toBase64();
}

QByteArray oauthBearerInitialResponse(const QByteArray &user, const QByteArray &accessToken, const QByteArray &host,
                                      quint16 port)
{
    QByteArray raw = "n,";
    if (!user.isEmpty())
        raw += "a=" + gs2Escape(user);
    raw += ',';
    if (!host.isEmpty())
        raw += kSoh + QByteArray("host=") + host;
    if (port != 0)
        raw += kSoh + QByteArray("port=") + QByteArray::number(port);
    raw += kSoh + QByteArray("auth=Bearer ") + accessToken + kSoh + kSoh;
    return raw.toBase64();
}

QByteArray xoauth2ErrorAck()
{
    return QByteArray();
}

QByteArray oauthBearerErrorAck()
{
    return QByteArray(1, kSoh).toBase64();
}

QString BearerChallenge::summary() const
{
    if (!valid)
        return QStringLiteral("unreadable challenge");
    QStringList parts;
    if (!status.isEmpty())
        parts << QStringLiteral("status=%1").arg(printableBounded(status));
    if (!scope.isEmpty())
        parts << QStringLiteral("scope=%1").arg(printableBounded(scope));
    if (!schemes.isEmpty())
        parts << QStringLiteral("schemes=%1").arg(printableBounded(schemes));
    return parts.isEmpty() ? QStringLiteral("no details") : parts.join(QLatin1Char(' '));
}

BearerChallenge parseBearerChallenge(QByteArrayView base64Text)
{
    BearerChallenge c;
    QByteArray text = base64Text.trimmed().toByteArray();
    while (text.size() % 4 != 0)
        text += '=';
    const auto decoded = QByteArray::fromBase64Encoding(text, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return c;
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(*decoded, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return c;
    const QJsonObject o = doc.object();
    c.valid = true;
    auto str = [&](const char *key) {
        const QJsonValue v = o.value(QLatin1String(key));
        return v.isString() ? v.toString() : v.isDouble() ? QString::number(v.toDouble()) : QString();
    };
    c.status = str("status");
    c.scope = str("scope");
    c.schemes = str("schemes");
    return c;
}

} // namespace rd::oauth

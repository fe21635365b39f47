#include "mime/mimecharset.h"

#include <QStringDecoder>

namespace rd::mime {

namespace {

QByteArray normalizedName(QByteArrayView charset)
{
    QByteArray name = charset.trimmed().toByteArray().toLower();
    if (name.size() >= 2 && (name.startsWith('"') || name.startsWith('\'')) && name.endsWith(name.at(0)))
        name = name.mid(1, name.size() - 2).trimmed();
    // RFC 2231 language suffix in RFC 2047 charsets: "utf-8*en".
    const qsizetype star = name.indexOf('*');
    if (star >= 0)
        name.truncate(star);
    return name;
}

bool isAsciiOrUtf8Label(const QByteArray &name)
{
    return name.isEmpty() || name == "us-ascii" || name == "ascii" || name == "utf-8" || name == "utf8"
        || name == "ansi_x3.4-1968" || name == "unknown-8bit" || name == "x-unknown";
}

bool plausibleName(const QByteArray &name)
{
    if (name.size() > 64)
        return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
            || c == ':' || c == '+';
        if (!ok)
            return false;
    }
    return true;
}

} // namespace

QString decodeUtf8OrLatin1(QByteArrayView bytes)
{
    bool ascii = true;
    for (char c : bytes) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            ascii = false;
            break;
        }
    }
    if (ascii)
        return QString::fromLatin1(bytes);
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = utf8(bytes);
    if (!utf8.hasError())
        return text;
    return QString::fromLatin1(bytes);
}

QString decodeCharset(QByteArrayView bytes, QByteArrayView charset, bool *unknownCharset)
{
    const QByteArray name = normalizedName(charset);
    if (isAsciiOrUtf8Label(name))
        return decodeUtf8OrLatin1(bytes);
    if (name == "iso-8859-1" || name == "latin1" || name == "iso_8859-1" || name == "l1")
        return QString::fromLatin1(bytes);
    if (plausibleName(name)) {
        QStringDecoder decoder(name.constData(), QStringDecoder::Flag::Stateless);
        if (decoder.isValid())
            return decoder(bytes);
    }
    if (unknownCharset)
        *unknownCharset = true;
    return QString::fromLatin1(bytes);
}

} // namespace rd::mime

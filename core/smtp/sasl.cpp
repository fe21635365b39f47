#include "smtp/sasl.h"

namespace rd::smtp {

std::optional<QByteArray> decodeSaslBase64(QByteArrayView text)
{
    if (text == "=")
        return QByteArray();
    if (text.isEmpty() || text.size() % 4 != 0)
        return std::nullopt;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (alnum || c == '+' || c == '/')
            continue;
        // '=' only as padding at the very end.
        if (c == '=' && i >= text.size() - 2 && (i == text.size() - 1 || text[text.size() - 1] == '='))
            continue;
        return std::nullopt;
    }
    auto r = QByteArray::fromBase64Encoding(text.toByteArray(), QByteArray::AbortOnBase64DecodingErrors);
    if (!r)
        return std::nullopt;
    return *r;
}

std::optional<SaslCredentials> parsePlain(QByteArrayView decoded)
{
    const qsizetype first = decoded.indexOf('\0');
    if (first < 0)
        return std::nullopt;
    const qsizetype second = decoded.indexOf('\0', first + 1);
    if (second < 0 || decoded.indexOf('\0', second + 1) >= 0)
        return std::nullopt;
    SaslCredentials c;
    c.authzid = decoded.first(first).toByteArray();
    c.user = decoded.sliced(first + 1, second - first - 1).toByteArray();
    c.password = decoded.sliced(second + 1).toByteArray();
    if (c.user.isEmpty() || c.password.isEmpty() || c.user.size() > 255 || c.password.size() > 255
        || c.authzid.size() > 255)
        return std::nullopt;
    return c;
}

} // namespace rd::smtp

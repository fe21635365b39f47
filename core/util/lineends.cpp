#include "util/lineends.h"

namespace rd::util {

QByteArray toCrlf(QByteArrayView data)
{
    QByteArray out;
    out.reserve(data.size() + data.size() / 32 + 2);
    const qsizetype n = data.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char c = data[i];
        if (c == '\r') {
            out += "\r\n";
            if (i + 1 < n && data[i + 1] == '\n')
                ++i;
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    if (!out.isEmpty() && !out.endsWith("\r\n"))
        out += "\r\n";
    return out;
}

} // namespace rd::util

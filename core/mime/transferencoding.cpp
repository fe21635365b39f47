#include "mime/transferencoding.h"

#include <cstring>
#include "util/textchars.h"

namespace rd::mime {

namespace {
using util::hexDigitValue;
using util::isWsp;

int base64Value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

void setFlag(bool *flag)
{
    if (flag)
        *flag = true;
}

} // namespace

QByteArray decodeBase64(QByteArrayView in, bool *defect)
{
    QByteArray out(in.size() / 4 * 3 + 3, Qt::Uninitialized);
    char *w = out.data();
    quint32 acc = 0;
    int bits = 0;
    int sextets = 0; // in the current quantum
    bool bad = false;
    for (char c : in) {
        const int v = base64Value(c);
        if (v >= 0) {
            acc = (acc << 6) | quint32(v);
            bits += 6;
            sextets = (sextets + 1) & 3;
            if (bits >= 8) {
                bits -= 8;
                *w++ = char((acc >> bits) & 0xff);
            }
            continue;
        }
        if (c == '=') {
            bad = bad || sextets == 1; // six bits cannot make a byte
            acc = 0;
            bits = 0;
            sextets = 0;
            continue;
        }
        bad = bad || (c != '\r' && c != '\n' && !isWsp(c));
    }
    bad = bad || sextets == 1;
    if (bad)
        setFlag(defect);
    out.truncate(w - out.constData());
    return out;
}

QByteArray decodeQuotedPrintable(QByteArrayView in, bool *defect)
{
    // The output is never longer than the input.
    QByteArray out(in.size(), Qt::Uninitialized);
    char *w = out.data();
    const char *p = in.data();
    const qsizetype n = in.size();
    bool bad = false;
    qsizetype lineStart = 0;
    while (lineStart < n) {
        const void *nl = std::memchr(p + lineStart, '\n', size_t(n - lineStart));
        const qsizetype lineEnd = nl ? static_cast<const char *>(nl) - p : n;
        const bool hasBreak = nl != nullptr;
        const bool crlf = hasBreak && lineEnd > lineStart && p[lineEnd - 1] == '\r';
        qsizetype contentEnd = crlf ? lineEnd - 1 : lineEnd;
        // Trailing whitespace is transport padding (RFC 2045 6.7 rule 3).
        while (contentEnd > lineStart && isWsp(p[contentEnd - 1]))
            --contentEnd;
        bool soft = false;
        for (qsizetype i = lineStart; i < contentEnd; ++i) {
            const char c = p[i];
            if (c != '=') {
                *w++ = c;
                continue;
            }
            if (i + 1 == contentEnd) {
                soft = true; // "=" at the end of the line: a soft line break
                break;
            }
            const int hi = i + 2 < contentEnd ? hexDigitValue(p[i + 1]) : -1;
            const int lo = i + 2 < contentEnd ? hexDigitValue(p[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                *w++ = char(hi * 16 + lo);
                i += 2;
            } else {
                bad = true;
                *w++ = c;
            }
        }
        if (hasBreak && !soft) {
            if (crlf)
                *w++ = '\r';
            *w++ = '\n';
        }
        lineStart = hasBreak ? lineEnd + 1 : n;
    }
    if (bad)
        setFlag(defect);
    out.truncate(w - out.constData());
    return out;
}

QByteArray decodeQEncoding(QByteArrayView in, bool *defect)
{
    QByteArray out;
    out.reserve(in.size());
    for (qsizetype i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '_') {
            out.append(' ');
        } else if (c == '=') {
            const int hi = i + 2 < in.size() ? hexDigitValue(in[i + 1]) : -1;
            const int lo = i + 2 < in.size() ? hexDigitValue(in[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                out.append(char(hi * 16 + lo));
                i += 2;
            } else {
                setFlag(defect);
                out.append(c);
            }
        } else {
            out.append(c);
        }
    }
    return out;
}

QByteArray decodeTransferEncoding(QByteArrayView in, QByteArrayView encoding, bool *defect)
{
    const QByteArray name = encoding.trimmed().toByteArray().toLower();
    if (name == "base64")
        return decodeBase64(in, defect);
    if (name == "quoted-printable")
        return decodeQuotedPrintable(in, defect);
    if (!(name.isEmpty() || name == "7bit" || name == "8bit" || name == "binary"))
        setFlag(defect);
    return in.toByteArray();
}

} // namespace rd::mime

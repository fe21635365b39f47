#include "mime/mimeheaders.h"

#include "mime/encodedwords.h"
#include "mime/mimecharset.h"

#include <map>
#include "util/textchars.h"

namespace rd::mime {

namespace {
using util::hexDigitValue;
using util::isFwsChar;

// RFC 2231 continuations accepted per parameter (segment numbers 0..N-1).
constexpr int kMaxSegments = 1000;

bool isTspecial(char c)
{
    switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':':
    case '\\': case '"': case '/': case '[': case ']': case '?': case '=':
        return true;
    default:
        return false;
    }
}

bool isTokenChar(char c)
{
    const auto u = static_cast<unsigned char>(c);
    return u > 32 && u < 127 && !isTspecial(c);
}

// Skips whitespace and (nested) comments from `i`.
qsizetype skipCfws(QByteArrayView v, qsizetype i)
{
    const qsizetype n = v.size();
    while (i < n) {
        if (isFwsChar(v[i])) {
            ++i;
        } else if (v[i] == '(') {
            int depth = 0;
            while (i < n) {
                if (v[i] == '\\')
                    ++i;
                else if (v[i] == '(')
                    ++depth;
                else if (v[i] == ')' && --depth == 0)
                    break;
                ++i;
            }
            if (i < n)
                ++i;
        } else {
            break;
        }
    }
    return qMin(i, n);
}

qsizetype readToken(QByteArrayView v, qsizetype i, QByteArray *out)
{
    const qsizetype start = i;
    while (i < v.size() && isTokenChar(v[i]))
        ++i;
    *out = v.sliced(start, i - start).toByteArray().toLower();
    return i;
}

struct RawParam {
    QByteArray name;  // lower case, as written (with '*' suffixes)
    QByteArray value; // unquoted bytes
};

QByteArray percentDecode(QByteArrayView in)
{
    QByteArray out;
    out.reserve(in.size());
    for (qsizetype i = 0; i < in.size(); ++i) {
        const int hi = in[i] == '%' && i + 2 < in.size() ? hexDigitValue(in[i + 1]) : -1;
        const int lo = hi >= 0 ? hexDigitValue(in[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
            out.append(char(hi * 16 + lo));
            i += 2;
        } else {
            out.append(in[i]);
        }
    }
    return out;
}

QString decodePlain(const QByteArray &bytes)
{
    if (bytes.contains("=?"))
        return decodeHeaderText(bytes);
    return decodeUtf8OrLatin1(bytes);
}

// Splits "charset'language'text"; false when the two quotes are missing.
bool splitExtended(const QByteArray &v, QByteArray *charset, QByteArrayView *text)
{
    const qsizetype q1 = v.indexOf('\'');
    const qsizetype q2 = q1 >= 0 ? v.indexOf('\'', q1 + 1) : -1;
    if (q2 < 0)
        return false;
    *charset = v.left(q1);
    *text = QByteArrayView(v).sliced(q2 + 1);
    return true;
}

// Parameter name suffixes: "name*" (extended), "name*N", "name*N*".
struct NameParts {
    QByteArray base;
    int segment = -1;  // -1: not a continuation
    bool encoded = false;
};

NameParts splitName(const QByteArray &name)
{
    NameParts p;
    const qsizetype star = name.indexOf('*');
    if (star <= 0) {
        p.base = name;
        return p;
    }
    p.base = name.left(star);
    QByteArray rest = name.mid(star + 1);
    if (rest.isEmpty()) {
        p.encoded = true;
        return p;
    }
    if (rest.endsWith('*')) {
        p.encoded = true;
        rest.chop(1);
    }
    bool ok = false;
    const int n = rest.size() <= 4 ? rest.toInt(&ok) : -1;
    if (!ok || n < 0 || n >= kMaxSegments || (rest.size() > 1 && rest.startsWith('0'))) {
        p.base = name; // not RFC 2231: keep the name as written
        p.encoded = false;
        return p;
    }
    p.segment = n;
    return p;
}

struct Assembly {
    QList<QByteArray> plain;                               // "name=" values
    bool hasExtended = false;
    QByteArray extended;                                   // "name*=" value
    std::map<int, std::pair<QByteArray, bool>> segments;  // N -> (value, encoded)
};

QList<MimeParam> assemble(const QList<RawParam> &raw, QStringList *defects)
{
    QList<QByteArray> order;
    std::map<QByteArray, Assembly> groups;
    for (const RawParam &r : raw) {
        const NameParts p = splitName(r.name);
        if (!groups.count(p.base))
            order.append(p.base);
        Assembly &a = groups[p.base];
        if (p.segment >= 0) {
            if (a.segments.count(p.segment))
                defects->append(QStringLiteral("duplicate parameter section %1").arg(QString::fromLatin1(r.name)));
            else
                a.segments[p.segment] = {r.value, p.encoded};
        } else if (p.encoded) {
            if (!a.hasExtended) {
                a.hasExtended = true;
                a.extended = r.value;
            }
        } else {
            a.plain.append(r.value);
        }
    }
    QList<MimeParam> out;
    for (const QByteArray &base : order) {
        const Assembly &a = groups[base];
        if (a.hasExtended) {
            QByteArray charset;
            QByteArrayView text;
            bool unknown = false;
            if (splitExtended(a.extended, &charset, &text)) {
                const QByteArray bytes = percentDecode(text);
                out.append({base, decodeCharset(bytes, charset, &unknown), true, bytes});
            } else {
                defects->append(QStringLiteral("parameter %1* without charset'language'").arg(QString::fromLatin1(base)));
                const QByteArray bytes = percentDecode(a.extended);
                out.append({base, decodeUtf8OrLatin1(bytes), true, bytes});
            }
            if (unknown)
                defects->append(QStringLiteral("unknown charset %1").arg(QString::fromLatin1(charset)));
        } else if (!a.segments.empty()) {
            QByteArray bytes;
            QByteArray charset;
            int expect = 0;
            for (const auto &[n, seg] : a.segments) {
                if (n != expect) {
                    defects->append(QStringLiteral("parameter %1: section %2 missing")
                                        .arg(QString::fromLatin1(base)).arg(expect));
                    break;
                }
                ++expect;
                if (!seg.second) {
                    bytes += seg.first;
                    continue;
                }
                QByteArrayView text = seg.first;
                if (n == 0 && !splitExtended(seg.first, &charset, &text))
                    defects->append(QStringLiteral("parameter %1*0* without charset'language'").arg(QString::fromLatin1(base)));
                bytes += percentDecode(text);
            }
            bool unknown = false;
            out.append({base, charset.isEmpty() ? decodeUtf8OrLatin1(bytes) : decodeCharset(bytes, charset, &unknown), true, bytes});
            if (unknown)
                defects->append(QStringLiteral("unknown charset %1").arg(QString::fromLatin1(charset)));
        }
        for (const QByteArray &v : a.plain)
            out.append({base, decodePlain(v), false, v});
    }
    return out;
}

// Drops a trailing RFC 822 comment from an unquoted value: "us-ascii (plain)".
QByteArray stripTrailingComment(QByteArray v)
{
    if (!v.endsWith(')'))
        return v;
    const qsizetype open = v.lastIndexOf(" (");
    if (open > 0)
        v = v.left(open).trimmed();
    return v;
}

} // namespace

StructuredValue parseStructuredValue(QByteArrayView v, bool isContentType)
{
    StructuredValue out;
    const qsizetype n = v.size();
    qsizetype i = skipCfws(v, 0);
    QByteArray first;
    i = readToken(v, i, &first);
    if (isContentType) {
        const qsizetype afterType = skipCfws(v, i);
        QByteArray sub;
        if (!first.isEmpty() && afterType < n && v[afterType] == '/') {
            i = readToken(v, skipCfws(v, afterType + 1), &sub);
        }
        if (first.isEmpty() || sub.isEmpty())
            out.defects.append(QStringLiteral("invalid content type \"%1\"").arg(decodeUtf8OrLatin1(v.first(qMin<qsizetype>(n, 80)))));
        else
            out.value = first + '/' + sub;
    } else {
        out.value = first;
        if (first.isEmpty())
            out.defects.append(QStringLiteral("missing disposition type"));
    }
    QList<RawParam> raw;
    while (i < n) {
        i = skipCfws(v, i);
        if (i >= n)
            break;
        if (v[i] != ';') {
            out.defects.append(QStringLiteral("unexpected text in a parameter list"));
            while (i < n && v[i] != ';') {
                if (v[i] == '"') { // skip a quoted string whole
                    for (++i; i < n && v[i] != '"'; ++i) {
                        if (v[i] == '\\')
                            ++i;
                    }
                }
                if (i < n)
                    ++i;
            }
            continue;
        }
        i = skipCfws(v, i + 1);
        const qsizetype nameStart = i;
        while (i < n && v[i] != '=' && v[i] != ';' && !isFwsChar(v[i]) && v[i] != '(')
            ++i;
        const QByteArray name = v.sliced(nameStart, i - nameStart).toByteArray().toLower();
        i = skipCfws(v, i);
        if (name.isEmpty())
            continue;
        if (i >= n || v[i] != '=') {
            out.defects.append(QStringLiteral("parameter %1 without a value").arg(decodeUtf8OrLatin1(name)));
            continue;
        }
        i = skipCfws(v, i + 1);
        QByteArray value;
        if (i < n && v[i] == '"') {
            ++i;
            while (i < n && v[i] != '"') {
                if (v[i] == '\\' && i + 1 < n)
                    ++i;
                value.append(v[i]);
                ++i;
            }
            if (i >= n)
                out.defects.append(QStringLiteral("unterminated quoted string in parameter %1").arg(decodeUtf8OrLatin1(name)));
            else
                ++i;
        } else {
            const qsizetype start = i;
            while (i < n && v[i] != ';')
                ++i;
            value = stripTrailingComment(v.sliced(start, i - start).toByteArray().trimmed());
        }
        raw.append({name, value});
    }
    out.params = assemble(raw, &out.defects);
    return out;
}

QString paramValue(const QList<MimeParam> &params, QByteArrayView name)
{
    for (const MimeParam &p : params) {
        if (p.name == name)
            return p.value;
    }
    return QString();
}

bool isFieldName(QByteArrayView name)
{
    if (name.isEmpty())
        return false;
    for (char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 32 || u >= 127 || c == ':')
            return false;
    }
    return true;
}

} // namespace rd::mime

#include "smtp/clientreply.h"

#include <cstring>

namespace rd::smtp {
namespace clientreply {

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

ServerReply localReply(int code, QByteArrayView enhanced, QByteArrayView text)
{
    ServerReply r;
    r.code = code;
    r.enhanced = enhanced.toByteArray();
    r.text = text.toByteArray();
    r.local = true;
    return r;
}

// Calls f(line) for each line of a reply block (LF-terminated, CR stripped).
template<typename F>
static void forEachLine(QByteArrayView block, F &&f)
{
    const char *p = block.data();
    const char *end = p + block.size();
    while (p < end) {
        const char *nl = static_cast<const char *>(std::memchr(p, '\n', size_t(end - p)));
        const char *lineEnd = nl ? nl : end;
        const char *textEnd = (lineEnd > p && lineEnd[-1] == '\r') ? lineEnd - 1 : lineEnd;
        f(QByteArrayView(p, textEnd - p));
        p = nl ? nl + 1 : end;
    }
}

// Length of an RFC 3463 code ("5.1.1") of class `cls` at the start of s,
// followed by a space or the end; 0 if there is none.
static qsizetype enhancedCodeLength(QByteArrayView s, char cls)
{
    if (s.size() < 5 || s[0] != cls || s[1] != '.')
        return 0;
    qsizetype i = 2;
    for (int part = 0; part < 2; ++part) {
        const qsizetype start = i;
        while (i < s.size() && i - start < 3 && isDigit(s[i]))
            ++i;
        if (i == start)
            return 0;
        if (part == 0) {
            if (i >= s.size() || s[i] != '.')
                return 0;
            ++i;
        }
    }
    return (i == s.size() || s[i] == ' ') ? i : 0;
}

// The text after "NNN " / "NNN-" of one reply line.
static QByteArrayView lineText(QByteArrayView line)
{
    return line.size() > 4 ? line.sliced(4) : QByteArrayView();
}

ServerReply parseReply(QByteArrayView block)
{
    ServerReply r;
    r.code = (block[0] - '0') * 100 + (block[1] - '0') * 10 + (block[2] - '0');
    const char cls = char('0' + r.code / 100);
    bool first = true;
    forEachLine(block, [&](QByteArrayView line) {
        QByteArrayView t = lineText(line);
        const qsizetype e = enhancedCodeLength(t, cls);
        if (first && e > 0)
            r.enhanced = t.first(e).toByteArray();
        first = false;
        if (e > 0)
            t = t.sliced(e);
        t = t.trimmed();
        if (t.isEmpty())
            return;
        if (!r.text.isEmpty())
            r.text += ' ';
        r.text += t;
    });
    return r;
}

QByteArray firstWord(QByteArrayView text)
{
    text = text.trimmed();
    qsizetype i = 0;
    while (i < text.size() && text[i] != ' ')
        ++i;
    return text.first(i).toByteArray();
}

static qint64 parseDecimal(QByteArrayView s)
{
    qint64 n = 0;
    for (char c : s) {
        if (!isDigit(c) || n > (Q_INT64_C(1) << 58))
            return 0;
        n = n * 10 + (c - '0');
    }
    return n;
}

void parseCapabilities(QByteArrayView block, ServerCapabilities &caps)
{
    caps = ServerCapabilities();
    caps.esmtp = true;
    bool first = true;
    forEachLine(block, [&](QByteArrayView line) {
        const QByteArrayView t = lineText(line).trimmed();
        if (first) {
            first = false;
            caps.serverName = firstWord(t);
            return;
        }
        qsizetype k = 0;
        while (k < t.size() && t[k] != ' ' && t[k] != '=')
            ++k;
        if (k == 0)
            return;
        const QByteArray keyword = t.first(k).toByteArray().toUpper();
        const QByteArrayView args = k < t.size() ? t.sliced(k + 1).trimmed() : QByteArrayView();
        caps.keywords.append(keyword);
        if (keyword == "PIPELINING") {
            caps.pipelining = true;
        } else if (keyword == "SIZE") {
            caps.sizeSupported = true;
            caps.sizeLimit = parseDecimal(args);
        } else if (keyword == "8BITMIME") {
            caps.eightBitMime = true;
        } else if (keyword == "SMTPUTF8") {
            caps.smtpUtf8 = true;
        } else if (keyword == "STARTTLS") {
            caps.startTls = true;
        } else if (keyword == "ENHANCEDSTATUSCODES") {
            caps.enhancedStatusCodes = true;
        } else if (keyword == "AUTH") {
            qsizetype i = 0;
            while (i < args.size()) {
                while (i < args.size() && args[i] == ' ')
                    ++i;
                const qsizetype start = i;
                while (i < args.size() && args[i] != ' ')
                    ++i;
                if (i > start) {
                    const QByteArray mech = args.sliced(start, i - start).toByteArray().toUpper();
                    if (!caps.authMechanisms.contains(mech))
                        caps.authMechanisms.append(mech);
                }
            }
        }
    });
}

bool usableAddress(QByteArrayView a)
{
    for (char c : a) {
        if (c == '\r' || c == '\n' || c == '\0')
            return false;
    }
    return true;
}

QByteArray printable(QByteArrayView s)
{
    QByteArray out = s.first(qMin<qsizetype>(s.size(), 80)).toByteArray();
    for (char &c : out) {
        if (uchar(c) < 0x20 || uchar(c) > 0x7e)
            c = '?';
    }
    return out;
}


} // namespace clientreply

QByteArray ServerReply::toString() const
{
    QByteArray s;
    if (code > 0)
        s = QByteArray::number(code);
    for (const QByteArray *part : {&enhanced, &text}) {
        if (part->isEmpty())
            continue;
        if (!s.isEmpty())
            s += ' ';
        s += *part;
    }
    return s;
}

const ServerReply &MessageResult::outcome(qsizetype i) const
{
    if (i >= 0 && i < rcpts.size() && !rcpts[i].reply.success())
        return rcpts[i].reply;
    return reply;
}

} // namespace rd::smtp

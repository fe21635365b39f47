#include "mailauth/spfmacro.h"

#include <QByteArray>
#include <QStringList>

#include <algorithm>
#include "util/errorout.h"
#include "util/textchars.h"

namespace rd::mailauth {

namespace {
using util::isAsciiAlnum;
using util::isAsciiAlpha;
using util::fail;

constexpr int kMaxDigits = 128; // more parts than any domain name has

bool isMacroLetter(char c)
{
    return QByteArrayView("slodiphcrtv").contains(c);
}

bool isExpOnlyLetter(char c)
{
    return c == 'c' || c == 'r' || c == 't';
}

bool isDelimiter(QChar c)
{
    return QStringView(u".-+,/_=").contains(c);
}

QString describeChar(QChar c)
{
    if (c.unicode() > 0x20 && c.unicode() < 0x7f)
        return QStringLiteral("'%1'").arg(c);
    return QStringLiteral("U+")
        + QString::number(c.unicode(), 16).toUpper().rightJustified(4, QLatin1Char('0'));
}

QString letterValue(char letter, const SpfMacroContext &ctx)
{
    switch (letter) {
    case 's': return ctx.sender;
    case 'l': return ctx.localPart;
    case 'o': return ctx.senderDomain;
    case 'd': return ctx.domain;
    case 'i': return ctx.ip;
    case 'p': return ctx.validatedName.isEmpty() ? QStringLiteral("unknown") : ctx.validatedName;
    case 'v': return ctx.ipv6 ? QStringLiteral("ip6") : QStringLiteral("in-addr");
    case 'h': return ctx.helo;
    case 'c': return ctx.clientIp;
    case 'r': return ctx.receiver.isEmpty() ? QStringLiteral("unknown") : ctx.receiver;
    case 't': return QString::number(ctx.timestamp);
    default: return QString();
    }
}

QString expandOne(const SpfMacroToken &t, const SpfMacroContext &ctx)
{
    QString value = letterValue(t.letter, ctx);
    if (t.digits > 0 || t.reverse || !t.delimiters.isEmpty()) {
        const QString delims = t.delimiters.isEmpty() ? QStringLiteral(".") : t.delimiters;
        QStringList parts;
        QString cur;
        for (QChar c : std::as_const(value)) {
            if (delims.contains(c)) {
                parts.append(cur);
                cur.clear();
            } else {
                cur.append(c);
            }
        }
        parts.append(cur);
        if (t.reverse)
            std::reverse(parts.begin(), parts.end());
        if (t.digits > 0 && t.digits < parts.size())
            parts = parts.mid(parts.size() - t.digits);
        value = parts.join(QLatin1Char('.'));
    }
    if (t.urlEscape) // RFC 3986 unreserved characters stay, the rest is %XX (UTF-8)
        value = QString::fromLatin1(value.toUtf8().toPercentEncoding());
    return value;
}

} // namespace

std::optional<SpfMacroString> parseSpfMacroString(QStringView text, SpfMacroMode mode,
                                                  QString *error)
{
    SpfMacroString out;
    out.source = text.toString();
    QString literal;
    const auto flush = [&] {
        if (!literal.isEmpty()) {
            SpfMacroToken t;
            t.text = literal;
            out.tokens.append(t);
            literal.clear();
        }
    };
    const qsizetype n = text.size();
    qsizetype i = 0;
    while (i < n) {
        const QChar c = text[i];
        if (c != u'%') {
            const char16_t u = c.unicode();
            const bool ok = mode == SpfMacroMode::Explanation ? (u >= 0x20 && u < 0x7f)
                                                              : (u > 0x20 && u < 0x7f);
            if (!ok) {
                fail(error, QStringLiteral("character %1 not allowed at offset %2")
                                .arg(describeChar(c))
                                .arg(i));
                return std::nullopt;
            }
            literal.append(c);
            ++i;
            continue;
        }
        if (i + 1 >= n) {
            fail(error, QStringLiteral("'%' at the end of \"%1\"").arg(out.source));
            return std::nullopt;
        }
        const QChar d = text[i + 1];
        if (d == u'%' || d == u'_' || d == u'-') {
            literal.append(d == u'%' ? QStringLiteral("%")
                                     : d == u'_' ? QStringLiteral(" ") : QStringLiteral("%20"));
            i += 2;
            out.literalTailStart = i;
            continue;
        }
        if (d != u'{') {
            fail(error, QStringLiteral("bad macro '%%1' at offset %2 (use %%%% for a percent sign)")
                            .arg(d.unicode() > 0x20 && d.unicode() < 0x7f ? QString(d)
                                                                         : describeChar(d))
                            .arg(i));
            return std::nullopt;
        }
        const qsizetype close = text.indexOf(u'}', i + 2);
        if (close < 0) {
            fail(error, QStringLiteral("macro at offset %1 has no closing '}'").arg(i));
            return std::nullopt;
        }
        const QStringView body = text.mid(i + 2, close - i - 2);
        const QString shown = text.mid(i, close - i + 1).toString();
        if (body.isEmpty()) {
            fail(error, QStringLiteral("empty macro '%{}' at offset %1").arg(i));
            return std::nullopt;
        }
        SpfMacroToken t;
        t.kind = SpfMacroToken::Macro;
        const QChar lc = body[0];
        const char letter = lc.unicode() < 0x80 ? char(lc.toLower().unicode()) : 0;
        if (!isMacroLetter(letter)) {
            fail(error, QStringLiteral("unknown macro letter in '%1'").arg(shown));
            return std::nullopt;
        }
        if (mode == SpfMacroMode::DomainSpec && isExpOnlyLetter(letter)) {
            fail(error, QStringLiteral("macro '%1': letter '%2' is allowed only in explanation "
                                       "text")
                            .arg(shown, QChar::fromLatin1(letter)));
            return std::nullopt;
        }
        t.letter = letter;
        t.urlEscape = lc.isUpper();
        qsizetype j = 1;
        qint64 digits = 0;
        bool hasDigits = false;
        while (j < body.size() && body[j] >= u'0' && body[j] <= u'9') {
            digits = std::min<qint64>(digits * 10 + (body[j].unicode() - u'0'), 1000000);
            hasDigits = true;
            ++j;
        }
        if (hasDigits && digits == 0) {
            fail(error, QStringLiteral("macro '%1': the number of parts must not be 0").arg(shown));
            return std::nullopt;
        }
        t.digits = int(std::min<qint64>(digits, kMaxDigits));
        if (j < body.size() && (body[j] == u'r' || body[j] == u'R')) {
            t.reverse = true;
            ++j;
        }
        for (; j < body.size(); ++j) {
            if (!isDelimiter(body[j])) {
                fail(error, QStringLiteral("macro '%1': %2 is not a delimiter (.-+,/_=)")
                                .arg(shown, describeChar(body[j])));
                return std::nullopt;
            }
            if (!t.delimiters.contains(body[j]))
                t.delimiters.append(body[j]);
        }
        if (letter == 'p')
            out.usesP = true;
        flush();
        out.tokens.append(t);
        i = close + 1;
        out.literalTailStart = i;
    }
    flush();
    return out;
}

QString expandSpfMacros(const SpfMacroString &macro, const SpfMacroContext &ctx)
{
    QString out;
    for (const SpfMacroToken &t : macro.tokens)
        out += t.kind == SpfMacroToken::Literal ? t.text : expandOne(t, ctx);
    return out;
}

QString expandSpfDomain(const SpfMacroString &macro, const SpfMacroContext &ctx)
{
    QString out = expandSpfMacros(macro, ctx);
    if (out.endsWith(QLatin1Char('.')))
        out.chop(1);
    while (out.size() > 253) {
        const qsizetype dot = out.indexOf(QLatin1Char('.'));
        if (dot < 0)
            break;
        out.remove(0, dot + 1);
    }
    return out;
}

bool isValidSpfDomainSpec(const SpfMacroString &spec, QString *error)
{
    if (spec.source.isEmpty())
        return fail(error, QStringLiteral("empty domain"));
    QStringView tail = QStringView(spec.source).mid(spec.literalTailStart);
    if (tail.isEmpty())
        return true; // ends with a macro expansion
    if (tail.endsWith(u'.'))
        tail.chop(1);
    const qsizetype dot = tail.lastIndexOf(u'.');
    const QStringView top = dot < 0 ? QStringView() : tail.mid(dot + 1);
    bool ok = !top.isEmpty();
    if (ok && top.contains(u'-')) {
        ok = isAsciiAlnum(top.front()) && isAsciiAlnum(top.back())
            && std::all_of(top.begin(), top.end(), [](QChar c) { return isAsciiAlnum(c) || c == u'-'; });
    } else if (ok) {
        ok = std::all_of(top.begin(), top.end(), [](QChar c) { return util::isAsciiAlnum(c); })
            && std::any_of(top.begin(), top.end(), [](QChar c) { return util::isAsciiAlpha(c); });
    }
    if (!ok) {
        return fail(error, QStringLiteral("\"%1\" is not a valid domain (it must end in a "
                                          "top-level label such as \".com\")")
                               .arg(spec.source));
    }
    return true;
}

} // namespace rd::mailauth

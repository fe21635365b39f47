#pragma once
// Character classes of the mail grammars (RFC 5234 core rules, ASCII only: a byte
// outside ASCII is never a letter or digit here, whatever the locale).

#include <QByteArray>
#include <QChar>

namespace rd::util {

// WSP: space or horizontal tab.
constexpr bool isWsp(char c) { return c == ' ' || c == '\t'; }
// A byte of folding white space as it appears in unfolded or raw header text: WSP, CR or LF.
constexpr bool isFwsChar(char c) { return isWsp(c) || c == '\r' || c == '\n'; }
constexpr bool isAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool isAsciiDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool isAsciiAlnum(char c) { return isAsciiAlpha(c) || isAsciiDigit(c); }
// 0..15 for a hex digit (either case), else -1.
constexpr int hexDigitValue(char c)
{
    return isAsciiDigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

// The same for UTF-16 text (a QChar outside ASCII is none of these).
constexpr bool isAsciiAlpha(QChar c) { return c.unicode() < 0x80 && isAsciiAlpha(char(c.unicode())); }
constexpr bool isAsciiDigit(QChar c) { return c.unicode() < 0x80 && isAsciiDigit(char(c.unicode())); }
constexpr bool isAsciiAlnum(QChar c) { return c.unicode() < 0x80 && isAsciiAlnum(char(c.unicode())); }
constexpr int hexDigitValue(QChar c) { return c.unicode() < 0x80 ? hexDigitValue(char(c.unicode())) : -1; }

// A copy with A-Z turned into a-z; every other byte stays.
inline QByteArray asciiLower(QByteArray s)
{
    for (char &c : s) {
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    }
    return s;
}

} // namespace rd::util

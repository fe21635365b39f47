#include "smtp/parser.h"

#include <cstring>

namespace rd::smtp {

namespace {

constexpr qsizetype kMaxPath = 256;      // RFC 5321 4.5.3.1.3, including "<" and ">"
constexpr qsizetype kMaxLocalPart = 64;  // RFC 5321 4.5.3.1.1
constexpr qsizetype kMaxDomain = 255;    // RFC 5321 4.5.3.1.2
constexpr qsizetype kMaxLabel = 63;      // RFC 1035 2.3.4

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlnum(char c) { return isAlpha(c) || isDigit(c); }
bool isHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char toUpper(char c) { return (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c; }
char toLower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool equalsIgnoreCase(QByteArrayView a, const char *b)
{
    const auto n = qsizetype(std::strlen(b));
    if (a.size() != n)
        return false;
    for (qsizetype i = 0; i < n; ++i) {
        if (toUpper(a[i]) != toUpper(b[i]))
            return false;
    }
    return true;
}

bool startsWithIgnoreCase(QByteArrayView a, const char *prefix)
{
    const auto n = qsizetype(std::strlen(prefix));
    return a.size() >= n && equalsIgnoreCase(a.first(n), prefix);
}

// atext of RFC 5322 3.2.3, as used by RFC 5321 Atom.
bool isAtext(char c)
{
    if (isAlnum(c))
        return true;
    return c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

bool isWsp(char c) { return c == ' ' || c == '\t'; }

QByteArrayView trimmed(QByteArrayView v)
{
    while (!v.isEmpty() && isWsp(v.front()))
        v = v.sliced(1);
    while (!v.isEmpty() && isWsp(v.back()))
        v.chop(1);
    return v;
}

// ---- domains -------------------------------------------------------------

bool isLabelChar(char c, bool allowUnderscore)
{
    return isAlnum(c) || c == '-' || (allowUnderscore && c == '_');
}

bool isValidDotAtomDomain(QByteArrayView d, bool lenient)
{
    if (lenient && d.endsWith('.'))
        d.chop(1);
    if (d.isEmpty() || d.size() > kMaxDomain)
        return false;
    qsizetype labelStart = 0;
    for (qsizetype i = 0; i <= d.size(); ++i) {
        if (i == d.size() || d[i] == '.') {
            const qsizetype len = i - labelStart;
            if (len == 0 || len > kMaxLabel)
                return false;
            if (d[labelStart] == '-' || d[i - 1] == '-')
                return false;
            labelStart = i + 1;
        } else if (!isLabelChar(d[i], lenient)) {
            return false;
        }
    }
    return true;
}

// Snum "." Snum "." Snum "." Snum, each 0..255 with 1..3 digits.
bool isIpv4(QByteArrayView s)
{
    int parts = 0;
    qsizetype i = 0;
    while (true) {
        int value = 0;
        int digits = 0;
        while (i < s.size() && isDigit(s[i]) && digits < 4) {
            value = value * 10 + (s[i] - '0');
            ++digits;
            ++i;
        }
        if (digits == 0 || digits > 3 || value > 255)
            return false;
        ++parts;
        if (i == s.size())
            return parts == 4;
        if (s[i] != '.' || parts == 4)
            return false;
        ++i;
    }
}

// IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp of RFC 5321 4.1.3. Like
// inet_pton, "::" may stand for a single group too.
bool isIpv6(QByteArrayView s)
{
    if (s.isEmpty() || s.size() > 45)
        return false;
    int groups = 0;
    bool compressed = false;
    qsizetype i = 0;
    if (s.startsWith("::")) {
        compressed = true;
        i = 2;
        if (i == s.size())
            return true; // "::"
    } else if (s.front() == ':') {
        return false;
    }
    while (i < s.size()) {
        // One element: a hex group, or an IPv4 tail.
        qsizetype j = i;
        while (j < s.size() && isHex(s[j]))
            ++j;
        if (j < s.size() && s[j] == '.') {
            if (!isIpv4(s.sliced(i)))
                return false;
            groups += 2;
            i = s.size();
            break;
        }
        if (j == i || j - i > 4)
            return false;
        ++groups;
        i = j;
        if (i == s.size())
            break;
        if (s[i] != ':')
            return false;
        ++i;
        if (i < s.size() && s[i] == ':') {
            if (compressed)
                return false; // a second "::"
            compressed = true;
            ++i;
            if (i == s.size())
                break; // trailing "::"
        } else if (i == s.size()) {
            return false; // trailing single ':'
        }
    }
    return compressed ? groups <= 7 : groups == 8;
}

bool isAddressLiteral(QByteArrayView d)
{
    if (d.size() < 3 || d.front() != '[' || d.back() != ']')
        return false;
    const QByteArrayView inner = d.sliced(1, d.size() - 2);
    if (startsWithIgnoreCase(inner, "IPv6:"))
        return isIpv6(inner.sliced(5));
    return isIpv4(inner);
}

// ---- paths ---------------------------------------------------------------

// Index of the '>' closing a path that starts with '<' at 0, or -1. Quoted
// strings may contain '>' (RFC 5321 4.1.2 Quoted-string).
qsizetype findPathEnd(QByteArrayView s)
{
    bool quoted = false;
    for (qsizetype i = 1; i < s.size(); ++i) {
        const char c = s[i];
        if (quoted) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '>') {
            return i;
        }
    }
    return -1;
}

// Length of a Quoted-string at the start of `s` (RFC 5321 4.1.2: qtextSMTP
// and quoted-pairSMTP, printable ASCII and SP only), or -1.
qsizetype quotedStringLength(QByteArrayView s)
{
    if (s.isEmpty() || s.front() != '"')
        return -1;
    for (qsizetype i = 1; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c > 0x7e)
            return -1;
        if (c == '\\') {
            ++i;
            if (i == s.size())
                return -1;
            const auto e = static_cast<unsigned char>(s[i]);
            if (e < 0x20 || e > 0x7e)
                return -1;
        } else if (c == '"') {
            return i + 1;
        }
    }
    return -1;
}

bool isDotString(QByteArrayView s)
{
    if (s.isEmpty() || s.front() == '.' || s.back() == '.')
        return false;
    char prev = 0;
    for (char c : s) {
        if (c == '.') {
            if (prev == '.')
                return false;
        } else if (!isAtext(c)) {
            return false;
        }
        prev = c;
    }
    return true;
}

enum class MailboxKind { Sender, Recipient };

// Validates "Local-part@Domain" (or "postmaster" for recipients).
bool isValidMailbox(QByteArrayView m, MailboxKind kind)
{
    QByteArrayView local;
    QByteArrayView rest;
    if (!m.isEmpty() && m.front() == '"') {
        const qsizetype q = quotedStringLength(m);
        if (q < 0)
            return false;
        local = m.first(q);
        rest = m.sliced(q);
    } else {
        const qsizetype at = m.lastIndexOf('@');
        local = at < 0 ? m : m.first(at);
        rest = at < 0 ? QByteArrayView() : m.sliced(at);
        if (!isDotString(local))
            return false;
    }
    if (local.size() > kMaxLocalPart)
        return false;
    // '<' or '>' even quoted (legal, but next hops and log parsers misread them).
    if (local.contains('<') || local.contains('>'))
        return false;
    if (rest.isEmpty()) // RFC 5321 4.1.1.3: "<Postmaster>" needs no domain
        return kind == MailboxKind::Recipient && equalsIgnoreCase(local, "postmaster");
    if (rest.front() != '@')
        return false;
    const QByteArrayView domain = rest.sliced(1);
    return isValidDomain(domain);
}

// Skips an A-d-l source route "@a,@b:" (RFC 5321 4.1.2) at the start of the
// path; returns the number of bytes to drop, or -1 if it is malformed.
qsizetype sourceRouteLength(QByteArrayView p)
{
    qsizetype i = 0;
    while (true) {
        if (i >= p.size() || p[i] != '@')
            return -1;
        ++i;
        qsizetype end = i;
        if (end < p.size() && p[end] == '[') {
            end = p.indexOf(']', end);
            if (end < 0)
                return -1;
            ++end;
        } else {
            while (end < p.size() && p[end] != ',' && p[end] != ':')
                ++end;
        }
        if (!isValidDomain(p.sliced(i, end - i)) || end >= p.size())
            return -1;
        i = end + 1;
        if (p[end] == ':')
            return i;
        if (p[end] != ',')
            return -1;
    }
}

// esmtp-keyword ["=" esmtp-value] separated by one or more SP (RFC 5321 4.1.2).
bool parseParams(QByteArrayView s, QList<Param> &params)
{
    qsizetype i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ')
            ++i;
        if (i == s.size())
            break;
        qsizetype end = i;
        while (end < s.size() && s[end] != ' ')
            ++end;
        const QByteArrayView token = s.sliced(i, end - i);
        i = end;

        const qsizetype eq = token.indexOf('=');
        const QByteArrayView key = eq < 0 ? token : token.first(eq);
        if (key.isEmpty() || !isAlnum(key.front()))
            return false;
        for (char c : key) {
            if (!isAlnum(c) && c != '-')
                return false;
        }
        QByteArrayView value;
        if (eq >= 0) {
            value = token.sliced(eq + 1);
            if (value.isEmpty())
                return false;
            for (char c : value) {
                const auto u = static_cast<unsigned char>(c);
                if (u < 33 || u > 126 || c == '=')
                    return false;
            }
        }
        Param param;
        param.key.resize(key.size());
        for (qsizetype k = 0; k < key.size(); ++k)
            param.key[k] = toUpper(key[k]);
        for (const Param &other : params) {
            if (other.key == param.key)
                return false; // the same keyword twice
        }
        param.value = value.toByteArray();
        params.append(std::move(param));
    }
    return true;
}

bool hasNonAscii(QByteArrayView s)
{
    for (char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80)
            return true;
    }
    return false;
}

// Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool isValidUtf8(QByteArrayView s)
{
    qsizetype i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        int n = 0;
        unsigned cp = 0;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (int k = 1; k <= n; ++k) {
            if (i + k >= s.size())
                return false;
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

// Each run of non-ASCII octets replaced by one 'u' (valid in atext and labels).
QByteArray asciiStandIn(QByteArrayView s)
{
    QByteArray out;
    out.reserve(s.size());
    bool inRun = false;
    for (char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            if (!inRun)
                out.append('u');
            inRun = true;
        } else {
            out.append(c);
            inRun = false;
        }
    }
    return out;
}

// The address as sent, minus a source route (mirrors the ASCII path). The
// route ends at the first ':' outside an address literal ("@[IPv6:::1]:").
QByteArray originalAddress(QByteArrayView path)
{
    if (!path.isEmpty() && path.front() == '@') {
        bool inLiteral = false;
        for (qsizetype i = 0; i < path.size(); ++i) {
            const char c = path[i];
            if (c == '[')
                inLiteral = true;
            else if (c == ']')
                inLiteral = false;
            else if (c == ':' && !inLiteral) {
                path = path.sliced(i + 1);
                break;
            }
        }
    }
    return path.toByteArray();
}

PathResult parsePathArg(QByteArrayView arg, const char *prefix, MailboxKind kind)
{
    const ReplyId badAddress = kind == MailboxKind::Sender ? ReplyId::BadSenderAddress
                                                           : ReplyId::BadRecipientAddress;
    PathResult result;
    if (!startsWithIgnoreCase(arg, prefix)) {
        result.error = kind == MailboxKind::Sender ? ReplyId::MailSyntax : ReplyId::RcptSyntax;
        return result;
    }
    QByteArrayView s = arg.sliced(qsizetype(std::strlen(prefix)));
    if (s.startsWith(' ')) // "FROM: <a@b>", as Postfix tolerates
        s = s.sliced(1);
    if (s.isEmpty() || s.front() != '<') {
        result.error = badAddress;
        return result;
    }
    const qsizetype close = findPathEnd(s);
    if (close < 0) {
        result.error = badAddress;
        return result;
    }
    if (close + 1 > kMaxPath) {
        result.error = ReplyId::PathTooLong;
        return result;
    }
    QByteArrayView path = s.sliced(1, close - 1);
    // RFC 6531: UTF-8 in local parts and domains (U-labels). Validate the
    // structure with each run of non-ASCII octets standing in as one letter.
    QByteArray substituted;
    if (hasNonAscii(path)) {
        if (!isValidUtf8(path)) {
            result.error = badAddress;
            return result;
        }
        result.utf8 = true;
        substituted = asciiStandIn(path);
        path = substituted;
    }
    const QByteArrayView tail = s.sliced(close + 1);
    if (!tail.isEmpty() && tail.front() != ' ') {
        result.error = badAddress; // "<a@b>x"
        return result;
    }

    if (!path.isEmpty() && path.front() == '@') {
        const qsizetype route = sourceRouteLength(path);
        if (route < 0) {
            result.error = badAddress;
            return result;
        }
        path = path.sliced(route); // RFC 5321 4.1.1.3: accept and ignore the route
        if (path.isEmpty()) {
            result.error = badAddress;
            return result;
        }
    }
    if (path.isEmpty()) {
        if (kind == MailboxKind::Recipient) {
            result.error = badAddress; // "<>" is a reverse-path only
            return result;
        }
    } else if (!isValidMailbox(path, kind)) {
        result.error = badAddress;
        return result;
    }
    if (!parseParams(tail, result.params)) {
        result.params.clear();
        result.error = ReplyId::ParamSyntax;
        return result;
    }
    result.address = result.utf8 ? originalAddress(s.sliced(1, close - 1)) : path.toByteArray();
    // UTF-8 only in an ignored source route leaves an ASCII address (found by fuzz_parsers).
    result.utf8 = result.utf8 && hasNonAscii(result.address);
    if (result.utf8 && localPartOf(result.address).size() > kMaxLocalPart) {
        // The 64-octet limit counts octets, not the stand-in letters.
        result.address.clear();
        result.params.clear();
        result.error = badAddress;
    }
    return result;
}

struct VerbEntry {
    const char *name;
    Verb verb;
};

constexpr VerbEntry kVerbs[] = {
    {"EHLO", Verb::Ehlo}, {"HELO", Verb::Helo}, {"MAIL", Verb::Mail}, {"RCPT", Verb::Rcpt},
    {"DATA", Verb::Data}, {"RSET", Verb::Rset}, {"NOOP", Verb::Noop}, {"QUIT", Verb::Quit},
    {"VRFY", Verb::Vrfy}, {"EXPN", Verb::Expn}, {"HELP", Verb::Help}, {"STARTTLS", Verb::StartTls},
    {"AUTH", Verb::Auth}, {"BDAT", Verb::Bdat}, {"PROXY", Verb::Proxy},
};

} // namespace

Command parseCommand(QByteArrayView line)
{
    Command cmd;
    qsizetype end = 0;
    while (end < line.size() && !isWsp(line[end]))
        ++end;
    const QByteArrayView verb = line.first(end);
    cmd.verbText = verb.toByteArray();
    cmd.arg = trimmed(line.sliced(end)).toByteArray();
    for (const VerbEntry &e : kVerbs) {
        if (equalsIgnoreCase(verb, e.name)) {
            cmd.verb = e.verb;
            break;
        }
    }
    return cmd;
}

const char *verbName(Verb verb)
{
    for (const VerbEntry &e : kVerbs) {
        if (e.verb == verb)
            return e.name;
    }
    return "";
}

bool isValidXtext(QByteArrayView text)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            if (i + 2 >= text.size())
                return false;
            if (!isHex(text[i + 1]) || !isHex(text[i + 2]))
                return false;
            i += 2;
        } else if (c < '!' || c > '~' || c == '=') {
            return false;
        }
    }
    return true;
}

bool isValidUtf8Text(QByteArrayView text)
{
    return isValidUtf8(text);
}

PathResult parseMailFrom(QByteArrayView arg)
{
    return parsePathArg(arg, "FROM:", MailboxKind::Sender);
}

PathResult parseRcptTo(QByteArrayView arg)
{
    return parsePathArg(arg, "TO:", MailboxKind::Recipient);
}

bool isValidDomain(QByteArrayView domain)
{
    if (!domain.isEmpty() && domain.front() == '[')
        return isAddressLiteral(domain);
    return isValidDotAtomDomain(domain, false);
}

bool isValidHeloName(QByteArrayView name)
{
    if (!name.isEmpty() && name.front() == '[')
        return isAddressLiteral(name);
    return isValidDotAtomDomain(name, true);
}

QByteArray domainOf(QByteArrayView address)
{
    const qsizetype at = address.lastIndexOf('@');
    if (at < 0)
        return {};
    QByteArray d = address.sliced(at + 1).toByteArray();
    for (char &c : d)
        c = toLower(c);
    return d;
}

QByteArrayView localPartOf(QByteArrayView address)
{
    const qsizetype at = address.lastIndexOf('@');
    return at < 0 ? address : address.first(at);
}

} // namespace rd::smtp

// libFuzzer target: the pure SMTP command and address parsers of
// core/smtp/parser.h. Any violated invariant calls __builtin_trap().
//
// The whole input is given to every parser, as a raw command line and as the
// argument of MAIL/RCPT (with and without the "FROM:"/"TO:" prefix, so the
// fuzzer does not have to find it first).
//
// Invariants:
//   parseCommand   the verb text is the input up to the first SP/HT; the
//                  argument has no leading/trailing SP/HT; the verb is known
//                  exactly when the verb text names it (any case).
//   parseMailFrom / parseRcptTo
//     ok:          the address has no CR, LF, NUL and no '<' or '>' outside a
//                  quoted local part (anywhere with -DFUZZ_STRICT_ADDRESSES=ON); it is at most 254 octets; it is the null
//                  sender (MAIL only), "postmaster" (RCPT only) or local@domain
//                  with a valid domain and a local part of at most 64 octets
//                  (UTF-8 addresses, RFC 6531: well-formed UTF-8, the domain valid
//                  with letters standing in for the non-ASCII runs; `utf8` is set
//                  exactly when the address has non-ASCII octets);
//                  parameter keys are upper-case [A-Z0-9-], unique; values are
//                  printable ASCII without '='; re-parsing "<address>" gives the
//                  same address (source routes are gone, nothing else changes).
//     error:       the ReplyId names a 5xx reply; no address, no parameters.
//   isValidDomain  implies isValidHeloName; a valid dot-atom domain has only
//                  LDH and '.', no empty label, at most 255 octets.
//   domainOf / localPartOf  domainOf is the lower-cased text after the last
//                  '@'; localPartOf + '@' + that text gives the input back.

#include "smtp/parser.h"
#include "smtp/replies.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdio>

using namespace rd::smtp;

namespace {

[[noreturn]] void violation(const char *what)
{
    std::fprintf(stderr, "fuzz_parsers: invariant violated: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

#define CHECK(cond, what)       \
    do {                        \
        if (!(cond))            \
            violation(what);    \
    } while (0)

bool isWsp(char c) { return c == ' ' || c == '\t'; }
bool isUpperAlnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool equalsIgnoreCase(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

void checkCommand(QByteArrayView line)
{
    const Command cmd = parseCommand(line);
    CHECK(line.startsWith(cmd.verbText), "verb text is not a prefix of the line");
    for (char c : cmd.verbText)
        CHECK(!isWsp(c), "verb text contains SP/HT");
    CHECK(cmd.verbText.size() == line.size() || isWsp(line[cmd.verbText.size()]),
          "verb text does not end at SP/HT");
    if (!cmd.arg.isEmpty()) {
        CHECK(!isWsp(cmd.arg.front()) && !isWsp(cmd.arg.back()), "argument not trimmed");
        CHECK(line.contains(cmd.arg), "argument is not part of the line");
    }
    if (cmd.verb == Verb::Unknown)
        CHECK(verbName(cmd.verb)[0] == '\0', "Unknown has a name");
    else
        CHECK(equalsIgnoreCase(cmd.verbText, verbName(cmd.verb)), "verb does not match its text");
}

// The address with a leading quoted local part removed.
QByteArrayView unquoted(QByteArrayView address)
{
    if (address.isEmpty() || address.front() != '"')
        return address;
    for (qsizetype i = 1; i < address.size(); ++i) {
        if (address[i] == '\\')
            ++i;
        else if (address[i] == '"')
            return address.sliced(i + 1);
    }
    violation("unterminated quoted local part in an accepted address");
}

// Each run of non-ASCII octets replaced by one 'a' (a letter in labels and atext).
QByteArray asciiStandIn(QByteArrayView s)
{
    QByteArray out;
    bool inRun = false;
    for (char c : s) {
        const bool high = static_cast<unsigned char>(c) >= 0x80;
        if (!high)
            out.append(c);
        else if (!inRun)
            out.append('a');
        inRun = high;
    }
    return out;
}

enum class Kind { Mail, Rcpt };

void checkPath(const PathResult &r, Kind kind, int depth)
{
    if (!r.ok()) {
        const int code = replySpec(*r.error).code;
        CHECK(code >= 500 && code <= 599, "parser error is not a 5xx reply");
        CHECK(r.address.isEmpty(), "error result carries an address");
        CHECK(r.params.isEmpty(), "error result carries parameters");
        return;
    }
    const QByteArray &a = r.address;
    bool nonAscii = false;
    for (char c : a)
        nonAscii = nonAscii || static_cast<unsigned char>(c) >= 0x80;
#ifdef RD_FUZZ_UTF8
    const bool utf8 = r.utf8;
    CHECK(nonAscii == utf8, "utf8 flag does not match the address");
    CHECK(!utf8 || isValidUtf8Text(a), "UTF-8 address is not well-formed UTF-8");
#else
    const bool utf8 = false;
    CHECK(!nonAscii, "accepted a non-ASCII address");
#endif
    for (char c : a)
        CHECK(c != '\r' && c != '\n' && c != '\0', "accepted address contains CR, LF or NUL");
#ifdef RD_FUZZ_STRICT_ADDRESSES
    for (char c : a)
        CHECK(c != '<' && c != '>', "accepted address contains '<' or '>'");
#else
    // RFC 5321 4.1.2 allows them inside a Quoted-string local part ("a>b"@x).
    for (char c : unquoted(a))
        CHECK(c != '<' && c != '>', "accepted address contains '<' or '>' outside a quoted local part");
#endif
    CHECK(a.size() <= 254, "accepted address longer than 254 octets");

    if (a.isEmpty()) {
        CHECK(kind == Kind::Mail, "RCPT accepted the null path <>");
    } else if (!a.contains('@')) {
        CHECK(kind == Kind::Rcpt && equalsIgnoreCase(a, "postmaster"),
              "accepted an address without a domain (other than RCPT <postmaster>)");
    } else {
        CHECK(a.front() != '@', "source route left in the accepted address");
        const qsizetype at = a.lastIndexOf('@');
        const QByteArrayView domain = QByteArrayView(a).sliced(at + 1);
        if (utf8) // RFC 6531 U-labels: the structure must hold with letters for the UTF-8
            CHECK(isValidDomain(asciiStandIn(domain)), "accepted address has an invalid domain");
        else
            CHECK(isValidDomain(domain), "accepted address has an invalid domain");
        CHECK(at <= 64, "accepted address has a local part over 64 octets");
        CHECK(domainOf(a) == domain.toByteArray().toLower(), "domainOf() disagrees");
    }

    for (qsizetype i = 0; i < r.params.size(); ++i) {
        const Param &p = r.params[i];
        CHECK(!p.key.isEmpty(), "empty parameter key");
        for (char c : p.key)
            CHECK(isUpperAlnum(c) || c == '-', "parameter key not upper-case [A-Z0-9-]");
        for (char c : p.value) {
            const auto u = static_cast<unsigned char>(c);
            CHECK(u >= 33 && u <= 126 && c != '=', "parameter value not printable ASCII without '='");
        }
        for (qsizetype j = 0; j < i; ++j)
            CHECK(r.params[j].key != p.key, "duplicate parameter key");
    }

    if (depth == 0) {
        // Round trip: "<address>" parses to the same address, without parameters.
        const QByteArray again = (kind == Kind::Mail ? QByteArray("FROM:<") : QByteArray("TO:<")) + a + '>';
        const PathResult r2 = kind == Kind::Mail ? parseMailFrom(again) : parseRcptTo(again);
        CHECK(r2.ok(), "accepted address does not re-parse");
        CHECK(r2.address == a, "re-parsed address differs");
        CHECK(r2.params.isEmpty(), "re-parsed address has parameters");
        checkPath(r2, kind, depth + 1);
    }
}

void checkDomain(QByteArrayView d)
{
    const bool valid = isValidDomain(d);
    const bool helo = isValidHeloName(d);
    if (valid)
        CHECK(helo, "isValidDomain but not isValidHeloName");
    if (valid && !d.startsWith('[')) {
        CHECK(d.size() <= 255, "valid domain over 255 octets");
        CHECK(!d.startsWith('.') && !d.endsWith('.') && !d.contains(".."), "valid domain with an empty label");
        for (char c : d) {
            const bool ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.';
            CHECK(ldh, "valid domain with a non-LDH octet");
        }
    }
    if (valid && d.startsWith('['))
        CHECK(d.endsWith(']'), "address literal without ']'");
    if (helo) {
        for (char c : d)
            CHECK(c != '\0' && c != '\r' && c != '\n' && c != ' ' && c != '@', "HELO name with NUL/CR/LF/SP/@");
    }
}

void checkAddressSplit(QByteArrayView s)
{
    const QByteArray domain = domainOf(s);
    const QByteArrayView local = localPartOf(s);
    for (char c : domain)
        CHECK(!(c >= 'A' && c <= 'Z'), "domainOf() not lower case");
    CHECK(!domain.contains('@'), "domainOf() contains '@'");
    const qsizetype at = s.lastIndexOf('@');
    if (at < 0) {
        CHECK(domain.isEmpty(), "domainOf() of an address without '@' is not empty");
        CHECK(local == s, "localPartOf() of an address without '@' is not the address");
    } else {
        CHECK(local.size() == at, "localPartOf() does not end at the last '@'");
        CHECK(equalsIgnoreCase(s.sliced(at + 1), domain), "domainOf() is not the text after the last '@'");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    const QByteArrayView in(reinterpret_cast<const char *>(data), qsizetype(size));

    checkCommand(in);
    const Command cmd = parseCommand(in);

    checkPath(parseMailFrom(in), Kind::Mail, 0);
    checkPath(parseRcptTo(in), Kind::Rcpt, 0);
    checkPath(parseMailFrom(cmd.arg), Kind::Mail, 0);
    checkPath(parseRcptTo(cmd.arg), Kind::Rcpt, 0);
    checkPath(parseMailFrom(QByteArray("FROM:") + in.toByteArray()), Kind::Mail, 0);
    checkPath(parseRcptTo(QByteArray("TO:") + in.toByteArray()), Kind::Rcpt, 0);

    checkDomain(in);
    const qsizetype at = in.lastIndexOf('@');
    if (at >= 0)
        checkDomain(in.sliced(at + 1));
    checkAddressSplit(in);
    return 0;
}

// libFuzzer target: the pure mail-authentication parsers of core/mailauth:
// the DMARC record parser (RFC 7489), the RFC5322.From domain extraction,
// the Authentication-Results parser and builder (RFC 8601) and the Public
// Suffix List lookups. Any violated invariant calls __builtin_trap().
//
// The whole input goes to every parser.
//
// Invariants:
//   parseDmarcRecord  applies exactly when error is empty; applying records
//                     start with v=DMARC1 (isDmarcRecordText), p and sp are
//                     none/quarantine/reject, pct 0..100, adkim/aspf r or s,
//                     ri >= 0, fo non-empty; warnings and warningTexts are
//                     parallel; parsing is deterministic.
//   headerFromDomain  a domain or an error, never both, never neither; the
//                     domain is lower case, has no empty label, no '@'.
//   parseAuthenticationResults  ok: no error; building a field from the
//                     result and parsing it again gives the same id and
//                     entries (when no value holds CR/LF, which the builder
//                     turns into spaces); the built field has CRLF only
//                     before WSP and ends in one CRLF. Not ok: an error and
//                     no entries.
//   PublicSuffixList  (a small fixed list) the organizational domain ends with
//                     the public suffix, and has at most one label more.

#include "mailauth/authresults.h"
#include "mailauth/dmarcfrom.h"
#include "mailauth/dmarcrecord.h"
#include "mailauth/publicsuffix.h"

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <cstdio>

using namespace rd::mailauth;

namespace {

[[noreturn]] void violation(const char *what)
{
    std::fprintf(stderr, "fuzz_dmarc: invariant violated: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

#define CHECK(cond, what)    \
    do {                     \
        if (!(cond))         \
            violation(what); \
    } while (0)

bool isPolicy(const QString &p)
{
    return p == QLatin1String("none") || p == QLatin1String("quarantine") || p == QLatin1String("reject");
}

void checkRecord(const QString &txt)
{
    const DmarcRecord r = parseDmarcRecord(txt);
    CHECK(r.applies == r.error.isEmpty(), "applies <=> no error");
    CHECK(r.warnings.size() == r.warningTexts.size(), "warnings parallel to texts");
    if (r.applies) {
        CHECK(isDmarcRecordText(txt), "applying record starts with v=DMARC1");
        CHECK(isPolicy(r.p) && isPolicy(r.sp), "p/sp are policies");
        CHECK(r.pct >= 0 && r.pct <= 100, "pct in 0..100");
        CHECK(r.adkim == QLatin1Char('r') || r.adkim == QLatin1Char('s'), "adkim r/s");
        CHECK(r.aspf == QLatin1Char('r') || r.aspf == QLatin1Char('s'), "aspf r/s");
        CHECK(r.ri >= 0 && !r.fo.isEmpty() && !r.rf.isEmpty(), "ri/fo/rf");
    }
    const DmarcRecord again = parseDmarcRecord(txt);
    CHECK(again.applies == r.applies && again.p == r.p && again.warnings == r.warnings, "deterministic");
}

void checkFrom(const QByteArray &data)
{
    QString error;
    const QString domain = headerFromDomain(data, &error);
    CHECK(domain.isEmpty() != error.isEmpty(), "domain xor error");
    if (!domain.isEmpty()) {
        CHECK(domain == domain.toLower(), "domain lower case");
        CHECK(!domain.contains(QLatin1Char('@')) && !domain.split(QLatin1Char('.')).contains(QString()),
              "domain well-formed");
    }
}

bool hasLineBreak(const QString &s)
{
    return s.contains(QLatin1Char('\r')) || s.contains(QLatin1Char('\n'));
}

void checkAuthResults(const QByteArray &data)
{
    const ParsedAuthResults r = parseAuthenticationResults(data);
    if (!r.ok) {
        CHECK(!r.error.isEmpty() && r.entries.isEmpty(), "failure has an error, no entries");
        return;
    }
    CHECK(r.error.isEmpty(), "ok without error");
    const QByteArray field = authenticationResultsHeader(r.authservId, r.entries);
    CHECK(field.endsWith("\r\n"), "field ends in CRLF");
    for (qsizetype i = 0; i < field.size(); ++i) {
        if (field.at(i) == '\n')
            CHECK(i > 0 && field.at(i - 1) == '\r', "bare LF");
        if (field.at(i) != '\r')
            continue;
        CHECK(i + 1 < field.size() && field.at(i + 1) == '\n', "bare CR");
        CHECK(i + 2 == field.size() || field.at(i + 2) == ' ' || field.at(i + 2) == '\t', "fold before WSP");
    }
    bool clean = !hasLineBreak(r.authservId);
    for (const AuthResultsEntry &e : r.entries) {
        clean = clean && !hasLineBreak(e.reason);
        for (const auto &p : e.properties)
            clean = clean && !hasLineBreak(p.second);
    }
    if (!clean)
        return;
    const ParsedAuthResults again = parseAuthenticationResults(field);
    CHECK(again.ok, "built field parses");
    CHECK(again.authservId == r.authservId, "same authserv-id");
    CHECK(again.entries.size() == r.entries.size(), "same entry count");
    for (qsizetype i = 0; i < r.entries.size(); ++i) {
        const AuthResultsEntry &a = r.entries.at(i);
        const AuthResultsEntry &b = again.entries.at(i);
        CHECK(a.method == b.method && a.result == b.result && a.reason == b.reason, "same method/result/reason");
        CHECK(a.properties == b.properties, "same properties");
    }
}

const PublicSuffixList &fuzzList()
{
    static const PublicSuffixList list = [] {
        PublicSuffixList l;
        l.loadFromData("com\nco.uk\nuk\n*.ck\n!www.ck\n*.foo.com\n!bar.foo.com\ngithub.io\n"
                       "\xe5\x85\xac\xe5\x8f\xb8.cn\ncn\n",
                       nullptr);
        return l;
    }();
    return list;
}

void checkPsl(const QString &domain)
{
    const PublicSuffixList &l = fuzzList();
    const QString suffix = l.publicSuffix(domain);
    const QString org = l.organizationalDomain(domain);
    if (suffix.isEmpty())
        return;
    CHECK(org.endsWith(suffix), "org domain ends with the suffix");
    CHECK(org.count(QLatin1Char('.')) <= suffix.count(QLatin1Char('.')) + 1, "at most one label more");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString text = QString::fromUtf8(bytes);
    checkRecord(text);
    checkFrom(bytes);
    checkAuthResults(bytes);
    checkPsl(text);
    return 0;
}

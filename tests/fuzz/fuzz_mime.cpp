// libFuzzer target: the MIME parser (core/mime) and the content filter
// (core/policy/contentfilter) over arbitrary messages. Any violated
// invariant calls __builtin_trap().
//
// Invariants:
//   parseMime     at least one part; every range inside the source; a part's
//                 header before its body; parents come before children, list
//                 them, and contain them (depth = parent's + 1, at most
//                 32); preamble and epilogue inside the multipart's body; at
//                 most 1000 parts; deterministic.
//   decoding      bodyText / decodedBody / RFC 2047 field decoding of every
//                 part run (ASan/UBSan watch them); base64 output at most
//                 3/4 of its input, quoted-printable never longer.
//   ContentFilter a verdict names an existing enabled rule of a message
//                 target and its reason is one line; the same input gives
//                 the same verdict; with no message rules nothing matches.

#include "mime/encodedwords.h"
#include "mime/mimeparser.h"
#include "mime/transferencoding.h"
#include "policy/contentfilter.h"

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <cstdio>

using namespace rd::mime;
using namespace rd::config;
using rd::policy::ContentFilter;
using rd::policy::ContentVerdict;

namespace {

[[noreturn]] void violation(const char *what)
{
    std::fprintf(stderr, "fuzz_mime: invariant violated: %s\n", what);
    std::fflush(stderr);
    __builtin_trap();
}

#define CHECK(cond, what)    \
    do {                     \
        if (!(cond))         \
            violation(what); \
    } while (0)

void checkTree(const MimeMessage &m)
{
    CHECK(!m.parts.isEmpty(), "at least one part");
    CHECK(m.parts.size() <= 1000, "part limit");
    const qsizetype n = m.source.size();
    auto inRange = [n](ByteRange r) { return r.begin >= 0 && r.begin <= r.end && r.end <= n; };
    for (int i = 0; i < m.parts.size(); ++i) {
        const MimePart &p = m.parts.at(i);
        CHECK(inRange(p.header) && inRange(p.body), "ranges inside the source");
        CHECK(p.header.end <= p.body.begin, "header before body");
        CHECK(p.depth <= 32, "depth limit");
        if (i == 0) {
            CHECK(p.parent == -1 && p.depth == 0, "root");
            continue;
        }
        CHECK(p.parent >= 0 && p.parent < i, "parent before child");
        const MimePart &parent = m.parts.at(p.parent);
        CHECK(parent.children.contains(i) && p.depth == parent.depth + 1, "parent lists child");
        CHECK(p.header.begin >= parent.body.begin && p.body.end <= parent.body.end, "child inside parent");
        if (p.isMultipart() && !p.children.isEmpty()) {
            auto inBody = [&p](ByteRange r) { return r.begin >= p.body.begin && r.begin <= r.end && r.end <= p.body.end; };
            CHECK(inBody(p.preamble) && inBody(p.epilogue), "preamble/epilogue inside body");
        }
    }
}

ContentRule rule(const char *name, RuleTarget t, RuleMatch m, const QString &pattern, RuleAction a,
                 const char *field = "")
{
    ContentRule r;
    r.name = QString::fromLatin1(name);
    r.target = t;
    r.match = m;
    r.pattern = pattern;
    r.action = a;
    r.field = QString::fromLatin1(field);
    r.actionArg = QStringLiteral("X-Fuzz: 1");
    return r;
}

const ContentFilter &filter()
{
    static const ContentFilter f = [] {
        ContentFilter c;
        c.setRules({
            rule("sender", RuleTarget::Sender, RuleMatch::Domain, QStringLiteral("example.com"), RuleAction::Reject),
            rule("subject", RuleTarget::Header, RuleMatch::Regex, QStringLiteral("^re:.*\u00fc"), RuleAction::Hold,
                 "Subject"),
            rule("body", RuleTarget::Body, RuleMatch::Contains, QStringLiteral("\u20ac\u20ac\u20ac"), RuleAction::AddHeader),
            rule("exe", RuleTarget::Attachment, RuleMatch::Extension, QStringLiteral("exe,js,vbs"), RuleAction::Reject),
            rule("names", RuleTarget::Attachment, RuleMatch::Regex, QStringLiteral("^[^.]{40,}$"), RuleAction::Hold),
            rule("size", RuleTarget::Size, RuleMatch::Greater, QStringLiteral("7000"), RuleAction::Reject),
        });
        return c;
    }();
    return f;
}

void checkFilter(const QByteArray &data)
{
    const ContentFilter &f = filter();
    const ContentVerdict v = f.check(data);
    if (v.matched) {
        CHECK(v.ruleIndex >= 1 && v.ruleIndex < f.rules().size(), "verdict names a message rule");
        CHECK(v.ruleName == f.rules().at(v.ruleIndex).name, "rule name");
        CHECK(!v.reason.contains(QLatin1Char('\n')) && !v.reason.contains(QLatin1Char('\r')), "one-line reason");
        CHECK(v.action != RuleAction::AddHeader || v.headerLine == "X-Fuzz: 1\r\n", "header line");
    }
    const ContentVerdict again = f.check(data);
    CHECK(again.matched == v.matched && again.ruleIndex == v.ruleIndex && again.reason == v.reason, "deterministic");
    const ContentVerdict env = f.checkSender(QString::fromUtf8(data.left(200)));
    CHECK(!env.matched || env.ruleIndex == 0, "sender rule only");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const MimeMessage m = parseMime(bytes);
    checkTree(m);
    for (int i = 0; i < m.parts.size(); ++i) {
        m.bodyText(i);
        for (const HeaderField &f : m.parts.at(i).fields)
            decodeHeaderText(f.value);
        m.parts.at(i).fileNames();
    }
    const MimeMessage again = parseMime(bytes);
    CHECK(again.parts.size() == m.parts.size() && again.defects.size() == m.defects.size(), "deterministic parse");
    CHECK(decodeBase64(bytes).size() <= size * 3 / 4 + 3, "base64 output size");
    CHECK(decodeQuotedPrintable(bytes).size() <= qsizetype(size), "quoted-printable output size");
    checkFilter(bytes);
    return 0;
}

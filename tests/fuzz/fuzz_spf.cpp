// libFuzzer target: the pure SPF code of core/mailauth (spfrecord.h,
// spfmacro.h): the record parser, the record check and the macro expander.
// Any violated invariant calls __builtin_trap().
//
// The input is used as a record text ("v=spf1 " is prefixed when missing, so
// the fuzzer reaches the terms at once), and as a macro string in each mode.
//
// Invariants:
//   parseSpfRecord   ok xor a non-empty error; lookupTerms() equals the
//                    DNS-using mechanisms plus redirect; every a/mx prefix is
//                    in range (0-32, 0-128), every ip4/ip6 prefix too; every
//                    parsed domain-spec is a valid domain-spec and its
//                    DomainSpec parse has no c/r/t letter.
//   checkSpfRecord   valid == parse ok; error == parse error; lookupTerms the same.
//   macro strings    a DomainSpec parse implies a ModifierValue and an
//                    Explanation parse; expansion never crashes; expandSpfDomain
//                    is at most 253 characters when its result has a dot; for a
//                    valid domain-spec it never ends with a dot.

#include "mailauth/spfrecord.h"

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <cstdint>

using namespace rd::mailauth;

namespace {

void check(bool ok)
{
    if (!ok)
        __builtin_trap();
}

void checkRecord(const QString &text)
{
    const SpfParseResult r = parseSpfRecord(text);
    check(r.ok() == r.error.isEmpty());
    const SpfRecordCheck c = checkSpfRecord(text);
    check(c.valid == r.ok());
    if (!r.ok()) {
        check(c.error == r.error);
        return;
    }
    int terms = r.record->redirect ? 1 : 0;
    for (const SpfMechanism &m : r.record->mechanisms) {
        terms += m.usesDns() ? 1 : 0;
        check(m.cidr4 >= 0 && m.cidr4 <= 32 && m.cidr6 >= 0 && m.cidr6 <= 128);
        if (m.kind == SpfMechanismKind::Ip4)
            check(!m.network.v6 && m.network.prefix >= 0 && m.network.prefix <= 32);
        if (m.kind == SpfMechanismKind::Ip6)
            check(m.network.v6 && m.network.prefix >= 0 && m.network.prefix <= 128);
        if (m.kind == SpfMechanismKind::Include || m.kind == SpfMechanismKind::Exists)
            check(m.domain.has_value());
        if (m.domain) {
            check(isValidSpfDomainSpec(*m.domain));
            for (const SpfMacroToken &t : m.domain->tokens)
                check(t.kind == SpfMacroToken::Literal || (t.letter != 'c' && t.letter != 'r' && t.letter != 't'));
        }
    }
    check(terms == r.record->lookupTerms());
    check(c.lookupTerms == terms);
}

void checkMacro(const QString &text)
{
    SpfMacroContext ctx;
    ctx.sender = QStringLiteral("strong-bad@email.example.com");
    ctx.localPart = QStringLiteral("strong-bad");
    ctx.senderDomain = QStringLiteral("email.example.com");
    ctx.domain = QStringLiteral("a.b.c.d.e.f.g.h.example.com");
    ctx.ip = QStringLiteral("192.0.2.3");
    ctx.clientIp = ctx.ip;
    ctx.helo = QStringLiteral("mx.example.org");
    const auto domain = parseSpfMacroString(text, SpfMacroMode::DomainSpec);
    const auto modifier = parseSpfMacroString(text, SpfMacroMode::ModifierValue);
    const auto exp = parseSpfMacroString(text, SpfMacroMode::Explanation);
    if (domain)
        check(modifier.has_value() && exp.has_value());
    if (modifier)
        check(exp.has_value());
    if (domain) {
        const QString d = expandSpfDomain(*domain, ctx);
        check(!(d.contains(QLatin1Char('.')) && d.size() > 253));
        if (isValidSpfDomainSpec(*domain))
            check(!d.endsWith(QLatin1Char('.')));
    }
    if (exp)
        (void)expandSpfMacros(*exp, ctx);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString text = QString::fromLatin1(bytes); // as the evaluator reads DNS text
    checkRecord(text);
    if (!isSpfRecordText(QStringView(text)))
        checkRecord(QStringLiteral("v=spf1 ") + text);
    checkMacro(text);
    std::array<quint8, 16> b{};
    parseSpfIp4(text, &b);
    parseSpfIp6(text, &b);
    return 0;
}

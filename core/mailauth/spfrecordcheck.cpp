// checkSpfRecord(): the pure SPF record check of the DNS checks panel.

#include "mailauth/spfrecord.h"

namespace rd::mailauth {

namespace {

using spflimits::kLookupLimit; // RFC 7208 4.6.4
constexpr int kStringLimit = 255;  // one TXT character-string (RFC 1035 3.3)
constexpr int kUdpRecordLimit = 450; // RFC 7208 3.4: keep the answer within 512 octets

bool usesLetter(const SpfMacroString &m, char letter)
{
    for (const SpfMacroToken &t : m.tokens) {
        if (t.kind == SpfMacroToken::Macro && t.letter == letter)
            return true;
    }
    return false;
}

} // namespace

SpfRecordCheck checkSpfRecord(const QString &txt)
{
    SpfRecordCheck out;
    const SpfParseResult parsed = parseSpfRecord(txt);
    if (!parsed.ok()) {
        out.error = parsed.error;
        return out;
    }
    const SpfRecord &r = *parsed.record;
    out.valid = true;
    out.lookupTerms = r.lookupTerms();
    QStringList &w = out.warnings;

    if (out.lookupTerms > kLookupLimit) {
        w << QStringLiteral("%1 DNS-querying terms: more than the limit of %2 (receivers answer "
                            "PermError)")
                 .arg(out.lookupTerms)
                 .arg(kLookupLimit);
    }
    const QByteArray bytes = txt.toUtf8();
    if (bytes.size() > kUdpRecordLimit) {
        w << QStringLiteral("record is %1 bytes: may not fit in a 512-byte UDP DNS answer "
                            "(RFC 7208 3.4)")
                 .arg(bytes.size());
    } else if (bytes.size() > kStringLimit) {
        w << QStringLiteral("record is %1 characters: longer than 255, so it must be published "
                            "as several strings of one TXT record")
                 .arg(bytes.size());
    }

    bool sawAll = false;
    bool afterAllWarned = false;
    bool sawPtrMacro = false;
    for (const SpfMechanism &m : r.mechanisms) {
        if (sawAll && !afterAllWarned) {
            w << QStringLiteral("'%1' and later terms come after \"all\" and are never evaluated")
                     .arg(m.text);
            afterAllWarned = true;
        }
        switch (m.kind) {
        case SpfMechanismKind::All:
            if (m.qualifier == SpfQualifier::Pass)
                w << QStringLiteral("+all: every host on the Internet passes for this domain");
            else if (m.qualifier == SpfQualifier::Neutral)
                w << QStringLiteral("?all: the record asserts nothing about other hosts");
            sawAll = true;
            break;
        case SpfMechanismKind::Ptr:
            w << QStringLiteral("'%1': the ptr mechanism is slow and unreliable; RFC 7208 5.5 "
                                "says not to use it")
                     .arg(m.text);
            break;
        case SpfMechanismKind::Ip4:
        case SpfMechanismKind::Ip6:
            if (m.network.hostBitsSet()) {
                w << QStringLiteral("'%1': address bits are set below the prefix length")
                         .arg(m.text);
            }
            if (m.network.prefix < (m.network.v6 ? 16 : 8)) {
                w << QStringLiteral("'%1': a very wide network (/%2)")
                         .arg(m.text)
                         .arg(m.network.prefix);
            }
            break;
        default:
            break;
        }
        if (m.domain && usesLetter(*m.domain, 'p'))
            sawPtrMacro = true;
    }
    if (r.redirect && usesLetter(*r.redirect, 'p'))
        sawPtrMacro = true;
    if (sawPtrMacro)
        w << QStringLiteral("the %{p} macro is slow and unreliable; RFC 7208 7.3 says not to use it");
    if (r.redirect && sawAll)
        w << QStringLiteral("redirect= is ignored because the record has an \"all\" mechanism");
    if (!r.redirect && !sawAll) {
        w << QStringLiteral("no \"all\" mechanism and no redirect=: hosts not listed get Neutral "
                            "(add -all or ~all)");
    }
    for (const SpfModifier &mod : r.unknownModifiers) {
        const QString lower = mod.name.toLower();
        if (lower == QLatin1String("default"))
            w << QStringLiteral("default= is obsolete and ignored; use an \"all\" mechanism");
        else
            w << QStringLiteral("unknown modifier '%1=' is ignored").arg(mod.name);
    }
    return out;
}

} // namespace rd::mailauth

#include "mailauth/spfrecord.h"

#include <algorithm>
#include "util/textchars.h"

namespace rd::mailauth {

namespace {
using util::isAsciiAlpha;
using util::isAsciiDigit;
using util::hexDigitValue;

// RFC 7208: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
bool isModifierName(QStringView name)
{
    if (name.isEmpty() || !isAsciiAlpha(name.front()))
        return false;
    return std::all_of(name.begin(), name.end(), [](QChar c) {
        return isAsciiAlpha(c) || isAsciiDigit(c) || c == u'-' || c == u'_' || c == u'.';
    });
}

// "0" / %x31-39 0*N DIGIT, value <= max. -1 if not.
int parseCidrLength(QStringView text, int maxDigits, int max)
{
    if (text.isEmpty() || text.size() > maxDigits || !std::all_of(text.begin(), text.end(), [](QChar c) { return util::isAsciiDigit(c); }))
        return -1;
    if (text.size() > 1 && text.front() == u'0')
        return -1;
    const int v = text.toInt();
    return v <= max ? v : -1;
}

// Splits a trailing dual-cidr-length ("/24", "//64", "/24//64") off `in`.
bool splitDualCidr(QStringView in, QStringView *rest, int *cidr4, int *cidr6, QString *error)
{
    QStringView s = in;
    const auto trailingDigits = [](QStringView v) {
        qsizetype k = v.size();
        while (k > 0 && isAsciiDigit(v[k - 1]))
            --k;
        return k;
    };
    qsizetype k = trailingDigits(s);
    if (k < s.size() && k >= 2 && s[k - 1] == u'/' && s[k - 2] == u'/') {
        *cidr6 = parseCidrLength(s.mid(k), 3, 128);
        if (*cidr6 < 0) {
            *error = QStringLiteral("bad IPv6 prefix length \"//%1\" (0-128)").arg(s.mid(k));
            return false;
        }
        s = s.left(k - 2);
    }
    k = trailingDigits(s);
    if (k < s.size() && k >= 1 && s[k - 1] == u'/') {
        *cidr4 = parseCidrLength(s.mid(k), 2, 32);
        if (*cidr4 < 0) {
            *error = QStringLiteral("bad IPv4 prefix length \"/%1\" (0-32)").arg(s.mid(k));
            return false;
        }
        s = s.left(k - 1);
    }
    *rest = s;
    return true;
}

std::optional<SpfMacroString> parseDomainSpec(QStringView text, const QString &term, QString *error)
{
    QString why;
    std::optional<SpfMacroString> m = parseSpfMacroString(text, SpfMacroMode::DomainSpec, &why);
    if (m && !isValidSpfDomainSpec(*m, &why))
        m.reset();
    if (!m)
        *error = QStringLiteral("'%1': %2").arg(term, why);
    return m;
}

std::optional<SpfMechanism> parseDirective(QStringView term, QString *error)
{
    SpfMechanism m;
    QStringView body = term;
    switch (body.front().unicode()) {
    case u'+': m.qualifier = SpfQualifier::Pass; body = body.mid(1); break;
    case u'-': m.qualifier = SpfQualifier::Fail; body = body.mid(1); break;
    case u'~': m.qualifier = SpfQualifier::SoftFail; body = body.mid(1); break;
    case u'?': m.qualifier = SpfQualifier::Neutral; body = body.mid(1); break;
    default: break;
    }
    m.text = term.toString();
    const QString &termText = m.text;
    qsizetype end = 0;
    while (end < body.size() && body[end] != u':' && body[end] != u'/')
        ++end;
    const QString name = body.left(end).toString().toLower();
    QStringView rest = body.mid(end);
    static const QList<std::pair<QString, SpfMechanismKind>> kinds = {
        {QStringLiteral("all"), SpfMechanismKind::All},
        {QStringLiteral("include"), SpfMechanismKind::Include},
        {QStringLiteral("a"), SpfMechanismKind::A},
        {QStringLiteral("mx"), SpfMechanismKind::Mx},
        {QStringLiteral("ptr"), SpfMechanismKind::Ptr},
        {QStringLiteral("ip4"), SpfMechanismKind::Ip4},
        {QStringLiteral("ip6"), SpfMechanismKind::Ip6},
        {QStringLiteral("exists"), SpfMechanismKind::Exists},
    };
    const auto it = std::find_if(kinds.begin(), kinds.end(),
                                 [&](const auto &k) { return k.first == name; });
    if (it == kinds.end()) {
        *error = QStringLiteral("unknown mechanism '%1'").arg(termText);
        return std::nullopt;
    }
    m.kind = it->second;
    const auto needArg = [&]() -> bool {
        if (!rest.startsWith(u':') || rest.size() == 1) {
            *error = QStringLiteral("'%1': %2 needs \":\" and a value").arg(termText, name);
            return false;
        }
        rest = rest.mid(1);
        return true;
    };
    switch (m.kind) {
    case SpfMechanismKind::All:
        if (!rest.isEmpty()) {
            *error = QStringLiteral("'%1': all takes no argument").arg(termText);
            return std::nullopt;
        }
        return m;
    case SpfMechanismKind::Include:
    case SpfMechanismKind::Exists:
        if (!needArg())
            return std::nullopt;
        m.domain = parseDomainSpec(rest, termText, error);
        return m.domain ? std::optional<SpfMechanism>(m) : std::nullopt;
    case SpfMechanismKind::Ptr:
        if (rest.isEmpty())
            return m;
        if (!needArg())
            return std::nullopt;
        m.domain = parseDomainSpec(rest, termText, error);
        return m.domain ? std::optional<SpfMechanism>(m) : std::nullopt;
    case SpfMechanismKind::A:
    case SpfMechanismKind::Mx: {
        QStringView spec;
        QString why;
        if (!splitDualCidr(rest, &spec, &m.cidr4, &m.cidr6, &why)) {
            *error = QStringLiteral("'%1': %2").arg(termText, why);
            return std::nullopt;
        }
        if (spec.isEmpty())
            return m;
        if (!spec.startsWith(u':') || spec.size() == 1) {
            *error = spec.startsWith(u':')
                ? QStringLiteral("'%1': empty domain after ':'").arg(termText)
                : QStringLiteral("'%1': bad prefix length").arg(termText);
            return std::nullopt;
        }
        m.domain = parseDomainSpec(spec.mid(1), termText, error);
        return m.domain ? std::optional<SpfMechanism>(m) : std::nullopt;
    }
    case SpfMechanismKind::Ip4:
    case SpfMechanismKind::Ip6: {
        if (!needArg())
            return std::nullopt;
        const bool v6 = m.kind == SpfMechanismKind::Ip6;
        const qsizetype slash = rest.indexOf(u'/');
        const QStringView addr = slash < 0 ? rest : rest.left(slash);
        m.network.v6 = v6;
        m.network.prefix = v6 ? 128 : 32;
        const bool okAddr = v6 ? parseSpfIp6(addr, &m.network.bytes)
                               : parseSpfIp4(addr, &m.network.bytes);
        if (!okAddr) {
            *error = QStringLiteral("'%1': \"%2\" is not an %3 address")
                         .arg(termText, addr.toString(), v6 ? QStringLiteral("IPv6")
                                                            : QStringLiteral("IPv4"));
            return std::nullopt;
        }
        if (slash >= 0) {
            m.network.prefix = parseCidrLength(rest.mid(slash + 1), v6 ? 3 : 2, v6 ? 128 : 32);
            if (m.network.prefix < 0) {
                *error = QStringLiteral("'%1': bad prefix length (%2)")
                             .arg(termText, v6 ? QStringLiteral("0-128") : QStringLiteral("0-32"));
                return std::nullopt;
            }
        }
        return m;
    }
    }
    return std::nullopt;
}

} // namespace

bool SpfNetwork::contains(bool addrV6, const quint8 *addr) const
{
    if (addrV6 != v6)
        return false;
    const int full = prefix / 8;
    if (!std::equal(bytes.begin(), bytes.begin() + full, addr))
        return false;
    const int bits = prefix % 8;
    if (bits == 0)
        return true;
    const quint8 mask = quint8(0xff << (8 - bits));
    return (bytes[full] & mask) == (addr[full] & mask);
}

bool SpfNetwork::hostBitsSet() const
{
    const int total = v6 ? 16 : 4;
    for (int i = 0; i < total; ++i) {
        const int keep = std::clamp(prefix - i * 8, 0, 8);
        const quint8 hostMask = quint8(0xff >> keep);
        if (bytes[i] & hostMask)
            return true;
    }
    return false;
}

bool SpfMechanism::usesDns() const
{
    return kind == SpfMechanismKind::Include || kind == SpfMechanismKind::A
        || kind == SpfMechanismKind::Mx || kind == SpfMechanismKind::Ptr
        || kind == SpfMechanismKind::Exists;
}

int SpfRecord::lookupTerms() const
{
    const auto n = std::count_if(mechanisms.begin(), mechanisms.end(),
                                 [](const SpfMechanism &m) { return m.usesDns(); });
    return int(n) + (redirect ? 1 : 0);
}

bool SpfRecord::hasAll() const
{
    return std::any_of(mechanisms.begin(), mechanisms.end(),
                       [](const SpfMechanism &m) { return m.kind == SpfMechanismKind::All; });
}

bool isSpfRecordText(QByteArrayView text)
{
    if (text.size() < 6 || (text.size() > 6 && text[6] != ' '))
        return false;
    return text.first(6).compare(QByteArrayView("v=spf1"), Qt::CaseInsensitive) == 0;
}

bool isSpfRecordText(QStringView text)
{
    if (text.size() < 6 || (text.size() > 6 && text[6] != u' '))
        return false;
    return text.left(6).compare(u"v=spf1", Qt::CaseInsensitive) == 0;
}

SpfParseResult parseSpfRecord(QStringView text)
{
    SpfParseResult out;
    if (!isSpfRecordText(text)) {
        out.error = QStringLiteral("not an SPF record (it must start with \"v=spf1\")");
        return out;
    }
    SpfRecord record;
    const QList<QStringView> terms = text.mid(6).split(u' ', Qt::SkipEmptyParts);
    for (const QStringView term : terms) {
        const qsizetype eq = term.indexOf(u'=');
        if (eq == 0) {
            out.error = QStringLiteral("'%1': modifier without a name").arg(term);
            return out;
        }
        if (eq > 0 && isModifierName(term.left(eq))) {
            const QString name = term.left(eq).toString();
            const QString lower = name.toLower();
            const QStringView value = term.mid(eq + 1);
            if (lower == QLatin1String("redirect") || lower == QLatin1String("exp")) {
                std::optional<SpfMacroString> &slot =
                    lower == QLatin1String("exp") ? record.exp : record.redirect;
                if (slot) {
                    out.error = QStringLiteral("%1= appears twice").arg(lower);
                    return out;
                }
                if (value.isEmpty()) {
                    out.error = QStringLiteral("'%1': empty domain").arg(term);
                    return out;
                }
                slot = parseDomainSpec(value, term.toString(), &out.error);
                if (!slot)
                    return out;
                continue;
            }
            QString why;
            std::optional<SpfMacroString> v =
                parseSpfMacroString(value, SpfMacroMode::ModifierValue, &why);
            if (!v) {
                out.error = QStringLiteral("'%1': %2").arg(term, why);
                return out;
            }
            record.unknownModifiers.append({name, *v});
            continue;
        }
        std::optional<SpfMechanism> m = parseDirective(term, &out.error);
        if (!m)
            return out;
        record.mechanisms.append(*m);
    }
    out.record = std::move(record);
    return out;
}

bool parseSpfIp4(QStringView text, std::array<quint8, 16> *out)
{
    const QList<QStringView> parts = text.split(u'.');
    if (parts.size() != 4)
        return false;
    std::array<quint8, 16> bytes{};
    for (int i = 0; i < 4; ++i) {
        const QStringView p = parts[i];
        if (p.isEmpty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), [](QChar c) { return util::isAsciiDigit(c); })
            || (p.size() > 1 && p.front() == u'0'))
            return false;
        const int v = p.toInt();
        if (v > 255)
            return false;
        bytes[i] = quint8(v);
    }
    *out = bytes;
    return true;
}

bool parseSpfIp6(QStringView text, std::array<quint8, 16> *out)
{
    const qsizetype gap = text.indexOf(u"::");
    if (gap >= 0 && text.indexOf(u"::", gap + 1) >= 0)
        return false;
    // Groups before and after the "::" (or all eight without one).
    QList<quint16> head, tail;
    const auto parseSide = [](QStringView side, QList<quint16> *groups, bool allowV4) {
        if (side.isEmpty())
            return true;
        const QList<QStringView> parts = side.split(u':');
        for (qsizetype i = 0; i < parts.size(); ++i) {
            const QStringView g = parts[i];
            if (allowV4 && i == parts.size() - 1 && g.contains(u'.')) {
                std::array<quint8, 16> v4{};
                if (!parseSpfIp4(g, &v4))
                    return false;
                groups->append(quint16(v4[0] << 8 | v4[1]));
                groups->append(quint16(v4[2] << 8 | v4[3]));
                continue;
            }
            if (g.isEmpty() || g.size() > 4)
                return false;
            quint16 v = 0;
            for (QChar c : g) {
                const int h = hexDigitValue(c);
                if (h < 0)
                    return false;
                v = quint16(v << 4 | h);
            }
            groups->append(v);
        }
        return true;
    };
    if (gap < 0) {
        if (!parseSide(text, &head, true) || head.size() != 8)
            return false;
    } else {
        if (!parseSide(text.left(gap), &head, false) || !parseSide(text.mid(gap + 2), &tail, true)
            || head.size() + tail.size() > 7)
            return false;
    }
    std::array<quint8, 16> bytes{};
    for (qsizetype i = 0; i < head.size(); ++i) {
        bytes[2 * i] = quint8(head[i] >> 8);
        bytes[2 * i + 1] = quint8(head[i]);
    }
    for (qsizetype i = 0; i < tail.size(); ++i) {
        const qsizetype g = 8 - tail.size() + i;
        bytes[2 * g] = quint8(tail[i] >> 8);
        bytes[2 * g + 1] = quint8(tail[i]);
    }
    *out = bytes;
    return true;
}

QChar spfQualifierChar(SpfQualifier q)
{
    switch (q) {
    case SpfQualifier::Pass: return u'+';
    case SpfQualifier::Fail: return u'-';
    case SpfQualifier::SoftFail: return u'~';
    case SpfQualifier::Neutral: return u'?';
    }
    return u'?';
}

} // namespace rd::mailauth

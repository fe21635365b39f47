#include "mtasts/stspolicy.h"
#include "util/textchars.h"

namespace rd::mtasts {
namespace {
using util::isWsp;
using util::isAsciiAlnum;

QString normalHost(QString h)
{
    h = h.trimmed().toLower();
    if (h.endsWith(QLatin1Char('.')))
        h.chop(1);
    return h;
}

// RFC 5321 Domain: dot-separated labels of letters, digits and inner hyphens.
bool validDomain(const QByteArray &d)
{
    if (d.isEmpty() || d.size() > 253)
        return false;
    const QList<QByteArray> labels = d.split('.');
    if (labels.size() < 2)
        return false;
    for (const QByteArray &l : labels) {
        if (l.isEmpty() || l.size() > 63 || !isAsciiAlnum(l.front()) || !isAsciiAlnum(l.back()))
            return false;
        for (char c : l) {
            if (!isAsciiAlnum(c) && c != '-')
                return false;
        }
    }
    return true;
}

} // namespace

QString modeName(Mode mode)
{
    switch (mode) {
    case Mode::None: return QStringLiteral("none");
    case Mode::Testing: return QStringLiteral("testing");
    case Mode::Enforce: return QStringLiteral("enforce");
    }
    return QString();
}

std::optional<Mode> modeFromName(const QString &name)
{
    if (name == QLatin1String("none"))
        return Mode::None;
    if (name == QLatin1String("testing"))
        return Mode::Testing;
    if (name == QLatin1String("enforce"))
        return Mode::Enforce;
    return std::nullopt;
}

QStringList Policy::policyStrings() const
{
    QStringList out;
    for (QByteArray line : raw.split('\n')) {
        if (line.endsWith('\r'))
            line.chop(1);
        if (!line.trimmed().isEmpty())
            out << QString::fromUtf8(line);
    }
    return out;
}

std::optional<Policy> parsePolicy(const QByteArray &body, QString *error)
{
    const auto fail = [error](const QString &why) -> std::optional<Policy> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    QList<QByteArray> lines = body.split('\n');
    // One line end after the last field is allowed ([sts-policy-term]); we
    // also accept further empty lines at the very end.
    while (!lines.isEmpty() && (lines.last().isEmpty() || lines.last() == "\r"))
        lines.removeLast();
    if (lines.isEmpty())
        return fail(QStringLiteral("empty policy"));

    Policy p;
    p.raw = body;
    bool haveVersion = false;
    bool haveMode = false;
    bool haveMaxAge = false;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        QByteArray line = lines.at(i);
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.contains('\r'))
            return fail(QStringLiteral("line %1: bare CR").arg(i + 1));
        while (!line.isEmpty() && isWsp(line.back())) // trailing *WSP
            line.chop(1);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return fail(QStringLiteral("line %1: not a \"key: value\" field").arg(i + 1));
        const QByteArray key = line.left(colon);
        QByteArray value = line.mid(colon + 1);
        while (!value.isEmpty() && isWsp(value.front()))
            value.remove(0, 1);
        // sts-policy-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
        if (key.size() > 32 || !isAsciiAlnum(key.front()))
            return fail(QStringLiteral("line %1: bad field name").arg(i + 1));
        for (char c : key) {
            if (!isAsciiAlnum(c) && c != '_' && c != '-' && c != '.')
                return fail(QStringLiteral("line %1: bad field name").arg(i + 1));
        }
        if (value.isEmpty())
            return fail(QStringLiteral("line %1: empty value for %2").arg(i + 1).arg(QString::fromLatin1(key)));
        for (char c : value) {
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\t') || u == 0x7f)
                return fail(QStringLiteral("line %1: control character in value").arg(i + 1));
        }
        if (key == "version") {
            if (haveVersion)
                return fail(QStringLiteral("version given twice"));
            if (value != "STSv1")
                return fail(QStringLiteral("version is not STSv1"));
            haveVersion = true;
        } else if (key == "mode") {
            if (haveMode)
                return fail(QStringLiteral("mode given twice"));
            const std::optional<Mode> m = modeFromName(QString::fromLatin1(value));
            if (!m)
                return fail(QStringLiteral("unknown mode \"%1\"").arg(QString::fromLatin1(value)));
            p.mode = *m;
            haveMode = true;
        } else if (key == "max_age") {
            if (haveMaxAge)
                return fail(QStringLiteral("max_age given twice"));
            if (value.size() > 10)
                return fail(QStringLiteral("max_age has more than 10 digits"));
            for (char c : value) {
                if (c < '0' || c > '9')
                    return fail(QStringLiteral("max_age is not a number"));
            }
            p.maxAge = std::min<qint64>(value.toLongLong(), kMaxMaxAge);
            haveMaxAge = true;
        } else if (key == "mx") {
            const bool wildcard = value.startsWith("*.");
            const QByteArray domain = (wildcard ? value.mid(2) : value).toLower();
            const QByteArray bare = domain.endsWith('.') ? domain.chopped(1) : domain;
            if (!validDomain(bare))
                return fail(QStringLiteral("mx \"%1\" is not a host name or *.domain").arg(QString::fromLatin1(value)));
            p.mx << (wildcard ? QStringLiteral("*.") : QString()) + QString::fromLatin1(bare);
        }
        // Other keys: extensions, ignored (3.2).
    }
    if (!haveVersion)
        return fail(QStringLiteral("no version field"));
    if (!haveMode)
        return fail(QStringLiteral("no mode field"));
    if (!haveMaxAge)
        return fail(QStringLiteral("no max_age field"));
    if (p.mx.isEmpty() && p.mode != Mode::None)
        return fail(QStringLiteral("no mx field"));
    return p;
}

bool mxPatternMatches(const QString &pattern, const QString &host)
{
    const QString h = normalHost(host);
    const QString p = normalHost(pattern);
    if (h.isEmpty() || p.isEmpty())
        return false;
    if (!p.startsWith(QLatin1String("*.")))
        return h == p;
    // "*.example.com" matches "mx.example.com", not "example.com" nor "a.b.example.com".
    const QString suffix = p.mid(1); // ".example.com"
    if (!h.endsWith(suffix))
        return false;
    const QString first = h.left(h.size() - suffix.size());
    return !first.isEmpty() && !first.contains(QLatin1Char('.'));
}

bool policyAllowsMx(const Policy &policy, const QString &host)
{
    for (const QString &p : policy.mx) {
        if (mxPatternMatches(p, host))
            return true;
    }
    return false;
}

MxDecision decideMx(const Policy *policy, const QString &domain, const QString &mxHost)
{
    MxDecision d;
    if (!policy || policy->mode == Mode::None)
        return d;
    const bool matches = policyAllowsMx(*policy, mxHost);
    d.requireValidTls = true;
    if (policy->mode == Mode::Testing) {
        d.reportOnly = true;
        if (!matches)
            d.reason = QStringLiteral("MX %1 not in the MTA-STS policy of %2 (testing: delivering anyway)")
                           .arg(mxHost, domain);
        return d;
    }
    if (!matches) {
        d.useMx = false;
        d.reason = QStringLiteral("MX %1 not in the MTA-STS policy of %2 (mode enforce)").arg(mxHost, domain);
    }
    return d;
}

} // namespace rd::mtasts

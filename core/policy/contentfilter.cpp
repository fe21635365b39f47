#include "policy/contentfilter.h"

#include "mime/mimeparser.h"
#include "policy/contentscan.h"

#include <QUrl>

namespace rd::policy {

using config::ContentRule;
using config::RuleAction;
using config::RuleMatch;
using config::RuleTarget;

namespace {

constexpr qsizetype kMaxQuoted = 120; // characters of matched text shown in a reason

// One printable line: control characters become spaces, long text is cut.
QString printable(const QString &text, qsizetype max = kMaxQuoted)
{
    QString out;
    out.reserve(qMin(text.size(), max + 3));
    for (QChar c : text) {
        if (out.size() >= max) {
            out += QStringLiteral("...");
            break;
        }
        const bool control = c.category() == QChar::Other_Control || c.category() == QChar::Other_Format
            || c == QChar::LineSeparator || c == QChar::ParagraphSeparator;
        out += control ? QLatin1Char(' ') : c;
    }
    return out;
}

QString normalizeAddress(const QString &address)
{
    QString a = address.trimmed();
    if (a.startsWith(QLatin1Char('<')) && a.endsWith(QLatin1Char('>')))
        a = a.mid(1, a.size() - 2).trimmed();
    return a.toLower();
}

// Lower case ASCII form of a domain (IDNA for Unicode names), no trailing dot.
QString normalizeDomain(QString d)
{
    d = d.trimmed();
    while (d.startsWith(QLatin1Char('@')) || d.startsWith(QLatin1Char('.')))
        d.remove(0, 1);
    while (d.endsWith(QLatin1Char('.')))
        d.chop(1);
    d = d.toLower();
    bool ascii = true;
    for (QChar c : d)
        ascii = ascii && c.unicode() < 0x80;
    if (!ascii) {
        const QByteArray ace = QUrl::toAce(d);
        if (!ace.isEmpty())
            d = QString::fromLatin1(ace).toLower();
    }
    return d;
}

QStringList splitList(const QString &pattern)
{
    QStringList out;
    for (const QString &item : pattern.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString t = item.trimmed();
        if (!t.isEmpty())
            out.append(t);
    }
    return out;
}

bool isEnvelope(RuleTarget t)
{
    return t == RuleTarget::Sender || t == RuleTarget::Recipient;
}

// Which matches make sense for a target (policyconfig.h); others never match.
bool fits(RuleTarget t, RuleMatch m)
{
    switch (t) {
    case RuleTarget::Sender:
    case RuleTarget::Recipient:
        return m == RuleMatch::Address || m == RuleMatch::Domain || m == RuleMatch::Regex
            || m == RuleMatch::Contains;
    case RuleTarget::Header:
    case RuleTarget::Body:
        return m == RuleMatch::Contains || m == RuleMatch::Regex;
    case RuleTarget::Attachment:
        return m == RuleMatch::Extension || m == RuleMatch::Regex || m == RuleMatch::Contains;
    case RuleTarget::Size:
        return m == RuleMatch::Greater;
    }
    return false;
}

QString targetWord(RuleTarget t)
{
    switch (t) {
    case RuleTarget::Sender: return QStringLiteral("sender");
    case RuleTarget::Recipient: return QStringLiteral("recipient");
    case RuleTarget::Header: return QStringLiteral("header");
    case RuleTarget::Body: return QStringLiteral("body");
    case RuleTarget::Attachment: return QStringLiteral("attachment");
    case RuleTarget::Size: return QStringLiteral("size");
    }
    return QString();
}

} // namespace

void ContentFilter::setRules(const QList<ContentRule> &rules)
{
    m_rules = rules;
    m_compiled.clear();
    m_errors.clear();
    m_needsMessage = false;
    for (int i = 0; i < rules.size(); ++i) {
        const ContentRule &r = rules.at(i);
        Compiled c;
        c.index = i;
        QString problem;
        if (!fits(r.target, r.match)) {
            problem = QStringLiteral("match type does not fit the target");
        } else if (r.target == RuleTarget::Header && r.field.trimmed().isEmpty()) {
            problem = QStringLiteral("no header field name");
        } else if (r.match == RuleMatch::Regex) {
            c.regex = QRegularExpression(r.pattern, QRegularExpression::CaseInsensitiveOption
                                                        | QRegularExpression::UseUnicodePropertiesOption);
            if (!c.regex.isValid())
                problem = QStringLiteral("regular expression: %1").arg(c.regex.errorString());
            else
                c.regex.optimize();
        } else if (r.match == RuleMatch::Greater) {
            bool ok = false;
            c.size = r.pattern.trimmed().toLongLong(&ok);
            if (!ok || c.size < 0)
                problem = QStringLiteral("size \"%1\" is not a number").arg(r.pattern);
        } else if (r.match == RuleMatch::Address) {
            for (const QString &a : splitList(r.pattern))
                c.items.append(normalizeAddress(a));
        } else if (r.match == RuleMatch::Domain) {
            for (const QString &d : splitList(r.pattern)) {
                const QString n = normalizeDomain(d);
                if (!n.isEmpty())
                    c.items.append(n);
            }
        } else if (r.match == RuleMatch::Extension) {
            for (QString e : splitList(r.pattern)) {
                e = e.toLower();
                while (e.startsWith(QLatin1Char('*')) || e.startsWith(QLatin1Char('.')))
                    e.remove(0, 1);
                if (!e.isEmpty())
                    c.items.append(e);
            }
        } else if (r.match == RuleMatch::Contains && r.pattern.isEmpty()) {
            problem = QStringLiteral("empty pattern");
        }
        if (problem.isEmpty() && (r.match == RuleMatch::Address || r.match == RuleMatch::Domain
                                  || r.match == RuleMatch::Extension) && c.items.isEmpty())
            problem = QStringLiteral("empty list");
        if (problem.isEmpty() && r.action == RuleAction::AddHeader) {
            QString line = r.actionArg;
            line.remove(QLatin1Char('\r'));
            line.remove(QLatin1Char('\n'));
            line = line.trimmed();
            const qsizetype colon = line.indexOf(QLatin1Char(':'));
            if (colon <= 0)
                problem = QStringLiteral("add_header argument is not \"Name: value\"");
            else
                c.headerLine = line.toUtf8() + "\r\n";
        }
        if (!problem.isEmpty()) {
            m_errors.append(QStringLiteral("rule %1 \"%2\": %3").arg(i + 1).arg(r.name, problem));
        } else {
            c.usable = true;
            if (r.enabled && !isEnvelope(r.target))
                m_needsMessage = true;
        }
        m_compiled.append(c);
    }
}

ContentVerdict ContentFilter::verdictFor(const Compiled &c, const QString &what) const
{
    const ContentRule &r = m_rules.at(c.index);
    ContentVerdict v;
    v.matched = true;
    v.action = r.action;
    v.ruleIndex = c.index;
    v.ruleName = r.name;
    v.headerLine = r.action == RuleAction::AddHeader ? c.headerLine : QByteArray();
    v.reason = QStringLiteral("content rule \"%1\": %2").arg(printable(r.name), what);
    return v;
}

ContentVerdict ContentFilter::checkEnvelope(RuleTarget target, const QString &address) const
{
    const QString addr = normalizeAddress(address);
    const qsizetype at = addr.lastIndexOf(QLatin1Char('@'));
    const QString domain = at >= 0 ? normalizeDomain(addr.mid(at + 1)) : QString();
    const QString shown = QStringLiteral("%1 <%2>").arg(targetWord(target), printable(addr));
    for (const Compiled &c : m_compiled) {
        const ContentRule &r = m_rules.at(c.index);
        if (!c.usable || !r.enabled || r.target != target)
            continue;
        switch (r.match) {
        case RuleMatch::Address:
            if (!addr.isEmpty() && c.items.contains(addr))
                return verdictFor(c, shown + QStringLiteral(" is listed"));
            break;
        case RuleMatch::Domain:
            if (domain.isEmpty())
                break;
            for (const QString &d : c.items) {
                if (domain == d || (domain.size() > d.size() && domain.endsWith(d)
                                    && domain.at(domain.size() - d.size() - 1) == QLatin1Char('.')))
                    return verdictFor(c, shown + QStringLiteral(" is in domain %1").arg(d));
            }
            break;
        case RuleMatch::Regex:
            if (c.regex.match(addr).hasMatch())
                return verdictFor(c, shown + QStringLiteral(" matches"));
            break;
        case RuleMatch::Contains:
            if (addr.contains(r.pattern, Qt::CaseInsensitive))
                return verdictFor(c, shown + QStringLiteral(" contains \"%1\"").arg(printable(r.pattern)));
            break;
        default:
            break;
        }
    }
    return ContentVerdict();
}

ContentVerdict ContentFilter::checkSender(const QString &address) const
{
    return checkEnvelope(RuleTarget::Sender, address);
}

ContentVerdict ContentFilter::checkRecipient(const QString &address) const
{
    return checkEnvelope(RuleTarget::Recipient, address);
}

ContentVerdict ContentFilter::check(const QByteArray &message, int stopAt) const
{
    if (!m_needsMessage)
        return ContentVerdict();
    const int end = stopAt < 0 ? int(m_compiled.size()) : qMin(stopAt, int(m_compiled.size()));
    bool wantTexts = false;
    bool wantNames = false;
    bool wantHeaders = false;
    for (int i = 0; i < end; ++i) {
        const Compiled &c = m_compiled.at(i);
        if (!c.usable || !m_rules.at(i).enabled)
            continue;
        wantTexts = wantTexts || m_rules.at(i).target == RuleTarget::Body;
        wantNames = wantNames || m_rules.at(i).target == RuleTarget::Attachment;
        wantHeaders = wantHeaders || m_rules.at(i).target == RuleTarget::Header;
    }
    ScannedContent content;
    if (wantTexts || wantNames)
        content = scanMessage(message, wantTexts, wantNames);
    mime::MimePart top;
    if (wantHeaders) {
        // The header section only: a parse limited to the message itself.
        mime::MimeLimits limits;
        limits.maxDepth = 0;
        limits.maxParts = 1;
        top = mime::parseMime(message, limits).parts.constFirst();
    }
    auto finish = [&content](ContentVerdict v) {
        v.mimeDefects = content.defects;
        v.mimeIncomplete = content.incomplete;
        return v;
    };
    for (int i = 0; i < end; ++i) {
        const Compiled &c = m_compiled.at(i);
        const ContentRule &r = m_rules.at(i);
        if (!c.usable || !r.enabled || isEnvelope(r.target))
            continue;
        auto matches = [&](const QString &text) {
            return r.match == RuleMatch::Regex ? c.regex.match(text).hasMatch()
                                               : text.contains(r.pattern, Qt::CaseInsensitive);
        };
        switch (r.target) {
        case RuleTarget::Header: {
            const QString field = r.field.trimmed();
            for (const QString &value : top.decodedFields(field.toLatin1())) {
                if (matches(value))
                    return finish(verdictFor(c, QStringLiteral("header %1 \"%2\"").arg(printable(field, 40), printable(value))));
            }
            break;
        }
        case RuleTarget::Body:
            for (const QString &text : content.texts) {
                if (matches(text))
                    return finish(verdictFor(c, QStringLiteral("message text matches")));
            }
            break;
        case RuleTarget::Attachment:
            for (const QString &name : content.fileNames) {
                if (r.match == RuleMatch::Extension) {
                    const QString ext = fileExtension(name);
                    if (!ext.isEmpty() && c.items.contains(ext))
                        return finish(verdictFor(
                            c, QStringLiteral("attachment \"%1\" has extension %2").arg(printable(name), ext)));
                } else if (matches(name)) {
                    return finish(verdictFor(c, QStringLiteral("attachment \"%1\"").arg(printable(name))));
                }
            }
            break;
        case RuleTarget::Size:
            if (message.size() > c.size)
                return finish(verdictFor(c, QStringLiteral("message size %1 octets exceeds %2").arg(message.size()).arg(c.size)));
            break;
        default:
            break;
        }
    }
    return finish(ContentVerdict());
}

} // namespace rd::policy

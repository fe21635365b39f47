#include "mailauth/dmarcrecord.h"

#include <QSet>

#include <climits>

namespace rd::mailauth {

namespace {

struct Tag {
    QString name; // lower case
    QString value;
};

// The record split into tags; false if it has no tags at all.
QList<Tag> splitTags(const QString &txt, QStringList *malformed)
{
    QList<Tag> tags;
    const QStringList parts = txt.split(QLatin1Char(';'));
    for (const QString &raw : parts) {
        const QString part = raw.trimmed();
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            if (malformed)
                *malformed << part;
            if (tags.isEmpty())
                tags.append(Tag{}); // keeps "v must come first" meaningful
            continue;
        }
        tags.append(Tag{part.left(eq).trimmed().toLower(), part.mid(eq + 1).trimmed()});
    }
    return tags;
}

bool isPolicy(const QString &v)
{
    return v == QLatin1String("none") || v == QLatin1String("quarantine") || v == QLatin1String("reject");
}

bool allDigits(const QString &s, int maxLen)
{
    if (s.isEmpty() || s.size() > maxLen)
        return false;
    for (QChar c : s) {
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return false;
    }
    return true;
}

bool isKeywordChar(QChar c)
{
    return (c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
           || (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('-');
}

// A colon-separated list (whitespace allowed around ':'), each item checked
// by `ok`; the normalized "a:b" form, or empty if any item is bad.
template<typename Pred>
QString colonList(const QString &value, Pred ok)
{
    QStringList items;
    for (const QString &raw : value.split(QLatin1Char(':'))) {
        const QString item = raw.trimmed();
        if (item.isEmpty() || !ok(item))
            return {};
        items << item;
    }
    return items.join(QLatin1Char(':'));
}

enum class UriKind { Invalid, Mailto, Other };

// RFC 7489 6.2: dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ].
UriKind classifyUri(const QString &text)
{
    QString uri = text;
    const qsizetype bang = uri.lastIndexOf(QLatin1Char('!'));
    if (bang >= 0) {
        QString size = uri.mid(bang + 1);
        const QString units = QStringLiteral("kmgtKMGT");
        if (!size.isEmpty() && units.contains(size.back()))
            size.chop(1);
        if (allDigits(size, 20))
            uri.truncate(bang);
    }
    const qsizetype colon = uri.indexOf(QLatin1Char(':'));
    if (colon <= 0 || colon == uri.size() - 1)
        return UriKind::Invalid;
    for (qsizetype i = 0; i < colon; ++i) {
        const QChar c = uri.at(i);
        const bool alpha = (c >= QLatin1Char('a') && c <= QLatin1Char('z')) || (c >= QLatin1Char('A') && c <= QLatin1Char('Z'));
        if (!(alpha || (i > 0 && (c.isDigit() || c == QLatin1Char('+') || c == QLatin1Char('-') || c == QLatin1Char('.')))))
            return UriKind::Invalid;
    }
    for (QChar c : uri) {
        if (c.isSpace() || c.unicode() < 0x21 || c.unicode() == 0x7f || c == QLatin1Char('<') || c == QLatin1Char('>')
            || c == QLatin1Char('"'))
            return UriKind::Invalid;
    }
    if (uri.left(colon).compare(QLatin1String("mailto"), Qt::CaseInsensitive) != 0)
        return UriKind::Other;
    const QString address = uri.mid(colon + 1);
    const qsizetype at = address.lastIndexOf(QLatin1Char('@'));
    if (at <= 0 || at == address.size() - 1)
        return UriKind::Invalid;
    return UriKind::Mailto;
}

class Builder {
public:
    explicit Builder(DmarcRecord &r) : m_r(r) {}
    void warn(const QString &code, const QString &text)
    {
        m_r.warnings << code;
        m_r.warningTexts << text;
    }

private:
    DmarcRecord &m_r;
};

void parseUriList(const QString &tag, const QString &value, QStringList *out, Builder &b)
{
    bool warnedScheme = false;
    for (const QString &raw : value.split(QLatin1Char(','))) {
        const QString uri = raw.trimmed();
        switch (classifyUri(uri)) {
        case UriKind::Invalid:
            b.warn(QStringLiteral("invalid-%1").arg(tag),
                   QStringLiteral("%1: \"%2\" is not a valid report address (expected mailto:name@domain); it is ignored.")
                       .arg(tag, uri));
            break;
        case UriKind::Other:
            out->append(uri);
            if (!warnedScheme) {
                warnedScheme = true;
                b.warn(QStringLiteral("%1-not-mailto").arg(tag),
                       QStringLiteral("%1: \"%2\" is not a mailto: address; receivers send reports by mail only, so "
                                      "this address gets none.")
                           .arg(tag, uri));
            }
            break;
        case UriKind::Mailto:
            out->append(uri);
            break;
        }
    }
}

} // namespace

bool isDmarcRecordText(const QString &txt)
{
    const QList<Tag> tags = splitTags(txt, nullptr);
    return !tags.isEmpty() && tags.first().name == QLatin1String("v") && tags.first().value == QLatin1String("DMARC1");
}

DmarcRecord parseDmarcRecord(const QString &txt)
{
    DmarcRecord r;
    Builder b(r);
    QStringList malformed;
    const QList<Tag> tags = splitTags(txt, &malformed);
    if (tags.isEmpty()) {
        r.error = QStringLiteral("The record is empty.");
        return r;
    }
    if (tags.first().name != QLatin1String("v") || tags.first().value != QLatin1String("DMARC1")) {
        r.error = tags.first().name == QLatin1String("v")
                      ? QStringLiteral("The version is \"%1\", not \"DMARC1\" (exact spelling); this is not a DMARC "
                                       "record.")
                            .arg(tags.first().value)
                      : QStringLiteral("The record does not start with v=DMARC1; receivers ignore it.");
        return r;
    }
    for (const QString &m : malformed) {
        b.warn(QStringLiteral("syntax-error"),
               QStringLiteral("\"%1\" is not a tag=value pair; it is ignored.").arg(m));
    }

    QSet<QString> seen;
    QString p, sp;
    bool pPresent = false;
    for (qsizetype i = 0; i < tags.size(); ++i) {
        const Tag &t = tags.at(i);
        if (seen.contains(t.name)) {
            b.warn(QStringLiteral("duplicate-tag"),
                   QStringLiteral("The tag %1 appears more than once; receivers differ in which one they use (the "
                                  "first is used here). Publish it once.")
                       .arg(t.name));
            continue;
        }
        seen.insert(t.name);
        const QString lower = t.value.toLower();
        if (t.name == QLatin1String("p")) {
            pPresent = true;
            if (isPolicy(lower))
                p = lower;
            else
                b.warn(QStringLiteral("invalid-p"),
                       QStringLiteral("p=%1 is not none, quarantine or reject; receivers ignore it.").arg(t.value));
        } else if (t.name == QLatin1String("sp")) {
            if (isPolicy(lower))
                sp = lower;
            else
                b.warn(QStringLiteral("invalid-sp"),
                       QStringLiteral("sp=%1 is not none, quarantine or reject; it is ignored and subdomains get "
                                      "the p policy.")
                           .arg(t.value));
        } else if (t.name == QLatin1String("pct")) {
            if (allDigits(t.value, 3) && t.value.toInt() <= 100)
                r.pct = t.value.toInt();
            else
                b.warn(QStringLiteral("invalid-pct"),
                       QStringLiteral("pct=%1 is not a whole number from 0 to 100; it is ignored (100 applies).")
                           .arg(t.value));
        } else if (t.name == QLatin1String("adkim") || t.name == QLatin1String("aspf")) {
            if (lower == QLatin1String("r") || lower == QLatin1String("s"))
                (t.name == QLatin1String("adkim") ? r.adkim : r.aspf) = lower.at(0);
            else
                b.warn(QStringLiteral("invalid-%1").arg(t.name),
                       QStringLiteral("%1=%2 is not r (relaxed) or s (strict); it is ignored (relaxed applies).")
                           .arg(t.name, t.value));
        } else if (t.name == QLatin1String("fo")) {
            const QString fo = colonList(lower, [](const QString &item) {
                return item == QLatin1String("0") || item == QLatin1String("1") || item == QLatin1String("d")
                       || item == QLatin1String("s");
            });
            if (!fo.isEmpty())
                r.fo = fo;
            else
                b.warn(QStringLiteral("invalid-fo"),
                       QStringLiteral("fo=%1 is not a colon list of 0, 1, d and s; it is ignored (0 applies).")
                           .arg(t.value));
        } else if (t.name == QLatin1String("rf")) {
            const QString rf = colonList(lower, [](const QString &item) {
                for (QChar c : item) {
                    if (!isKeywordChar(c))
                        return false;
                }
                return true;
            });
            if (!rf.isEmpty())
                r.rf = rf;
            else
                b.warn(QStringLiteral("invalid-rf"),
                       QStringLiteral("rf=%1 is not a list of report formats; it is ignored (afrf applies).")
                           .arg(t.value));
        } else if (t.name == QLatin1String("ri")) {
            bool ok = false;
            const qulonglong v = t.value.toULongLong(&ok);
            if (allDigits(t.value, 32) && ok && v <= 0xffffffffULL)
                r.ri = int(std::min<qulonglong>(v, INT_MAX));
            else
                b.warn(QStringLiteral("invalid-ri"),
                       QStringLiteral("ri=%1 is not a number of seconds; it is ignored (86400 applies).")
                           .arg(t.value));
        } else if (t.name == QLatin1String("rua")) {
            parseUriList(QStringLiteral("rua"), t.value, &r.rua, b);
        } else if (t.name == QLatin1String("ruf")) {
            parseUriList(QStringLiteral("ruf"), t.value, &r.ruf, b);
        }
        // v (first tag) and unknown tags: nothing to do (RFC 7489 6.3: ignored).
    }

    if (p.isEmpty()) {
        if (r.rua.isEmpty()) {
            r.error = pPresent ? QStringLiteral("The p tag has no valid value and there is no valid rua address, so "
                                                "receivers ignore the record.")
                               : QStringLiteral("The record has no p tag and no valid rua address, so receivers "
                                                "ignore it.");
            return r;
        }
        // RFC 7489 6.6.3: act as if p=none was published.
        p = QStringLiteral("none");
        if (!pPresent)
            b.warn(QStringLiteral("missing-p"),
                   QStringLiteral("The record has no p tag; receivers treat it as p=none. Add p=none, p=quarantine "
                                  "or p=reject."));
    }
    r.applies = true;
    r.p = p;
    r.sp = sp.isEmpty() ? p : sp;

    if (r.p == QLatin1String("none"))
        b.warn(QStringLiteral("policy-none"),
               QStringLiteral("p=none only monitors: receivers deliver mail that fails DMARC as usual. Move to "
                              "quarantine or reject once the reports show all your senders pass."));
    if (r.rua.isEmpty())
        b.warn(QStringLiteral("no-rua"),
               QStringLiteral("No rua address: you get no aggregate reports, so you cannot see who sends mail "
                              "as your domain."));
    if (r.pct < 100 && (r.p != QLatin1String("none") || r.sp != QLatin1String("none")))
        b.warn(QStringLiteral("pct-below-100"),
               QStringLiteral("pct=%1: the policy applies to only %1% of failing mail; the rest gets the next "
                              "weaker treatment.")
                   .arg(r.pct));
    return r;
}

} // namespace rd::mailauth

#include "mailauth/publicsuffix.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QUrl>

namespace rd::mailauth {

namespace {

// A domain split into labels, twice: as written (lower case) and in IDNA form.
struct Labels {
    QStringList shown;
    QStringList ace;
    bool ok = false;
};

bool isAscii(const QString &s)
{
    for (QChar c : s) {
        if (c.unicode() >= 0x80)
            return false;
    }
    return true;
}

// One label in its IDNA form; empty if it cannot be converted.
QString aceLabel(const QString &label)
{
    if (isAscii(label))
        return label.toLower();
    return QString::fromLatin1(QUrl::toAce(label)).toLower();
}

Labels splitDomain(const QString &domain)
{
    Labels out;
    QString d = domain.trimmed();
    // IDNA (RFC 3490 3.1) treats these full stops like '.'.
    for (QChar &c : d) {
        const char16_t u = c.unicode();
        if (u == 0x3002 || u == 0xFF0E || u == 0xFF61)
            c = QLatin1Char('.');
    }
    if (d.endsWith(QLatin1Char('.')))
        d.chop(1);
    if (d.isEmpty())
        return out;
    const QStringList parts = d.split(QLatin1Char('.'));
    for (const QString &part : parts) {
        if (part.isEmpty())
            return out;
        const QString ace = aceLabel(part);
        if (ace.isEmpty())
            return out;
        out.shown << part.toLower();
        out.ace << ace;
    }
    out.ok = true;
    return out;
}

QString joinTail(const QStringList &labels, int count)
{
    return labels.mid(labels.size() - count).join(QLatin1Char('.'));
}

} // namespace

QStringList PublicSuffixList::defaultPaths()
{
    QStringList paths{QStringLiteral("/usr/share/publicsuffix/public_suffix_list.dat")};
    if (QCoreApplication::instance())
        paths << QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("public_suffix_list.dat"));
    return paths;
}

bool PublicSuffixList::load(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        const QString why = QStringLiteral("cannot read the public suffix list %1: %2").arg(path, f.errorString());
        if (error)
            *error = why;
        return false;
    }
    QString why;
    if (!loadFromData(f.readAll(), &why)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, why);
        return false;
    }
    return true;
}

bool PublicSuffixList::loadFromData(const QByteArray &data, QString *error)
{
    QHash<QString, quint8> rules;
    const QString text = QString::fromUtf8(data);
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (const QString &rawLine : lines) {
        const QString line = rawLine.trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1String("//")))
            continue;
        // The rule is the line up to the first whitespace.
        qsizetype end = 0;
        while (end < line.size() && !line.at(end).isSpace())
            ++end;
        QString rule = line.left(end);
        quint8 flag = Normal;
        if (rule.startsWith(QLatin1Char('!'))) {
            flag = Exception;
            rule.remove(0, 1);
        } else if (rule.startsWith(QLatin1String("*."))) {
            flag = Wildcard;
            rule.remove(0, 2);
        }
        if (rule.contains(QLatin1Char('*')) || rule.contains(QLatin1Char('!')))
            continue; // only a leading wildcard is defined
        const Labels labels = splitDomain(rule);
        if (!labels.ok || (flag == Exception && labels.ace.size() < 2))
            continue;
        rules[labels.ace.join(QLatin1Char('.'))] |= flag;
    }
    if (rules.isEmpty()) {
        if (error)
            *error = QStringLiteral("no rules found");
        return false;
    }
    m_rules = std::move(rules);
    m_loadError.clear();
    return true;
}

const PublicSuffixList &PublicSuffixList::system()
{
    static const PublicSuffixList list = [] {
        PublicSuffixList l;
        QStringList errors;
        for (const QString &path : defaultPaths()) {
            QString error;
            if (l.load(path, &error))
                return l;
            errors << error;
        }
        l.m_loadError = errors.join(QStringLiteral("; "));
        return l;
    }();
    return list;
}

int PublicSuffixList::suffixLabelCount(const QStringList &aceLabels) const
{
    const int n = int(aceLabels.size());
    // An exception rule wins over every other rule: its suffix is the rule
    // without its leftmost label.
    for (int i = 0; i < n; ++i) {
        if (m_rules.value(joinTail(aceLabels, n - i)) & Exception)
            return n - i - 1;
    }
    int best = 1; // the implicit "*" rule
    for (int i = 0; i < n; ++i) {
        const quint8 flags = m_rules.value(joinTail(aceLabels, n - i));
        if (flags & Normal)
            best = std::max(best, n - i);
        if ((flags & Wildcard) && i >= 1)
            best = std::max(best, n - i + 1);
    }
    return best;
}

QString PublicSuffixList::publicSuffix(const QString &domain) const
{
    if (!isLoaded())
        return {};
    const Labels labels = splitDomain(domain);
    if (!labels.ok)
        return {};
    return joinTail(labels.shown, suffixLabelCount(labels.ace));
}

QString PublicSuffixList::organizationalDomain(const QString &domain) const
{
    const Labels labels = splitDomain(domain);
    if (!labels.ok) {
        QString d = domain.trimmed().toLower();
        if (d.endsWith(QLatin1Char('.')))
            d.chop(1);
        return d;
    }
    const int n = int(labels.shown.size());
    if (!isLoaded())
        return labels.shown.join(QLatin1Char('.'));
    const int suffix = suffixLabelCount(labels.ace);
    return joinTail(labels.shown, std::min(n, suffix + 1));
}

QString PublicSuffixList::aceForm(const QString &domain)
{
    const Labels labels = splitDomain(domain);
    return labels.ok ? labels.ace.join(QLatin1Char('.')) : QString();
}

bool PublicSuffixList::isPublicSuffix(const QString &domain) const
{
    if (!isLoaded())
        return false;
    const Labels labels = splitDomain(domain);
    return labels.ok && suffixLabelCount(labels.ace) >= int(labels.ace.size());
}

} // namespace rd::mailauth

#include "log/logquery.h"

#include "util/cidr.h"

#include <QHostAddress>
#include <QRegularExpression>
#include <QStringList>

namespace rd::log {

namespace {

bool hasToken(const QString &word)
{
    for (QChar c : word) {
        if (c.isLetterOrNumber())
            return true;
    }
    return false;
}

QString quoted(const QString &word)
{
    QString w = word;
    w.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + w + QLatin1Char('"');
}

bool isIpText(const QString &s)
{
    for (QChar c : s) {
        const char16_t u = c.unicode();
        const bool hex = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'f') || (u >= 'A' && u <= 'F');
        if (!hex && u != '.' && u != ':')
            return false;
    }
    return !s.isEmpty();
}

// The next string after every string starting with `prefix` (for a range scan).
QString prefixEnd(const QString &prefix)
{
    QString end = prefix;
    end[end.size() - 1] = QChar(end.at(end.size() - 1).unicode() + 1);
    return end;
}

} // namespace

QString likeEscaped(const QString &text)
{
    QString like = text;
    like.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
        .replace(QLatin1Char('%'), QStringLiteral("\\%"))
        .replace(QLatin1Char('_'), QStringLiteral("\\_"));
    return like;
}

QString ftsWordsQuery(const QString &input)
{
    QStringList words;
    for (const QString &w : input.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts)) {
        if (hasToken(w))
            words << quoted(w);
    }
    if (words.size() == 1)
        return words.first() + QLatin1Char('*');
    return words.join(QLatin1Char(' '));
}

QString ftsColumnPhrase(const QString &column, const QString &input, bool prefix)
{
    const QString t = input.simplified();
    if (!hasToken(t))
        return {};
    return column + QStringLiteral(" : ") + quoted(t) + (prefix ? QStringLiteral("*") : QString());
}

QString ftsWordStartQuery(const QString &column, const QString &input, bool *prefix)
{
    *prefix = false;
    const QStringList tokens =
        input.split(QRegularExpression(QStringLiteral("[^\\p{L}\\p{N}]+")), Qt::SkipEmptyParts);
    if (tokens.isEmpty())
        return {};
    const bool lastComplete = !input.at(input.size() - 1).isLetterOrNumber();
    const QStringList complete = lastComplete ? tokens : tokens.mid(0, tokens.size() - 1);
    if (!complete.isEmpty())
        return column + QStringLiteral(" : ") + quoted(complete.join(QLatin1Char(' ')));
    *prefix = true;
    return column + QStringLiteral(" : ") + quoted(tokens.first()) + QLatin1Char('*');
}

QString joinFts(const QStringList &parts)
{
    if (parts.size() <= 1)
        return parts.value(0);
    return QLatin1Char('(') + parts.join(QStringLiteral(") AND (")) + QLatin1Char(')');
}

bool ipCondition(const QString &input, IpCondition *out, QString *error)
{
    const QString s = input.trimmed();
    *out = {};
    const int slash = s.indexOf(QLatin1Char('/'));
    if (slash >= 0) {
        QHostAddress addr;
        bool ok = false;
        const int len = s.mid(slash + 1).toInt(&ok);
        if (!addr.setAddress(s.left(slash)) || !ok) {
            *error = QStringLiteral("\"%1\" is not an address range (example: 192.0.2.0/24)").arg(s);
            return false;
        }
        addr = util::normalizedAddress(addr);
        if (addr.protocol() == QAbstractSocket::IPv6Protocol) {
            if (len == 128)
                return ipCondition(addr.toString(), out, error);
            *error = QStringLiteral("IPv6 ranges are not supported here: give a full address or a text prefix"
                                    " ending in ':' (example: 2001:db8:)");
            return false;
        }
        if (len < 0 || len > 32) {
            *error = QStringLiteral("\"%1\": an IPv4 prefix length is 0 to 32").arg(s);
            return false;
        }
        if (len == 32)
            return ipCondition(addr.toString(), out, error);
        const quint32 v = addr.toIPv4Address();
        const int whole = len / 8;
        QString prefix;
        for (int i = 0; i < whole; ++i)
            prefix += QString::number((v >> (24 - 8 * i)) & 0xff) + QLatin1Char('.');
        QStringList parts;
        if (whole > 0) {
            parts << QStringLiteral("%1 >= ? AND %1 < ?");
            out->binds << prefix << prefixEnd(prefix);
        } else {
            parts << QStringLiteral("%1 LIKE '%.%' AND %1 NOT LIKE '%:%'");
        }
        const int rest = len % 8;
        if (rest > 0) {
            const int octet = int((v >> (24 - 8 * whole)) & 0xff);
            const int lo = octet & (0xff << (8 - rest)) & 0xff;
            const int hi = lo + (1 << (8 - rest)) - 1;
            // CAST reads the leading digits of "16.5.4" as 16.
            parts << QStringLiteral("CAST(substr(%1, ") + QString::number(prefix.size() + 1)
                    + QStringLiteral(") AS INTEGER) BETWEEN ") + QString::number(lo) + QStringLiteral(" AND ")
                    + QString::number(hi);
        }
        out->sql = parts.join(QStringLiteral(" AND "));
        return true;
    }
    if (s.endsWith(QLatin1Char('.')) || s.endsWith(QLatin1Char(':'))) {
        if (!isIpText(s)) {
            *error = QStringLiteral("\"%1\" is not an address prefix (example: 10.1. or 2001:db8:)").arg(s);
            return false;
        }
        out->sql = QStringLiteral("%1 >= ? AND %1 < ?");
        out->binds << s.toLower() << prefixEnd(s.toLower());
        return true;
    }
    QHostAddress addr;
    if (!addr.setAddress(s)) {
        *error = QStringLiteral("\"%1\" is not an IP address, a range like 192.0.2.0/24 or a prefix like 10.1.")
                     .arg(s);
        return false;
    }
    out->sql = QStringLiteral("%1 = ?");
    out->binds << util::normalizedAddress(addr).toString();
    return true;
}

QString indexedSql(const IndexCandidate &c, bool useIndex)
{
    const QString column = QStringLiteral("events.") + c.column;
    return QLatin1Char('(') + c.sql.arg(useIndex ? column : QLatin1Char('+') + column) + QLatin1Char(')');
}

LogQueryParts buildLogQuery(const LogFilter &f)
{
    LogQueryParts p;
    QStringList fts;
    if (!f.ip.trimmed().isEmpty()) {
        IpCondition ip;
        if (!ipCondition(f.ip, &ip, &p.error))
            return p;
        p.indexed.append({QStringLiteral("client_ip"), ip.sql, ip.binds});
    }
    if (!f.user.isEmpty())
        p.indexed.append({QStringLiteral("user"), QStringLiteral("%1 = ?"), {f.user}});
    const QString sender = f.sender.trimmed();
    if (sender.startsWith(QLatin1Char('@')) || (!sender.isEmpty() && !sender.contains(QLatin1Char('@')))) {
        // A domain: the full-text index finds candidates, LIKE keeps the exact domain.
        const QString domain = sender.startsWith(QLatin1Char('@')) ? sender.mid(1) : sender;
        if (domain.isEmpty()) {
            p.error = QStringLiteral("give a sender address or a domain like @example.com");
            return p;
        }
        const QString phrase = ftsColumnPhrase(QStringLiteral("sender"), domain, false);
        if (!phrase.isEmpty())
            fts << phrase;
        p.conditions += QStringLiteral(" AND (events.sender LIKE ? ESCAPE '\\')");
        p.binds << QStringLiteral("%@") + likeEscaped(domain);
    } else if (!sender.isEmpty()) {
        p.indexed.append({QStringLiteral("sender"), QStringLiteral("%1 = ?"), {sender}});
    }
    const QString recipient = f.recipient.trimmed();
    if (!recipient.isEmpty()) {
        bool prefix = false;
        const QString phrase = ftsWordStartQuery(QStringLiteral("recipients"), recipient, &prefix);
        if (!phrase.isEmpty()) {
            fts << phrase;
            p.ftsPrefix = prefix;
        }
        p.conditions += QStringLiteral(" AND (events.recipients LIKE ? ESCAPE '\\')");
        p.binds << QLatin1Char('%') + likeEscaped(recipient) + QLatin1Char('%');
    }
    if (f.kind >= 0)
        p.indexed.append({QStringLiteral("kind"), QStringLiteral("%1 = ?"), {f.kind}});
    if (!f.sessionId.isEmpty())
        p.indexed.append({QStringLiteral("session_id"), QStringLiteral("%1 = ?"), {f.sessionId}});
    if (f.statusClass != 0) {
        if (f.statusClass < 2 || f.statusClass > 5) {
            p.error = QStringLiteral("status class %1: use 2, 3, 4 or 5").arg(f.statusClass);
            return p;
        }
        p.conditions += QStringLiteral(" AND (events.reply_code BETWEEN ? AND ?)");
        p.binds << f.statusClass * 100 << f.statusClass * 100 + 99;
    }
    if (!f.direction.isEmpty()) {
        if (f.direction != QLatin1String("in") && f.direction != QLatin1String("out")) {
            p.error = QStringLiteral("direction \"%1\": use in or out").arg(f.direction);
            return p;
        }
        p.conditions += QStringLiteral(" AND (events.direction = ?)");
        p.binds << f.direction;
    }
    if (f.from.isValid()) {
        p.timeConditions += QStringLiteral(" AND events.ts >= ?");
        p.timeBinds << f.from.toMSecsSinceEpoch();
    }
    if (f.to.isValid()) {
        p.timeConditions += QStringLiteral(" AND events.ts <= ?");
        p.timeBinds << f.to.toMSecsSinceEpoch();
    }
    const QString text = f.text.trimmed();
    if (!text.isEmpty()) {
        const QString like = QLatin1Char('%') + likeEscaped(text) + QLatin1Char('%');
        QStringList any;
        for (const char *c : {"sender", "recipients", "client_ip", "queue_id", "message", "result", "session_id",
                              "helo"})
            any << QStringLiteral("events.%1 LIKE ? ESCAPE '\\'").arg(QLatin1String(c));
        p.conditions += QStringLiteral(" AND (") + any.join(QStringLiteral(" OR ")) + QLatin1Char(')');
        for (int i = 0; i < 8; ++i)
            p.binds << like;
    }
    const QString words = ftsWordsQuery(f.search);
    if (!words.isEmpty()) {
        // A lone ASCII word: the reader may expand the prefix into its terms.
        const QString lone = f.search.trimmed().toLower();
        static const QRegularExpression asciiWord(QStringLiteral("^[a-z0-9]+$"));
        if (words.endsWith(QLatin1Char('*')) && asciiWord.match(lone).hasMatch()) {
            p.lonePrefixPart = int(fts.size());
            p.lonePrefixToken = lone;
        }
        fts << words;
        p.ftsPrefix = p.ftsPrefix || words.endsWith(QLatin1Char('*'));
    }
    p.ftsParts = fts;
    p.fts = joinFts(fts);
    return p;
}

} // namespace rd::log

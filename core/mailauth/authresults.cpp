#include "mailauth/authresults.h"

#include <QStringList>

namespace rd::mailauth {

namespace {

constexpr int kMaxFieldLine = 76; // octets before CRLF (RFC 5322 2.1.1 says 78 SHOULD)

bool isTspecial(QChar c)
{
    return QStringLiteral("()<>@,;:\\\"/[]?=").contains(c);
}

// RFC 2045 token: printable US-ASCII without tspecials and space.
bool isToken(const QString &s)
{
    if (s.isEmpty())
        return false;
    for (QChar c : s) {
        if (c.unicode() <= 0x20 || c.unicode() >= 0x7f || isTspecial(c))
            return false;
    }
    return true;
}

bool isAtextAscii(QChar c)
{
    return c.unicode() < 0x80 && (c.isLetterOrNumber() || QStringLiteral("!#$%&'*+-/=?^_`{|}~").contains(c));
}

// [dot-atom-text] "@" domain-name, the unquoted pvalue form (RFC 8601 2.2).
bool isPlainAddress(const QString &s)
{
    const qsizetype at = s.lastIndexOf(QLatin1Char('@'));
    if (at < 0)
        return false;
    const QString local = s.left(at);
    const QString domain = s.mid(at + 1);
    if (!local.isEmpty()) {
        for (const QString &atom : local.split(QLatin1Char('.'))) {
            if (atom.isEmpty())
                return false;
            for (QChar c : atom) {
                if (!isAtextAscii(c))
                    return false;
            }
        }
    }
    if (domain.isEmpty())
        return false;
    for (const QString &label : domain.split(QLatin1Char('.'))) {
        if (label.isEmpty())
            return false;
        for (QChar c : label) {
            if (!(c.unicode() < 0x80 && (c.isLetterOrNumber() || c == QLatin1Char('-') || c == QLatin1Char('_'))))
                return false;
        }
    }
    return true;
}

QString noLineBreaks(QString s)
{
    s.replace(QLatin1Char('\r'), QLatin1Char(' '));
    s.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return s;
}

QString quoted(const QString &s)
{
    QString out = QStringLiteral("\"");
    for (QChar c : s) {
        if (c == QLatin1Char('"') || c == QLatin1Char('\\'))
            out += QLatin1Char('\\');
        out += c;
    }
    out += QLatin1Char('"');
    return out;
}

QString keyword(const QString &s)
{
    QString out;
    for (QChar c : s) {
        if (c.unicode() < 0x80 && (c.isLetterOrNumber() || c == QLatin1Char('-') || c == QLatin1Char('_')
                                   || c == QLatin1Char('.')))
            out += c;
    }
    return out;
}

QString value(const QString &raw)
{
    const QString s = noLineBreaks(raw);
    return isToken(s) ? s : quoted(s);
}

QString pvalue(const QString &raw)
{
    const QString s = noLineBreaks(raw);
    return (isToken(s) || isPlainAddress(s)) ? s : quoted(s);
}

// Folds `words` (each to be preceded by one space) onto `out`, whose
// current line is `lineLen` octets long: a line break goes before the
// space, so unfolding restores the text exactly (spaces inside quoted
// strings included).
void appendWords(QByteArray &out, int &lineLen, const QStringList &words)
{
    for (const QString &w : words) {
        const QByteArray bytes = w.toUtf8();
        if (lineLen + 1 + bytes.size() > kMaxFieldLine && lineLen > 1) {
            out += "\r\n";
            lineLen = 0;
        }
        out += ' ';
        out += bytes;
        lineLen += 1 + int(bytes.size());
    }
}

} // namespace

QByteArray authenticationResultsHeader(const QString &authservId, const QList<AuthResultsEntry> &entries)
{
    QList<QStringList> resinfos;
    for (const AuthResultsEntry &e : entries) {
        const QString method = keyword(e.method).toLower();
        const QString result = keyword(e.result).toLower();
        if (method.isEmpty() || result.isEmpty())
            continue;
        QStringList words{method + QLatin1Char('=') + result};
        if (!e.reason.isEmpty())
            words += (QStringLiteral("reason=") + value(e.reason)).split(QLatin1Char(' '));
        for (const auto &[name, val] : e.properties) {
            const QString prop = keyword(name);
            if (!prop.contains(QLatin1Char('.')) || prop.startsWith(QLatin1Char('.')) || prop.endsWith(QLatin1Char('.')))
                continue; // ptype "." property
            words += (prop + QLatin1Char('=') + pvalue(val)).split(QLatin1Char(' '));
        }
        resinfos.append(words);
    }

    QByteArray out = "Authentication-Results:";
    int lineLen = int(out.size());
    QStringList idWords = value(authservId).split(QLatin1Char(' '));
    idWords.last() += QLatin1Char(';');
    appendWords(out, lineLen, idWords);
    if (resinfos.isEmpty()) {
        appendWords(out, lineLen, {QStringLiteral("none")});
    }
    for (qsizetype i = 0; i < resinfos.size(); ++i) {
        QStringList words = resinfos.at(i);
        if (i + 1 < resinfos.size())
            words.last() += QLatin1Char(';');
        out += "\r\n\t";
        out += words.first().toUtf8();
        lineLen = 1 + int(words.first().toUtf8().size());
        appendWords(out, lineLen, words.mid(1));
    }
    out += "\r\n";
    return out;
}

namespace {

class ArParser {
public:
    explicit ArParser(const QString &s) : m_s(s) {}

    bool atEnd() const { return m_i >= m_s.size(); }
    QChar peek() const { return atEnd() ? QChar() : m_s.at(m_i); }
    void advance() { ++m_i; }

    // Whitespace and (nested) comments.
    bool skipCfws(QString *error)
    {
        while (!atEnd()) {
            const QChar c = peek();
            if (c == QLatin1Char(' ') || c == QLatin1Char('\t') || c == QLatin1Char('\r') || c == QLatin1Char('\n')) {
                advance();
            } else if (c == QLatin1Char('(')) {
                int depth = 0;
                for (; !atEnd(); advance()) {
                    const QChar d = peek();
                    if (d == QLatin1Char('\\'))
                        advance();
                    else if (d == QLatin1Char('('))
                        ++depth;
                    else if (d == QLatin1Char(')') && --depth == 0)
                        break;
                }
                if (atEnd()) {
                    *error = QStringLiteral("unterminated comment");
                    return false;
                }
                advance();
            } else {
                break;
            }
        }
        return true;
    }

    bool quotedString(QString *out, QString *error)
    {
        advance(); // opening quote
        out->clear();
        while (!atEnd() && peek() != QLatin1Char('"')) {
            if (peek() == QLatin1Char('\\')) {
                advance();
                if (atEnd())
                    break;
            }
            *out += peek();
            advance();
        }
        if (atEnd()) {
            *error = QStringLiteral("unterminated quoted string");
            return false;
        }
        advance();
        return true;
    }

    // token / quoted-string
    bool value(QString *out, QString *error)
    {
        if (peek() == QLatin1Char('"'))
            return quotedString(out, error);
        const qsizetype start = m_i;
        while (!atEnd() && peek().unicode() > 0x20 && peek().unicode() != 0x7f && !isTspecial(peek()))
            advance();
        *out = m_s.mid(start, m_i - start);
        if (out->isEmpty()) {
            *error = QStringLiteral("expected a value at offset %1").arg(start);
            return false;
        }
        return true;
    }

    // pvalue: value, or [local-part] "@" domain. Unquoted values are read
    // leniently up to whitespace, ';' or a comment (real fields carry
    // header.b=abc/def+ unquoted).
    bool pvalue(QString *out, QString *error)
    {
        if (peek() == QLatin1Char('"')) {
            const qsizetype quoteStart = m_i;
            if (!quotedString(out, error))
                return false;
            if (peek() != QLatin1Char('@'))
                return true;
            *out = m_s.mid(quoteStart, m_i - quoteStart); // "quoted local"@domain stays as written
        } else {
            out->clear();
        }
        const qsizetype start = m_i;
        while (!atEnd()) {
            const QChar c = peek();
            if (c.unicode() <= 0x20 || c == QLatin1Char(';') || c == QLatin1Char('(') || c == QLatin1Char('"')
                || c.unicode() == 0x7f)
                break;
            advance();
        }
        *out += m_s.mid(start, m_i - start);
        if (out->isEmpty()) {
            *error = QStringLiteral("expected a property value at offset %1").arg(start);
            return false;
        }
        return true;
    }

    QString keyword()
    {
        const qsizetype start = m_i;
        while (!atEnd() && peek().unicode() < 0x80
               && (peek().isLetterOrNumber() || peek() == QLatin1Char('-') || peek() == QLatin1Char('_')))
            advance();
        return m_s.mid(start, m_i - start);
    }

    QString digits()
    {
        const qsizetype start = m_i;
        while (!atEnd() && peek() >= QLatin1Char('0') && peek() <= QLatin1Char('9'))
            advance();
        return m_s.mid(start, m_i - start);
    }

    qsizetype pos() const { return m_i; }

private:
    QString m_s;
    qsizetype m_i = 0;
};

bool peekIsDigit(QChar c)
{
    return c >= QLatin1Char('0') && c <= QLatin1Char('9');
}

ParsedAuthResults failed(ParsedAuthResults r, const QString &error)
{
    r.ok = false;
    r.error = error;
    r.entries.clear();
    return r;
}

} // namespace

ParsedAuthResults parseAuthenticationResults(const QByteArray &fieldValue)
{
    ParsedAuthResults r;
    // RFC 5322 2.2.3 unfolding: a line break followed by WSP is removed (the
    // WSP stays), also inside quoted strings.
    QByteArray unfolded;
    unfolded.reserve(fieldValue.size());
    for (qsizetype i = 0; i < fieldValue.size(); ++i) {
        const char c = fieldValue.at(i);
        const qsizetype next = c == '\r' && i + 1 < fieldValue.size() && fieldValue.at(i + 1) == '\n' ? i + 2
                               : c == '\n'                                                          ? i + 1
                                                                                                    : -1;
        if (next > 0 && next < fieldValue.size() && (fieldValue.at(next) == ' ' || fieldValue.at(next) == '\t')) {
            i = next - 1;
            continue;
        }
        unfolded += c;
    }
    QString text = QString::fromUtf8(unfolded);
    {
        const QString name = QStringLiteral("Authentication-Results");
        const QString t = text.trimmed();
        if (t.startsWith(name, Qt::CaseInsensitive)) {
            const QString rest = t.mid(name.size()).trimmed();
            if (rest.startsWith(QLatin1Char(':')))
                text = rest.mid(1);
        }
    }
    ArParser p(text);
    QString error;
    if (!p.skipCfws(&error))
        return failed(r, error);
    if (p.atEnd())
        return failed(r, QStringLiteral("empty field"));
    if (!p.value(&r.authservId, &error))
        return failed(r, QStringLiteral("no authserv-id: ") + error);
    if (!p.skipCfws(&error))
        return failed(r, error);
    if (!p.atEnd() && peekIsDigit(p.peek())) {
        r.version = p.digits().toInt();
        if (!p.skipCfws(&error))
            return failed(r, error);
    }
    if (p.peek() != QLatin1Char(';'))
        return failed(r, QStringLiteral("expected ';' after the authserv-id at offset %1").arg(p.pos()));

    bool sawNone = false;
    while (p.peek() == QLatin1Char(';')) {
        p.advance();
        if (!p.skipCfws(&error))
            return failed(r, error);
        if (p.atEnd())
            break; // a trailing ';' is tolerated
        if (sawNone)
            return failed(r, QStringLiteral("\"none\" must be the only result"));
        AuthResultsEntry e;
        e.method = p.keyword().toLower();
        if (e.method.isEmpty())
            return failed(r, QStringLiteral("expected a method name at offset %1").arg(p.pos()));
        if (!p.skipCfws(&error))
            return failed(r, error);
        if (e.method == QLatin1String("none") && r.entries.isEmpty()
            && (p.atEnd() || p.peek() == QLatin1Char(';'))) {
            sawNone = true;
            continue;
        }
        if (p.peek() == QLatin1Char('/')) {
            p.advance();
            if (!p.skipCfws(&error))
                return failed(r, error);
            if (p.digits().isEmpty())
                return failed(r, QStringLiteral("expected a method version at offset %1").arg(p.pos()));
            if (!p.skipCfws(&error))
                return failed(r, error);
        }
        if (p.peek() != QLatin1Char('='))
            return failed(r, QStringLiteral("expected '=' after method %1").arg(e.method));
        p.advance();
        if (!p.skipCfws(&error))
            return failed(r, error);
        e.result = p.keyword().toLower();
        if (e.result.isEmpty())
            return failed(r, QStringLiteral("expected a result for method %1").arg(e.method));
        for (;;) {
            if (!p.skipCfws(&error))
                return failed(r, error);
            if (p.atEnd() || p.peek() == QLatin1Char(';'))
                break;
            const QString word = p.keyword().toLower();
            if (word.isEmpty())
                return failed(r, QStringLiteral("unexpected '%1' at offset %2").arg(p.peek()).arg(p.pos()));
            if (!p.skipCfws(&error))
                return failed(r, error);
            if (p.peek() == QLatin1Char('.')) {
                p.advance();
                if (!p.skipCfws(&error))
                    return failed(r, error);
                const QString prop = p.keyword().toLower();
                if (prop.isEmpty())
                    return failed(r, QStringLiteral("expected a property name after %1.").arg(word));
                if (!p.skipCfws(&error))
                    return failed(r, error);
                if (p.peek() != QLatin1Char('='))
                    return failed(r, QStringLiteral("expected '=' after %1.%2").arg(word, prop));
                p.advance();
                QString v;
                if (!p.skipCfws(&error) || !p.pvalue(&v, &error))
                    return failed(r, error);
                e.properties.append({word + QLatin1Char('.') + prop, v});
            } else if (word == QLatin1String("reason") && p.peek() == QLatin1Char('=')) {
                p.advance();
                if (!p.skipCfws(&error) || !p.value(&e.reason, &error))
                    return failed(r, error);
            } else {
                return failed(r, QStringLiteral("expected reason= or ptype.property= after %1=%2, got \"%3\"")
                                     .arg(e.method, e.result, word));
            }
        }
        r.entries.append(e);
    }
    if (!p.atEnd())
        return failed(r, QStringLiteral("unexpected text at offset %1").arg(p.pos()));
    if (!sawNone && r.entries.isEmpty())
        return failed(r, QStringLiteral("no results and no \"none\""));
    r.ok = true;
    return r;
}

} // namespace rd::mailauth

#include "pickup/addresslist.h"

#include "mime/encodedwords.h"

#include <algorithm>
#include "util/textchars.h"


namespace rd::pickup {

namespace {
using util::isFwsChar;

enum class Tok { Atom, Quoted, Literal, Special };

struct Token {
    Tok type;
    QByteArray text;        // atom text, quoted content (unescaped), literal with brackets, or the special char
    bool spaceBefore = false;
};

bool isSpecial(char c)
{
    switch (c) {
    case '(': case ')': case '<': case '>': case '[': case ']':
    case ':': case ';': case '@': case '\\': case ',': case '"':
        return true;
    default:
        return false;
    }
}

QByteArrayView sub(QByteArrayView v, qsizetype pos, qsizetype len)
{
    pos = std::min(pos, v.size());
    return v.sliced(pos, std::min(len, v.size() - pos));
}

QString show(QByteArrayView v)
{
    return QString::fromUtf8(v.data(), v.size()).trimmed();
}

// Splits the value into tokens; comments and whitespace are dropped.
bool tokenize(QByteArrayView v, QList<Token> *out, QString *error)
{
    bool space = false;
    qsizetype i = 0;
    const qsizetype n = v.size();
    while (i < n) {
        const char c = v[i];
        if (isFwsChar(c)) {
            space = true;
            ++i;
        } else if (c == '(') {
            int depth = 0;
            const qsizetype start = i;
            for (; i < n; ++i) {
                if (v[i] == '\\') {
                    ++i;
                } else if (v[i] == '(') {
                    ++depth;
                } else if (v[i] == ')' && --depth == 0) {
                    break;
                }
            }
            if (i >= n) {
                *error = QStringLiteral("the comment starting at \u201c%1\u201d is not closed with \u201c)\u201d")
                             .arg(show(sub(v, start, 30)));
                return false;
            }
            ++i;
            space = true;
        } else if (c == '"') {
            QByteArray text;
            const qsizetype start = i++;
            bool closed = false;
            for (; i < n; ++i) {
                if (v[i] == '\\' && i + 1 < n) {
                    text += v[++i];
                } else if (v[i] == '"') {
                    closed = true;
                    break;
                } else if (v[i] != '\r' && v[i] != '\n') {
                    text += v[i];
                }
            }
            if (!closed) {
                *error = QStringLiteral("the quoted text starting at \u201c%1\u201d has no closing quote")
                             .arg(show(sub(v, start, 30)));
                return false;
            }
            ++i;
            out->append(Token{Tok::Quoted, text, space});
            space = false;
        } else if (c == '[') {
            const qsizetype start = i;
            while (i < n && v[i] != ']')
                ++i;
            if (i >= n) {
                *error = QStringLiteral("the address literal \u201c%1\u201d is not closed with \u201c]\u201d")
                             .arg(show(sub(v, start, 30)));
                return false;
            }
            ++i;
            QByteArray lit = sub(v, start, i - start).toByteArray();
            lit.replace(' ', QByteArray()).replace('\t', QByteArray());
            out->append(Token{Tok::Literal, lit, space});
            space = false;
        } else if (isSpecial(c) && c != '\\') {
            out->append(Token{Tok::Special, QByteArray(1, c), space});
            space = false;
            ++i;
        } else {
            const qsizetype start = i;
            while (i < n && !isFwsChar(v[i]) && (!isSpecial(v[i]) || v[i] == '\\'))
                ++i;
            out->append(Token{Tok::Atom, sub(v, start, i - start).toByteArray(), space});
            space = false;
        }
    }
    return true;
}

bool isDotAtom(const QByteArray &s)
{
    if (s.isEmpty() || s.startsWith('.') || s.endsWith('.') || s.contains(".."))
        return false;
    for (char c : s) {
        if (uchar(c) < 0x21 || uchar(c) == 0x7f || (isSpecial(c)))
            return false;
    }
    return true;
}

class Parser {
public:
    explicit Parser(const QList<Token> &t) : m_t(t) {}

    bool run(QList<Mailbox> *out, QString *error)
    {
        m_out = out;
        m_error = error;
        while (m_p < m_t.size()) {
            if (isSpecialAt(m_p, ',')) {
                ++m_p; // an empty element (obs-addr-list)
                continue;
            }
            if (!element(false))
                return false;
            if (m_p < m_t.size()) {
                if (!isSpecialAt(m_p, ','))
                    return fail(QStringLiteral("unexpected \u201c%1\u201d after an address (a missing comma?)")
                                    .arg(show(m_t[m_p].text)));
                ++m_p;
            }
        }
        return true;
    }

private:
    bool isSpecialAt(qsizetype i, char c) const
    {
        return i < m_t.size() && m_t[i].type == Tok::Special && m_t[i].text[0] == c;
    }

    bool fail(const QString &text)
    {
        *m_error = text;
        return false;
    }

    QString context(qsizetype from, qsizetype to) const
    {
        QByteArray s;
        for (qsizetype i = from; i < to && i < m_t.size(); ++i) {
            if (m_t[i].spaceBefore && !s.isEmpty())
                s += ' ';
            s += m_t[i].type == Tok::Quoted ? '"' + m_t[i].text + '"' : m_t[i].text;
        }
        return show(s);
    }

    // One mailbox or group; stops before ',' (or ';' inside a group).
    bool element(bool inGroup)
    {
        qsizetype q = m_p;
        while (q < m_t.size()) {
            const Token &t = m_t[q];
            if (t.type == Tok::Special) {
                const char c = t.text[0];
                if (c == ':' || c == '<' || c == '@' || c == ',' || c == ';' || c == '>')
                    break;
            }
            ++q;
        }
        if (q >= m_t.size() || isSpecialAt(q, ',') || isSpecialAt(q, ';')) {
            if (q == m_p)
                return fail(QStringLiteral("unexpected \u201c%1\u201d where an address should be")
                                .arg(show(m_t[q].text)));
            return fail(QStringLiteral("\u201c%1\u201d is not an address (no @domain)").arg(context(m_p, q)));
        }
        const char c = m_t[q].text[0];
        if (c == ':') {
            if (inGroup)
                return fail(QStringLiteral("a group inside the group \u201c%1\u201d").arg(context(m_p, q)));
            return group(q);
        }
        if (c == '<')
            return angleAddr(q);
        if (c == '@')
            return addrSpec(QString(), '\0');
        return fail(QStringLiteral("unexpected \u201c>\u201d after \u201c%1\u201d").arg(context(m_p, q)));
    }

    bool group(qsizetype colon)
    {
        m_p = colon + 1;
        while (m_p < m_t.size() && !isSpecialAt(m_p, ';')) {
            if (isSpecialAt(m_p, ',')) {
                ++m_p;
                continue;
            }
            if (!element(true))
                return false;
            if (m_p < m_t.size() && !isSpecialAt(m_p, ',') && !isSpecialAt(m_p, ';'))
                return fail(QStringLiteral("unexpected \u201c%1\u201d in a group (a missing comma?)")
                                .arg(show(m_t[m_p].text)));
        }
        if (m_p < m_t.size())
            ++m_p; // ';' (a group missing it at the very end is accepted)
        return true;
    }

    QString phrase(qsizetype from, qsizetype to) const
    {
        QByteArray raw;
        for (qsizetype i = from; i < to; ++i) {
            if (!raw.isEmpty())
                raw += ' ';
            raw += m_t[i].text;
        }
        return mime::decodeHeaderText(raw).trimmed();
    }

    bool angleAddr(qsizetype lt)
    {
        const QString name = phrase(m_p, lt);
        m_p = lt + 1;
        // Obsolete route: "@a,@b:" before the address.
        if (isSpecialAt(m_p, '@')) {
            while (m_p < m_t.size() && !isSpecialAt(m_p, ':') && !isSpecialAt(m_p, '>'))
                ++m_p;
            if (!isSpecialAt(m_p, ':'))
                return fail(QStringLiteral("the route in \u201c<%1\u201d does not end with \u201c:\u201d")
                                .arg(context(lt + 1, m_p)));
            ++m_p;
        }
        return addrSpec(name, '>');
    }

    // local-part '@' domain, then the closing char (if any).
    bool addrSpec(const QString &name, char closing)
    {
        const qsizetype start = m_p;
        QByteArray local;
        bool quoted = false;
        while (m_p < m_t.size() && (m_t[m_p].type == Tok::Atom || m_t[m_p].type == Tok::Quoted)) {
            quoted = quoted || m_t[m_p].type == Tok::Quoted;
            local += m_t[m_p].text;
            ++m_p;
        }
        if (closing == '>' && isSpecialAt(m_p, '>') && m_p == start) {
            ++m_p; // "<>": the null address; only meaningful as a sender
            m_out->append(Mailbox{name, QByteArray()});
            return true;
        }
        if (!isSpecialAt(m_p, '@')) {
            if (closing == '>' && isSpecialAt(m_p, '>'))
                return fail(QStringLiteral("\u201c<%1>\u201d is not an address (no @domain)").arg(context(start, m_p)));
            return fail(QStringLiteral("\u201c%1\u201d is not an address (no @domain)").arg(context(start, m_p + 1)));
        }
        if (local.isEmpty())
            return fail(QStringLiteral("an address has nothing before the \u201c@\u201d"));
        ++m_p;
        QByteArray domain;
        if (m_p < m_t.size() && m_t[m_p].type == Tok::Literal) {
            domain = m_t[m_p++].text;
        } else {
            while (m_p < m_t.size() && m_t[m_p].type == Tok::Atom) {
                domain += m_t[m_p].text;
                ++m_p;
            }
            if (!isDotAtom(domain))
                return fail(domain.isEmpty()
                                ? QStringLiteral("the address \u201c%1@\u201d has no domain").arg(show(local))
                                : QStringLiteral("\u201c%1\u201d is not a valid domain").arg(show(domain)));
        }
        if (closing) {
            if (!isSpecialAt(m_p, closing))
                return fail(QStringLiteral("the address \u201c%1@%2\u201d is not closed with \u201c%3\u201d")
                                .arg(show(local), show(domain), QString(QLatin1Char(closing))));
            ++m_p;
        }
        QByteArray addr;
        if (!quoted || isDotAtom(local)) {
            addr = local;
        } else {
            QByteArray q = local;
            q.replace('\\', "\\\\").replace('"', "\\\"");
            addr = '"' + q + '"';
        }
        if (!quoted && !isDotAtom(local))
            return fail(QStringLiteral("\u201c%1\u201d is not a valid local part").arg(show(local)));
        addr += '@' + domain;
        m_out->append(Mailbox{name, addr});
        return true;
    }

    const QList<Token> &m_t;
    qsizetype m_p = 0;
    QList<Mailbox> *m_out = nullptr;
    QString *m_error = nullptr;
};

} // namespace

AddressListResult parseAddressList(QByteArrayView value)
{
    AddressListResult r;
    QList<Token> tokens;
    if (!tokenize(value, &tokens, &r.error))
        return r;
    Parser p(tokens);
    if (!p.run(&r.mailboxes, &r.error))
        r.mailboxes.clear();
    return r;
}

} // namespace rd::pickup

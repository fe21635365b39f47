#include "mailauth/dmarcfrom.h"

#include <QList>
#include <QStringList>
#include "util/errorout.h"

namespace rd::mailauth {

namespace {
using util::fail;

// RFC 5322 lexical tokens of an address list; comments and whitespace are
// dropped.
struct Token {
    enum Kind { Atom, Quoted, Literal, Special } kind;
    QString text; // Special: the character
};

bool isAtext(QChar c)
{
    if (c.unicode() >= 0x80)
        return true; // RFC 6532 UTF-8
    if (c.isLetterOrNumber())
        return true;
    return QStringLiteral("!#$%&'*+-/=?^_`{|}~").contains(c);
}

bool tokenize(const QString &s, QList<Token> *out, QString *error)
{
    qsizetype i = 0;
    const qsizetype n = s.size();
    while (i < n) {
        const QChar c = s.at(i);
        if (c == QLatin1Char(' ') || c == QLatin1Char('\t') || c == QLatin1Char('\r') || c == QLatin1Char('\n')) {
            ++i;
        } else if (c == QLatin1Char('(')) {
            int depth = 0;
            for (; i < n; ++i) {
                const QChar d = s.at(i);
                if (d == QLatin1Char('\\'))
                    ++i;
                else if (d == QLatin1Char('('))
                    ++depth;
                else if (d == QLatin1Char(')') && --depth == 0)
                    break;
            }
            if (i >= n)
                return fail(error, QStringLiteral("unterminated comment in the From field"));
            ++i;
        } else if (c == QLatin1Char('"')) {
            QString text;
            for (++i; i < n && s.at(i) != QLatin1Char('"'); ++i) {
                if (s.at(i) == QLatin1Char('\\'))
                    ++i;
                if (i < n)
                    text += s.at(i);
            }
            if (i >= n)
                return fail(error, QStringLiteral("unterminated quoted string in the From field"));
            ++i;
            out->append(Token{Token::Quoted, text});
        } else if (c == QLatin1Char('[')) {
            const qsizetype end = s.indexOf(QLatin1Char(']'), i);
            if (end < 0)
                return fail(error, QStringLiteral("unterminated address literal in the From field"));
            out->append(Token{Token::Literal, s.mid(i, end - i + 1)});
            i = end + 1;
        } else if (QStringLiteral(",:;<>@.").contains(c)) {
            out->append(Token{Token::Special, QString(c)});
            ++i;
        } else if (isAtext(c)) {
            const qsizetype start = i;
            while (i < n && isAtext(s.at(i)))
                ++i;
            out->append(Token{Token::Atom, s.mid(start, i - start)});
        } else {
            return fail(error, QStringLiteral("unexpected character '%1' in the From field").arg(c));
        }
    }
    return true;
}

bool isSpecial(const Token &t, char c)
{
    return t.kind == Token::Special && t.text.at(0) == QLatin1Char(c);
}

bool isDomainLabel(const QString &label)
{
    if (label.isEmpty() || label.size() > 63)
        return false;
    for (QChar c : label) {
        if (!(c.unicode() >= 0x80 || c.isLetterOrNumber() || c == QLatin1Char('-') || c == QLatin1Char('_')))
            return false;
    }
    return true;
}

// The domain of one addr-spec's tokens (local-part "@" domain).
QString addrSpecDomain(const QList<Token> &spec, QString *error)
{
    qsizetype at = -1;
    for (qsizetype i = 0; i < spec.size(); ++i) {
        if (isSpecial(spec.at(i), '@'))
            at = i;
    }
    if (at < 0) {
        fail(error, spec.isEmpty() ? QStringLiteral("the From address is empty")
                                   : QStringLiteral("the From address has no domain (no '@')"));
        return {};
    }
    if (at == 0) {
        fail(error, QStringLiteral("the From address has no local part"));
        return {};
    }
    const QList<Token> domain = spec.mid(at + 1);
    if (domain.size() == 1 && domain.first().kind == Token::Literal) {
        fail(error, QStringLiteral("the From address has an address literal %1, not a domain name")
                        .arg(domain.first().text));
        return {};
    }
    QStringList labels;
    bool expectLabel = true;
    for (qsizetype i = 0; i < domain.size(); ++i) {
        const Token &t = domain.at(i);
        if (expectLabel && t.kind == Token::Atom) {
            labels << t.text;
            expectLabel = false;
        } else if (!expectLabel && isSpecial(t, '.')) {
            expectLabel = true;
        } else {
            fail(error, QStringLiteral("the From address's domain is not a domain name"));
            return {};
        }
    }
    // A single trailing dot (absolute name) is accepted.
    if (labels.isEmpty()) {
        fail(error, QStringLiteral("the From address has an empty domain"));
        return {};
    }
    for (const QString &label : labels) {
        if (!isDomainLabel(label)) {
            fail(error, QStringLiteral("the From address's domain has an invalid label \"%1\"").arg(label));
            return {};
        }
    }
    return labels.join(QLatin1Char('.')).toLower();
}

} // namespace

QString fromFieldDomain(const QByteArray &fieldValue, QString *error)
{
    QList<Token> tokens;
    if (!tokenize(QString::fromUtf8(fieldValue), &tokens, error))
        return {};

    // Split into list elements at top-level commas.
    QList<QList<Token>> elements{{}};
    int angle = 0;
    for (const Token &t : tokens) {
        if (isSpecial(t, '<'))
            ++angle;
        else if (isSpecial(t, '>'))
            --angle;
        if (angle < 0 || angle > 1) {
            fail(error, QStringLiteral("unbalanced angle brackets in the From field"));
            return {};
        }
        if (angle == 0 && (isSpecial(t, ':') || isSpecial(t, ';'))) {
            fail(error, QStringLiteral("the From field holds a group, not a mailbox"));
            return {};
        }
        if (angle == 0 && isSpecial(t, ','))
            elements.append(QList<Token>());
        else
            elements.last().append(t);
    }
    if (angle != 0) {
        fail(error, QStringLiteral("unbalanced angle brackets in the From field"));
        return {};
    }
    elements.removeIf([](const QList<Token> &e) { return e.isEmpty(); }); // obs-mbox-list
    if (elements.size() != 1) {
        fail(error, elements.isEmpty() ? QStringLiteral("the From field holds no address")
                                       : QStringLiteral("the From field holds %1 addresses; DMARC needs exactly "
                                                        "one (RFC 7489 6.6.1)")
                                             .arg(elements.size()));
        return {};
    }

    const QList<Token> &e = elements.first();
    qsizetype open = -1, close = -1;
    for (qsizetype i = 0; i < e.size(); ++i) {
        if (isSpecial(e.at(i), '<')) {
            if (open >= 0) {
                fail(error, QStringLiteral("the From field has more than one angle address"));
                return {};
            }
            open = i;
        } else if (isSpecial(e.at(i), '>')) {
            close = i;
        }
    }
    if (open < 0)
        return addrSpecDomain(e, error);
    if (close != e.size() - 1) {
        fail(error, QStringLiteral("text after the angle address in the From field"));
        return {};
    }
    QList<Token> inner = e.mid(open + 1, close - open - 1);
    // obs-route: "<@relay1,@relay2:user@domain>"
    if (!inner.isEmpty() && isSpecial(inner.first(), '@')) {
        const auto colon = std::find_if(inner.begin(), inner.end(), [](const Token &t) { return isSpecial(t, ':'); });
        if (colon == inner.end()) {
            fail(error, QStringLiteral("malformed route in the From address"));
            return {};
        }
        inner.erase(inner.begin(), colon + 1);
    }
    return addrSpecDomain(inner, error);
}

QString headerFromDomain(const QByteArray &headerBlock, QString *error)
{
    QList<QByteArray> fromValues;
    QByteArray *current = nullptr; // the value being unfolded, if it is a From field
    bool inField = false;
    const QList<QByteArray> lines = headerBlock.split('\n');
    for (QByteArray line : lines) {
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty())
            break; // end of the header section
        if (line.at(0) == ' ' || line.at(0) == '\t') {
            if (inField && current)
                current->append(line);
            continue;
        }
        current = nullptr;
        const qsizetype colon = line.indexOf(':');
        inField = colon > 0;
        if (!inField)
            continue; // not a field (e.g. an mbox "From " line)
        const QByteArray name = line.left(colon).trimmed();
        if (name.compare("From", Qt::CaseInsensitive) == 0) {
            fromValues.append(line.mid(colon + 1));
            current = &fromValues.last();
        }
    }
    if (fromValues.size() != 1) {
        fail(error, fromValues.isEmpty()
                        ? QStringLiteral("the message has no From field")
                        : QStringLiteral("the message has %1 From fields; DMARC needs exactly one (RFC 7489 6.6.1)")
                              .arg(fromValues.size()));
        return {};
    }
    return fromFieldDomain(fromValues.first(), error);
}

} // namespace rd::mailauth

#include "mailauth/dkimcanon.h"
#include "util/textchars.h"

namespace rd::mailauth {

namespace {
using util::isWsp;

char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

QByteArray fieldName(QByteArrayView raw)
{
    const qsizetype colon = raw.indexOf(':');
    QByteArrayView name = colon < 0 ? raw : raw.first(colon);
    while (!name.isEmpty() && (isWsp(name.back()) || name.back() == '\r' || name.back() == '\n'))
        name.chop(1);
    return name.toByteArray();
}

} // namespace

bool dkimHeaderNameEquals(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

DkimMessage splitDkimMessage(QByteArrayView message)
{
    DkimMessage out;
    const qsizetype n = message.size();
    qsizetype pos = 0;
    qsizetype fieldStart = -1;
    auto closeField = [&](qsizetype end) {
        if (fieldStart >= 0) {
            DkimHeaderField f;
            f.raw = message.sliced(fieldStart, end - fieldStart).toByteArray();
            f.name = fieldName(f.raw);
            out.headers.append(f);
            fieldStart = -1;
        }
    };
    while (pos < n) {
        qsizetype eol = message.indexOf("\r\n", pos);
        const qsizetype next = eol < 0 ? n : eol + 2;
        if (eol == pos) { // the empty line: the body follows
            closeField(pos);
            out.body = message.sliced(next).toByteArray();
            return out;
        }
        if (!isWsp(message[pos]) || fieldStart < 0) {
            closeField(pos);
            fieldStart = pos;
        }
        pos = next;
    }
    closeField(n);
    return out;
}

QByteArray canonicalizeHeader(const DkimHeaderField &field, DkimCanon canon)
{
    if (canon == DkimCanon::Simple)
        return field.raw;
    QByteArrayView raw = field.raw;
    const qsizetype colon = raw.indexOf(':');
    QByteArray out;
    out.reserve(raw.size());
    for (char c : field.name) { // (unfolded too: a malformed name may span lines)
        if (c != '\r' && c != '\n')
            out.append(lower(c));
    }
    out.append(':');
    if (colon < 0)
        return out + "\r\n";
    QByteArrayView value = raw.sliced(colon + 1);
    // Unfold (drop CR and LF), squeeze WSP, trim both ends.
    bool pendingSpace = false;
    bool started = false;
    for (char c : value) {
        if (c == '\r' || c == '\n')
            continue;
        if (isWsp(c)) {
            pendingSpace = started;
            continue;
        }
        if (pendingSpace)
            out.append(' ');
        pendingSpace = false;
        started = true;
        out.append(c);
    }
    out.append("\r\n");
    return out;
}

QByteArray canonicalizeBody(QByteArrayView body, DkimCanon canon)
{
    QByteArray out;
    out.reserve(body.size() + 2);
    const qsizetype n = body.size();
    qsizetype pos = 0;
    // Lines ending in CRLF; a last line without CRLF gets one.
    while (pos < n) {
        qsizetype eol = body.indexOf("\r\n", pos);
        const qsizetype lineEnd = eol < 0 ? n : eol;
        QByteArrayView line = body.sliced(pos, lineEnd - pos);
        if (canon == DkimCanon::Relaxed) {
            while (!line.isEmpty() && isWsp(line.back()))
                line.chop(1);
            bool inWsp = false;
            for (char c : line) {
                if (isWsp(c)) {
                    inWsp = true;
                    continue;
                }
                if (inWsp)
                    out.append(' ');
                inWsp = false;
                out.append(c);
            }
        } else {
            out.append(line.data(), line.size());
        }
        out.append("\r\n");
        pos = eol < 0 ? n : eol + 2;
    }
    // Remove the empty lines at the end.
    while (out.size() >= 4 && out.endsWith("\r\n\r\n"))
        out.chop(2);
    if (out == "\r\n")
        out.clear();
    if (out.isEmpty() && canon == DkimCanon::Simple)
        out = "\r\n";
    return out;
}

QList<qsizetype> selectDkimHeaders(const DkimMessage &message, const QList<QByteArray> &names)
{
    QList<qsizetype> out;
    QList<bool> used(message.headers.size(), false);
    for (const QByteArray &name : names) {
        for (qsizetype i = message.headers.size() - 1; i >= 0; --i) {
            if (!used[i] && dkimHeaderNameEquals(message.headers[i].name, name)) {
                used[i] = true;
                out.append(i);
                break;
            }
        }
    }
    return out;
}

} // namespace rd::mailauth

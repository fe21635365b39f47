#include "mailauth/dkimtags.h"
#include "util/textchars.h"
#include "util/errorout.h"

namespace rd::mailauth {

namespace {
using util::setError;
using util::isFwsChar;

bool isAlpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool isValChar(char c)
{
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7e && u != ';';
}

QString printable(QByteArrayView bytes)
{
    QString out;
    for (char c : bytes.first(std::min<qsizetype>(bytes.size(), 40))) {
        const auto u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u < 0x7f) ? QChar(QLatin1Char(c))
                                       : QStringLiteral("\\x%1").arg(u, 2, 16, QLatin1Char('0'));
    }
    return out;
}

} // namespace

const DkimTag *DkimTagList::find(QByteArrayView name) const
{
    for (const DkimTag &t : tags) {
        if (QByteArrayView(t.name) == name)
            return &t;
    }
    return nullptr;
}

QByteArray DkimTagList::value(QByteArrayView name, const QByteArray &fallback) const
{
    const DkimTag *t = find(name);
    return t ? t->value : fallback;
}

std::optional<DkimTagList> parseDkimTagList(QByteArrayView input, QString *error)
{
    DkimTagList list;
    const qsizetype n = input.size();
    qsizetype pos = 0;
    while (pos < n) {
        const qsizetype specStart = pos;
        qsizetype end = pos;
        while (end < n && input[end] != ';')
            ++end;
        const QByteArrayView spec = input.sliced(specStart, end - specStart);
        // Only a last, empty tag-spec may stand after the final ';'.
        bool blank = true;
        for (char c : spec)
            blank = blank && isFwsChar(c);
        if (blank) {
            if (end == n && !list.tags.isEmpty())
                break;
            if (end == n && list.tags.isEmpty())
                break; // empty input
            setError(error, QStringLiteral("empty tag-spec at offset %1").arg(specStart));
            return std::nullopt;
        }
        qsizetype i = specStart;
        while (i < end && isFwsChar(input[i]))
            ++i;
        const qsizetype nameStart = i;
        if (i < end && isAlpha(input[i])) {
            ++i;
            while (i < end && (isAlpha(input[i]) || (input[i] >= '0' && input[i] <= '9') || input[i] == '_'))
                ++i;
        }
        const QByteArrayView name = input.sliced(nameStart, i - nameStart);
        while (i < end && isFwsChar(input[i]))
            ++i;
        if (i >= end || input[i] != '=') {
            if (name.isEmpty())
                setError(error, QStringLiteral("invalid tag name in '%1'").arg(printable(spec)));
            else
                setError(error, QStringLiteral("tag-spec without '=' in '%1'").arg(printable(spec)));
            return std::nullopt;
        }
        if (name.isEmpty()) {
            setError(error, QStringLiteral("invalid tag name in '%1'").arg(printable(spec)));
            return std::nullopt;
        }
        const qsizetype valueStart = i + 1;
        qsizetype vb = valueStart;
        while (vb < end && isFwsChar(input[vb]))
            ++vb;
        qsizetype ve = end;
        while (ve > vb && isFwsChar(input[ve - 1]))
            --ve;
        for (qsizetype k = vb; k < ve; ++k) {
            if (!isValChar(input[k]) && !isFwsChar(input[k])) {
                setError(error, QStringLiteral("invalid character 0x%1 in the value of tag '%2'")
                                    .arg(static_cast<unsigned char>(input[k]), 2, 16, QLatin1Char('0'))
                                    .arg(QString::fromLatin1(name)));
                return std::nullopt;
            }
        }
        if (list.contains(name)) {
            setError(error, QStringLiteral("duplicate tag '%1'").arg(QString::fromLatin1(name)));
            return std::nullopt;
        }
        DkimTag tag;
        tag.name = name.toByteArray();
        tag.value = input.sliced(vb, ve - vb).toByteArray();
        tag.valueStart = valueStart;
        tag.specEnd = end;
        list.tags.append(tag);
        pos = end + 1;
        if (end == n)
            break;
    }
    return list;
}

QByteArray dkimStripWhitespace(QByteArrayView value)
{
    QByteArray out;
    out.reserve(value.size());
    for (char c : value) {
        if (!isFwsChar(c))
            out.append(c);
    }
    return out;
}

QList<QByteArray> dkimSplitColonList(QByteArrayView value)
{
    QList<QByteArray> out;
    qsizetype start = 0;
    for (qsizetype i = 0; i <= value.size(); ++i) {
        if (i == value.size() || value[i] == ':') {
            QByteArrayView item = value.sliced(start, i - start);
            while (!item.isEmpty() && isFwsChar(item.front()))
                item = item.sliced(1);
            while (!item.isEmpty() && isFwsChar(item.back()))
                item.chop(1);
            out.append(item.toByteArray());
            start = i + 1;
        }
    }
    return out;
}

} // namespace rd::mailauth

#include "mime/encodedwords.h"

#include "mime/mimecharset.h"
#include "mime/transferencoding.h"

#include <QByteArray>
#include "util/textchars.h"

namespace rd::mime {

namespace {
using util::isFwsChar;

// Longest encoded word looked at; RFC 2047 allows 75 characters, real mail
// sometimes has longer ones. Bounds the work per "=?".
constexpr qsizetype kMaxWordLength = 4096;
constexpr qsizetype kMaxCharsetLength = 64;

struct Word {
    qsizetype end = 0; // one past "?="
    QByteArray charset;
    QByteArray bytes;  // decoded octets
    bool defect = false;
};

// Finds "?=" at or after `start`, remembering the last full search: starts
// move forward (up to a charset's length back), so the scans cover the value
// about once.
struct TerminatorCache {
    qsizetype from = -1;
    qsizetype at = -1; // the first "?=" at or after `from`; -1: none
    qsizetype find(QByteArrayView v, qsizetype start)
    {
        if (from >= 0 && start < from) {
            // A short window back from the last search (a charset's length).
            const qsizetype k = v.sliced(start, qMin(from + 1, v.size()) - start).indexOf(QByteArrayView("?="));
            return k >= 0 ? start + k : at;
        }
        if (from >= 0 && (at < 0 || at >= start))
            return at;
        from = start;
        at = v.sliced(start).indexOf(QByteArrayView("?="));
        if (at >= 0)
            at += start;
        return at;
    }
};

// Parses an encoded word starting at `pos` ("=?"). False if it is not one.
bool parseWord(QByteArrayView v, qsizetype pos, TerminatorCache *terms, Word *w)
{
    const qsizetype n = v.size();
    qsizetype i = pos + 2;
    const qsizetype csStart = i;
    while (i < n && v[i] != '?' && !isFwsChar(v[i]) && i - csStart <= kMaxCharsetLength)
        ++i;
    if (i >= n || v[i] != '?' || i == csStart)
        return false;
    const QByteArrayView charset = v.sliced(csStart, i - csStart);
    if (i + 2 >= n || v[i + 2] != '?')
        return false;
    const char enc = v[i + 1];
    if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q')
        return false;
    const qsizetype textStart = i + 3;
    // The text ends at the first "?=" (Q text cannot hold '?'; B text has none).
    const qsizetype j = terms->find(v, textStart);
    if (j < 0 || j + 2 - pos > kMaxWordLength)
        return false;
    const QByteArrayView text = v.sliced(textStart, j - textStart);
    w->end = j + 2;
    w->charset = charset.toByteArray().toLower();
    w->defect = false;
    if (enc == 'B' || enc == 'b')
        w->bytes = decodeBase64(text, &w->defect);
    else
        w->bytes = decodeQEncoding(text, &w->defect);
    return true;
}

} // namespace

DecodedText decodeEncodedWords(QByteArrayView value)
{
    DecodedText out;
    const qsizetype n = value.size();
    qsizetype plainStart = 0; // start of text not yet emitted
    qsizetype i = 0;
    // A run of adjacent encoded words in one charset, decoded together.
    QByteArray runCharset;
    QByteArray runBytes;
    bool inRun = false;
    auto flushRun = [&] {
        if (!inRun)
            return;
        bool unknown = false;
        out.text += decodeCharset(runBytes, runCharset, &unknown);
        out.unknownCharset = out.unknownCharset || unknown;
        runBytes.clear();
        inRun = false;
    };
    TerminatorCache terms;
    while (i + 1 < n) {
        if (value[i] != '=' || value[i + 1] != '?') {
            ++i;
            continue;
        }
        Word w;
        if (!parseWord(value, i, &terms, &w)) {
            ++i;
            continue;
        }
        const QByteArrayView between = value.sliced(plainStart, i - plainStart);
        bool onlySpace = inRun;
        for (char c : between)
            onlySpace = onlySpace && isFwsChar(c);
        if (!onlySpace) {
            flushRun();
            out.text += decodeUtf8OrLatin1(between);
        }
        if (inRun && runCharset != w.charset)
            flushRun();
        runCharset = w.charset;
        runBytes += w.bytes;
        inRun = true;
        out.defect = out.defect || w.defect;
        i = w.end;
        plainStart = i;
    }
    flushRun();
    out.text += decodeUtf8OrLatin1(value.sliced(plainStart));
    return out;
}

QString decodeHeaderText(QByteArrayView value)
{
    return decodeEncodedWords(value).text;
}

} // namespace rd::mime

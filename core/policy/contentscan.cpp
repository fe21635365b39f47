#include "policy/contentscan.h"

#include "mime/mimeparser.h"

namespace rd::policy {

namespace {

constexpr int kMaxDepth = 32;
constexpr int kMaxParts = 1000;

struct Scanner {
    bool wantTexts = false;
    bool wantNames = false;
    int partsLeft = kMaxParts;
    ScannedContent out;

    void scan(const QByteArray &message, int depthLeft)
    {
        mime::MimeLimits limits;
        limits.maxDepth = depthLeft;
        limits.maxParts = partsLeft;
        const mime::MimeMessage m = mime::parseMime(message, limits);
        partsLeft -= int(m.parts.size());
        out.defects += int(m.defects.size());
        out.incomplete = out.incomplete || !m.complete;
        for (int i = 0; i < m.parts.size(); ++i) {
            const mime::MimePart &p = m.parts.at(i);
            if (wantNames) {
                for (const QString &name : p.fileNames()) {
                    if (!out.fileNames.contains(name))
                        out.fileNames.append(name);
                }
            }
            if (wantTexts && p.isText())
                out.texts.append(m.bodyText(i));
            // An attached message the parser did not enter (transfer-encoded).
            if (p.isMessage() && p.children.isEmpty() && !p.transferEncoding.isEmpty()
                && p.transferEncoding != "7bit" && p.transferEncoding != "8bit" && p.transferEncoding != "binary") {
                const int depthHere = depthLeft - p.depth - 1;
                if (depthHere < 0 || partsLeft <= 0) {
                    out.incomplete = true;
                    continue;
                }
                scan(m.decodedBody(i), depthHere);
            }
        }
    }
};

bool isStrippedAtEnd(QChar c)
{
    return c == QLatin1Char('.') || c.isSpace() || c.category() == QChar::Other_Control
        || c.category() == QChar::Other_Format;
}

} // namespace

ScannedContent scanMessage(const QByteArray &message, bool wantTexts, bool wantNames)
{
    Scanner s;
    s.wantTexts = wantTexts;
    s.wantNames = wantNames;
    s.scan(message, kMaxDepth);
    return std::move(s.out);
}

QString fileExtension(const QString &fileName)
{
    QString name = fileName;
    const qsizetype slash = qMax(name.lastIndexOf(QLatin1Char('/')), name.lastIndexOf(QLatin1Char('\\')));
    if (slash >= 0)
        name = name.mid(slash + 1);
    // Windows ignores trailing dots and spaces; control and format characters
    // (NUL, right-to-left override) only disguise the name.
    QString clean;
    clean.reserve(name.size());
    for (QChar c : name) {
        if (c.category() != QChar::Other_Control && c.category() != QChar::Other_Format)
            clean.append(c);
    }
    while (!clean.isEmpty() && isStrippedAtEnd(clean.back()))
        clean.chop(1);
    const qsizetype dot = clean.lastIndexOf(QLatin1Char('.'));
    if (dot < 0)
        return QString();
    return clean.mid(dot + 1).trimmed().toLower();
}

} // namespace rd::policy

#include "mime/mimemessage.h"

#include "mime/encodedwords.h"
#include "mime/mimecharset.h"
#include "mime/transferencoding.h"

namespace rd::mime {

QByteArray MimePart::charset() const
{
    return paramValue(typeParams, "charset").trimmed().toLatin1().toLower();
}

QString MimePart::filename() const
{
    QString name = paramValue(dispositionParams, "filename");
    if (name.isEmpty())
        name = paramValue(typeParams, "name");
    return name;
}

QStringList MimePart::fileNames() const
{
    QStringList out;
    auto collect = [&out](const QList<MimeParam> &params, QByteArrayView key) {
        for (const MimeParam &p : params) {
            if (p.name == key && !p.value.isEmpty() && !out.contains(p.value))
                out.append(p.value);
        }
    };
    collect(dispositionParams, "filename");
    collect(typeParams, "name");
    return out;
}

QByteArray MimePart::field(QByteArrayView name) const
{
    for (const HeaderField &f : fields) {
        if (QByteArrayView(f.name).compare(name, Qt::CaseInsensitive) == 0)
            return f.value.isNull() ? QByteArray("") : f.value;
    }
    return QByteArray();
}

QStringList MimePart::decodedFields(QByteArrayView name) const
{
    QStringList out;
    for (const HeaderField &f : fields) {
        if (QByteArrayView(f.name).compare(name, Qt::CaseInsensitive) == 0)
            out.append(decodeHeaderText(f.value));
    }
    return out;
}

QByteArrayView MimeMessage::rawBody(int part) const
{
    if (part < 0 || part >= parts.size())
        return {};
    const ByteRange r = parts.at(part).body;
    if (r.begin < 0 || r.end > source.size() || r.isEmpty())
        return {};
    return QByteArrayView(source).sliced(r.begin, r.size());
}

QByteArray MimeMessage::decodedBody(int part, bool *defect) const
{
    if (part < 0 || part >= parts.size())
        return {};
    return decodeTransferEncoding(rawBody(part), parts.at(part).transferEncoding, defect);
}

QString MimeMessage::bodyText(int part, bool *defect) const
{
    if (part < 0 || part >= parts.size())
        return {};
    bool unknown = false;
    const QString text = decodeCharset(decodedBody(part, defect), parts.at(part).charset(), &unknown);
    if (unknown && defect)
        *defect = true;
    return text;
}

QStringList MimeMessage::defectTexts() const
{
    QStringList out;
    for (const MimeDefect &d : defects)
        out.append(QStringLiteral("part %1: %2").arg(d.part).arg(d.text));
    return out;
}

} // namespace rd::mime

#include "iisimport/metabasereader.h"

#include <QXmlStreamReader>

namespace rd::iisimport {

bool readMetabase(const QByteArray &xml, MetabaseContent *out, QString *error)
{
    *out = MetabaseContent();
    if (xml.trimmed().isEmpty()) {
        *error = QStringLiteral("the file is empty");
        return false;
    }
    QXmlStreamReader reader(xml);
    bool sawRoot = false;
    while (!reader.atEnd()) {
        reader.readNext();
        if (!reader.isStartElement())
            continue;
        const QString name = reader.name().toString();
        if (!sawRoot) {
            sawRoot = true;
            // MetaBase.xml: <configuration xmlns="urn:microsoft-catalog:XML_Metabase_V64_0">
            if (name != QLatin1String("configuration")) {
                *error = QStringLiteral("line %1: the root element is <%2>, not a metabase <configuration>")
                             .arg(reader.lineNumber())
                             .arg(name);
                return false;
            }
            continue;
        }
        const bool service = name.compare(QLatin1String("IIsSmtpService"), Qt::CaseInsensitive) == 0;
        const bool server = name.compare(QLatin1String("IIsSmtpServer"), Qt::CaseInsensitive) == 0;
        if (!service && !server) {
            if (name.startsWith(QLatin1String("IIs")))
                ++out->otherElements;
            continue;
        }
        MetabaseElement e;
        e.type = service ? QStringLiteral("IIsSmtpService") : QStringLiteral("IIsSmtpServer");
        e.line = reader.lineNumber();
        for (const QXmlStreamAttribute &a : reader.attributes()) {
            const QString key = a.name().toString();
            if (key.compare(QLatin1String("Location"), Qt::CaseInsensitive) == 0)
                e.location = a.value().toString().trimmed();
            else
                e.properties.insert(key, a.value().toString());
        }
        if (e.location.isEmpty()) {
            *error = QStringLiteral("line %1: <%2> has no Location attribute").arg(e.line).arg(e.type);
            return false;
        }
        (service ? out->services : out->servers).append(e);
    }
    if (reader.hasError()) {
        *error = QStringLiteral("line %1, column %2: not well-formed XML: %3")
                     .arg(reader.lineNumber())
                     .arg(reader.columnNumber())
                     .arg(reader.errorString());
        return false;
    }
    if (!sawRoot) {
        *error = QStringLiteral("no XML element found");
        return false;
    }
    return true;
}

} // namespace rd::iisimport

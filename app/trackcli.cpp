#include "app/trackcli.h"

#include "log/trackreport.h"
#include "queue/queueshape.h"

#include <cstdio>

namespace rd::app {
namespace {

const QCommandLineOption kTrack(QStringLiteral("track"),
                                QStringLiteral("Message tracking: find messages by Message-ID (or --field) and print "
                                               "each one's path through the relay."),
                                QStringLiteral("QUERY"));
const QCommandLineOption kField(QStringLiteral("field"),
                                QStringLiteral("With --track: message-id (default), sender, recipient, subject or "
                                               "queue-id."),
                                QStringLiteral("FIELD"));
const QCommandLineOption kLimit(QStringLiteral("limit"), QStringLiteral("With --track: at most N messages (20)."),
                                QStringLiteral("N"));
const QCommandLineOption kQshape(QStringLiteral("qshape"),
                                 QStringLiteral("Print the queue by recipient domain and age (as Postfix's qshape)."));
const QCommandLineOption kBy(QStringLiteral("by"), QStringLiteral("With --qshape: sender (group by sender domain)."),
                             QStringLiteral("WHAT"));

void print(const QString &text, FILE *to)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), to);
    if (!bytes.endsWith('\n'))
        std::fputc('\n', to);
    std::fflush(to);
}

} // namespace

QList<QCommandLineOption> trackOptions()
{
    return {kTrack, kField, kLimit, kQshape, kBy};
}

std::optional<int> runTrackCommands(const QCommandLineParser &parser, const QString &dataDir)
{
    const bool json = parser.isSet(QStringLiteral("json"));
    if (parser.isSet(kTrack)) {
        log::TrackCommand c;
        c.query = parser.value(kTrack);
        if (parser.isSet(kField))
            c.field = parser.value(kField).trimmed().toLower();
        if (parser.isSet(kLimit)) {
            bool ok = false;
            c.limit = parser.value(kLimit).toInt(&ok);
            if (!ok || c.limit <= 0) {
                print(QStringLiteral("relaydesk: --limit needs a positive number"), stderr);
                return 2;
            }
        }
        c.json = json;
        QString out;
        const int rc = log::runTrackCommand(dataDir, c, &out);
        print(out, rc == 2 ? stderr : stdout);
        return rc;
    }
    if (parser.isSet(kQshape)) {
        queue::QshapeCommand c;
        const QString by = parser.value(kBy).trimmed().toLower();
        if (by == QLatin1String("sender")) {
            c.by = queue::ShapeBy::SenderDomain;
        } else if (!by.isEmpty() && by != QLatin1String("recipient")) {
            print(QStringLiteral("relaydesk: --by takes sender or recipient"), stderr);
            return 2;
        }
        c.json = json;
        QString out;
        const int rc = queue::runQshapeCommand(dataDir, c, &out);
        print(out, rc == 0 ? stdout : stderr);
        return rc;
    }
    return std::nullopt;
}

} // namespace rd::app

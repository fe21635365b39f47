#include "queue/localmessage.h"

#include "queue/spoolfile.h"
#include "util/ids.h"

#include <QDateTime>

namespace rd::queue {

bool writeLocalMessage(const QString &spoolDir, const LocalMessage &m, QueueEntry *entry, QString *tmpPath,
                       QString *error)
{
    SpoolEnvelope env;
    env.queueId = util::newQueueId();
    env.sender = m.sender;
    env.recipients = m.recipients;
    env.receivedMs = QDateTime::currentMSecsSinceEpoch();
    env.clientIp = QString();
    env.helo = m.origin;
    env.mailParams = m.mailParams;
    env.rcptParams = m.rcptParams;
    env.origin = QStringLiteral("local");
    SpoolFile spool(spoolDir, env);
    if (!spool.begin(error))
        return false;
    if (!spool.append(m.content.constData(), m.content.size()) || !spool.finish(error)) {
        if (error && error->isEmpty())
            *error = QStringLiteral("cannot write spool file %1").arg(spool.tmpPath());
        return false;
    }
    QueueEntry e;
    e.spoolPath = spool.finalPath();
    e.bodyOffset = spool.bodyOffset();
    e.eightBit = m.eightBit;
    e.smtpUtf8 = m.smtpUtf8;
    e.origin = QStringLiteral("local");
    MessageInfo &info = e.info;
    info.queueId = env.queueId;
    info.sender = m.sender;
    for (const QByteArray &r : m.recipients)
        info.recipients.append(RecipientInfo{r, RecipientState::Pending, 0, {}});
    info.recipientCount = int(info.recipients.size());
    info.size = spool.contentSize();
    info.received = QDateTime::fromMSecsSinceEpoch(env.receivedMs, Qt::UTC);
    info.state = MessageState::Queued;
    info.heloName = m.origin;
    const qsizetype headEnd = m.content.indexOf("\r\n\r\n");
    scanHeaders(headEnd < 0 ? m.content.left(65536) : m.content.left(headEnd + 2), &info.messageId, &info.subject);
    *tmpPath = spool.tmpPath();
    *entry = e;
    // The SpoolFile destructor keeps a finished file: QueueStore::commit() owns it now.
    return true;
}

} // namespace rd::queue

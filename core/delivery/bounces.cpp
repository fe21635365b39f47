#include "delivery/bounces.h"

#include "delivery/dsn.h"
#include "queue/spoolfile.h"
#include "util/ids.h"

#include <QFile>

namespace rd::delivery {
namespace {

// The original content from the spool: everything (up to limit + 1 octets, so
// the builder can tell it is too big) or only the header section.
QByteArray readOriginal(const QString &path, qint64 offset, bool full, qint64 limit, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly) || !f.seek(offset)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return {};
    }
    if (full)
        return f.read(limit + 1);
    QByteArray head;
    while (!f.atEnd() && head.size() < 1024 * 1024) {
        head += f.read(64 * 1024);
        const qsizetype end = head.indexOf("\r\n\r\n");
        if (end >= 0) {
            head.truncate(end + 4);
            break;
        }
    }
    return head;
}

} // namespace

std::optional<queue::LocalMessage> composeBounce(const queue::QueueEntry &entry, const QList<BounceRecipient> &rcpts,
                                                 bool delayWarning, const QString &hostname,
                                                 const QDateTime &retryUntil, QString *error)
{
    error->clear();
    queue::SpoolEnvelope env;
    qint64 bodyOffset = 0;
    if (!queue::SpoolFile::readHeader(entry.spoolPath, &env, &bodyOffset, error))
        return std::nullopt;
    const DsnAction action = delayWarning ? DsnAction::Delayed : DsnAction::Failed;

    DsnRequest req;
    req.reportingMta = hostname;
    req.date = QDateTime::currentDateTimeUtc();
    req.dsnQueueId = util::newQueueId();
    req.sender = entry.info.sender;
    req.queueId = entry.info.queueId;
    req.arrivalDate = entry.info.received;
    req.clientIp = env.clientIp;
    req.clientHelo = env.helo;
    req.mail = parseMailDsnParams(env.mailParams);
    for (const BounceRecipient &b : rcpts) {
        const qsizetype i = env.recipients.indexOf(b.address);
        const QByteArray params = i >= 0 && i < env.rcptParams.size() ? env.rcptParams.at(i) : QByteArray();
        if (!shouldSendDsn(entry.info.sender, params, action))
            continue;
        DsnRecipient r;
        r.address = b.address;
        r.orcpt = parseRcptDsnParams(params).orcpt;
        r.action = action;
        r.expired = b.reply.contains(QLatin1String("4.4.7 expired"));
        r.remoteMta = b.remoteHost.section(QLatin1Char(':'), 0, 0).section(QLatin1Char(','), 0, 0).trimmed();
        r.reply = b.reply;
        // Our own texts start with a digit only when they carry a code.
        r.replyIsLocal = b.reply.isEmpty() || !b.reply.at(0).isDigit();
        r.lastAttempt = QDateTime::currentDateTimeUtc();
        if (delayWarning)
            r.willRetryUntil = retryUntil;
        req.recipients << r;
    }
    if (req.recipients.isEmpty())
        return std::nullopt;
    const bool full = req.mail.ret == DsnRet::Full;
    req.original = readOriginal(entry.spoolPath, bodyOffset, full, req.maxFullSize, error);
    if (!error->isEmpty())
        return std::nullopt;

    const DsnMessage dsn = buildDsn(req);
    queue::LocalMessage m;
    m.sender = QByteArray(); // <>: never bounced again
    m.recipients = {entry.info.sender};
    m.content = dsn.content;
    m.origin = QStringLiteral("bounce of %1").arg(entry.info.queueId);
    m.eightBit = dsn.eightBit;
    m.smtpUtf8 = dsn.smtpUtf8;
    QByteArrayList params;
    if (dsn.eightBit)
        params << "BODY=8BITMIME";
    if (dsn.smtpUtf8)
        params << "SMTPUTF8";
    m.mailParams = params.join(' ');
    return m;
}

} // namespace rd::delivery

#include "log/trackreport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

namespace rd::log {

namespace {

QString isoTime(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}

QString csvCell(QString v)
{
    if (!v.isEmpty()) {
        const QChar c = v.at(0);
        if (c == QLatin1Char('=') || c == QLatin1Char('+') || c == QLatin1Char('-') || c == QLatin1Char('@')
            || c == QLatin1Char('\t'))
            v.prepend(QLatin1Char('\''));
    }
    if (v.contains(QLatin1Char(',')) || v.contains(QLatin1Char('"')) || v.contains(QLatin1Char('\n'))
        || v.contains(QLatin1Char('\r'))) {
        v.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        v = QLatin1Char('"') + v + QLatin1Char('"');
    }
    return v;
}

} // namespace

QJsonObject recordToJson(const MessageRecord &r)
{
    return QJsonObject{{QStringLiteral("queue_id"), r.queueId},
                       {QStringLiteral("time"), isoTime(r.time)},
                       {QStringLiteral("message_id"), r.messageId},
                       {QStringLiteral("subject"), r.subject},
                       {QStringLiteral("sender"), r.sender},
                       {QStringLiteral("recipients"), QJsonArray::fromStringList(
                                                          r.recipients.split(QLatin1Char(','), Qt::SkipEmptyParts))},
                       {QStringLiteral("client_ip"), r.clientIp},
                       {QStringLiteral("listener"), r.listener},
                       {QStringLiteral("tls"), r.tls},
                       {QStringLiteral("size"), r.size},
                       {QStringLiteral("origin"), r.origin}};
}

QJsonObject trailToJson(const MessageTrail &t)
{
    QJsonArray steps;
    for (const TrailStep &s : t.steps) {
        QJsonObject o{{QStringLiteral("time"), isoTime(s.time)},
                      {QStringLiteral("what"), s.what},
                      {QStringLiteral("host"), s.host},
                      {QStringLiteral("recipients"), s.recipients},
                      {QStringLiteral("reply_code"), s.replyCode},
                      {QStringLiteral("detail"), s.detail},
                      {QStringLiteral("tls"), s.tls}};
        if (!s.linkedQueueId.isEmpty())
            o.insert(QStringLiteral("linked_queue_id"), s.linkedQueueId);
        steps.append(o);
    }
    QJsonObject o{{QStringLiteral("queue_id"), t.queueId},
                  {QStringLiteral("found"), t.found},
                  {QStringLiteral("status"), t.status},
                  {QStringLiteral("steps"), steps}};
    if (t.hasRecord)
        o.insert(QStringLiteral("record"), recordToJson(t.record));
    if (!t.bounceQueueId.isEmpty())
        o.insert(QStringLiteral("bounce_queue_id"), t.bounceQueueId);
    if (!t.originalQueueId.isEmpty())
        o.insert(QStringLiteral("original_queue_id"), t.originalQueueId);
    if (!t.error.isEmpty())
        o.insert(QStringLiteral("error"), t.error);
    return o;
}

QString trailToText(const MessageTrail &t)
{
    QStringList lines;
    lines << QStringLiteral("Queue id: %1").arg(t.queueId);
    if (!t.error.isEmpty())
        lines << QStringLiteral("Error: %1").arg(t.error);
    if (t.hasRecord) {
        const MessageRecord &r = t.record;
        lines << QStringLiteral("Message-ID: <%1>").arg(r.messageId)
              << QStringLiteral("Subject: %1").arg(r.subject)
              << QStringLiteral("From: <%1>").arg(r.sender)
              << QStringLiteral("To: %1").arg(r.recipients)
              << QStringLiteral("Received: %1 from %2 on %3 (%4), %5 bytes, TLS: %6")
                     .arg(isoTime(r.time), r.clientIp.isEmpty() ? QStringLiteral("-") : r.clientIp,
                          r.listener.isEmpty() ? QStringLiteral("-") : r.listener, r.origin)
                     .arg(r.size)
                     .arg(r.tls.isEmpty() ? QStringLiteral("none") : r.tls);
    }
    if (!t.originalQueueId.isEmpty())
        lines << QStringLiteral("Bounce of: %1").arg(t.originalQueueId);
    if (!t.bounceQueueId.isEmpty())
        lines << QStringLiteral("Bounce: %1").arg(t.bounceQueueId);
    lines << QStringLiteral("Status: %1").arg(t.status.isEmpty() ? QStringLiteral("unknown") : t.status);
    if (!t.found)
        lines << QStringLiteral("(nothing is known about this queue id)");
    for (const TrailStep &s : t.steps) {
        QStringList parts{isoTime(s.time), s.what};
        if (!s.host.isEmpty())
            parts << s.host;
        if (!s.recipients.isEmpty())
            parts << QStringLiteral("to=%1").arg(s.recipients);
        if (s.replyCode > 0 && !s.detail.startsWith(QString::number(s.replyCode)))
            parts << QString::number(s.replyCode);
        if (!s.detail.isEmpty())
            parts << s.detail;
        if (!s.tls.isEmpty())
            parts << QStringLiteral("tls=%1").arg(s.tls);
        lines << QStringLiteral("  ") + parts.join(QStringLiteral("  "));
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QString trailToCsv(const MessageTrail &t)
{
    QString out = QStringLiteral("queue_id,time,what,host,recipients,reply_code,detail,tls,linked_queue_id\r\n");
    for (const TrailStep &s : t.steps) {
        const QStringList cells{csvCell(t.queueId),        isoTime(s.time),
                                csvCell(s.what),           csvCell(s.host),
                                csvCell(s.recipients),     s.replyCode > 0 ? QString::number(s.replyCode) : QString(),
                                csvCell(s.detail),         csvCell(s.tls),
                                csvCell(s.linkedQueueId)};
        out += cells.join(QLatin1Char(',')) + QStringLiteral("\r\n");
    }
    return out;
}

int runTrackCommand(const QString &dataDir, const TrackCommand &command, QString *out)
{
    out->clear();
    MessageTrack track(dataDir);
    if (!track.isOpen()) {
        *out = QStringLiteral("cannot open the log: %1\n").arg(track.errorString());
        return 2;
    }
    QStringList ids;
    QVector<MessageRecord> records;
    const QString field = command.field.trimmed().toLower();
    if (field == QLatin1String("queue-id") || field == QLatin1String("queueid")) {
        ids << command.query.trimmed();
    } else {
        TrackQuery q;
        if (!field.isEmpty() && !parseTrackField(field, &q.field)) {
            *out = QStringLiteral("unknown field \"%1\" (message-id, sender, recipient, subject, queue-id)\n")
                       .arg(command.field);
            return 2;
        }
        q.text = command.query;
        if (q.text.trimmed().isEmpty()) {
            *out = QStringLiteral("nothing to look for: give a query\n");
            return 2;
        }
        q.limit = command.limit;
        const TrackPage page = track.search(q);
        if (!page.error.isEmpty()) {
            *out = QStringLiteral("search failed: %1\n").arg(page.error);
            return 2;
        }
        for (const MessageRecord &r : page.rows)
            ids << r.queueId;
    }
    QJsonArray array;
    QStringList texts;
    int found = 0;
    for (const QString &id : ids) {
        const MessageTrail t = track.trail(id);
        if (!t.error.isEmpty()) {
            *out = QStringLiteral("trail of %1 failed: %2\n").arg(id, t.error);
            return 2;
        }
        if (t.found)
            ++found;
        array.append(trailToJson(t));
        texts << trailToText(t);
    }
    if (command.json)
        *out = QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("query"), command.query},
                                                           {QStringLiteral("field"), field},
                                                           {QStringLiteral("messages"), array}})
                                     .toJson(QJsonDocument::Indented));
    else
        *out = found ? texts.join(QLatin1Char('\n')) : QStringLiteral("no message matches\n");
    return found ? 0 : 1;
}

} // namespace rd::log

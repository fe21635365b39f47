#pragma once
// One accepted message as message tracking remembers it (log.db `messages`,
// schema v4): written once at queue commit, found later by Message-ID,
// sender, recipient or subject. Plain value type, no behaviour.

#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace rd::log {

struct MessageRecord {
    QString queueId;     // primary key; a second record with the same id replaces the first
    QDateTime time;      // UTC accept time; stamped by LogStore when null
    QString messageId;   // Message-ID header as written, with or without <> (stored without)
    QString subject;     // Subject, RFC 2047 encoded words already decoded by the caller
    QString sender;      // envelope sender, "" for <>
    QString recipients;  // envelope recipients, comma-separated
    QString clientIp;    // inbound peer ("" for pickup and local mail)
    QString listener;    // listener name or address:port; "pickup" / "local" for other origins
    QString tls;         // e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384", "" without TLS
    qint64 size = 0;     // message bytes
    QString origin;      // "relay", "inbound", "local", "pickup" (QueueEntry::origin)
};

// The Message-ID without surrounding whitespace and angle brackets.
inline QString normalizedMessageId(const QString &id)
{
    QString s = id.trimmed();
    if (s.startsWith(QLatin1Char('<')))
        s.remove(0, 1);
    if (s.endsWith(QLatin1Char('>')))
        s.chop(1);
    return s.trimmed();
}

} // namespace rd::log

Q_DECLARE_METATYPE(rd::log::MessageRecord)

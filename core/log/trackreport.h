#pragma once
// Renders message-tracking results (messagetrack.h) as readable text, CSV and
// JSON, and the `relaydesk --track` command built on them. Pure formatting
// except runTrackCommand(), which reads dataDir/log.db on the calling thread
// (a CLI; never the GUI thread).

#include "log/messagetrack.h"

#include <QJsonObject>
#include <QString>

namespace rd::log {

// A trail as lines a person reads ("2026-11-26 10:00:01Z  deferred  mx.example [10.0.0.1]  451 ...").
QString trailToText(const MessageTrail &trail);
// A trail as CSV (header row, one row per step, CRLF; formula-safe text cells).
QString trailToCsv(const MessageTrail &trail);
// A trail as a JSON object: queue_id, status, record{...}, steps[...], bounce_queue_id, original_queue_id.
QJsonObject trailToJson(const MessageTrail &trail);
QJsonObject recordToJson(const MessageRecord &record);

struct TrackCommand {
    QString query;                 // what to look for; with field "queue-id" a queue id
    QString field = QStringLiteral("message-id"); // message-id|sender|recipient|subject|queue-id
    bool json = false;
    int limit = 20;                // messages shown (newest first), each with its trail
};

// `relaydesk --track QUERY [--field F] [--json]`: finds the messages and
// prints each one's trail to *out. Returns the process exit code: 0 found,
// 1 nothing found, 2 error (*out then holds the message).
int runTrackCommand(const QString &dataDir, const TrackCommand &command, QString *out);

} // namespace rd::log

#pragma once
// Message tracking: finds accepted messages (log.db `messages`, one row per
// message, see messagerecord.h) and rebuilds one message's trail from the
// events that name its queue id: received, each delivery attempt with host and
// reply, deferrals, delivery or bounce, admin actions, and the bounce (DSN)
// message it caused, which has its own queue id.
//
// Linking (what the engine logs, core/engine): a bounce or delay warning is a
// Delivery event of the ORIGINAL queue id with result "bounce_queued" /
// "delay_warning" and message "... queued as <DSN queue id>"; admin actions
// are System events "admin_<action>" whose message ends with the queue ids
// ("...: ID1,ID2"). Both are found through the full-text index (events_fts),
// so a trail costs a few index lookups whatever the size of the log.
//
// Thread: create and use on one thread (a worker: MessageTrackService, a CLI
// call); it opens its own read connection to dataDir/log.db. Never writes.

#include "log/logtypes.h"
#include "log/messagerecord.h"

#include <QDateTime>
#include <QString>
#include <QVector>
#include <memory>

namespace rd::log {

enum class TrackField {
    MessageId, // exact, with or without <>
    Sender,    // substring of the envelope sender, case-insensitive (ASCII)
    Recipient, // substring of the recipient list, case-insensitive (ASCII)
    Subject,   // substring of the decoded subject, case-insensitive (ASCII)
};

// "message-id", "sender", "recipient", "subject" <-> TrackField; false for an unknown name.
bool parseTrackField(const QString &name, TrackField *field);
QString trackFieldName(TrackField field);

struct TrackQuery {
    TrackField field = TrackField::MessageId;
    QString text;             // empty: every message (in the time range)
    QDateTime from, to;       // UTC accept time, inclusive; null = open
    int limit = 100;          // clamped to [1, MaxLimit]
    // Paging: rows strictly older than this (ts, queue id) key; 0 = newest.
    qint64 beforeTs = 0;
    QString beforeQueueId;

    static constexpr int MaxLimit = 1000;
};

struct TrackPage {
    QVector<MessageRecord> rows; // newest first
    bool more = false;           // another page follows (ask with the last row's key)
    QString error;               // empty if fine
};

// One step of a message's life, oldest first in a trail.
struct TrailStep {
    QDateTime time;        // UTC
    QString what;          // received, delivered, deferred, failed, bounce_queued, delay_warning,
                           // dropped, rejected, admin_<action>, bounce_of, ... (the event's result)
    QString host;          // remote host (deliveries) or client address (received)
    QString recipients;    // comma-separated, as logged
    int replyCode = 0;
    QString detail;        // reply text or the event's message
    QString tls;           // "TLSv1.3 <cipher>" when logged
    QString linkedQueueId; // the DSN's queue id (bounce_queued) or the original's (bounce_of)
    qint64 eventId = 0;    // log.db events.id, 0 for the tracking record itself
};

struct MessageTrail {
    QString queueId;
    bool found = false;          // a tracking record or at least one event exists
    MessageRecord record;        // valid when hasRecord
    bool hasRecord = false;
    QVector<TrailStep> steps;    // oldest first
    QString bounceQueueId;       // the bounce this message caused (last one), if any
    QString originalQueueId;     // when this message is itself a bounce: the message it reports on
    QString status;              // last outcome: received, deferred, delivered, failed, bounced, ...
    QString error;
};

class MessageTrack {
public:
    explicit MessageTrack(const QString &dataDir);
    ~MessageTrack();
    MessageTrack(const MessageTrack &) = delete;
    MessageTrack &operator=(const MessageTrack &) = delete;

    // False (with errorString()) when log.db cannot be opened.
    bool isOpen() const;
    QString errorString() const;

    // Matching messages newest first (ts, queue id descending), one page.
    // Bad input (unknown field, inverted range) gives an error, never throws.
    TrackPage search(const TrackQuery &query) const;

    // Everything known about one queue id. found=false when nothing is.
    MessageTrail trail(const QString &queueId) const;

    // Diagnostics: EXPLAIN QUERY PLAN of the search statement for `query`.
    QStringList queryPlan(const TrackQuery &query) const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace rd::log

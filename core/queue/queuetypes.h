#pragma once
// Plain value types describing queued mail, shared by the engine, the queue
// store, the queue reader and the UI models. No behaviour, no I/O.

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

namespace rd::queue {

enum class RecipientState {
    Pending = 0,   // not yet delivered; retried on schedule
    Delivered = 1, // remote 2xx
    Failed = 2,    // remote 5xx or given up (expired); a bounce is due
    Bounced = 3,   // failed, and the sender's DSN is queued (or none was due)
};

enum class MessageState {
    Queued = 0,     // waiting for its first attempt or its next retry time
    InDelivery = 1, // a connection is delivering it now
    Deferred = 2,   // last attempt failed temporarily; next attempt scheduled
    Held = 3,       // an admin held it; not delivered until released
    Failed = 4,     // every remaining recipient failed permanently
};

QString messageStateName(MessageState s);
QString recipientStateName(RecipientState s);

struct RecipientInfo {
    QByteArray address;
    RecipientState state = RecipientState::Pending;
    int attempts = 0;
    QString lastReply;   // remote reply text, e.g. "250 2.0.0 Ok"
};

// One queued message as the queue index knows it.
struct MessageInfo {
    QString queueId;
    QByteArray sender;            // envelope sender, empty for <>
    QList<RecipientInfo> recipients;  // may hold only the first ones (see recipientCount)
    int recipientCount = 0;           // total number of recipients
    qint64 size = 0;              // message bytes (content incl. our Received)
    QDateTime received;           // UTC
    MessageState state = MessageState::Queued;
    int attempts = 0;
    QDateTime nextAttempt;        // UTC; null when not scheduled
    QString lastError;            // last remote reply or connection error
    QString clientIp;
    QString heloName;
    QString messageId;            // Message-ID header if found in the first 64 KiB
    QString subject;
};

// Filter for the queue viewer; empty fields do not filter, the given ones
// must all match (exact semantics: core/queue/queuereader.h).
struct QueueFilter {
    int state = -1;               // MessageState as int, or -1 for all
    QString domain;               // a recipient's domain, exact, case-insensitive
    QString sender;               // substring of the envelope sender; "<>" = null sender
    QString text;                 // substring of sender, recipients, queue id, subject, last error

    friend bool operator==(const QueueFilter &, const QueueFilter &) = default;
};

} // namespace rd::queue

Q_DECLARE_METATYPE(rd::queue::MessageInfo)

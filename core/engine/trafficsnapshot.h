#pragma once
// What the dashboard shows about recent traffic: per-minute counts for the
// last 24 hours, queue size samples, the top senders and client IPs of the
// last hour, the TLS share of sessions and totals since the engine started.
// Made by TrafficStats::snapshot() in the engine thread and handed to the
// GUI (queued signal), so a plain value type.

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

namespace rd::engine {

// One minute of traffic. `start` is the minute's first millisecond (UTC epoch ms).
struct TrafficMinute {
    qint64 start = 0;
    int accepted = 0;   // messages accepted from clients
    int delivered = 0;  // messages delivered to the next hop
    int deferred = 0;   // delivery attempts that failed temporarily
    int failed = 0;     // messages that failed permanently
    int rejected = 0;   // commands/messages refused (policy, limits, errors)
    int sessions = 0;   // inbound sessions that ended in this minute
    int tlsSessions = 0;// ... of which used TLS
    int queueSize = -1; // last queue size sampled in this minute; -1: no sample

    bool operator==(const TrafficMinute &) const = default;
};

// One entry of a top list. The true count lies in [count - error, count]
// (space-saving estimate, see TrafficStats); error 0 means exact.
struct TrafficTopEntry {
    QString key;        // sender address or client IP
    qint64 count = 0;
    qint64 error = 0;

    bool operator==(const TrafficTopEntry &) const = default;
};

struct TrafficSnapshot {
    qint64 taken = 0;                    // UTC epoch ms when the snapshot was made (0: never)
    QList<TrafficMinute> minutes;        // oldest first, one per minute, contiguous, the last ends
                                         // at the current minute; at most 24 * 60 entries
    QList<TrafficTopEntry> topSenders;   // last hour, busiest first, at most 10
    QList<TrafficTopEntry> topClients;   // last hour, by accepted messages, at most 10
    QList<TrafficTopEntry> topRefused;   // last hour, client IPs by refusals, at most 10
    qint64 topWindowMs = 0;              // the span the top lists cover (55 to 60 minutes)

    // Sessions that ended within the last hour, and those with TLS.
    qint64 sessionsLastHour = 0;
    qint64 tlsSessionsLastHour = 0;

    // Totals since the statistics started (engine start).
    qint64 totalAccepted = 0;
    qint64 totalDelivered = 0;
    qint64 totalDeferred = 0;
    qint64 totalFailed = 0;
    qint64 totalRejected = 0;
    qint64 totalAuthFailures = 0;
    qint64 totalSessions = 0;
    qint64 totalTlsSessions = 0;

    // Share of sessions with TLS in the last hour, 0..1; -1 when no session ended.
    double tlsShareLastHour() const
    {
        return sessionsLastHour > 0 ? double(tlsSessionsLastHour) / double(sessionsLastHour) : -1.0;
    }
    // Same since the start; -1 when no session ended.
    double tlsShareTotal() const
    {
        return totalSessions > 0 ? double(totalTlsSessions) / double(totalSessions) : -1.0;
    }
    // The last `count` minutes (fewer when the snapshot holds fewer).
    QList<TrafficMinute> lastMinutes(int count) const
    {
        return count >= minutes.size() ? minutes : minutes.mid(minutes.size() - count);
    }
};

} // namespace rd::engine

Q_DECLARE_METATYPE(rd::engine::TrafficSnapshot)

#pragma once
// Traffic statistics for the dashboard and the alert rules. The engine feeds
// events as they happen (sessions, accepted/rejected/delivered/deferred/
// failed messages, AUTH failures, queue size samples); snapshot() gives the
// dashboard's TrafficSnapshot, and the auth-failure and volume queries feed
// rd::alerts::AlertMonitor.
//
// Pure: no timers, no I/O, no signals. The clock is injected (UTC epoch ms;
// a clock stepping back is treated as standing still). Not thread-safe: one
// owner in the engine thread. Memory is bounded whatever the traffic:
//  - per-minute buckets: a ring of 24 * 60 minutes;
//  - top senders / client IPs / refused IPs of the last hour: 12 slots of 5
//    minutes, each a space-saving summary of 100 counters per list. A listed
//    count overestimates by at most its `error` (<= messages in the window
//    / 100); the window covers the current 5-minute slot and the 11 before
//    (55 to 60 minutes);
//  - AUTH failures per IP and per user: 10 one-minute slots ("within 10
//    minutes" = the current minute and the 9 before), at most 4096 keys each;
//  - messages per sender and per user: the rolling hour (12 x 5 minutes) and
//    an EWMA (alpha 0.1, bias-corrected) of completed clock hours, at most
//    2048 keys each. See KeyedWindow for what happens beyond the bounds.

#include "engine/trafficcounters.h"
#include "engine/trafficsnapshot.h"

#include <QString>

#include <array>
#include <functional>
#include <vector>

namespace rd::engine {

class TrafficStats {
public:
    using Clock = std::function<qint64()>; // UTC epoch milliseconds

    static constexpr int kMinutes = 24 * 60;
    static constexpr int kTopSize = 10;
    static constexpr int kTopCapacity = 100;
    static constexpr qint64 kTopSlotMs = 5 * 60 * 1000;
    static constexpr int kTopSlots = 12;
    static constexpr int kAuthKeys = 4096;
    static constexpr int kVolumeKeys = 2048;

    // clock: null means the system clock.
    explicit TrafficStats(Clock clock = {});

    // --- events (engine thread) ---
    // An inbound session ended; tls: STARTTLS or implicit TLS was in use.
    void sessionEnded(const QString &ip, bool tls);
    // A message was accepted (250 after DATA). sender: envelope sender (empty
    // for <>), user: the authenticated user (empty when none), recipients: count.
    void accepted(const QString &sender, const QString &user, const QString &ip, int recipients);
    // A command or message was refused (policy, limits, errors). reason is not
    // stored; it is part of the signature for the engine's logging symmetry.
    void rejected(const QString &ip, const QString &reason);
    void delivered();
    void deferred();
    void failed();
    // An AUTH attempt failed (user may be empty when the client gave none).
    void authFailure(const QString &ip, const QString &user);
    // The queue holds `size` messages now (the last sample of a minute wins).
    void sampleQueue(int size);

    // --- queries ---
    // Everything the dashboard shows, as of now.
    TrafficSnapshot snapshot();

    // AUTH failures of one IP / user within the last 10 minutes.
    qint64 authFailuresForIp(const QString &ip) const;
    qint64 authFailuresForUser(const QString &user) const;
    // Keys with at least `minimum` failures within the last 10 minutes.
    QList<KeyedWindow::Info> ipsWithAuthFailures(qint64 minimum);
    QList<KeyedWindow::Info> usersWithAuthFailures(qint64 minimum);

    // Messages in the last hour and the usual messages per hour of senders /
    // users with at least `minimum` messages in the last hour.
    QList<KeyedWindow::Info> sendersWithVolume(qint64 minimum);
    QList<KeyedWindow::Info> usersWithVolume(qint64 minimum);
    KeyedWindow::Info senderVolume(const QString &sender);
    KeyedWindow::Info userVolume(const QString &user);

    // When the statistics started (construction), UTC epoch ms.
    qint64 startedMs() const { return m_startedMs; }
    // The clock's now (never earlier than a previous now).
    qint64 now() const;

    // Tracked keys, for the memory bound checks.
    int trackedKeys() const;

private:
    struct TopSlot {
        qint64 slot = -1; // absolute 5-minute index; -1: unused
        SpaceSaving senders{kTopCapacity};
        SpaceSaving clients{kTopCapacity};
        SpaceSaving refused{kTopCapacity};
    };

    TrafficMinute &minute(qint64 nowMs);
    TopSlot &topSlot(qint64 nowMs);
    QList<TrafficTopEntry> top(SpaceSaving TopSlot::*list, qint64 nowMs) const;
    void housekeeping(qint64 nowMs);

    Clock m_clock;
    mutable qint64 m_lastMs = 0;
    qint64 m_startedMs = 0;
    qint64 m_lastPurgeHour = 0;
    std::vector<TrafficMinute> m_minutes;       // ring, index minute % kMinutes
    std::array<TopSlot, kTopSlots> m_topSlots;  // ring, index slot % kTopSlots
    KeyedWindow m_authIps;
    KeyedWindow m_authUsers;
    KeyedWindow m_senders;
    KeyedWindow m_users;

    qint64 m_accepted = 0;
    qint64 m_delivered = 0;
    qint64 m_deferred = 0;
    qint64 m_failed = 0;
    qint64 m_rejected = 0;
    qint64 m_authFailures = 0;
    qint64 m_sessions = 0;
    qint64 m_tlsSessions = 0;
};

// The display key of an envelope sender ("<>" for the null sender).
QString senderKey(const QString &sender);

} // namespace rd::engine

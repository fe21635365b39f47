#pragma once
// rd::policy::BanList: automatic temporary bans (hMailServer's auto-ban, IIS
// has none) after repeated failures from one client address, plus the bans an
// admin sets or lifts. Pure logic, no clock, no I/O: every call takes `nowMs`
// (wall-clock ms since the epoch, as stored in config.db `bans`). Persistence
// is batched through takeChanges() and policy/banstore.h.
//
// Rules:
//  - Failures are counted per client address and kind (AUTH failure, rejected
//    recipient, protocol error) over a sliding window of bans.window_s. The
//    window is kept as 60 slots (at least 1 s each), so a failure counts for
//    the window rounded up to the next slot (600 s -> 600-610 s).
//  - When a kind reaches its threshold (bans.auth_failures, ...; 0: that kind
//    never bans) the address is banned for bans.duration_s and its counters
//    are cleared. While banned, further failures are not counted.
//  - The key is the IPv4 address, or the IPv6 /64 ("2001:db8:1:2::/64": one
//    host usually owns its whole /64, so single IPv6 addresses are cheap to
//    rotate). IPv4-mapped IPv6 counts as IPv4.
//  - Never banned automatically: 127.0.0.1 and ::1 (the host's own apps,
//    which an IIS replacement serves; one misconfigured local script must not
//    cut all of them off), and any address the exemption says is allowed (the
//    engine passes "an allow rule covers it"). Other 127.0.0.0/8 addresses are
//    banned like any client (tests use them as distinct sources).
//  - bans.enabled off: nothing is counted and no automatic ban is made;
//    existing bans (automatic or manual) stay until they expire or are lifted.
//  - Memory is bounded: at most maxTrackedIps addresses with counters (when
//    full, addresses whose failures have aged out go first, then the eighth
//    with the fewest failures in the window, oldest first: a flood of one-shot
//    addresses cannot flush a persistent offender's count once it has failed
//    twice before about maxTrackedIps * 7/8 newcomers arrived) and at most maxBans bans (the eighth that
//    expire soonest go first). Each address holds at most 61 slots per kind.
//
// Thread: one owner thread (the engine's). Not thread-safe.

#include "config/configsnapshot.h"

#include <QDateTime>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QMetaType>
#include <QSet>
#include <QString>
#include <QVarLengthArray>

#include <array>
#include <functional>
#include <optional>

namespace rd::policy {

enum class FailureKind { AuthFailure, RejectedRecipient, ProtocolError };
inline constexpr int kFailureKinds = 3;

// "auth_failure", "rejected_recipient", "protocol_error" (log key values).
QString failureKindName(FailureKind kind);

struct Ban {
    QString ip;         // the key: "192.0.2.7" or "2001:db8:1:2::/64"
    // Follows "Address banned until 12:30 UTC ": "after 10 failed AUTH
    // attempts" (automatic) or the admin's phrase ("by an administrator").
    QString reason;
    QDateTime created;  // UTC
    QDateTime expires;  // UTC
    int failures = 0;   // failures that caused it (0: manual)

    bool operator==(const Ban &) const = default;
};

struct BanParams {
    bool enabled = true;
    int authFailures = 10;       // 0: never bans
    int rejectedRecipients = 50; // 0: never bans
    int protocolErrors = 30;     // 0: never bans
    int windowSeconds = 600;
    int durationSeconds = 3600;
    int maxTrackedIps = 20000;
    int maxBans = 100000;

    int threshold(FailureKind kind) const;
    // The bans.* settings of `config` (limits keep their defaults).
    static BanParams fromConfig(const config::ConfigSnapshot &config);
};

// What to write to config.db: bans to insert or replace, keys to delete.
struct BanChanges {
    QList<Ban> upserts;
    QStringList deletes;
    bool isEmpty() const { return upserts.isEmpty() && deletes.isEmpty(); }
    // `older` then `newer`: for each key the newer operation wins.
    static BanChanges merged(const BanChanges &older, const BanChanges &newer);
};

class BanList {
public:
    // True if `client` must never be banned automatically at `nowMs`.
    using Exemption = std::function<bool(const QHostAddress &client, qint64 nowMs)>;

    explicit BanList(const BanParams &params = {});

    // New thresholds apply to the next failure; counters and bans stay.
    void setParams(const BanParams &params);
    const BanParams &params() const { return m_params; }
    void setExemption(Exemption exemption) { m_exemption = std::move(exemption); }

    // Counts one failure. Returns the ban if this failure made one (the
    // caller logs it and closes the session), nullopt otherwise.
    std::optional<Ban> recordFailure(const QHostAddress &client, FailureKind kind, qint64 nowMs);

    // Bans `client` (its key) for durationSeconds (> 0) from nowMs, replacing
    // any ban of the key; works for any address, loopback included (an
    // admin's explicit choice). Returns the ban.
    Ban ban(const QHostAddress &client, const QString &reason, int durationSeconds, qint64 nowMs,
            int failures = 0);

    // Lifts the ban of `ipOrKey` (a Ban::ip, or an address whose key is
    // banned) and clears its counters. False if it was not banned.
    bool unban(const QString &ipOrKey);

    // The ban in force for `client` at nowMs, if any.
    std::optional<Ban> isBanned(const QHostAddress &client, qint64 nowMs) const;

    // Bans in force at nowMs, the soonest to expire first.
    QList<Ban> list(qint64 nowMs) const;

    // Drops expired bans (queued for deletion) and counters that aged out;
    // returns the number of bans dropped. Call it every minute or so.
    int purgeExpired(qint64 nowMs);

    // Failures of `kind` counted for `client` in the window at nowMs.
    int failures(const QHostAddress &client, FailureKind kind, qint64 nowMs) const;
    int trackedIps() const { return int(m_counters.size()); }
    int banCount() const { return int(m_bans.size()); }
    // Addresses whose counters were dropped to stay under maxTrackedIps.
    qint64 evictedIps() const { return m_evicted; }

    // Replaces the bans with stored ones; those expired at nowMs are queued
    // for deletion instead. Nothing else is queued (they are stored already).
    void load(const QList<Ban> &stored, qint64 nowMs);
    // The changes since the last call; write them (BanStore) or hand them back.
    BanChanges takeChanges();
    void restoreChanges(const BanChanges &changes);

    // The key of an address (see the rules above); empty for a non-IP.
    static QString keyFor(const QHostAddress &client);
    // True for the addresses never banned automatically (127.0.0.1, ::1).
    static bool isHostItself(const QHostAddress &client);
    // "Address banned until 12:30 UTC after 10 failed AUTH attempts" (the
    // date is added when the ban ends on another day than nowMs).
    static QString refusalText(const Ban &ban, qint64 nowMs);

private:
    struct Slot {
        qint64 start = 0;
        int count = 0;
    };
    struct Counters {
        std::array<QVarLengthArray<Slot, 4>, kFailureKinds> kinds;
        qint64 lastMs = 0;
    };

    qint64 slotMs() const;
    qint64 windowMs() const { return qint64(m_params.windowSeconds) * 1000; }
    int count(const Counters &c, int kind, qint64 nowMs) const;
    void trim(Counters &c, qint64 nowMs) const;
    bool agedOut(const Counters &c, qint64 nowMs) const;
    void makeRoomForCounters(qint64 nowMs);
    void makeRoomForBans(qint64 nowMs);
    void storeBan(const Ban &ban);
    void dropBan(const QString &key);

    BanParams m_params;
    Exemption m_exemption;
    QHash<QString, Counters> m_counters;
    QHash<QString, Ban> m_bans;
    QSet<QString> m_dirty;   // keys to upsert
    QSet<QString> m_deleted; // keys to delete
    qint64 m_evicted = 0;
};

} // namespace rd::policy

Q_DECLARE_METATYPE(rd::policy::Ban)

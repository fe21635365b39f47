#pragma once
// rd::policy::Greylist: greylisting by triplet (client network, sender,
// recipient). Pure logic over an in-memory table plus batched persistence in
// config.db (table greylist, schema v8). Times are wall-clock milliseconds
// since the epoch, passed in (tests drive them); they are stored as such.
//
// Rules:
//  - Key: the client's /24 (IPv4; IPv4-mapped IPv6 as IPv4) or /64 (IPv6);
//    the sender lower-cased with a BATV tag ("prvs=TAG=local@domain",
//    "msprvs1=TAG=local@domain") removed, "<>" for the null sender; the
//    recipient lower-cased.
//  - First sight: Defer for `delay` seconds. A retry before the delay is
//    over: Defer again (first sight unchanged). A retry after the delay and
//    within `retryWindow` seconds of the first sight: Pass; the triplet is then
//    passed and stays known until `expiry` days after its last use. A retry
//    after the window starts over (Defer).
//  - Auto-pass: once any triplet of a (client network, sender domain) has
//    passed, a new triplet with the same network and sender domain passes at
//    once (the sender has shown that it retries), and so does a pending one
//    on its next attempt, as long as a passed triplet of the pair is known
//    (`expiry` days after its last use). The null sender and senders without
//    a domain never auto-pass.
//
// Thread: one thread (the engine's). load()/flush() take the connection the
// caller gives; takeChanges() + writeChanges() split flush() so the SQL may
// run on another thread (writeChanges is static and touches no member).

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QSet>
#include <QString>

class QSqlDatabase;

namespace rd::policy {

struct GreylistParams {
    int delaySeconds = 300;          // greylist.delay_s
    int retryWindowSeconds = 172800; // greylist.retry_window_s
    int expiryDays = 35;             // greylist.expiry_days
    int maxTriplets = 500000;        // memory bound: the oldest pending triplets go first
};

struct GreylistDecision {
    enum Verdict { Pass, Defer };
    Verdict verdict = Defer;
    int secondsLeft = 0; // Defer: seconds until a retry would pass (>= 1)
    // "new", "early retry", "retry window expired" (Defer); "passed",
    // "retried", "auto-pass" (Pass). For the log line.
    QString reason;
    bool pass() const { return verdict == Pass; }
};

// One greylist row as stored.
struct GreylistRow {
    QString clientNet;
    QString sender;
    QString recipient;
    qint64 firstSeenMs = 0;
    qint64 lastSeenMs = 0;
    bool passed = false;
};

// What flush() writes: rows to upsert and keys to delete.
struct GreylistChanges {
    QList<GreylistRow> upserts;
    QList<GreylistRow> deletes; // only the key fields matter
    bool isEmpty() const { return upserts.isEmpty() && deletes.isEmpty(); }
};

class Greylist {
public:
    explicit Greylist(const GreylistParams &params = {});

    // New parameters apply to the next check; known triplets stay.
    void setParams(const GreylistParams &params) { m_params = params; }
    const GreylistParams &params() const { return m_params; }

    // Decides for one RCPT. `sender` empty or "<>" is the null sender.
    // Never fails: an unusable client address is keyed as its text.
    GreylistDecision check(const QHostAddress &client, const QString &sender,
                           const QString &recipient, qint64 nowMs);

    // Replaces the table with the rows of `db` (expired rows are skipped and
    // deleted at the next flush). False and *error on an SQL error (the table
    // is then empty).
    bool load(QSqlDatabase &db, qint64 nowMs, QString *error);
    // Drops expired triplets (pending past their retry window, passed past
    // their expiry) and queues their deletion; returns how many went.
    int expire(qint64 nowMs);
    // expire(nowMs), then writes every change since the last flush in one
    // transaction. On an error nothing is lost: the changes are kept for the
    // next flush. nowMs < 0: the current time.
    bool flush(QSqlDatabase &db, QString *error, qint64 nowMs = -1);
    // The changes since the last call (expire() first if wanted); the caller
    // must write them (writeChanges) or hand them back (restoreChanges).
    GreylistChanges takeChanges();
    // Puts changes back after a failed write (newer changes win).
    void restoreChanges(const GreylistChanges &changes);
    // Upserts and deletes in one transaction; any thread owning `db`.
    static bool writeChanges(QSqlDatabase &db, const GreylistChanges &changes, QString *error);

    struct Stats {
        int triplets = 0; // known triplets
        int pending = 0;  // not yet passed
        int autoPassNets = 0; // (network, sender domain) pairs that auto-pass
    };
    Stats stats() const;

    // Key parts, exposed for tests and logs.
    static QString clientNetwork(const QHostAddress &client); // "192.0.2.0/24", "2001:db8:1:2::/64"
    static QString normalizedSender(const QString &sender);   // "<>" for the null sender
    static QString normalizedRecipient(const QString &recipient);

private:
    struct Triplet {
        qint64 firstSeenMs = 0;
        qint64 lastSeenMs = 0;
        qint64 storedLastSeenMs = -1; // as last written (-1: never written)
        bool passed = false;
    };
    struct AutoPass {
        int passedTriplets = 0; // passed triplets of this (network, domain) in the table
        qint64 lastUseMs = 0;   // the latest last use among them
    };

    static QString key(const QString &net, const QString &sender, const QString &recipient);
    static QString autoPassKey(const QString &net, const QString &sender); // empty: none
    static GreylistRow rowFor(const QString &key, const Triplet &t);
    bool expired(const Triplet &t, qint64 nowMs) const;
    bool autoPasses(const QString &apKey, qint64 nowMs) const;
    void markPassed(const QString &key, Triplet &t);
    QHash<QString, Triplet>::iterator remove(QHash<QString, Triplet>::iterator it);
    void markDirty(const QString &key);
    void makeRoom(qint64 nowMs);

    GreylistParams m_params;
    QHash<QString, Triplet> m_triplets;  // key(net, sender, recipient)
    QHash<QString, AutoPass> m_autoPass; // autoPassKey(net, sender)
    QSet<QString> m_dirty;               // keys to upsert
    QHash<QString, GreylistRow> m_deleted; // keys to delete
    int m_pending = 0;
};

} // namespace rd::policy

#pragma once
// Schedules delivery of queued mail: keeps the in-memory view of the queue
// (what is due when), routes each pending recipient through the send
// connectors (first matching domain pattern wins) to a destination — a smart
// host failover list, or one domain's MX hosts — and runs per-destination
// connection pools with reuse, per-destination and global limits. A message
// whose recipients go to several destinations becomes several jobs; its
// attempt is recorded when the last one finishes. Failed recipients get a
// bounce (through the BounceFn the engine provides) before they are dropped.
// Thread: engine thread.

#include "config/sendconnector.h"
#include "delivery/deliverytypes.h"
#include "delivery/mxtlspolicy.h"
#include "log/logtypes.h"
#include "queue/queuestore.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>
#include <QVector>
#include <deque>
#include <functional>
#include <map>
#include <memory>

namespace rd::oauth {
class TokenManager;
}

namespace rd::delivery {

class OutboundConnection;

struct DeliverySettings {
    // Routes in order. The engine turns the legacy delivery.smarthost setting
    // into one "*" connector when no send connector is configured.
    QList<config::SendConnectorConfig> connectors;
    QString heloName;
    QVector<int> retrySchedule = {60, 300, 900, 1800, 3600}; // seconds
    qint64 maxAgeSeconds = 432000;
    int maxConnections = 20;        // in total, over every destination
    quint16 mxPort = 25;            // port of MX hosts (tests use a high port)
    qint64 delayWarningSeconds = 0; // 0: no delay warnings
    // IIS's masquerade domain: the envelope sender's domain on the wire
    // (MAIL FROM) becomes this one; the null sender and the headers stay.
    QString masqueradeDomain;
};

// `sender` with its domain replaced by `domain` (IDNA A-label); unchanged when
// either is empty or the sender has no domain.
QByteArray masquerade(const QByteArray &sender, const QString &domain);

struct DeliveryCounters {
    qint64 delivered = 0;
    qint64 deferred = 0;
    qint64 failed = 0;
    qint64 bounces = 0;
};

// The answer to "where does mail for this domain go?" (RFC 5321 5.1).
struct MxHost {
    QString name;          // the MX exchange (or the domain itself: implicit MX)
    QStringList addresses; // IPv4/IPv6 literals, in the order to try
};
struct MxAnswer {
    enum class Status {
        Ok,           // hosts holds at least one address
        NoSuchDomain, // NXDOMAIN, or no MX and no address: bounce
        NullMx,       // RFC 7505 "MX 0 .": the domain accepts no mail; bounce
        TempFail,     // DNS failure or timeout: retry later
    };
    Status status = Status::TempFail;
    QString detail;        // for the log and the bounce
    QList<MxHost> hosts;   // by preference
    // What TLS each MX host must prove (MTA-STS, DANE), by lower-case MX name;
    // hosts not listed are opportunistic (delivery/mxresolve.h resolveMxSecure).
    QHash<QString, MxTlsPolicy> tlsPolicies;
};
using MxLookupFn = std::function<void(const QString &domain, std::function<void(MxAnswer)> done)>;

// One failed (or delayed) recipient for a bounce.
struct BounceRecipient {
    QByteArray address;
    QString reply;       // the remote reply or our reason
    QString remoteHost;  // empty if none was reached
};
// Asked to queue a DSN for `entry`'s sender; calls done(true) once it is
// durably queued (or when no DSN is due, e.g. NOTIFY=NEVER), done(false) on a
// write failure (the agent retries with the next attempt).
using BounceFn = std::function<void(const queue::QueueEntry &entry, const QList<BounceRecipient> &rcpts,
                                    bool delayWarning, std::function<void(bool)> done)>;

class DeliveryAgent : public QObject {
    Q_OBJECT
public:
    using LogFn = std::function<void(log::LogEvent)>;

    DeliveryAgent(queue::QueueStore *store, LogFn log, QObject *parent = nullptr);
    ~DeliveryAgent() override;

    void setMxLookup(MxLookupFn fn) { m_mxLookup = std::move(fn); }
    void setBounce(BounceFn fn) { m_bounce = std::move(fn); }
    // Undeliverable mail that gets no bounce (null sender): a copy is kept
    // (the Badmail folder) before the message is removed.
    using BadmailFn = std::function<void(const queue::QueueEntry &entry, const QString &reason)>;
    void setBadmail(BadmailFn fn) { m_badmail = std::move(fn); }
    // Header fields to send on top of a message (the DKIM signature); called
    // each time a job is made, on the agent's thread. May return empty.
    using HeaderFn = std::function<QByteArray(const queue::QueueEntry &entry)>;
    void setHeaders(HeaderFn fn) { m_headers = std::move(fn); }

    // Outbound throttling (rate limits per send connector and destination
    // domain): asked before a message starts on a connection and before a
    // connection opens; a refused message stays queued and is tried again at
    // *retryAtMs (or when a connection closes). Unset: no throttling.
    struct Throttle {
        std::function<bool(const QString &connector, const QString &domain, qint64 *retryAtMs)> mayStartMessage;
        std::function<bool(const QString &connector, const QString &domain)> mayOpenConnection;
        std::function<void(const QString &connector, const QString &domain)> connectionClosed;
    };
    void setThrottle(Throttle throttle) { m_throttle = std::move(throttle); }
    // When the oldest message still in the queue arrived (null when empty); for the queue-age alert.
    QDateTime oldestReceived() const;
    // Access tokens for OAuth 2.0 connectors (engine thread; outlives the agent; may be null:
    // then OAuth connectors sign in with nothing and fail temporarily).
    void setTokens(oauth::TokenManager *tokens);

    // Applies new settings; due messages are (re)considered at once. Idle
    // connections are closed; running ones finish their job first.
    void configure(const DeliverySettings &settings);
    // The queue found at start-up.
    void load(const QVector<queue::QueueEntry> &entries);
    // A newly committed message: delivered as soon as a connection is free.
    void enqueue(const queue::QueueEntry &entry);

    // Admin actions; each returns a sentence for the GUI (empty queue ids are ignored).
    QString retryNow(const QStringList &ids);
    QString hold(const QStringList &ids);
    QString release(const QStringList &ids);
    // Deletes; with withBounce the sender gets a DSN for the undelivered recipients.
    QString remove(const QStringList &ids, bool withBounce = false);
    // Fails every pending recipient now with a bounce ("deleted by the administrator").
    QString bounce(const QStringList &ids);

    // Closes idle connections, aborts busy ones (their messages stay queued).
    void stop();

    int queueSize() const { return int(m_entries.size()); }
    int activeConnections() const { return int(m_connections.size()); }
    const DeliveryCounters &counters() const { return m_counters; }

signals:
    // Something in the in-memory queue changed (counts, states).
    void changed();
    // An MX connection with a TLS policy (or opportunistic TLS) finished its
    // TLS step: for the log and TLS-RPT.
    void tlsChecked(const rd::delivery::TlsCheck &check);

private:
    struct Target {
        QString host;    // name or IP to connect to
        quint16 port = 25;
        QString tlsName; // certificate name (the MX or smart host name)
    };
    struct Job {
        int id = 0;
        QString qid;
        QList<QByteArray> rcpts;
        int targetIndex = 0;
        QStringList errors; // from failed targets, for the final reply
    };
    struct Destination {
        QString key;
        int connector = -1;
        QString domain;       // MX routes: the recipient domain
        QList<Target> targets;
        QHash<QString, MxTlsPolicy> tlsPolicies; // MX routes: by lower-case MX name
        bool resolving = false;
        qint64 resolvedAtMs = -1; // -1: never resolved
        MxAnswer::Status status = MxAnswer::Status::Ok;
        QString error;
        std::deque<Job> pending;
        int connections = 0;
    };
    struct ConnState {
        QString destKey;
        int jobId = 0;     // 0: idle
        int messages = 0;  // jobs given to this connection
        QString throttleDomain; // the domain counted for the throttle when it opened
        qint64 idleSinceMs = 0; // m_clock when it last became idle (linger)
    };
    struct Round {         // one delivery round of one message
        int jobsLeft = 0;
        QStringList hosts;
        DeliveryResult merged; // recipients from every job
    };

    void schedule(const QString &qid, qint64 dueMs);
    // True if the throttle holds `job` back now (the pump is re-armed for it).
    bool throttled(const Destination &d, const Job &job);
    QString connectorName(const Destination &d) const;
    void pump();
    void armTimer();
    bool takeDue(QString *qid);
    void dispatch(const QString &qid);
    Destination *destinationFor(const QString &domain, QString *why);
    void service(Destination &d);
    void resolve(Destination &d);
    void failJobsNow(Destination &d, RcptStatus status, int code, const QString &reply);
    void startJob(OutboundConnection *conn, Destination &d, Job job);
    OutboundConnection *newConnection(Destination &d, const Target &t);
    DeliveryJob makeJob(const queue::QueueEntry &e, const Job &job) const;
    void onJobFinished(OutboundConnection *conn, const DeliveryResult &result);
    void onIdle(OutboundConnection *conn);
    void onClosed(OutboundConnection *conn);
    void jobDone(const QString &qid, const DeliveryResult &result);
    void finishRound(const QString &qid);
    void sendBounces(const QString &qid, QList<BounceRecipient> rcpts, bool delay);
    void logOutcome(const queue::QueueEntry &e, const DeliveryResult &r, const QStringList &rcpts, const QString &res,
                    const QString &level);
    qint64 retryDelayMs(int attempts) const;
    static bool connectionLevelFailure(const DeliveryResult &r);

    queue::QueueStore *m_store;
    LogFn m_log;
    MxLookupFn m_mxLookup;
    BounceFn m_bounce;
    BadmailFn m_badmail;
    HeaderFn m_headers;
    Throttle m_throttle;
    QTimer m_throttleTimer; // pumps again when a throttled message may start
    // Idle connections linger kIdleLingerMs for mail about to arrive; one
    // sweep timer closes those past it (no timer per delivered message).
    QTimer m_lingerSweep;
    QElapsedTimer m_clock;
    void sweepIdleConnections();
    oauth::TokenManager *m_tokens = nullptr;
    DeliverySettings m_settings;
    QHash<QString, queue::QueueEntry> m_entries;
    std::multimap<qint64, QString> m_due; // due time (ms) -> queue id; stale entries skipped
    QHash<QString, Round> m_rounds;       // messages in delivery
    QSet<QString> m_removeWhenDone;
    QSet<QString> m_bounceWhenDone;
    QHash<QString, std::shared_ptr<Destination>> m_destinations;
    QHash<int, Job> m_runningJobs;        // job id -> job, while on a connection
    QHash<OutboundConnection *, ConnState> m_connections;
    QTimer m_timer;
    DeliveryCounters m_counters;
    int m_nextJobId = 1;
    bool m_stopping = false;
};

} // namespace rd::delivery

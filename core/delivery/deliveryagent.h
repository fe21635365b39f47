#pragma once
// Schedules delivery of queued mail to the smart host: keeps the in-memory
// view of the queue (what is due when), opens outbound connections up to a
// limit, reuses an idle connection for the next due message, applies each
// attempt's per-recipient results and the retry schedule, and reports every
// change to the QueueStore and the log.
// Thread: engine thread.

#include "delivery/deliverytypes.h"
#include "log/logtypes.h"
#include "queue/queuestore.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>
#include <QVector>
#include <functional>
#include <map>

namespace rd::delivery {

class OutboundConnection;

struct DeliverySettings {
    QString smartHost;          // "host:port"; empty: nothing is delivered
    QString heloName;
    QVector<int> retrySchedule = {60, 300, 900, 1800, 3600}; // seconds
    qint64 maxAgeSeconds = 432000;
    int maxConnections = 20;
    Timeouts timeouts;
};

struct DeliveryCounters {
    qint64 delivered = 0;
    qint64 deferred = 0;
    qint64 failed = 0;
};

class DeliveryAgent : public QObject {
    Q_OBJECT
public:
    using LogFn = std::function<void(log::LogEvent)>;

    DeliveryAgent(queue::QueueStore *store, LogFn log, QObject *parent = nullptr);
    ~DeliveryAgent() override;

    // Applies new settings; due messages are (re)considered at once.
    void configure(const DeliverySettings &settings);
    // The queue found at start-up.
    void load(const QVector<queue::QueueEntry> &entries);
    // A newly committed message: delivered as soon as a connection is free.
    void enqueue(const queue::QueueEntry &entry);

    // Admin actions; each returns a sentence for the GUI (empty queue ids are ignored).
    QString retryNow(const QStringList &ids);
    QString hold(const QStringList &ids);
    QString release(const QStringList &ids);
    QString remove(const QStringList &ids);

    // Closes idle connections, aborts busy ones (their messages stay queued).
    void stop();

    int queueSize() const { return int(m_entries.size()); }
    int activeConnections() const { return int(m_connections.size()); }
    const DeliveryCounters &counters() const { return m_counters; }

signals:
    // Something in the in-memory queue changed (counts, states).
    void changed();

private:
    void schedule(const QString &qid, qint64 dueMs);
    void pump();
    void armTimer();
    bool takeDue(QString *qid);
    DeliveryJob makeJob(const queue::QueueEntry &e) const;
    void startOn(OutboundConnection *conn, const QString &qid);
    OutboundConnection *newConnection();
    void onJobFinished(OutboundConnection *conn, const DeliveryResult &result);
    void onIdle(OutboundConnection *conn);
    void failUnroutable(const QString &qid, const QString &why);
    qint64 retryDelayMs(int attempts) const;

    queue::QueueStore *m_store;
    LogFn m_log;
    DeliverySettings m_settings;
    QString m_host;
    quint16 m_port = 0;
    QHash<QString, queue::QueueEntry> m_entries;
    std::multimap<qint64, QString> m_due; // due time (ms) -> queue id; stale entries skipped
    QSet<QString> m_inFlight;
    QSet<QString> m_removeWhenDone;
    QHash<OutboundConnection *, QString> m_connections; // connection -> job in flight ("" when idle)
    QTimer m_timer;
    DeliveryCounters m_counters;
    bool m_stopping = false;
};

} // namespace rd::delivery

#pragma once
// rd::dns::CaresResolver: the Resolver on c-ares (1.18+), driven by the Qt
// event loop: a QSocketNotifier per c-ares socket and direction (told by
// c-ares's socket-state callback) and one QTimer for ares_timeout(). No
// thread, nothing blocks.
//
// Thread: lives in the thread that created it (the engine's) and must be used
// only there; answers arrive from that thread's event loop (see Resolver).
// Destroying it with queries outstanding drops them: c-ares reports them with
// ARES_EDESTRUCTION and no user callback runs.
//
// Same questions asked while one is in flight share one query; answers are
// cached by TTL (ResolverCache) unless config.cacheEnabled is false.

#include "dns/resolver.h"
#include "dns/resolvercache.h"

#include <QElapsedTimer>
#include <QTimer>

#include <unordered_map>

class QSocketNotifier;
struct ares_channeldata;

namespace rd::dns {

class CaresResolver : public Resolver {
    Q_OBJECT
public:
    // Builds the c-ares channel. A bad server entry or a failed init leaves
    // the resolver invalid (errorString()); its lookups then answer
    // ServerFailure with that reason.
    explicit CaresResolver(const ResolverConfig &config, QObject *parent = nullptr);
    ~CaresResolver() override;

    bool isValid() const { return m_channel != nullptr; }
    QString errorString() const { return m_error; }
    const ResolverConfig &config() const { return m_config; }
    // The servers asked, as "ip:port" / "[v6]:port" (from the configuration
    // or, when it lists none, from the system).
    QStringList servers() const;

    struct Stats {
        quint64 queriesSent = 0; // c-ares queries started
        quint64 cacheHits = 0;   // lookups answered from the cache
        quint64 coalesced = 0;   // lookups that joined a query in flight
    };
    Stats stats() const { return m_stats; }
    void clearCache() { m_cache.clear(); }

    // c-ares's version string, e.g. "1.18.1".
    static QString caresVersion();

protected:
    void startLookup(RequestId id, const QString &name, RecordType type) override;
    void cancelLookup(RequestId id) override;

private:
    friend struct CaresCallbacks;

    struct Inflight {
        QString name;
        RecordType type = RecordType::A;
        QList<RequestId> waiters;
    };
    struct Notifiers {
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
    };
    struct KeyHash {
        size_t operator()(const QString &s) const noexcept { return qHash(s); }
    };

    bool init();
    void onSocketState(qintptr fd, bool readable, bool writable);
    void onAnswer(const QString &key, int status, const unsigned char *abuf, int alen);
    void process(qintptr readFd, qintptr writeFd);
    void updateTimer();
    Answer failureAnswer(const QString &name, RecordType type) const;
    Answer buildAnswer(const QString &name, RecordType type, int status,
                       const unsigned char *abuf, int alen) const;
    qint64 nowMs() const { return m_clock.elapsed(); }

    ResolverConfig m_config;
    QString m_error;
    ares_channeldata *m_channel = nullptr;
    bool m_destroying = false;
    QTimer m_timer; // ares_timeout(): retries and timeouts
    std::unordered_map<qintptr, Notifiers> m_notifiers;
    std::unordered_map<QString, Inflight, KeyHash> m_inflight; // cache key -> query
    std::unordered_map<RequestId, QString> m_waiterKey;        // request -> cache key
    ResolverCache m_cache;
    QElapsedTimer m_clock;
    Stats m_stats;
};

} // namespace rd::dns

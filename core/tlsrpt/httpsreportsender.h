#pragma once
// TLS-RPT reports to https: rua URIs (RFC 8460 5.3.1): an HTTPS POST of the
// gzipped JSON report with Content-Type application/tlsrpt+gzip. A 2xx answer
// is delivery; anything else (another status, a redirect, a certificate that
// does not validate, a network error, no answer in time) is a failed attempt,
// retried with a growing delay a bounded number of times (5.4: "up to 24
// hours", with exponential backoff), then given up.
//
// The rua host's address comes from the project's asynchronous resolver (the
// same DNS as mail routing, testable against a DNS server on loopback); the
// request goes to that address with Host and the TLS name (SNI and
// verification) set to the rua host. The certificate must chain to the system
// store or to the extra CAs of `caFile`. Redirects are never followed (so
// never to http:).
//
// Pending reports are kept in `outboxDir` (one small JSON file each: URL,
// attempts made, the time of the first and of the next attempt, the body),
// written when a report is submitted and after each failed attempt, removed
// when it is delivered or given up; resume() picks them up after a restart,
// unless older than maxAgeMs. A report whose POST reached the collector just
// before a stop may thus be posted twice; none is lost by a restart.
//
// Thread: lives in the thread that created it (the engine's) and must be
// destroyed there; nothing blocks (the outbox files are a few KB, written
// like <data>/tlsrpt-last-day).

#include <QByteArray>
#include <QDate>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;

namespace rd::dns {
class Resolver;
}

namespace rd::tlsrpt {

struct HttpsReport {
    QUrl url;                // the https: rua as published
    QString policyDomain;    // for the log
    QDate day;               // for the log
    QByteArray gzippedJson;  // the POST body
};

// How one attempt ended, for the log.
struct HttpsAttempt {
    int attempt = 1;         // 1-based
    int maxAttempts = 1;
    bool delivered = false;
    int httpStatus = 0;      // 0: no HTTP answer
    QString reason;          // why it failed (names the host), empty when delivered
    int retryInMs = -1;      // the next attempt starts after this; -1: none (delivered or given up)
};

struct HttpsSenderOptions {
    int timeoutMs = 60000;   // one attempt, from the POST to the answer (DNS has its own timeout)
    QString caFile;          // PEM CAs trusted in addition to the system store; empty: the system store only
    // Delays before the 2nd, 3rd, ... attempt; its size + 1 is the number of attempts.
    QList<int> retryDelaysMs = defaultRetryDelaysMs();
    int maxPending = 1000;   // reports waiting or in flight; more are refused
    QString outboxDir;       // where pending reports are kept (created 0700); empty: in memory only
    qint64 maxAgeMs = 24LL * 3600 * 1000; // resume() drops reports first tried longer ago (5.4: 24 hours)

    // 10 s, 1 min, 10 min, 1 h, 4 h: six attempts over about 5 h 11 min.
    static QList<int> defaultRetryDelaysMs();
};

// What an HTTPS answer (or its absence) means. Pure.
struct HttpsAnswer {
    int httpStatus = 0;          // 0: none
    QString location;            // a redirect's Location
    QStringList tlsErrors;       // certificate errors (the request was not sent)
    bool handshakeFailed = false;
    bool timedOut = false;
    QString networkError;        // QNetworkReply::errorString() when there was an error
};
// delivered (2xx) or *reason naming `host`.
bool judgeHttpsAnswer(const HttpsAnswer &answer, const QString &host, int timeoutMs, QString *reason);

// The rua for the log: scheme, host, port and path (no user info, query or fragment).
QString httpsRuaForLog(const QUrl &url);

class HttpsReportSender : public QObject {
    Q_OBJECT
public:
    using AttemptFn = std::function<void(const HttpsReport &, const HttpsAttempt &)>;

    // `onAttempt` runs after every attempt, from the event loop of this
    // object's thread, never from inside submit().
    explicit HttpsReportSender(HttpsSenderOptions options, AttemptFn onAttempt, QObject *parent = nullptr);
    ~HttpsReportSender() override;

    // The resolver for the next attempts (the engine's; may be replaced or
    // destroyed at any time: an attempt without one fails and is retried).
    void setResolver(dns::Resolver *resolver);
    void setCaFile(const QString &caFile) { m_options.caFile = caFile; }

    // Queues a report; its first attempt starts from the event loop. false
    // (and nothing queued) when `url` is not https: with a host, or when
    // maxPending reports are pending.
    bool submit(const HttpsReport &report);

    // Reports still waiting for an attempt or its answer.
    int pending() const { return int(m_jobs.size()); }

    // Loads the reports left in the outbox by an earlier run and schedules
    // their next attempts. Returns how many; *dropped counts files removed
    // instead (unreadable, too old, or out of attempts). Call once, first.
    int resume(int *dropped = nullptr);

private:
    struct Job {
        HttpsReport report;
        int attempts = 0;      // made so far
        qint64 firstMs = 0;    // submitted (ms since the epoch)
        qint64 nextMs = 0;     // the next attempt is due
        QString file;          // in the outbox; empty: not saved
    };
    void startAttempt(quint64 id);
    void post(quint64 id, const QString &address);
    void attemptDone(quint64 id, bool delivered, int httpStatus, const QString &reason);
    void saveJob(Job &job);
    void removeJob(const Job &job);

    HttpsSenderOptions m_options;
    AttemptFn m_onAttempt;
    QPointer<dns::Resolver> m_resolver;
    QNetworkAccessManager *m_nam = nullptr; // child
    QHash<quint64, Job> m_jobs;
    quint64 m_nextId = 1;
};

} // namespace rd::tlsrpt

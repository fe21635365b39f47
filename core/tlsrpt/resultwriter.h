#pragma once
// Records outbound TLS outcomes for TLS-RPT (RFC 8460) into log.db table
// tls_results: one row per failed session, and per hour, domain, policy and
// MX one "success" row whose detail is the count of successful sessions.
// record() is cheap and callable from any thread (the engine's): it only
// appends to a buffer. A worker thread owned by the writer, with its own
// database connection, writes the buffer in one transaction every flushMs.
// Errors are logged (key=value) and the rows dropped: reports are best effort.

#include "delivery/mxtlspolicy.h"

#include <QMutex>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QThread>

namespace rd::tlsrpt {

struct ResultRow {
    qint64 tsMs = 0;
    QString domain;       // policy domain (recipient domain), lower case
    QString policyType;   // "sts", "tlsa", "no-policy-found"
    QString policy;       // policy strings joined with "\n"
    QString mxHost;       // receiving-mx-hostname
    QString result;       // "success" or an RFC 8460 4.3 result type
    QString detail;       // success: the session count; failure: "<receiving-ip>\n<text>"
};

// The rows a TLS check becomes (one; successes count 1).
ResultRow rowFor(const delivery::TlsCheck &check, qint64 tsMs);

class ResultWriterWorker;

class TlsResultWriter : public QObject {
    Q_OBJECT
public:
    // Opens dataDir's log.db on the worker thread (migrating as needed).
    explicit TlsResultWriter(const QString &dataDir, int flushMs = 5000, QObject *parent = nullptr);
    // Writes what is buffered, then stops the worker.
    ~TlsResultWriter() override;

    // Any thread. Successes are aggregated in memory per hour bucket.
    void record(const delivery::TlsCheck &check, qint64 tsMs = 0);
    // A policy that could not be had at all (e.g. sts-policy-fetch-error).
    void recordPolicyFailure(const QString &domain, const QString &policyType, const QString &resultType,
                             const QString &detail, qint64 tsMs = 0);
    // Blocks until the buffer is written (tests, shutdown). Not for the GUI thread.
    // False when the database could not be opened or written.
    bool flushNow();
    // Rows written so far (for tests and the status line).
    qint64 written() const;

private:
    void add(const ResultRow &row);
    void scheduleFlush();

    QThread m_thread;
    ResultWriterWorker *m_worker = nullptr; // lives in m_thread
    mutable QMutex m_mutex;
    QList<ResultRow> m_buffer;
    bool m_flushScheduled = false;
    int m_flushMs = 5000;
};

} // namespace rd::tlsrpt

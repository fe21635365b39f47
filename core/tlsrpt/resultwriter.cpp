#include "tlsrpt/resultwriter.h"

#include "storage/database.h"

#include <QDateTime>
#include <QHash>
#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>

#include <atomic>

namespace rd::tlsrpt {

namespace {
Q_LOGGING_CATEGORY(lcRpt, "relaydesk.tlsrpt", QtInfoMsg)

constexpr qint64 kHourMs = 3600 * 1000;
} // namespace

// The database side, living in the writer's thread.
class ResultWriterWorker : public QObject {
public:
    explicit ResultWriterWorker(QString dataDir) : m_dataDir(std::move(dataDir)) {}
    ~ResultWriterWorker() override { close(); }

    bool write(const QList<ResultRow> &rows)
    {
        if (rows.isEmpty())
            return true;
        if (!open())
            return false;
        QSqlDatabase db = QSqlDatabase::database(m_conn, false);
        db.transaction();
        QSqlQuery q(db);
        q.prepare(QStringLiteral("INSERT INTO tls_results (ts, domain, policy_type, policy, mx_host, result, detail)"
                                 " VALUES (?, ?, ?, ?, ?, ?, ?)"));
        for (const ResultRow &r : rows) {
            q.addBindValue(r.tsMs);
            q.addBindValue(storage::nn(r.domain));
            q.addBindValue(storage::nn(r.policyType));
            q.addBindValue(storage::nn(r.policy));
            q.addBindValue(storage::nn(r.mxHost));
            q.addBindValue(storage::nn(r.result));
            q.addBindValue(storage::nn(r.detail));
            if (!q.exec()) {
                qCWarning(lcRpt).noquote() << QStringLiteral("event=tlsrpt_write_failed error=\"%1\"")
                                                  .arg(q.lastError().text());
                db.rollback();
                return false;
            }
        }
        if (!db.commit())
            return false;
        m_written += rows.size();
        return true;
    }
    qint64 written() const { return m_written; }

private:
    bool open()
    {
        if (!m_conn.isEmpty())
            return true;
        const QString name = storage::uniqueConnectionName(QStringLiteral("tlsrpt"));
        QString error;
        QSqlDatabase db = storage::openDatabase(m_dataDir, storage::DbKind::Log, name, {}, &error);
        if (!db.isOpen()) {
            qCWarning(lcRpt).noquote() << QStringLiteral("event=tlsrpt_open_failed error=\"%1\"").arg(error);
            storage::closeDatabase(name);
            return false;
        }
        m_conn = name;
        return true;
    }
    void close()
    {
        if (!m_conn.isEmpty())
            storage::closeDatabase(m_conn);
        m_conn.clear();
    }

    QString m_dataDir;
    QString m_conn;
    std::atomic<qint64> m_written{0};
};

ResultRow rowFor(const delivery::TlsCheck &check, qint64 tsMs)
{
    ResultRow r;
    r.tsMs = tsMs;
    r.domain = check.policy.domain.toLower();
    r.policyType = check.policy.policyType();
    r.policy = check.policy.policyStrings.join(QLatin1Char('\n'));
    r.mxHost = check.policy.mxHost.toLower();
    if (check.success) {
        r.result = QStringLiteral("success");
        r.detail = QStringLiteral("1");
    } else {
        r.result = check.resultType.isEmpty() ? QStringLiteral("validation-failure") : check.resultType;
        r.detail = check.peerAddress + QLatin1Char('\n') + check.detail;
    }
    return r;
}

TlsResultWriter::TlsResultWriter(const QString &dataDir, int flushMs, QObject *parent)
    : QObject(parent)
    , m_worker(new ResultWriterWorker(dataDir))
    , m_flushMs(flushMs)
{
    m_thread.setObjectName(QStringLiteral("tlsrpt-writer"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
}

TlsResultWriter::~TlsResultWriter()
{
    flushNow();
    m_thread.quit();
    m_thread.wait();
}

void TlsResultWriter::record(const delivery::TlsCheck &check, qint64 tsMs)
{
    add(rowFor(check, tsMs > 0 ? tsMs : QDateTime::currentMSecsSinceEpoch()));
}

void TlsResultWriter::recordPolicyFailure(const QString &domain, const QString &policyType, const QString &resultType,
                                          const QString &detail, qint64 tsMs)
{
    ResultRow r;
    r.tsMs = tsMs > 0 ? tsMs : QDateTime::currentMSecsSinceEpoch();
    r.domain = domain.toLower();
    r.policyType = policyType;
    r.result = resultType;
    r.detail = QLatin1Char('\n') + detail;
    add(r);
}

void TlsResultWriter::add(const ResultRow &row)
{
    QMutexLocker lock(&m_mutex);
    if (row.result == QLatin1String("success")) {
        // Aggregate successes per hour bucket, domain, policy and MX.
        const qint64 bucket = row.tsMs / kHourMs;
        for (ResultRow &r : m_buffer) {
            if (r.result == row.result && r.tsMs / kHourMs == bucket && r.domain == row.domain &&
                r.policyType == row.policyType && r.policy == row.policy && r.mxHost == row.mxHost) {
                r.detail = QString::number(r.detail.toLongLong() + row.detail.toLongLong());
                return;
            }
        }
    }
    m_buffer << row;
    if (!m_flushScheduled) {
        m_flushScheduled = true;
        lock.unlock();
        scheduleFlush();
    }
}

void TlsResultWriter::scheduleFlush()
{
    QMetaObject::invokeMethod(
        m_worker,
        [this] {
            QTimer::singleShot(m_flushMs, m_worker, [this] {
                QList<ResultRow> rows;
                {
                    QMutexLocker lock(&m_mutex);
                    rows.swap(m_buffer);
                    m_flushScheduled = false;
                }
                m_worker->write(rows);
            });
        },
        Qt::QueuedConnection);
}

bool TlsResultWriter::flushNow()
{
    QList<ResultRow> rows;
    {
        QMutexLocker lock(&m_mutex);
        rows.swap(m_buffer);
    }
    bool ok = true;
    if (!m_thread.isRunning())
        return rows.isEmpty();
    QMetaObject::invokeMethod(
        m_worker, [this, &rows, &ok] { ok = m_worker->write(rows); }, Qt::BlockingQueuedConnection);
    return ok;
}

qint64 TlsResultWriter::written() const
{
    return m_worker->written();
}

} // namespace rd::tlsrpt

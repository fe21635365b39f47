#include "log/logstore.h"

#include "storage/database.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>
#include <QVariant>

#include <cstdio>

namespace rd::log {

// Lives in the writer thread. Events arrive via a mutex-protected vector;
// a single-shot timer coalesces them into one transaction every 50 ms.
class LogWriter : public QObject {
    Q_OBJECT
public:
    LogWriter(QString dataDir, LogStore *owner)
        : m_dataDir(std::move(dataDir)), m_owner(owner)
    {
    }

    void open()
    {
        m_connection = storage::uniqueConnectionName(QStringLiteral("logwriter"));
        QString error;
        QSqlDatabase db = storage::openDatabase(m_dataDir, storage::DbKind::Log, m_connection, {}, &error);
        QMutexLocker lock(&m_mutex);
        m_error = error;
        m_ok = db.isValid();
    }

    void close()
    {
        flush();
        storage::closeDatabase(m_connection);
    }

    void push(LogEvent &&e)
    {
        QMutexLocker lock(&m_mutex);
        m_pending.append(std::move(e));
        if (!m_scheduled) {
            m_scheduled = true;
            QMetaObject::invokeMethod(this, [this] { QTimer::singleShot(50, this, &LogWriter::flush); },
                                      Qt::QueuedConnection);
        }
    }

    void flush()
    {
        QVector<LogEvent> batch;
        {
            QMutexLocker lock(&m_mutex);
            batch.swap(m_pending);
            m_scheduled = false;
            if (!m_ok)
                return;
        }
        if (batch.isEmpty())
            return;
        QSqlDatabase db = QSqlDatabase::database(m_connection);
        db.transaction();
        QSqlQuery q(db);
        q.prepare(QStringLiteral(
            "INSERT INTO events (ts, kind, level, session_id, direction, client_ip, client_name, user, helo,"
            " sender, recipients, queue_id, reply_code, enhanced_code, bytes, tls_version, tls_cipher,"
            " duration_ms, result, rule, message) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
        qint64 last = 0;
        for (const LogEvent &e : batch) {
            q.addBindValue(e.time.toMSecsSinceEpoch());
            q.addBindValue(int(e.kind));
            q.addBindValue(storage::nn(e.level));
            q.addBindValue(storage::nn(e.sessionId));
            q.addBindValue(storage::nn(e.direction));
            q.addBindValue(storage::nn(e.clientIp));
            q.addBindValue(storage::nn(e.clientName));
            q.addBindValue(storage::nn(e.user));
            q.addBindValue(storage::nn(e.helo));
            q.addBindValue(storage::nn(e.sender));
            q.addBindValue(storage::nn(e.recipients));
            q.addBindValue(storage::nn(e.queueId));
            q.addBindValue(e.replyCode);
            q.addBindValue(storage::nn(e.enhancedCode));
            q.addBindValue(e.bytes);
            q.addBindValue(storage::nn(e.tlsVersion));
            q.addBindValue(storage::nn(e.tlsCipher));
            q.addBindValue(e.durationMs);
            q.addBindValue(storage::nn(e.result));
            q.addBindValue(storage::nn(e.rule));
            q.addBindValue(storage::nn(e.message));
            if (q.exec())
                last = q.lastInsertId().toLongLong();
            else
                std::fprintf(stderr, "level=error kind=system msg=\"log insert failed: %s\"\n",
                             qPrintable(q.lastError().text()));
        }
        db.commit();
        if (last > 0)
            emit m_owner->appended(last);
    }

    QString error() const
    {
        QMutexLocker lock(&m_mutex);
        return m_error;
    }

private:
    QString m_dataDir;
    LogStore *m_owner;
    QString m_connection;
    mutable QMutex m_mutex;
    QVector<LogEvent> m_pending;
    bool m_scheduled = false;
    bool m_ok = false;
    QString m_error;
};

LogStore::LogStore(const QString &dataDir, bool echoToStderr, QObject *parent)
    : QObject(parent), m_writer(new LogWriter(dataDir, this)), m_echo(echoToStderr)
{
    m_thread.setObjectName(QStringLiteral("log-writer"));
    m_writer->moveToThread(&m_thread);
    m_thread.start();
    QMetaObject::invokeMethod(m_writer, &LogWriter::open, Qt::BlockingQueuedConnection);
}

LogStore::~LogStore()
{
    QMetaObject::invokeMethod(m_writer, &LogWriter::close, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_writer;
}

void LogStore::append(LogEvent event)
{
    if (!event.time.isValid())
        event.time = QDateTime::currentDateTimeUtc();
    if (m_echo) {
        const QByteArray line = event.toKeyValueLine().toUtf8() + '\n';
        std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
        std::fflush(stderr);
    }
    m_writer->push(std::move(event));
}

void LogStore::flushNow()
{
    QMetaObject::invokeMethod(m_writer, &LogWriter::flush, Qt::BlockingQueuedConnection);
}

QString LogStore::errorString() const
{
    return m_writer->error();
}

} // namespace rd::log

#include "logstore.moc"

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
        delete m_retentionTimer;
        m_retentionTimer = nullptr;
        flush();
        storage::closeDatabase(m_connection);
    }

    void pushTranscript(const QString &sessionId, qint64 ts, const QString &lines)
    {
        QMutexLocker lock(&m_mutex);
        m_transcripts.append({sessionId, ts, lines});
        scheduleLocked();
    }

    void pushMessage(MessageRecord &&m)
    {
        QMutexLocker lock(&m_mutex);
        m_messages.append(std::move(m));
        scheduleLocked();
    }

    void setPolicy(const RetentionPolicy &p)
    {
        bool first = false;
        {
            QMutexLocker lock(&m_mutex);
            m_policy = p;
            first = !m_policySet;
            m_policySet = true;
        }
        if (first) {
            QMetaObject::invokeMethod(this, [this] {
                if (!m_retentionTimer) {
                    m_retentionTimer = new QTimer(this);
                    connect(m_retentionTimer, &QTimer::timeout, this, [this] { retention(); });
                    m_retentionTimer->start(LogStore::RetentionIntervalMs);
                    QTimer::singleShot(LogStore::RetentionFirstDelayMs, this, [this] { retention(); });
                }
            }, Qt::QueuedConnection);
        }
    }

    RetentionResult retention()
    {
        RetentionPolicy policy;
        {
            QMutexLocker lock(&m_mutex);
            policy = m_policy;
            if (!m_ok)
                return {};
        }
        flush();
        QSqlDatabase db = QSqlDatabase::database(m_connection);
        const RetentionResult r = applyRetention(db, policy, QDateTime::currentDateTimeUtc(), [this] { flush(); });
        if (r.events + r.transcripts + r.alerts > 0 || !r.error.isEmpty()) {
            LogEvent e;
            e.time = QDateTime::currentDateTimeUtc();
            e.kind = LogKind::System;
            e.level = r.error.isEmpty() ? QStringLiteral("info") : QStringLiteral("warning");
            e.result = QStringLiteral("log_retention");
            e.message = QStringLiteral("log retention removed %1 events, %2 transcripts, %3 alerts; used size %4 -> %5 bytes%6")
                            .arg(r.events).arg(r.transcripts).arg(r.alerts).arg(r.bytesBefore).arg(r.bytesAfter)
                            .arg(r.error.isEmpty() ? QString() : QStringLiteral("; error: ") + r.error);
            push(std::move(e));
            flush();
        }
        return r;
    }

    void push(LogEvent &&e)
    {
        QMutexLocker lock(&m_mutex);
        m_pending.append(std::move(e));
        scheduleLocked();
    }

    void scheduleLocked()
    {
        if (!m_scheduled) {
            m_scheduled = true;
            QMetaObject::invokeMethod(this, [this] { QTimer::singleShot(50, this, &LogWriter::flush); },
                                      Qt::QueuedConnection);
        }
    }

    void flush()
    {
        QVector<LogEvent> batch;
        QVector<Transcript> transcripts;
        QVector<MessageRecord> messages;
        {
            QMutexLocker lock(&m_mutex);
            batch.swap(m_pending);
            transcripts.swap(m_transcripts);
            messages.swap(m_messages);
            m_scheduled = false;
            if (!m_ok)
                return;
        }
        if (batch.isEmpty() && transcripts.isEmpty() && messages.isEmpty())
            return;
        QSqlDatabase db = QSqlDatabase::database(m_connection);
        db.transaction();
        if (!transcripts.isEmpty()) {
            QSqlQuery t(db);
            t.prepare(QStringLiteral("INSERT OR REPLACE INTO transcripts (session_id, ts, lines) VALUES (?,?,?)"));
            for (const Transcript &tr : transcripts) {
                t.addBindValue(tr.sessionId);
                t.addBindValue(tr.ts);
                t.addBindValue(storage::nn(tr.lines));
                if (!t.exec())
                    std::fprintf(stderr, "level=error kind=system msg=\"transcript insert failed: %s\"\n",
                                 qPrintable(t.lastError().text()));
            }
        }
        if (!messages.isEmpty())
            writeMessages(db, messages);
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

    static void writeMessages(QSqlDatabase &db, const QVector<MessageRecord> &messages)
    {
        QSqlQuery m(db);
        m.prepare(QStringLiteral(
            "INSERT OR REPLACE INTO messages (queue_id, ts, message_id, subject, sender, recipients,"
            " client_ip, listener, tls, size, origin) VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
        for (const MessageRecord &r : messages) {
            m.addBindValue(storage::nn(r.queueId));
            m.addBindValue(r.time.toMSecsSinceEpoch());
            m.addBindValue(storage::nn(r.messageId));
            m.addBindValue(storage::nn(r.subject));
            m.addBindValue(storage::nn(r.sender));
            m.addBindValue(storage::nn(r.recipients));
            m.addBindValue(storage::nn(r.clientIp));
            m.addBindValue(storage::nn(r.listener));
            m.addBindValue(storage::nn(r.tls));
            m.addBindValue(r.size);
            m.addBindValue(storage::nn(r.origin));
            if (!m.exec())
                std::fprintf(stderr, "level=error kind=system msg=\"message record insert failed: %s\"\n",
                             qPrintable(m.lastError().text()));
        }
    }

    QString error() const
    {
        QMutexLocker lock(&m_mutex);
        return m_error;
    }

private:
    struct Transcript {
        QString sessionId;
        qint64 ts = 0;
        QString lines;
    };

    QString m_dataDir;
    LogStore *m_owner;
    QVector<Transcript> m_transcripts;
    QVector<MessageRecord> m_messages;
    RetentionPolicy m_policy;
    bool m_policySet = false;
    QTimer *m_retentionTimer = nullptr; // writer thread
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

void LogStore::appendTranscript(const QString &sessionId, const QDateTime &start, const QString &lines)
{
    if (sessionId.isEmpty())
        return;
    const QDateTime t = start.isValid() ? start : QDateTime::currentDateTimeUtc();
    m_writer->pushTranscript(sessionId, t.toMSecsSinceEpoch(), lines);
}

void LogStore::appendMessage(MessageRecord record)
{
    if (record.queueId.isEmpty())
        return;
    if (!record.time.isValid())
        record.time = QDateTime::currentDateTimeUtc();
    record.messageId = normalizedMessageId(record.messageId);
    m_writer->pushMessage(std::move(record));
}

void LogStore::setRetention(int days, qint64 maxBytes)
{
    m_writer->setPolicy({days, maxBytes});
}

RetentionResult LogStore::applyRetentionNow()
{
    RetentionResult r;
    QMetaObject::invokeMethod(m_writer, [this, &r] { r = m_writer->retention(); }, Qt::BlockingQueuedConnection);
    return r;
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

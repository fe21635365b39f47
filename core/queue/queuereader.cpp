#include "queue/queuereader.h"

#include "storage/database.h"

#include <QDir>
#include <QFile>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimeZone>
#include <QVariant>

namespace rd::queue {

struct QueueReader::Impl {
    QString dataDir;
    QString connection;
    mutable QString error;
    bool open = false;
};

namespace {

QString where(const QueueFilter &f, QVariantList *binds)
{
    QString w = QStringLiteral(" WHERE 1=1");
    if (f.state >= 0) {
        w += QStringLiteral(" AND state = ?");
        *binds << f.state;
    }
    const QString text = f.text.trimmed();
    if (!text.isEmpty()) {
        QString like = text;
        like.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
            .replace(QLatin1Char('%'), QStringLiteral("\\%"))
            .replace(QLatin1Char('_'), QStringLiteral("\\_"));
        like = QLatin1Char('%') + like + QLatin1Char('%');
        w += QStringLiteral(" AND (sender LIKE ? ESCAPE '\\' OR rcpt_summary LIKE ? ESCAPE '\\'"
                            " OR queue_id LIKE ? ESCAPE '\\' OR subject LIKE ? ESCAPE '\\'"
                            " OR last_error LIKE ? ESCAPE '\\'"
                            " OR queue_id IN (SELECT queue_id FROM recipients WHERE address LIKE ? ESCAPE '\\'))");
        for (int i = 0; i < 6; ++i)
            *binds << like;
    }
    return w;
}

const char kColumns[] = "queue_id, sender, size, received, state, attempts, next_attempt, last_error, client_ip,"
                        " helo, message_id, subject, rcpt_count";

MessageInfo readMessage(const QSqlQuery &q)
{
    MessageInfo m;
    m.queueId = q.value(0).toString();
    m.sender = q.value(1).toString().toUtf8();
    m.size = q.value(2).toLongLong();
    m.received = QDateTime::fromMSecsSinceEpoch(q.value(3).toLongLong(), Qt::UTC);
    m.state = MessageState(q.value(4).toInt());
    m.attempts = q.value(5).toInt();
    if (!q.value(6).isNull())
        m.nextAttempt = QDateTime::fromMSecsSinceEpoch(q.value(6).toLongLong(), Qt::UTC);
    m.lastError = q.value(7).toString();
    m.clientIp = q.value(8).toString();
    m.heloName = q.value(9).toString();
    m.messageId = q.value(10).toString();
    m.subject = q.value(11).toString();
    m.recipientCount = q.value(12).toInt();
    return m;
}

void loadRecipients(QSqlDatabase db, MessageInfo *m, int limit)
{
    QSqlQuery r(db);
    r.setForwardOnly(true);
    r.prepare(QStringLiteral("SELECT address, state, attempts, last_reply FROM recipients WHERE queue_id = ?"
                             " ORDER BY idx LIMIT ?"));
    r.addBindValue(m->queueId);
    r.addBindValue(limit);
    if (!r.exec())
        return;
    while (r.next()) {
        RecipientInfo ri;
        ri.address = r.value(0).toString().toUtf8();
        ri.state = RecipientState(r.value(1).toInt());
        ri.attempts = r.value(2).toInt();
        ri.lastReply = r.value(3).toString();
        m->recipients.append(ri);
    }
}

} // namespace

QueueReader::QueueReader(const QString &dataDir) : d(std::make_unique<Impl>())
{
    d->dataDir = dataDir;
    d->connection = storage::uniqueConnectionName(QStringLiteral("queuereader"));
    QSqlDatabase db = storage::openDatabase(dataDir, storage::DbKind::Queue, d->connection, {}, &d->error);
    d->open = db.isValid();
}

QueueReader::~QueueReader()
{
    storage::closeDatabase(d->connection);
}

bool QueueReader::isOpen() const
{
    return d->open;
}

QString QueueReader::errorString() const
{
    return d->error;
}

int QueueReader::count(const QueueFilter &filter) const
{
    if (!d->open)
        return 0;
    QVariantList binds;
    QSqlQuery q(QSqlDatabase::database(d->connection));
    q.prepare(QStringLiteral("SELECT COUNT(*) FROM messages") + where(filter, &binds));
    for (const QVariant &b : binds)
        q.addBindValue(b);
    if (!q.exec() || !q.next()) {
        d->error = q.lastError().text();
        return 0;
    }
    return q.value(0).toInt();
}

QVector<MessageInfo> QueueReader::page(const QueueFilter &filter, int offset, int limit) const
{
    QVector<MessageInfo> out;
    if (!d->open)
        return out;
    QSqlDatabase db = QSqlDatabase::database(d->connection);
    QVariantList binds;
    QSqlQuery q(db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT %1 FROM messages").arg(QLatin1String(kColumns)) + where(filter, &binds) +
              QStringLiteral(" ORDER BY received, queue_id LIMIT ? OFFSET ?"));
    for (const QVariant &b : binds)
        q.addBindValue(b);
    q.addBindValue(limit);
    q.addBindValue(offset);
    if (!q.exec()) {
        d->error = q.lastError().text();
        return out;
    }
    while (q.next())
        out.append(readMessage(q));
    for (MessageInfo &m : out)
        loadRecipients(db, &m, 20);
    return out;
}

std::optional<MessageInfo> QueueReader::message(const QString &queueId) const
{
    if (!d->open)
        return std::nullopt;
    QSqlDatabase db = QSqlDatabase::database(d->connection);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT %1 FROM messages WHERE queue_id = ?").arg(QLatin1String(kColumns)));
    q.addBindValue(queueId);
    if (!q.exec() || !q.next())
        return std::nullopt;
    MessageInfo m = readMessage(q);
    loadRecipients(db, &m, 1000000);
    return m;
}

QByteArray QueueReader::rawMessage(const QString &queueId, qint64 maxBytes) const
{
    if (!d->open)
        return {};
    QSqlQuery q(QSqlDatabase::database(d->connection));
    q.prepare(QStringLiteral("SELECT body_offset FROM messages WHERE queue_id = ?"));
    q.addBindValue(queueId);
    if (!q.exec() || !q.next())
        return {};
    const qint64 offset = q.value(0).toLongLong();
    QFile f(QDir(d->dataDir).filePath(QStringLiteral("spool/%1.msg").arg(queueId)));
    if (!f.open(QIODevice::ReadOnly) || !f.seek(offset))
        return {};
    return f.read(maxBytes);
}

} // namespace rd::queue

#include "log/logreader.h"

#include "storage/database.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QTimeZone>
#include <QVariant>

namespace rd::log {

struct LogReader::Impl {
    QString connection;
    QString error;
    bool open = false;
};

namespace {

const char kColumns[] =
    "id, ts, kind, level, session_id, direction, client_ip, client_name, user, helo, sender, recipients,"
    " queue_id, reply_code, enhanced_code, bytes, tls_version, tls_cipher, duration_ms, result, rule, message";

LogEvent readRow(const QSqlQuery &q)
{
    LogEvent e;
    e.id = q.value(0).toLongLong();
    e.time = QDateTime::fromMSecsSinceEpoch(q.value(1).toLongLong(), Qt::UTC);
    e.kind = LogKind(q.value(2).toInt());
    e.level = q.value(3).toString();
    e.sessionId = q.value(4).toString();
    e.direction = q.value(5).toString();
    e.clientIp = q.value(6).toString();
    e.clientName = q.value(7).toString();
    e.user = q.value(8).toString();
    e.helo = q.value(9).toString();
    e.sender = q.value(10).toString();
    e.recipients = q.value(11).toString();
    e.queueId = q.value(12).toString();
    e.replyCode = q.value(13).toInt();
    e.enhancedCode = q.value(14).toString();
    e.bytes = q.value(15).toLongLong();
    e.tlsVersion = q.value(16).toString();
    e.tlsCipher = q.value(17).toString();
    e.durationMs = q.value(18).toLongLong();
    e.result = q.value(19).toString();
    e.rule = q.value(20).toString();
    e.message = q.value(21).toString();
    return e;
}

// Builds " AND ..." conditions and their bind values for a filter.
QString where(const LogFilter &f, QVariantList *binds)
{
    QString w;
    if (f.kind >= 0) {
        w += QStringLiteral(" AND kind = ?");
        *binds << f.kind;
    }
    if (f.from.isValid()) {
        w += QStringLiteral(" AND ts >= ?");
        *binds << f.from.toMSecsSinceEpoch();
    }
    if (f.to.isValid()) {
        w += QStringLiteral(" AND ts <= ?");
        *binds << f.to.toMSecsSinceEpoch();
    }
    const QString text = f.text.trimmed();
    if (!text.isEmpty()) {
        QString like = text;
        like.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
            .replace(QLatin1Char('%'), QStringLiteral("\\%"))
            .replace(QLatin1Char('_'), QStringLiteral("\\_"));
        like = QLatin1Char('%') + like + QLatin1Char('%');
        w += QStringLiteral(" AND (sender LIKE ? ESCAPE '\\' OR recipients LIKE ? ESCAPE '\\'"
                            " OR client_ip LIKE ? ESCAPE '\\' OR queue_id LIKE ? ESCAPE '\\'"
                            " OR message LIKE ? ESCAPE '\\' OR result LIKE ? ESCAPE '\\'"
                            " OR session_id LIKE ? ESCAPE '\\' OR helo LIKE ? ESCAPE '\\')");
        for (int i = 0; i < 8; ++i)
            *binds << like;
    }
    return w;
}

} // namespace

LogReader::LogReader(const QString &dataDir) : d(std::make_unique<Impl>())
{
    d->connection = storage::uniqueConnectionName(QStringLiteral("logreader"));
    QSqlDatabase db = storage::openDatabase(dataDir, storage::DbKind::Log, d->connection, {}, &d->error);
    d->open = db.isValid();
}

LogReader::~LogReader()
{
    storage::closeDatabase(d->connection);
}

bool LogReader::isOpen() const
{
    return d->open;
}

QString LogReader::errorString() const
{
    return d->error;
}

QVector<LogEvent> LogReader::newest(const LogFilter &filter, int limit, qint64 beforeId) const
{
    QVector<LogEvent> out;
    if (!d->open)
        return out;
    QVariantList binds;
    QString sql = QStringLiteral("SELECT %1 FROM events WHERE 1=1").arg(QLatin1String(kColumns));
    if (beforeId > 0) {
        sql += QStringLiteral(" AND id < ?");
        binds << beforeId;
    }
    sql += where(filter, &binds);
    sql += QStringLiteral(" ORDER BY id DESC LIMIT ?");
    binds << limit;
    QSqlQuery q(QSqlDatabase::database(d->connection));
    q.setForwardOnly(true);
    q.prepare(sql);
    for (const QVariant &b : binds)
        q.addBindValue(b);
    if (!q.exec()) {
        d->error = q.lastError().text();
        return out;
    }
    while (q.next())
        out.append(readRow(q));
    return out;
}

QVector<LogEvent> LogReader::after(const LogFilter &filter, qint64 afterId, int limit) const
{
    QVector<LogEvent> out;
    if (!d->open)
        return out;
    QVariantList binds;
    QString sql = QStringLiteral("SELECT %1 FROM events WHERE id > ?").arg(QLatin1String(kColumns));
    binds << afterId;
    sql += where(filter, &binds);
    sql += QStringLiteral(" ORDER BY id ASC LIMIT ?");
    binds << limit;
    QSqlQuery q(QSqlDatabase::database(d->connection));
    q.setForwardOnly(true);
    q.prepare(sql);
    for (const QVariant &b : binds)
        q.addBindValue(b);
    if (!q.exec()) {
        d->error = q.lastError().text();
        return out;
    }
    while (q.next())
        out.append(readRow(q));
    return out;
}

qint64 LogReader::lastId() const
{
    if (!d->open)
        return 0;
    QSqlQuery q(QSqlDatabase::database(d->connection));
    if (q.exec(QStringLiteral("SELECT MAX(id) FROM events")) && q.next())
        return q.value(0).toLongLong();
    return 0;
}

} // namespace rd::log

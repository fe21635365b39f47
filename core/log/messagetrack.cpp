#include "log/messagetrack.h"

#include "storage/database.h"

#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QVariant>

#include <algorithm>

namespace rd::log {

struct MessageTrack::Impl {
    QString connection;
    mutable QString error;
    bool open = false;

    QSqlDatabase db() const { return QSqlDatabase::database(connection, false); }
};

namespace {

const char kRecordColumns[] =
    "queue_id, ts, message_id, subject, sender, recipients, client_ip, listener, tls, size, origin";

const char kEventColumns[] = "id, ts, kind, result, client_ip, client_name, recipients, reply_code, message,"
                             " tls_version, tls_cipher, queue_id";

MessageRecord readRecord(const QSqlQuery &q)
{
    MessageRecord r;
    r.queueId = q.value(0).toString();
    r.time = QDateTime::fromMSecsSinceEpoch(q.value(1).toLongLong(), Qt::UTC);
    r.messageId = q.value(2).toString();
    r.subject = q.value(3).toString();
    r.sender = q.value(4).toString();
    r.recipients = q.value(5).toString();
    r.clientIp = q.value(6).toString();
    r.listener = q.value(7).toString();
    r.tls = q.value(8).toString();
    r.size = q.value(9).toLongLong();
    r.origin = q.value(10).toString();
    return r;
}

QString likePattern(const QString &text)
{
    QString like = text;
    like.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
        .replace(QLatin1Char('%'), QStringLiteral("\\%"))
        .replace(QLatin1Char('_'), QStringLiteral("\\_"));
    return QLatin1Char('%') + like + QLatin1Char('%');
}

// The search statement (without LIMIT binds) or an error.
bool buildSearch(const TrackQuery &query, QString *sql, QVariantList *binds, QString *error)
{
    QStringList where;
    const QString text = query.text.trimmed();
    if (!text.isEmpty()) {
        switch (query.field) {
        case TrackField::MessageId: {
            const QString id = normalizedMessageId(text);
            if (id.isEmpty()) {
                *error = QStringLiteral("empty Message-ID");
                return false;
            }
            where << QStringLiteral("message_id = ?");
            *binds << id;
            break;
        }
        case TrackField::Sender:
            where << QStringLiteral("sender LIKE ? ESCAPE '\\'");
            *binds << likePattern(text);
            break;
        case TrackField::Recipient:
            where << QStringLiteral("recipients LIKE ? ESCAPE '\\'");
            *binds << likePattern(text);
            break;
        case TrackField::Subject:
            where << QStringLiteral("subject LIKE ? ESCAPE '\\'");
            *binds << likePattern(text);
            break;
        }
    }
    if (query.from.isValid() && query.to.isValid() && query.from > query.to) {
        *error = QStringLiteral("the time range ends before it starts");
        return false;
    }
    if (query.from.isValid()) {
        where << QStringLiteral("ts >= ?");
        *binds << query.from.toMSecsSinceEpoch();
    }
    if (query.to.isValid()) {
        where << QStringLiteral("ts <= ?");
        *binds << query.to.toMSecsSinceEpoch();
    }
    if (query.beforeTs > 0) {
        where << QStringLiteral("(ts < ? OR (ts = ? AND queue_id < ?))");
        *binds << query.beforeTs << query.beforeTs << query.beforeQueueId;
    }
    *sql = QStringLiteral("SELECT %1 FROM messages").arg(QLatin1String(kRecordColumns));
    if (!where.isEmpty())
        *sql += QStringLiteral(" WHERE ") + where.join(QStringLiteral(" AND "));
    *sql += QStringLiteral(" ORDER BY ts DESC, queue_id DESC LIMIT ?");
    return true;
}

bool run(QSqlQuery &q, const QString &sql, const QVariantList &binds, QString *error)
{
    q.setForwardOnly(true);
    if (!q.prepare(sql)) {
        *error = q.lastError().text();
        return false;
    }
    for (const QVariant &v : binds)
        q.addBindValue(v);
    if (!q.exec()) {
        *error = q.lastError().text();
        return false;
    }
    return true;
}

// Queue ids are 16 characters of Crockford base32 (util/ids); only such
// tokens are put into a full-text query.
bool isTokenSafe(const QString &id)
{
    if (id.isEmpty() || id.size() > 64)
        return false;
    return std::all_of(id.begin(), id.end(), [](QChar c) { return c.isLetterOrNumber() && c.unicode() < 128; });
}

// The DSN queue id in a "bounce queued as X" / "delay warning queued as X" message.
QString queuedAs(const QString &message)
{
    static const QRegularExpression re(QStringLiteral("queued as ([0-9A-Za-z]+)"));
    const QRegularExpressionMatch m = re.match(message);
    return m.hasMatch() ? m.captured(1) : QString();
}

// The ids an admin action names: the text after the last ": ", comma-separated.
bool adminNames(const QString &message, const QString &queueId)
{
    const int colon = message.lastIndexOf(QStringLiteral(": "));
    const QString list = colon >= 0 ? message.mid(colon + 2) : message;
    const QStringList ids = list.split(QLatin1Char(','), Qt::SkipEmptyParts);
    return std::any_of(ids.begin(), ids.end(), [&](const QString &s) { return s.trimmed() == queueId; });
}

TrailStep stepOf(const QSqlQuery &q)
{
    TrailStep s;
    s.eventId = q.value(0).toLongLong();
    s.time = QDateTime::fromMSecsSinceEpoch(q.value(1).toLongLong(), Qt::UTC);
    const LogKind kind = LogKind(q.value(2).toInt());
    s.what = q.value(3).toString();
    if (kind == LogKind::Receive && s.what.isEmpty())
        s.what = QStringLiteral("received");
    const QString ip = q.value(4).toString();
    const QString name = q.value(5).toString();
    s.host = name.isEmpty() || name == ip ? ip : QStringLiteral("%1 [%2]").arg(name, ip);
    s.recipients = q.value(6).toString();
    s.replyCode = q.value(7).toInt();
    s.detail = q.value(8).toString();
    const QString version = q.value(9).toString();
    const QString cipher = q.value(10).toString();
    s.tls = (version + QLatin1Char(' ') + cipher).trimmed();
    return s;
}

QString statusAfter(const QString &current, const TrailStep &s)
{
    const QString &w = s.what;
    if (w == QLatin1String("accepted") || w == QLatin1String("received"))
        return current.isEmpty() ? QStringLiteral("queued") : current;
    if (w == QLatin1String("deferred") || w == QLatin1String("delivered") || w == QLatin1String("failed")
        || w == QLatin1String("dropped") || w == QLatin1String("rejected"))
        return w;
    if (w == QLatin1String("bounce_queued"))
        return QStringLiteral("bounced");
    if (w == QLatin1String("admin_delete") || w == QLatin1String("admin_remove"))
        return QStringLiteral("deleted");
    if (w == QLatin1String("admin_hold"))
        return QStringLiteral("held");
    return current;
}

} // namespace

bool parseTrackField(const QString &name, TrackField *field)
{
    const QString n = name.trimmed().toLower();
    if (n == QLatin1String("message-id") || n == QLatin1String("messageid") || n == QLatin1String("msgid"))
        *field = TrackField::MessageId;
    else if (n == QLatin1String("sender") || n == QLatin1String("from"))
        *field = TrackField::Sender;
    else if (n == QLatin1String("recipient") || n == QLatin1String("to") || n == QLatin1String("rcpt"))
        *field = TrackField::Recipient;
    else if (n == QLatin1String("subject"))
        *field = TrackField::Subject;
    else
        return false;
    return true;
}

QString trackFieldName(TrackField field)
{
    switch (field) {
    case TrackField::MessageId: return QStringLiteral("message-id");
    case TrackField::Sender: return QStringLiteral("sender");
    case TrackField::Recipient: return QStringLiteral("recipient");
    case TrackField::Subject: return QStringLiteral("subject");
    }
    return QString();
}

MessageTrack::MessageTrack(const QString &dataDir) : d(std::make_unique<Impl>())
{
    d->connection = storage::uniqueConnectionName(QStringLiteral("messagetrack"));
    QSqlDatabase db = storage::openDatabase(dataDir, storage::DbKind::Log, d->connection, {}, &d->error);
    d->open = db.isValid();
}

MessageTrack::~MessageTrack()
{
    storage::closeDatabase(d->connection);
}

bool MessageTrack::isOpen() const
{
    return d->open;
}

QString MessageTrack::errorString() const
{
    return d->error;
}

TrackPage MessageTrack::search(const TrackQuery &query) const
{
    TrackPage page;
    if (!d->open) {
        page.error = d->error;
        return page;
    }
    QString sql;
    QVariantList binds;
    if (!buildSearch(query, &sql, &binds, &page.error))
        return page;
    const int limit = std::clamp(query.limit, 1, TrackQuery::MaxLimit);
    binds << limit + 1;
    QSqlQuery q(d->db());
    if (!run(q, sql, binds, &page.error))
        return page;
    while (q.next()) {
        if (page.rows.size() == limit) {
            page.more = true;
            break;
        }
        page.rows.append(readRecord(q));
    }
    return page;
}

MessageTrail MessageTrack::trail(const QString &queueIdIn) const
{
    MessageTrail t;
    t.queueId = queueIdIn.trimmed();
    if (!d->open) {
        t.error = d->error;
        return t;
    }
    if (t.queueId.isEmpty()) {
        t.error = QStringLiteral("empty queue id");
        return t;
    }
    QSqlDatabase db = d->db();
    db.transaction(); // one consistent snapshot for the three reads
    QString error;
    {
        QSqlQuery q(db);
        if (run(q, QStringLiteral("SELECT %1 FROM messages WHERE queue_id = ?").arg(QLatin1String(kRecordColumns)),
                {t.queueId}, &error)
            && q.next()) {
            t.record = readRecord(q);
            t.hasRecord = true;
        }
    }
    QVector<TrailStep> steps;
    if (error.isEmpty()) {
        QSqlQuery q(db);
        if (run(q, QStringLiteral("SELECT %1 FROM events WHERE queue_id = ? ORDER BY ts, id")
                       .arg(QLatin1String(kEventColumns)),
                {t.queueId}, &error)) {
            while (q.next()) {
                TrailStep s = stepOf(q);
                if (s.what == QLatin1String("bounce_queued") || s.what == QLatin1String("delay_warning")) {
                    s.linkedQueueId = queuedAs(s.detail);
                    if (s.what == QLatin1String("bounce_queued") && !s.linkedQueueId.isEmpty())
                        t.bounceQueueId = s.linkedQueueId;
                }
                steps.append(s);
            }
        }
    }
    // Events of other rows naming this id: admin actions, and the original's
    // "bounce queued as <this id>" when this message is a bounce.
    if (error.isEmpty() && isTokenSafe(t.queueId)) {
        QSqlQuery q(db);
        const QString sql = QStringLiteral("SELECT %1 FROM events WHERE id IN (SELECT rowid FROM events_fts"
                                           " WHERE events_fts MATCH ?) AND queue_id != ? ORDER BY ts, id LIMIT 1000")
                                .arg(QLatin1String(kEventColumns));
        if (run(q, sql, {QStringLiteral("message : \"%1\"").arg(t.queueId), t.queueId}, &error)) {
            while (q.next()) {
                TrailStep s = stepOf(q);
                const QString other = q.value(11).toString();
                if (s.what.startsWith(QLatin1String("admin_"))) {
                    if (!adminNames(s.detail, t.queueId))
                        continue;
                } else if ((s.what == QLatin1String("bounce_queued") || s.what == QLatin1String("delay_warning"))
                           && queuedAs(s.detail) == t.queueId) {
                    s.what = s.what == QLatin1String("bounce_queued") ? QStringLiteral("bounce_of")
                                                                       : QStringLiteral("delay_warning_of");
                    s.linkedQueueId = other;
                    t.originalQueueId = other;
                } else {
                    continue;
                }
                steps.append(s);
            }
        }
    }
    db.commit();
    if (!error.isEmpty()) {
        t.error = error;
        return t;
    }
    if (t.hasRecord) {
        // The receive step from the tracking record when no Receive event
        // carries it (pickup, local bounces, or events already expired).
        const bool haveReceive = std::any_of(steps.begin(), steps.end(), [](const TrailStep &s) {
            return s.what == QLatin1String("accepted") || s.what == QLatin1String("received");
        });
        if (!haveReceive) {
            TrailStep s;
            s.time = t.record.time;
            s.what = QStringLiteral("received");
            s.host = t.record.clientIp;
            s.recipients = t.record.recipients;
            s.tls = t.record.tls;
            s.detail = QStringLiteral("from <%1> via %2, %3 bytes")
                           .arg(t.record.sender, t.record.listener.isEmpty() ? t.record.origin : t.record.listener)
                           .arg(t.record.size);
            steps.prepend(s);
        }
    }
    std::stable_sort(steps.begin(), steps.end(), [](const TrailStep &a, const TrailStep &b) {
        if (a.time != b.time)
            return a.time < b.time;
        return a.eventId < b.eventId;
    });
    for (const TrailStep &s : steps)
        t.status = statusAfter(t.status, s);
    t.steps = steps;
    t.found = t.hasRecord || !t.steps.isEmpty();
    return t;
}

QStringList MessageTrack::queryPlan(const TrackQuery &query) const
{
    QStringList out;
    QString sql, error;
    QVariantList binds;
    if (!d->open || !buildSearch(query, &sql, &binds, &error))
        return out;
    binds << 1;
    QSqlQuery q(d->db());
    if (!run(q, QStringLiteral("EXPLAIN QUERY PLAN ") + sql, binds, &error))
        return {error};
    while (q.next())
        out << q.value(3).toString();
    return out;
}

} // namespace rd::log

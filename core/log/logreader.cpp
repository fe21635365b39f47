#include "log/logreader.h"

#include "log/logquery.h"
#include "storage/database.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QVariant>

namespace rd::log {

struct LogReader::Impl {
    QString connection;
    QString error;
    bool open = false;

    QSqlDatabase db() const { return QSqlDatabase::database(connection, false); }
};

namespace {

const char kColumns[] =
    "events.id, events.ts, events.kind, events.level, events.session_id, events.direction, events.client_ip,"
    " events.client_name, events.user, events.helo, events.sender, events.recipients, events.queue_id,"
    " events.reply_code, events.enhanced_code, events.bytes, events.tls_version, events.tls_cipher,"
    " events.duration_ms, events.result, events.rule, events.message";

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

struct Statement {
    QString sql;
    QVariantList binds;
    QString error;
};

bool run(QSqlQuery &q, const Statement &st, QString *error)
{
    q.setForwardOnly(true);
    if (!q.prepare(st.sql)) {
        *error = q.lastError().text();
        return false;
    }
    for (const QVariant &b : st.binds)
        q.addBindValue(b);
    if (!q.exec()) {
        *error = q.lastError().text();
        return false;
    }
    return true;
}

// Rows a condition would visit, counted up to LogReader::ProbeLimit.
qint64 probe(const QSqlDatabase &db, const Statement &st)
{
    QSqlQuery q(db);
    QString error;
    if (!run(q, st, &error) || !q.next())
        return LogReader::ProbeLimit;
    return q.value(0).toLongLong();
}

// The first-page/next-page statement for a filter (see the header for plans).
// FTS5 reads every doclist of a prefix term into memory before the first
// row; the exact terms of the vocabulary joined by OR stream instead. A lone
// word with at most kMaxExpansion terms is rewritten so.
constexpr int kMaxExpansion = 32;

void expandLonePrefix(const QSqlDatabase &db, LogQueryParts *p)
{
    if (p->lonePrefixPart < 0)
        return;
    QSqlQuery q(db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT term FROM temp.events_vocab WHERE term >= ? AND term < ? LIMIT %1")
                  .arg(kMaxExpansion + 1));
    QString end = p->lonePrefixToken;
    end[end.size() - 1] = QChar(end.at(end.size() - 1).unicode() + 1);
    q.addBindValue(p->lonePrefixToken);
    q.addBindValue(end);
    if (!q.exec())
        return; // keep the prefix query
    QStringList terms;
    while (q.next())
        terms << QLatin1Char('"') + q.value(0).toString() + QLatin1Char('"');
    if (terms.isEmpty() || terms.size() > kMaxExpansion)
        return;
    p->ftsParts[p->lonePrefixPart] = terms.join(QStringLiteral(" OR "));
    p->fts = joinFts(p->ftsParts);
    bool prefix = false;
    for (const QString &part : p->ftsParts)
        prefix = prefix || part.endsWith(QLatin1Char('*'));
    p->ftsPrefix = prefix;
}

Statement pageStatement(const QSqlDatabase &db, const LogFilter &filter, int limit, const LogCursor &cursor,
                        bool ascending)
{
    const QString order = ascending ? QStringLiteral("ASC") : QStringLiteral("DESC");
    const QString after = ascending ? QStringLiteral(">") : QStringLiteral("<");
    Statement st;
    LogQueryParts p = buildLogQuery(filter);
    if (!p.error.isEmpty()) {
        st.error = p.error;
        return st;
    }
    expandLonePrefix(db, &p);
    // Probe each driver candidate; -1 = the full-text index, -2 = none.
    int driver = -2;
    qint64 best = LogReader::ProbeLimit;
    for (int i = 0; i < p.indexed.size(); ++i) {
        Statement pr;
        pr.sql = QStringLiteral("SELECT count(*) FROM (SELECT 1 FROM events WHERE %1%2 LIMIT %3)")
                     .arg(indexedSql(p.indexed.at(i), true), p.timeConditions)
                     .arg(LogReader::ProbeLimit);
        pr.binds = p.indexed.at(i).binds + p.timeBinds;
        const qint64 n = probe(db, pr);
        if (n < best) {
            best = n;
            driver = i;
        }
    }
    if (!p.fts.isEmpty()) {
        Statement pr;
        pr.sql = QStringLiteral("SELECT count(*) FROM (SELECT rowid FROM events_fts WHERE events_fts MATCH ? LIMIT %1)")
                     .arg(LogReader::ProbeLimit);
        pr.binds << p.fts;
        QSqlQuery q(db);
        if (!run(q, pr, &st.error)) {
            st.error = QStringLiteral("full-text search failed: %1").arg(st.error);
            return st;
        }
        const qint64 n = q.next() ? q.value(0).toLongLong() : 0;
        // Streaming the full-text hits by id is the better plan unless an
        // index visits fewer rows.
        if (n <= best || driver == -2)
            driver = -1;
    }

    QString where;
    QVariantList binds;
    for (int i = 0; i < p.indexed.size(); ++i) {
        where += QStringLiteral(" AND ") + indexedSql(p.indexed.at(i), driver == i || driver == -2);
        binds += p.indexed.at(i).binds;
    }
    where += p.conditions;
    binds += p.binds;

    if (driver == -1) {
        QString time = p.timeConditions;
        time.replace(QStringLiteral("events.ts"), QStringLiteral("+events.ts"));
        st.sql = QStringLiteral("SELECT %1 FROM events_fts CROSS JOIN events ON events.id = events_fts.rowid"
                                " WHERE events_fts MATCH ?")
                     .arg(QLatin1String(kColumns));
        st.binds << p.fts;
        if (cursor.id > 0) {
            st.sql += QStringLiteral(" AND events_fts.rowid %1 ?").arg(after);
            st.binds << cursor.id;
        }
        st.sql += where + time + QStringLiteral(" ORDER BY events_fts.rowid %1 LIMIT ?").arg(order);
        st.binds += binds + p.timeBinds;
        st.binds << limit;
        return st;
    }
    st.sql = QStringLiteral("SELECT %1 FROM events WHERE 1=1").arg(QLatin1String(kColumns)) + where
        + p.timeConditions;
    st.binds = binds + p.timeBinds;
    if (!p.fts.isEmpty()) {
        // An index visits fewer rows than the full-text hits: test each row.
        // A prefix term re-reads its doclists per test, so those are read once.
        if (p.ftsPrefix)
            st.sql += QStringLiteral(" AND events.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)");
        else
            st.sql += QStringLiteral(" AND EXISTS (SELECT 1 FROM events_fts WHERE events_fts MATCH ?"
                                     " AND events_fts.rowid = events.id)");
        st.binds << p.fts;
    }
    if (cursor.id > 0) {
        st.sql += QStringLiteral(" AND (events.ts, events.id) %1 (?, ?)").arg(after);
        st.binds << cursor.ts << cursor.id;
    }
    st.sql += QStringLiteral(" ORDER BY events.ts %1, events.id %1 LIMIT ?").arg(order);
    st.binds << limit;
    return st;
}

} // namespace

LogReader::LogReader(const QString &dataDir) : d(std::make_unique<Impl>())
{
    d->connection = storage::uniqueConnectionName(QStringLiteral("logreader"));
    QSqlDatabase db = storage::openDatabase(dataDir, storage::DbKind::Log, d->connection, {}, &d->error);
    d->open = db.isValid();
    if (d->open) {
        // A per-connection view of the full-text vocabulary (nothing is written to log.db).
        QSqlQuery q(db);
        q.exec(QStringLiteral("CREATE VIRTUAL TABLE IF NOT EXISTS temp.events_vocab"
                              " USING fts5vocab(main, 'events_fts', 'row')"));
    }
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

LogPage LogReader::newest(const LogFilter &filter, int limit, const LogCursor &cursor) const
{
    return page(filter, limit, cursor, false);
}

LogPage LogReader::oldest(const LogFilter &filter, int limit, const LogCursor &cursor) const
{
    return page(filter, limit, cursor, true);
}

LogPage LogReader::page(const LogFilter &filter, int limit, const LogCursor &cursor, bool ascending) const
{
    LogPage page;
    page.next = cursor;
    if (!d->open) {
        page.error = d->error;
        return page;
    }
    const Statement st = pageStatement(d->db(), filter, limit, cursor, ascending);
    if (!st.error.isEmpty()) {
        page.error = st.error;
        return page;
    }
    // Read the tail position first: rows committed meanwhile are either in the
    // page or after it.
    if (!ascending && cursor.id == 0)
        page.lastId = lastId();
    QSqlQuery q(d->db());
    if (!run(q, st, &page.error))
        return page;
    while (q.next())
        page.rows.append(readRow(q));
    page.atEnd = page.rows.size() < limit;
    if (!page.rows.isEmpty())
        page.next = {page.rows.last().time.toMSecsSinceEpoch(), page.rows.last().id};
    return page;
}

QVector<LogEvent> LogReader::after(const LogFilter &filter, qint64 afterId, int limit) const
{
    QVector<LogEvent> out;
    if (!d->open)
        return out;
    LogQueryParts p = buildLogQuery(filter);
    if (!p.error.isEmpty())
        return out;
    expandLonePrefix(d->db(), &p);
    // Only the rows after afterId are looked at: by rowid, no other index.
    Statement st;
    st.sql = QStringLiteral("SELECT %1 FROM events NOT INDEXED WHERE events.id > ?").arg(QLatin1String(kColumns));
    st.binds << afterId;
    for (const IndexCandidate &c : p.indexed) {
        st.sql += QStringLiteral(" AND ") + indexedSql(c, false);
        st.binds += c.binds;
    }
    st.sql += p.conditions + p.timeConditions;
    st.binds += p.binds + p.timeBinds;
    if (!p.fts.isEmpty()) {
        st.sql += QStringLiteral(" AND events.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?"
                                 " AND rowid > ?)");
        st.binds << p.fts << afterId;
    }
    st.sql += QStringLiteral(" ORDER BY events.id ASC LIMIT ?");
    st.binds << limit;
    QSqlQuery q(d->db());
    if (!run(q, st, &d->error))
        return out;
    while (q.next())
        out.append(readRow(q));
    return out;
}

qint64 LogReader::lastId() const
{
    if (!d->open)
        return 0;
    QSqlQuery q(d->db());
    if (q.exec(QStringLiteral("SELECT MAX(id) FROM events")) && q.next())
        return q.value(0).toLongLong();
    return 0;
}

QString LogReader::transcript(const QString &sessionId, QDateTime *start) const
{
    if (!d->open || sessionId.isEmpty())
        return {};
    QSqlQuery q(d->db());
    q.prepare(QStringLiteral("SELECT ts, lines FROM transcripts WHERE session_id = ?"));
    q.addBindValue(sessionId);
    if (!q.exec() || !q.next())
        return {};
    if (start)
        *start = QDateTime::fromMSecsSinceEpoch(q.value(0).toLongLong(), Qt::UTC);
    return q.value(1).toString();
}

QString LogReader::queryPlan(const LogFilter &filter) const
{
    if (!d->open)
        return d->error;
    Statement st = pageStatement(d->db(), filter, 500, {}, false);
    if (!st.error.isEmpty())
        return st.error;
    st.sql.prepend(QStringLiteral("EXPLAIN QUERY PLAN "));
    QSqlQuery q(d->db());
    QString error;
    if (!run(q, st, &error))
        return error;
    QStringList lines;
    while (q.next())
        lines << q.value(3).toString();
    return lines.join(QLatin1Char('\n'));
}

} // namespace rd::log

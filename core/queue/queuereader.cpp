#include "queue/queuereader.h"

#include "storage/database.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringDecoder>
#include <QTimeZone>
#include <QVariant>

#include <algorithm>

namespace rd::queue {

struct QueueReader::Impl {
    QString dataDir;
    QString connection;
    mutable QString error;
    bool open = false;
    // The last count() (see listUse()).
    mutable QueueFilter countedFilter;
    mutable int counted = -1;

    QSqlDatabase db() const { return QSqlDatabase::database(connection); }
};

namespace {

constexpr int kPageRecipients = 20;  // recipients carried by page() rows
constexpr int kMaxBindsPerQuery = 500;

// A recipient's domain. The expression must stay exactly as the index on it
// is declared (recipients_domain) for SQLite to use that index.
const char kDomainExpr[] = "lower(substr(r.address, instr(r.address, '@') + 1))";

const char kColumns[] = "queue_id, sender, size, received, state, attempts, next_attempt, last_error, client_ip,"
                        " helo, message_id, subject, rcpt_count";

const char kAscending[] = " ORDER BY received, queue_id";
const char kDescending[] = " ORDER BY received DESC, queue_id DESC";

// How a filter on recipients is tested. Count: one uncorrelated subquery,
// evaluated once per statement (then the few matches are sorted). List: a
// correlated EXISTS per message, so that walking the list index in order can
// stop as soon as a page is full. count() uses Count; the list queries use
// List unless the last count() of the same filter found few matches.
enum class Use { Count, List };
constexpr int kFewMatches = 5000;

QString likePattern(const QString &text)
{
    QString like = text;
    like.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
        .replace(QLatin1Char('%'), QStringLiteral("\\%"))
        .replace(QLatin1Char('_'), QStringLiteral("\\_"));
    return QLatin1Char('%') + like + QLatin1Char('%');
}

QString normalizedDomain(const QString &domain)
{
    QString d = domain.trimmed();
    while (d.startsWith(QLatin1Char('@')))
        d.remove(0, 1);
    return d.toLower();
}

QString recipientTest(Use use, const QString &condition)
{
    if (use == Use::Count)
        return QStringLiteral("queue_id IN (SELECT r.queue_id FROM recipients r WHERE %1)").arg(condition);
    return QStringLiteral("EXISTS (SELECT 1 FROM recipients r WHERE r.queue_id = messages.queue_id AND %1)")
        .arg(condition);
}

QStringList conditions(const QueueFilter &f, Use use, QVariantList *binds)
{
    QStringList c;
    if (f.state >= 0) {
        c << QStringLiteral("state = ?");
        *binds << f.state;
    }
    const QString domain = normalizedDomain(f.domain);
    if (!domain.isEmpty()) {
        c << recipientTest(use, QLatin1String(kDomainExpr) + QStringLiteral(" = ?"));
        *binds << domain;
    }
    const QString sender = f.sender.trimmed();
    if (sender == QLatin1String("<>")) {
        c << QStringLiteral("sender = ''");
    } else if (!sender.isEmpty()) {
        c << QStringLiteral("sender LIKE ? ESCAPE '\\'");
        *binds << likePattern(sender);
    }
    const QString text = f.text.trimmed();
    if (!text.isEmpty()) {
        c << QStringLiteral("(sender LIKE ? ESCAPE '\\' OR rcpt_summary LIKE ? ESCAPE '\\'"
                            " OR queue_id LIKE ? ESCAPE '\\' OR subject LIKE ? ESCAPE '\\'"
                            " OR last_error LIKE ? ESCAPE '\\' OR %1)")
                 .arg(recipientTest(use, QStringLiteral("r.address LIKE ? ESCAPE '\\'")));
        const QString like = likePattern(text);
        for (int i = 0; i < 6; ++i)
            *binds << like;
    }
    return c;
}

QString whereClause(const QStringList &c)
{
    return c.isEmpty() ? QString() : QStringLiteral(" WHERE ") + c.join(QStringLiteral(" AND "));
}

QString listSql(const QStringList &c, const char *order)
{
    return QStringLiteral("SELECT %1 FROM messages").arg(QLatin1String(kColumns)) + whereClause(c)
        + QLatin1String(order) + QStringLiteral(" LIMIT ? OFFSET ?");
}

QString countSql(const QueueFilter &f, QVariantList *binds)
{
    return QStringLiteral("SELECT COUNT(*) FROM messages") + whereClause(conditions(f, Use::Count, binds));
}

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

RecipientInfo readRecipient(const QSqlQuery &r, int first)
{
    RecipientInfo ri;
    ri.address = r.value(first).toString().toUtf8();
    ri.state = RecipientState(r.value(first + 1).toInt());
    ri.attempts = r.value(first + 2).toInt();
    ri.lastReply = r.value(first + 3).toString();
    return ri;
}

bool run(QSqlQuery &q, const QString &sql, const QVariantList &binds, QString *error)
{
    q.setForwardOnly(true);
    if (!q.prepare(sql)) {
        *error = q.lastError().text();
        return false;
    }
    for (const QVariant &b : binds)
        q.addBindValue(b);
    if (!q.exec()) {
        *error = q.lastError().text();
        return false;
    }
    return true;
}

// The first kPageRecipients recipients of every listed message: one query
// per kMaxBindsPerQuery messages (by the recipients primary key).
void loadPageRecipients(QSqlDatabase db, QVector<MessageInfo> *messages, QString *error)
{
    QHash<QString, int> byId;
    for (int i = 0; i < messages->size(); ++i)
        byId.insert(messages->at(i).queueId, i);
    for (int from = 0; from < messages->size(); from += kMaxBindsPerQuery) {
        const int n = std::min<int>(kMaxBindsPerQuery, messages->size() - from);
        QVariantList binds;
        binds << kPageRecipients;
        for (int i = from; i < from + n; ++i)
            binds << messages->at(i).queueId;
        QStringList marks(n, QStringLiteral("?"));
        QSqlQuery r(db);
        if (!run(r,
                 QStringLiteral("SELECT queue_id, address, state, attempts, last_reply FROM recipients"
                                " WHERE idx < ? AND queue_id IN (%1) ORDER BY queue_id, idx")
                     .arg(marks.join(QLatin1Char(','))),
                 binds, error))
            return;
        while (r.next()) {
            const auto it = byId.constFind(r.value(0).toString());
            if (it != byId.constEnd())
                (*messages)[*it].recipients.append(readRecipient(r, 1));
        }
    }
}

QVariantList keyBinds(const QueueKey &k)
{
    return {k.receivedMs, k.queueId};
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
    const QString sql = countSql(filter, &binds);
    QSqlQuery q(d->db());
    d->counted = -1;
    if (!run(q, sql, binds, &d->error) || !q.next())
        return 0;
    d->countedFilter = filter;
    d->counted = q.value(0).toInt();
    return d->counted;
}

int QueueReader::listUse(const QueueFilter &filter) const
{
    const bool few = d->counted >= 0 && d->counted <= kFewMatches && filter == d->countedFilter;
    return int(few ? Use::Count : Use::List);
}

QVector<MessageInfo> QueueReader::select(const QString &sql, const QVariantList &binds) const
{
    QVector<MessageInfo> out;
    if (!d->open)
        return out;
    QSqlDatabase db = d->db();
    {
        QSqlQuery q(db);
        if (!run(q, sql, binds, &d->error))
            return out;
        while (q.next())
            out.append(readMessage(q));
    }
    loadPageRecipients(db, &out, &d->error);
    return out;
}

QVector<MessageInfo> QueueReader::page(const QueueFilter &filter, int offset, int limit, int total) const
{
    if (limit <= 0 || offset < 0)
        return {};
    QVariantList binds;
    const QStringList c = conditions(filter, Use(listUse(filter)), &binds);
    if (total > 0 && offset > total / 2) {
        // Nearer the end: walk the index backwards.
        int fromEnd = total - offset - limit;
        if (fromEnd < 0) {
            limit += fromEnd;
            fromEnd = 0;
        }
        if (limit <= 0)
            return {};
        binds << limit << fromEnd;
        QVector<MessageInfo> rows = select(listSql(c, kDescending), binds);
        std::reverse(rows.begin(), rows.end());
        return rows;
    }
    binds << limit << offset;
    return select(listSql(c, kAscending), binds);
}

QVector<MessageInfo> QueueReader::pageAfter(const QueueFilter &filter, const QueueKey &key, int limit) const
{
    if (limit <= 0)
        return {};
    QVariantList binds;
    QStringList c = conditions(filter, Use(listUse(filter)), &binds);
    c << QStringLiteral("(received, queue_id) > (?, ?)");
    binds << keyBinds(key) << limit << 0;
    return select(listSql(c, kAscending), binds);
}

QVector<MessageInfo> QueueReader::pageBefore(const QueueFilter &filter, const QueueKey &key, int limit) const
{
    if (limit <= 0)
        return {};
    QVariantList binds;
    QStringList c = conditions(filter, Use(listUse(filter)), &binds);
    c << QStringLiteral("(received, queue_id) < (?, ?)");
    binds << keyBinds(key) << limit << 0;
    QVector<MessageInfo> rows = select(listSql(c, kDescending), binds);
    std::reverse(rows.begin(), rows.end());
    return rows;
}

int QueueReader::position(const QueueFilter &filter, const QueueKey &key) const
{
    if (!d->open || key.queueId.isEmpty())
        return -1;
    QSqlDatabase db = d->db();
    {
        QVariantList binds;
        QStringList c = conditions(filter, Use(listUse(filter)), &binds);
        c.prepend(QStringLiteral("queue_id = ?"));
        binds.prepend(key.queueId);
        QSqlQuery q(db);
        if (!run(q, QStringLiteral("SELECT received FROM messages") + whereClause(c), binds, &d->error)
            || !q.next() || q.value(0).toLongLong() != key.receivedMs)
            return -1;
    }
    return rowsBefore(filter, key);
}

int QueueReader::rowsBefore(const QueueFilter &filter, const QueueKey &key) const
{
    if (!d->open)
        return -1;
    QVariantList binds;
    QStringList c = conditions(filter, Use(listUse(filter)), &binds);
    c << QStringLiteral("(received, queue_id) < (?, ?)");
    binds << keyBinds(key);
    QSqlQuery q(d->db());
    if (!run(q, QStringLiteral("SELECT COUNT(*) FROM messages") + whereClause(c), binds, &d->error) || !q.next())
        return -1;
    return q.value(0).toInt();
}

QStringList QueueReader::queueIds(const QueueFilter &filter, const QueueKey &first, const QueueKey &last) const
{
    QStringList ids;
    if (!d->open)
        return ids;
    QVariantList binds;
    QStringList c = conditions(filter, Use(listUse(filter)), &binds);
    c << QStringLiteral("(received, queue_id) >= (?, ?)") << QStringLiteral("(received, queue_id) <= (?, ?)");
    binds << keyBinds(first) << keyBinds(last);
    QSqlQuery q(d->db());
    if (!run(q, QStringLiteral("SELECT queue_id FROM messages") + whereClause(c) + QLatin1String(kAscending), binds,
             &d->error))
        return ids;
    while (q.next())
        ids << q.value(0).toString();
    return ids;
}

std::optional<MessageInfo> QueueReader::message(const QString &queueId) const
{
    if (!d->open)
        return std::nullopt;
    QSqlDatabase db = d->db();
    QSqlQuery q(db);
    if (!run(q, QStringLiteral("SELECT %1 FROM messages WHERE queue_id = ?").arg(QLatin1String(kColumns)),
             {queueId}, &d->error)
        || !q.next())
        return std::nullopt;
    MessageInfo m = readMessage(q);
    QSqlQuery r(db);
    if (run(r,
            QStringLiteral("SELECT address, state, attempts, last_reply FROM recipients WHERE queue_id = ?"
                           " ORDER BY idx"),
            {queueId}, &d->error)) {
        while (r.next())
            m.recipients.append(readRecipient(r, 0));
    }
    return m;
}

QVector<AttemptInfo> QueueReader::attempts(const QString &queueId) const
{
    QVector<AttemptInfo> out;
    if (!d->open)
        return out;
    QSqlQuery q(d->db());
    if (!run(q, QStringLiteral("SELECT ts, host, result, reply FROM attempts WHERE queue_id = ? ORDER BY ts, id"),
             {queueId}, &d->error))
        return out;
    while (q.next()) {
        AttemptInfo a;
        a.time = QDateTime::fromMSecsSinceEpoch(q.value(0).toLongLong(), Qt::UTC);
        a.host = q.value(1).toString();
        a.result = q.value(2).toString();
        a.reply = q.value(3).toString();
        out.append(a);
    }
    return out;
}

QByteArray QueueReader::rawMessage(const QString &queueId, qint64 maxBytes) const
{
    if (!d->open)
        return {};
    QSqlQuery q(d->db());
    if (!run(q, QStringLiteral("SELECT body_offset FROM messages WHERE queue_id = ?"), {queueId}, &d->error)
        || !q.next())
        return {};
    const qint64 offset = q.value(0).toLongLong();
    QFile f(QDir(d->dataDir).filePath(QStringLiteral("spool/%1.msg").arg(queueId)));
    if (!f.open(QIODevice::ReadOnly) || !f.seek(offset))
        return {};
    return f.read(maxBytes);
}

QList<HeaderField> QueueReader::headers(const QString &queueId, qint64 maxBytes, bool *complete) const
{
    return parseHeaderSection(rawMessage(queueId, maxBytes), complete);
}

QueueShape QueueReader::shape(ShapeBy by, const QDateTime &now, int topN) const
{
    QueueShape failed;
    failed.by = by;
    failed.now = now;
    if (!d->open) {
        failed.error = d->error;
        return failed;
    }
    // The age bucket as a CASE over the edges (kept in step with shapeBucket()).
    QString bucket = QStringLiteral("CASE");
    for (int i = 0; i < int(kShapeEdgesMin.size()); ++i)
        bucket += QStringLiteral(" WHEN age < %1 THEN %2").arg(qint64(kShapeEdgesMin[size_t(i)]) * 60000).arg(i);
    bucket += QStringLiteral(" ELSE %1 END").arg(kShapeBuckets - 1);
    const QString domainOf = QStringLiteral("CASE WHEN instr(%1, '@') = 0 THEN '' ELSE lower(substr(%1, instr(%1, '@') + 1)) END");
    QString inner;
    if (by == ShapeBy::RecipientDomain) {
        inner = QStringLiteral("SELECT %1 AS domain, ? - m.received AS age FROM recipients r"
                               " JOIN messages m ON m.queue_id = r.queue_id WHERE r.state = 0")
                    .arg(domainOf.arg(QStringLiteral("r.address")));
    } else {
        inner = QStringLiteral("SELECT CASE WHEN m.sender = '' THEN '<>' ELSE %1 END AS domain, ? - m.received AS age"
                               " FROM messages m WHERE EXISTS (SELECT 1 FROM recipients r"
                               " WHERE r.queue_id = m.queue_id AND r.state = 0)")
                    .arg(domainOf.arg(QStringLiteral("m.sender")));
    }
    const QString sql = QStringLiteral("SELECT domain, %1 AS bucket, COUNT(*) FROM (%2) GROUP BY domain, bucket")
                            .arg(bucket, inner);
    QSqlQuery q(d->db());
    q.setForwardOnly(true);
    QVector<ShapeCount> counts;
    if (!run(q, sql, {now.toMSecsSinceEpoch()}, &d->error)) {
        failed.error = d->error;
        return failed;
    }
    while (q.next())
        counts.append({q.value(0).toString(), q.value(1).toInt(), q.value(2).toLongLong()});
    return buildShape(counts, by, now, topN);
}

void QueueReader::beginSnapshot() const
{
    if (d->open && !d->db().transaction())
        d->error = d->db().lastError().text();
}

void QueueReader::endSnapshot() const
{
    if (d->open)
        d->db().commit(); // read-only: nothing to write, just ends the snapshot
}

QStringList QueueReader::queryPlan(const QueueFilter &filter) const
{
    QStringList out;
    if (!d->open)
        return out;
    auto explain = [&](const QString &label, const QString &sql, const QVariantList &binds) {
        QSqlQuery q(d->db());
        if (!run(q, QStringLiteral("EXPLAIN QUERY PLAN ") + sql, binds, &d->error)) {
            out << label + QStringLiteral(": error ") + d->error;
            return;
        }
        while (q.next())
            out << label + QStringLiteral(": ") + q.value(3).toString();
    };
    QVariantList binds;
    const QString count = countSql(filter, &binds);
    explain(QStringLiteral("count"), count, binds);

    binds.clear();
    QStringList c = conditions(filter, Use::List, &binds);
    explain(QStringLiteral("page"), listSql(c, kAscending), QVariantList(binds) << 200 << 0);
    explain(QStringLiteral("page from end"), listSql(c, kDescending), QVariantList(binds) << 200 << 0);
    c << QStringLiteral("(received, queue_id) > (?, ?)");
    explain(QStringLiteral("page after key"), listSql(c, kAscending),
            QVariantList(binds) << qint64(0) << QString() << 200 << 0);
    explain(QStringLiteral("page recipients"),
            QStringLiteral("SELECT queue_id, address, state, attempts, last_reply FROM recipients"
                           " WHERE idx < ? AND queue_id IN (?,?) ORDER BY queue_id, idx"),
            {kPageRecipients, QString(), QString()});
    explain(QStringLiteral("attempts"),
            QStringLiteral("SELECT ts, host, result, reply FROM attempts WHERE queue_id = ? ORDER BY ts, id"),
            {QString()});
    return out;
}

// ---------------------------------------------------------------------------
// Header parsing (pure).

QList<HeaderField> parseHeaderSection(const QByteArray &raw, bool *complete)
{
    QList<HeaderField> out;
    bool ended = false;
    QByteArray name, value;
    bool have = false;
    auto flush = [&] {
        if (have)
            out.append({QString::fromUtf8(name), decodeEncodedWords(value.trimmed())});
        have = false;
    };
    qsizetype pos = 0;
    while (pos < raw.size()) {
        qsizetype eol = raw.indexOf('\n', pos);
        if (eol < 0)
            break; // an incomplete last line: the section was cut off
        QByteArray line = raw.mid(pos, eol - pos);
        pos = eol + 1;
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty()) {
            ended = true;
            break;
        }
        if (line.at(0) == ' ' || line.at(0) == '\t') {
            if (have)
                value += line; // unfolding removes only the line break
            continue;
        }
        flush();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue; // not a header field (e.g. an mbox "From " line)
        name = line.left(colon).trimmed();
        value = line.mid(colon + 1);
        have = true;
    }
    flush();
    if (complete)
        *complete = ended;
    return out;
}

namespace {

// One encoded word's bytes; false if it is malformed.
bool decodeWord(const QByteArray &encoding, const QByteArray &text, QByteArray *bytes)
{
    if (encoding == "B" || encoding == "b") {
        const auto r = QByteArray::fromBase64Encoding(text);
        if (!r)
            return false;
        *bytes = r.decoded;
        return true;
    }
    QByteArray t = text;
    t.replace('_', ' ');
    *bytes = QByteArray::fromPercentEncoding(t, '=');
    return true;
}

QString decodeCharset(QByteArray charset, const QByteArray &bytes, bool *ok)
{
    const qsizetype star = charset.indexOf('*'); // RFC 2231 language suffix
    if (star >= 0)
        charset.truncate(star);
    const QByteArray lower = charset.toLower();
    *ok = true;
    if (lower == "us-ascii" || lower == "iso-8859-1" || lower == "latin1")
        return QString::fromLatin1(bytes);
    QStringDecoder decoder(charset.constData());
    if (!decoder.isValid()) {
        *ok = false;
        return {};
    }
    return decoder.decode(bytes);
}

} // namespace

QString decodeEncodedWords(const QByteArray &value)
{
    QString out;
    qsizetype pos = 0;
    bool lastEncoded = false;
    while (pos < value.size()) {
        const qsizetype start = value.indexOf("=?", pos);
        if (start < 0) {
            out += QString::fromUtf8(value.mid(pos));
            break;
        }
        // =?charset?E?text?=
        const qsizetype q1 = value.indexOf('?', start + 2);
        const qsizetype q2 = q1 > start + 2 && q1 + 2 < value.size() && value.at(q1 + 2) == '?' ? q1 + 2 : -1;
        const qsizetype end = q2 > 0 ? value.indexOf("?=", q2 + 1) : -1;
        QByteArray bytes;
        QString decoded;
        bool ok = end > 0;
        if (ok) {
            const QByteArray word = value.mid(start, end + 2 - start);
            ok = !word.contains(' ') && !word.contains('\t');
        }
        if (ok) {
            const QByteArray encoding = value.mid(q1 + 1, 1);
            ok = (encoding == "B" || encoding == "b" || encoding == "Q" || encoding == "q")
                && decodeWord(encoding, value.mid(q2 + 1, end - q2 - 1), &bytes);
            if (ok)
                decoded = decodeCharset(value.mid(start + 2, q1 - start - 2), bytes, &ok);
        }
        if (!ok) {
            out += QString::fromUtf8(value.mid(pos, start + 2 - pos));
            pos = start + 2;
            lastEncoded = false;
            continue;
        }
        const QByteArray between = value.mid(pos, start - pos);
        if (!(lastEncoded && between.trimmed().isEmpty()))
            out += QString::fromUtf8(between);
        out += decoded;
        lastEncoded = true;
        pos = end + 2;
    }
    return out;
}

} // namespace rd::queue

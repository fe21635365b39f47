#include "queue/queuestore.h"

#include "queue/spoolfile.h"
#include "storage/database.h"
#include "util/fsutil.h"
#include "util/ids.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QMutex>
#include <QSqlError>
#include <QSqlQuery>
#include <QFileInfo>
#include <QSet>
#include <QTimeZone>
#include <QVariant>

#include <cstdio>

namespace rd::queue {
namespace {

// A message leaves the index: its row, its recipients and its attempt history.
void deleteMessageRows(QSqlQuery &q, const QString &queueId)
{
    for (const char *table : {"messages", "recipients", "attempts"}) {
        q.prepare(QStringLiteral("DELETE FROM %1 WHERE queue_id = ?").arg(QLatin1String(table)));
        q.addBindValue(queueId);
        q.exec();
    }
}


QString recipientSummary(const QList<RecipientInfo> &rcpts)
{
    QStringList parts;
    for (int i = 0; i < rcpts.size() && i < 3; ++i)
        parts << QString::fromUtf8(rcpts.at(i).address);
    QString s = parts.join(QStringLiteral(", "));
    if (rcpts.size() > 3)
        s += QStringLiteral(" (+%1)").arg(rcpts.size() - 3);
    return s;
}

QVariant msOrNull(const QDateTime &t)
{
    return t.isValid() ? QVariant(t.toMSecsSinceEpoch()) : QVariant(QMetaType::fromType<qint64>());
}

} // namespace

void scanHeaders(const QByteArray &head, QString *messageId, QString *subject)
{
    // Walk header lines until the first empty line; unfold continuation lines.
    int pos = 0;
    QByteArray current;
    auto take = [&](const QByteArray &line) {
        const int colon = line.indexOf(':');
        if (colon <= 0)
            return;
        const QByteArray name = line.left(colon).trimmed().toLower();
        if (name == "message-id" && messageId->isEmpty())
            *messageId = QString::fromUtf8(line.mid(colon + 1).trimmed()).left(250);
        else if (name == "subject" && subject->isEmpty())
            *subject = QString::fromUtf8(line.mid(colon + 1).trimmed()).left(250);
    };
    while (pos < head.size()) {
        int eol = head.indexOf('\n', pos);
        if (eol < 0)
            break;
        QByteArray line = head.mid(pos, eol - pos);
        if (line.endsWith('\r'))
            line.chop(1);
        pos = eol + 1;
        if (line.isEmpty())
            break;
        if ((line.at(0) == ' ' || line.at(0) == '\t') && !current.isEmpty()) {
            current += ' ' + line.trimmed();
            continue;
        }
        if (!current.isEmpty())
            take(current);
        current = line;
    }
    if (!current.isEmpty())
        take(current);
}

int countReceived(const QByteArray &head)
{
    int n = 0;
    int pos = 0;
    while (pos < head.size()) {
        const int eol = head.indexOf('\n', pos);
        const int end = eol < 0 ? head.size() : eol;
        QByteArrayView line(head.constData() + pos, end - pos);
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty())
            break; // end of the header part
        if (line.size() > 8 && line.first(8).compare("received", Qt::CaseInsensitive) == 0) {
            QByteArrayView rest = line.sliced(8);
            while (!rest.isEmpty() && (rest.front() == ' ' || rest.front() == '\t'))
                rest = rest.sliced(1);
            if (!rest.isEmpty() && rest.front() == ':')
                ++n;
        }
        if (eol < 0)
            break;
        pos = eol + 1;
    }
    return n;
}

// ---------------------------------------------------------------------------
// Worker: owns the queue.db connection and every spool file operation.

class QueueWorker : public QObject {
    Q_OBJECT
public:
    struct Op {
        enum Kind { Commit, Attempt, SetState, Remove } kind;
        QueueEntry entry;       // Commit
        QString tmpPath;        // Commit
        std::function<void(bool, QString)> done;
        AttemptUpdate update;   // Attempt
        QString queueId;        // SetState / Remove
        MessageState state = MessageState::Queued;
        QDateTime nextAttempt;
    };

    QueueWorker(QString dataDir, QString spoolDir, SpoolRecycler *recycler, QueueStore *owner)
        : m_dataDir(std::move(dataDir)), m_spoolDir(std::move(spoolDir)), m_recycler(recycler), m_owner(owner)
    {
    }

    void push(Op &&op)
    {
        QMutexLocker lock(&m_mutex);
        m_ops.append(std::move(op));
        if (!m_scheduled) {
            m_scheduled = true;
            QMetaObject::invokeMethod(this, &QueueWorker::flush, Qt::QueuedConnection);
        }
    }

    bool open(QVector<QueueEntry> *entries, QStringList *notes, QString *error);
    void close()
    {
        flush();
        m_db = QSqlDatabase();
        storage::closeDatabase(m_connection);
    }
    void flush();

private:
    bool insertMessage(QSqlQuery &msg, QSqlQuery &rcpt, const QueueEntry &e);
    QString spoolPath(const QString &qid) const { return m_spoolDir + QLatin1Char('/') + qid + QStringLiteral(".msg"); }

    QString m_dataDir;
    QString m_spoolDir;
    SpoolRecycler *m_recycler; // owned by the QueueStore
    QueueStore *m_owner;
    QString m_connection;
    QSqlDatabase m_db;
    QMutex m_mutex;
    QVector<Op> m_ops;
    bool m_scheduled = false;
};

bool QueueWorker::insertMessage(QSqlQuery &msg, QSqlQuery &rcpt, const QueueEntry &e)
{
    const MessageInfo &m = e.info;
    msg.addBindValue(m.queueId);
    msg.addBindValue(storage::nn(QString::fromUtf8(m.sender)));
    msg.addBindValue(m.size);
    msg.addBindValue(m.received.toMSecsSinceEpoch());
    msg.addBindValue(int(m.state));
    msg.addBindValue(m.attempts);
    msg.addBindValue(msOrNull(m.nextAttempt));
    msg.addBindValue(storage::nn(m.lastError));
    msg.addBindValue(storage::nn(m.clientIp));
    msg.addBindValue(storage::nn(m.heloName));
    msg.addBindValue(storage::nn(m.messageId));
    msg.addBindValue(storage::nn(m.subject));
    msg.addBindValue(int(m.recipients.size()));
    msg.addBindValue(storage::nn(recipientSummary(m.recipients)));
    msg.addBindValue(e.bodyOffset);
    msg.addBindValue(e.eightBit ? 1 : 0);
    msg.addBindValue(e.smtpUtf8 ? 1 : 0);
    msg.addBindValue(storage::nn(QString::fromUtf8(e.prepend)));
    msg.addBindValue(storage::nn(e.origin));
    if (!msg.exec())
        return false;
    for (int i = 0; i < m.recipients.size(); ++i) {
        const RecipientInfo &r = m.recipients.at(i);
        rcpt.addBindValue(m.queueId);
        rcpt.addBindValue(i);
        rcpt.addBindValue(QString::fromUtf8(r.address));
        rcpt.addBindValue(int(r.state));
        rcpt.addBindValue(r.attempts);
        rcpt.addBindValue(storage::nn(r.lastReply));
        if (!rcpt.exec())
            return false;
    }
    return true;
}

static const char kInsertMessage[] =
    "INSERT OR REPLACE INTO messages (queue_id, sender, size, received, state, attempts, next_attempt,"
    " last_error, client_ip, helo, message_id, subject, rcpt_count, rcpt_summary, body_offset, eight_bit,"
    " smtputf8, prepend, origin) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char kInsertRcpt[] =
    "INSERT OR REPLACE INTO recipients (queue_id, idx, address, state, attempts, last_reply) VALUES (?,?,?,?,?,?)";

bool QueueWorker::open(QVector<QueueEntry> *entries, QStringList *notes, QString *error)
{
    QString why;
    if (!util::ensurePrivateDir(m_spoolDir, &why) ||
        !util::ensurePrivateDir(m_spoolDir + QStringLiteral("/incoming"), &why)) {
        *error = why;
        return false;
    }
    m_connection = storage::uniqueConnectionName(QStringLiteral("queuewriter"));
    m_db = storage::openDatabase(m_dataDir, storage::DbKind::Queue, m_connection, {}, error);
    if (!m_db.isValid())
        return false;

    // 1. Temporary files were never acknowledged: remove them.
    QDir incoming(m_spoolDir + QStringLiteral("/incoming"));
    for (const QString &f : incoming.entryList({QStringLiteral("*.tmp")}, QDir::Files)) {
        incoming.remove(f);
        *notes << QStringLiteral("removed unacknowledged partial message %1").arg(f);
    }
    m_recycler->adoptExisting(); // spare files (spoolrecycler.h) are reused, not removed

    // 2. Load the index.
    QHash<QString, QueueEntry> byId;
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    q.exec(QStringLiteral("SELECT queue_id, sender, size, received, state, attempts, next_attempt, last_error,"
                          " client_ip, helo, message_id, subject, body_offset, eight_bit, smtputf8, prepend,"
                          " origin FROM messages"));
    while (q.next()) {
        QueueEntry e;
        MessageInfo &m = e.info;
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
        e.bodyOffset = q.value(12).toLongLong();
        e.eightBit = q.value(13).toInt() != 0;
        e.smtpUtf8 = q.value(14).toInt() != 0;
        e.prepend = q.value(15).toString().toUtf8();
        const QString origin = q.value(16).toString();
        e.origin = origin.isEmpty() ? QStringLiteral("relay") : origin;
        e.spoolPath = spoolPath(m.queueId);
        if (m.state == MessageState::InDelivery)
            m.state = MessageState::Queued; // the attempt died with the process
        byId.insert(m.queueId, e);
    }
    QSqlQuery r(m_db);
    r.setForwardOnly(true);
    r.exec(QStringLiteral("SELECT queue_id, address, state, attempts, last_reply FROM recipients ORDER BY queue_id, idx"));
    while (r.next()) {
        auto it = byId.find(r.value(0).toString());
        if (it == byId.end())
            continue;
        RecipientInfo ri;
        ri.address = r.value(1).toString().toUtf8();
        ri.state = RecipientState(r.value(2).toInt());
        ri.attempts = r.value(3).toInt();
        ri.lastReply = r.value(4).toString();
        it->info.recipients.append(ri);
    }

    // 3. Reconcile with the spool folder.
    QDir spool(m_spoolDir);
    const QStringList files = spool.entryList({QStringLiteral("*.msg")}, QDir::Files);
    QSet<QString> onDisk;
    m_db.transaction();
    QSqlQuery ins(m_db), insR(m_db);
    ins.prepare(QLatin1String(kInsertMessage));
    insR.prepare(QLatin1String(kInsertRcpt));
    for (const QString &f : files) {
        const QString qid = f.left(f.size() - 4);
        if (!util::isValidQueueId(qid))
            continue;
        onDisk.insert(qid);
        if (byId.contains(qid))
            continue;
        // Accepted (fsynced) but not indexed: the crash came between the two.
        SpoolEnvelope env;
        qint64 off = 0;
        if (!SpoolFile::readHeader(spool.filePath(f), &env, &off, &why)) {
            *notes << QStringLiteral("cannot recover %1: %2").arg(f, why);
            continue;
        }
        QueueEntry e;
        e.spoolPath = spool.filePath(f);
        e.bodyOffset = off;
        e.info.queueId = qid;
        e.info.sender = env.sender;
        for (const QByteArray &a : env.recipients)
            e.info.recipients.append(RecipientInfo{a, RecipientState::Pending, 0, {}});
        e.info.received = QDateTime::fromMSecsSinceEpoch(env.receivedMs, Qt::UTC);
        e.info.clientIp = env.clientIp;
        e.info.heloName = env.helo;
        e.smtpUtf8 = env.mailParams.split(' ').contains("SMTPUTF8");
        if (!env.origin.isEmpty())
            e.origin = env.origin;
        e.info.size = QFileInfo(e.spoolPath).size() - off;
        QFile body(e.spoolPath);
        if (body.open(QIODevice::ReadOnly)) {
            body.seek(off);
            const QByteArray head = body.read(65536);
            scanHeaders(head, &e.info.messageId, &e.info.subject);
            for (char c : head) {
                if (uchar(c) >= 0x80) {
                    e.eightBit = true;
                    break;
                }
            }
        }
        if (insertMessage(ins, insR, e)) {
            byId.insert(qid, e);
            *notes << QStringLiteral("re-indexed spool file %1").arg(f);
        }
    }
    QSqlQuery del(m_db);
    for (auto it = byId.begin(); it != byId.end();) {
        if (onDisk.contains(it.key())) {
            ++it;
            continue;
        }
        *notes << QStringLiteral("index row %1 has no spool file; dropped").arg(it.key());
        deleteMessageRows(del, it.key());
        it = byId.erase(it);
    }
    m_db.commit();
    entries->reserve(byId.size());
    for (const QueueEntry &e : std::as_const(byId))
        entries->append(e);
    std::sort(entries->begin(), entries->end(), [](const QueueEntry &a, const QueueEntry &b) {
        return a.info.queueId < b.info.queueId;
    });
    return true;
}

void QueueWorker::flush()
{
    QVector<Op> ops;
    {
        QMutexLocker lock(&m_mutex);
        ops.swap(m_ops);
        m_scheduled = false;
    }
    if (ops.isEmpty())
        return;

    // Phase 1: make new spool files durable, then put them in place.
    QVector<bool> ok(ops.size(), true);
    QVector<QString> errors(ops.size());
    bool renamed = false;
    // All new files of the batch are synced together (util::syncFiles).
    QStringList toSync;
    QVector<int> syncIndex;
    for (int i = 0; i < ops.size(); ++i) {
        if (ops[i].kind == Op::Commit) {
            toSync << ops[i].tmpPath;
            syncIndex << i;
        }
    }
    QStringList syncErrors;
    const QVector<bool> synced = util::syncFiles(toSync, &syncErrors);
    for (int k = 0; k < syncIndex.size(); ++k) {
        if (!synced.at(k)) {
            ok[syncIndex.at(k)] = false;
            errors[syncIndex.at(k)] = syncErrors.at(k);
        }
    }
    for (int i = 0; i < ops.size(); ++i) {
        Op &op = ops[i];
        if (op.kind == Op::Commit) {
            if (!ok[i]) {
                QFile::remove(op.tmpPath);
                continue;
            }
            QFile::remove(op.entry.spoolPath); // a stale file of the same id cannot exist, but be safe
            if (!QFile::rename(op.tmpPath, op.entry.spoolPath)) {
                ok[i] = false;
                errors[i] = QStringLiteral("cannot move %1 into the spool").arg(op.tmpPath);
                QFile::remove(op.tmpPath);
                continue;
            }
            renamed = true;
        } else if (op.kind == Op::Remove || (op.kind == Op::Attempt && op.update.remove)) {
            // Delete (or recycle) the file before the row: a crash in between
            // leaves a row without a file, which start-up drops (the message was done).
            m_recycler->give(spoolPath(op.kind == Op::Remove ? op.queueId : op.update.queueId));
        }
    }
    if (renamed) {
        QString why;
        if (!util::syncDir(m_spoolDir, &why)) {
            for (int i = 0; i < ops.size(); ++i) {
                if (ops[i].kind == Op::Commit && ok[i]) {
                    ok[i] = false;
                    errors[i] = why;
                    QFile::remove(ops[i].entry.spoolPath);
                }
            }
        }
    }

    // Phase 2: the index, one transaction for the whole batch.
    m_db.transaction();
    QSqlQuery ins(m_db), insR(m_db), q(m_db);
    ins.prepare(QLatin1String(kInsertMessage));
    insR.prepare(QLatin1String(kInsertRcpt));
    for (int i = 0; i < ops.size(); ++i) {
        Op &op = ops[i];
        switch (op.kind) {
        case Op::Commit:
            if (ok[i] && !insertMessage(ins, insR, op.entry)) {
                // The spool file is durable: start-up would re-index it. Report
                // success only if the row is in; otherwise drop the file.
                ok[i] = false;
                errors[i] = QStringLiteral("queue index insert failed: %1").arg(ins.lastError().text());
                QFile::remove(op.entry.spoolPath);
            }
            break;
        case Op::Attempt: {
            const AttemptUpdate &u = op.update;
            if (!u.result.isEmpty()) { // empty: a state update (e.g. bounce queued), not an attempt
                q.prepare(QStringLiteral("INSERT INTO attempts (queue_id, ts, host, result, reply) VALUES (?,?,?,?,?)"));
                q.addBindValue(u.queueId);
                q.addBindValue(QDateTime::currentMSecsSinceEpoch());
                q.addBindValue(storage::nn(u.host));
                q.addBindValue(storage::nn(u.result));
                q.addBindValue(storage::nn(u.lastError));
                q.exec();
            }
            if (u.remove) {
                deleteMessageRows(q, u.queueId);
                break;
            }
            q.prepare(QStringLiteral("UPDATE messages SET state = ?, attempts = ?, next_attempt = ?, last_error = ?,"
                                     " rcpt_summary = ? WHERE queue_id = ?"));
            q.addBindValue(int(u.state));
            q.addBindValue(u.attempts);
            q.addBindValue(msOrNull(u.nextAttempt));
            q.addBindValue(storage::nn(u.lastError));
            q.addBindValue(storage::nn(recipientSummary(u.recipients)));
            q.addBindValue(u.queueId);
            q.exec();
            q.prepare(QStringLiteral("UPDATE recipients SET state = ?, attempts = ?, last_reply = ?"
                                     " WHERE queue_id = ? AND idx = ?"));
            for (int r = 0; r < u.recipients.size(); ++r) {
                q.addBindValue(int(u.recipients.at(r).state));
                q.addBindValue(u.recipients.at(r).attempts);
                q.addBindValue(storage::nn(u.recipients.at(r).lastReply));
                q.addBindValue(u.queueId);
                q.addBindValue(r);
                if (!q.exec())
                    std::fprintf(stderr, "level=error kind=system msg=\"recipient update failed: %s\"\n",
                                 qPrintable(q.lastError().text()));
            }
            break;
        }
        case Op::SetState:
            q.prepare(QStringLiteral("UPDATE messages SET state = ?, next_attempt = ? WHERE queue_id = ?"));
            q.addBindValue(int(op.state));
            q.addBindValue(msOrNull(op.nextAttempt));
            q.addBindValue(op.queueId);
            q.exec();
            break;
        case Op::Remove:
            deleteMessageRows(q, op.queueId);
            break;
        }
    }
    if (!m_db.commit()) {
        std::fprintf(stderr, "level=error kind=system msg=\"queue index commit failed: %s\"\n",
                     qPrintable(m_db.lastError().text()));
        m_db.rollback();
        for (int i = 0; i < ops.size(); ++i) {
            if (ops[i].kind == Op::Commit && ok[i]) {
                ok[i] = false;
                errors[i] = QStringLiteral("queue index commit failed");
                QFile::remove(ops[i].entry.spoolPath);
            }
        }
    }

    // Phase 3: tell the requesters (in the store's thread), with one posted
    // event for the whole batch (each event would wake that thread once).
    struct Reply {
        std::function<void(bool, QString)> done;
        bool ok;
        QString error;
    };
    auto replies = std::make_shared<QVector<Reply>>();
    for (int i = 0; i < ops.size(); ++i) {
        if (ops[i].kind == Op::Commit && ops[i].done)
            replies->append(Reply{std::move(ops[i].done), bool(ok[i]), errors[i]});
    }
    if (!replies->isEmpty()) {
        QMetaObject::invokeMethod(
            m_owner,
            [replies] {
                for (Reply &r : *replies)
                    r.done(r.ok, r.error);
            },
            Qt::QueuedConnection);
    }
    emit m_owner->changed();
}

// ---------------------------------------------------------------------------

QueueStore::QueueStore(const QString &dataDir, QObject *parent)
    : QObject(parent),
      m_dataDir(dataDir),
      m_spoolDir(QDir(dataDir).filePath(QStringLiteral("spool"))),
      m_recycler(std::make_unique<SpoolRecycler>(m_spoolDir + QStringLiteral("/incoming"))),
      m_worker(new QueueWorker(m_dataDir, m_spoolDir, m_recycler.get(), this))
{
    m_thread.setObjectName(QStringLiteral("queue-writer"));
    m_worker->moveToThread(&m_thread);
    m_thread.start();
}

QueueStore::~QueueStore()
{
    QMetaObject::invokeMethod(m_worker, &QueueWorker::close, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
}

bool QueueStore::open(QVector<QueueEntry> *entries, QStringList *notes, QString *error)
{
    bool ok = false;
    QMetaObject::invokeMethod(
        m_worker, [&] { ok = m_worker->open(entries, notes, error); }, Qt::BlockingQueuedConnection);
    return ok;
}

void QueueStore::commit(const QueueEntry &entry, const QString &tmpPath, std::function<void(bool, QString)> done)
{
    QueueWorker::Op op{QueueWorker::Op::Commit, entry, tmpPath, std::move(done), {}, {}, {}, {}};
    m_worker->push(std::move(op));
}

void QueueStore::recordAttempt(const AttemptUpdate &update)
{
    QueueWorker::Op op{QueueWorker::Op::Attempt, {}, {}, {}, update, {}, {}, {}};
    m_worker->push(std::move(op));
}

void QueueStore::setState(const QString &queueId, MessageState state, const QDateTime &nextAttempt)
{
    QueueWorker::Op op{QueueWorker::Op::SetState, {}, {}, {}, {}, queueId, state, nextAttempt};
    m_worker->push(std::move(op));
}

void QueueStore::remove(const QString &queueId)
{
    QueueWorker::Op op{QueueWorker::Op::Remove, {}, {}, {}, {}, queueId, {}, {}};
    m_worker->push(std::move(op));
}

void QueueStore::flushNow()
{
    QMetaObject::invokeMethod(m_worker, &QueueWorker::flush, Qt::BlockingQueuedConnection);
}

} // namespace rd::queue

#include "queuestore.moc"

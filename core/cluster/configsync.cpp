#include "cluster/configsync.h"

#include "config/settings.h"
#include "storage/database.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QHash>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QUuid>

namespace rd::cluster {
namespace {

struct TableSpec {
    QString name;
    QStringList key;       // primary key columns (row order and secret context)
    QStringList localOnly; // per-node columns: neither hashed nor shared
    QStringList secret;    // sealed in the store
};

const QVector<TableSpec> &specs()
{
    static const QVector<TableSpec> s = {
        {QStringLiteral("settings"), {QStringLiteral("key")}, {}, {QStringLiteral("value")}},
        {QStringLiteral("listeners"), {QStringLiteral("id")}, {}, {}},
        {QStringLiteral("accepted_domains"), {QStringLiteral("domain")}, {}, {}},
        {QStringLiteral("users"), {QStringLiteral("name")}, {QStringLiteral("last_login"), QStringLiteral("last_login_ip")}, {}},
        {QStringLiteral("send_connectors"), {QStringLiteral("position")}, {},
         {QStringLiteral("auth_password"), QStringLiteral("oauth_secret")}},
        {QStringLiteral("oauth_tokens"), {QStringLiteral("connector")}, {}, {QStringLiteral("refresh_token")}},
        {QStringLiteral("dkim_keys"), {QStringLiteral("domain"), QStringLiteral("selector")}, {},
         {QStringLiteral("private_key")}},
        {QStringLiteral("rate_limits"), {QStringLiteral("position")}, {}, {}},
        {QStringLiteral("dnsbl_zones"), {QStringLiteral("position")}, {}, {}},
        {QStringLiteral("content_rules"), {QStringLiteral("position")}, {}, {}},
        {QStringLiteral("connection_rules"), {QStringLiteral("position")}, {}, {}},
    };
    return s;
}

struct Rows {
    QStringList columns;             // shared columns, in table order
    QVector<QVector<QVariant>> rows; // ordered by key
};

QStringList sharedColumns(QSqlDatabase &db, const TableSpec &t)
{
    QStringList cols;
    const QSqlRecord rec = db.record(t.name);
    for (int i = 0; i < rec.count(); ++i) {
        if (!t.localOnly.contains(rec.fieldName(i)))
            cols << rec.fieldName(i);
    }
    return cols;
}

bool readRows(QSqlDatabase &db, const TableSpec &t, const QStringList &columns, Rows *out, QString *error)
{
    out->columns = columns;
    out->rows.clear();
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT %1 FROM %2 ORDER BY %3")
                    .arg(columns.join(QStringLiteral(", ")), t.name, t.key.join(QStringLiteral(", "))))) {
        *error = QStringLiteral("reading %1: %2").arg(t.name, q.lastError().text());
        return false;
    }
    while (q.next()) {
        QVector<QVariant> row(columns.size());
        for (int i = 0; i < columns.size(); ++i) {
            // SQL NULL stays NULL; an empty text is '' on both sides (a driver
            // may hand it over as a null QString, which would bind as NULL).
            if (q.isNull(i))
                row[i] = QVariant();
            else if (const QVariant v = q.value(i); v.typeId() == QMetaType::QString)
                row[i] = storage::nn(v.toString());
            else
                row[i] = v;
        }
        out->rows << row;
    }
    return true;
}

QString hashRows(const Rows &r)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(r.columns.join(QLatin1Char(',')).toUtf8());
    for (const auto &row : r.rows) {
        h.addData("\x1e");
        for (const QVariant &v : row) {
            h.addData(v.isNull() ? QByteArray("\x01") : v.toString().toUtf8());
            h.addData("\x1f");
        }
    }
    return QString::fromLatin1(h.result().toHex());
}

QString rowKey(const TableSpec &t, const Rows &r, int row)
{
    QStringList parts;
    for (const QString &k : t.key)
        parts << r.rows[row][r.columns.indexOf(k)].toString();
    return parts.join(QLatin1Char('/'));
}

// settings rows are secret only for secret settings; other tables by column.
bool isSecretCell(const TableSpec &t, const Rows &r, int row, int col)
{
    if (!t.secret.contains(r.columns[col]))
        return false;
    if (t.name == QLatin1String("settings")) {
        const config::SettingDef *def = config::findSetting(r.rows[row][r.columns.indexOf(QStringLiteral("key"))].toString());
        return def && def->secret;
    }
    return true;
}

QString cellContext(const TableSpec &t, const Rows &r, int row, int col)
{
    return QStringLiteral("%1.%2[%3]").arg(t.name, r.columns[col], rowKey(t, r, row));
}

bool sealRows(const TableSpec &t, Rows *r, const SecretBox &box)
{
    for (int i = 0; i < r->rows.size(); ++i)
        for (int c = 0; c < r->columns.size(); ++c)
            if (isSecretCell(t, *r, i, c) && !r->rows[i][c].toString().isEmpty())
                r->rows[i][c] = box.seal(r->rows[i][c].toString(), cellContext(t, *r, i, c));
    return true;
}

bool openRows(const TableSpec &t, Rows *r, const SecretBox &box, QString *error)
{
    for (int i = 0; i < r->rows.size(); ++i)
        for (int c = 0; c < r->columns.size(); ++c) {
            if (!isSecretCell(t, *r, i, c))
                continue;
            const auto plain = box.open(r->rows[i][c].toString(), cellContext(t, *r, i, c), error);
            if (!plain)
                return false;
            r->rows[i][c] = storage::nn(*plain);
        }
    return true;
}

// Replaces a table's shared columns. Local-only columns of rows that stay are
// kept; new rows get the columns' defaults.
bool writeRows(QSqlDatabase &db, const TableSpec &t, const Rows &r, QString *error)
{
    QHash<QString, QVector<QVariant>> kept;
    if (!t.localOnly.isEmpty()) {
        QSqlQuery k(db);
        if (!k.exec(QStringLiteral("SELECT %1, %2 FROM %3")
                        .arg(t.key.join(QStringLiteral(", ")), t.localOnly.join(QStringLiteral(", ")), t.name))) {
            *error = QStringLiteral("reading %1: %2").arg(t.name, k.lastError().text());
            return false;
        }
        while (k.next()) {
            QStringList key;
            for (int i = 0; i < t.key.size(); ++i)
                key << k.value(i).toString();
            QVector<QVariant> vals;
            for (int i = 0; i < t.localOnly.size(); ++i)
                vals << k.value(t.key.size() + i);
            kept.insert(key.join(QLatin1Char('/')), vals);
        }
    }
    QSqlQuery del(db);
    if (!del.exec(QStringLiteral("DELETE FROM %1").arg(t.name))) {
        *error = QStringLiteral("replacing %1: %2").arg(t.name, del.lastError().text());
        return false;
    }
    auto insertSql = [&](const QStringList &cols) {
        QStringList marks;
        for (int i = 0; i < cols.size(); ++i)
            marks << QStringLiteral("?");
        return QStringLiteral("INSERT INTO %1 (%2) VALUES (%3)")
            .arg(t.name, cols.join(QStringLiteral(", ")), marks.join(QStringLiteral(", ")));
    };
    QSqlQuery plain(db);
    QSqlQuery withLocal(db);
    if (!plain.prepare(insertSql(r.columns))
        || (!kept.isEmpty() && !withLocal.prepare(insertSql(r.columns + t.localOnly)))) {
        *error = QStringLiteral("replacing %1: %2").arg(t.name, plain.lastError().text());
        return false;
    }
    for (int i = 0; i < r.rows.size(); ++i) {
        const auto it = kept.constFind(rowKey(t, r, i));
        QSqlQuery &q = it != kept.constEnd() ? withLocal : plain;
        for (const QVariant &v : r.rows[i])
            q.addBindValue(v);
        if (it != kept.constEnd())
            for (const QVariant &v : *it)
                q.addBindValue(v);
        if (!q.exec()) {
            *error = QStringLiteral("replacing %1: %2").arg(t.name, q.lastError().text());
            return false;
        }
    }
    return true;
}

QHash<QString, QString> syncState(QSqlDatabase &local)
{
    QHash<QString, QString> s;
    QSqlQuery q(local);
    q.exec(QStringLiteral("SELECT name, value FROM cluster_sync"));
    while (q.next())
        s.insert(q.value(0).toString(), q.value(1).toString());
    return s;
}

bool setSyncState(QSqlDatabase &local, const QString &name, const QString &value, QString *error)
{
    QSqlQuery q(local);
    q.prepare(QStringLiteral("INSERT INTO cluster_sync (name, value) VALUES (?, ?)"
                             " ON CONFLICT (name) DO UPDATE SET value = excluded.value"));
    q.addBindValue(name);
    q.addBindValue(value);
    if (!q.exec()) {
        *error = QStringLiteral("recording the synchronisation: %1").arg(q.lastError().text());
        return false;
    }
    return true;
}

bool localHashes(QSqlDatabase &local, QHash<QString, QString> *hashes, QHash<QString, Rows> *rows, QString *error)
{
    for (const TableSpec &t : specs()) {
        Rows r;
        if (!readRows(local, t, sharedColumns(local, t), &r, error))
            return false;
        hashes->insert(t.name, hashRows(r));
        if (rows)
            rows->insert(t.name, r);
    }
    return true;
}

QString storeError(const QString &what, const QSqlQuery &q)
{
    return QStringLiteral("%1: %2").arg(what, q.lastError().text().trimmed());
}

} // namespace

QStringList sharedTables()
{
    QStringList names;
    for (const TableSpec &t : specs())
        names << t.name;
    return names;
}

qint64 localRevision(QSqlDatabase &local)
{
    const auto s = syncState(local);
    return s.contains(QStringLiteral("revision")) ? s.value(QStringLiteral("revision")).toLongLong() : -1;
}

QStringList locallyChangedTables(QSqlDatabase &local, QString *error)
{
    const auto state = syncState(local);
    if (!state.contains(QStringLiteral("revision")))
        return {};
    QHash<QString, QString> hashes;
    if (!localHashes(local, &hashes, nullptr, error))
        return {};
    QStringList changed;
    for (const TableSpec &t : specs())
        if (hashes.value(t.name) != state.value(QStringLiteral("hash.") + t.name))
            changed << t.name;
    return changed;
}

SyncOutcome synchronize(QSqlDatabase &local, QSqlDatabase &store, const SecretBox &box, const SyncRequest &request)
{
    SyncOutcome out;
    if (!box.isLoaded()) {
        out.error = QStringLiteral("no cluster key is loaded");
        return out;
    }
    const auto state = syncState(local);
    bool everSynced = state.contains(QStringLiteral("revision"));
    qint64 localRev = everSynced ? state.value(QStringLiteral("revision")).toLongLong() : -1;
    QHash<QString, QString> hashes;
    QHash<QString, Rows> localRows;
    if (!localHashes(local, &hashes, &localRows, &out.error))
        return out;

    if (!store.transaction()) {
        out.error = QStringLiteral("the cluster store: %1").arg(store.lastError().text().trimmed());
        return out;
    }
    auto abort = [&](const QString &why) {
        store.rollback();
        out.error = why;
        out.ok = false;
        return out;
    };
    QSqlQuery q(store);
    if (!q.exec(QStringLiteral("SELECT revision FROM config_revision WHERE id = 1 FOR UPDATE")) || !q.next())
        return abort(storeError(QStringLiteral("reading the store revision"), q));
    const qint64 storeRev = q.value(0).toLongLong();
    if (!q.exec(QStringLiteral("SELECT value FROM cluster_meta WHERE key = 'key_fingerprint'")))
        return abort(storeError(QStringLiteral("reading the store's key fingerprint"), q));
    const QString storeFp = q.next() ? q.value(0).toString() : QString();
    const bool publish = request.mode == SyncRequest::Mode::Publish;
    const bool replaceKey = publish && request.force && !storeFp.isEmpty() && storeFp != box.fingerprint();
    if (!storeFp.isEmpty() && storeFp != box.fingerprint() && !replaceKey)
        return abort(QStringLiteral("this node's cluster key (%1) is not the store's (%2): copy the cluster's key file "
                                    "to this node")
                         .arg(box.fingerprint(), storeFp));
    if (publish && storeRev > 0 && !request.force)
        return abort(QStringLiteral("the cluster store already holds a configuration (revision %1); publishing this "
                                    "instance's would replace it (use --force to do so)")
                         .arg(storeRev));
    // A store without a configuration is never read: pulling would empty the
    // local copy (a node pointed at a new, empty store keeps what it has).
    if (storeRev == 0 && !publish) {
        store.rollback();
        out.ok = true;
        out.storeEmpty = true;
        return out;
    }
    // Which store this is: a node that synchronised with another store (or an
    // older incarnation of this one) joins afresh, pulling, never pushing.
    if (!q.exec(QStringLiteral("SELECT value FROM cluster_meta WHERE key = 'store_id'")))
        return abort(storeError(QStringLiteral("reading the store id"), q));
    QString storeId = q.next() ? q.value(0).toString() : QString();
    if (everSynced && state.value(QStringLiteral("store_id")) != storeId) {
        everSynced = false;
        localRev = -1;
    }
    if (storeFp.isEmpty() || replaceKey) {
        q.prepare(QStringLiteral("INSERT INTO cluster_meta (key, value) VALUES ('key_fingerprint', ?)"
                                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
        q.addBindValue(box.fingerprint());
        if (!q.exec())
            return abort(storeError(QStringLiteral("recording the key fingerprint"), q));
    }
    if (publish && storeId.isEmpty()) {
        storeId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        q.prepare(QStringLiteral("INSERT INTO cluster_meta (key, value) VALUES ('store_id', ?)"));
        q.addBindValue(storeId);
        if (!q.exec())
            return abort(storeError(QStringLiteral("recording the store id"), q));
    }
    QStringList changed;
    for (const TableSpec &t : specs()) {
        if (publish || (everSynced && hashes.value(t.name) != state.value(QStringLiteral("hash.") + t.name)))
            changed << t.name;
    }

    // Another writer (this node's command line, say) may have published the
    // same content already: a table the store holds as we have it is no change.
    if (storeRev != localRev && request.mode == SyncRequest::Mode::Normal) {
        for (const TableSpec &t : specs()) {
            if (!changed.contains(t.name))
                continue;
            Rows r;
            if (!readRows(store, t, localRows.value(t.name).columns, &r, &out.error)
                || !openRows(t, &r, box, &out.error))
                return abort(QStringLiteral("the cluster store: %1").arg(out.error));
            if (hashRows(r) == hashes.value(t.name))
                changed.removeAll(t.name);
        }
    }
    qint64 newRev = storeRev;
    for (const TableSpec &t : specs()) {
        if (!changed.contains(t.name))
            continue;
        Rows r = localRows.value(t.name);
        sealRows(t, &r, box);
        if (!writeRows(store, t, r, &out.error))
            return abort(QStringLiteral("the cluster store: %1").arg(out.error));
        out.pushed << t.name;
    }
    if (!out.pushed.isEmpty()) {
        newRev = storeRev + 1;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        q.prepare(QStringLiteral("UPDATE config_revision SET revision = ?, changed = ? WHERE id = 1"));
        q.addBindValue(newRev);
        q.addBindValue(now);
        if (!q.exec())
            return abort(storeError(QStringLiteral("raising the store revision"), q));
        QString summary = request.summary;
        if (everSynced && storeRev != localRev && request.mode == SyncRequest::Mode::Normal)
            summary = (summary.isEmpty() ? QString() : summary + QStringLiteral("; "))
                + QStringLiteral("made on revision %1 while the store was at %2").arg(localRev).arg(storeRev);
        q.prepare(QStringLiteral("INSERT INTO config_history (revision, ts, actor, node, tables, summary)"
                                 " VALUES (?, ?, ?, ?, ?, ?)"));
        q.addBindValue(newRev);
        q.addBindValue(now);
        q.addBindValue(request.actor.isEmpty() ? QStringLiteral("unknown") : request.actor);
        q.addBindValue(storage::nn(request.node));
        q.addBindValue(out.pushed.join(QLatin1Char(',')));
        q.addBindValue(storage::nn(summary));
        if (!q.exec())
            return abort(storeError(QStringLiteral("recording the change"), q));
        q.prepare(QStringLiteral("SELECT pg_notify('relaydesk_config', ?)"));
        q.addBindValue(QString::number(newRev));
        if (!q.exec())
            return abort(storeError(QStringLiteral("notifying the other nodes"), q));
    }

    QHash<QString, Rows> pulled;
    if (storeRev != localRev) {
        for (const TableSpec &t : specs()) {
            if (changed.contains(t.name))
                continue;
            Rows r;
            if (!readRows(store, t, localRows.value(t.name).columns, &r, &out.error)
                || !openRows(t, &r, box, &out.error))
                return abort(QStringLiteral("the cluster store: %1").arg(out.error));
            if (hashRows(r) != hashes.value(t.name))
                pulled.insert(t.name, r);
        }
        if (!q.exec(QStringLiteral("SELECT actor, node FROM config_history ORDER BY revision DESC LIMIT 1")))
            return abort(storeError(QStringLiteral("reading the history"), q));
        if (q.next())
            out.changedBy = QStringLiteral("%1 on %2").arg(q.value(0).toString(), q.value(1).toString());
    }
    if (!store.commit())
        return abort(QStringLiteral("the cluster store: %1").arg(store.lastError().text().trimmed()));

    // The store has moved on; now the local copy, in one local transaction.
    // A table changed here meanwhile (after the hashes above) is left alone:
    // the next run pushes it.
    if (!local.transaction()) {
        out.error = QStringLiteral("config.db: %1").arg(local.lastError().text());
        return out;
    }
    QHash<QString, QString> now;
    if (!localHashes(local, &now, nullptr, &out.error)) {
        local.rollback();
        return out;
    }
    for (const TableSpec &t : specs()) {
        QString recorded = state.value(QStringLiteral("hash.") + t.name);
        if (changed.contains(t.name)) {
            recorded = hashes.value(t.name); // what we pushed
        } else if (pulled.contains(t.name)) {
            if (now.value(t.name) != hashes.value(t.name))
                continue; // changed locally meanwhile: keep, push next time
            if (!writeRows(local, t, pulled.value(t.name), &out.error)) {
                local.rollback();
                out.error = QStringLiteral("config.db: %1").arg(out.error);
                return out;
            }
            out.pulled << t.name;
            recorded = hashRows(pulled.value(t.name));
        } else if (storeRev != localRev || !everSynced) {
            recorded = hashes.value(t.name); // the store holds the same
        }
        if (!setSyncState(local, QStringLiteral("hash.") + t.name, recorded, &out.error)) {
            local.rollback();
            return out;
        }
    }
    if (!setSyncState(local, QStringLiteral("revision"), QString::number(newRev), &out.error)
        || !setSyncState(local, QStringLiteral("store_fingerprint"), box.fingerprint(), &out.error)
        || !setSyncState(local, QStringLiteral("store_id"), storeId, &out.error)) {
        local.rollback();
        return out;
    }
    if (!local.commit()) {
        out.error = QStringLiteral("config.db: %1").arg(local.lastError().text());
        local.rollback();
        return out;
    }
    out.ok = true;
    out.revision = newRev;
    return out;
}

} // namespace rd::cluster

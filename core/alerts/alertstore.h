#pragma once
// Alerts in log.db (table alerts, schema v3): raised alerts are inserted with
// the monitor's id, resolving sets the resolved time (epoch ms; 0 = open),
// the open ones are loaded at start. Times are UTC epoch milliseconds.
// Thread: the thread that called open() (its own named connection); small
// single-row writes, meant for the engine thread or a worker, never the GUI.

#include "alerts/alert.h"

#include <QList>
#include <QString>
#include <QVariantList>

namespace rd::alerts {

class AlertStore {
public:
    AlertStore() = default;
    ~AlertStore();
    AlertStore(const AlertStore &) = delete;
    AlertStore &operator=(const AlertStore &) = delete;

    // Opens (and migrates) dataDir/log.db on a connection of its own. On
    // failure returns false with *error naming the file and the cause.
    bool open(const QString &dataDir, QString *error);
    void close();
    bool isOpen() const { return !m_connection.isEmpty(); }

    // Stores a raised alert under its id (an existing row with that id is
    // replaced, so a retried insert is harmless).
    bool insert(const Alert &alert, QString *error);
    // Marks alert `id` resolved at `when`; false (with *error) if no open
    // alert has that id.
    bool markResolved(qint64 id, const QDateTime &when, QString *error);
    // The alerts still open, oldest first.
    QList<Alert> loadOpen(QString *error) const;
    // The newest `limit` alerts, open or resolved, newest first.
    QList<Alert> recent(int limit, QString *error) const;
    // The largest id stored (0 when none), for AlertMonitor::restore().
    qint64 maxId(QString *error) const;
    // Deletes resolved alerts resolved before `before`; returns how many.
    int pruneResolved(const QDateTime &before, QString *error);

private:
    QList<Alert> select(const QString &sql, const QVariantList &binds, QString *error) const;

    QString m_connection;
};

} // namespace rd::alerts

#pragma once
// Messages made inside RelayDesk (bounces and delay warnings; later the
// pickup folder): written to a spool file exactly like received mail, ready
// for QueueStore::commit(). Nothing is durable until that commit completes.
// Thread: any; blocking file writes of one message (small, local disk).

#include "queue/queuestore.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace rd::queue {

struct LocalMessage {
    QByteArray sender;             // envelope sender without <>; empty: <>
    QList<QByteArray> recipients;  // without <>
    QByteArray mailParams;         // e.g. "BODY=8BITMIME SMTPUTF8"
    QList<QByteArray> rcptParams;  // parallel to recipients, or empty
    QByteArray content;            // headers and body, CRLF lines, not dot-stuffed
    QString origin;                // for the envelope's helo field, e.g. "bounce"
    bool eightBit = false;
    bool smtpUtf8 = false;
};

// Writes the spool file for a new queue id; on success fills *entry (ready to
// commit and to enqueue for delivery) and *tmpPath. On failure nothing is left.
bool writeLocalMessage(const QString &spoolDir, const LocalMessage &m, QueueEntry *entry, QString *tmpPath,
                       QString *error);

} // namespace rd::queue

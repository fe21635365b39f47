#pragma once
// The mail that tells the admin about an alert (setting alerts.email), sent
// through the relay itself: the owner queues the LocalMessage with
// queue::writeLocalMessage() + QueueStore::commit(), as for bounces.
// RFC 5322 message: Date, Message-ID, From postmaster@<hostname>, To, Subject
// "[RelayDesk] <message>" ("[RelayDesk] Resolved: <message>" once resolved),
// Auto-Submitted: auto-generated (RFC 3834), a text/plain UTF-8 body.
// Non-ASCII subjects are RFC 2047 encoded words; the body is 7bit when it is
// ASCII with short lines, else quoted-printable. The envelope sender is <>
// so a failed alert never bounces back into the queue.
// Thread: pure functions (no clock, no I/O; the time is an input), reentrant.

#include "alerts/alert.h"
#include "queue/localmessage.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

namespace rd::alerts {

// The whole message (CRLF lines). `uniqueToken` goes into the Message-ID
// (e.g. random hex) so two mails for one alert differ; empty: the alert id
// and time only. `to` must be a plain address (checked by buildAlertMail).
QByteArray composeAlertMail(const Alert &alert, const QString &hostname, const QString &to,
                            const QDateTime &date, const QByteArray &uniqueToken);

// The message ready for queue::writeLocalMessage(): sender <>, the one
// recipient `to`, origin "alert". False with *error when `to` is not a
// usable address (empty, no '@', spaces, control characters, <>) or the
// hostname is empty.
bool buildAlertMail(const Alert &alert, const QString &hostname, const QString &to, const QDateTime &date,
                    queue::LocalMessage *out, QString *error);

// RFC 2047 "B" encoded words for a header value (UTF-8), folded; the value
// itself when it is printable ASCII. `prefixLength`: octets before the
// value on the first line ("Subject: " = 9). Result has no trailing CRLF.
QByteArray encodeHeaderValue(const QString &value, int prefixLength);

// Quoted-printable (RFC 2045 6.7) of UTF-8 text with CRLF line breaks.
QByteArray quotedPrintable(const QByteArray &text);

} // namespace rd::alerts

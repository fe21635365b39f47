#pragma once
// Export of log rows to CSV and to the W3C extended log file format.
// The row formatters are pure; exportLog() streams pages from a LogReader to
// a QIODevice on the caller's thread (the GUI's LogWorker thread, a CLI).
//
// CSV (RFC 4180): a header row, CRLF line ends, a field with a comma, quote,
// CR or LF is quoted with quotes doubled. A text field that starts with = + - @
// or a tab gets a leading apostrophe so spreadsheets do not run it as a formula.
// Columns: the LogEvent fields (csvHeader()); time is ISO 8601 UTC with ms.
//
// W3C extended (what IIS SMTP admins' tools parse): #Software, #Version 1.0,
// #Date (export time, UTC), #Fields, then one line per row, oldest first:
//   date time            the row time, UTC (yyyy-MM-dd HH:mm:ss)
//   s-sitename           "RelayDesk"
//   c-ip                 client IP (inbound) or the server's IP (delivery)
//   cs-username          the authenticated user
//   cs-host              the HELO/EHLO name
//   cs-method            SESSION, DATA (a message received or refused),
//                        DELIVERY (an outbound attempt) or SYSTEM
//   cs-uri-stem          the queue id
//   cs-uri-query         from=..&to=..&esc=..&tls=..&cipher=..&msg=.. (percent-encoded values)
//   sc-status            the SMTP reply code
//   sc-bytes / cs-bytes  message bytes sent by us (delivery) / by the client (inbound)
//   time-taken           duration in milliseconds
//   x-session x-direction x-result x-rule  RelayDesk fields
// Empty fields are "-"; inside a field a space is "+", and '+', '%', '&',
// '=', control and non-ASCII bytes (UTF-8) are %XX.

#include "log/logtypes.h"

#include <QIODevice>
#include <QString>

#include <functional>

namespace rd::log {

class LogReader;

enum class ExportFormat { Csv, W3c };

QString csvHeader();                 // with CRLF
QString csvRow(const LogEvent &e);   // with CRLF
// Header lines (CRLF ends) for an export started at `now`.
QString w3cHeader(const QDateTime &now, const QString &software);
QString w3cRow(const LogEvent &e);   // with CRLF
// One W3C field value as written (the encoding described above).
QString w3cField(const QString &value);

struct ExportResult {
    qint64 rows = 0;
    bool cancelled = false;
    QString error;            // write or query error; empty if fine
};

// Writes the header and every row matching `filter`, oldest first, in pages
// of `chunkRows`. After each page `progress(rowsSoFar)` runs; returning false
// cancels (the file then ends after the last whole page). Errors: a failed
// write (device full/closed) or query stops with ExportResult::error.
ExportResult exportLog(const LogReader &reader, const LogFilter &filter, ExportFormat format, QIODevice *out,
                       const std::function<bool(qint64)> &progress = {}, int chunkRows = 2000);

} // namespace rd::log

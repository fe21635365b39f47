#pragma once
// One structured log row. Written by the engine (LogStore), read by the GUI
// (LogReader). The same fields are printed as key=value lines on stderr.

#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace rd::log {

enum class LogKind {
    Session = 0,  // an inbound SMTP session ended (summary row)
    Receive = 1,  // a message was accepted (or refused) in an inbound session
    Delivery = 2, // an outbound delivery attempt for one message
    System = 3,   // engine events: started, listening, errors, admin actions
};

QString logKindName(LogKind k);

struct LogEvent {
    qint64 id = 0;            // assigned by the store; increasing
    QDateTime time;           // UTC, millisecond precision
    LogKind kind = LogKind::System;
    QString level = QStringLiteral("info"); // info, warning, error
    QString sessionId;
    QString direction;        // "in" or "out" (empty for system)
    QString clientIp;         // peer address (inbound: client; outbound: server)
    QString clientName;
    QString user;             // authenticated user, if any
    QString helo;
    QString sender;
    QString recipients;       // comma-separated
    QString queueId;
    int replyCode = 0;        // last/decisive SMTP reply code
    QString enhancedCode;     // e.g. 5.7.1
    qint64 bytes = 0;
    QString tlsVersion;
    QString tlsCipher;
    qint64 durationMs = 0;
    QString result;           // e.g. accepted, rejected, delivered, deferred, failed
    QString rule;             // the policy rule that decided, if any
    QString message;          // free text (never secrets)

    // key=value rendering for stderr; values with spaces are quoted.
    QString toKeyValueLine() const;
};

// What the log browser asks for. Every set field narrows the result (AND).
// Matching rules (the reader turns them into SQL; see logquery.h):
struct LogFilter {
    QString text;             // legacy substring over sender, recipients, ip, queue id, message, result,
                              // session id, helo (a table scan: prefer `search`)
    QString search;           // full-text (FTS5) words over the text columns: every word must occur;
                              // a lone word is a prefix ("deliv" finds "delivered")
    QString ip;               // client/peer address: "10.1.2.3" or "2001:db8::1" exact,
                              // "10.1.0.0/16" (IPv4 CIDR, any length), "10.1." (text prefix)
    QString user;             // authenticated user, exact
    QString sender;           // "a@b.example" exact address, or "@b.example" every sender of that domain
    QString recipient;        // text in the recipients column starting at a word start ("bob@", "example.org")
    int statusClass = 0;      // 2, 4 or 5: reply_code / 100; 0 = any
    QString direction;        // "in" or "out"; empty = any
    int kind = -1;            // LogKind as int, or -1 for all
    QString sessionId;        // exact: every row of one session ("Show session")
    QDateTime from, to;       // UTC, null = open; inclusive

    bool isEmpty() const;
};

// Where a page of results ends: the next page starts after this row.
// (Results are newest first; the reader decides the exact order, see LogReader.)
struct LogCursor {
    qint64 ts = 0;            // ms since epoch of the last row returned
    qint64 id = 0;            // its id; 0 = start from the newest row
};

} // namespace rd::log

Q_DECLARE_METATYPE(rd::log::LogEvent)
Q_DECLARE_METATYPE(rd::log::LogFilter)
Q_DECLARE_METATYPE(rd::log::LogCursor)

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

struct LogFilter {
    QString text;             // substring over sender, recipients, ip, queue id, message, result
    int kind = -1;            // LogKind as int, or -1 for all
    QDateTime from, to;       // UTC, null = open
};

} // namespace rd::log

Q_DECLARE_METATYPE(rd::log::LogEvent)

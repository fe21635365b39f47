#pragma once
// Value types shared by the DeliveryAgent and OutboundConnection: one job
// (a queued message for one smart host) and its per-recipient result.
// No behaviour, no I/O.

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QString>

namespace rd::delivery {

enum class RcptStatus { Delivered, Deferred, Failed };

// One message to deliver over one connection. The message is the spool
// file's bytes from bodyOffset to EOF (headers + body, CRLF line endings,
// not dot-stuffed), `size` bytes long.
struct DeliveryJob {
    QString queueId;
    QByteArray mailFrom;     // without <>; empty for the null sender
    QList<QByteArray> rcpts; // without <>
    QString spoolPath;
    qint64 bodyOffset = 0;
    qint64 size = 0;         // 0: taken from the file (EOF - bodyOffset)
    bool eightBit = false;   // content has 8-bit octets (BODY=8BITMIME)
    bool smtpUtf8 = false;   // received with SMTPUTF8: passed on, or refused by the next hop
};

struct RecipientOutcome {
    QByteArray rcpt;
    RcptStatus status = RcptStatus::Deferred;
    int code = 0;  // SMTP reply code; 0 when no reply decided it (connection error)
    QString reply; // "550 5.1.1 text" as received, or a synthesized text for local errors
};

struct DeliveryResult {
    QString queueId;
    QString host;
    quint16 port = 0;
    QString peerAddress;                 // IP actually connected to, empty if none
    QList<RecipientOutcome> recipients;  // same order as DeliveryJob::rcpts
    QString error;                       // connection-level error text, empty if none
    qint64 bytes = 0;                    // content octets read from the spool and sent
    qint64 durationMs = 0;               // from deliver() to jobFinished
};

struct Timeouts {
    int connectMs = 30000;  // TCP connect (including name lookup)
    int commandMs = 300000; // each reply; also each write progress during content
    int dataMs = 600000;    // the reply to the final "."
};

} // namespace rd::delivery

Q_DECLARE_METATYPE(rd::delivery::DeliveryResult)
Q_DECLARE_METATYPE(rd::delivery::DeliveryJob)

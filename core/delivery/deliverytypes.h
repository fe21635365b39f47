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
    int jobId = 0;           // the agent's handle for this job (a message may have several)
    QByteArray mailFrom;     // without <>; empty for the null sender
    QList<QByteArray> rcpts; // without <>
    QString spoolPath;
    qint64 bodyOffset = 0;
    qint64 size = 0;         // 0: taken from the file (EOF - bodyOffset)
    bool eightBit = false;   // content has 8-bit octets (BODY=8BITMIME)
    bool smtpUtf8 = false;   // received with SMTPUTF8: passed on, or refused by the next hop
    // Header fields sent before the file's octets (DKIM-Signature, Authentication-Results):
    // CRLF-terminated lines; counted in SIZE.
    QByteArray prepend;
};

struct RecipientOutcome {
    QByteArray rcpt;
    RcptStatus status = RcptStatus::Deferred;
    int code = 0;  // SMTP reply code; 0 when no reply decided it (connection error)
    QString reply; // "550 5.1.1 text" as received, or a synthesized text for local errors
};

struct DeliveryResult {
    QString queueId;
    int jobId = 0;                       // DeliveryJob::jobId
    QString host;
    quint16 port = 0;
    QString peerAddress;                 // IP actually connected to, empty if none
    QList<RecipientOutcome> recipients;  // same order as DeliveryJob::rcpts
    QString error;                       // connection-level error text, empty if none
    qint64 bytes = 0;                    // content octets read from the spool and sent
    qint64 durationMs = 0;               // from deliver() to jobFinished
    QString tlsVersion;                  // "TLSv1.3"; empty: not encrypted
    QString tlsCipher;
    bool authenticated = false;          // AUTH succeeded on this connection
};

struct Timeouts {
    int connectMs = 30000;  // TCP connect (including name lookup)
    int commandMs = 300000; // each reply; also each write progress during content
    int dataMs = 600000;    // the reply to the final "."
};

enum class TlsMode {
    None,          // never STARTTLS
    Opportunistic, // STARTTLS when offered; certificate not checked
    Required,      // STARTTLS (or implicit TLS) must succeed; certificate not checked
    Verify,        // Required, and the certificate must chain to a trusted CA and match tlsName
};

// Where and how one outbound connection goes.
struct ConnectionOptions {
    QString host;            // a name (resolved by the system) or an IP literal
    quint16 port = 25;
    QString tlsName;         // the name the certificate must match (Verify) and SNI; default: host
    TlsMode tls = TlsMode::None;
    QString caFile;          // PEM CA bundle for Verify; empty: the system store
    bool implicitTls = false;
    QByteArray authUser;     // empty: no AUTH
    QByteArray authPassword; // never logged
    bool allowPlaintextAuth = false;
    QString heloName;
    Timeouts timeouts;
};

} // namespace rd::delivery

Q_DECLARE_METATYPE(rd::delivery::DeliveryResult)
Q_DECLARE_METATYPE(rd::delivery::DeliveryJob)

#pragma once
// Delivery status notifications (bounces and delay warnings): whether to send
// one (RFC 3461 NOTIFY, never to the null sender) and the complete message,
// built as multipart/report (RFC 6522) with a message/delivery-status part
// (RFC 3464) or its RFC 6533 "global" forms when addresses or headers are
// UTF-8. The caller queues the result with the null envelope sender <> and
// the original envelope sender as the only recipient.
// Thread: pure functions, no I/O, no clock (all times are inputs); reentrant.

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QList>
#include <QString>

namespace rd::delivery {

// RFC 3464 2.3.3 action-value.
enum class DsnAction { Failed, Delayed, Delivered, Relayed, Expanded };

// RET of MAIL FROM (RFC 3461 4.3). Unspecified is treated like Headers.
enum class DsnRet { Unspecified, Full, Headers };

// The DSN-related parameters of a stored MAIL FROM parameter string
// ("BODY=8BITMIME RET=HDRS ENVID=abc SMTPUTF8"). Keys are case-insensitive;
// an ENVID that is not valid xtext is dropped.
struct MailDsnParams {
    DsnRet ret = DsnRet::Unspecified;
    QByteArray envid;          // as given (xtext), empty if none
    bool eightBitMime = false; // BODY=8BITMIME
    bool smtpUtf8 = false;     // SMTPUTF8
};
MailDsnParams parseMailDsnParams(QByteArrayView params);

// The DSN-related parameters of a stored RCPT TO parameter string
// ("NOTIFY=FAILURE,DELAY ORCPT=rfc822;a+2Bb@c"). An ORCPT without
// "type;" or with control octets is dropped.
struct RcptDsnParams {
    bool notifyGiven = false; // a NOTIFY parameter was present
    bool never = false;
    bool success = false;
    bool failure = false;
    bool delay = false;
    QByteArray orcpt;         // raw value ("rfc822;xtext"), empty if none
};
RcptDsnParams parseRcptDsnParams(QByteArrayView params);

// Whether the recipient's NOTIFY asks for a DSN of this kind (RFC 3461 4.1):
// NEVER → no; Failed needs FAILURE, Delayed needs DELAY, Delivered/Relayed/
// Expanded need SUCCESS; without NOTIFY: Failed and Delayed yes, others no.
bool wantsDsn(QByteArrayView rcptParams, DsnAction action);

// wantsDsn() and a non-null envelope sender: a message from <> (a bounce
// itself, RFC 3461 5.2 / RFC 3834) never gets a DSN.
bool shouldSendDsn(QByteArrayView envelopeSender, QByteArrayView rcptParams, DsnAction action);

// One per-recipient block (RFC 3464 2.3).
struct DsnRecipient {
    QByteArray address;       // Final-Recipient, without <>; "utf-8;" type when non-ASCII (RFC 6533)
    QByteArray orcpt;         // raw ORCPT value → Original-Recipient as given; empty: omitted
    DsnAction action = DsnAction::Failed;
    QByteArray status;        // explicit RFC 3463 code; empty: derived, see dsnStatus()
    bool expired = false;     // given up because the message got too old (Failed)
    QString remoteMta;        // host name → Remote-MTA "dns; host"; empty: omitted
    QString reply;            // "550 5.1.1 text" (may be multi-line) or a local error; empty: none
    bool replyIsLocal = false;// reply made up by us → Diagnostic-Code type X-RelayDesk, not smtp
    QDateTime lastAttempt;    // Last-Attempt-Date; invalid: omitted
    QDateTime willRetryUntil; // Will-Retry-Until (Delayed only); invalid: omitted
};

// The status a recipient block reports, first match wins:
//  1. `status` if it is a valid code whose class fits the action;
//  2. the enhanced code in `reply` ("550 5.1.1 ..." → 5.1.1) if its class
//     matches the reply code and fits the action;
//  3. expired → 4.4.7 (RFC 3463: delivery time expired; action stays failed);
//  4. the class of the reply code ("554 no code" → 5.0.0, "451 x" → 4.0.0);
//  5. the action's default: failed 5.0.0, delayed 4.0.0, others 2.0.0.
// "Fits": failed takes 4 or 5, delayed 4, delivered/relayed/expanded 2.
QByteArray dsnStatus(const DsnRecipient &rcpt);

struct DsnRequest {
    // The reporting MTA (us) and the new message.
    QString reportingMta;     // our host name: Reporting-MTA, Message-ID domain
    QDateTime date;           // Date: of the notification (written in UTC)
    QString dsnQueueId;       // fresh id of the notification: Message-ID and boundary
    QByteArray postmaster;    // From address; empty: MAILER-DAEMON@<reportingMta>
    // The original transaction.
    QByteArray sender;        // original envelope sender (the To:), without <>
    QString queueId;
    QDateTime arrivalDate;    // invalid: Arrival-Date omitted
    QString clientIp;         // Received-From-MTA "dns; helo (ip)"; both empty: omitted
    QString clientHelo;
    MailDsnParams mail;       // RET, ENVID, 8BITMIME, SMTPUTF8 of the original MAIL FROM
    QByteArray original;      // the original message (headers + body), CRLF lines
    QList<DsnRecipient> recipients; // at least one
    qsizetype maxFullSize = 256 * 1024; // RET=FULL above this: headers only
};

struct DsnMessage {
    QByteArray content;       // the whole message: CRLF lines, none above 998 octets
                              // (unless the original had such lines), no bare CR or LF
    QByteArray boundary;      // the multipart/report boundary (not found in any part)
    bool eightBit = false;    // has 8-bit octets: send with BODY=8BITMIME
    bool smtpUtf8 = false;    // UTF-8 in a header field (To:): send with SMTPUTF8
    bool fullMessage = false; // part 3 is the whole original (else its header section)
    bool truncated = false;   // RET=FULL was asked for but the original exceeded maxFullSize
};

// Builds the notification. Subject: "Undelivered Mail Returned to Sender" when
// any recipient failed, "Delayed Mail (still being retried)" when all are
// delayed, "Successful Mail Delivery Report" otherwise. Never fails; fields
// with line breaks or control characters are flattened to one line.
DsnMessage buildDsn(const DsnRequest &request);

// RFC 5322 date-time in UTC with English names: "Tue, 02 Jan 2024 15:04:05 +0000".
QByteArray rfc5322Date(const QDateTime &time);

} // namespace rd::delivery

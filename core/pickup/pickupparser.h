#pragma once
// Pickup-folder files (IIS SMTP's Pickup folder) read into an envelope and a
// message. Pure: fed the file's bytes, returns the result or one clear error
// sentence; no I/O. Any thread.
//
// Two shapes are understood:
//  - System.Net.Mail SpecifiedPickupDirectory / PickupDirectoryFromIis files:
//    the file starts with "X-Sender: addr" and one "X-Receiver: addr" line per
//    recipient (To, Cc and Bcc), then the message. That leading block is the
//    envelope and is removed from the message.
//  - Plain .eml written by scripts: the envelope sender comes from
//    Return-Path (when present; "<>" is the null sender), else Sender, else
//    the first From mailbox; the recipients are every To, Cc and Bcc address.
//    When X-Sender is given without X-Receiver, the recipients come from the
//    header fields too (and the other way round).
// Always: Bcc and Return-Path fields are removed from the message; line ends
// become CRLF (LF-only files, bare CR and bare LF); a missing final line end
// is added; a leading dot stays as it is (the queue keeps unstuffed content);
// duplicate recipients (same address, case-insensitively) are sent once.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace rd::pickup {

enum class PickupFormat { SystemNetMail, PlainEml };

struct PickupMessage {
    PickupFormat format = PickupFormat::PlainEml;
    QByteArray sender;             // without <>; empty: the null sender
    QList<QByteArray> recipients;  // without <>, in order of appearance, no duplicates
    QByteArray content;            // header and body, CRLF lines, envelope lines and Bcc removed
    bool eightBit = false;         // the content has octets above 127 (BODY=8BITMIME)
    bool smtpUtf8 = false;         // an envelope address is not ASCII (SMTPUTF8)
};

struct PickupParseResult {
    PickupMessage message;
    QString error; // empty on success, else one sentence ("no recipients: ...")
    bool ok() const { return error.isEmpty(); }
};

// Reads one pickup file. maxSize: the largest message accepted (the
// normalized content, as smtp.max_message_size counts it); <= 0: no limit.
// Errors: an empty file, NUL octets (binary data), a first line that is no
// header field, a header line that is neither a field nor a continuation, an
// unreadable address field, no sender, no recipients, a message over maxSize.
PickupParseResult parsePickupFile(QByteArrayView data, qint64 maxSize);

// Line ends made CRLF: CRLF stays, a bare CR or a bare LF becomes CRLF. A
// final line end is added when missing (an empty input stays empty).
QByteArray normalizeLineEnds(QByteArrayView data);

} // namespace rd::pickup

#include "pickup/pickupparser.h"

#include "util/lineends.h"

#include "mime/mimeheaders.h"
#include "pickup/addresslist.h"

#include <QSet>

namespace rd::pickup {

namespace {

struct Field {
    QByteArray name;   // as written
    QByteArray value;  // unfolded
    qsizetype begin = 0; // offset of the first line in the normalized buffer
    qsizetype end = 0;   // offset after the last line's CRLF
};

bool nameIs(const QByteArray &name, const char *want)
{
    return name.compare(want, Qt::CaseInsensitive) == 0;
}

bool hasHighBit(QByteArrayView v)
{
    for (char c : v) {
        if (uchar(c) >= 0x80)
            return true;
    }
    return false;
}

QString fieldText(const QByteArray &value)
{
    QString s = QString::fromUtf8(value).simplified();
    if (s.size() > 60)
        s = s.left(57) + QStringLiteral("...");
    return s;
}

// Splits the header section of `buf` (CRLF lines) into fields; *bodyStart is
// the offset after the empty line (-1 if there is none).
bool splitHeader(const QByteArray &buf, QList<Field> *fields, qsizetype *bodyStart, QString *error)
{
    qsizetype pos = 0;
    int lineNo = 0;
    while (pos < buf.size()) {
        const qsizetype eol = buf.indexOf("\r\n", pos);
        const qsizetype lineEnd = eol < 0 ? buf.size() : eol;
        const qsizetype next = eol < 0 ? buf.size() : eol + 2;
        ++lineNo;
        const QByteArrayView line(buf.constData() + pos, lineEnd - pos);
        if (line.isEmpty()) {
            *bodyStart = next;
            return true;
        }
        if (line[0] == ' ' || line[0] == '\t') {
            if (fields->isEmpty()) {
                *error = QStringLiteral("the file starts with an indented line, not a header field "
                                        "(\u201cName: value\u201d): it is not a mail message");
                return false;
            }
            Field &f = fields->last();
            f.value += line.toByteArray();
            f.end = next;
            pos = next;
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        const QByteArrayView name = colon > 0 ? line.first(colon) : QByteArrayView();
        if (colon <= 0 || !mime::isFieldName(name)) {
            if (fields->isEmpty()) {
                *error = QStringLiteral("the file does not start with a header field (\u201cName: value\u201d): "
                                        "it is not a mail message");
            } else {
                *error = QStringLiteral("line %1 of the header is neither a header field (\u201cName: value\u201d) "
                                        "nor a continuation line; an empty line must separate the header from "
                                        "the body")
                             .arg(lineNo);
            }
            return false;
        }
        Field f;
        f.name = name.toByteArray();
        f.value = line.sliced(colon + 1).toByteArray();
        f.begin = pos;
        f.end = next;
        fields->append(f);
        pos = next;
    }
    *bodyStart = -1; // no empty line: a message without a body
    return true;
}

// The mailboxes of one field, or an error naming the field.
bool readAddresses(const Field &f, QList<Mailbox> *out, QString *error)
{
    const AddressListResult r = parseAddressList(f.value);
    if (!r.ok()) {
        *error = QStringLiteral("the %1 field (\u201c%2\u201d) cannot be read: %3")
                     .arg(QString::fromLatin1(f.name), fieldText(f.value), r.error);
        return false;
    }
    *out += r.mailboxes;
    return true;
}

} // namespace

QByteArray normalizeLineEnds(QByteArrayView data)
{
    return util::toCrlf(data);
}

PickupParseResult parsePickupFile(QByteArrayView data, qint64 maxSize)
{
    PickupParseResult r;
    auto tooBig = [&](qint64 size) {
        r.error = QStringLiteral("the message is %1 bytes, more than the message size limit of %2 bytes "
                                 "(smtp.max_message_size)")
                      .arg(size)
                      .arg(maxSize);
    };
    if (data.trimmed().isEmpty()) {
        r.error = QStringLiteral("the file is empty");
        return r;
    }
    // Normalizing never shrinks the data, so a file over the limit is too big as it is.
    if (maxSize > 0 && data.size() > maxSize) {
        tooBig(data.size());
        return r;
    }
    if (data.contains('\0')) {
        r.error = QStringLiteral("the file contains NUL octets: it is binary data, not a mail message");
        return r;
    }
    const QByteArray buf = normalizeLineEnds(data);
    if (maxSize > 0 && buf.size() > maxSize) {
        tooBig(buf.size());
        return r;
    }

    QList<Field> fields;
    qsizetype bodyStart = -1;
    if (!splitHeader(buf, &fields, &bodyStart, &r.error))
        return r;

    // The leading X-Sender / X-Receiver block is System.Net.Mail's envelope.
    qsizetype envelopeFields = 0;
    while (envelopeFields < fields.size()
           && (nameIs(fields[envelopeFields].name, "X-Sender") || nameIs(fields[envelopeFields].name, "X-Receiver")))
        ++envelopeFields;
    PickupMessage &m = r.message;
    m.format = envelopeFields > 0 ? PickupFormat::SystemNetMail : PickupFormat::PlainEml;

    QList<Mailbox> xSender, xReceivers;
    int xSenderLines = 0;
    for (qsizetype i = 0; i < envelopeFields; ++i) {
        const Field &f = fields[i];
        if (nameIs(f.name, "X-Sender")) {
            ++xSenderLines;
            if (!readAddresses(f, &xSender, &r.error))
                return r;
        } else if (!readAddresses(f, &xReceivers, &r.error)) {
            return r;
        }
    }
    if (xSenderLines > 1 || xSender.size() > 1) {
        r.error = QStringLiteral("the file names %1 senders in X-Sender; there must be exactly one")
                      .arg(std::max<qsizetype>(xSenderLines, xSender.size()));
        return r;
    }

    // Envelope sender.
    auto firstField = [&](const char *name) -> const Field * {
        for (qsizetype i = envelopeFields; i < fields.size(); ++i) {
            if (nameIs(fields[i].name, name))
                return &fields[i];
        }
        return nullptr;
    };
    if (xSenderLines == 1) {
        if (xSender.isEmpty()) {
            r.error = QStringLiteral("the X-Sender line holds no address");
            return r;
        }
        m.sender = xSender.first().address;
    } else {
        const Field *from = nullptr;
        for (const char *name : {"Return-Path", "Sender", "From"}) {
            if ((from = firstField(name)))
                break;
        }
        if (!from) {
            r.error = QStringLiteral("no sender: the file has no X-Sender, Return-Path, Sender or From field");
            return r;
        }
        QList<Mailbox> boxes;
        if (!readAddresses(*from, &boxes, &r.error))
            return r;
        if (boxes.isEmpty()) {
            r.error = QStringLiteral("no sender: the %1 field holds no address").arg(QString::fromLatin1(from->name));
            return r;
        }
        if (boxes.first().address.isEmpty() && !nameIs(from->name, "Return-Path")) {
            r.error = QStringLiteral("no sender: the %1 field holds the empty address <>")
                          .arg(QString::fromLatin1(from->name));
            return r;
        }
        m.sender = boxes.first().address;
    }

    // Recipients.
    QList<Mailbox> rcpts = xReceivers;
    if (rcpts.isEmpty()) {
        for (qsizetype i = envelopeFields; i < fields.size(); ++i) {
            const Field &f = fields[i];
            if ((nameIs(f.name, "To") || nameIs(f.name, "Cc") || nameIs(f.name, "Bcc"))
                && !readAddresses(f, &rcpts, &r.error))
                return r;
        }
    }
    QSet<QByteArray> seen;
    for (const Mailbox &b : std::as_const(rcpts)) {
        if (b.address.isEmpty()) {
            r.error = QStringLiteral("the empty address <> cannot be a recipient");
            return r;
        }
        const QByteArray key = b.address.toLower();
        if (seen.contains(key))
            continue;
        seen.insert(key);
        m.recipients.append(b.address);
    }
    if (m.recipients.isEmpty()) {
        r.error = QStringLiteral("no recipients: the file has no X-Receiver, To, Cc or Bcc");
        return r;
    }

    // The message: every field except the envelope block, Bcc and Return-Path.
    m.content.reserve(buf.size());
    for (qsizetype i = envelopeFields; i < fields.size(); ++i) {
        const Field &f = fields[i];
        if (nameIs(f.name, "Bcc") || nameIs(f.name, "Return-Path"))
            continue;
        m.content.append(buf.constData() + f.begin, f.end - f.begin);
    }
    if (bodyStart >= 0) {
        m.content += "\r\n";
        m.content.append(buf.constData() + bodyStart, buf.size() - bodyStart);
    }
    m.eightBit = hasHighBit(m.content);
    m.smtpUtf8 = hasHighBit(m.sender);
    for (const QByteArray &a : std::as_const(m.recipients))
        m.smtpUtf8 = m.smtpUtf8 || hasHighBit(a);
    return r;
}

} // namespace rd::pickup

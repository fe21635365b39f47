#include "delivery/dsn.h"
#include "util/lineends.h"

#include "smtp/parser.h"

#include <QLocale>
#include <QStringList>

namespace rd::delivery {

namespace {

constexpr qsizetype kSoftLine = 78;  // RFC 5322 2.1.1 SHOULD
constexpr qsizetype kHardChunk = 900; // longest unbreakable run we emit (limit 998)

bool isSpace(char c)
{
    return c == ' ' || c == '\t';
}

bool hasNonAscii(QByteArrayView s)
{
    for (char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80)
            return true;
    }
    return false;
}

// Splits "K1=v1 K2 K3=v3" into (upper-cased key, value) pairs.
QList<std::pair<QByteArray, QByteArray>> splitParams(QByteArrayView params)
{
    QList<std::pair<QByteArray, QByteArray>> out;
    qsizetype i = 0;
    while (i < params.size()) {
        while (i < params.size() && isSpace(params[i]))
            ++i;
        const qsizetype start = i;
        while (i < params.size() && !isSpace(params[i]))
            ++i;
        if (i == start)
            break;
        const QByteArrayView token = params.sliced(start, i - start);
        const qsizetype eq = token.indexOf('=');
        if (eq < 0)
            out.append({token.toByteArray().toUpper(), QByteArray()});
        else
            out.append({token.first(eq).toByteArray().toUpper(), token.sliced(eq + 1).toByteArray()});
    }
    return out;
}

bool hasControl(QByteArrayView s)
{
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            return true;
    }
    return false;
}

// One logical line: CR, LF, TAB and other controls become spaces, runs of
// spaces collapse, invalid UTF-8 is replaced.
QByteArray oneLine(const QString &text)
{
    QString s = text;
    for (QChar &c : s) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            c = QLatin1Char(' ');
    }
    return s.simplified().toUtf8();
}

QByteArray oneLine(const QByteArray &bytes)
{
    return oneLine(QString::fromUtf8(bytes));
}

// Where to cut `w` at most `max` octets in without splitting a UTF-8 sequence.
qsizetype utf8Cut(QByteArrayView w, qsizetype max)
{
    qsizetype cut = max;
    while (cut > 1 && (static_cast<unsigned char>(w[cut]) & 0xC0) == 0x80)
        --cut;
    return cut;
}

// Folds one logical line at spaces: physical lines of at most kSoftLine octets
// where the words allow, never above kHardChunk + prefix; continuation lines
// start with `prefix` (" " for header fields, RFC 5322 2.2.3), the first
// with `lead`. Ends with CRLF.
QByteArray fold(QByteArrayView line, QByteArrayView prefix = " ", QByteArrayView lead = {})
{
    QByteArray out;
    QByteArray cur = lead.toByteArray();
    bool hasWord = false;
    auto place = [&](QByteArrayView w) {
        if (hasWord && cur.size() + 1 + w.size() > kSoftLine) {
            out += cur + "\r\n";
            cur = prefix.toByteArray();
            hasWord = false;
        }
        if (hasWord)
            cur += ' ';
        cur += w;
        hasWord = true;
    };
    for (const QByteArray &word : line.toByteArray().split(' ')) {
        QByteArrayView w = word;
        if (w.isEmpty())
            continue;
        while (w.size() > kHardChunk) {
            const qsizetype cut = utf8Cut(w, kHardChunk);
            place(w.first(cut));
            w = w.sliced(cut);
        }
        place(w);
    }
    out += cur + "\r\n";
    return out;
}


// The header section (with its final CRLF, without the empty line); at most
// `max` octets, cut before a field that would not fit.
QByteArray headerSection(const QByteArray &message, qsizetype max)
{
    QByteArray headers;
    if (message.startsWith("\r\n"))
        return headers;
    const qsizetype end = message.indexOf("\r\n\r\n");
    headers = end < 0 ? message : message.left(end + 2);
    if (headers.size() <= max)
        return headers;
    qsizetype cut = headers.lastIndexOf("\r\n", max - 2);
    while (cut > 0 && cut + 2 < headers.size() && isSpace(headers[cut + 2]))
        cut = headers.lastIndexOf("\r\n", cut - 1);
    return cut > 0 ? headers.left(cut + 2) : QByteArray();
}

const char *actionName(DsnAction a)
{
    switch (a) {
    case DsnAction::Failed:
        return "failed";
    case DsnAction::Delayed:
        return "delayed";
    case DsnAction::Delivered:
        return "delivered";
    case DsnAction::Relayed:
        return "relayed";
    case DsnAction::Expanded:
        return "expanded";
    }
    return "failed";
}

bool isDigits(QByteArrayView s, qsizetype min, qsizetype max)
{
    if (s.size() < min || s.size() > max)
        return false;
    for (char c : s) {
        if (c < '0' || c > '9')
            return false;
    }
    return true;
}

// "class.subject.detail" of RFC 3463 (class 2, 4 or 5; 1-3 digits each).
bool isStatusCode(QByteArrayView s)
{
    const QList<QByteArray> parts = s.toByteArray().split('.');
    return parts.size() == 3 && parts[0].size() == 1 && (parts[0] == "2" || parts[0] == "4" || parts[0] == "5")
        && isDigits(parts[1], 1, 3) && isDigits(parts[2], 1, 3);
}

bool classFits(char cls, DsnAction a)
{
    switch (a) {
    case DsnAction::Failed:
        return cls == '4' || cls == '5';
    case DsnAction::Delayed:
        return cls == '4';
    default:
        return cls == '2';
    }
}

// utf-8-addr-unitext (RFC 6533 3): '+', '=', '\\' and controls as \x{HH}.
QByteArray unitext(QByteArrayView a)
{
    QByteArray out;
    for (char c : a) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || c == '+' || c == '=' || c == '\\')
            out += "\\x{" + QByteArray::number(u, 16).toUpper().rightJustified(2, '0') + '}';
        else
            out += c;
    }
    return out;
}

QByteArray sanitizeToken(const QString &s)
{
    QByteArray out;
    for (QChar c : s) {
        if ((c >= QLatin1Char('A') && c <= QLatin1Char('Z')) || (c >= QLatin1Char('a') && c <= QLatin1Char('z'))
            || (c >= QLatin1Char('0') && c <= QLatin1Char('9')))
            out += char(c.unicode());
    }
    return out.isEmpty() ? QByteArray("0") : out;
}

QByteArray part(QByteArrayView boundary, QByteArrayView headers, QByteArrayView body)
{
    return "--" + boundary.toByteArray() + "\r\n" + headers.toByteArray() + "\r\n" + body.toByteArray();
}

} // namespace

MailDsnParams parseMailDsnParams(QByteArrayView params)
{
    MailDsnParams m;
    for (const auto &[key, value] : splitParams(params)) {
        if (key == "RET") {
            const QByteArray v = value.toUpper();
            m.ret = v == "FULL" ? DsnRet::Full : v == "HDRS" ? DsnRet::Headers : DsnRet::Unspecified;
        } else if (key == "ENVID") {
            if (!value.isEmpty() && value.size() <= 100 && smtp::isValidXtext(value))
                m.envid = value;
        } else if (key == "BODY") {
            m.eightBitMime = value.toUpper() == "8BITMIME";
        } else if (key == "SMTPUTF8") {
            m.smtpUtf8 = true;
        }
    }
    return m;
}

RcptDsnParams parseRcptDsnParams(QByteArrayView params)
{
    RcptDsnParams r;
    for (const auto &[key, value] : splitParams(params)) {
        if (key == "NOTIFY") {
            r.notifyGiven = true;
            for (const QByteArray &item : value.toUpper().split(',')) {
                r.never = r.never || item == "NEVER";
                r.success = r.success || item == "SUCCESS";
                r.failure = r.failure || item == "FAILURE";
                r.delay = r.delay || item == "DELAY";
            }
        } else if (key == "ORCPT") {
            const qsizetype semi = value.indexOf(';');
            if (semi > 0 && semi + 1 < value.size() && value.size() <= 500 && !hasControl(value))
                r.orcpt = value;
        }
    }
    return r;
}

bool wantsDsn(QByteArrayView rcptParams, DsnAction action)
{
    const RcptDsnParams p = parseRcptDsnParams(rcptParams);
    if (p.never)
        return false;
    switch (action) {
    case DsnAction::Failed:
        return !p.notifyGiven || p.failure;
    case DsnAction::Delayed:
        return !p.notifyGiven || p.delay;
    default:
        return p.success;
    }
}

bool shouldSendDsn(QByteArrayView envelopeSender, QByteArrayView rcptParams, DsnAction action)
{
    return !envelopeSender.isEmpty() && wantsDsn(rcptParams, action);
}

QByteArray dsnStatus(const DsnRecipient &rcpt)
{
    if (isStatusCode(rcpt.status) && classFits(rcpt.status[0], rcpt.action))
        return rcpt.status;
    const QByteArray reply = oneLine(rcpt.reply);
    const bool hasCode = reply.size() >= 3 && isDigits(QByteArrayView(reply).first(3), 3, 3)
        && (reply.size() == 3 || reply[3] == ' ' || reply[3] == '-');
    if (hasCode && reply.size() > 4) {
        QByteArray esc = reply.mid(4);
        const qsizetype sp = esc.indexOf(' ');
        if (sp >= 0)
            esc.truncate(sp);
        if (isStatusCode(esc) && esc[0] == reply[0] && classFits(esc[0], rcpt.action))
            return esc;
    }
    if (rcpt.expired && rcpt.action == DsnAction::Failed)
        return "4.4.7";
    if (hasCode && classFits(reply[0], rcpt.action))
        return QByteArray(1, reply[0]) + ".0.0";
    switch (rcpt.action) {
    case DsnAction::Failed:
        return "5.0.0";
    case DsnAction::Delayed:
        return "4.0.0";
    default:
        return "2.0.0";
    }
}

QByteArray rfc5322Date(const QDateTime &time)
{
    const QDateTime t = time.isValid() ? time.toUTC() : QDateTime::fromMSecsSinceEpoch(0, Qt::UTC);
    return QLocale::c().toString(t, QStringLiteral("ddd, dd MMM yyyy hh:mm:ss")).toLatin1() + " +0000";
}

DsnMessage buildDsn(const DsnRequest &req)
{
    DsnMessage msg;
    const QByteArray host = oneLine(req.reportingMta);
    const QByteArray sender = oneLine(req.sender);
    const QByteArray queueId = oneLine(req.queueId);
    const QByteArray postmaster = req.postmaster.isEmpty() ? "MAILER-DAEMON@" + host : oneLine(req.postmaster);

    bool anyFailed = false;
    bool allDelayed = true;
    for (const DsnRecipient &r : req.recipients) {
        anyFailed = anyFailed || r.action == DsnAction::Failed;
        allDelayed = allDelayed && r.action == DsnAction::Delayed;
    }
    const bool delayReport = allDelayed && !req.recipients.isEmpty();

    // Part 3: the original message or its header section.
    const QByteArray original = util::toCrlf(req.original);
    const bool wantFull = req.mail.ret == DsnRet::Full;
    msg.fullMessage = wantFull && original.size() <= req.maxFullSize;
    msg.truncated = wantFull && !msg.fullMessage;
    const QByteArray returned = msg.fullMessage ? original : headerSection(original, req.maxFullSize);
    const QByteArray origHeaders = msg.fullMessage ? headerSection(original, original.size()) : returned;
    const bool utf8Headers = hasNonAscii(origHeaders) && smtp::isValidUtf8Text(origHeaders);
    const bool global = req.mail.smtpUtf8 || utf8Headers;
    QByteArray origType;
    if (msg.fullMessage)
        origType = global ? "message/global" : "message/rfc822";
    else
        origType = global ? "message/global-headers" : "text/rfc822-headers";
    QByteArray origPartHeaders = "Content-Description: " + QByteArray(delayReport ? "Delayed" : "Undelivered")
        + (msg.fullMessage ? " Message" : " Message Headers") + "\r\nContent-Type: " + origType + "\r\n";
    if (hasNonAscii(returned))
        origPartHeaders += "Content-Transfer-Encoding: 8bit\r\n";

    // Part 2: the machine-readable report.
    bool reportUtf8 = false;
    auto addressField = [&](QByteArrayView name, QByteArrayView address) {
        if (!hasNonAscii(address))
            return fold(name.toByteArray() + ": rfc822; " + address.toByteArray());
        reportUtf8 = true;
        return fold(name.toByteArray() + ": utf-8; " + unitext(address));
    };
    QByteArray report = fold("Reporting-MTA: dns; " + host);
    if (!queueId.isEmpty())
        report += fold("X-RelayDesk-Queue-ID: " + queueId);
    if (!sender.isEmpty())
        report += addressField("X-RelayDesk-Sender", sender);
    if (!req.mail.envid.isEmpty())
        report += fold("Original-Envelope-Id: " + oneLine(req.mail.envid));
    const QByteArray helo = oneLine(req.clientHelo);
    const QByteArray ip = oneLine(req.clientIp);
    if (!helo.isEmpty() || !ip.isEmpty()) {
        const QByteArray from = helo.isEmpty() ? '[' + ip + ']' : ip.isEmpty() ? helo : helo + " (" + ip + ')';
        report += fold("Received-From-MTA: dns; " + from);
    }
    if (req.arrivalDate.isValid())
        report += fold("Arrival-Date: " + rfc5322Date(req.arrivalDate));
    for (const DsnRecipient &r : req.recipients) {
        const QByteArray address = oneLine(r.address);
        report += "\r\n";
        if (!r.orcpt.isEmpty()) {
            const QByteArray orcpt = oneLine(r.orcpt);
            reportUtf8 = reportUtf8 || hasNonAscii(orcpt);
            report += fold("Original-Recipient: " + orcpt);
        }
        report += addressField("Final-Recipient", address);
        report += fold(QByteArray("Action: ") + actionName(r.action));
        report += fold("Status: " + dsnStatus(r));
        if (!r.remoteMta.isEmpty())
            report += fold("Remote-MTA: dns; " + oneLine(r.remoteMta));
        const QByteArray reply = oneLine(r.reply);
        if (!reply.isEmpty()) {
            reportUtf8 = reportUtf8 || hasNonAscii(reply);
            report += fold(QByteArray("Diagnostic-Code: ") + (r.replyIsLocal ? "X-RelayDesk; " : "smtp; ") + reply);
        }
        if (r.lastAttempt.isValid())
            report += fold("Last-Attempt-Date: " + rfc5322Date(r.lastAttempt));
        if (r.action == DsnAction::Delayed && r.willRetryUntil.isValid())
            report += fold("Will-Retry-Until: " + rfc5322Date(r.willRetryUntil));
    }
    QByteArray reportHeaders = "Content-Description: Delivery report\r\nContent-Type: "
        + QByteArray(reportUtf8 ? "message/global-delivery-status" : "message/delivery-status") + "\r\n";
    if (reportUtf8)
        reportHeaders += "Content-Transfer-Encoding: 8bit\r\n";

    // Part 1: the explanation for people.
    QByteArray text;
    auto para = [&](const QByteArray &line) { text += fold(line, ""); };
    auto indented = [&](const QByteArray &line) { text += fold(line, "    ", "    "); };
    para("This is the mail system at host " + host + '.');
    text += "\r\n";
    if (delayReport) {
        para("THIS IS A WARNING ONLY. You do not need to resend your message: no action is needed on your part.");
        text += "\r\n";
        para("Delivery of your message to the recipients below has been delayed. The mail system will keep "
             "trying to deliver it"
             + QByteArray(req.recipients.first().willRetryUntil.isValid()
                              ? " until " + rfc5322Date(req.recipients.first().willRetryUntil)
                              : QByteArray())
             + " and will tell you if it finally fails.");
    } else if (anyFailed) {
        para("I'm sorry to have to inform you that your message could not be delivered to one or more "
             "recipients. "
             + QByteArray(msg.fullMessage ? "It is attached below." : "Its headers are attached below."));
    } else {
        para("Your message was successfully delivered to the recipients below.");
    }
    if (msg.truncated) {
        text += "\r\n";
        para("The message was larger than " + QByteArray::number(req.maxFullSize / 1024)
             + " KiB, so only its headers are returned, not the whole message.");
    }
    text += "\r\n";
    if (!queueId.isEmpty())
        para("Queue ID: " + queueId);
    para("Sender: <" + sender + '>');
    if (req.arrivalDate.isValid())
        para("Arrival date: " + rfc5322Date(req.arrivalDate));
    for (const DsnRecipient &r : req.recipients) {
        text += "\r\n";
        QByteArray what;
        switch (r.action) {
        case DsnAction::Failed:
            what = r.expired ? "delivery failed: the message was too old to be retried any longer"
                             : "delivery failed permanently";
            break;
        case DsnAction::Delayed:
            what = "delivery delayed, will be retried";
            if (r.willRetryUntil.isValid())
                what += " until " + rfc5322Date(r.willRetryUntil);
            break;
        default:
            what = QByteArray("delivery status: ") + actionName(r.action);
            break;
        }
        text += fold('<' + oneLine(r.address) + ">: " + what + " (status " + dsnStatus(r) + ')', "    ");
        const QByteArray reply = oneLine(r.reply);
        if (!reply.isEmpty()) {
            if (r.replyIsLocal || r.remoteMta.isEmpty())
                indented((r.replyIsLocal ? "Error: " : "Reply: ") + reply);
            else
                indented("Host " + oneLine(r.remoteMta) + " said: " + reply);
        }
        if (r.lastAttempt.isValid())
            indented("Last attempt: " + rfc5322Date(r.lastAttempt));
    }
    text += "\r\n";
    para("-- The mail system at " + host);
    const bool text8 = hasNonAscii(text);
    QByteArray textHeaders = "Content-Description: Notification\r\nContent-Type: text/plain; charset="
        + QByteArray(text8 ? "utf-8" : "us-ascii") + "\r\n";
    if (text8)
        textHeaders += "Content-Transfer-Encoding: 8bit\r\n";

    // A boundary that occurs in none of the parts (RFC 2046 5.1.1).
    const QByteArray base = "RD-DSN." + sanitizeToken(req.dsnQueueId) + '.';
    for (int n = 1;; ++n) {
        msg.boundary = base + QByteArray::number(n);
        if (!text.contains(msg.boundary) && !report.contains(msg.boundary) && !returned.contains(msg.boundary))
            break;
    }

    msg.eightBit = text8 || reportUtf8 || hasNonAscii(returned);
    msg.smtpUtf8 = hasNonAscii(sender) || hasNonAscii(postmaster);
    const QByteArray subject = anyFailed ? "Undelivered Mail Returned to Sender"
        : delayReport                    ? "Delayed Mail (still being retried)"
                                         : "Successful Mail Delivery Report";
    const QDateTime date = req.date.isValid() ? req.date.toUTC() : QDateTime::fromMSecsSinceEpoch(0, Qt::UTC);
    QByteArray &out = msg.content;
    out += fold("From: Mail Delivery System <" + postmaster + '>');
    out += fold("To: <" + sender + '>');
    out += fold("Subject: " + subject);
    out += "Date: " + rfc5322Date(date) + "\r\n";
    out += fold("Message-ID: <" + QLocale::c().toString(date, QStringLiteral("yyyyMMddhhmmss")).toLatin1() + '.'
                + sanitizeToken(req.dsnQueueId) + '@' + host + '>');
    out += "MIME-Version: 1.0\r\n";
    out += "Auto-Submitted: auto-replied\r\n";
    out += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + msg.boundary + "\"\r\n";
    if (msg.eightBit)
        out += "Content-Transfer-Encoding: 8bit\r\n";
    out += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";
    out += part(msg.boundary, textHeaders, text) + "\r\n";
    out += part(msg.boundary, reportHeaders, report) + "\r\n";
    out += part(msg.boundary, origPartHeaders, returned) + "\r\n";
    out += "--" + msg.boundary + "--\r\n";
    return msg;
}

} // namespace rd::delivery

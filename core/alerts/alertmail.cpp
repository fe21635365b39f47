#include "alerts/alertmail.h"

#include "delivery/dsn.h"

#include <QLocale>
#include <QStringList>
#include <QUrl>

namespace rd::alerts {

namespace {

bool isPrintableAscii(const QByteArray &s)
{
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c > 0x7e)
            return false;
    }
    return true;
}

// One line of text: control characters (CR, LF, TAB ...) become spaces.
QString oneLine(const QString &s)
{
    QString out = s;
    for (QChar &c : out) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            c = QLatin1Char(' ');
    }
    return out.simplified();
}

// Folds printable ASCII at spaces so lines stay within 78 octets where possible.
QByteArray foldAscii(const QByteArray &value, int prefixLength)
{
    QByteArray out;
    int lineLength = prefixLength;
    const QList<QByteArray> words = value.split(' ');
    for (int i = 0; i < words.size(); ++i) {
        const QByteArray &w = words[i];
        if (i > 0) {
            if (lineLength + 1 + w.size() > 78 && lineLength > 1) {
                out += "\r\n ";
                lineLength = 1;
            } else {
                out += ' ';
                ++lineLength;
            }
        }
        out += w;
        lineLength += int(w.size());
    }
    return out;
}

QString hostAce(const QString &hostname)
{
    const QByteArray ace = QUrl::toAce(hostname.trimmed());
    return ace.isEmpty() ? hostname.trimmed() : QString::fromLatin1(ace);
}

QByteArray tokenOf(const QByteArray &in)
{
    QByteArray out;
    for (char c : in) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_')
            out += c;
    }
    return out.left(64);
}

} // namespace

QByteArray encodeHeaderValue(const QString &value, int prefixLength)
{
    const QByteArray utf8 = oneLine(value).toUtf8();
    if (isPrintableAscii(utf8))
        return foldAscii(utf8, prefixLength);
    // Encoded words of at most 75 octets: "=?UTF-8?B?" + base64 + "?=" (12 octets
    // of framing), so at most 45 input octets (60 base64) per word, never
    // splitting a UTF-8 sequence (RFC 2047 section 5).
    QByteArray out;
    int start = 0;
    bool first = true;
    while (start < utf8.size()) {
        int end = std::min<int>(int(utf8.size()), start + 45);
        while (end < utf8.size() && end > start && (static_cast<unsigned char>(utf8[end]) & 0xC0) == 0x80)
            --end;
        if (!first)
            out += "\r\n ";
        out += "=?UTF-8?B?" + utf8.mid(start, end - start).toBase64() + "?=";
        first = false;
        start = end;
    }
    Q_UNUSED(prefixLength);
    return out;
}

QByteArray quotedPrintable(const QByteArray &text)
{
    static const char hex[] = "0123456789ABCDEF";
    QByteArray out;
    const QList<QByteArray> lines = text.split('\n');
    for (int li = 0; li < lines.size(); ++li) {
        QByteArray line = lines[li];
        if (line.endsWith('\r'))
            line.chop(1);
        if (li == lines.size() - 1 && line.isEmpty())
            break; // text ended with a line break
        int column = 0;
        for (int i = 0; i < line.size(); ++i) {
            const auto c = static_cast<unsigned char>(line[i]);
            const bool last = i == line.size() - 1;
            QByteArray piece;
            if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last))
                piece = QByteArray(1, char(c));
            else
                piece = QByteArray{"="} + hex[c >> 4] + hex[c & 15];
            if (column + piece.size() > 75) {
                out += "=\r\n";
                column = 0;
            }
            out += piece;
            column += int(piece.size());
        }
        out += "\r\n";
    }
    return out;
}

QByteArray composeAlertMail(const Alert &alert, const QString &hostname, const QString &to, const QDateTime &date,
                            const QByteArray &uniqueToken)
{
    const QString host = hostAce(hostname);
    const QDateTime when = date.isValid() ? date.toUTC() : QDateTime::fromMSecsSinceEpoch(0, Qt::UTC);
    const bool isResolved = alert.resolved.isValid();
    const QString message = oneLine(alert.message);
    const QString subject = QStringLiteral("[RelayDesk] ") + (isResolved ? QStringLiteral("Resolved: ") : QString())
                            + message;

    QByteArray idPart = "alert." + QByteArray::number(alert.id) + '.'
                        + QLocale::c().toString(when, QStringLiteral("yyyyMMddhhmmsszzz")).toLatin1();
    const QByteArray token = tokenOf(uniqueToken);
    if (!token.isEmpty())
        idPart += '.' + token;

    QByteArray out;
    out += "Date: " + delivery::rfc5322Date(when) + "\r\n";
    out += "Message-ID: <" + idPart + '@' + host.toLatin1() + ">\r\n";
    out += "From: RelayDesk <postmaster@" + host.toLatin1() + ">\r\n";
    out += "To: <" + oneLine(to).toUtf8() + ">\r\n";
    out += "Subject: " + encodeHeaderValue(subject, 9) + "\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Auto-Submitted: auto-generated\r\n";
    out += "X-RelayDesk-Alert: " + QByteArray::number(alert.id) + ' '
           + tokenOf(alert.rule.toLatin1()) + ' ' + severityName(alert.severity).toLatin1() + "\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\n";

    const auto dateText = [](const QDateTime &t) {
        return QString::fromLatin1(delivery::rfc5322Date(t));
    };
    QStringList body;
    body << (isResolved ? QStringLiteral("RelayDesk on %1 resolved an alert.").arg(host)
                        : QStringLiteral("RelayDesk on %1 raised an alert.").arg(host))
         << QString()
         << QStringLiteral("Alert:     %1").arg(message)
         << QStringLiteral("Rule:      %1").arg(oneLine(alert.rule))
         << QStringLiteral("About:     %1").arg(oneLine(alert.subject))
         << QStringLiteral("Severity:  %1").arg(severityName(alert.severity))
         << QStringLiteral("Raised:    %1").arg(dateText(alert.raised));
    if (isResolved)
        body << QStringLiteral("Resolved:  %1").arg(dateText(alert.resolved));
    body << QStringLiteral("Alert id:  %1").arg(alert.id) << QString()
         << QStringLiteral("The RelayDesk dashboard lists every open alert.");
    const QByteArray text = body.join(QStringLiteral("\r\n")).toUtf8() + "\r\n";

    bool plain = true;
    for (const QByteArray &line : text.split('\n'))
        plain = plain && line.size() <= 78 && isPrintableAscii(line.endsWith('\r') ? line.chopped(1) : line);
    if (plain) {
        out += "Content-Transfer-Encoding: 7bit\r\n\r\n" + text;
    } else {
        out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + quotedPrintable(text);
    }
    return out;
}

bool buildAlertMail(const Alert &alert, const QString &hostname, const QString &to, const QDateTime &date,
                    queue::LocalMessage *out, QString *error)
{
    const QString addr = to.trimmed();
    const auto fail = [error](const QString &text) {
        if (error)
            *error = text;
        return false;
    };
    if (addr.isEmpty())
        return fail(QStringLiteral("no alert address is set (alerts.email)"));
    const int at = addr.lastIndexOf(QLatin1Char('@'));
    if (at <= 0 || at == addr.size() - 1)
        return fail(QStringLiteral("the alert address \"%1\" is not an address (local@domain)").arg(addr));
    for (const QChar c : addr) {
        if (c.unicode() <= 0x20 || c.unicode() == 0x7f || c == QLatin1Char('<') || c == QLatin1Char('>'))
            return fail(QStringLiteral("the alert address \"%1\" contains a space, a control character or "
                                       "angle brackets").arg(oneLine(addr)));
    }
    if (hostname.trimmed().isEmpty())
        return fail(QStringLiteral("the server host name is empty"));

    queue::LocalMessage m;
    m.sender.clear(); // <>: an alert that cannot be delivered does not bounce
    m.recipients = {addr.toUtf8()};
    m.origin = QStringLiteral("alert");
    m.content = composeAlertMail(alert, hostname, addr, date, QByteArray::number(alert.id, 36)
                                     + QByteArray::number(date.toMSecsSinceEpoch() % 1000003, 36));
    bool ascii = true;
    for (char c : addr.toUtf8())
        ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    m.smtpUtf8 = !ascii;
    m.eightBit = !ascii;
    if (m.smtpUtf8)
        m.mailParams = "BODY=8BITMIME SMTPUTF8";
    *out = m;
    return true;
}

} // namespace rd::alerts

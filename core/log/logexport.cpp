#include "log/logexport.h"

#include "log/logreader.h"

#include <QCoreApplication>
#include <QStringList>

namespace rd::log {

namespace {

QString csvField(const QString &value, bool text)
{
    QString v = value;
    if (text && !v.isEmpty()) {
        const QChar c = v.at(0);
        if (c == QLatin1Char('=') || c == QLatin1Char('+') || c == QLatin1Char('-') || c == QLatin1Char('@')
            || c == QLatin1Char('\t'))
            v.prepend(QLatin1Char('\''));
    }
    bool quote = false;
    for (QChar c : v) {
        if (c == QLatin1Char(',') || c == QLatin1Char('"') || c == QLatin1Char('\r') || c == QLatin1Char('\n')) {
            quote = true;
            break;
        }
    }
    if (!quote)
        return v;
    v.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + v + QLatin1Char('"');
}

QString methodOf(LogKind k)
{
    switch (k) {
    case LogKind::Session: return QStringLiteral("SESSION");
    case LogKind::Receive: return QStringLiteral("DATA");
    case LogKind::Delivery: return QStringLiteral("DELIVERY");
    case LogKind::System: return QStringLiteral("SYSTEM");
    }
    return QStringLiteral("SYSTEM");
}

QString number(qint64 n)
{
    return n > 0 ? QString::number(n) : QString();
}

} // namespace

QString csvHeader()
{
    return QStringLiteral("id,time,kind,level,session_id,direction,client_ip,client_name,user,helo,sender,"
                          "recipients,queue_id,reply_code,enhanced_code,bytes,tls_version,tls_cipher,"
                          "duration_ms,result,rule,message\r\n");
}

QString csvRow(const LogEvent &e)
{
    const QStringList f = {
        QString::number(e.id),
        e.time.toUTC().toString(Qt::ISODateWithMs),
        logKindName(e.kind),
        csvField(e.level, true),
        csvField(e.sessionId, true),
        csvField(e.direction, true),
        csvField(e.clientIp, true),
        csvField(e.clientName, true),
        csvField(e.user, true),
        csvField(e.helo, true),
        csvField(e.sender, true),
        csvField(e.recipients, true),
        csvField(e.queueId, true),
        QString::number(e.replyCode),
        csvField(e.enhancedCode, true),
        QString::number(e.bytes),
        csvField(e.tlsVersion, true),
        csvField(e.tlsCipher, true),
        QString::number(e.durationMs),
        csvField(e.result, true),
        csvField(e.rule, true),
        csvField(e.message, true),
    };
    return f.join(QLatin1Char(',')) + QStringLiteral("\r\n");
}

QString w3cField(const QString &value)
{
    if (value.isEmpty())
        return QStringLiteral("-");
    QString out;
    const QByteArray utf8 = value.toUtf8();
    for (char ch : utf8) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == ' ')
            out += QLatin1Char('+');
        else if (c < 0x21 || c > 0x7e || c == '+' || c == '%' || c == '&' || c == '=' || c == '"')
            out += QStringLiteral("%%1").arg(int(c), 2, 16, QLatin1Char('0')).toUpper();
        else
            out += QLatin1Char(char(c));
    }
    // A lone "-" would read as "empty".
    return out == QLatin1String("-") ? QStringLiteral("%2D") : out;
}

QString w3cHeader(const QDateTime &now, const QString &software)
{
    return QStringLiteral("#Software: %1\r\n#Version: 1.0\r\n#Date: %2\r\n"
                          "#Fields: date time s-sitename c-ip cs-username cs-host cs-method cs-uri-stem"
                          " cs-uri-query sc-status sc-bytes cs-bytes time-taken x-session x-direction x-result"
                          " x-rule\r\n")
        .arg(software, now.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
}

QString w3cRow(const LogEvent &e)
{
    QStringList query;
    const auto add = [&query](const char *key, const QString &value) {
        if (value.isEmpty())
            return;
        QString v;
        for (char ch : value.toUtf8()) {
            const auto c = static_cast<unsigned char>(ch);
            if (c <= 0x20 || c > 0x7e || c == '+' || c == '%' || c == '&' || c == '=' || c == '"')
                v += QStringLiteral("%%1").arg(int(c), 2, 16, QLatin1Char('0')).toUpper();
            else
                v += QLatin1Char(char(c));
        }
        query << QLatin1String(key) + QLatin1Char('=') + v;
    };
    add("from", e.sender);
    add("to", e.recipients);
    add("esc", e.enhancedCode);
    add("tls", e.tlsVersion);
    add("cipher", e.tlsCipher);
    add("msg", e.message);
    const bool out = e.direction == QLatin1String("out");
    const QDateTime t = e.time.toUTC();
    const QStringList f = {
        t.toString(QStringLiteral("yyyy-MM-dd")),
        t.toString(QStringLiteral("HH:mm:ss")),
        QStringLiteral("RelayDesk"),
        w3cField(e.clientIp),
        w3cField(e.user),
        w3cField(e.helo),
        methodOf(e.kind),
        w3cField(e.queueId),
        query.isEmpty() ? QStringLiteral("-") : query.join(QLatin1Char('&')),
        w3cField(e.replyCode > 0 ? QString::number(e.replyCode) : QString()),
        w3cField(out ? number(e.bytes) : QString()),
        w3cField(out ? QString() : number(e.bytes)),
        QString::number(e.durationMs),
        w3cField(e.sessionId),
        w3cField(e.direction),
        w3cField(e.result),
        w3cField(e.rule),
    };
    return f.join(QLatin1Char(' ')) + QStringLiteral("\r\n");
}

ExportResult exportLog(const LogReader &reader, const LogFilter &filter, ExportFormat format, QIODevice *out,
                       const std::function<bool(qint64)> &progress, int chunkRows)
{
    ExportResult r;
    const auto write = [&](const QString &text) {
        const QByteArray bytes = text.toUtf8();
        if (out->write(bytes) != bytes.size()) {
            r.error = QStringLiteral("cannot write the export: %1").arg(out->errorString());
            return false;
        }
        return true;
    };
    QString software = QStringLiteral("RelayDesk");
    if (!QCoreApplication::applicationVersion().isEmpty())
        software += QLatin1Char(' ') + QCoreApplication::applicationVersion();
    if (!write(format == ExportFormat::Csv ? csvHeader() : w3cHeader(QDateTime::currentDateTimeUtc(), software)))
        return r;
    LogCursor cursor;
    for (;;) {
        const LogPage page = reader.oldest(filter, chunkRows, cursor);
        if (!page.error.isEmpty()) {
            r.error = page.error;
            return r;
        }
        QString chunk;
        for (const LogEvent &e : page.rows)
            chunk += format == ExportFormat::Csv ? csvRow(e) : w3cRow(e);
        if (!write(chunk))
            return r;
        r.rows += page.rows.size();
        cursor = page.next;
        if (progress && !progress(r.rows)) {
            r.cancelled = true;
            return r;
        }
        if (page.atEnd)
            return r;
    }
}

} // namespace rd::log

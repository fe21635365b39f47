#include "log/logtypes.h"

namespace rd::log {

QString logKindName(LogKind k)
{
    switch (k) {
    case LogKind::Session:
        return QStringLiteral("session");
    case LogKind::Receive:
        return QStringLiteral("receive");
    case LogKind::Delivery:
        return QStringLiteral("delivery");
    case LogKind::System:
        return QStringLiteral("system");
    }
    return QStringLiteral("unknown");
}

namespace {

void append(QString &out, const char *key, const QString &value)
{
    if (value.isEmpty())
        return;
    out += QLatin1Char(' ');
    out += QLatin1String(key);
    out += QLatin1Char('=');
    bool quote = false;
    for (QChar c : value) {
        if (c.isSpace() || c == QLatin1Char('"') || c == QLatin1Char('=') || c.unicode() < 0x20) {
            quote = true;
            break;
        }
    }
    if (!quote) {
        out += value;
        return;
    }
    out += QLatin1Char('"');
    for (QChar c : value) {
        if (c == QLatin1Char('"') || c == QLatin1Char('\\'))
            out += QLatin1Char('\\');
        if (c.unicode() < 0x20)
            out += QLatin1Char(' ');
        else
            out += c;
    }
    out += QLatin1Char('"');
}

} // namespace

QString LogEvent::toKeyValueLine() const
{
    QString out = QStringLiteral("ts=") + time.toString(Qt::ISODateWithMs);
    append(out, "level", level);
    append(out, "kind", logKindName(kind));
    append(out, "session", sessionId);
    append(out, "dir", direction);
    append(out, "client", clientIp);
    append(out, "client_name", clientName);
    append(out, "user", user);
    append(out, "helo", helo);
    append(out, "from", sender);
    append(out, "to", recipients);
    append(out, "qid", queueId);
    if (replyCode)
        append(out, "code", QString::number(replyCode));
    append(out, "esc", enhancedCode);
    if (bytes)
        append(out, "bytes", QString::number(bytes));
    append(out, "tls", tlsVersion);
    append(out, "cipher", tlsCipher);
    if (durationMs)
        append(out, "duration_ms", QString::number(durationMs));
    append(out, kind == LogKind::System ? "event" : "result", result);
    append(out, "rule", rule);
    append(out, "msg", message);
    return out;
}

bool LogFilter::isEmpty() const
{
    return text.trimmed().isEmpty() && search.trimmed().isEmpty() && ip.trimmed().isEmpty()
        && user.isEmpty() && sender.trimmed().isEmpty() && recipient.trimmed().isEmpty() && statusClass == 0
        && direction.isEmpty() && kind < 0 && sessionId.isEmpty() && !from.isValid() && !to.isValid();
}

} // namespace rd::log

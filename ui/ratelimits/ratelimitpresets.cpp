#include "ratelimits/ratelimitpresets.h"

namespace rd::ui {

using rd::config::LimitMetric;
using rd::config::LimitScope;
using rd::config::RateLimitRule;

namespace {

RateLimitRule rule(LimitScope scope, const QString &subject, LimitMetric metric, int window, int maximum,
                   const QString &comment)
{
    RateLimitRule r;
    r.scope = scope;
    r.subject = subject;
    r.metric = metric;
    r.windowSeconds = window;
    r.maximum = maximum;
    r.comment = comment;
    return r;
}

// The first connector whose smart hosts contain one of `hosts`, else `fallback`.
QString connectorFor(const QList<rd::config::SendConnectorConfig> &connectors, const QStringList &hosts,
                     const QString &fallback)
{
    for (const auto &c : connectors) {
        for (const QString &h : c.smartHosts) {
            for (const QString &needle : hosts) {
                if (h.contains(needle, Qt::CaseInsensitive))
                    return c.name;
            }
        }
    }
    return fallback;
}

} // namespace

QList<RateLimitPreset> RateLimitPresets::all(const QList<rd::config::SendConnectorConfig> &connectors)
{
    const QString m365 = connectorFor(connectors, {QStringLiteral("office365.com"), QStringLiteral("outlook.com")},
                                      QStringLiteral("microsoft365"));
    const QString google = connectorFor(connectors, {QStringLiteral("gmail.com"), QStringLiteral("smtp-relay.gmail")},
                                        QStringLiteral("gmail"));
    QList<RateLimitPreset> out;
    out << RateLimitPreset{
        tr("Printers and apps: 60 messages/minute per client IP"),
        tr("A scanner or an application rarely sends more than one message a second; a runaway script or an "
           "infected PC is stopped after a minute's worth."),
        {rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Messages, 60, 60,
              tr("Printers and apps"))}};
    out << RateLimitPreset{
        tr("Authenticated users: 500 messages/hour"),
        tr("A person sends far fewer; a stolen password used for spam hits this within minutes."),
        {rule(LimitScope::User, QStringLiteral("*"), LimitMetric::Messages, 3600, 500, tr("Authenticated users"))}};
    out << RateLimitPreset{
        tr("Outbound to Microsoft 365: 30 messages/minute per connector"),
        tr("Exchange Online accepts 30 messages per minute and 10,000 recipients per day from one mailbox; "
           "beyond that it refuses mail and may block the mailbox. Mail over these limits waits in the queue. "
           "Throttling counts messages, so keep recipients per message low to stay under the recipient limit."),
        {rule(LimitScope::Connector, m365, LimitMetric::Messages, 60, 30,
              tr("Exchange Online: 30 messages per minute per mailbox")),
         rule(LimitScope::Connector, m365, LimitMetric::Messages, 86400, 10000,
              tr("Exchange Online: 10,000 recipients per day per mailbox (every message has at least one)"))}};
    out << RateLimitPreset{
        tr("Outbound to Google Workspace: 2,000 messages/day per connector"),
        tr("A Google Workspace account may send about 2,000 messages a day (500 for trial and consumer Gmail "
           "accounts); mail over the limit waits in the queue."),
        {rule(LimitScope::Connector, google, LimitMetric::Messages, 86400, 2000,
              tr("Google Workspace: 2,000 messages per day per user"))}};
    out << RateLimitPreset{
        tr("Recipients: 1,000 per hour per client IP"),
        tr("Stops one device from spraying a long address list while ordinary mail flows."),
        {rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Recipients, 3600, 1000,
              tr("Recipient spray guard"))}};
    out << RateLimitPreset{
        tr("Connections: 120 per minute per client IP"),
        tr("Slows down clients that reconnect in a loop (misconfigured devices, password guessing)."),
        {rule(LimitScope::ClientIp, QStringLiteral("*"), LimitMetric::Connections, 60, 120,
              tr("Reconnect loops"))}};
    out << RateLimitPreset{
        tr("Envelope senders: 200 messages/hour per sender address"),
        tr("Limits one From address however many clients or accounts use it."),
        {rule(LimitScope::Sender, QStringLiteral("*"), LimitMetric::Messages, 3600, 200, tr("Per sender address"))}};
    out << RateLimitPreset{
        tr("Destination domains: 5 connections at once per domain"),
        tr("Large receivers (Gmail, Outlook.com) defer senders that open many parallel connections."),
        {rule(LimitScope::Domain, QStringLiteral("*"), LimitMetric::Concurrent, 60, 5,
              tr("Be gentle with receiving servers"))}};
    out << RateLimitPreset{
        tr("Exempt this server's own applications (127.0.0.1)"),
        tr("Unlimited messages per minute for programs on this machine; overrides the \u201c*\u201d client IP "
           "limit."),
        {rule(LimitScope::ClientIp, QStringLiteral("127.0.0.1"), LimitMetric::Messages, 60, 0,
              tr("Local applications"))}};
    return out;
}

} // namespace rd::ui

#pragma once
// Abuse-control configuration: rate limits and outbound throttles, DNSBL zones
// with the meaning of their answer codes, and content rules. Value types,
// validation, JSON and config.db rows (schema v8: rate_limits, dnsbl_zones,
// content_rules); no I/O beyond the given database. The engine's policy code
// (core/policy/) evaluates them; the GUI edits them in a ConfigSnapshot.

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

class QSqlDatabase;

namespace rd::config {

// ---- Rate limits and outbound throttling ----

// Who a limit counts. Inbound (checked in SMTP sessions): ClientIp, User
// (authenticated user), Sender (envelope sender address). Outbound (checked by
// delivery; mail waits in the queue, never refused): Connector, Domain.
enum class LimitScope { ClientIp, User, Sender, Connector, Domain };

// What a limit counts.
//  Messages:    MAIL commands accepted (inbound) / messages started (outbound)
//  Recipients:  RCPT commands accepted (inbound only)
//  Connections: new connections per window (ClientIp only)
//  Concurrent:  sessions open at once (ClientIp) / connections open at once
//               (Connector, Domain); windowSeconds is ignored
enum class LimitMetric { Messages, Recipients, Connections, Concurrent };

struct RateLimitRule {
    LimitScope scope = LimitScope::ClientIp;
    // "*": every client IP / user / sender / connector / domain counted
    // separately against `maximum`. Otherwise a specific subject that
    // overrides "*" for the same scope, metric and window: an IP or CIDR
    // (ClientIp), a user name (User), an address or "@domain" (Sender), a
    // connector name (Connector), a domain (Domain). Case-insensitive.
    QString subject = QStringLiteral("*");
    LimitMetric metric = LimitMetric::Messages;
    int windowSeconds = 60;  // 60, 3600 or 86400 (minute, hour, day)
    int maximum = 100;       // 0: unlimited (an exemption for a specific subject)
    bool enabled = true;
    QString comment;

    bool operator==(const RateLimitRule &) const = default;
};

QString limitScopeName(LimitScope s);     // "client_ip", "user", "sender", "connector", "domain"
QString limitMetricName(LimitMetric m);   // "messages", "recipients", "connections", "concurrent"
bool parseLimitScope(const QString &name, LimitScope *out);
bool parseLimitMetric(const QString &name, LimitMetric *out);
bool isOutboundScope(LimitScope s);
// "100 messages per minute per client IP", "10 concurrent sessions per client IP
// 10.0.0.5", for replies, logs and the GUI.
QString describeRateLimit(const RateLimitRule &rule);

// Problems, each naming the rule by its 1-based position: scope/metric
// combination, window, subject syntax (a CIDR for ClientIp), maximum >= 0,
// duplicates (same scope, subject, metric, window).
QStringList validateRateLimits(const QList<RateLimitRule> &rules);

// ---- DNSBL ----

struct DnsblZone {
    QString zone;       // e.g. "zen.spamhaus.org" (no leading/trailing dot)
    // Which answers list a client and what they mean: "127.0.0.2=SBL spam
    // source; 127.0.0.4-127.0.0.7=XBL exploited host". Empty: any 127.0.0.0/8
    // answer lists the client (the meaning is then "listed").
    QString codes;
    bool enabled = true;

    bool operator==(const DnsblZone &) const = default;
};

struct DnsblCode {
    quint32 first = 0;  // IPv4 range, host order, inclusive
    quint32 last = 0;
    QString meaning;
};

// Parses DnsblZone::codes. Empty text gives an empty list (any answer).
bool parseDnsblCodes(const QString &text, QList<DnsblCode> *out, QString *error);
QStringList validateDnsblZones(const QList<DnsblZone> &zones);

// ---- Content rules ----

// What a rule looks at.
//  Sender, Recipient: the envelope addresses (at MAIL / RCPT)
//  Header:     the value of the header field named by `field` (every occurrence),
//              after RFC 2047 decoding
//  Body:       the decoded text of text/* parts (transfer encoding undone)
//  Attachment: file names of MIME parts (Content-Disposition filename or
//              Content-Type name, RFC 2231/2047 decoded), nested multiparts included
//  Size:       the message size in octets; pattern is the maximum (a decimal)
enum class RuleTarget { Sender, Recipient, Header, Body, Attachment, Size };

// How `pattern` is matched.
//  Contains:  case-insensitive substring (Header, Body)
//  Regex:     QRegularExpression, case-insensitive (Sender, Recipient, Header, Body, Attachment)
//  Address:   comma-separated exact addresses, case-insensitive (Sender, Recipient)
//  Domain:    comma-separated domains; each matches itself and its subdomains (Sender, Recipient)
//  Extension: comma-separated file name extensions without dots, e.g. "exe,js,vbs" (Attachment)
//  Greater:   the size is greater than pattern (Size)
enum class RuleMatch { Contains, Regex, Address, Domain, Extension, Greater };

// What happens when a rule matches (the first matching enabled rule wins).
//  Reject:    550 5.7.1 with the rule's name (at MAIL/RCPT for envelope rules,
//             after DATA for the others)
//  Hold:      accepted and kept on hold in the queue for an admin to review
//  AddHeader: accepted with actionArg ("X-Name: value") added on top
//  Accept:    accepted; later rules are not evaluated (an exception)
enum class RuleAction { Reject, Hold, AddHeader, Accept };

struct ContentRule {
    QString name;       // unique, shown in replies and logs
    RuleTarget target = RuleTarget::Sender;
    QString field;      // Header: the field name (e.g. "Subject"); else empty
    RuleMatch match = RuleMatch::Domain;
    QString pattern;
    RuleAction action = RuleAction::Reject;
    QString actionArg;  // AddHeader: "Name: value"
    bool enabled = true;

    bool operator==(const ContentRule &) const = default;
};

QString ruleTargetName(RuleTarget t);   // "sender", "recipient", "header", "body", "attachment", "size"
QString ruleMatchName(RuleMatch m);     // "contains", "regex", "address", "domain", "extension", "greater"
QString ruleActionName(RuleAction a);   // "reject", "hold", "add_header", "accept"
bool parseRuleTarget(const QString &name, RuleTarget *out);
bool parseRuleMatch(const QString &name, RuleMatch *out);
bool parseRuleAction(const QString &name, RuleAction *out);

// Problems, each naming the rule: names unique and non-empty, target/match
// combination, a regex that compiles, a header field name, a size, an
// AddHeader argument of the form "Name: value" with a valid field name.
QStringList validateContentRules(const QList<ContentRule> &rules);

// ---- JSON ("rate_limits", "dnsbl_zones", "content_rules" in docs/CONFIG.md) ----

RateLimitRule rateLimitFromJson(const QJsonObject &o, const QString &where, QStringList *errors);
QJsonObject rateLimitToJson(const RateLimitRule &r);
DnsblZone dnsblZoneFromJson(const QJsonObject &o, const QString &where, QStringList *errors);
QJsonObject dnsblZoneToJson(const DnsblZone &z);
ContentRule contentRuleFromJson(const QJsonObject &o, const QString &where, QStringList *errors);
QJsonObject contentRuleToJson(const ContentRule &r);

// ---- config.db rows (schema v8), in list order ----

bool loadRateLimits(QSqlDatabase &db, QList<RateLimitRule> *out, QString *error);
bool saveRateLimits(QSqlDatabase &db, const QList<RateLimitRule> &rules, QString *error);
bool loadDnsblZones(QSqlDatabase &db, QList<DnsblZone> *out, QString *error);
bool saveDnsblZones(QSqlDatabase &db, const QList<DnsblZone> &zones, QString *error);
bool loadContentRules(QSqlDatabase &db, QList<ContentRule> *out, QString *error);
bool saveContentRules(QSqlDatabase &db, const QList<ContentRule> &rules, QString *error);

} // namespace rd::config

#include "config/policyconfig.h"

#include "storage/database.h"
#include "util/cidr.h"

#include <QHostAddress>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

namespace rd::config {
namespace {

template <typename E>
struct NameTable {
    E value;
    const char *name;
};

constexpr NameTable<LimitScope> kScopes[] = {
    {LimitScope::ClientIp, "client_ip"}, {LimitScope::User, "user"},     {LimitScope::Sender, "sender"},
    {LimitScope::Connector, "connector"}, {LimitScope::Domain, "domain"},
};
constexpr NameTable<LimitMetric> kMetrics[] = {
    {LimitMetric::Messages, "messages"},
    {LimitMetric::Recipients, "recipients"},
    {LimitMetric::Connections, "connections"},
    {LimitMetric::Concurrent, "concurrent"},
};
constexpr NameTable<RuleTarget> kTargets[] = {
    {RuleTarget::Sender, "sender"}, {RuleTarget::Recipient, "recipient"},   {RuleTarget::Header, "header"},
    {RuleTarget::Body, "body"},     {RuleTarget::Attachment, "attachment"}, {RuleTarget::Size, "size"},
};
constexpr NameTable<RuleMatch> kMatches[] = {
    {RuleMatch::Contains, "contains"}, {RuleMatch::Regex, "regex"},         {RuleMatch::Address, "address"},
    {RuleMatch::Domain, "domain"},     {RuleMatch::Extension, "extension"}, {RuleMatch::Greater, "greater"},
};
constexpr NameTable<RuleAction> kActions[] = {
    {RuleAction::Reject, "reject"},
    {RuleAction::Hold, "hold"},
    {RuleAction::AddHeader, "add_header"},
    {RuleAction::Accept, "accept"},
};

template <typename E, size_t N>
QString nameOf(const NameTable<E> (&table)[N], E v)
{
    for (const auto &row : table) {
        if (row.value == v)
            return QString::fromLatin1(row.name);
    }
    return QString();
}

template <typename E, size_t N>
bool parseName(const NameTable<E> (&table)[N], const QString &name, E *out)
{
    const QString n = name.trimmed().toLower();
    for (const auto &row : table) {
        if (n == QLatin1String(row.name)) {
            *out = row.value;
            return true;
        }
    }
    return false;
}

QString windowName(int seconds)
{
    switch (seconds) {
    case 60: return QStringLiteral("minute");
    case 3600: return QStringLiteral("hour");
    case 86400: return QStringLiteral("day");
    default: return QStringLiteral("%1 seconds").arg(seconds);
    }
}

QString scopeText(LimitScope s)
{
    switch (s) {
    case LimitScope::ClientIp: return QStringLiteral("client IP");
    case LimitScope::User: return QStringLiteral("user");
    case LimitScope::Sender: return QStringLiteral("sender");
    case LimitScope::Connector: return QStringLiteral("send connector");
    case LimitScope::Domain: return QStringLiteral("destination domain");
    }
    return QString();
}

bool validDomain(QStringView d)
{
    if (d.isEmpty() || d.size() > 253)
        return false;
    for (QStringView label : d.split(QLatin1Char('.'))) {
        if (label.isEmpty() || label.size() > 63 || label.startsWith(QLatin1Char('-')) || label.endsWith(QLatin1Char('-')))
            return false;
        for (QChar c : label) {
            if (!(c.isLetterOrNumber() || c == QLatin1Char('-') || c == QLatin1Char('_')))
                return false;
        }
    }
    return true;
}

bool validAddress(const QString &a)
{
    const qsizetype at = a.lastIndexOf(QLatin1Char('@'));
    return at > 0 && at < a.size() - 1 && !a.contains(QLatin1Char(' ')) && validDomain(QStringView(a).mid(at + 1));
}

// RFC 5322 field-name: printable ASCII except colon.
bool validFieldName(const QString &name)
{
    if (name.isEmpty() || name.size() > 76)
        return false;
    for (QChar c : name) {
        if (c.unicode() < 33 || c.unicode() > 126 || c == QLatin1Char(':'))
            return false;
    }
    return true;
}

QStringList commaList(const QString &text)
{
    QStringList out;
    for (const QString &p : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString t = p.trimmed();
        if (!t.isEmpty())
            out << t;
    }
    return out;
}

bool parseIpv4(const QString &text, quint32 *out)
{
    QHostAddress a;
    if (!a.setAddress(text.trimmed()) || a.protocol() != QAbstractSocket::IPv4Protocol)
        return false;
    *out = a.toIPv4Address();
    return true;
}

QString jsonString(const QJsonObject &o, const char *key, const QString &where, QStringList *errors,
                   const QString &fallback = QString())
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull())
        return fallback;
    if (!v.isString()) {
        errors->append(QStringLiteral("%1: \"%2\" must be a string").arg(where, QLatin1String(key)));
        return fallback;
    }
    return v.toString();
}

int jsonInt(const QJsonObject &o, const char *key, const QString &where, QStringList *errors, int fallback)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull())
        return fallback;
    if (!v.isDouble() || v.toDouble() != double(qint64(v.toDouble())) || v.toDouble() < -2147483648.0
        || v.toDouble() > 2147483647.0) {
        errors->append(QStringLiteral("%1: \"%2\" must be an integer").arg(where, QLatin1String(key)));
        return fallback;
    }
    return v.toInt();
}

bool jsonBool(const QJsonObject &o, const char *key, const QString &where, QStringList *errors, bool fallback)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull())
        return fallback;
    if (!v.isBool()) {
        errors->append(QStringLiteral("%1: \"%2\" must be true or false").arg(where, QLatin1String(key)));
        return fallback;
    }
    return v.toBool();
}

bool execOrFail(QSqlQuery &q, QString *error)
{
    if (q.exec())
        return true;
    if (error)
        *error = q.lastError().text();
    return false;
}

} // namespace

// ---- names ----

QString limitScopeName(LimitScope s) { return nameOf(kScopes, s); }
QString limitMetricName(LimitMetric m) { return nameOf(kMetrics, m); }
bool parseLimitScope(const QString &name, LimitScope *out) { return parseName(kScopes, name, out); }
bool parseLimitMetric(const QString &name, LimitMetric *out) { return parseName(kMetrics, name, out); }
QString ruleTargetName(RuleTarget t) { return nameOf(kTargets, t); }
QString ruleMatchName(RuleMatch m) { return nameOf(kMatches, m); }
QString ruleActionName(RuleAction a) { return nameOf(kActions, a); }
bool parseRuleTarget(const QString &name, RuleTarget *out) { return parseName(kTargets, name, out); }
bool parseRuleMatch(const QString &name, RuleMatch *out) { return parseName(kMatches, name, out); }
bool parseRuleAction(const QString &name, RuleAction *out) { return parseName(kActions, name, out); }

bool isOutboundScope(LimitScope s)
{
    return s == LimitScope::Connector || s == LimitScope::Domain;
}

QString describeRateLimit(const RateLimitRule &rule)
{
    const bool each = rule.subject.trimmed() == QLatin1String("*");
    const QString who = each ? QStringLiteral("per %1").arg(scopeText(rule.scope))
                             : QStringLiteral("for %1 %2").arg(scopeText(rule.scope), rule.subject.trimmed());
    if (rule.maximum == 0)
        return QStringLiteral("no %1 limit %2").arg(limitMetricName(rule.metric), who);
    if (rule.metric == LimitMetric::Concurrent) {
        const QString what = isOutboundScope(rule.scope) ? QStringLiteral("concurrent connections")
                                                         : QStringLiteral("concurrent sessions");
        return QStringLiteral("%1 %2 %3").arg(rule.maximum).arg(what, who);
    }
    return QStringLiteral("%1 %2 per %3 %4").arg(rule.maximum).arg(limitMetricName(rule.metric),
                                                                  windowName(rule.windowSeconds), who);
}

// ---- validation ----

QStringList validateRateLimits(const QList<RateLimitRule> &rules)
{
    QStringList errors;
    QSet<QString> seen;
    for (int i = 0; i < rules.size(); ++i) {
        const RateLimitRule &r = rules.at(i);
        const QString where = QStringLiteral("rate limit %1").arg(i + 1);
        const bool outbound = isOutboundScope(r.scope);
        switch (r.metric) {
        case LimitMetric::Messages:
            break;
        case LimitMetric::Recipients:
            if (outbound)
                errors << QStringLiteral("%1: recipients are limited for client IPs, users and senders, not for "
                                         "%2").arg(where, scopeText(r.scope));
            break;
        case LimitMetric::Connections:
            if (r.scope != LimitScope::ClientIp)
                errors << QStringLiteral("%1: new connections per window are counted per client IP only").arg(where);
            break;
        case LimitMetric::Concurrent:
            if (r.scope == LimitScope::User || r.scope == LimitScope::Sender)
                errors << QStringLiteral("%1: concurrent limits apply to client IPs, connectors and domains").arg(where);
            break;
        }
        if (r.metric != LimitMetric::Concurrent && r.windowSeconds != 60 && r.windowSeconds != 3600
            && r.windowSeconds != 86400)
            errors << QStringLiteral("%1: the window must be a minute, an hour or a day (60, 3600 or 86400 "
                                     "seconds)").arg(where);
        if (r.maximum < 0 || r.maximum > 100000000)
            errors << QStringLiteral("%1: the maximum must be between 0 (unlimited) and 100000000").arg(where);
        const QString subject = r.subject.trimmed();
        if (subject.isEmpty()) {
            errors << QStringLiteral("%1: the subject is empty (use * for each %2)").arg(where, scopeText(r.scope));
        } else if (subject != QLatin1String("*")) {
            QString why;
            util::CidrRange range;
            switch (r.scope) {
            case LimitScope::ClientIp:
                if (!util::parseCidr(subject, &range, &why))
                    errors << QStringLiteral("%1: subject \"%2\": %3").arg(where, subject, why);
                break;
            case LimitScope::User:
                if (subject.contains(QLatin1Char(' ')))
                    errors << QStringLiteral("%1: user \"%2\" contains a space").arg(where, subject);
                break;
            case LimitScope::Sender:
                if (subject.startsWith(QLatin1Char('@')) ? !validDomain(QStringView(subject).mid(1)) : !validAddress(subject))
                    errors << QStringLiteral("%1: sender \"%2\" is neither an address nor @domain").arg(where, subject);
                break;
            case LimitScope::Connector:
                break;
            case LimitScope::Domain:
                if (!validDomain(subject))
                    errors << QStringLiteral("%1: \"%2\" is not a domain name").arg(where, subject);
                break;
            }
        }
        const QString key = QStringLiteral("%1|%2|%3|%4")
                                .arg(limitScopeName(r.scope), subject.toLower(), limitMetricName(r.metric))
                                .arg(r.metric == LimitMetric::Concurrent ? 0 : r.windowSeconds);
        if (seen.contains(key))
            errors << QStringLiteral("%1: the same limit (%2) is already defined above").arg(where, describeRateLimit(r));
        seen.insert(key);
    }
    return errors;
}

bool parseDnsblCodes(const QString &text, QList<DnsblCode> *out, QString *error)
{
    out->clear();
    const QStringList items = text.split(QRegularExpression(QStringLiteral("[;\\n]")), Qt::SkipEmptyParts);
    for (const QString &raw : items) {
        const QString item = raw.trimmed();
        if (item.isEmpty())
            continue;
        const qsizetype eq = item.indexOf(QLatin1Char('='));
        const QString range = (eq < 0 ? item : item.left(eq)).trimmed();
        DnsblCode code;
        code.meaning = eq < 0 ? QString() : item.mid(eq + 1).trimmed();
        const qsizetype dash = range.indexOf(QLatin1Char('-'));
        const QString first = dash < 0 ? range : range.left(dash);
        const QString last = dash < 0 ? range : range.mid(dash + 1);
        if (!parseIpv4(first, &code.first) || !parseIpv4(last, &code.last)) {
            *error = QStringLiteral("\"%1\" is not an IPv4 answer or range (e.g. 127.0.0.2 or 127.0.0.4-127.0.0.7)")
                         .arg(range);
            return false;
        }
        if (code.last < code.first) {
            *error = QStringLiteral("\"%1\": the range ends before it starts").arg(range);
            return false;
        }
        if ((code.first >> 24) != 127 || (code.last >> 24) != 127) {
            *error = QStringLiteral("\"%1\": block list answers are in 127.0.0.0/8").arg(range);
            return false;
        }
        if (code.meaning.isEmpty())
            code.meaning = QStringLiteral("listed");
        out->append(code);
    }
    return true;
}

QStringList validateDnsblZones(const QList<DnsblZone> &zones)
{
    QStringList errors;
    QSet<QString> seen;
    for (int i = 0; i < zones.size(); ++i) {
        const DnsblZone &z = zones.at(i);
        const QString zone = z.zone.trimmed().toLower();
        const QString where = QStringLiteral("DNS block list %1 (%2)").arg(i + 1).arg(zone.isEmpty() ? QStringLiteral("no zone") : zone);
        if (!validDomain(zone) || !zone.contains(QLatin1Char('.')))
            errors << QStringLiteral("%1: \"%2\" is not a DNS zone name").arg(where, z.zone);
        if (seen.contains(zone))
            errors << QStringLiteral("%1: listed twice").arg(where);
        seen.insert(zone);
        QList<DnsblCode> codes;
        QString why;
        if (!parseDnsblCodes(z.codes, &codes, &why))
            errors << QStringLiteral("%1: codes: %2").arg(where, why);
    }
    return errors;
}

QStringList validateContentRules(const QList<ContentRule> &rules)
{
    QStringList errors;
    QSet<QString> names;
    for (int i = 0; i < rules.size(); ++i) {
        const ContentRule &r = rules.at(i);
        const QString name = r.name.trimmed();
        const QString where = QStringLiteral("content rule %1 (%2)").arg(i + 1).arg(name.isEmpty() ? QStringLiteral("no name") : name);
        if (name.isEmpty())
            errors << QStringLiteral("%1: the name is empty").arg(where);
        else if (names.contains(name.toLower()))
            errors << QStringLiteral("%1: another rule has the same name").arg(where);
        names.insert(name.toLower());

        bool matchOk = false;
        switch (r.target) {
        case RuleTarget::Sender:
        case RuleTarget::Recipient:
            matchOk = r.match == RuleMatch::Address || r.match == RuleMatch::Domain || r.match == RuleMatch::Regex;
            break;
        case RuleTarget::Header:
        case RuleTarget::Body:
            matchOk = r.match == RuleMatch::Contains || r.match == RuleMatch::Regex;
            break;
        case RuleTarget::Attachment:
            matchOk = r.match == RuleMatch::Extension || r.match == RuleMatch::Regex;
            break;
        case RuleTarget::Size:
            matchOk = r.match == RuleMatch::Greater;
            break;
        }
        if (!matchOk)
            errors << QStringLiteral("%1: \"%2\" cannot be matched with \"%3\"")
                          .arg(where, ruleTargetName(r.target), ruleMatchName(r.match));
        if (r.target == RuleTarget::Header && !validFieldName(r.field.trimmed()))
            errors << QStringLiteral("%1: \"%2\" is not a header field name").arg(where, r.field);
        if (r.pattern.trimmed().isEmpty()) {
            errors << QStringLiteral("%1: the pattern is empty").arg(where);
        } else if (matchOk) {
            switch (r.match) {
            case RuleMatch::Regex: {
                const QRegularExpression re(r.pattern);
                if (!re.isValid())
                    errors << QStringLiteral("%1: regular expression error at offset %2: %3")
                                  .arg(where).arg(re.patternErrorOffset()).arg(re.errorString());
                break;
            }
            case RuleMatch::Address:
                for (const QString &a : commaList(r.pattern)) {
                    if (!validAddress(a))
                        errors << QStringLiteral("%1: \"%2\" is not an e-mail address").arg(where, a);
                }
                break;
            case RuleMatch::Domain:
                for (QString d : commaList(r.pattern)) {
                    if (d.startsWith(QLatin1Char('@')))
                        d.remove(0, 1);
                    if (!validDomain(d))
                        errors << QStringLiteral("%1: \"%2\" is not a domain name").arg(where, d);
                }
                break;
            case RuleMatch::Extension:
                for (QString e : commaList(r.pattern)) {
                    if (e.startsWith(QLatin1Char('.')))
                        e.remove(0, 1);
                    if (e.isEmpty() || e.contains(QLatin1Char('.')) || e.contains(QLatin1Char('/'))
                        || e.contains(QLatin1Char(' ')))
                        errors << QStringLiteral("%1: \"%2\" is not a file name extension").arg(where, e);
                }
                break;
            case RuleMatch::Greater: {
                bool ok = false;
                const qint64 n = r.pattern.trimmed().toLongLong(&ok);
                if (!ok || n <= 0)
                    errors << QStringLiteral("%1: the size must be a positive number of octets").arg(where);
                break;
            }
            case RuleMatch::Contains:
                break;
            }
        }
        if (r.action == RuleAction::AddHeader) {
            const QString arg = r.actionArg.trimmed();
            const qsizetype colon = arg.indexOf(QLatin1Char(':'));
            if (colon <= 0 || !validFieldName(arg.left(colon).trimmed()) || arg.left(colon).trimmed() != arg.left(colon)
                || arg.contains(QLatin1Char('\r')) || arg.contains(QLatin1Char('\n')))
                errors << QStringLiteral("%1: the header to add must be \"Name: value\" on one line").arg(where);
        }
    }
    return errors;
}

// ---- JSON ----

RateLimitRule rateLimitFromJson(const QJsonObject &o, const QString &where, QStringList *errors)
{
    RateLimitRule r;
    const QString scope = jsonString(o, "scope", where, errors, limitScopeName(r.scope));
    if (!parseLimitScope(scope, &r.scope))
        errors->append(QStringLiteral("%1: unknown scope \"%2\"").arg(where, scope));
    const QString metric = jsonString(o, "metric", where, errors, limitMetricName(r.metric));
    if (!parseLimitMetric(metric, &r.metric))
        errors->append(QStringLiteral("%1: unknown metric \"%2\"").arg(where, metric));
    r.subject = jsonString(o, "subject", where, errors, r.subject);
    r.windowSeconds = jsonInt(o, "window_s", where, errors, r.windowSeconds);
    r.maximum = jsonInt(o, "maximum", where, errors, r.maximum);
    r.enabled = jsonBool(o, "enabled", where, errors, r.enabled);
    r.comment = jsonString(o, "comment", where, errors);
    return r;
}

QJsonObject rateLimitToJson(const RateLimitRule &r)
{
    return QJsonObject{{QStringLiteral("scope"), limitScopeName(r.scope)},
                       {QStringLiteral("subject"), r.subject},
                       {QStringLiteral("metric"), limitMetricName(r.metric)},
                       {QStringLiteral("window_s"), r.windowSeconds},
                       {QStringLiteral("maximum"), r.maximum},
                       {QStringLiteral("enabled"), r.enabled},
                       {QStringLiteral("comment"), r.comment}};
}

DnsblZone dnsblZoneFromJson(const QJsonObject &o, const QString &where, QStringList *errors)
{
    DnsblZone z;
    z.zone = jsonString(o, "zone", where, errors);
    z.codes = jsonString(o, "codes", where, errors);
    z.enabled = jsonBool(o, "enabled", where, errors, z.enabled);
    return z;
}

QJsonObject dnsblZoneToJson(const DnsblZone &z)
{
    return QJsonObject{{QStringLiteral("zone"), z.zone},
                       {QStringLiteral("codes"), z.codes},
                       {QStringLiteral("enabled"), z.enabled}};
}

ContentRule contentRuleFromJson(const QJsonObject &o, const QString &where, QStringList *errors)
{
    ContentRule r;
    r.name = jsonString(o, "name", where, errors);
    const QString target = jsonString(o, "target", where, errors, ruleTargetName(r.target));
    if (!parseRuleTarget(target, &r.target))
        errors->append(QStringLiteral("%1: unknown target \"%2\"").arg(where, target));
    r.field = jsonString(o, "field", where, errors);
    const QString match = jsonString(o, "match", where, errors, ruleMatchName(r.match));
    if (!parseRuleMatch(match, &r.match))
        errors->append(QStringLiteral("%1: unknown match \"%2\"").arg(where, match));
    r.pattern = jsonString(o, "pattern", where, errors);
    const QString action = jsonString(o, "action", where, errors, ruleActionName(r.action));
    if (!parseRuleAction(action, &r.action))
        errors->append(QStringLiteral("%1: unknown action \"%2\"").arg(where, action));
    r.actionArg = jsonString(o, "action_arg", where, errors);
    r.enabled = jsonBool(o, "enabled", where, errors, r.enabled);
    return r;
}

QJsonObject contentRuleToJson(const ContentRule &r)
{
    return QJsonObject{{QStringLiteral("name"), r.name},
                       {QStringLiteral("target"), ruleTargetName(r.target)},
                       {QStringLiteral("field"), r.field},
                       {QStringLiteral("match"), ruleMatchName(r.match)},
                       {QStringLiteral("pattern"), r.pattern},
                       {QStringLiteral("action"), ruleActionName(r.action)},
                       {QStringLiteral("action_arg"), r.actionArg},
                       {QStringLiteral("enabled"), r.enabled}};
}

// ---- config.db ----

bool loadRateLimits(QSqlDatabase &db, QList<RateLimitRule> *out, QString *error)
{
    out->clear();
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT scope, subject, metric, window_s, maximum, enabled, comment FROM rate_limits"
                             " ORDER BY position"));
    if (!execOrFail(q, error))
        return false;
    while (q.next()) {
        RateLimitRule r;
        if (!parseLimitScope(q.value(0).toString(), &r.scope) || !parseLimitMetric(q.value(2).toString(), &r.metric)) {
            if (error)
                *error = QStringLiteral("rate limit with unknown scope or metric skipped");
            continue;
        }
        r.subject = q.value(1).toString();
        r.windowSeconds = q.value(3).toInt();
        r.maximum = q.value(4).toInt();
        r.enabled = q.value(5).toInt() != 0;
        r.comment = q.value(6).toString();
        out->append(r);
    }
    return true;
}

bool saveRateLimits(QSqlDatabase &db, const QList<RateLimitRule> &rules, QString *error)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("DELETE FROM rate_limits"))) {
        *error = q.lastError().text();
        return false;
    }
    q.prepare(QStringLiteral("INSERT INTO rate_limits (position, scope, subject, metric, window_s, maximum, enabled,"
                             " comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    for (int i = 0; i < rules.size(); ++i) {
        const RateLimitRule &r = rules.at(i);
        q.addBindValue(i);
        q.addBindValue(limitScopeName(r.scope));
        q.addBindValue(storage::nn(r.subject));
        q.addBindValue(limitMetricName(r.metric));
        q.addBindValue(r.windowSeconds);
        q.addBindValue(r.maximum);
        q.addBindValue(r.enabled ? 1 : 0);
        q.addBindValue(storage::nn(r.comment));
        if (!execOrFail(q, error))
            return false;
    }
    return true;
}

bool loadDnsblZones(QSqlDatabase &db, QList<DnsblZone> *out, QString *error)
{
    out->clear();
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT zone, codes, enabled FROM dnsbl_zones ORDER BY position"));
    if (!execOrFail(q, error))
        return false;
    while (q.next()) {
        DnsblZone z;
        z.zone = q.value(0).toString();
        z.codes = q.value(1).toString();
        z.enabled = q.value(2).toInt() != 0;
        out->append(z);
    }
    return true;
}

bool saveDnsblZones(QSqlDatabase &db, const QList<DnsblZone> &zones, QString *error)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("DELETE FROM dnsbl_zones"))) {
        *error = q.lastError().text();
        return false;
    }
    q.prepare(QStringLiteral("INSERT INTO dnsbl_zones (position, zone, codes, enabled) VALUES (?, ?, ?, ?)"));
    for (int i = 0; i < zones.size(); ++i) {
        q.addBindValue(i);
        q.addBindValue(storage::nn(zones.at(i).zone.trimmed().toLower()));
        q.addBindValue(storage::nn(zones.at(i).codes));
        q.addBindValue(zones.at(i).enabled ? 1 : 0);
        if (!execOrFail(q, error))
            return false;
    }
    return true;
}

bool loadContentRules(QSqlDatabase &db, QList<ContentRule> *out, QString *error)
{
    out->clear();
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT name, target, field, match, pattern, action, action_arg, enabled"
                             " FROM content_rules ORDER BY position"));
    if (!execOrFail(q, error))
        return false;
    while (q.next()) {
        ContentRule r;
        r.name = q.value(0).toString();
        if (!parseRuleTarget(q.value(1).toString(), &r.target) || !parseRuleMatch(q.value(3).toString(), &r.match)
            || !parseRuleAction(q.value(5).toString(), &r.action)) {
            if (error)
                *error = QStringLiteral("content rule \"%1\" has an unknown target, match or action: skipped").arg(r.name);
            continue;
        }
        r.field = q.value(2).toString();
        r.pattern = q.value(4).toString();
        r.actionArg = q.value(6).toString();
        r.enabled = q.value(7).toInt() != 0;
        out->append(r);
    }
    return true;
}

bool saveContentRules(QSqlDatabase &db, const QList<ContentRule> &rules, QString *error)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("DELETE FROM content_rules"))) {
        *error = q.lastError().text();
        return false;
    }
    q.prepare(QStringLiteral("INSERT INTO content_rules (position, name, target, field, match, pattern, action,"
                             " action_arg, enabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (int i = 0; i < rules.size(); ++i) {
        const ContentRule &r = rules.at(i);
        q.addBindValue(i);
        q.addBindValue(storage::nn(r.name.trimmed()));
        q.addBindValue(ruleTargetName(r.target));
        q.addBindValue(storage::nn(r.field.trimmed()));
        q.addBindValue(ruleMatchName(r.match));
        q.addBindValue(storage::nn(r.pattern));
        q.addBindValue(ruleActionName(r.action));
        q.addBindValue(storage::nn(r.actionArg));
        q.addBindValue(r.enabled ? 1 : 0);
        if (!execOrFail(q, error))
            return false;
    }
    return true;
}

} // namespace rd::config

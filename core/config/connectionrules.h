#pragma once
// Connection control (IIS "Connection control", hMailServer's IP ranges):
// client address ranges allowed or denied at connect, before anything else,
// by priority, each with an optional expiry (a temporary allowance ends by
// itself). Value type, validation, JSON ("connection_rules" in
// docs/CONFIG.md) and config.db rows (schema v9: connection_rules). No I/O
// beyond the given database. policy/connectioncontrol.h evaluates the rules.

#include "util/cidr.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

class QSqlDatabase;

namespace rd::config {

enum class ConnectionAction { Allow, Deny };

struct ConnectionRule {
    // An IPv4 or IPv6 address or CIDR range: "198.51.100.7", "192.0.2.0/24",
    // "2001:db8::/32". Host bits below the prefix are an error. An
    // IPv4-mapped IPv6 range ("::ffff:192.0.2.0/120") means the IPv4 range.
    QString network;
    ConnectionAction action = ConnectionAction::Deny;
    // Higher first. On equal priority the longer prefix wins, then Deny.
    int priority = 100;
    // When the rule stops applying (UTC). Null: never.
    QDateTime expires;
    bool enabled = true;
    // Names the rule in the refusal reply and the log ("block-scanners").
    // Printable text, at most 200 characters; empty: the network names it.
    QString comment;

    bool operator==(const ConnectionRule &) const = default;
};

inline constexpr int kMinConnectionPriority = 0;
inline constexpr int kMaxConnectionPriority = 1000000;

QString connectionActionName(ConnectionAction a); // "allow", "deny"
bool parseConnectionAction(const QString &name, ConnectionAction *out);

// What names a rule in replies, logs and validation sentences: the comment,
// or the network when the comment is empty.
QString connectionRuleLabel(const ConnectionRule &rule);

// Parses a rule's network (util::parseCidr, plus IPv4-mapped IPv6 ranges with
// a prefix of at least 96 turned into IPv4). False with *error on a bad one.
bool parseRuleNetwork(const QString &text, util::CidrRange *out, QString *error);

// Problems, each naming the rule "connection rule 2 (block-scanners): ...":
// network syntax and host bits, priority range, comment text, duplicates
// (same network, priority and action). An expiry in the past is not an error
// (see connectionRuleWarnings).
QStringList validateConnectionRules(const QList<ConnectionRule> &rules);

// Notes that do not block saving: enabled rules whose expiry is at or before
// `now` ("... expired 2026-01-01 12:00 UTC; kept, but it no longer applies").
QStringList connectionRuleWarnings(const QList<ConnectionRule> &rules, const QDateTime &now);

// JSON object {network, action, priority, expires, enabled, comment};
// "expires" is an ISO 8601 date-time with an offset or "Z" ("" or absent:
// never). Problems are appended to *errors, each starting with `where`.
ConnectionRule connectionRuleFromJson(const QJsonObject &o, const QString &where, QStringList *errors);
QJsonObject connectionRuleToJson(const ConnectionRule &r);

// config.db rows, in list order (expires as ms since the epoch, 0: never).
// load: rows with an unknown action are skipped and named in *error (true is
// still returned); false only on an SQL error.
bool loadConnectionRules(QSqlDatabase &db, QList<ConnectionRule> *out, QString *error);
bool saveConnectionRules(QSqlDatabase &db, const QList<ConnectionRule> &rules, QString *error);

} // namespace rd::config

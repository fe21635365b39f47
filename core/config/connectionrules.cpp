#include "config/connectionrules.h"

#include "storage/database.h"

#include <QHash>
#include <QJsonValue>
#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>

namespace rd::config {
namespace {

QString prefixOf(int index, const ConnectionRule &r)
{
    return QStringLiteral("connection rule %1 (%2): ").arg(index + 1).arg(connectionRuleLabel(r));
}

QString utcText(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm")) + QStringLiteral(" UTC");
}

// True for an ISO 8601 date-time that carries its offset ("Z", "+02:00").
bool hasOffset(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("T.*(Z|[+-]\\d\\d(:?\\d\\d)?)$"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re.match(s).hasMatch();
}

} // namespace

QString connectionActionName(ConnectionAction a)
{
    return a == ConnectionAction::Allow ? QStringLiteral("allow") : QStringLiteral("deny");
}

bool parseConnectionAction(const QString &name, ConnectionAction *out)
{
    const QString n = name.trimmed().toLower();
    if (n == QLatin1String("allow"))
        *out = ConnectionAction::Allow;
    else if (n == QLatin1String("deny"))
        *out = ConnectionAction::Deny;
    else
        return false;
    return true;
}

QString connectionRuleLabel(const ConnectionRule &rule)
{
    const QString c = rule.comment.trimmed();
    if (!c.isEmpty())
        return c;
    const QString n = rule.network.trimmed();
    return n.isEmpty() ? QStringLiteral("no network") : n;
}

bool parseRuleNetwork(const QString &text, util::CidrRange *out, QString *error)
{
    const QString t = text.trimmed();
    const int slash = t.indexOf(QLatin1Char('/'));
    QHostAddress a;
    if (!a.setAddress(slash < 0 ? t : t.left(slash)) || a.protocol() != QAbstractSocket::IPv6Protocol
        || t.contains(QLatin1Char('%')))
        return util::parseCidr(t, out, error); // IPv4, or an error worded by parseCidr
    // IPv6. util::parseCidr would turn "::" into 0.0.0.0 (Qt's toIPv4Address()
    // accepts it), so the family is decided here from the bytes.
    const Q_IPV6ADDR b = a.toIPv6Address();
    bool mapped = b[10] == 0xff && b[11] == 0xff;
    for (int i = 0; i < 10; ++i)
        mapped = mapped && b[i] == 0;
    int prefix = 128;
    if (slash >= 0) {
        const QString p = t.mid(slash + 1);
        bool ok = false;
        prefix = p.toInt(&ok);
        if (!ok || p.isEmpty() || !p.at(0).isDigit()) {
            *error = QStringLiteral("prefix length \"%1\" is not a number").arg(p);
            return false;
        }
    }
    if (mapped) {
        // "::ffff:192.0.2.0/120" is the IPv4 range 192.0.2.0/24: clients are matched as IPv4.
        if (prefix < 96 || prefix > 128) {
            *error = QStringLiteral("an IPv4-mapped range needs a prefix length from 96 to 128, not %1").arg(prefix);
            return false;
        }
        const quint32 v4 = (quint32(b[12]) << 24) | (quint32(b[13]) << 16) | (quint32(b[14]) << 8) | b[15];
        return util::parseCidr(QHostAddress(v4).toString() + QLatin1Char('/') + QString::number(prefix - 96), out,
                               error);
    }
    if (prefix < 0 || prefix > 128) {
        *error = QStringLiteral("prefix length %1 is out of range (0-128)").arg(prefix);
        return false;
    }
    Q_IPV6ADDR net = b;
    for (int bit = prefix; bit < 128; ++bit)
        net[bit / 8] &= quint8(~(0x80u >> (bit % 8)));
    const QHostAddress network(net);
    if (network != a) {
        *error = QStringLiteral("%1/%2 has host bits set (did you mean %3/%2?)")
                     .arg(a.toString())
                     .arg(prefix)
                     .arg(network.toString());
        return false;
    }
    out->network = network;
    out->prefix = prefix;
    return true;
}

QStringList validateConnectionRules(const QList<ConnectionRule> &rules)
{
    QStringList errors;
    QHash<QString, int> seen; // canonical network|priority|action -> first index
    for (int i = 0; i < rules.size(); ++i) {
        const ConnectionRule &r = rules.at(i);
        const QString where = prefixOf(i, r);
        util::CidrRange range;
        QString why;
        if (r.network.trimmed().isEmpty()) {
            errors << where + QStringLiteral("network: an address or CIDR range is required");
        } else if (!parseRuleNetwork(r.network, &range, &why)) {
            errors << where + QStringLiteral("network: ") + why;
        } else {
            const QString key = range.toString() + QLatin1Char('|') + QString::number(r.priority) + QLatin1Char('|')
                              + connectionActionName(r.action);
            const auto it = seen.constFind(key);
            if (it != seen.cend())
                errors << where + QStringLiteral("network: duplicates connection rule %1 (same network, priority "
                                                 "and action)")
                                      .arg(*it + 1);
            else
                seen.insert(key, i);
        }
        if (r.priority < kMinConnectionPriority || r.priority > kMaxConnectionPriority)
            errors << where + QStringLiteral("priority: %1 is out of range (%2-%3)")
                                  .arg(r.priority)
                                  .arg(kMinConnectionPriority)
                                  .arg(kMaxConnectionPriority);
        if (r.comment.size() > 200)
            errors << where + QStringLiteral("comment: longer than 200 characters");
        for (QChar c : r.comment) {
            if (!c.isPrint()) {
                errors << where + QStringLiteral("comment: contains a control character");
                break;
            }
        }
        if (r.expires.isValid() && r.expires.date().year() > 9999)
            errors << where + QStringLiteral("expires: the year must be at most 9999");
    }
    return errors;
}

QStringList connectionRuleWarnings(const QList<ConnectionRule> &rules, const QDateTime &now)
{
    QStringList notes;
    for (int i = 0; i < rules.size(); ++i) {
        const ConnectionRule &r = rules.at(i);
        if (r.enabled && r.expires.isValid() && r.expires <= now)
            notes << prefixOf(i, r)
                         + QStringLiteral("expired %1; kept, but it no longer applies").arg(utcText(r.expires));
    }
    return notes;
}

ConnectionRule connectionRuleFromJson(const QJsonObject &o, const QString &where, QStringList *errors)
{
    ConnectionRule r;
    static const QStringList keys = {QStringLiteral("network"), QStringLiteral("action"),
                                     QStringLiteral("priority"), QStringLiteral("expires"),
                                     QStringLiteral("enabled"),  QStringLiteral("comment")};
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!keys.contains(it.key()))
            errors->append(QStringLiteral("%1: unknown key \"%2\"").arg(where, it.key()));
    }
    auto text = [&](const char *key, const QString &fallback) {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return fallback;
        if (!v.isString()) {
            errors->append(QStringLiteral("%1: \"%2\" must be a string").arg(where, QLatin1String(key)));
            return fallback;
        }
        return v.toString();
    };
    r.network = text("network", QString()).trimmed();
    if (r.network.isEmpty())
        errors->append(QStringLiteral("%1: \"network\" (an address or CIDR range) is required").arg(where));
    const QString action = text("action", connectionActionName(r.action));
    if (!parseConnectionAction(action, &r.action))
        errors->append(QStringLiteral("%1: \"action\" must be \"allow\" or \"deny\", not \"%2\"").arg(where, action));
    const QJsonValue p = o.value(QStringLiteral("priority"));
    if (!p.isUndefined()) {
        const double d = p.toDouble(-1);
        if (!p.isDouble() || d != double(qint64(d)) || d < kMinConnectionPriority || d > kMaxConnectionPriority)
            errors->append(QStringLiteral("%1: \"priority\" must be a whole number from %2 to %3")
                               .arg(where)
                               .arg(kMinConnectionPriority)
                               .arg(kMaxConnectionPriority));
        else
            r.priority = int(d);
    }
    const QString expires = text("expires", QString()).trimmed();
    if (!expires.isEmpty()) {
        const QDateTime t = QDateTime::fromString(expires, Qt::ISODateWithMs);
        if (!t.isValid() || !hasOffset(expires))
            errors->append(QStringLiteral("%1: \"expires\" must be an ISO 8601 date and time with an offset, "
                                          "like \"2026-12-31T18:00:00Z\" (\"%2\" is not)")
                               .arg(where, expires));
        else
            r.expires = t.toUTC();
    }
    const QJsonValue e = o.value(QStringLiteral("enabled"));
    if (!e.isUndefined() && !e.isBool())
        errors->append(QStringLiteral("%1: \"enabled\" must be true or false").arg(where));
    r.enabled = e.toBool(true);
    r.comment = text("comment", QString());
    return r;
}

QJsonObject connectionRuleToJson(const ConnectionRule &r)
{
    return QJsonObject{
        {QStringLiteral("network"), r.network},
        {QStringLiteral("action"), connectionActionName(r.action)},
        {QStringLiteral("priority"), r.priority},
        {QStringLiteral("expires"), r.expires.isValid() ? r.expires.toUTC().toString(r.expires.time().msec() ? Qt::ISODateWithMs : Qt::ISODate) : QString()},
        {QStringLiteral("enabled"), r.enabled},
        {QStringLiteral("comment"), r.comment},
    };
}

bool loadConnectionRules(QSqlDatabase &db, QList<ConnectionRule> *out, QString *error)
{
    out->clear();
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT network, action, priority, expires, enabled, comment FROM connection_rules"
                               " ORDER BY position"))) {
        *error = q.lastError().text();
        return false;
    }
    int skipped = 0;
    while (q.next()) {
        ConnectionRule r;
        if (!parseConnectionAction(q.value(1).toString(), &r.action)) {
            ++skipped;
            continue;
        }
        r.network = q.value(0).toString();
        r.priority = q.value(2).toInt();
        const qint64 expires = q.value(3).toLongLong();
        if (expires > 0)
            r.expires = QDateTime::fromMSecsSinceEpoch(expires, Qt::UTC);
        r.enabled = q.value(4).toInt() != 0;
        r.comment = q.value(5).toString();
        out->append(r);
    }
    if (skipped > 0)
        *error = QStringLiteral("%1 connection rule(s) with an unknown action skipped").arg(skipped);
    return true;
}

bool saveConnectionRules(QSqlDatabase &db, const QList<ConnectionRule> &rules, QString *error)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("DELETE FROM connection_rules"))) {
        *error = q.lastError().text();
        return false;
    }
    q.prepare(QStringLiteral("INSERT INTO connection_rules (position, network, action, priority, expires, enabled,"
                             " comment) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    for (int i = 0; i < rules.size(); ++i) {
        const ConnectionRule &r = rules.at(i);
        q.addBindValue(i);
        q.addBindValue(storage::nn(r.network));
        q.addBindValue(connectionActionName(r.action));
        q.addBindValue(r.priority);
        q.addBindValue(r.expires.isValid() ? qMax<qint64>(1, r.expires.toMSecsSinceEpoch()) : qint64(0));
        q.addBindValue(r.enabled ? 1 : 0);
        q.addBindValue(storage::nn(r.comment));
        if (!q.exec()) {
            *error = q.lastError().text();
            return false;
        }
    }
    return true;
}

} // namespace rd::config

#include "config/configjson.h"

#include <QJsonArray>
#include <algorithm>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace rd::config {
namespace {

bool stringList(const QJsonValue &v, const QString &where, QStringList *out, QStringList *errors)
{
    if (v.isUndefined())
        return true;
    if (!v.isArray()) {
        *errors << QStringLiteral("%1 must be an array of strings").arg(where);
        return false;
    }
    QStringList list;
    for (const QJsonValue &e : v.toArray()) {
        if (!e.isString()) {
            *errors << QStringLiteral("%1 must contain only strings").arg(where);
            return false;
        }
        list << e.toString();
    }
    *out = list;
    return true;
}

// Reads root[key] as an array of objects, calling add(object, "key[i]") for each.
template <typename Add>
void readObjectArray(const QJsonObject &root, const char *key, QStringList *errors, Add add)
{
    const QJsonValue v = root.value(QLatin1String(key));
    if (v.isUndefined())
        return;
    if (!v.isArray()) {
        *errors << QStringLiteral("\"%1\" must be an array").arg(QLatin1String(key));
        return;
    }
    const QJsonArray arr = v.toArray();
    for (int i = 0; i < arr.size(); ++i) {
        const QString where = QStringLiteral("%1[%2]").arg(QLatin1String(key)).arg(i);
        if (!arr.at(i).isObject())
            *errors << QStringLiteral("%1 must be an object").arg(where);
        else
            add(arr.at(i).toObject(), where);
    }
}

} // namespace

bool configFromJson(const QByteArray &json, ConfigSnapshot *out, QStringList *errors)
{
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError) {
        *errors << QStringLiteral("not valid JSON at offset %1: %2").arg(perr.offset).arg(perr.errorString());
        return false;
    }
    if (!doc.isObject()) {
        *errors << QStringLiteral("the top level must be a JSON object");
        return false;
    }
    const QJsonObject root = doc.object();
    const QSet<QString> known = {QStringLiteral("format"), QStringLiteral("version"), QStringLiteral("settings"),
                                 QStringLiteral("listeners"), QStringLiteral("accepted_domains"),
                                 QStringLiteral("send_connectors"), QStringLiteral("rate_limits"),
                                 QStringLiteral("dnsbl_zones"), QStringLiteral("content_rules"),
                                 QStringLiteral("connection_rules")};
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (!known.contains(it.key()))
            *errors << QStringLiteral("unknown top-level key \"%1\"").arg(it.key());
    }
    if (root.value(QStringLiteral("format")).toString() != QLatin1String("relaydesk-config"))
        *errors << QStringLiteral("\"format\" must be \"relaydesk-config\"");
    const QJsonValue ver = root.value(QStringLiteral("version"));
    if (!ver.isDouble() || ver.toInt() != 1)
        *errors << QStringLiteral("\"version\" must be 1 (this RelayDesk reads version 1)");

    ConfigSnapshot cfg;
    const QJsonValue settings = root.value(QStringLiteral("settings"));
    if (!settings.isUndefined() && !settings.isObject()) {
        *errors << QStringLiteral("\"settings\" must be an object");
    } else {
        const QJsonObject s = settings.toObject();
        for (auto it = s.begin(); it != s.end(); ++it) {
            QString why;
            if (it.key() == QLatin1String("dnsbl.zones") && it.value().isString()) {
                // Exports made before dnsbl_zones existed carried the zones as one setting.
                for (const QString &z : it.value().toString().split(QLatin1Char(','), Qt::SkipEmptyParts))
                    cfg.dnsblZones << DnsblZone{z.trimmed().toLower(), QString(), true};
                continue;
            }
            if (!cfg.setValue(it.key(), it.value().toVariant(), &why))
                *errors << QStringLiteral("settings: %1").arg(why);
        }
    }

    const QJsonValue listeners = root.value(QStringLiteral("listeners"));
    if (!listeners.isUndefined()) {
        if (!listeners.isArray()) {
            *errors << QStringLiteral("\"listeners\" must be an array");
        } else {
            cfg.listeners.clear();
            const QJsonArray arr = listeners.toArray();
            const QSet<QString> lkeys = {QStringLiteral("name"), QStringLiteral("address"), QStringLiteral("port"),
                                         QStringLiteral("relay_allow"), QStringLiteral("relay_deny"),
                                         QStringLiteral("mode"), QStringLiteral("role"),
                                         QStringLiteral("certificate"), QStringLiteral("allow_plaintext_auth"),
                                         QStringLiteral("max_message_size"), QStringLiteral("max_recipients"),
                                         QStringLiteral("max_sessions_per_ip"), QStringLiteral("relay_groups"),
                                         QStringLiteral("sender_check"), QStringLiteral("proxy_from")};
            for (int i = 0; i < arr.size(); ++i) {
                const QString where = QStringLiteral("listeners[%1]").arg(i);
                if (!arr.at(i).isObject()) {
                    *errors << QStringLiteral("%1 must be an object").arg(where);
                    continue;
                }
                const QJsonObject o = arr.at(i).toObject();
                for (auto it = o.begin(); it != o.end(); ++it) {
                    if (!lkeys.contains(it.key()))
                        *errors << QStringLiteral("%1: unknown key \"%2\"").arg(where, it.key());
                }
                ListenerConfig l;
                l.name = o.value(QStringLiteral("name")).toString(QStringLiteral("listener%1").arg(i + 1));
                if (!o.value(QStringLiteral("address")).isString())
                    *errors << QStringLiteral("%1: \"address\" (string) is required").arg(where);
                l.address = o.value(QStringLiteral("address")).toString();
                const QJsonValue port = o.value(QStringLiteral("port"));
                const double p = port.toDouble(-1);
                if (!port.isDouble() || p != double(int(p)) || p < 1 || p > 65535)
                    *errors << QStringLiteral("%1: \"port\" must be a number from 1 to 65535").arg(where);
                else
                    l.port = quint16(p);
                stringList(o.value(QStringLiteral("relay_allow")), where + QStringLiteral(".relay_allow"),
                           &l.relayAllow, errors);
                stringList(o.value(QStringLiteral("relay_deny")), where + QStringLiteral(".relay_deny"),
                           &l.relayDeny, errors);
                auto text = [&](const char *key, QString *out) {
                    const QJsonValue v = o.value(QLatin1String(key));
                    if (v.isUndefined())
                        return;
                    if (!v.isString())
                        *errors << QStringLiteral("%1: \"%2\" must be a string").arg(where, QLatin1String(key));
                    else
                        *out = v.toString();
                };
                text("mode", &l.mode);
                text("role", &l.role);
                text("certificate", &l.certificate);
                const QJsonValue pa = o.value(QStringLiteral("allow_plaintext_auth"));
                if (!pa.isUndefined() && !pa.isBool())
                    *errors << QStringLiteral("%1: \"allow_plaintext_auth\" must be true or false").arg(where);
                l.allowPlaintextAuth = pa.toBool(false);
                const QJsonValue sc = o.value(QStringLiteral("sender_check"));
                if (!sc.isUndefined() && !sc.isBool())
                    *errors << QStringLiteral("%1: \"sender_check\" must be true or false").arg(where);
                l.senderCheck = sc.toBool(false);
                const QJsonValue rg = o.value(QStringLiteral("relay_groups"));
                if (!rg.isUndefined())
                    stringList(rg, where + QStringLiteral(".relay_groups"), &l.relayGroups, errors);
                const QJsonValue pf = o.value(QStringLiteral("proxy_from"));
                if (!pf.isUndefined())
                    stringList(pf, where + QStringLiteral(".proxy_from"), &l.proxyFrom, errors);
                auto limit = [&](const char *key, qint64 *out) {
                    const QJsonValue v = o.value(QLatin1String(key));
                    if (v.isUndefined())
                        return;
                    const double d = v.toDouble(-1);
                    if (!v.isDouble() || d != double(qint64(d)) || d < 0)
                        *errors << QStringLiteral("%1: \"%2\" must be a whole number (0: the global setting)")
                                       .arg(where, QLatin1String(key));
                    else
                        *out = qint64(d);
                };
                qint64 rcpts = 0, perIp = 0;
                limit("max_message_size", &l.maxMessageSize);
                limit("max_recipients", &rcpts);
                limit("max_sessions_per_ip", &perIp);
                l.maxRecipients = int(std::clamp<qint64>(rcpts, -1, 1000000));
                l.maxSessionsPerIp = int(std::clamp<qint64>(perIp, -1, 1000000));
                cfg.listeners.append(l);
            }
        }
    }
    QStringList domains;
    if (stringList(root.value(QStringLiteral("accepted_domains")), QStringLiteral("accepted_domains"), &domains,
                   errors)) {
        for (QString &d : domains)
            d = d.trimmed().toLower();
        cfg.acceptedDomains = domains;
    }
    const QJsonValue sends = root.value(QStringLiteral("send_connectors"));
    if (!sends.isUndefined()) {
        if (!sends.isArray()) {
            *errors << QStringLiteral("\"send_connectors\" must be an array");
        } else {
            const QJsonArray arr = sends.toArray();
            for (int i = 0; i < arr.size(); ++i) {
                const QString where = QStringLiteral("send_connectors[%1]").arg(i);
                if (!arr.at(i).isObject())
                    *errors << QStringLiteral("%1 must be an object").arg(where);
                else
                    cfg.sendConnectors << sendConnectorFromJson(arr.at(i).toObject(), where, errors);
            }
        }
    }
    readObjectArray(root, "rate_limits", errors, [&](const QJsonObject &o, const QString &where) {
        cfg.rateLimits << rateLimitFromJson(o, where, errors);
    });
    readObjectArray(root, "dnsbl_zones", errors, [&](const QJsonObject &o, const QString &where) {
        cfg.dnsblZones << dnsblZoneFromJson(o, where, errors);
    });
    readObjectArray(root, "content_rules", errors, [&](const QJsonObject &o, const QString &where) {
        cfg.contentRules << contentRuleFromJson(o, where, errors);
    });
    readObjectArray(root, "connection_rules", errors, [&](const QJsonObject &o, const QString &where) {
        cfg.connectionRules << connectionRuleFromJson(o, where, errors);
    });
    if (errors->isEmpty())
        *errors << cfg.validate();
    if (!errors->isEmpty())
        return false;
    *out = cfg;
    return true;
}

QByteArray configToJson(const ConfigSnapshot &config, bool withSecrets)
{
    QJsonObject root;
    root.insert(QStringLiteral("format"), QStringLiteral("relaydesk-config"));
    root.insert(QStringLiteral("version"), 1);
    QJsonObject settings;
    for (const SettingDef &def : allSettings()) {
        if (def.secret && !withSecrets)
            continue;
        const QVariant v = config.value(def.key.toLatin1().constData());
        settings.insert(def.key, QJsonValue::fromVariant(v));
    }
    root.insert(QStringLiteral("settings"), settings);
    QJsonArray listeners;
    for (const ListenerConfig &l : config.listeners) {
        QJsonObject o;
        o.insert(QStringLiteral("name"), l.name);
        o.insert(QStringLiteral("address"), l.address);
        o.insert(QStringLiteral("port"), int(l.port));
        o.insert(QStringLiteral("relay_allow"), QJsonArray::fromStringList(l.relayAllow));
        o.insert(QStringLiteral("relay_deny"), QJsonArray::fromStringList(l.relayDeny));
        o.insert(QStringLiteral("mode"), l.mode);
        o.insert(QStringLiteral("role"), l.role);
        o.insert(QStringLiteral("certificate"), l.certificate);
        o.insert(QStringLiteral("allow_plaintext_auth"), l.allowPlaintextAuth);
        o.insert(QStringLiteral("max_message_size"), double(l.maxMessageSize));
        o.insert(QStringLiteral("max_recipients"), l.maxRecipients);
        o.insert(QStringLiteral("max_sessions_per_ip"), l.maxSessionsPerIp);
        if (!l.relayGroups.isEmpty())
            o.insert(QStringLiteral("relay_groups"), QJsonArray::fromStringList(l.relayGroups));
        if (l.senderCheck)
            o.insert(QStringLiteral("sender_check"), true);
        if (!l.proxyFrom.isEmpty())
            o.insert(QStringLiteral("proxy_from"), QJsonArray::fromStringList(l.proxyFrom));
        listeners.append(o);
    }
    root.insert(QStringLiteral("listeners"), listeners);
    root.insert(QStringLiteral("accepted_domains"), QJsonArray::fromStringList(config.acceptedDomains));
    QJsonArray sends;
    for (const SendConnectorConfig &c : config.sendConnectors)
        sends.append(sendConnectorToJson(c, withSecrets));
    root.insert(QStringLiteral("send_connectors"), sends);
    QJsonArray limits;
    for (const RateLimitRule &r : config.rateLimits)
        limits.append(rateLimitToJson(r));
    root.insert(QStringLiteral("rate_limits"), limits);
    QJsonArray zones;
    for (const DnsblZone &z : config.dnsblZones)
        zones.append(dnsblZoneToJson(z));
    root.insert(QStringLiteral("dnsbl_zones"), zones);
    QJsonArray rules;
    for (const ContentRule &r : config.contentRules)
        rules.append(contentRuleToJson(r));
    root.insert(QStringLiteral("content_rules"), rules);
    QJsonArray connectionRules;
    for (const ConnectionRule &r : config.connectionRules)
        connectionRules.append(connectionRuleToJson(r));
    root.insert(QStringLiteral("connection_rules"), connectionRules);
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

} // namespace rd::config

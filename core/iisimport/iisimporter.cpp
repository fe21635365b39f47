#include "iisimport/iisimporter.h"

#include "config/settings.h"
#include "iisimport/ipseclist.h"
#include "iisimport/metabasereader.h"

#include <QHostAddress>
#include <QRegularExpression>
#include <QSet>

#include <optional>

namespace rd::iisimport {
namespace {

using config::ListenerConfig;
using config::SendConnectorConfig;

struct Value {
    QString text;
    bool inherited = false;
};

class ServerImport {
public:
    ServerImport(const QString &location, ImportResult *result) : m_location(location), m_result(result) {}

    void add(const QString &property, const Value &v, ItemStatus s, const QString &outcome, const QString &shown = {})
    {
        ReportItem item;
        item.source = m_location;
        item.property = property;
        item.value = shown.isNull() ? v.text : shown;
        if (v.inherited)
            item.value += QStringLiteral(" (inherited from IIsSmtpService)");
        item.status = s;
        item.outcome = outcome;
        m_result->items << item;
        if (s == ItemStatus::Error)
            m_result->errors << QStringLiteral("%1 %2: %3").arg(m_location, property, outcome);
    }

private:
    QString m_location;
    ImportResult *m_result;
};

bool toInt(const QString &s, qint64 *out)
{
    bool ok = false;
    *out = s.trimmed().toLongLong(&ok);
    return ok;
}

QString hostPort(QString host, quint16 port)
{
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    if (QHostAddress(host).protocol() == QAbstractSocket::IPv6Protocol)
        return QStringLiteral("[%1]:%2").arg(host).arg(port);
    return QStringLiteral("%1:%2").arg(host).arg(port);
}

// "ip:port:hostname" entries separated by whitespace (MetaBase.xml writes
// multi-string values one per line; XML attribute normalisation makes the
// line breaks spaces).
bool parseBindings(const QString &text, QList<QPair<QString, quint16>> *out, QString *error)
{
    const QStringList parts = text.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
    if (parts.isEmpty()) {
        *error = QStringLiteral("no binding");
        return false;
    }
    for (const QString &b : parts) {
        const int last = b.lastIndexOf(QLatin1Char(':'));
        const int mid = last > 0 ? b.lastIndexOf(QLatin1Char(':'), last - 1) : -1;
        if (mid < 0) {
            *error = QStringLiteral("\"%1\" is not IP:port:hostname").arg(b);
            return false;
        }
        QString ip = b.left(mid);
        bool ok = false;
        const uint port = b.mid(mid + 1, last - mid - 1).toUInt(&ok);
        if (!ok || port == 0 || port > 65535) {
            *error = QStringLiteral("\"%1\": port is not 1-65535").arg(b);
            return false;
        }
        if (ip.startsWith(QLatin1Char('[')) && ip.endsWith(QLatin1Char(']')))
            ip = ip.mid(1, ip.size() - 2);
        if (ip.isEmpty() || ip == QLatin1String("*"))
            ip = QStringLiteral("0.0.0.0"); // "All Unassigned"
        if (QHostAddress(ip).isNull()) {
            *error = QStringLiteral("\"%1\": \"%2\" is not an IP address").arg(b, ip);
            return false;
        }
        out->append({ip, quint16(port)});
    }
    return true;
}

QString authFlagsText(qint64 f)
{
    QStringList names;
    if (f & 1) names << QStringLiteral("anonymous");
    if (f & 2) names << QStringLiteral("basic");
    if (f & 4) names << QStringLiteral("integrated Windows");
    if (f & ~qint64(7)) names << QStringLiteral("other bits 0x%1").arg(f & ~qint64(7), 0, 16);
    return names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", "));
}

bool isMicrosoft365(const QString &host)
{
    const QString h = host.toLower();
    return h == QLatin1String("smtp.office365.com") || h.endsWith(QLatin1String(".mail.protection.outlook.com")) ||
           h == QLatin1String("smtp-mail.outlook.com");
}

// Sets a declared setting from an import; a second server with a different
// value does not override the first.
void importSetting(ServerImport &si, const QString &prop, const Value &v, const char *key, const QVariant &raw,
                   const QString &shown, ImportResult *r, QSet<QString> *setKeys)
{
    const QString k = QString::fromLatin1(key);
    if (setKeys->contains(k)) {
        if (r->proposed.value(key) != raw)
            si.add(prop, v, ItemStatus::NotMapped,
                   QStringLiteral("%1 already set to %2 by an earlier virtual server").arg(k, r->proposed.value(key).toString()));
        else
            si.add(prop, v, ItemStatus::Mapped, QStringLiteral("%1 = %2 (same as an earlier server)").arg(k, shown));
        return;
    }
    QString why;
    if (!r->proposed.setValue(k, raw, &why)) {
        si.add(prop, v, ItemStatus::NotMapped, QStringLiteral("%1: %2; left unchanged").arg(k, why));
        return;
    }
    setKeys->insert(k);
    si.add(prop, v, ItemStatus::Mapped, QStringLiteral("%1 = %2").arg(k, shown));
}

QString uniqueName(const QString &wanted, const QStringList &taken)
{
    QString n = wanted;
    for (int i = 2; taken.contains(n); ++i)
        n = QStringLiteral("%1-%2").arg(wanted).arg(i);
    return n;
}

} // namespace

QString statusName(ItemStatus s)
{
    switch (s) {
    case ItemStatus::Mapped: return QStringLiteral("mapped");
    case ItemStatus::Noted: return QStringLiteral("noted");
    case ItemStatus::NotMapped: return QStringLiteral("NOT MAPPED");
    case ItemStatus::Error: return QStringLiteral("ERROR");
    }
    return {};
}

int ImportResult::count(ItemStatus s) const
{
    int n = 0;
    for (const ReportItem &i : items)
        n += i.status == s;
    return n;
}

QString ImportResult::toText() const
{
    QString t;
    t += QStringLiteral("IIS SMTP metabase import: %1 virtual server(s); %2 properties read: %3 mapped, %4 noted, "
                        "%5 not mapped, %6 errors\n")
             .arg(serversImported)
             .arg(items.size())
             .arg(count(ItemStatus::Mapped))
             .arg(count(ItemStatus::Noted))
             .arg(count(ItemStatus::NotMapped))
             .arg(count(ItemStatus::Error));
    QString current;
    for (const ReportItem &i : items) {
        if (i.source != current) {
            current = i.source;
            t += QStringLiteral("\n[%1]\n").arg(current);
        }
        t += QStringLiteral("  %1 %2 = %3\n      -> %4\n").arg(statusName(i.status), -10).arg(i.property, i.value, i.outcome);
    }
    if (!errors.isEmpty()) {
        t += QStringLiteral("\nThe import cannot be applied:\n");
        for (const QString &e : errors)
            t += QStringLiteral("  - %1\n").arg(e);
    }
    return t;
}

ImportResult importMetabase(const QByteArray &metabaseXml, const config::ConfigSnapshot &base)
{
    ImportResult r;
    r.proposed = base;
    MetabaseContent mb;
    QString error;
    if (!readMetabase(metabaseXml, &mb, &error)) {
        r.errors << error;
        return r;
    }
    if (mb.servers.isEmpty()) {
        r.errors << QStringLiteral("the metabase has no IIsSmtpServer element (no SMTP virtual server); %1 other IIS "
                                   "elements were skipped")
                        .arg(mb.otherElements);
        return r;
    }
    QMap<QString, QString> inheritedProps;
    for (const MetabaseElement &s : mb.services)
        inheritedProps.insert(s.properties);

    QList<ListenerConfig> newListeners;
    QList<SendConnectorConfig> newConnectors;
    QSet<QString> setKeys;
    QStringList listenerNames;
    for (const ListenerConfig &l : base.listeners)
        listenerNames << l.name;

    for (const MetabaseElement &srv : mb.servers) {
        ServerImport si(srv.location, &r);
        QMap<QString, Value> props;
        for (auto it = inheritedProps.cbegin(); it != inheritedProps.cend(); ++it)
            props.insert(it.key(), Value{it.value(), true});
        for (auto it = srv.properties.cbegin(); it != srv.properties.cend(); ++it)
            props.insert(it.key(), Value{it.value(), false});
        auto take = [&props](const char *name) -> std::optional<Value> {
            for (auto it = props.begin(); it != props.end(); ++it)
                if (it.key().compare(QLatin1String(name), Qt::CaseInsensitive) == 0) {
                    const Value v = it.value();
                    props.erase(it);
                    return v;
                }
            return std::nullopt;
        };
        const QString instance = srv.location.section(QLatin1Char('/'), -1);
        ++r.serversImported;

        if (auto v = take("ServerComment"))
            si.add(QStringLiteral("ServerComment"), *v, ItemStatus::Noted, QStringLiteral("the virtual server's display name"));
        if (auto v = take("ServerAutoStart"))
            si.add(QStringLiteral("ServerAutoStart"), *v, ItemStatus::Noted, QStringLiteral("imported whether or not it was started"));

        // Listeners.
        ListenerConfig proto;
        proto.relayAllow.clear();
        QList<QPair<QString, quint16>> bindings;
        if (auto v = take("ServerBindings")) {
            QString why;
            if (parseBindings(v->text, &bindings, &why))
                si.add(QStringLiteral("ServerBindings"), *v, ItemStatus::Mapped,
                       QStringLiteral("%1 listener(s), mode plain (STARTTLS once a certificate is chosen), role relay")
                           .arg(bindings.size()));
            else
                si.add(QStringLiteral("ServerBindings"), *v, ItemStatus::Error, why);
        } else {
            bindings.append({QStringLiteral("0.0.0.0"), quint16(25)});
            si.add(QStringLiteral("ServerBindings"), Value{QStringLiteral("(absent)")}, ItemStatus::Mapped,
                   QStringLiteral("IIS default: all addresses, port 25"));
        }
        if (auto v = take("RelayIpList")) {
            QByteArray blob;
            IpSecList list;
            QString why;
            const QString shown = v->text.size() > 48 ? v->text.left(48) + QStringLiteral("...") : v->text;
            if (!hexToBytes(v->text, &blob, &why) || !decodeIpSecList(blob, &list, &why)) {
                si.add(QStringLiteral("RelayIpList"), *v, ItemStatus::NotMapped,
                       QStringLiteral("could not decode (%1): nobody may relay until you paste the list from the "
                                      "Relay Restrictions dialog into the listener's relay list")
                           .arg(why),
                       shown);
            } else {
                proto.relayAllow = list.granted;
                proto.relayDeny = list.denied;
                QString outcome = QStringLiteral("relay allow: %1").arg(list.granted.isEmpty() ? QStringLiteral("(none)")
                                                                                                : list.granted.join(QStringLiteral(", ")));
                if (!list.denied.isEmpty())
                    outcome += QStringLiteral("; relay deny: %1").arg(list.denied.join(QStringLiteral(", ")));
                if (list.granted.isEmpty() && !list.denied.isEmpty())
                    outcome += QStringLiteral(". IIS \"all except the list below\" is NOT imported as an open relay: "
                                              "add the networks that may relay");
                if (list.grantedNames || list.deniedNames)
                    outcome += QStringLiteral(". %1 domain-name entries are not imported (RelayDesk lists addresses)")
                                   .arg(list.grantedNames + list.deniedNames);
                si.add(QStringLiteral("RelayIpList"), *v,
                       (list.grantedNames || list.deniedNames) ? ItemStatus::NotMapped : ItemStatus::Mapped,
                       outcome + QStringLiteral(" (review it: the octet layout is undocumented)"), shown);
            }
        } else {
            si.add(QStringLiteral("RelayIpList"), Value{QStringLiteral("(absent)")}, ItemStatus::Mapped,
                   QStringLiteral("IIS default \"only the list below\" with an empty list: nobody relays by address"));
        }
        // Connection control ("Connection" dialog, IPSecurity): RelayDesk's
        // connection rules are global, so every server's entries join them.
        if (auto v = take("IPSecurity")) {
            QByteArray blob;
            IpSecList list;
            QString why;
            const QString shown = v->text.size() > 48 ? v->text.left(48) + QStringLiteral("...") : v->text;
            if (!hexToBytes(v->text, &blob, &why) || !decodeIpSecList(blob, &list, &why)) {
                si.add(QStringLiteral("IPSecurity"), *v, ItemStatus::NotMapped,
                       QStringLiteral("could not decode (%1): recreate the list under Filtering > Connection control")
                           .arg(why),
                       shown);
            } else {
                const QString comment = QStringLiteral("IIS %1 connection control").arg(instance);
                auto addRule = [&](const QString &network, config::ConnectionAction action, int priority) {
                    config::ConnectionRule rule;
                    rule.network = network;
                    rule.action = action;
                    rule.priority = priority;
                    rule.comment = comment;
                    for (const config::ConnectionRule &have : std::as_const(r.proposed.connectionRules))
                        if (have.network == rule.network && have.action == rule.action)
                            return;
                    r.proposed.connectionRules << rule;
                };
                for (const QString &n : std::as_const(list.denied))
                    addRule(n, config::ConnectionAction::Deny, 100);
                for (const QString &n : std::as_const(list.granted))
                    addRule(n, config::ConnectionAction::Allow, 100);
                QString outcome;
                if (!list.granted.isEmpty()) {
                    // "Only the list below": everyone else is refused at connect.
                    addRule(QStringLiteral("0.0.0.0/0"), config::ConnectionAction::Deny, 0);
                    addRule(QStringLiteral("::/0"), config::ConnectionAction::Deny, 0);
                    outcome = QStringLiteral("connection rules: allow %1, deny everyone else")
                                  .arg(list.granted.join(QStringLiteral(", ")));
                } else if (!list.denied.isEmpty()) {
                    outcome = QStringLiteral("connection rules: deny %1").arg(list.denied.join(QStringLiteral(", ")));
                } else {
                    outcome = QStringLiteral("empty: every address may connect");
                }
                if (list.grantedNames || list.deniedNames)
                    outcome += QStringLiteral(". %1 domain-name entries are not imported (rules list addresses)")
                                   .arg(list.grantedNames + list.deniedNames);
                si.add(QStringLiteral("IPSecurity"), *v,
                       (list.grantedNames || list.deniedNames) ? ItemStatus::NotMapped : ItemStatus::Mapped,
                       outcome + QStringLiteral(" (review it: the octet layout is undocumented)"), shown);
            }
        }
        if (auto v = take("RelayForAuth"))
            si.add(QStringLiteral("RelayForAuth"), *v, ItemStatus::Noted,
                   QStringLiteral("RelayDesk always lets authenticated users relay; create them under Users"));
        if (auto v = take("AuthFlags")) {
            qint64 f = 0;
            const bool ok = toInt(v->text, &f);
            si.add(QStringLiteral("AuthFlags"), *v, ItemStatus::Noted,
                   ok ? QStringLiteral("inbound authentication: %1. Basic users must be recreated in RelayDesk; "
                                       "integrated Windows authentication is not offered")
                            .arg(authFlagsText(f))
                      : QStringLiteral("not a number"));
        }
        if (auto v = take("MaxMessageSize")) {
            qint64 n = 0;
            if (toInt(v->text, &n) && n >= 1024 && n <= 2147483647) {
                proto.maxMessageSize = n;
                si.add(QStringLiteral("MaxMessageSize"), *v, ItemStatus::Mapped, QStringLiteral("listener max message size %1 octets").arg(n));
            } else {
                si.add(QStringLiteral("MaxMessageSize"), *v, ItemStatus::NotMapped,
                       QStringLiteral("not 1024-2147483647 octets; the global smtp.max_message_size applies"));
            }
        }
        if (auto v = take("MaxRecipients")) {
            qint64 n = 0;
            if (toInt(v->text, &n) && n >= 1 && n <= 10000) {
                proto.maxRecipients = int(n);
                si.add(QStringLiteral("MaxRecipients"), *v, ItemStatus::Mapped, QStringLiteral("listener max recipients %1").arg(n));
            } else {
                si.add(QStringLiteral("MaxRecipients"), *v, ItemStatus::NotMapped,
                       QStringLiteral("not 1-10000; the global smtp.max_recipients applies"));
            }
        }
        for (int i = 0; i < bindings.size(); ++i) {
            ListenerConfig l = proto;
            l.address = bindings[i].first;
            l.port = bindings[i].second;
            l.name = uniqueName(bindings.size() == 1 ? QStringLiteral("iis-%1").arg(instance)
                                                     : QStringLiteral("iis-%1-%2").arg(instance).arg(i + 1),
                                listenerNames);
            listenerNames << l.name;
            newListeners << l;
        }

        // Send connector.
        const auto smartHost = take("SmartHost");
        const auto smartHostType = take("SmartHostType");
        const auto remotePort = take("RemoteSmtpPort");
        const auto routeUser = take("RouteUserName");
        const auto routePassword = take("RoutePassword");
        const auto routeAction = take("RouteAction");
        qint64 type = 0, port = 25;
        if (smartHostType && !toInt(smartHostType->text, &type))
            type = -1;
        if (remotePort && (!toInt(remotePort->text, &port) || port < 1 || port > 65535)) {
            si.add(QStringLiteral("RemoteSmtpPort"), *remotePort, ItemStatus::Error, QStringLiteral("not a port 1-65535"));
            port = 25;
        } else if (remotePort) {
            si.add(QStringLiteral("RemoteSmtpPort"), *remotePort, ItemStatus::Mapped, QStringLiteral("smart host port %1").arg(port));
        }
        const QString host = smartHost ? smartHost->text.trimmed() : QString();
        if (smartHostType) {
            const QString what = type == 0 ? QStringLiteral("0: no smart host") : type == 1 ? QStringLiteral("1: direct delivery first, then the smart host")
                               : type == 2 ? QStringLiteral("2: always the smart host") : QStringLiteral("unknown value");
            si.add(QStringLiteral("SmartHostType"), *smartHostType,
                   type == 1 ? ItemStatus::NotMapped : type < 0 || type > 2 ? ItemStatus::Error : ItemStatus::Mapped,
                   type == 1 ? what + QStringLiteral("; RelayDesk has no MX-then-smart-host fallback: all mail goes to the smart host")
                             : what);
        }
        bool makeConnector = !host.isEmpty() && (type == 1 || type == 2 || !smartHostType);
        if (smartHost) {
            if (!makeConnector) {
                si.add(QStringLiteral("SmartHost"), *smartHost, ItemStatus::Noted,
                       host.isEmpty() ? QStringLiteral("empty: direct delivery to MX hosts (RelayDesk's default without connectors)")
                                      : QStringLiteral("ignored: SmartHostType is 0"));
            } else if (!newConnectors.isEmpty()) {
                si.add(QStringLiteral("SmartHost"), *smartHost, ItemStatus::NotMapped,
                       QStringLiteral("an earlier virtual server already defines the connector for all domains; RelayDesk "
                                      "routes by recipient domain, not by listener"));
                makeConnector = false;
            }
        }
        if (makeConnector) {
            SendConnectorConfig c;
            QStringList taken;
            for (const SendConnectorConfig &b : base.sendConnectors)
                taken << b.name;
            c.name = uniqueName(QStringLiteral("iis-smarthost"), taken);
            c.domains = {QStringLiteral("*")};
            c.route = QStringLiteral("smarthost");
            QStringList hosts;
            for (const QString &h : host.split(QRegularExpression(QStringLiteral("[;,\\s]+")), Qt::SkipEmptyParts))
                hosts << hostPort(h, quint16(port));
            c.smartHosts = hosts;
            const bool m365 = isMicrosoft365(QString(hosts.value(0)).section(QLatin1Char(':'), 0, 0));
            if (m365)
                c.tls = QStringLiteral("verify");
            si.add(QStringLiteral("SmartHost"), *smartHost, ItemStatus::Mapped,
                   QStringLiteral("send connector \"%1\" for all domains to %2, TLS %3%4")
                       .arg(c.name, hosts.join(QStringLiteral(", ")), c.tls,
                            m365 ? QStringLiteral(". Microsoft 365 ends Basic SMTP AUTH: switch this connector to the "
                                                  "Microsoft 365 OAuth preset")
                                 : QString()));
            if (routeUser && !routeUser->text.trimmed().isEmpty()) {
                c.authUser = routeUser->text.trimmed();
                si.add(QStringLiteral("RouteUserName"), *routeUser, ItemStatus::Mapped,
                       QStringLiteral("connector AUTH user (password auth)"));
            }
            newConnectors << c;
        } else if (routeUser) {
            si.add(QStringLiteral("RouteUserName"), *routeUser, ItemStatus::NotMapped, QStringLiteral("no smart host connector imported"));
        }
        if (routePassword)
            si.add(QStringLiteral("RoutePassword"), *routePassword, ItemStatus::NotMapped,
                   QStringLiteral("stored encrypted by IIS (SECURE) and never imported: enter the password or an OAuth sign-in"),
                   QStringLiteral("(hidden)"));
        if (routeAction)
            si.add(QStringLiteral("RouteAction"), *routeAction, ItemStatus::NotMapped,
                   QStringLiteral("outbound security flags (TLS, auth kind) are not documented bit by bit; check the "
                                  "connector's TLS and AUTH settings"));
        if (auto v = take("RemoteSmtpSecurePort"))
            si.add(QStringLiteral("RemoteSmtpSecurePort"), *v, ItemStatus::NotMapped, QStringLiteral("the connector uses STARTTLS on the port above"));
        if (auto v = take("MaxOutConnectionsPerDomain")) {
            qint64 n = 0;
            if (!newConnectors.isEmpty() && toInt(v->text, &n) && n >= 1 && n <= 1000 && makeConnector) {
                newConnectors.last().maxConnections = int(n);
                si.add(QStringLiteral("MaxOutConnectionsPerDomain"), *v, ItemStatus::Mapped, QStringLiteral("connector max connections %1").arg(n));
            } else {
                si.add(QStringLiteral("MaxOutConnectionsPerDomain"), *v, ItemStatus::NotMapped, QStringLiteral("no connector from this server, or out of range"));
            }
        }

        // Delivery settings.
        if (auto v = take("SmtpRemoteProgressiveRetry")) {
            QStringList secs;
            bool ok = true;
            for (const QString &m : v->text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                qint64 n = 0;
                ok = ok && toInt(m, &n) && n > 0;
                secs << QString::number(n * 60);
            }
            if (ok && !secs.isEmpty())
                importSetting(si, QStringLiteral("SmtpRemoteProgressiveRetry"), *v, config::keys::kRetrySchedule,
                              secs.join(QLatin1Char(',')), secs.join(QLatin1Char(',')) + QStringLiteral(" s"), &r, &setKeys);
            else
                si.add(QStringLiteral("SmtpRemoteProgressiveRetry"), *v, ItemStatus::NotMapped,
                       QStringLiteral("not a list of minutes; the retry schedule is left unchanged"));
        }
        auto minutesSetting = [&](const char *prop, const char *key) {
            if (auto v = take(prop)) {
                qint64 n = 0;
                if (toInt(v->text, &n))
                    importSetting(si, QLatin1String(prop), *v, key, n * 60, QStringLiteral("%1 s").arg(n * 60), &r, &setKeys);
                else
                    si.add(QLatin1String(prop), *v, ItemStatus::NotMapped, QStringLiteral("not a number"));
            }
        };
        minutesSetting("SmtpExpireRemoteNDRMinutes", config::keys::kMaxAge);
        minutesSetting("SmtpRemoteDelayExpireMinutes", config::keys::kDelayWarning);
        if (auto v = take("ConnectionTimeout")) {
            qint64 n = 0;
            if (toInt(v->text, &n))
                importSetting(si, QStringLiteral("ConnectionTimeout"), *v, config::keys::kIdleTimeout, n,
                              QStringLiteral("%1 s").arg(n), &r, &setKeys);
            else
                si.add(QStringLiteral("ConnectionTimeout"), *v, ItemStatus::NotMapped, QStringLiteral("not a number"));
        }
        if (auto v = take("FullyQualifiedDomainName")) {
            const QString fqdn = v->text.trimmed();
            if (fqdn.isEmpty())
                si.add(QStringLiteral("FullyQualifiedDomainName"), *v, ItemStatus::Noted, QStringLiteral("empty: the host name stays"));
            else
                importSetting(si, QStringLiteral("FullyQualifiedDomainName"), *v, config::keys::kHostname, fqdn, fqdn, &r, &setKeys);
        }
        if (auto v = take("MasqueradeDomain")) {
            const QString d = v->text.trimmed();
            if (d.isEmpty())
                si.add(QStringLiteral("MasqueradeDomain"), *v, ItemStatus::Noted, QStringLiteral("empty: senders are not rewritten"));
            else
                importSetting(si, QStringLiteral("MasqueradeDomain"), *v, config::keys::kMasqueradeDomain, d, d, &r, &setKeys);
        }
        if (auto v = take("HopCount")) {
            qint64 n = 0;
            if (toInt(v->text, &n))
                importSetting(si, QStringLiteral("HopCount"), *v, config::keys::kMaxHops, n, QString::number(n), &r, &setKeys);
            else
                si.add(QStringLiteral("HopCount"), *v, ItemStatus::NotMapped, QStringLiteral("not a number"));
        }
        if (auto v = take("SendNdrTo")) {
            const QString a = v->text.trimmed();
            if (a.contains(QLatin1Char('@')))
                importSetting(si, QStringLiteral("SendNdrTo"), *v, config::keys::kNdrCopyTo, a, a, &r, &setKeys);
            else if (a.isEmpty())
                si.add(QStringLiteral("SendNdrTo"), *v, ItemStatus::Noted, QStringLiteral("empty: no NDR copies"));
            else
                si.add(QStringLiteral("SendNdrTo"), *v, ItemStatus::NotMapped,
                       QStringLiteral("\"%1\" is a local alias, not an address; set delivery.ndr_copy_to to a full address").arg(a));
        }
        // Folders: a Windows path from the old server is kept as it is (the
        // usual case is RelayDesk installed on the same machine); the engine
        // reports a folder that does not exist.
        auto folderSetting = [&](const char *prop, const char *key) {
            if (auto v = take(prop)) {
                const QString path = v->text.trimmed();
                if (path.isEmpty())
                    si.add(QLatin1String(prop), *v, ItemStatus::Noted, QStringLiteral("empty: RelayDesk's default"));
                else
                    importSetting(si, QLatin1String(prop), *v, key, path, path, &r, &setKeys);
            }
        };
        folderSetting("PickupDirectory", config::keys::kPickupDirectory);
        folderSetting("BadMailDirectory", config::keys::kBadmailDirectory);
        if (auto v = take("SendBadTo"))
            si.add(QStringLiteral("SendBadTo"), *v, ItemStatus::Noted,
                   QStringLiteral("badmail stays in the badmail folder and is listed in the Delivery panel; "
                                  "delivery.ndr_copy_to gets copies of non-delivery reports"));
        if (auto v = take("MaxConnections"))
            si.add(QStringLiteral("MaxConnections"), *v, ItemStatus::NotMapped,
                   QStringLiteral("see smtp.max_sessions (global) in Settings"));

        // Everything else that was read.
        for (auto it = props.cbegin(); it != props.cend(); ++it)
            si.add(it.key(), it.value(), ItemStatus::NotMapped, QStringLiteral("no RelayDesk equivalent; ignored"),
                   it.value().text.size() > 48 ? it.value().text.left(48) + QStringLiteral("...") : QString());
    }

    // Apply to the proposal: replace listeners on the same address and port.
    for (const ListenerConfig &l : newListeners) {
        for (int i = r.proposed.listeners.size() - 1; i >= 0; --i) {
            const ListenerConfig &old = r.proposed.listeners[i];
            if (old.address == l.address && old.port == l.port) {
                r.items << ReportItem{QStringLiteral("(result)"), QStringLiteral("listener"), old.name, ItemStatus::Noted,
                                      QStringLiteral("replaced by %1 (same address and port)").arg(l.name)};
                r.proposed.listeners.removeAt(i);
            }
        }
        r.proposed.listeners << l;
    }
    r.proposed.sendConnectors = newConnectors + r.proposed.sendConnectors;

    if (r.errors.isEmpty()) {
        r.errors << r.proposed.validate();
        r.errors << config::validateSendConnectors(r.proposed.sendConnectors);
    }
    r.ok = r.errors.isEmpty();
    return r;
}

} // namespace rd::iisimport

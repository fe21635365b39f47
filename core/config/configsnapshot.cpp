#include "config/configsnapshot.h"

#include "directory/directoryconfig.h"

#include "util/cidr.h"

#include <QHostAddress>
#include <QSet>

namespace rd::config {

ConfigSnapshot::ConfigSnapshot()
{
    listeners.append(ListenerConfig{});
}

QVariant ConfigSnapshot::value(const char *key) const
{
    const QString k = QString::fromLatin1(key);
    const auto it = m_values.constFind(k);
    if (it != m_values.cend())
        return *it;
    const SettingDef *def = findSetting(k);
    Q_ASSERT_X(def, "ConfigSnapshot::value", key);
    return def ? def->defaultValue : QVariant();
}

bool ConfigSnapshot::setValue(const QString &key, const QVariant &raw, QString *error)
{
    const SettingDef *def = findSetting(key);
    if (!def) {
        *error = QStringLiteral("unknown setting \"%1\"").arg(key);
        return false;
    }
    QVariant v;
    if (!validateSetting(*def, raw, &v, error))
        return false;
    QVariant canonicalDefault;
    QString ignored;
    validateSetting(*def, def->defaultValue, &canonicalDefault, &ignored);
    if (v == canonicalDefault)
        m_values.remove(key);
    else
        m_values.insert(key, v);
    return true;
}

QStringList ConfigSnapshot::validate() const
{
    QStringList errors;
    QSet<QString> endpoints;
    for (int i = 0; i < listeners.size(); ++i) {
        const ListenerConfig &l = listeners.at(i);
        const QString where = QStringLiteral("listener %1 (\"%2\")").arg(i + 1).arg(l.name);
        QHostAddress a;
        if (!a.setAddress(l.address))
            errors << QStringLiteral("%1: address \"%2\" is not an IPv4 or IPv6 address").arg(where, l.address);
        if (l.port == 0)
            errors << QStringLiteral("%1: port must be 1-65535").arg(where);
        const QString ep = a.toString() + QLatin1Char('|') + QString::number(l.port);
        if (endpoints.contains(ep))
            errors << QStringLiteral("%1: %2 port %3 is used by another listener").arg(where, l.address).arg(l.port);
        endpoints.insert(ep);
        const QStringList modes = {QStringLiteral("plain"), QStringLiteral("starttls_required"),
                                   QStringLiteral("implicit_tls")};
        if (!modes.contains(l.mode))
            errors << QStringLiteral("%1: mode \"%2\" must be one of %3").arg(where, l.mode, modes.join(QStringLiteral(", ")));
        if (l.role != QLatin1String("relay") && l.role != QLatin1String("submission"))
            errors << QStringLiteral("%1: role \"%2\" must be relay or submission").arg(where, l.role);
        if (l.mode != QLatin1String("plain") && l.certificate.isEmpty())
            errors << QStringLiteral("%1: mode %2 needs a certificate").arg(where, l.mode);
        if (l.maxMessageSize != 0 && (l.maxMessageSize < 1024 || l.maxMessageSize > 2147483647))
            errors << QStringLiteral("%1: max_message_size must be 0 (global) or 1024-2147483647").arg(where);
        if (l.maxRecipients < 0 || l.maxRecipients > 10000)
            errors << QStringLiteral("%1: max_recipients must be 0 (global) or 1-10000").arg(where);
        if (l.maxSessionsPerIp < 0 || l.maxSessionsPerIp > 100000)
            errors << QStringLiteral("%1: max_sessions_per_ip must be 0 (global) or 1-100000").arg(where);
        for (const QString &g : l.relayGroups) {
            const QString problem = directory::dnProblem(g);
            if (!problem.isEmpty())
                errors << QStringLiteral("%1: relay_groups: %2").arg(where, problem);
        }
        util::CidrList list;
        QString why;
        if (!list.parse(l.proxyFrom, &why))
            errors << QStringLiteral("%1: proxy_from %2").arg(where, why);
        if (!list.parse(l.relayAllow, &why))
            errors << QStringLiteral("%1: relay_allow %2").arg(where, why);
        if (!list.parse(l.relayDeny, &why))
            errors << QStringLiteral("%1: relay_deny %2").arg(where, why);
    }
    for (const QString &d : acceptedDomains) {
        if (d.isEmpty() || d.contains(QLatin1Char(' ')) || d.contains(QLatin1Char('@')) || d.endsWith(QLatin1Char('.')))
            errors << QStringLiteral("accepted domain \"%1\" is not a domain name").arg(d);
    }
    errors << validateSendConnectors(sendConnectors);
    errors << validateRateLimits(rateLimits);
    errors << validateDnsblZones(dnsblZones);
    errors << validateContentRules(contentRules);
    errors << validateConnectionRules(connectionRules);
    return errors;
}

void keepStoredSecretSettings(ConfigSnapshot *incoming, const ConfigSnapshot &stored)
{
    for (const SettingDef &def : allSettings()) {
        if (!def.secret)
            continue;
        const QByteArray key = def.key.toLatin1();
        const QString old = stored.stringValue(key.constData());
        QString ignored;
        if (incoming->stringValue(key.constData()).isEmpty() && !old.isEmpty())
            incoming->setValue(def.key, old, &ignored);
    }
}

} // namespace rd::config

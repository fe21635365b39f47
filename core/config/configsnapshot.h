#pragma once
// A complete, validated configuration: what the engine runs with and what
// import/export and the GUI exchange. A value type; cheap to copy.

#include "config/connectionrules.h"
#include "config/policyconfig.h"
#include "config/sendconnector.h"
#include "config/settings.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVariantMap>

namespace rd::config {

struct ListenerConfig {
    QString name = QStringLiteral("default");
    QString address = QStringLiteral("127.0.0.1");
    quint16 port = 2525;
    QStringList relayAllow = {QStringLiteral("127.0.0.1/32")};
    QStringList relayDeny;
    // "plain" (STARTTLS offered when a certificate is set), "starttls_required",
    // or "implicit_tls" (TLS from the first byte, as on port 465).
    QString mode = QStringLiteral("plain");
    // "relay" (IP-listed clients relay; AUTH optional) or "submission" (AUTH
    // required before MAIL, as on 587).
    QString role = QStringLiteral("relay");
    QString certificate;            // id in the certificate store; empty: no TLS
    bool allowPlaintextAuth = false; // AUTH without TLS, honoured for loopback clients only
    // Per-listener limits; 0 means "the global setting" (smtp.max_message_size,
    // smtp.max_recipients, smtp.max_sessions_per_ip).
    qint64 maxMessageSize = 0;
    int maxRecipients = 0;
    int maxSessionsPerIp = 0;
    // Directory users (issue #10): the group DNs whose members may relay here
    // (empty: directory.relay_groups), and whether they may only use their
    // own addresses (mail, proxyAddresses) as MAIL FROM ("send as").
    QStringList relayGroups;
    bool senderCheck = false;
    // PROXY protocol (issue #11): connections from these addresses/CIDRs (the
    // load balancers, e.g. HAProxy with send-proxy-v2) must start with a PROXY
    // header, v1 or v2, and the client address it names is the one relay lists,
    // limits, DNSBL and logs see. Empty: off. Others sending one are refused.
    QStringList proxyFrom;

    bool operator==(const ListenerConfig &) const = default;
};

class ConfigSnapshot {
public:
    // The defaults: every setting at its default, one listener on 127.0.0.1:2525.
    ConfigSnapshot();

    // Typed access; a key that is not declared is a programming error (asserts
    // in debug, returns the zero value in release).
    QVariant value(const char *key) const;
    qint64 intValue(const char *key) const { return value(key).toLongLong(); }
    QString stringValue(const char *key) const { return value(key).toString(); }
    bool boolValue(const char *key) const { return value(key).toBool(); }

    // Sets a validated value; false (with *error) if invalid or unknown.
    bool setValue(const QString &key, const QVariant &raw, QString *error);

    // Only the values that differ from their defaults.
    const QVariantMap &explicitValues() const { return m_values; }

    QList<ListenerConfig> listeners;
    QStringList acceptedDomains;
    // Outbound routes, first match wins. Empty: every domain goes to the
    // delivery.smarthost setting (when set), as before send connectors existed.
    QList<SendConnectorConfig> sendConnectors;
    // Abuse control (config/policyconfig.h), each in list order.
    QList<RateLimitRule> rateLimits;
    QList<DnsblZone> dnsblZones;
    QList<ContentRule> contentRules;
    // Connection control (config/connectionrules.h), in list order (the
    // evaluation order is by priority, not by position).
    QList<ConnectionRule> connectionRules;

    // Validates listeners and lists: addresses, ports, CIDRs, duplicates, and
    // the rate limits, DNSBL zones, content rules and connection rules.
    QStringList validate() const;

    bool operator==(const ConfigSnapshot &) const = default;

private:
    QVariantMap m_values; // key -> canonical value (only non-defaults)
};

// Secret settings (SettingDef::secret) that `incoming` leaves empty take the
// stored value: an export without secrets imported again, or a GUI copy,
// does not wipe the TSIG secret. (To drop a secret, clear the setting that
// uses it, e.g. acme.dns_update_server.)
void keepStoredSecretSettings(ConfigSnapshot *incoming, const ConfigSnapshot &stored);

} // namespace rd::config

Q_DECLARE_METATYPE(rd::config::ConfigSnapshot)

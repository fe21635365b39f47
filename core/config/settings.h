#pragma once
// Every setting is declared once here: key, type, default, bounds, meaning.
// The config store, the JSON import/export and the GUI pages all use this
// registry; nothing else spells a setting key.

#include <QString>
#include <QVariant>
#include <QVector>

namespace rd::config {

enum class SettingType { Int, String, Bool };

struct SettingDef {
    QString key;
    SettingType type;
    QVariant defaultValue;
    qint64 min = 0;            // Int: value bounds; String: length bounds
    qint64 max = 0;
    QString description;
    // Extra validation for strings (host:port, schedules); returns an error
    // sentence or an empty string. May be null.
    QString (*validate)(const QString &value) = nullptr;
    // A secret (a TSIG key): stored in config.db like the send connectors'
    // passwords, left out of exports without secrets, never logged, and kept
    // when an import or the GUI brings it empty (keepStoredSecretSettings()).
    bool secret = false;
};

// Keys, so code does not repeat string literals.
namespace keys {
inline constexpr const char kHostname[] = "server.hostname";
inline constexpr const char kMaxMessageSize[] = "smtp.max_message_size";
inline constexpr const char kMaxRecipients[] = "smtp.max_recipients";
inline constexpr const char kMaxErrors[] = "smtp.max_errors";
inline constexpr const char kIdleTimeout[] = "smtp.idle_timeout_s";
inline constexpr const char kMaxSessions[] = "smtp.max_sessions";
inline constexpr const char kMaxSessionsPerIp[] = "smtp.max_sessions_per_ip";
inline constexpr const char kMaxSessionTime[] = "smtp.max_session_time_s";
inline constexpr const char kSmartHost[] = "delivery.smarthost";
inline constexpr const char kRetrySchedule[] = "delivery.retry_schedule";
inline constexpr const char kMaxAge[] = "delivery.max_age_s";
inline constexpr const char kMaxConnections[] = "delivery.max_connections";
inline constexpr const char kConnectTimeout[] = "delivery.connect_timeout_s";
inline constexpr const char kCommandTimeout[] = "delivery.command_timeout_s";
inline constexpr const char kLogRetentionDays[] = "log.retention_days";
inline constexpr const char kMxPort[] = "delivery.mx_port";
inline constexpr const char kDelayWarning[] = "delivery.delay_warning_s";
inline constexpr const char kDnsServers[] = "dns.servers";
inline constexpr const char kDnsTimeout[] = "dns.timeout_ms";
inline constexpr const char kInboundChecks[] = "mailauth.inbound_checks";
inline constexpr const char kInboundCheckTimeout[] = "mailauth.check_timeout_ms";
inline constexpr const char kDnsblCheckClients[] = "dnsbl.check_clients";
inline constexpr const char kGreylisting[] = "greylist.enabled";
inline constexpr const char kGreylistDelay[] = "greylist.delay_s";
inline constexpr const char kGreylistRetryWindow[] = "greylist.retry_window_s";
inline constexpr const char kGreylistExpiry[] = "greylist.expiry_days";
inline constexpr const char kLogMaxSize[] = "log.max_size_mb";
inline constexpr const char kLogTranscripts[] = "log.transcripts";
inline constexpr const char kAlertEmail[] = "alerts.email";
inline constexpr const char kAlertAuthFailures[] = "alerts.auth_failures";
inline constexpr const char kAlertVolumeFactor[] = "alerts.volume_factor";
inline constexpr const char kAlertVolumeMinimum[] = "alerts.volume_minimum";
inline constexpr const char kAlertQueueSize[] = "alerts.queue_size";
inline constexpr const char kAlertQueueAge[] = "alerts.queue_age_s";
inline constexpr const char kAlertCertDays[] = "alerts.certificate_days";
inline constexpr const char kAlertDnsblSelf[] = "alerts.dnsbl_self";
inline constexpr const char kCheckDomains[] = "dnschecks.domains";
inline constexpr const char kPublicAddresses[] = "dnschecks.public_addresses";
// IIS parity (#12).
inline constexpr const char kPickupDirectory[] = "pickup.directory";
inline constexpr const char kBadmailDirectory[] = "badmail.directory";
inline constexpr const char kBadmailRetentionDays[] = "badmail.retention_days";
inline constexpr const char kNdrCopyTo[] = "delivery.ndr_copy_to";
inline constexpr const char kMasqueradeDomain[] = "delivery.masquerade_domain";
inline constexpr const char kMaxHops[] = "delivery.max_hops";
inline constexpr const char kBansEnabled[] = "bans.enabled";
inline constexpr const char kBanAuthFailures[] = "bans.auth_failures";
inline constexpr const char kBanRejectedRecipients[] = "bans.rejected_recipients";
inline constexpr const char kBanProtocolErrors[] = "bans.protocol_errors";
inline constexpr const char kBanWindow[] = "bans.window_s";
inline constexpr const char kBanDuration[] = "bans.duration_s";
inline constexpr const char kMtaSts[] = "mtasts.enabled";
inline constexpr const char kMtaStsCaFile[] = "mtasts.ca_file";
inline constexpr const char kMtaStsPolicyPort[] = "mtasts.policy_port";
inline constexpr const char kDane[] = "dane.enabled";
inline constexpr const char kTlsRpt[] = "tlsrpt.enabled";
inline constexpr const char kAcmeDirectory[] = "acme.directory_url";
inline constexpr const char kAcmeEmail[] = "acme.email";
inline constexpr const char kAcmeCaFile[] = "acme.ca_file";
inline constexpr const char kAcmeHttp01[] = "acme.http01_allowed";
inline constexpr const char kAcmeHttp01Port[] = "acme.http01_port";
// DNS-01 by RFC 2136 DNS UPDATE with TSIG (issue #12): off while the server is empty.
inline constexpr const char kAcmeDnsUpdateServer[] = "acme.dns_update_server";
inline constexpr const char kAcmeDnsUpdateZone[] = "acme.dns_update_zone";
inline constexpr const char kAcmeTsigKeyName[] = "acme.tsig_key_name";
inline constexpr const char kAcmeTsigAlgorithm[] = "acme.tsig_algorithm";
inline constexpr const char kAcmeTsigSecret[] = "acme.tsig_secret";
inline constexpr const char kAcmeDnsUpdateTtl[] = "acme.dns_update_ttl";
// Directory sign-in (issue #10): AD or OpenLDAP users, relay right from groups.
inline constexpr const char kDirectoryEnabled[] = "directory.enabled";
inline constexpr const char kDirectoryKind[] = "directory.kind";
inline constexpr const char kDirectoryServers[] = "directory.servers";
inline constexpr const char kDirectoryCaFile[] = "directory.ca_file";
inline constexpr const char kDirectoryVerifyCertificate[] = "directory.verify_certificate";
inline constexpr const char kDirectoryBindDn[] = "directory.bind_dn";
inline constexpr const char kDirectoryBindPassword[] = "directory.bind_password";
inline constexpr const char kDirectoryBaseDn[] = "directory.base_dn";
inline constexpr const char kDirectoryUserFilter[] = "directory.user_filter";
inline constexpr const char kDirectoryRelayGroups[] = "directory.relay_groups";
inline constexpr const char kDirectoryTimeoutMs[] = "directory.timeout_ms";
inline constexpr const char kDirectoryCacheSeconds[] = "directory.cache_seconds";
inline constexpr const char kGssapiKeytab[] = "gssapi.keytab";
inline constexpr const char kGssapiPrincipal[] = "gssapi.service_principal";
} // namespace keys

// All declared settings, in display order.
const QVector<SettingDef> &allSettings();

// The declaration of `key`, or null if no such setting exists.
const SettingDef *findSetting(const QString &key);

// Checks and converts a raw value (from JSON, the GUI or the database) for
// `def`. On success returns true and sets *out to the canonical value.
bool validateSetting(const SettingDef &def, const QVariant &raw, QVariant *out, QString *error);

// "host:port" / "[v6]:port" parsing shared by the smart host setting and delivery.
bool parseHostPort(const QString &text, QString *host, quint16 *port, QString *error);
// acme.dns_update_server: "host", "address", "host:port" or "[v6]:port"; port 53 when none is given.
bool parseDnsUpdateServer(const QString &text, QString *host, quint16 *port, QString *error);

// "60,300,900" -> {60, 300, 900}; empty on error (with *error set).
QVector<int> parseSchedule(const QString &text, QString *error);

} // namespace rd::config

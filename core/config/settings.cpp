#include "config/settings.h"

#include "directory/directoryconfig.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QUrl>

namespace rd::config {
namespace {

QString validateSmartHost(const QString &value)
{
    if (value.isEmpty())
        return {};
    QString host, error;
    quint16 port = 0;
    if (!parseHostPort(value, &host, &port, &error))
        return error;
    return {};
}

QString validateSchedule(const QString &value)
{
    QString error;
    parseSchedule(value, &error);
    return error;
}

QString validateDnsServers(const QString &value)
{
    for (const QString &part : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString s = part.trimmed();
        QString host, error;
        quint16 port = 0;
        QHostAddress a;
        if (a.setAddress(s))
            continue;
        if (!parseHostPort(s, &host, &port, &error) || !a.setAddress(host))
            return QStringLiteral("\"%1\" is not an IP address or IP:port").arg(s);
    }
    return {};
}

QString validateAddressList(const QString &value)
{
    for (const QString &part : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        QHostAddress a;
        if (!a.setAddress(part.trimmed()))
            return QStringLiteral("\"%1\" is not an IP address").arg(part.trimmed());
    }
    return {};
}

QString validateDomainName(const QString &value)
{
    if (value.isEmpty())
        return {};
    const QString ace = QString::fromLatin1(QUrl::toAce(value));
    const QStringList labels = ace.split(QLatin1Char('.'));
    bool ok = !ace.isEmpty() && labels.size() >= 2 && ace.size() <= 253;
    for (const QString &l : labels) {
        ok = ok && !l.isEmpty() && l.size() <= 63 && !l.startsWith(QLatin1Char('-')) && !l.endsWith(QLatin1Char('-'));
        for (QChar c : l)
            ok = ok && (c.isLetterOrNumber() || c == QLatin1Char('-')) && c.unicode() < 128;
    }
    return ok ? QString() : QStringLiteral("\"%1\" is not a domain name (like example.com)").arg(value);
}

QString validateMailAddress(const QString &value)
{
    if (value.isEmpty())
        return {};
    const int at = value.lastIndexOf(QLatin1Char('@'));
    const QString local = at > 0 ? value.left(at) : QString();
    bool ok = at > 0 && validateDomainName(value.mid(at + 1)).isEmpty() && local.size() <= 64;
    for (QChar c : local)
        ok = ok && !c.isSpace() && c != QLatin1Char('<') && c != QLatin1Char('>') && c != QLatin1Char(',');
    return ok ? QString() : QStringLiteral("\"%1\" is not a mail address (like admin@example.com)").arg(value);
}

// "host", "host:port", "[v6]:port" or a bare IPv6 address (port 53 then).
QString validateDnsUpdateServer(const QString &value)
{
    if (value.trimmed().isEmpty())
        return {};
    QString host, error;
    quint16 port = 0;
    if (!parseDnsUpdateServer(value, &host, &port, &error))
        return error;
    return {};
}

QString validateTsigAlgorithm(const QString &value)
{
    const QString v = value.trimmed().toLower();
    if (v == QLatin1String("hmac-sha256") || v == QLatin1String("hmac-sha512"))
        return {};
    return QStringLiteral("\"%1\" is not hmac-sha256 or hmac-sha512").arg(value);
}

// Never echoes the value: it is a secret.
QString validateBase64Secret(const QString &value)
{
    if (value.trimmed().isEmpty())
        return {};
    const auto decoded = QByteArray::fromBase64Encoding(value.trimmed().toLatin1(),
                                                        QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty())
        return QStringLiteral("the secret is not base64 (as in a BIND/Knot key file: secret \"...\")");
    return {};
}

QString validateOptionalDomain(const QString &value)
{
    QString v = value.trimmed();
    if (v.endsWith(QLatin1Char('.')))
        v.chop(1);
    if (v.isEmpty())
        return {};
    // A TSIG key name or a zone may be one label ("acme-key"); check each label.
    const QString ace = QString::fromLatin1(QUrl::toAce(v));
    bool ok = !ace.isEmpty() && ace.size() <= 253;
    for (const QString &l : ace.split(QLatin1Char('.'))) {
        ok = ok && !l.isEmpty() && l.size() <= 63;
        for (QChar c : l)
            ok = ok && (c.isLetterOrNumber() || c == QLatin1Char('-') || c == QLatin1Char('_')) && c.unicode() < 128;
    }
    return ok ? QString() : QStringLiteral("\"%1\" is not a domain name").arg(value);
}

QString validateDirectoryKind(const QString &value)
{
    directory::DirectoryKind kind;
    return directory::parseKind(value, &kind) ? QString() : QStringLiteral("directory.kind is \"ad\" or \"openldap\"");
}

QString validateDirectoryServers(const QString &value)
{
    QList<directory::DirectoryServer> servers;
    QString error;
    return directory::parseServers(value, &servers, &error) ? QString() : error;
}

QString validateOptionalDn(const QString &value)
{
    return value.trimmed().isEmpty() ? QString() : directory::dnProblem(value);
}

QString validateGroupList(const QString &value)
{
    for (const QString &dn : directory::parseGroupList(value)) {
        const QString problem = directory::dnProblem(dn);
        if (!problem.isEmpty())
            return problem;
    }
    return {};
}

QString defaultHostname()
{
    const QString h = QHostInfo::localHostName();
    return h.isEmpty() ? QStringLiteral("localhost") : h;
}

QVector<SettingDef> buildSettings()
{
    using T = SettingType;
    return {
        {QString::fromLatin1(keys::kHostname), T::String, defaultHostname(), 1, 253,
         QStringLiteral("Name in the SMTP banner, EHLO and Received headers")},
        {QString::fromLatin1(keys::kMaxMessageSize), T::Int, 36700160, 1024, 2147483647,
         QStringLiteral("Largest message accepted (octets; advertised as SIZE)")},
        {QString::fromLatin1(keys::kMaxRecipients), T::Int, 100, 1, 10000,
         QStringLiteral("Recipients per message")},
        {QString::fromLatin1(keys::kMaxErrors), T::Int, 10, 1, 1000,
         QStringLiteral("Bad commands in a session before it is closed")},
        {QString::fromLatin1(keys::kIdleTimeout), T::Int, 300, 1, 3600,
         QStringLiteral("Seconds a client may stay silent")},
        {QString::fromLatin1(keys::kMaxSessions), T::Int, 1000, 1, 100000,
         QStringLiteral("Concurrent inbound SMTP sessions")},
        {QString::fromLatin1(keys::kMaxSessionsPerIp), T::Int, 20, 1, 100000,
         QStringLiteral("Concurrent inbound SMTP sessions from one client address (421 4.7.0 beyond)")},
        {QString::fromLatin1(keys::kMaxSessionTime), T::Int, 1800, 10, 86400,
         QStringLiteral("Longest an inbound session may last, busy or not (421 4.4.2 after)")},
        {QString::fromLatin1(keys::kSmartHost), T::String, QString(), 0, 260,
         QStringLiteral("Smart host (host:port) that receives all outgoing mail"), &validateSmartHost},
        {QString::fromLatin1(keys::kRetrySchedule), T::String, QStringLiteral("60,300,900,1800,3600"), 1, 500,
         QStringLiteral("Seconds between delivery attempts; the last value repeats"), &validateSchedule},
        {QString::fromLatin1(keys::kMaxAge), T::Int, 432000, 60, 2592000,
         QStringLiteral("Seconds a message may wait before it fails")},
        {QString::fromLatin1(keys::kMaxConnections), T::Int, 20, 1, 1000,
         QStringLiteral("Concurrent outbound connections")},
        {QString::fromLatin1(keys::kConnectTimeout), T::Int, 30, 1, 600,
         QStringLiteral("Seconds to wait for an outbound TCP connection")},
        {QString::fromLatin1(keys::kCommandTimeout), T::Int, 300, 1, 3600,
         QStringLiteral("Seconds to wait for each reply of a remote server")},
        {QString::fromLatin1(keys::kMxPort), T::Int, 25, 1, 65535,
         QStringLiteral("Port of MX hosts for send connectors that route by MX (25; others only in labs)")},
        {QString::fromLatin1(keys::kDelayWarning), T::Int, 0, 0, 2592000,
         QStringLiteral("Seconds in the queue before the sender gets a delay warning (0: never)")},
        {QString::fromLatin1(keys::kLogRetentionDays), T::Int, 30, 1, 3650,
         QStringLiteral("Days log rows are kept")},
        {QString::fromLatin1(keys::kDnsServers), T::String, QString(), 0, 500,
         QStringLiteral("DNS servers (ip or ip:port, comma-separated); empty: the system's"), &validateDnsServers},
        {QString::fromLatin1(keys::kDnsTimeout), T::Int, 3000, 100, 60000,
         QStringLiteral("Milliseconds to wait for a DNS server before trying again")},
        {QString::fromLatin1(keys::kInboundChecks), T::Bool, false, 0, 0,
         QStringLiteral("Check SPF, DKIM and DMARC of mail from clients without the relay right and record the "
                        "results in an Authentication-Results header")},
        {QString::fromLatin1(keys::kInboundCheckTimeout), T::Int, 8000, 500, 60000,
         QStringLiteral("Milliseconds the inbound SPF/DKIM/DMARC checks may take before the results are "
                        "recorded as temperror")},
        {QString::fromLatin1(keys::kDnsblCheckClients), T::Bool, false, 0, 0,
         QStringLiteral("Look connecting clients up in the enabled DNS block lists; a listed client without the "
                        "relay right gets 554 5.7.1 naming the list")},
        {QString::fromLatin1(keys::kGreylisting), T::Bool, false, 0, 0,
         QStringLiteral("Greylist mail from clients without the relay right: the first attempt of a new "
                        "(client network, sender, recipient) gets 450 4.7.1")},
        {QString::fromLatin1(keys::kGreylistDelay), T::Int, 300, 1, 86400,
         QStringLiteral("Seconds a new triplet must wait before a retry is accepted")},
        {QString::fromLatin1(keys::kGreylistRetryWindow), T::Int, 172800, 60, 2592000,
         QStringLiteral("Seconds after the first attempt in which a retry still counts")},
        {QString::fromLatin1(keys::kGreylistExpiry), T::Int, 35, 1, 3650,
         QStringLiteral("Days a passed triplet stays known without new mail")},
        {QString::fromLatin1(keys::kLogMaxSize), T::Int, 2048, 0, 1048576,
         QStringLiteral("Largest size of the log database in MB; the oldest rows go first (0: no limit)")},
        {QString::fromLatin1(keys::kLogTranscripts), T::Bool, true, 0, 0,
         QStringLiteral("Keep each SMTP session's command/reply transcript (AUTH secrets redacted)")},
        {QString::fromLatin1(keys::kAlertEmail), T::String, QString(), 0, 254,
         QStringLiteral("Address that receives alerts by mail through the relay itself; empty: no mail")},
        {QString::fromLatin1(keys::kAlertAuthFailures), T::Int, 20, 0, 100000,
         QStringLiteral("AUTH failures from one IP or for one user within 10 minutes that raise an alert "
                        "(0: never)")},
        {QString::fromLatin1(keys::kAlertVolumeFactor), T::Int, 5, 0, 1000,
         QStringLiteral("Alert when a sender's or user's outbound messages in the last hour exceed this many "
                        "times its usual hourly rate (0: never)")},
        {QString::fromLatin1(keys::kAlertVolumeMinimum), T::Int, 200, 1, 10000000,
         QStringLiteral("Messages per hour below which the volume alert never fires")},
        {QString::fromLatin1(keys::kAlertQueueSize), T::Int, 1000, 0, 10000000,
         QStringLiteral("Queue size that raises an alert (0: never)")},
        {QString::fromLatin1(keys::kAlertQueueAge), T::Int, 3600, 0, 2592000,
         QStringLiteral("Age in seconds of the oldest queued message that raises an alert (0: never)")},
        {QString::fromLatin1(keys::kAlertCertDays), T::Int, 14, 0, 365,
         QStringLiteral("Days before a listener certificate expires that raise an alert (0: never)")},
        {QString::fromLatin1(keys::kAlertDnsblSelf), T::Bool, true, 0, 0,
         QStringLiteral("Alert when a DNS check finds one of the relay's public addresses on a block list")},
        {QString::fromLatin1(keys::kCheckDomains), T::String, QString(), 0, 4000,
         QStringLiteral("Sending domains the DNS checks panel checks (comma-separated)")},
        {QString::fromLatin1(keys::kPublicAddresses), T::String, QString(), 0, 1000,
         QStringLiteral("The relay's public IP addresses as the Internet sees them (comma-separated): SPF, PTR "
                        "and DNSBL checks use them"), &validateAddressList},
        {QString::fromLatin1(keys::kPickupDirectory), T::String, QString(), 0, 1000,
         QStringLiteral("Folder watched for .eml files to send, as IIS's Pickup folder (System.Net.Mail "
                        "SpecifiedPickupDirectory); empty: off")},
        {QString::fromLatin1(keys::kBadmailDirectory), T::String, QString(), 0, 1000,
         QStringLiteral("Folder for unparsable pickup files and undeliverable mail, each with a .bad reason "
                        "file; empty: the data folder's badmail")},
        {QString::fromLatin1(keys::kBadmailRetentionDays), T::Int, 30, 0, 3650,
         QStringLiteral("Days badmail files are kept (0: forever)")},
        {QString::fromLatin1(keys::kNdrCopyTo), T::String, QString(), 0, 254,
         QStringLiteral("Address that gets a copy of every non-delivery report; empty: none"), &validateMailAddress},
        {QString::fromLatin1(keys::kMasqueradeDomain), T::String, QString(), 0, 253,
         QStringLiteral("Domain that replaces the envelope sender's domain on outgoing mail; empty: off"),
         &validateDomainName},
        {QString::fromLatin1(keys::kMaxHops), T::Int, 30, 1, 500,
         QStringLiteral("Received header fields a message may carry; more is a mail loop (bounced, 5.4.6)")},
        {QString::fromLatin1(keys::kBansEnabled), T::Bool, true, 0, 0,
         QStringLiteral("Ban client addresses for a while after repeated failures")},
        {QString::fromLatin1(keys::kBanAuthFailures), T::Int, 10, 0, 100000,
         QStringLiteral("Failed AUTH attempts within the window that ban the address (0: never)")},
        {QString::fromLatin1(keys::kBanRejectedRecipients), T::Int, 50, 0, 100000,
         QStringLiteral("Rejected recipients within the window that ban the address (0: never)")},
        {QString::fromLatin1(keys::kBanProtocolErrors), T::Int, 30, 0, 100000,
         QStringLiteral("Protocol errors within the window that ban the address (0: never)")},
        {QString::fromLatin1(keys::kBanWindow), T::Int, 600, 10, 86400,
         QStringLiteral("Seconds over which failures are counted for a ban")},
        {QString::fromLatin1(keys::kBanDuration), T::Int, 3600, 10, 31536000,
         QStringLiteral("Seconds a ban lasts")},
        {QString::fromLatin1(keys::kMtaSts), T::Bool, true, 0, 0,
         QStringLiteral("Apply recipient domains' MTA-STS policies (RFC 8461) to delivery by MX")},
        {QString::fromLatin1(keys::kMtaStsCaFile), T::String, QString(), 0, 1000,
         QStringLiteral("PEM CA bundle trusted for MTA-STS policy hosts and MX certificates instead of the "
                        "system store (a private CA; tests)")},
        {QString::fromLatin1(keys::kMtaStsPolicyPort), T::Int, 443, 1, 65535,
         QStringLiteral("HTTPS port of MTA-STS policy hosts (443; other values for tests only)")},
        {QString::fromLatin1(keys::kDane), T::Bool, false, 0, 0,
         QStringLiteral("Authenticate MX hosts by DANE TLSA records (RFC 7672) where DNSSEC validates; the DNS "
                        "servers (dns.servers) must be validating resolvers (their AD bit is trusted)")},
        {QString::fromLatin1(keys::kTlsRpt), T::Bool, false, 0, 0,
         QStringLiteral("Send daily TLS-RPT (RFC 8460) reports of outbound TLS results to domains that ask")},
        {QString::fromLatin1(keys::kAcmeDirectory), T::String,
         QStringLiteral("https://acme-v02.api.letsencrypt.org/directory"), 0, 1000,
         QStringLiteral("ACME directory URL for certificates RelayDesk orders itself")},
        {QString::fromLatin1(keys::kAcmeEmail), T::String, QString(), 0, 254,
         QStringLiteral("Contact address of the ACME account"), &validateMailAddress},
        {QString::fromLatin1(keys::kAcmeCaFile), T::String, QString(), 0, 1000,
         QStringLiteral("PEM CA certificates trusted for the ACME server besides the system store (a private "
                        "ACME CA; tests)")},
        {QString::fromLatin1(keys::kAcmeHttp01), T::Bool, false, 0, 0,
         QStringLiteral("Allow ACME HTTP-01 challenges (a temporary HTTP listener while an order runs)")},
        {QString::fromLatin1(keys::kAcmeHttp01Port), T::Int, 80, 1, 65535,
         QStringLiteral("Port of the temporary HTTP-01 listener")},
        {QString::fromLatin1(keys::kAcmeDnsUpdateServer), T::String, QString(), 0, 260,
         QStringLiteral("DNS-01 without a manual step: the primary DNS server (host or host:port, port 53 by "
                        "default) that takes RFC 2136 updates of the _acme-challenge TXT records, signed with the "
                        "TSIG key below; empty: the admin publishes the records"),
         &validateDnsUpdateServer},
        {QString::fromLatin1(keys::kAcmeDnsUpdateZone), T::String, QString(), 0, 253,
         QStringLiteral("Zone the DNS-01 updates go to; empty: asked from the update server (the zone of its SOA "
                        "for each _acme-challenge name)"),
         &validateOptionalDomain},
        {QString::fromLatin1(keys::kAcmeTsigKeyName), T::String, QString(), 0, 253,
         QStringLiteral("Name of the TSIG key (RFC 8945) that signs the DNS-01 updates, as the DNS server knows it"),
         &validateOptionalDomain},
        {QString::fromLatin1(keys::kAcmeTsigAlgorithm), T::String, QStringLiteral("hmac-sha256"), 1, 20,
         QStringLiteral("TSIG algorithm: hmac-sha256 or hmac-sha512"), &validateTsigAlgorithm},
        {QString::fromLatin1(keys::kAcmeTsigSecret), T::String, QString(), 0, 500,
         QStringLiteral("The TSIG key's secret, base64 (a secret: not exported without secrets, never logged)"),
         &validateBase64Secret, true},
        {QString::fromLatin1(keys::kAcmeDnsUpdateTtl), T::Int, 60, 1, 86400,
         QStringLiteral("TTL in seconds of the _acme-challenge TXT records added by DNS UPDATE")},
        // Directory sign-in (directory/directoryconfig.h).
        {QString::fromLatin1(keys::kDirectoryEnabled), T::Bool, false, 0, 0,
         QStringLiteral("Sign in users of an Active Directory or LDAP directory (AUTH PLAIN/LOGIN, and GSSAPI "
                        "when a keytab is set); local users of the same name take precedence")},
        {QString::fromLatin1(keys::kDirectoryKind), T::String, QStringLiteral("ad"), 2, 20,
         QStringLiteral("ad (Active Directory, Samba AD: nested groups by the in-chain rule, "
                        "userAccountControl) or openldap (uid/mail, groupOfNames walked recursively)"),
         &validateDirectoryKind},
        {QString::fromLatin1(keys::kDirectoryServers), T::String, QString(), 0, 2000,
         QStringLiteral("Directory servers, tried in order: ldaps://dc1.example.com (636) or ldap://dc1.example.com "
                        "(389, always with StartTLS), separated by spaces"),
         &validateDirectoryServers},
        {QString::fromLatin1(keys::kDirectoryCaFile), T::String, QString(), 0, 1000,
         QStringLiteral("PEM file of the CA that signed the directory servers' certificates; empty: the system's "
                        "trust store")},
        {QString::fromLatin1(keys::kDirectoryVerifyCertificate), T::Bool, true, 0, 0,
         QStringLiteral("Check the directory server's certificate (name and CA). Off only for a test: passwords "
                        "could then be read on the way; a warning says so while it is off")},
        {QString::fromLatin1(keys::kDirectoryBindDn), T::String, QString(), 0, 1000,
         QStringLiteral("DN of the service account that searches users and groups (empty: anonymous search)"),
         &validateOptionalDn},
        {QString::fromLatin1(keys::kDirectoryBindPassword), T::String, QString(), 0, 500,
         QStringLiteral("The service account's password (a secret: not exported without secrets, never logged)"),
         nullptr, true},
        {QString::fromLatin1(keys::kDirectoryBaseDn), T::String, QString(), 0, 1000,
         QStringLiteral("Where users and groups are searched, e.g. DC=example,DC=com"), &validateOptionalDn},
        {QString::fromLatin1(keys::kDirectoryUserFilter), T::String, QString(), 0, 1000,
         QStringLiteral("LDAP filter finding a user by login, %u standing for the login (escaped); empty: the "
                        "preset of directory.kind"),
         &directory::userFilterProblem},
        {QString::fromLatin1(keys::kDirectoryRelayGroups), T::String, QString(), 0, 20000,
         QStringLiteral("DNs of the groups whose members (nested groups included) may relay, one per line; a "
                        "listener's own list replaces this one"),
         &validateGroupList},
        {QString::fromLatin1(keys::kDirectoryTimeoutMs), T::Int, 5000, 200, 60000,
         QStringLiteral("Time allowed to each directory server for connecting, TLS and each search or bind; past "
                        "it the next server is tried, and the client gets 454 4.7.0 when none answered")},
        {QString::fromLatin1(keys::kDirectoryCacheSeconds), T::Int, 300, 0, 86400,
         QStringLiteral("How long a successful directory sign-in is remembered (in memory only, keyed by a salted "
                        "hash of the password): mail keeps flowing through short directory outages, and a changed "
                        "password or a removed group takes effect when the entry ends. 0: no cache")},
        {QString::fromLatin1(keys::kGssapiKeytab), T::String, QString(), 0, 1000,
         QStringLiteral("Keytab with the key of smtp/<host>@REALM: offers AUTH GSSAPI (Kerberos) over TLS, the "
                        "principal mapped to a directory user; empty: no GSSAPI")},
        {QString::fromLatin1(keys::kGssapiPrincipal), T::String, QString(), 0, 500,
         QStringLiteral("The service principal to accept, e.g. smtp/mail.example.com@EXAMPLE.COM; empty: any key "
                        "in the keytab")},
    };
}

} // namespace

const QVector<SettingDef> &allSettings()
{
    static const QVector<SettingDef> defs = buildSettings();
    return defs;
}

const SettingDef *findSetting(const QString &key)
{
    for (const SettingDef &d : allSettings()) {
        if (d.key == key)
            return &d;
    }
    return nullptr;
}

bool validateSetting(const SettingDef &def, const QVariant &raw, QVariant *out, QString *error)
{
    switch (def.type) {
    case SettingType::Int: {
        bool ok = false;
        qint64 v = 0;
        if (raw.typeId() == QMetaType::Double) {
            const double d = raw.toDouble();
            ok = d == double(qint64(d));
            v = qint64(d);
        } else if (raw.typeId() == QMetaType::QString) {
            v = raw.toString().toLongLong(&ok);
        } else if (raw.canConvert<qint64>() && raw.typeId() != QMetaType::Bool) {
            v = raw.toLongLong(&ok);
        }
        if (!ok) {
            *error = QStringLiteral("%1: expected a whole number").arg(def.key);
            return false;
        }
        if (v < def.min || v > def.max) {
            *error = QStringLiteral("%1: %2 is out of range (%3-%4)").arg(def.key).arg(v).arg(def.min).arg(def.max);
            return false;
        }
        *out = v;
        return true;
    }
    case SettingType::Bool: {
        if (raw.typeId() == QMetaType::Bool) {
            *out = raw.toBool();
            return true;
        }
        const QString s = raw.toString();
        if (s == QLatin1String("true") || s == QLatin1String("1")) {
            *out = true;
            return true;
        }
        if (s == QLatin1String("false") || s == QLatin1String("0")) {
            *out = false;
            return true;
        }
        *error = QStringLiteral("%1: expected true or false").arg(def.key);
        return false;
    }
    case SettingType::String: {
        if (raw.typeId() != QMetaType::QString) {
            *error = QStringLiteral("%1: expected a string").arg(def.key);
            return false;
        }
        const QString s = raw.toString();
        if (s.size() < def.min || s.size() > def.max) {
            *error = QStringLiteral("%1: length %2 is out of range (%3-%4)").arg(def.key).arg(s.size()).arg(def.min).arg(def.max);
            return false;
        }
        if (def.validate) {
            const QString why = def.validate(s);
            if (!why.isEmpty()) {
                *error = QStringLiteral("%1: %2").arg(def.key, why);
                return false;
            }
        }
        *out = s;
        return true;
    }
    }
    return false;
}

bool parseDnsUpdateServer(const QString &text, QString *host, quint16 *port, QString *error)
{
    const QString t = text.trimmed();
    QHostAddress literal;
    if (!t.contains(QLatin1Char(':')) || (!t.startsWith(QLatin1Char('[')) && literal.setAddress(t))) {
        // "host" or a bare address (an IPv6 literal without brackets has no port).
        if (t.isEmpty() || t.contains(QLatin1Char(' '))) {
            *error = QStringLiteral("\"%1\" is not a host name or address").arg(t);
            return false;
        }
        *host = t;
        *port = 53;
        return true;
    }
    return parseHostPort(t, host, port, error);
}

bool parseHostPort(const QString &text, QString *host, quint16 *port, QString *error)
{
    const QString t = text.trimmed();
    QString h, p;
    if (t.startsWith(QLatin1Char('['))) {
        const int close = t.indexOf(QLatin1Char(']'));
        if (close < 0 || t.mid(close + 1, 1) != QLatin1String(":")) {
            *error = QStringLiteral("\"%1\" is not [address]:port").arg(t);
            return false;
        }
        h = t.mid(1, close - 1);
        p = t.mid(close + 2);
    } else {
        const int colon = t.lastIndexOf(QLatin1Char(':'));
        if (colon <= 0 || t.indexOf(QLatin1Char(':')) != colon) {
            *error = QStringLiteral("\"%1\" is not host:port (write IPv6 as [address]:port)").arg(t);
            return false;
        }
        h = t.left(colon);
        p = t.mid(colon + 1);
    }
    bool ok = false;
    const int n = p.toInt(&ok);
    if (!ok || n < 1 || n > 65535) {
        *error = QStringLiteral("port \"%1\" is not a number from 1 to 65535").arg(p);
        return false;
    }
    if (h.isEmpty() || h.contains(QLatin1Char(' '))) {
        *error = QStringLiteral("host \"%1\" is not valid").arg(h);
        return false;
    }
    *host = h;
    *port = quint16(n);
    return true;
}

QVector<int> parseSchedule(const QString &text, QString *error)
{
    QVector<int> out;
    const QStringList parts = text.split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString &part : parts) {
        bool ok = false;
        const int v = part.trimmed().toInt(&ok);
        if (!ok || v < 1 || v > 86400) {
            *error = QStringLiteral("\"%1\" is not a number of seconds from 1 to 86400").arg(part.trimmed());
            return {};
        }
        out.append(v);
    }
    if (out.isEmpty())
        *error = QStringLiteral("the schedule is empty");
    return out;
}

} // namespace rd::config

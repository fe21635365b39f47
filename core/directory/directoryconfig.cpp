#include "directory/directoryconfig.h"

#include "config/configsnapshot.h"
#include "config/settings.h"

#include <QRegularExpression>
#include <QUrl>

namespace rd::directory {

QString kindName(DirectoryKind kind)
{
    return kind == DirectoryKind::OpenLdap ? QStringLiteral("openldap") : QStringLiteral("ad");
}

bool parseKind(const QString &text, DirectoryKind *kind)
{
    const QString t = text.trimmed().toLower();
    if (t == QLatin1String("ad") || t == QLatin1String("activedirectory")) {
        *kind = DirectoryKind::ActiveDirectory;
        return true;
    }
    if (t == QLatin1String("openldap") || t == QLatin1String("ldap")) {
        *kind = DirectoryKind::OpenLdap;
        return true;
    }
    return false;
}

QString presetUserFilter(DirectoryKind kind)
{
    if (kind == DirectoryKind::OpenLdap)
        return QStringLiteral("(&(objectClass=inetOrgPerson)(|(uid=%u)(mail=%u)))");
    return QStringLiteral("(&(objectCategory=person)(objectClass=user)"
                          "(|(sAMAccountName=%u)(userPrincipalName=%u)(mail=%u)))");
}

QString escapeFilterValue(const QString &value)
{
    QString out;
    const QByteArray utf8 = value.toUtf8();
    out.reserve(utf8.size());
    for (const char ch : utf8) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '*' || c == '(' || c == ')' || c == '\\' || c == 0 || c >= 0x80)
            out += QStringLiteral("\\%1").arg(uint(c), 2, 16, QLatin1Char('0'));
        else
            out += QLatin1Char(char(c));
    }
    return out;
}

QString userFilterFor(const QString &filterTemplate, const QString &login)
{
    QString f = filterTemplate;
    return f.replace(QLatin1String("%u"), escapeFilterValue(login));
}

QString userFilterProblem(const QString &filterTemplate)
{
    const QString f = filterTemplate.trimmed();
    if (f.isEmpty())
        return {};
    if (!f.startsWith(QLatin1Char('(')) || !f.endsWith(QLatin1Char(')')))
        return QStringLiteral("the user filter must be in parentheses, as (uid=%u)");
    int depth = 0;
    for (const QChar c : f) {
        if (c == QLatin1Char('('))
            ++depth;
        else if (c == QLatin1Char(')') && --depth < 0)
            break;
    }
    if (depth != 0)
        return QStringLiteral("the user filter's parentheses do not match");
    if (!f.contains(QLatin1String("%u")))
        return QStringLiteral("the user filter must contain %u (the login name)");
    return {};
}

bool parseServers(const QString &text, QList<DirectoryServer> *out, QString *error)
{
    out->clear();
    static const QRegularExpression sep(QStringLiteral("[\\s,]+"));
    for (const QString &part : text.split(sep, Qt::SkipEmptyParts)) {
        const QUrl url(part, QUrl::StrictMode);
        const QString scheme = url.scheme().toLower();
        DirectoryServer s;
        s.uri = part;
        s.ldaps = scheme == QLatin1String("ldaps");
        s.host = url.host();
        s.port = url.port(s.ldaps ? 636 : 389);
        if (!url.isValid() || (scheme != QLatin1String("ldaps") && scheme != QLatin1String("ldap"))
            || s.host.isEmpty() || (!url.path().isEmpty() && url.path() != QLatin1String("/"))
            || url.hasQuery() || !url.userInfo().isEmpty()) {
            *error = QStringLiteral("\"%1\" is not a directory server: write ldaps://host[:port] (LDAPS) or "
                                    "ldap://host[:port] (StartTLS)")
                         .arg(part);
            return false;
        }
        out->append(s);
    }
    return true;
}

QStringList parseGroupList(const QString &text)
{
    QStringList groups;
    for (const QString &line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QString dn = line.trimmed();
        if (!dn.isEmpty() && !groups.contains(dn, Qt::CaseInsensitive))
            groups << dn;
    }
    return groups;
}

QString dnProblem(const QString &dn)
{
    static const QRegularExpression rdn(QStringLiteral("^\\s*[A-Za-z][A-Za-z0-9-]*(\\.[0-9]+)*\\s*=.+$"));
    if (dn.trimmed().isEmpty())
        return QStringLiteral("empty DN");
    // Split on commas that are not escaped.
    QString current;
    bool escaped = false;
    QStringList parts;
    for (const QChar c : dn) {
        if (!escaped && c == QLatin1Char(',')) {
            parts << current;
            current.clear();
            continue;
        }
        escaped = !escaped && c == QLatin1Char('\\');
        current += c;
    }
    parts << current;
    for (const QString &p : parts) {
        if (!rdn.match(p).hasMatch())
            return QStringLiteral("\"%1\" is not a DN (write it as CN=Relay senders,OU=Groups,DC=example,DC=com)")
                .arg(dn);
    }
    return {};
}

QString normalizedDn(const QString &dn)
{
    static const QRegularExpression blanks(QStringLiteral("\\s*([,=+])\\s*"));
    QString n = dn.trimmed().toLower();
    n.replace(blanks, QStringLiteral("\\1"));
    return n;
}

DirectoryConfig DirectoryConfig::fromSnapshot(const config::ConfigSnapshot &s)
{
    namespace k = config::keys;
    DirectoryConfig c;
    c.enabled = s.boolValue(k::kDirectoryEnabled);
    parseKind(s.stringValue(k::kDirectoryKind), &c.kind);
    QString ignored;
    parseServers(s.stringValue(k::kDirectoryServers), &c.servers, &ignored);
    c.caFile = s.stringValue(k::kDirectoryCaFile).trimmed();
    c.verifyCertificate = s.boolValue(k::kDirectoryVerifyCertificate);
    c.bindDn = s.stringValue(k::kDirectoryBindDn).trimmed();
    c.bindPassword = s.stringValue(k::kDirectoryBindPassword);
    c.baseDn = s.stringValue(k::kDirectoryBaseDn).trimmed();
    c.userFilter = s.stringValue(k::kDirectoryUserFilter).trimmed();
    if (c.userFilter.isEmpty())
        c.userFilter = presetUserFilter(c.kind);
    c.relayGroups = parseGroupList(s.stringValue(k::kDirectoryRelayGroups));
    c.timeoutMs = int(s.intValue(k::kDirectoryTimeoutMs));
    c.cacheSeconds = int(s.intValue(k::kDirectoryCacheSeconds));
    return c;
}

QStringList DirectoryConfig::problems() const
{
    QStringList p;
    if (!enabled)
        return p;
    if (servers.isEmpty())
        p << QStringLiteral("directory.servers is empty: name at least one ldaps:// or ldap:// server");
    if (baseDn.isEmpty())
        p << QStringLiteral("directory.base_dn is empty: name where users are searched");
    if (!bindDn.isEmpty() && bindPassword.isEmpty())
        p << QStringLiteral("directory.bind_dn is set but directory.bind_password is empty");
    if (!verifyCertificate)
        p << QStringLiteral("directory.verify_certificate is off: the directory's certificate is NOT checked, so "
                            "anyone on the path can read users' passwords. Give the CA in directory.ca_file instead");
    return p;
}

} // namespace rd::directory

#pragma once
// The directory source (issue #10): Active Directory or OpenLDAP, read from
// the directory.* settings. Pure values and parsing; no I/O.
//
// Sign-in: find the user's entry with the service account (search filter
// from a preset or the admin's own, %u standing for the escaped login), then
// bind as that entry's DN with the password given. Relay right: membership,
// nested groups included, in one of the relay groups (the listener's own list,
// else directory.relay_groups).
//
// Precedence: a local user (the Users panel's own store) of that name decides
// alone; the directory is asked only for names the local store does not have.

#include <QList>
#include <QString>
#include <QStringList>

namespace rd::config {
class ConfigSnapshot;
}

namespace rd::directory {

enum class DirectoryKind { ActiveDirectory, OpenLdap };

struct DirectoryServer {
    QString uri;       // as written: "ldaps://dc1.example.com" or "ldap://dc1:389"
    bool ldaps = true; // false: ldap:// with StartTLS (always; never plaintext)
    QString host;
    int port = 636;
    bool operator==(const DirectoryServer &) const = default;
};

struct DirectoryConfig {
    bool enabled = false;
    DirectoryKind kind = DirectoryKind::ActiveDirectory;
    QList<DirectoryServer> servers; // tried in order (failover)
    QString caFile;                 // empty: the system's trust store
    bool verifyCertificate = true;  // false: loud warning at start, never silent
    QString bindDn;                 // service account; empty: anonymous search
    QString bindPassword;           // a secret
    QString baseDn;
    QString userFilter;             // with %u; never empty once built (preset)
    QStringList relayGroups;        // group DNs (directory.relay_groups)
    int timeoutMs = 5000;           // per server: connect, TLS, each operation
    int cacheSeconds = 300;         // positive sign-in cache (memory only)

    static DirectoryConfig fromSnapshot(const config::ConfigSnapshot &snapshot);
    // Problems that keep the directory from working ("directory.base_dn is
    // empty"), for the start-up warning; empty when usable (or disabled).
    QStringList problems() const;
    bool operator==(const DirectoryConfig &) const = default;
};

// The preset user filter of a kind: AD finds sAMAccountName, userPrincipalName
// or mail; OpenLDAP finds uid or mail.
QString presetUserFilter(DirectoryKind kind);
QString kindName(DirectoryKind kind); // "ad" / "openldap"
bool parseKind(const QString &text, DirectoryKind *kind);

// RFC 4515 3: escapes * ( ) \ NUL (and every non-ASCII octet) of a value put
// into a search filter, so a login can never change the filter's structure.
QString escapeFilterValue(const QString &value);
// The filter with every %u replaced by the escaped login.
QString userFilterFor(const QString &filterTemplate, const QString &login);

// "ldaps://host[:port]" or "ldap://host[:port]", separated by spaces or commas;
// false with *error naming the bad entry. An empty text gives an empty list.
bool parseServers(const QString &text, QList<DirectoryServer> *out, QString *error);
// A filter template: balanced parentheses, starts with '(' and contains %u.
QString userFilterProblem(const QString &filterTemplate);
// Group DNs, one per line (a DN may contain commas and semicolons).
QStringList parseGroupList(const QString &text);
// A loose DN check (attr=value pairs separated by commas); empty when fine.
QString dnProblem(const QString &dn);
// DNs compared the way directories do for our purpose: attribute names and
// values case-insensitive, blanks around ',' and '=' ignored.
QString normalizedDn(const QString &dn);

} // namespace rd::directory

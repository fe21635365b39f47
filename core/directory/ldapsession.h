#pragma once
// One blocking conversation with a directory through OpenLDAP's libldap (the
// same C API exists as wldap32 on Windows). Worker threads only: every call
// may wait up to the configured timeout. DirectoryService runs these on its
// own small thread pool, so the engine's event loop never waits on LDAP.
//
// TLS always: ldaps:// or StartTLS on ldap://, TLS 1.2 or later, the server's
// certificate checked against directory.ca_file or the system store unless
// the admin turned verification off (a warning then says so at start).

#include "directory/directoryconfig.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

struct ldap;

namespace rd::directory {

// What the session found out about a connection, for "Test connection".
struct LdapTlsInfo {
    QString server;       // the URI that answered
    QString protocol;     // "TLSv1.3"
    QString cipher;
    QString peerSubject;  // the server certificate's subject
    QString peerIssuer;
    QDateTime peerNotAfter;
};

struct LdapUserEntry {
    QString dn;
    QString login;           // sAMAccountName / uid as stored
    QString upn;             // userPrincipalName (AD)
    QStringList addresses;   // mail and proxyAddresses' smtp: values, lower case, unique
    QString refusal;         // non-empty: the account may not sign in (disabled, locked, expired)
};

class LdapSession {
public:
    enum class Status {
        Ok,
        Unavailable,    // no server answered, TLS failed, timed out: temporary
        InvalidCredentials,
        NotFound,
        Ambiguous,      // the filter matched more than one entry
        Error,          // the server refused an operation (e.g. insufficient access)
    };

    explicit LdapSession(const DirectoryConfig &config);
    ~LdapSession();
    LdapSession(const LdapSession &) = delete;
    LdapSession &operator=(const LdapSession &) = delete;

    // Connects to the first server that answers (TLS up) and binds as the
    // service account. Unavailable when no server did (error() says why, for
    // each server tried); Error/InvalidCredentials when the service bind failed.
    Status open();
    // Finds the user's entry by the configured filter (with the service account).
    Status findUser(const QString &login, LdapUserEntry *entry);
    // Finds the user of a Kerberos principal ("alice@EXAMPLE.COM"): AD by
    // userPrincipalName then sAMAccountName, OpenLDAP by uid, then mail.
    Status findPrincipal(const QString &principal, LdapUserEntry *entry);
    // Binds as `dn` with `password` (never with an empty password), then binds
    // back as the service account. InvalidCredentials carries the server's
    // diagnostic text in error() (AD: "... data 52e ...").
    Status bindAs(const QString &dn, const QByteArray &password);
    // After bindAs() gave InvalidCredentials: true when the server refused
    // the account itself (AD: disabled, locked, expired), not the password.
    bool bindRefused() const { return m_bindRefused; }
    // Which of `groups` (DNs) `userDn` belongs to, nested groups included
    // (AD: the LDAP_MATCHING_RULE_IN_CHAIN filter; OpenLDAP: a breadth-first
    // walk of groupOfNames/groupOfUniqueNames, bounded in depth and size,
    // safe against cycles). Returns the configured spellings.
    Status memberships(const QString &userDn, const QStringList &groups, QStringList *memberOf);
    // Groups whose name contains `term` (the GUI's group picker): DN and name.
    Status searchGroups(const QString &term, int limit, QList<QPair<QString, QString>> *groups);
    // Counts entries directly under the base DN (Test connection).
    Status checkBase(int *entries);

    QString error() const { return m_error; }
    const LdapTlsInfo &tlsInfo() const { return m_tls; }
    // Each server tried by open(), with its outcome ("ldaps://a: timed out").
    const QStringList &attempts() const { return m_attempts; }

    // AD's bind diagnostic "data NNN" as a reason, or empty (exposed for tests).
    static QString adBindReason(const QString &diagnostic);
    // The refusal an entry's account attributes give (exposed for tests).
    static QString accountRefusal(DirectoryKind kind, qint64 userAccountControl, qint64 computedControl,
                                  qint64 accountExpires, const QString &pwdAccountLockedTime,
                                  const QDateTime &now);

private:
    Status connectTo(const DirectoryServer &server);
    Status serviceBind();
    Status simpleBind(const QString &dn, const QByteArray &password);
    Status search(const QString &base, int scope, const QString &filter, const QStringList &attrs, int sizeLimit,
                  QList<QPair<QString, QHash<QString, QList<QByteArray>>>> *entries);
    Status failure(int rc, const QString &what);
    void close();
    void readTlsInfo(const DirectoryServer &server);

    DirectoryConfig m_config;
    struct ldap *m_ld = nullptr;
    QString m_error;
    QStringList m_attempts;
    LdapTlsInfo m_tls;
    bool m_bindRefused = false;
};

} // namespace rd::directory

#pragma once
// Directory sign-in for the engine, never blocking it: each request runs an
// LdapSession on this object's small thread pool and the answer is posted
// back to this object's thread. A hard deadline per request answers
// "unavailable" even if libldap itself should hang.
//
// Outcomes map onto SMTP as the issue asks: Success 235; BadCredentials and
// Refused (disabled, locked, expired) 535 5.7.8 with the reason only in the
// log; Unavailable (no server, TLS failure, timeout) 454 4.7.0, never a
// permanent failure and never a silent grant.
//
// Positive cache: a successful sign-in is remembered for cacheSeconds, keyed
// by HMAC-SHA256(a random per-process key, login + password), in memory only.
// It is consulted before the directory, so short outages do not stop mail; a
// changed password or a removed group takes effect when the entry ends. A
// configuration change empties it.
//
// Thread: create in (or move to) the engine thread and call from it only.

#include "directory/directoryconfig.h"
#include "directory/ldapsession.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QThreadPool>

#include <functional>
#include <memory>

namespace rd::directory {

struct DirectorySignIn {
    enum Outcome { Success, BadCredentials, Refused, Unavailable };
    Outcome outcome = Unavailable;
    QString reason;          // for the log; never the password
    QString dn;
    QString login;           // the directory's spelling (sAMAccountName / uid)
    QStringList addresses;   // the user's own addresses (mail, proxyAddresses smtp:)
    QStringList groups;      // the groups of interest the user is in (nested included)
    bool fromCache = false;
    QString server;          // the server that answered
};

// "Test connection": every server tried, TLS details, the service bind and the base DN.
struct DirectoryTestReport {
    bool ok = false;
    QStringList lines;       // human-readable, in order
    LdapTlsInfo tls;
};

struct DirectoryGroupList {
    bool ok = false;
    QString error;
    QList<QPair<QString, QString>> groups; // DN, name
};

// "Test sign-in": what the directory said, and per listener whether this
// user would relay there and why.
struct DirectorySignInReport {
    QString login;
    DirectorySignIn result;
    QStringList relayLines; // "submission: would relay (member of CN=...)"
};

class DirectoryService : public QObject {
    Q_OBJECT
public:
    explicit DirectoryService(QObject *parent = nullptr);
    ~DirectoryService() override;

    // `groupsOfInterest`: every group any listener may ask about (the global
    // relay groups and the listeners' own lists). Empties the cache when
    // either changes.
    void configure(const DirectoryConfig &config, const QStringList &groupsOfInterest);
    const DirectoryConfig &config() const { return m_config; }
    bool enabled() const { return m_config.enabled; }

    // AUTH PLAIN/LOGIN for a name the local store does not have.
    void signIn(const QString &login, const QByteArray &password, std::function<void(DirectorySignIn)> done);
    // AUTH GSSAPI: the Kerberos principal's directory user and groups (no password).
    void lookupPrincipal(const QString &principal, std::function<void(DirectorySignIn)> done);

    // Admin tools (the Users panel's Directory section), run with the config
    // given (the one being edited, not yet saved); never cached.
    void testConnection(const DirectoryConfig &config, std::function<void(DirectoryTestReport)> done);
    void testSignIn(const DirectoryConfig &config, const QString &login, const QByteArray &password,
                    const QStringList &groups, std::function<void(DirectorySignIn)> done);
    void searchGroups(const DirectoryConfig &config, const QString &term,
                      std::function<void(DirectoryGroupList)> done);

    int cacheSize() const { return int(m_cache.size()); }
    void clearCache() { m_cache.clear(); }
    // Waits for every running task (tests and shutdown only).
    void waitForIdle();

private:
    struct Shared;
    struct CacheEntry {
        DirectorySignIn result;
        qint64 expiresMs = 0;
    };
    QByteArray cacheKey(const QString &login, const QByteArray &password) const;
    int deadlineMs(const DirectoryConfig &config) const;
    // Runs `work` on the pool; `deliver` gets its result in this thread, or
    // `onTimeout` runs at the deadline (whichever comes first, once).
    template <typename Result>
    void run(const DirectoryConfig &config, std::function<Result()> work, std::function<void(Result)> deliver,
             std::function<Result()> onTimeout);

    DirectoryConfig m_config;
    QStringList m_groups;
    QByteArray m_cacheSecret;
    QHash<QByteArray, CacheEntry> m_cache;
    QElapsedTimer m_clock;
    int m_running = 0;
    std::shared_ptr<Shared> m_shared;
    QThreadPool m_pool; // last member: destroyed (and waited for) first
};

// The blocking steps of one sign-in (what a pool thread runs; exposed for tests).
DirectorySignIn signInBlocking(const DirectoryConfig &config, const QString &login, const QByteArray &password,
                               const QStringList &groups);
DirectorySignIn principalBlocking(const DirectoryConfig &config, const QString &principal, const QStringList &groups);

} // namespace rd::directory

Q_DECLARE_METATYPE(rd::directory::DirectoryTestReport)
Q_DECLARE_METATYPE(rd::directory::DirectorySignInReport)
Q_DECLARE_METATYPE(rd::directory::DirectoryGroupList)

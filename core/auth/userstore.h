#pragma once
// The SMTP AUTH user store: the `users` table of config.db.
//
// Names are stored exactly as the admin typed them and compared
// case-insensitively (Unicode case folding, done here rather than in SQL
// because SQLite's lower() folds ASCII only): "Alice" and "alice" are the same
// user, every method accepts any spelling, and list() shows the stored one.
// A name is 1-256 characters, with no control characters and no leading or
// trailing white space. A password is 1-1024 UTF-8 bytes without NUL (AUTH
// PLAIN cannot carry NUL). Passwords are stored only as PBKDF2 hashes
// (core/auth/passwordhash.h); list() never returns a hash.
//
// Thread: the store owns its own connection, which belongs to the thread that
// constructed the store; use it from that thread only. Errors come back as one
// sentence in *error (may be null).

#include "auth/passwordhash.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace rd::auth {

struct UserInfo {
    QString name;          // as stored
    bool enabled = true;
    bool mayRelay = true;  // may relay to any domain once authenticated
    QDateTime created;     // UTC
    QDateTime lastLogin;   // UTC; null if never
    QString lastLoginIp;   // empty if never
    QString note;
};

// What the Authenticator needs to decide a login (never shown in the GUI).
struct AuthRecord {
    QString name;          // as stored
    QString passwordHash;
    bool enabled = false;
    bool mayRelay = false;
};

class UserStore {
public:
    // Opens (creating and migrating) dataDir/config.db on a connection of its
    // own. `hashIterations` is the PBKDF2 cost for new passwords; only tests
    // lower it.
    explicit UserStore(const QString &dataDir, int hashIterations = kDefaultIterations);
    ~UserStore();
    UserStore(const UserStore &) = delete;
    UserStore &operator=(const UserStore &) = delete;

    // False if config.db could not be opened (errorString() says why).
    bool isOpen() const { return m_open; }
    QString errorString() const { return m_error; }

    // Null if `name` is acceptable, else a sentence saying what is wrong.
    static QString validateName(const QString &name);
    static QString validatePassword(const QString &password);

    // Adds a user (enabled). Fails if the name exists in any letter case.
    // Hashing costs ~0.5 s at the default cost: do not call on the engine thread.
    bool addUser(const QString &name, const QString &password, bool mayRelay, QString *error = nullptr);
    // Replaces the password (same cost note as addUser).
    bool setPassword(const QString &name, const QString &password, QString *error = nullptr);
    bool setEnabled(const QString &name, bool enabled, QString *error = nullptr);
    bool setMayRelay(const QString &name, bool mayRelay, QString *error = nullptr);
    bool setNote(const QString &name, const QString &note, QString *error = nullptr);
    bool removeUser(const QString &name, QString *error = nullptr);

    // Every user, sorted case-insensitively by name. Never contains a hash.
    // Empty (with *error) if the table cannot be read.
    QList<UserInfo> list(QString *error = nullptr) const;

    // One user, or nullopt if there is none by that name (any letter case).
    std::optional<UserInfo> user(const QString &name) const;

    // Stamps a successful login (now, UTC) and the client IP. False if the
    // user does not exist or the write failed.
    bool recordLogin(const QString &name, const QString &ip, QString *error = nullptr);

    // --- For the Authenticator only -------------------------------------
    // One query for everything a login decision needs; nullopt if unknown.
    std::optional<AuthRecord> authRecord(const QString &name) const;
    std::optional<QString> passwordHashFor(const QString &name) const;
    std::optional<bool> isEnabled(const QString &name) const;
    std::optional<bool> mayRelay(const QString &name) const;
    // Stores an already computed hash (rehash on login after a cost raise).
    // With a non-null `replacing`, only if the stored hash is still that one
    // (so a password the admin changed meanwhile is never overwritten); false then.
    bool setPasswordHash(const QString &name, const QString &encoded, const QString &replacing = {},
                         QString *error = nullptr);

private:
    // The stored spelling of `name`, or nullopt.
    std::optional<QString> storedName(const QString &name) const;
    bool updateColumn(const QString &name, const char *sqlSet, const QVariant &value, QString *error);

    QString m_connection;
    QString m_error;
    int m_iterations;
    bool m_open = false;
};

} // namespace rd::auth

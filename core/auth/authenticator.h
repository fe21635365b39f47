#pragma once
// Decides SMTP AUTH attempts for the engine without blocking it.
//
// verify() returns at once; the user lookup and the PBKDF2 work (~0.5 s at
// the OWASP cost) run on a small thread pool owned by this object, each task
// on its own short-lived config.db connection. The result is posted back and
// `done` runs later in this object's thread (never inside verify()).
//
// Security properties:
// - An unknown user name, a malformed stored hash and a wrong password all
//   cost one full PBKDF2 verification (against a random dummy hash of the
//   same cost), so timing does not reveal which names exist.
// - A wrong password for a disabled user is BadCredentials; Disabled is only
//   reported when the password was right (the client must get the same 535).
// - Failures are counted per client IP and per user name (FailureTracker):
//   each result carries the delay the caller must wait before answering;
//   after too many failures from one IP, `disconnect` is set and later
//   attempts from that IP are answered Throttled without checking anything
//   (even a correct password), until the failures age out.
// - A success resets the user name's failure count, stamps last_login and
//   last_login_ip, and re-hashes the password at today's cost if the stored
//   hash is weaker (both in the background, after `done`).
// - The password is never logged and never part of logReason.
//
// Thread: create in (or move to) the engine thread and call from it only.
// Destroying the Authenticator waits for running hash tasks; callbacks of
// attempts still pending then are dropped, not called.

#include "auth/failuretracker.h"
#include "auth/passwordhash.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QThreadPool>

#include <functional>
#include <memory>

namespace rd::directory {
class DirectoryService;
struct DirectorySignIn;
}

namespace rd::auth {

struct AuthResult {
    enum Outcome {
        Success,          // 235 2.7.0
        BadCredentials,   // 535 5.7.8 (unknown user, wrong password)
        Disabled,         // 535 5.7.8 as well: do not tell the client why
        Throttled,        // refused unchecked: too many failures from this IP; 421 4.7.0 + close
        TemporaryFailure, // 454 4.7.0 (user store unreadable, too many checks in progress)
    };
    Outcome outcome = TemporaryFailure;
    bool mayRelay = false;     // Success only: the user may relay to any domain
    QString logReason;         // short text for the log; never the password
    int delayMs = 0;           // wait this long before sending the reply (any outcome)
    bool disconnect = false;   // close the connection after the (delayed) reply
    QString userName;          // the stored spelling (Success and Disabled); empty otherwise
    // Directory users (issue #10): the relay right is decided per listener
    // from `groups` by the engine, so mayRelay stays false here.
    bool directory = false;
    QString directoryDn;
    QStringList groups;        // relay groups of interest the user is in (nested included)
    QStringList addresses;     // the user's own addresses (mail, proxyAddresses)
    bool fromCache = false;    // the directory's positive cache answered
};

struct AuthenticatorOptions {
    // PBKDF2 cost of the dummy hash and of re-hashing on login. Only tests
    // lower it; it must match the cost users' hashes are created with.
    int hashIterations = kDefaultIterations;
    int maxThreads = 0;    // hash threads; 0 = half the cores, at least 1, at most 4
    int maxPending = 64;   // verifications queued or running; beyond: TemporaryFailure
    FailureLimits limits;
};

class Authenticator : public QObject {
    Q_OBJECT
public:
    // dataDir holds config.db (already created and migrated by the app).
    explicit Authenticator(const QString &dataDir, QObject *parent = nullptr);
    Authenticator(const QString &dataDir, const AuthenticatorOptions &options, QObject *parent = nullptr);
    ~Authenticator() override;

    // Checks `user`/`password` from `clientIp` (as the socket reports it).
    // Returns immediately; `done` runs later in this object's thread with the
    // result. The password is copied into the worker task only.
    void verify(const QString &user, const QByteArray &password, const QString &clientIp,
                std::function<void(AuthResult)> done);

    // Names the local store does not have go to the directory (when it is
    // enabled). Precedence: a local user of that name decides alone. With a
    // directory, an unknown local name skips the dummy hash (the directory's
    // bind is the check), so answer times can tell local names from others:
    // keep local users for devices and service accounts. Not owned; may be null.
    void setDirectory(directory::DirectoryService *directory) { m_directory = directory; }

    // True while `clientIp` has too many recent failures: the caller may
    // refuse AUTH (or the connection) from it without calling verify().
    bool shouldDisconnect(const QString &clientIp) const;

    // Verifications queued or running.
    int pendingCount() const { return int(m_pending.size()); }

    // Blocks until every background task has finished and delivers the
    // results that were waiting (tests and shutdown; never on a live engine).
    void waitForIdle();

    const FailureTracker &failureTracker() const { return m_tracker; }
    // The monotonic clock the tracker is fed with (ms since construction).
    qint64 clockMs() const { return m_clock.elapsed(); }

signals:
    // A background bookkeeping step failed (recording the login, re-hashing);
    // emitted in this object's thread, for the log. Never contains a password.
    void storeWarning(const QString &message);

private:
    struct Shared;
    struct Check;
    struct Pending {
        QString user;
        QString ip;
        std::function<void(AuthResult)> done;
        QByteArray password; // only while a directory may be asked; cleared after
    };

    void finish(quint64 id, const Check &check);
    void complete(Pending &p, AuthResult r, bool failed, qint64 now);
    void finishDirectory(quint64 id, const directory::DirectorySignIn &result);
    void postResult(std::function<void(AuthResult)> done, const AuthResult &result);
    void startLoginBookkeeping(const QString &name, const QString &ip, const QByteArray &password,
                               const QString &oldHash, bool rehash);
    qint64 nowMs() const { return clockMs(); }

    QString m_dataDir;
    AuthenticatorOptions m_options;
    QString m_dummyHash;
    FailureTracker m_tracker;
    QElapsedTimer m_clock;
    QHash<quint64, Pending> m_pending;
    quint64 m_nextId = 1;
    directory::DirectoryService *m_directory = nullptr;
    std::shared_ptr<Shared> m_shared;
    QThreadPool m_pool; // last member: destroyed (and waited for) first
};

} // namespace rd::auth

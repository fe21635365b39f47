#include "auth/authenticator.h"

#include "auth/userstore.h"
#include "directory/directoryservice.h"

#include <QCoreApplication>
#include <QMutex>
#include <QMutexLocker>
#include <QPointer>
#include <QThread>

namespace rd::auth {

// Lets pool tasks reach the Authenticator only while it is alive: the
// destructor clears `owner` under the mutex, and tasks post while holding it.
struct Authenticator::Shared {
    QMutex mutex;
    Authenticator *owner = nullptr;
};

// What a worker found out (no decision on throttling: that is the owner's).
struct Authenticator::Check {
    enum Kind { StoreError, UnknownUser, BadStoredHash, WrongPassword, Disabled, Ok };
    Kind kind = StoreError;
    QString name;      // stored spelling
    QString hash;      // the verified hash (Ok only)
    bool mayRelay = false;
    bool rehash = false;
    QByteArray password; // Ok with rehash only: to store a stronger hash afterwards
    QString error;     // StoreError only
};

namespace {

int defaultThreads()
{
    return qBound(1, QThread::idealThreadCount() / 2, 4);
}

} // namespace

Authenticator::Authenticator(const QString &dataDir, QObject *parent)
    : Authenticator(dataDir, AuthenticatorOptions{}, parent)
{
}

Authenticator::Authenticator(const QString &dataDir, const AuthenticatorOptions &options, QObject *parent)
    : QObject(parent)
    , m_dataDir(dataDir)
    , m_options(options)
    , m_tracker(options.limits)
    , m_shared(std::make_shared<Shared>())
{
    m_options.hashIterations = qBound(1, m_options.hashIterations, kMaxIterations);
    m_options.maxPending = qMax(1, m_options.maxPending);
    m_dummyHash = dummyHash(m_options.hashIterations);
    m_shared->owner = this;
    m_pool.setMaxThreadCount(m_options.maxThreads > 0 ? m_options.maxThreads : defaultThreads());
    m_clock.start();
}

Authenticator::~Authenticator()
{
    {
        QMutexLocker lock(&m_shared->mutex);
        m_shared->owner = nullptr;
    }
    m_pool.waitForDone();
}

bool Authenticator::shouldDisconnect(const QString &clientIp) const
{
    return m_tracker.shouldDisconnect(clientIp, nowMs());
}

void Authenticator::postResult(std::function<void(AuthResult)> done, const AuthResult &result)
{
    QMetaObject::invokeMethod(
        this, [done = std::move(done), result]() { done(result); }, Qt::QueuedConnection);
}

void Authenticator::verify(const QString &user, const QByteArray &password, const QString &clientIp,
                           std::function<void(AuthResult)> done)
{
    if (m_tracker.shouldDisconnect(clientIp, nowMs())) {
        AuthResult r;
        r.outcome = AuthResult::Throttled;
        r.disconnect = true;
        r.logReason = QStringLiteral("too many failed logins from this address; not checked");
        postResult(std::move(done), r);
        return;
    }
    if (m_pending.size() >= m_options.maxPending) {
        AuthResult r;
        r.outcome = AuthResult::TemporaryFailure;
        r.logReason = QStringLiteral("too many logins being checked at once");
        postResult(std::move(done), r);
        return;
    }

    const quint64 id = m_nextId++;
    const bool directory = m_directory && m_directory->enabled();
    m_pending.insert(id, Pending{user, clientIp, std::move(done), directory ? password : QByteArray()});

    const QString dataDir = m_dataDir;
    const QString dummy = m_dummyHash;
    const int iterations = m_options.hashIterations;
    std::shared_ptr<Shared> shared = m_shared;
    m_pool.start([shared, dataDir, dummy, iterations, user, password, id, directory]() {
        Check c;
        {
            UserStore store(dataDir, iterations);
            if (!store.isOpen()) {
                c.kind = Check::StoreError;
                c.error = store.errorString();
            } else {
                const std::optional<AuthRecord> rec = store.authRecord(user);
                const bool usable = rec && isWellFormedHash(rec->passwordHash);
                // Exactly one full-cost verification, whatever the name (with a
                // directory, names it will check skip it: see setDirectory()).
                const bool match = (!rec && directory) ? false
                                                        : verifyPassword(password, usable ? rec->passwordHash : dummy);
                if (!rec) {
                    c.kind = Check::UnknownUser;
                } else {
                    c.name = rec->name;
                    if (!usable)
                        c.kind = Check::BadStoredHash;
                    else if (!match)
                        c.kind = Check::WrongPassword;
                    else if (!rec->enabled)
                        c.kind = Check::Disabled;
                    else {
                        c.kind = Check::Ok;
                        c.hash = rec->passwordHash;
                        c.mayRelay = rec->mayRelay;
                        c.rehash = needsRehash(rec->passwordHash, iterations);
                        if (c.rehash)
                            c.password = password;
                    }
                }
            }
        }
        QMutexLocker lock(&shared->mutex);
        if (Authenticator *owner = shared->owner) {
            QMetaObject::invokeMethod(
                owner, [owner, id, c]() { owner->finish(id, c); }, Qt::QueuedConnection);
        }
    });
}

void Authenticator::finish(quint64 id, const Check &check)
{
    const auto it = m_pending.find(id);
    if (it == m_pending.end())
        return;
    Pending p = std::move(it.value());
    m_pending.erase(it);
    const qint64 now = nowMs();

    AuthResult r;
    r.userName = check.name;
    if (m_tracker.shouldDisconnect(p.ip, now)) {
        // The address crossed the limit while this attempt was being checked
        // (parallel sessions): refuse it whatever the password was.
        r.outcome = AuthResult::Throttled;
        r.disconnect = true;
        r.userName.clear();
        r.logReason = QStringLiteral("too many failed logins from this address");
        if (p.done)
            p.done(r);
        return;
    }
    // Delay from the failures before this attempt, whatever its outcome.
    r.delayMs = m_tracker.delayMs(p.ip, p.user, now);

    if (check.kind == Check::UnknownUser && m_directory && m_directory->enabled() && !p.password.isEmpty()) {
        // Not a local user: the directory decides. The attempt stays pending.
        const QByteArray password = std::exchange(p.password, QByteArray());
        m_pending.insert(id, std::move(p));
        // The directory may answer after this object is gone (engine shutdown).
        QPointer<Authenticator> self(this);
        m_directory->signIn(m_pending.value(id).user, password, [self, id](directory::DirectorySignIn d) {
            if (self)
                self->finishDirectory(id, d);
        });
        return;
    }
    p.password.fill('\0');

    bool failed = true;
    switch (check.kind) {
    case Check::StoreError:
        r.outcome = AuthResult::TemporaryFailure;
        r.logReason = QStringLiteral("user store unavailable: %1").arg(check.error);
        r.delayMs = 0;
        failed = false;
        break;
    case Check::UnknownUser:
        r.outcome = AuthResult::BadCredentials;
        r.logReason = QStringLiteral("unknown user");
        break;
    case Check::BadStoredHash:
        r.outcome = AuthResult::BadCredentials;
        r.logReason = QStringLiteral("stored password hash is unusable; set a new password");
        break;
    case Check::WrongPassword:
        r.outcome = AuthResult::BadCredentials;
        r.logReason = QStringLiteral("wrong password");
        break;
    case Check::Disabled:
        r.outcome = AuthResult::Disabled;
        r.logReason = QStringLiteral("user disabled");
        break;
    case Check::Ok:
        r.outcome = AuthResult::Success;
        r.mayRelay = check.mayRelay;
        r.logReason = QStringLiteral("ok");
        failed = false;
        break;
    }

    if (r.outcome != AuthResult::Success && r.outcome != AuthResult::Disabled)
        r.userName.clear();
    if (r.outcome == AuthResult::Success)
        startLoginBookkeeping(check.name, p.ip, check.password, check.hash, check.rehash);
    complete(p, r, failed, now);
}

void Authenticator::complete(Pending &p, AuthResult r, bool failed, qint64 now)
{
    if (failed) {
        m_tracker.recordFailure(p.ip, p.user, now);
        r.disconnect = m_tracker.shouldDisconnect(p.ip, now);
    } else if (r.outcome == AuthResult::Success) {
        m_tracker.recordSuccess(p.user);
    }
    if (p.done)
        p.done(r);
}

void Authenticator::finishDirectory(quint64 id, const directory::DirectorySignIn &d)
{
    const auto it = m_pending.find(id);
    if (it == m_pending.end())
        return;
    Pending p = std::move(it.value());
    m_pending.erase(it);
    const qint64 now = nowMs();
    AuthResult r;
    r.directory = true;
    r.delayMs = m_tracker.delayMs(p.ip, p.user, now);
    r.fromCache = d.fromCache;
    bool failed = true;
    switch (d.outcome) {
    case directory::DirectorySignIn::Success:
        r.outcome = AuthResult::Success;
        r.userName = d.login.isEmpty() ? p.user : d.login;
        r.directoryDn = d.dn;
        r.groups = d.groups;
        r.addresses = d.addresses;
        r.logReason = d.fromCache ? QStringLiteral("directory (cached): %1").arg(d.dn)
                                  : QStringLiteral("directory: %1 via %2").arg(d.dn, d.server);
        failed = false;
        break;
    case directory::DirectorySignIn::BadCredentials:
        r.outcome = AuthResult::BadCredentials;
        r.logReason = QStringLiteral("directory: %1").arg(d.reason);
        break;
    case directory::DirectorySignIn::Refused:
        r.outcome = AuthResult::Disabled;
        r.userName = d.login.isEmpty() ? p.user : d.login;
        r.directoryDn = d.dn;
        r.logReason = QStringLiteral("directory: %1 (%2)").arg(d.reason, d.dn);
        break;
    case directory::DirectorySignIn::Unavailable:
        r.outcome = AuthResult::TemporaryFailure;
        r.logReason = d.reason;
        r.delayMs = 0;
        failed = false;
        break;
    }
    if (m_tracker.shouldDisconnect(p.ip, now) && r.outcome != AuthResult::Success) {
        r.outcome = AuthResult::Throttled;
        r.disconnect = true;
        if (p.done)
            p.done(r);
        return;
    }
    complete(p, r, failed, now);
}

void Authenticator::startLoginBookkeeping(const QString &name, const QString &ip, const QByteArray &password,
                                          const QString &oldHash, bool rehash)
{
    const QString dataDir = m_dataDir;
    const int iterations = m_options.hashIterations;
    std::shared_ptr<Shared> shared = m_shared;
    m_pool.start([shared, dataDir, iterations, name, ip, password, oldHash, rehash]() {
        QString warning;
        {
            UserStore store(dataDir, iterations);
            QString error;
            if (!store.isOpen()) {
                warning = QStringLiteral("recording the login of %1 failed: %2").arg(name, store.errorString());
            } else {
                if (!store.recordLogin(name, ip, &error))
                    warning = QStringLiteral("recording the login of %1 failed: %2").arg(name, error);
                if (rehash) {
                    // Same password, today's cost; only if the admin did not change it meanwhile.
                    const QString stronger = hashPassword(password, iterations);
                    if (stronger.isEmpty() || !store.setPasswordHash(name, stronger, oldHash, &error))
                        warning = QStringLiteral("upgrading the password hash of %1 failed: %2")
                                      .arg(name, stronger.isEmpty() ? QStringLiteral("hashing failed") : error);
                }
            }
        }
        if (warning.isEmpty())
            return;
        QMutexLocker lock(&shared->mutex);
        if (Authenticator *owner = shared->owner) {
            QMetaObject::invokeMethod(
                owner, [owner, warning]() { emit owner->storeWarning(warning); }, Qt::QueuedConnection);
        }
    });
}

void Authenticator::waitForIdle()
{
    m_pool.waitForDone();
    QCoreApplication::sendPostedEvents(this, QEvent::MetaCall);
}

} // namespace rd::auth

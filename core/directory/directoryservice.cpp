#include "directory/directoryservice.h"

#include <QCoreApplication>
#include <QMessageAuthenticationCode>
#include <QMutex>
#include <QMutexLocker>
#include <QPointer>
#include <QRandomGenerator>
#include <QTimer>

namespace rd::directory {

// Lets pool tasks reach the service only while it is alive (as Authenticator).
struct DirectoryService::Shared {
    QMutex mutex;
    DirectoryService *owner = nullptr;
};

namespace {

constexpr int kDirectoryThreads = 4;   // sign-ins checked at once
constexpr int kDirectoryMaxRunning = 64; // beyond: Unavailable at once
constexpr int kDirectoryMaxCache = 10000;

DirectorySignIn unavailable(const QString &reason)
{
    DirectorySignIn r;
    r.outcome = DirectorySignIn::Unavailable;
    r.reason = reason;
    return r;
}

// Opens a session; on failure fills `out` with Unavailable (or the error).
bool openSession(LdapSession &s, DirectorySignIn *out)
{
    const LdapSession::Status st = s.open();
    if (st == LdapSession::Status::Ok) {
        out->server = s.tlsInfo().server;
        return true;
    }
    *out = unavailable(QStringLiteral("directory unavailable: %1").arg(s.error()));
    return false;
}

// False (with `out` Unavailable) when the group check could not be made.
bool addGroups(LdapSession &s, const QString &dn, const QStringList &groups, DirectorySignIn *out)
{
    QStringList memberOf;
    const LdapSession::Status st = s.memberships(dn, groups, &memberOf);
    if (st != LdapSession::Status::Ok) {
        const QString server = out->server;
        *out = unavailable(QStringLiteral("directory unavailable while checking groups: %1").arg(s.error()));
        out->server = server;
        return false;
    }
    out->groups = memberOf;
    return true;
}

} // namespace

DirectorySignIn signInBlocking(const DirectoryConfig &config, const QString &login, const QByteArray &password,
                               const QStringList &groups)
{
    DirectorySignIn r;
    if (password.isEmpty()) {
        r.outcome = DirectorySignIn::BadCredentials;
        r.reason = QStringLiteral("empty password (an anonymous bind is not a login)");
        return r;
    }
    if (login.trimmed().isEmpty()) {
        r.outcome = DirectorySignIn::BadCredentials;
        r.reason = QStringLiteral("empty user name");
        return r;
    }
    LdapSession s(config);
    if (!openSession(s, &r))
        return r;
    LdapUserEntry user;
    switch (s.findUser(login, &user)) {
    case LdapSession::Status::Ok:
        break;
    case LdapSession::Status::NotFound:
    case LdapSession::Status::Ambiguous:
        r.outcome = DirectorySignIn::BadCredentials;
        r.reason = QStringLiteral("unknown user: %1").arg(s.error());
        return r;
    case LdapSession::Status::Unavailable:
    case LdapSession::Status::InvalidCredentials:
    case LdapSession::Status::Error:
        return unavailable(QStringLiteral("directory search failed: %1").arg(s.error()));
    }
    r.dn = user.dn;
    r.login = user.login.isEmpty() ? login : user.login;
    r.addresses = user.addresses;
    switch (s.bindAs(user.dn, password)) {
    case LdapSession::Status::Ok:
        break;
    case LdapSession::Status::InvalidCredentials:
        // OpenLDAP's ppolicy fails a locked account's bind like a wrong password;
        // the entry's own attributes say why, for the admin's log (the client
        // gets the same 535 either way).
        if (!s.bindRefused() && !user.refusal.isEmpty()) {
            r.outcome = DirectorySignIn::Refused;
            r.reason = user.refusal;
            return r;
        }
        r.outcome = s.bindRefused() ? DirectorySignIn::Refused : DirectorySignIn::BadCredentials;
        r.reason = s.error();
        return r;
    default:
        return unavailable(QStringLiteral("directory bind failed: %1").arg(s.error()));
    }
    if (!user.refusal.isEmpty()) {
        r.outcome = DirectorySignIn::Refused;
        r.reason = user.refusal;
        return r;
    }
    if (!addGroups(s, user.dn, groups, &r))
        return r;
    r.outcome = DirectorySignIn::Success;
    r.reason = QStringLiteral("directory user %1").arg(user.dn);
    return r;
}

DirectorySignIn principalBlocking(const DirectoryConfig &config, const QString &principal, const QStringList &groups)
{
    DirectorySignIn r;
    LdapSession s(config);
    if (!openSession(s, &r))
        return r;
    LdapUserEntry user;
    switch (s.findPrincipal(principal, &user)) {
    case LdapSession::Status::Ok:
        break;
    case LdapSession::Status::NotFound:
    case LdapSession::Status::Ambiguous:
        r.outcome = DirectorySignIn::BadCredentials;
        r.reason = s.error();
        return r;
    default:
        return unavailable(QStringLiteral("directory search failed: %1").arg(s.error()));
    }
    r.dn = user.dn;
    r.login = user.login;
    r.addresses = user.addresses;
    if (!user.refusal.isEmpty()) {
        r.outcome = DirectorySignIn::Refused;
        r.reason = user.refusal;
        return r;
    }
    if (!addGroups(s, user.dn, groups, &r))
        return r;
    r.outcome = DirectorySignIn::Success;
    r.reason = QStringLiteral("Kerberos principal %1 is directory user %2").arg(principal, user.dn);
    return r;
}

DirectoryService::DirectoryService(QObject *parent)
    : QObject(parent)
    , m_shared(std::make_shared<Shared>())
{
    m_shared->owner = this;
    m_pool.setMaxThreadCount(kDirectoryThreads);
    m_clock.start();
    m_cacheSecret.resize(32);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(m_cacheSecret.data()), 8);
}

DirectoryService::~DirectoryService()
{
    {
        QMutexLocker lock(&m_shared->mutex);
        m_shared->owner = nullptr;
    }
    // A task stuck in libldap ends at its own network timeout; wait for it.
    m_pool.waitForDone();
}

void DirectoryService::configure(const DirectoryConfig &config, const QStringList &groupsOfInterest)
{
    if (config == m_config && groupsOfInterest == m_groups)
        return;
    m_config = config;
    m_groups = groupsOfInterest;
    m_cache.clear();
}

QByteArray DirectoryService::cacheKey(const QString &login, const QByteArray &password) const
{
    QMessageAuthenticationCode mac(QCryptographicHash::Sha256, m_cacheSecret);
    mac.addData(login.trimmed().toLower().toUtf8());
    mac.addData(QByteArray(1, '\0'));
    mac.addData(password);
    return mac.result();
}

int DirectoryService::deadlineMs(const DirectoryConfig &config) const
{
    // Per server: connect + TLS, then a few operations, each bounded by the
    // timeout; a hung server costs about one timeout before the next is tried.
    const qint64 servers = qMax<qint64>(1, config.servers.size());
    return int(qMin<qint64>(120000, qint64(config.timeoutMs) * (servers + 2) + 1000));
}

template <typename Result>
void DirectoryService::run(const DirectoryConfig &config, std::function<Result()> work,
                           std::function<void(Result)> deliver, std::function<Result()> onTimeout)
{
    if (m_running >= kDirectoryMaxRunning) {
        QMetaObject::invokeMethod(
            this, [deliver, onTimeout]() { deliver(onTimeout()); }, Qt::QueuedConnection);
        return;
    }
    ++m_running;
    // Whichever comes first answers; `answered` makes it once.
    auto answered = std::make_shared<bool>(false);
    auto timer = new QTimer(this);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, this, [this, answered, deliver, onTimeout, timer]() {
        timer->deleteLater();
        if (*answered)
            return;
        *answered = true;
        deliver(onTimeout());
    });
    timer->start(deadlineMs(config));
    QPointer<QTimer> guard(timer);
    std::shared_ptr<Shared> shared = m_shared;
    m_pool.start([shared, work, deliver, answered, guard]() {
        Result result = work();
        QMutexLocker lock(&shared->mutex);
        DirectoryService *owner = shared->owner;
        if (!owner)
            return;
        QMetaObject::invokeMethod(
            owner,
            [owner, result, deliver, answered, guard]() {
                --owner->m_running;
                if (guard)
                    guard->deleteLater();
                if (*answered)
                    return; // the deadline answered already
                *answered = true;
                deliver(result);
            },
            Qt::QueuedConnection);
    });
}

void DirectoryService::signIn(const QString &login, const QByteArray &password,
                              std::function<void(DirectorySignIn)> done)
{
    if (!m_config.enabled) {
        DirectorySignIn r;
        r.outcome = DirectorySignIn::BadCredentials;
        r.reason = QStringLiteral("unknown user");
        QMetaObject::invokeMethod(this, [done, r]() { done(r); }, Qt::QueuedConnection);
        return;
    }
    const qint64 now = m_clock.elapsed();
    const QByteArray key = m_config.cacheSeconds > 0 && !password.isEmpty() ? cacheKey(login, password) : QByteArray();
    if (!key.isEmpty()) {
        const auto it = m_cache.constFind(key);
        if (it != m_cache.cend() && it->expiresMs > now) {
            DirectorySignIn r = it->result;
            r.fromCache = true;
            QMetaObject::invokeMethod(this, [done, r]() { done(r); }, Qt::QueuedConnection);
            return;
        }
    }
    const DirectoryConfig config = m_config;
    const QStringList groups = m_groups;
    const int timeoutMs = deadlineMs(config);
    QPointer<DirectoryService> self(this);
    run<DirectorySignIn>(
        config, [config, login, password, groups]() { return signInBlocking(config, login, password, groups); },
        [self, key, done, configAtStart = config](DirectorySignIn r) {
            if (self && r.outcome == DirectorySignIn::Success && !key.isEmpty() && self->m_config == configAtStart) {
                if (self->m_cache.size() >= kDirectoryMaxCache) {
                    const qint64 t = self->m_clock.elapsed();
                    for (auto it = self->m_cache.begin(); it != self->m_cache.end();)
                        it = it->expiresMs <= t ? self->m_cache.erase(it) : std::next(it);
                    if (self->m_cache.size() >= kDirectoryMaxCache)
                        self->m_cache.clear();
                }
                self->m_cache.insert(key, {r, self->m_clock.elapsed() + qint64(configAtStart.cacheSeconds) * 1000});
            }
            done(r);
        },
        [timeoutMs]() {
            return unavailable(QStringLiteral("directory did not answer within %1 ms").arg(timeoutMs));
        });
}

void DirectoryService::lookupPrincipal(const QString &principal, std::function<void(DirectorySignIn)> done)
{
    const DirectoryConfig config = m_config;
    const QStringList groups = m_groups;
    const int timeoutMs = deadlineMs(config);
    if (!config.enabled) {
        DirectorySignIn r;
        r.outcome = DirectorySignIn::BadCredentials;
        r.reason = QStringLiteral("no directory configured to map Kerberos principals");
        QMetaObject::invokeMethod(this, [done, r]() { done(r); }, Qt::QueuedConnection);
        return;
    }
    run<DirectorySignIn>(
        config, [config, principal, groups]() { return principalBlocking(config, principal, groups); }, done,
        [timeoutMs]() {
            return unavailable(QStringLiteral("directory did not answer within %1 ms").arg(timeoutMs));
        });
}

void DirectoryService::testConnection(const DirectoryConfig &config, std::function<void(DirectoryTestReport)> done)
{
    const int timeoutMs = deadlineMs(config);
    run<DirectoryTestReport>(
        config,
        [config]() {
            DirectoryTestReport rep;
            LdapSession s(config);
            const LdapSession::Status st = s.open();
            rep.lines = s.attempts();
            if (st != LdapSession::Status::Ok) {
                rep.lines << QStringLiteral("FAILED: %1").arg(s.error());
                return rep;
            }
            rep.tls = s.tlsInfo();
            rep.lines << QStringLiteral("TLS: %1, %2").arg(rep.tls.protocol, rep.tls.cipher);
            rep.lines << QStringLiteral("Server certificate: %1 (issuer %2, valid until %3)")
                             .arg(rep.tls.peerSubject, rep.tls.peerIssuer,
                                  rep.tls.peerNotAfter.toString(Qt::ISODate));
            if (!config.verifyCertificate)
                rep.lines << QStringLiteral("WARNING: the certificate was NOT verified (directory.verify_certificate is off)");
            rep.lines << (config.bindDn.isEmpty() ? QStringLiteral("Bound anonymously")
                                                  : QStringLiteral("Bound as %1").arg(config.bindDn));
            int entries = 0;
            if (s.checkBase(&entries) != LdapSession::Status::Ok) {
                rep.lines << QStringLiteral("FAILED: %1").arg(s.error());
                return rep;
            }
            rep.lines << QStringLiteral("Base DN %1: %2 entries directly below it").arg(config.baseDn).arg(entries);
            rep.ok = true;
            return rep;
        },
        done,
        [timeoutMs]() {
            DirectoryTestReport rep;
            rep.lines << QStringLiteral("FAILED: no answer within %1 ms").arg(timeoutMs);
            return rep;
        });
}

void DirectoryService::testSignIn(const DirectoryConfig &config, const QString &login, const QByteArray &password,
                                  const QStringList &groups, std::function<void(DirectorySignIn)> done)
{
    const int timeoutMs = deadlineMs(config);
    run<DirectorySignIn>(
        config, [config, login, password, groups]() { return signInBlocking(config, login, password, groups); },
        done, [timeoutMs]() {
            return unavailable(QStringLiteral("directory did not answer within %1 ms").arg(timeoutMs));
        });
}

void DirectoryService::searchGroups(const DirectoryConfig &config, const QString &term,
                                    std::function<void(DirectoryGroupList)> done)
{
    const int timeoutMs = deadlineMs(config);
    run<DirectoryGroupList>(
        config,
        [config, term]() {
            DirectoryGroupList list;
            LdapSession s(config);
            if (s.open() != LdapSession::Status::Ok) {
                list.error = s.error();
                return list;
            }
            if (s.searchGroups(term, 200, &list.groups) != LdapSession::Status::Ok) {
                list.error = s.error();
                return list;
            }
            list.ok = true;
            return list;
        },
        done,
        [timeoutMs]() {
            DirectoryGroupList list;
            list.error = QStringLiteral("no answer within %1 ms").arg(timeoutMs);
            return list;
        });
}

void DirectoryService::waitForIdle()
{
    m_pool.waitForDone();
    QCoreApplication::sendPostedEvents(this, QEvent::MetaCall);
}

} // namespace rd::directory

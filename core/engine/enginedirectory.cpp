// Directory sign-in in the engine (issue #10): the DirectoryService follows
// the configuration; a directory user's relay right and "send as" check are
// decided per listener here.

#include "engine/engine.h"

#include "auth/authenticator.h"
#include "auth/gssapiexchange.h"
#include "directory/directoryservice.h"

namespace rd::engine {

using namespace rd::config::keys;

namespace {

// Every group any listener may ask about: the global list and the listeners' own.
QStringList directoryGroupsOfInterest(const config::ConfigSnapshot &config, const directory::DirectoryConfig &dc)
{
    QStringList groups = dc.relayGroups;
    for (const config::ListenerConfig &l : std::as_const(config.listeners)) {
        for (const QString &g : l.relayGroups) {
            if (!groups.contains(g, Qt::CaseInsensitive))
                groups << g;
        }
    }
    return groups;
}

// The first of `relayGroups` that `memberOf` contains, or "".
QString directoryRelayVia(const QStringList &relayGroups, const QStringList &memberOf)
{
    for (const QString &g : relayGroups) {
        for (const QString &member : memberOf) {
            if (directory::normalizedDn(g) == directory::normalizedDn(member))
                return g;
        }
    }
    return {};
}

} // namespace

void Engine::startDirectory()
{
    const directory::DirectoryConfig dc = directory::DirectoryConfig::fromSnapshot(m_config);
    const QStringList groups = directoryGroupsOfInterest(m_config, dc);
    if (!m_directory)
        m_directory = new directory::DirectoryService(this);
    const bool wasEnabled = m_directory->enabled();
    m_directory->configure(dc, groups);
    if (m_auth)
        m_auth->setDirectory(m_directory);
    if (!dc.enabled) {
        startGssapi(dc);
        if (wasEnabled)
            systemLog(QStringLiteral("directory"), QStringLiteral("directory sign-in is off"));
        return;
    }
    startGssapi(dc);
    QStringList servers;
    for (const directory::DirectoryServer &s : dc.servers)
        servers << s.uri;
    systemLog(QStringLiteral("directory"),
              QStringLiteral("directory sign-in on: %1 (%2), base %3, %4 relay group(s), cache %5 s")
                  .arg(servers.join(QStringLiteral(", ")), directory::kindName(dc.kind), dc.baseDn)
                  .arg(groups.size())
                  .arg(dc.cacheSeconds));
    for (const QString &problem : dc.problems())
        systemLog(QStringLiteral("directory"), problem, QStringLiteral("warning"));
}

QString Engine::applyDirectoryRights(const auth::AuthResult &r, const QString &listener, smtp::AuthOutcome *o) const
{
    const config::ListenerConfig *lc = nullptr;
    for (const config::ListenerConfig &l : std::as_const(m_config.listeners)) {
        if (l.name == listener)
            lc = &l;
    }
    const QStringList relayGroups = lc && !lc->relayGroups.isEmpty()
                                        ? lc->relayGroups
                                        : directory::parseGroupList(m_config.stringValue(kDirectoryRelayGroups));
    const QString via = directoryRelayVia(relayGroups, r.groups);
    o->mayRelay = !via.isEmpty();
    QString text = o->mayRelay ? QStringLiteral("; may relay (member of %1)").arg(via)
                               : relayGroups.isEmpty()
                                     ? QStringLiteral("; may not relay (no relay group is configured)")
                                     : QStringLiteral("; may not relay (in none of the relay groups)");
    if (lc && lc->senderCheck) {
        o->restrictSenders = true;
        o->ownAddresses = r.addresses;
        text += QStringLiteral("; may send as %1")
                    .arg(r.addresses.isEmpty() ? QStringLiteral("no address") : r.addresses.join(QStringLiteral(", ")));
    }
    return text;
}

namespace {

config::ConfigSnapshot withStoredSecrets(const config::ConfigSnapshot &edited, const config::ConfigSnapshot &stored)
{
    config::ConfigSnapshot c = edited;
    config::keepStoredSecretSettings(&c, stored);
    return c;
}

} // namespace

void Engine::testDirectory(const config::ConfigSnapshot &config,
                           std::function<void(const directory::DirectoryTestReport &)> done)
{
    if (!m_directory)
        m_directory = new directory::DirectoryService(this);
    directory::DirectoryConfig dc = directory::DirectoryConfig::fromSnapshot(withStoredSecrets(config, m_config));
    dc.enabled = true; // testing before switching it on is the point
    m_directory->testConnection(dc, [done, dc](directory::DirectoryTestReport r) {
        QStringList problems = dc.problems();
        problems.removeIf([](const QString &p) { return p.contains(QLatin1String("verify_certificate")); });
        for (const QString &p : problems)
            r.lines.prepend(QStringLiteral("Problem: %1").arg(p));
        done(r);
    });
}

void Engine::testDirectorySignIn(const config::ConfigSnapshot &edited, const QString &login,
                                 const QByteArray &password,
                                 std::function<void(const directory::DirectorySignInReport &)> done)
{
    if (!m_directory)
        m_directory = new directory::DirectoryService(this);
    const config::ConfigSnapshot config = withStoredSecrets(edited, m_config);
    directory::DirectoryConfig dc = directory::DirectoryConfig::fromSnapshot(config);
    dc.enabled = true;
    const QStringList groups = directoryGroupsOfInterest(config, dc);
    m_directory->testSignIn(dc, login, password, groups, [done, config, dc, login](directory::DirectorySignIn r) {
        directory::DirectorySignInReport rep;
        rep.login = login;
        rep.result = r;
        if (r.outcome == directory::DirectorySignIn::Success) {
            for (const config::ListenerConfig &l : std::as_const(config.listeners)) {
                if (l.role != QLatin1String("submission") && l.relayAllow.isEmpty() && l.certificate.isEmpty())
                    continue;
                const QStringList relayGroups = l.relayGroups.isEmpty() ? dc.relayGroups : l.relayGroups;
                const QString via = directoryRelayVia(relayGroups, r.groups);
                QString line = via.isEmpty()
                                   ? QStringLiteral("%1: would NOT relay (%2)")
                                         .arg(l.name, relayGroups.isEmpty() ? QStringLiteral("no relay group is set")
                                                                            : QStringLiteral("in none of: %1")
                                                                                  .arg(relayGroups.join(QStringLiteral("; "))))
                                   : QStringLiteral("%1: would relay (member of %2)").arg(l.name, via);
                if (l.senderCheck)
                    line += QStringLiteral("; may send only as %1")
                                .arg(r.addresses.isEmpty() ? QStringLiteral("(no address)")
                                                           : r.addresses.join(QStringLiteral(", ")));
                rep.relayLines << line;
            }
        }
        done(rep);
    });
}

void Engine::searchDirectoryGroups(const config::ConfigSnapshot &config, const QString &term,
                                   std::function<void(const directory::DirectoryGroupList &)> done)
{
    if (!m_directory)
        m_directory = new directory::DirectoryService(this);
    directory::DirectoryConfig dc = directory::DirectoryConfig::fromSnapshot(withStoredSecrets(config, m_config));
    dc.enabled = true;
    m_directory->searchGroups(dc, term, [done](directory::DirectoryGroupList g) { done(g); });
}

void Engine::startGssapi(const directory::DirectoryConfig &dc)
{
    const QString keytab = m_config.stringValue(kGssapiKeytab).trimmed();
    const QString principal = m_config.stringValue(kGssapiPrincipal).trimmed();
    const bool was = m_gssapiReady;
    m_gssapiReady = false;
    if (keytab.isEmpty())
        return;
    if (!dc.enabled) {
        systemLog(QStringLiteral("gssapi"),
                  QStringLiteral("gssapi.keytab is set but AUTH GSSAPI is not offered: it needs the directory "
                                 "(directory.enabled) to map Kerberos principals to users and groups"),
                  QStringLiteral("warning"));
        return;
    }
    // Checked once here, not per connection: a broken keytab is not retried on every AUTH.
    const QString problem = auth::gssapiKeytabProblem(keytab, principal);
    if (!problem.isEmpty()) {
        systemLog(QStringLiteral("gssapi"), QStringLiteral("AUTH GSSAPI is not offered: %1").arg(problem),
                  QStringLiteral("error"));
        return;
    }
    m_gssapiReady = true;
    if (!was)
        systemLog(QStringLiteral("gssapi"),
                  QStringLiteral("AUTH GSSAPI offered over TLS with the keytab %1 (%2)")
                      .arg(keytab, principal.isEmpty() ? QStringLiteral("any key in it") : principal));
}

std::unique_ptr<auth::GssapiExchange> Engine::createGssapiExchange()
{
    if (!m_gssapiReady)
        return nullptr;
    return std::make_unique<auth::GssapiExchange>(m_config.stringValue(kGssapiKeytab).trimmed(),
                                                  m_config.stringValue(kGssapiPrincipal).trimmed());
}

void Engine::authenticatePrincipal(const QString &principal, const QString &authzid, const QString &clientIp,
                                   const QString &sessionId, const QString &listener,
                                   std::function<void(smtp::AuthOutcome, int)> done)
{
    auto finish = [this, principal, clientIp, sessionId, done](smtp::AuthOutcome o, const QString &why) {
        log::LogEvent e;
        e.kind = log::LogKind::Session;
        e.level = o.kind == smtp::AuthOutcome::Success ? QStringLiteral("info") : QStringLiteral("warning");
        e.direction = QStringLiteral("in");
        e.sessionId = sessionId;
        e.clientIp = clientIp;
        e.user = principal;
        e.result = o.kind == smtp::AuthOutcome::Success ? QStringLiteral("auth_ok") : QStringLiteral("auth_failed");
        e.replyCode = o.kind == smtp::AuthOutcome::Success ? 235 : o.kind == smtp::AuthOutcome::Temporary ? 454 : 535;
        e.rule = QStringLiteral("auth");
        e.message = QStringLiteral("GSSAPI: %1").arg(why);
        log(e);
        done(o, 0);
    };
    // RFC 4752 3.1: the principal may act only as itself; no proxy authorization.
    const QString primary = principal.section(QLatin1Char('@'), 0, 0);
    if (!authzid.isEmpty() && authzid.compare(principal, Qt::CaseInsensitive) != 0
        && authzid.compare(primary, Qt::CaseInsensitive) != 0) {
        finish(smtp::AuthOutcome::of(smtp::AuthOutcome::Failure),
               QStringLiteral("%1 asked to act as %2, which is not allowed").arg(principal, authzid));
        return;
    }
    if (!m_directory || !m_directory->enabled()) {
        finish(smtp::AuthOutcome::of(smtp::AuthOutcome::Temporary), QStringLiteral("no directory to map %1").arg(principal));
        return;
    }
    m_directory->lookupPrincipal(principal, [this, principal, listener, finish](directory::DirectorySignIn d) {
        smtp::AuthOutcome o;
        QString why;
        switch (d.outcome) {
        case directory::DirectorySignIn::Success: {
            o.kind = smtp::AuthOutcome::Success;
            o.user = principal.toUtf8();
            auth::AuthResult r;
            r.directory = true;
            r.groups = d.groups;
            r.addresses = d.addresses;
            why = QStringLiteral("%1 is %2").arg(principal, d.dn) + applyDirectoryRights(r, listener, &o);
            break;
        }
        case directory::DirectorySignIn::BadCredentials:
        case directory::DirectorySignIn::Refused:
            o.kind = smtp::AuthOutcome::Failure;
            why = d.reason;
            break;
        case directory::DirectorySignIn::Unavailable:
            o.kind = smtp::AuthOutcome::Temporary;
            why = d.reason;
            break;
        }
        finish(o, why);
    });
}

} // namespace rd::engine

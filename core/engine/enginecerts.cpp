// Certificates referenced by path (CertificateStore::linkPem/linkPkcs12),
// renewed on disk by certbot, lego or win-acme: the watcher loads and checks
// the new files off the engine thread; listeners hand the new certificate to
// sessions accepted from then on, without a restart and without dropping the
// open sessions. A broken new file keeps the old certificate and raises an
// alert until a good file replaces it.

#include "engine/engine.h"

#include "alerts/alertmonitor.h"
#include "config/configstore.h"
#include "dns/caresresolver.h"
#include "engine/acmeservice.h"
#include "net/listener.h"
#include "tls/certificatestore.h"
#include "tls/certificatewatcher.h"

namespace rd::engine {

void Engine::startCertificateWatcher()
{
    if (!m_certs)
        return;
    if (!m_certWatcher) {
        m_certWatcher = new tls::CertificateWatcher(m_certs.get(), this);
        connect(m_certWatcher, &tls::CertificateWatcher::certificateChanged, this, &Engine::certificateReloaded);
        connect(m_certWatcher, &tls::CertificateWatcher::reloadFailed, this, &Engine::certificateReloadFailed);
    }
    m_certWatcher->watchAllLinked(); // new links (made by the GUI or the CLI) join; watched ones stay
}

void Engine::reloadCertificates()
{
    startCertificateWatcher();
}

void Engine::certificateReloaded(const QString &id, const tls::CertificateInfo &info)
{
    const std::optional<QSslConfiguration> tls = m_certWatcher->configuration(id);
    if (!tls)
        return;
    QStringList users;
    for (net::Listener *l : std::as_const(m_listeners)) {
        if (l->certificateId() == id) {
            l->setTlsConfiguration(*tls);
            users << l->endpoint();
        }
    }
    systemLog(QStringLiteral("certificate_reloaded"),
              QStringLiteral("certificate %1 (%2) reloaded from disk, valid until %3; in use on %4")
                  .arg(id, info.subject, info.notAfter.toUTC().toString(Qt::ISODate),
                       users.isEmpty() ? QStringLiteral("no listener") : users.join(QStringLiteral(", "))));
    if (m_certReloadErrors.remove(id) > 0 && m_alerts)
        m_alerts->setCertificateReloadErrors(m_certReloadErrors);
    checkCertificates();
}

void Engine::certificateReloadFailed(const QString &id, const QString &error)
{
    systemLog(QStringLiteral("certificate_reload_failed"),
              QStringLiteral("certificate %1: the changed file cannot be used, the previous certificate stays in "
                             "use: %2")
                  .arg(id, error),
              QStringLiteral("error"));
    m_certReloadErrors.insert(id, error);
    if (m_alerts)
        m_alerts->setCertificateReloadErrors(m_certReloadErrors);
}

void Engine::startAcme()
{
    if (!m_certs)
        return;
    if (!m_acme) {
        m_acme = new AcmeService(m_dataDir, m_certs.get(), this);
        connect(m_acme, &AcmeService::note, this,
                [this](const QString &event, const QString &message, const QString &level) {
                    systemLog(event, message, level);
                });
        connect(m_acme, &AcmeService::progress, this, &Engine::acmeProgress);
        connect(m_acme, &AcmeService::dnsRecordsNeeded, this, &Engine::acmeDnsRecords);
        connect(m_acme, &AcmeService::finished, this, [this](const acme::AcmeResult &r) {
            emit acmeFinished(r.ok, r.ok ? QStringLiteral("certificate %1 issued for %2, valid until %3")
                                               .arg(r.certificateId, r.info.subject,
                                                    r.info.notAfter.toUTC().toString(QStringLiteral("yyyy-MM-dd")))
                                         : r.error,
                              r.certificateId);
            checkCertificates();
        });
        connect(m_acme, &AcmeService::certificateRenewed, this, &Engine::certificateRenewed);
        m_acme->configure(AcmeSettings::fromConfig(m_config));
        m_acme->setResolver(m_resolver);
        m_acme->startRenewals();
        return;
    }
    m_acme->configure(AcmeSettings::fromConfig(m_config));
    m_acme->setResolver(m_resolver);
}

void Engine::orderAcmeCertificate(const QStringList &names, const QString &challenge, bool termsAgreed)
{
    QString error;
    const acme::ChallengeType type = challenge == acme::challengeTypeName(acme::ChallengeType::Dns01)
                                         ? acme::ChallengeType::Dns01
                                         : acme::ChallengeType::Http01;
    if (!m_acme) {
        emit acmeFinished(false, QStringLiteral("the engine is not running"), QString());
        return;
    }
    if (!m_acme->order(names, type, termsAgreed, &error))
        emit acmeFinished(false, error, QString());
}

void Engine::confirmAcmeDns()
{
    if (m_acme)
        m_acme->confirmDnsPublished();
}

void Engine::cancelAcme()
{
    if (m_acme)
        m_acme->cancel();
}

void Engine::certificateRenewed(const QString &oldId, const QString &newId)
{
    config::ConfigSnapshot next = m_config;
    QStringList moved;
    for (config::ListenerConfig &l : next.listeners) {
        if (l.certificate == oldId) {
            l.certificate = newId;
            moved << l.name;
        }
    }
    if (moved.isEmpty())
        return;
    systemLog(QStringLiteral("acme_renewed"),
              QStringLiteral("listeners %1 now use the renewed certificate %2 (was %3)")
                  .arg(moved.join(QStringLiteral(", ")), newId, oldId));
    applyConfig(next); // saved and applied; open sessions finish with the old certificate
}

} // namespace rd::engine

#include "engine/acmeservice.h"

#include "acme/acmerecords.h"
#include "config/settings.h"
#include "storage/database.h"
#include "tls/certificatestore.h"

#include <QDateTime>
#include <QFile>
#include <QSslCertificate>

namespace rd::engine {

using namespace rd::config::keys;

AcmeSettings AcmeSettings::fromConfig(const config::ConfigSnapshot &config)
{
    AcmeSettings s;
    s.directoryUrl = config.stringValue(kAcmeDirectory);
    s.email = config.stringValue(kAcmeEmail);
    s.http01Allowed = config.boolValue(kAcmeHttp01);
    s.http01Port = quint16(config.intValue(kAcmeHttp01Port));
    s.caFile = config.stringValue(kAcmeCaFile);
    const QString server = config.stringValue(kAcmeDnsUpdateServer).trimmed();
    if (!server.isEmpty()) {
        QString error;
        if (!config::parseDnsUpdateServer(server, &s.dnsUpdate.host, &s.dnsUpdate.port, &error)) {
            s.dnsUpdateError = QStringLiteral("acme.dns_update_server: %1").arg(error);
        } else if (const auto key = dns::update::makeTsigKey(config.stringValue(kAcmeTsigKeyName),
                                                             config.stringValue(kAcmeTsigAlgorithm),
                                                             config.stringValue(kAcmeTsigSecret), &error)) {
            s.dnsUpdate.key = *key;
        } else {
            s.dnsUpdateError = QStringLiteral("DNS UPDATE to %1 needs a TSIG key (acme.tsig_key_name, "
                                              "acme.tsig_algorithm, acme.tsig_secret): %2")
                                   .arg(server, error);
        }
        s.dnsUpdate.zone = config.stringValue(kAcmeDnsUpdateZone).trimmed();
        if (s.dnsUpdate.zone.endsWith(QLatin1Char('.')))
            s.dnsUpdate.zone.chop(1);
        s.dnsUpdate.ttl = quint32(config.intValue(kAcmeDnsUpdateTtl));
        if (!s.dnsUpdateError.isEmpty())
            s.dnsUpdate.host = server; // still "enabled": orders fail with the error, no fallback to the admin
    }
    return s;
}

AcmeService::AcmeService(QString dataDir, tls::CertificateStore *store, QObject *parent)
    : QObject(parent), m_dataDir(std::move(dataDir)), m_store(store), m_transport(new acme::NetworkTransport(this)),
      m_scheduler(new acme::AcmeRenewalScheduler(this))
{
    connect(m_scheduler, &acme::AcmeRenewalScheduler::renewalDue, this, &AcmeService::renew);
}

AcmeService::~AcmeService() = default;

void AcmeService::configure(const AcmeSettings &settings)
{
    m_settings = settings;
    QList<QSslCertificate> cas;
    if (!settings.caFile.isEmpty()) {
        cas = QSslCertificate::fromPath(settings.caFile, QSsl::Pem);
        if (cas.isEmpty())
            emit note(QStringLiteral("acme"),
                      QStringLiteral("acme.ca_file %1 holds no PEM certificate").arg(settings.caFile),
                      QStringLiteral("warning"));
    }
    m_transport->setExtraCaCertificates(cas);
}

void AcmeService::setResolver(dns::Resolver *resolver)
{
    m_resolver = resolver;
}

bool AcmeService::withConfigDb(const std::function<bool(QSqlDatabase &, QString *)> &fn, QString *error) const
{
    const QString conn = storage::uniqueConnectionName(QStringLiteral("acme"));
    bool ok = false;
    {
        QSqlDatabase db = storage::openDatabase(m_dataDir, storage::DbKind::Config, conn, {}, error);
        if (db.isOpen())
            ok = fn(db, error);
    }
    storage::closeDatabase(conn);
    return ok;
}

void AcmeService::startRenewals(int intervalMs)
{
    QList<acme::AcmeCertificateRecord> records;
    QString error;
    if (!withConfigDb([&](QSqlDatabase &db, QString *e) {
            records = acme::loadCertificateRecords(db, e);
            return e->isEmpty();
        }, &error))
        emit note(QStringLiteral("acme"), QStringLiteral("ACME certificate records: %1").arg(error),
                  QStringLiteral("warning"));
    m_scheduler->setRecords(records);
    m_scheduler->start(intervalMs);
}

QList<acme::AcmeCertificateRecord> AcmeService::records() const
{
    return m_scheduler->records();
}

bool AcmeService::order(const QStringList &names, acme::ChallengeType challenge, bool termsAgreed, QString *error)
{
    acme::AcmeRequest r;
    r.directoryUrl = m_settings.directoryUrl;
    r.email = m_settings.email;
    r.termsAgreed = termsAgreed;
    for (const QString &n : names) {
        const QString name = n.trimmed().toLower();
        if (!name.isEmpty() && !r.names.contains(name))
            r.names << name;
    }
    r.challenge = challenge;
    if (r.names.isEmpty()) {
        *error = QStringLiteral("name at least one DNS name for the certificate");
        return false;
    }
    if (!termsAgreed) {
        *error = QStringLiteral("the CA's terms of service must be agreed to");
        return false;
    }
    m_renewing = false;
    return startOrder(r, error);
}

bool AcmeService::startOrder(const acme::AcmeRequest &request, QString *error)
{
    if (m_order) {
        *error = QStringLiteral("an ACME order is running already");
        return false;
    }
    if (request.directoryUrl.isEmpty()) {
        *error = QStringLiteral("no ACME directory URL (setting acme.directory_url)");
        return false;
    }
    if (request.challenge == acme::ChallengeType::Http01 && !m_settings.http01Allowed) {
        *error = QStringLiteral("HTTP-01 needs a temporary HTTP listener on port %1: allow it first (setting "
                                "acme.http01_allowed), or use DNS-01")
                     .arg(m_settings.http01Port);
        return false;
    }
    const bool byUpdate = request.challenge == acme::ChallengeType::Dns01 && m_settings.dnsUpdate.isEnabled();
    if (byUpdate && !m_settings.dnsUpdateError.isEmpty()) {
        *error = m_settings.dnsUpdateError;
        return false;
    }
    m_order = new acme::AcmeOrder(m_transport, m_store, request, this);
    if (byUpdate)
        m_order->setDnsUpdate(m_settings.dnsUpdate);
    // The account of this directory, if one was made before.
    std::optional<acme::AcmeAccount> account;
    QString dbError;
    withConfigDb([&](QSqlDatabase &db, QString *e) {
        account = acme::loadAccount(db, request.directoryUrl, e);
        return true;
    }, &dbError);
    if (account && !account->keyPem.isEmpty()) {
        QString keyError;
        const acme::AccountKey key = acme::AccountKey::fromPem(account->keyPem, &keyError);
        if (!key.isNull())
            m_order->setAccount(key, account->accountUrl);
        else
            emit note(QStringLiteral("acme"), QStringLiteral("stored ACME account key unusable (%1): a new account "
                                                             "is made").arg(keyError),
                      QStringLiteral("warning"));
    }
    m_order->setHttp01Listen(QHostAddress::Any, m_settings.http01Port);
    m_order->setResolver(m_resolver);
    connect(m_order, &acme::AcmeOrder::progress, this, &AcmeService::progress);
    connect(m_order, &acme::AcmeOrder::dnsRecordsNeeded, this, &AcmeService::dnsRecordsNeeded);
    connect(m_order, &acme::AcmeOrder::finished, this, &AcmeService::onFinished);
    emit note(QStringLiteral("acme_order"),
              QStringLiteral("ACME order for %1 (%2) at %3")
                  .arg(request.names.join(QStringLiteral(", ")), acme::challengeTypeName(request.challenge),
                       request.directoryUrl),
              QStringLiteral("info"));
    m_order->start();
    return true;
}

void AcmeService::confirmDnsPublished()
{
    if (m_order)
        m_order->confirmDnsPublished();
}

void AcmeService::cancel()
{
    if (m_order)
        m_order->cancel(); // finished() follows
}

void AcmeService::renew(const acme::AcmeCertificateRecord &record)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const bool dns01 = record.challenge == acme::challengeTypeName(acme::ChallengeType::Dns01);
    if (dns01 && !m_settings.dnsUpdate.isEnabled()) {
        // DNS-01 needs new TXT records published by the admin: say so, every day, until renewed by hand
        // (with acme.dns_update_server set, DNS UPDATE publishes them and the renewal runs below).
        const acme::AcmeCertificateRecord r = m_scheduler->renewalFailed(
            record.certificateId, QStringLiteral("DNS-01 renewal needs the admin (Certificates > Order with ACME)"),
            now, {});
        emit note(QStringLiteral("acme_renewal"),
                  QStringLiteral("certificate %1 (%2) is due for renewal; it was ordered with DNS-01, so order it "
                                 "again in the Certificates panel").arg(record.certificateId, record.names.join(u',')),
                  QStringLiteral("warning"));
        Q_UNUSED(r);
        return;
    }
    acme::AcmeRequest req;
    req.directoryUrl = record.directoryUrl.isEmpty() ? m_settings.directoryUrl : record.directoryUrl;
    req.email = m_settings.email;
    req.termsAgreed = true; // agreed when the account was made
    req.names = record.names;
    req.challenge = dns01 ? acme::ChallengeType::Dns01 : acme::ChallengeType::Http01;
    req.replacesCertificateId = record.certificateId;
    QString error;
    m_renewing = true;
    if (!startOrder(req, &error)) {
        m_renewing = false;
        const QDateTime notAfter = m_store ? [&] {
            for (const tls::CertificateInfo &c : m_store->list())
                if (c.id == record.certificateId)
                    return c.notAfter;
            return QDateTime();
        }() : QDateTime();
        const acme::AcmeCertificateRecord r = m_scheduler->renewalFailed(record.certificateId, error, now, notAfter);
        withConfigDb([&](QSqlDatabase &db, QString *e) { return acme::saveCertificateRecord(db, r, e); }, &error);
        emit note(QStringLiteral("acme_renewal_failed"),
                  QStringLiteral("certificate %1: renewal not started: %2; next try %3")
                      .arg(record.certificateId, error, r.renewAfter.toString(Qt::ISODate)),
                  QStringLiteral("error"));
    }
}

void AcmeService::onFinished(const acme::AcmeResult &result)
{
    acme::AcmeOrder *order = m_order;
    m_order = nullptr;
    const acme::AcmeRequest request = order ? order->request() : acme::AcmeRequest{};
    if (order)
        order->deleteLater();
    const bool renewal = std::exchange(m_renewing, false);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QString error;
    if (!result.account.accountUrl.isEmpty() && !result.account.keyPem.isEmpty())
        withConfigDb([&](QSqlDatabase &db, QString *e) { return acme::saveAccount(db, result.account, e); }, &error);
    if (result.ok) {
        acme::AcmeCertificateRecord r;
        if (renewal) {
            r = m_scheduler->renewalSucceeded(request.replacesCertificateId, result.certificateId,
                                              result.info.notBefore, result.info.notAfter, now);
        } else {
            r.certificateId = result.certificateId;
            r.names = request.names;
            r.challenge = acme::challengeTypeName(request.challenge);
            r.directoryUrl = request.directoryUrl;
            r.status = QStringLiteral("valid");
            r.lastAttempt = now;
            r.renewAfter = acme::renewalTime(result.info.notBefore, result.info.notAfter);
            QList<acme::AcmeCertificateRecord> all = m_scheduler->records();
            all << r;
            m_scheduler->setRecords(all);
        }
        withConfigDb([&](QSqlDatabase &db, QString *e) {
            if (renewal && !acme::removeCertificateRecord(db, request.replacesCertificateId, e))
                return false;
            return acme::saveCertificateRecord(db, r, e);
        }, &error);
        emit note(renewal ? QStringLiteral("acme_renewed") : QStringLiteral("acme_issued"),
                  QStringLiteral("certificate %1 for %2 issued, valid until %3; renewal from %4%5")
                      .arg(result.certificateId, request.names.join(QStringLiteral(", ")),
                           result.info.notAfter.toString(Qt::ISODate), r.renewAfter.toString(Qt::ISODate),
                           renewal ? QStringLiteral("; replaces %1").arg(request.replacesCertificateId) : QString()),
                  QStringLiteral("info"));
        if (!error.isEmpty())
            emit note(QStringLiteral("acme"), QStringLiteral("ACME records not saved: %1").arg(error),
                      QStringLiteral("error"));
        if (renewal)
            emit certificateRenewed(request.replacesCertificateId, result.certificateId);
    } else if (renewal) {
        QDateTime notAfter;
        for (const tls::CertificateInfo &c : m_store->list())
            if (c.id == request.replacesCertificateId)
                notAfter = c.notAfter;
        const acme::AcmeCertificateRecord r =
            m_scheduler->renewalFailed(request.replacesCertificateId, result.error, now, notAfter);
        withConfigDb([&](QSqlDatabase &db, QString *e) { return acme::saveCertificateRecord(db, r, e); }, &error);
        emit note(QStringLiteral("acme_renewal_failed"),
                  QStringLiteral("certificate %1: renewal failed: %2; next try %3")
                      .arg(request.replacesCertificateId, result.error, r.renewAfter.toString(Qt::ISODate)),
                  QStringLiteral("error"));
    } else {
        emit note(QStringLiteral("acme_failed"), QStringLiteral("ACME order for %1 failed: %2")
                                                     .arg(request.names.join(QStringLiteral(", ")), result.error),
                  QStringLiteral("warning"));
    }
    if (!result.dnsCleanupError.isEmpty())
        emit note(QStringLiteral("acme_dns_cleanup_failed"),
                  QStringLiteral("the _acme-challenge TXT records for %1 were not removed: %2")
                      .arg(request.names.join(QStringLiteral(", ")), result.dnsCleanupError),
                  QStringLiteral("warning"));
    emit finished(result);
}

} // namespace rd::engine

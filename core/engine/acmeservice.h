#pragma once
// Certificates RelayDesk orders itself over ACME (RFC 8555): one order at a
// time (acme/acmeorder.h) for the GUI's ACME dialog or `--acme-order`, and
// automatic renewal at two thirds of each ACME certificate's lifetime
// (acme/acmerenewal.h), all on the thread the service lives in (the engine's;
// network and crypto are asynchronous or short, never on the GUI thread).
// The account key and the certificate records live in config.db
// (acme_accounts, acme_certificates); the certificates in the store.
// A renewed certificate replaces the old one on every listener that used it
// (certificateRenewed()).

#include "acme/acmeorder.h"
#include "acme/acmerenewal.h"
#include "acme/acmetransport.h"
#include "dns/dnsupdateclient.h"

#include <QSqlDatabase>
#include "config/configsnapshot.h"

#include <QObject>
#include <QPointer>

#include <memory>

namespace rd::dns {
class Resolver;
}
namespace rd::tls {
class CertificateStore;
}

namespace rd::engine {

struct AcmeSettings {
    QString directoryUrl;
    QString email;
    bool http01Allowed = false;
    quint16 http01Port = 80;
    QString caFile; // PEM: extra CA certificates trusted for the ACME server (a private CA, tests)
    // dns-01 by RFC 2136 DNS UPDATE (acme.dns_update_server and the TSIG key):
    // enabled when the server is set; dnsUpdateError says why it is set but unusable.
    dns::DnsUpdateConfig dnsUpdate;
    QString dnsUpdateError;

    static AcmeSettings fromConfig(const config::ConfigSnapshot &config);
};

class AcmeService : public QObject {
    Q_OBJECT
public:
    // store: must outlive the service.
    AcmeService(QString dataDir, tls::CertificateStore *store, QObject *parent = nullptr);
    ~AcmeService() override;

    void configure(const AcmeSettings &settings);
    void setResolver(dns::Resolver *resolver); // DNS-01: waits until the TXT records are visible
    // Loads the ACME certificate records and checks every 10 minutes which are due.
    void startRenewals(int intervalMs = 10 * 60 * 1000);

    // Starts an order (names: the first is the CN). False with *error when one
    // runs already, HTTP-01 is not allowed, or the request is incomplete.
    bool order(const QStringList &names, acme::ChallengeType challenge, bool termsAgreed, QString *error);
    // DNS-01: the admin published the records shown by dnsRecordsNeeded().
    void confirmDnsPublished();
    void cancel();
    bool isBusy() const { return m_order != nullptr; }
    QList<acme::AcmeCertificateRecord> records() const;

signals:
    void progress(const QString &text);
    void dnsRecordsNeeded(const QList<rd::acme::DnsChallengeRecord> &records);
    void finished(const rd::acme::AcmeResult &result);
    // An automatic renewal stored newId: listeners using oldId should use it.
    void certificateRenewed(const QString &oldId, const QString &newId);
    // A line for the engine's log.
    void note(const QString &event, const QString &message, const QString &level);

private:
    bool startOrder(const acme::AcmeRequest &request, QString *error);
    void onFinished(const acme::AcmeResult &result);
    void renew(const acme::AcmeCertificateRecord &record);
    bool withConfigDb(const std::function<bool(QSqlDatabase &, QString *)> &fn, QString *error) const;

    QString m_dataDir;
    tls::CertificateStore *m_store;
    AcmeSettings m_settings;
    QPointer<dns::Resolver> m_resolver;
    acme::NetworkTransport *m_transport; // child
    acme::AcmeOrder *m_order = nullptr;  // child, while one runs
    acme::AcmeRenewalScheduler *m_scheduler; // child
    bool m_renewing = false;             // the running order is an automatic renewal
};

} // namespace rd::engine

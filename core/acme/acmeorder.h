#pragma once
// AcmeOrder: one certificate order against an ACME server (RFC 8555), from
// the directory to a certificate installed in the CertificateStore.
//
// Steps: directory (7.1.1) -> nonce (7.2) -> account (7.3, created unless
// setAccount() gave one; contact mailto:email, terms agreed by the admin) ->
// newOrder (7.4) -> each authorization (7.5) -> its http-01 (8.3, served by a
// temporary Http01Responder) or dns-01 (8.4, the TXT records are announced
// by dnsRecordsNeeded() and looked up through the project's Resolver until
// visible, or until the admin calls confirmDnsPublished(); or, with
// setDnsUpdate(), published by RFC 2136 DNS UPDATE with TSIG, no admin step,
// looked up until visible and deleted again when the order ends, ok or not:
// finished() then follows the delete) -> respond (7.5.1)
// -> poll (Retry-After honoured) -> finalize with a CSR whose key the store
// generates and keeps (7.4) -> poll the order -> download the chain
// (7.4.2) -> CertificateStore::importSignedCertificate().
// Every POST is a JWS signed with the account key; a badNonce error is
// retried with the fresh nonce (up to three times).
//
// Thread: lives in the thread that created it, all network I/O is
// asynchronous. It calls the store (createCsr, importSignedCertificate: disk
// writes, an EC key generation: milliseconds), so create it on a worker
// thread if the creating thread must never touch the disk.
// finished() is emitted exactly once after start(), also after cancel().

#include "acme/jws.h"
#include "dns/dnsupdateclient.h"
#include "dns/resolver.h"
#include "tls/certificateinfo.h"

#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>

#include <functional>

namespace rd::tls {
class CertificateStore;
}

namespace rd::acme {

class Transport;
class Http01Responder;
struct HttpReply;

enum class ChallengeType { Http01, Dns01 };
// "http-01", "dns-01".
QString challengeTypeName(ChallengeType type);

struct AcmeRequest {
    QString directoryUrl;          // e.g. https://acme-v02.api.letsencrypt.org/directory
    QString email;                 // account contact (may be empty)
    bool termsAgreed = false;      // the admin agreed to the CA's terms of service
    QStringList names;             // DNS names; the first is the certificate's CN
    ChallengeType challenge = ChallengeType::Http01;
    QString replacesCertificateId; // a previous ACME entry this renews (reported back, not removed)
};

struct AcmeAccount {
    QString directoryUrl;
    QByteArray keyPem;   // secret: store owner-only, never log
    QString accountUrl;  // the "kid"
    QString email;
};

struct DnsChallengeRecord {
    QString name;  // "_acme-challenge.example.com"
    QString value; // the TXT value
    // "_acme-challenge.example.com. 300 IN TXT \"...\"" (zone-file form for Copy).
    QString zoneLine() const;
};

struct AcmeResult {
    bool ok = false;
    QString error;                 // one sentence: the step and the CA's detail
    QString certificateId;         // the new store entry when ok
    tls::CertificateInfo info;
    QString replacesCertificateId; // copied from the request
    AcmeAccount account;           // the account used (new or given), also on failure when known
    QString dnsCleanupError;       // dns-01 by DNS UPDATE: the records could not be deleted (the order's
                                   // outcome stands; the admin should remove them)
};

class AcmeOrder : public QObject {
    Q_OBJECT
public:
    // transport and store are not owned and must outlive the order.
    AcmeOrder(Transport *transport, tls::CertificateStore *store, AcmeRequest request, QObject *parent = nullptr);
    ~AcmeOrder() override;

    // Use an existing account (key + URL from acme_accounts); otherwise a new
    // key is generated and an account is created (or found: 200) at start.
    void setAccount(const AccountKey &key, const QString &accountUrl);
    // Where the http-01 responder listens (acme.http01_port; default any:80).
    void setHttp01Listen(const QHostAddress &address, quint16 port);
    // The resolver used to wait for dns-01 records (optional: without it the
    // order waits for confirmDnsPublished()). Not owned.
    void setResolver(dns::Resolver *resolver) { m_resolver = resolver; }
    // dns-01 without the admin: publish the TXT records by DNS UPDATE to this
    // server (config.isEnabled()), then wait for them through the resolver (if
    // set; else respond once the server said NOERROR). An update that fails
    // fails the order. dnsRecordsNeeded() is not emitted then.
    void setDnsUpdate(const dns::DnsUpdateConfig &config) { m_dnsUpdate = config; }
    // Poll interval when the server sends no Retry-After (default 2 s).
    void setPollInterval(int ms) { m_pollMs = ms; }
    // Interval of the dns-01 visibility lookups (default 10 s).
    void setDnsPollInterval(int ms) { m_dnsPollMs = ms; }
    // The whole order fails after this (default 15 min; dns-01 waits count).
    void setTimeout(int ms) { m_timeout.setInterval(ms); }

    void start();
    // The admin says the dns-01 TXT records are published: respond now.
    void confirmDnsPublished();
    // Stops; finished() reports "cancelled". A pending CSR entry is removed.
    void cancel();

    const AcmeRequest &request() const { return m_request; }

signals:
    void progress(const QString &text);
    // dns-01: publish these TXT records (the GUI shows them with Copy).
    void dnsRecordsNeeded(const QList<rd::acme::DnsChallengeRecord> &records);
    void finished(const rd::acme::AcmeResult &result);

private:
    struct Authz;
    using JsonCallback = std::function<void(const HttpReply &, const QJsonObject &)>;
    void post(const QString &url, const QByteArray &payload, JsonCallback cb, int attempt = 0);
    void withNonce(std::function<void()> next);
    void fail(const QString &step, const QString &text);
    void succeed(const QString &certificateId, const tls::CertificateInfo &info);
    // Deletes the records published by DNS UPDATE (if any), then emits finished(r).
    void finishAfterCleanup(AcmeResult r);
    void publishByUpdate(const QList<DnsChallengeRecord> &records);
    bool checkReply(const QString &step, const HttpReply &reply, const QJsonObject &body);
    int retryAfterMs(const HttpReply &reply) const;

    void fetchDirectory();
    void ensureAccount();
    void newOrder();
    void fetchAuthorization(int index);
    void prepareChallenges();
    void checkDnsVisible();
    void respondChallenges();
    void pollAuthorization(int index);
    void finalize();
    void pollOrder();
    void downloadCertificate(const QString &url);

    Transport *m_transport;
    tls::CertificateStore *m_store;
    AcmeRequest m_request;
    AccountKey m_key;
    QString m_kid;
    QPointer<dns::Resolver> m_resolver;
    dns::DnsUpdateConfig m_dnsUpdate;
    dns::DnsUpdateClient *m_updater = nullptr;  // child, while records are being added
    QList<dns::update::TxtRr> m_published;  // added (or being added) by DNS UPDATE: deleted at the end
    Http01Responder *m_responder = nullptr;
    QHostAddress m_httpAddress = QHostAddress::Any;
    quint16 m_httpPort = 80;
    int m_pollMs = 2000;
    int m_dnsPollMs = 10000;
    QTimer m_timeout;
    QTimer m_dnsTimer;

    QJsonObject m_directory;
    QByteArray m_nonce;
    QString m_orderUrl;
    QString m_finalizeUrl;
    QList<Authz> m_authz;
    QString m_pendingId; // the store's pending CSR entry
    bool m_dnsConfirmed = false;
    bool m_dnsWaiting = false;
    bool m_done = false;
    bool m_started = false;
};

} // namespace rd::acme

Q_DECLARE_METATYPE(rd::acme::AcmeResult)
Q_DECLARE_METATYPE(rd::acme::DnsChallengeRecord)

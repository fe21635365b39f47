#pragma once
// Fetches https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC 8461 3.3):
// HTTPS only, the certificate must be valid for mta-sts.<domain>, no
// redirects, HTTP 200 with text/plain, at most 64 KB, bounded in time.
//
// The policy host's address comes from the project's asynchronous resolver
// (so DNS is the same as for mail routing and testable against a DNS server
// on loopback); the request goes to that address with Host and the TLS name
// (SNI and verification) set to mta-sts.<domain>.
// Thread: lives in the thread that created it (the engine's); the callback
// runs later from that thread's event loop, exactly once per fetch() unless
// the fetcher is destroyed first. Nothing blocks.

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>

class QNetworkAccessManager;

namespace rd::dns {
class Resolver;
}

namespace rd::mtasts {

struct FetchResult {
    bool ok = false;
    QByteArray body;    // the policy file when ok
    QString error;      // why not, for the log
    // TLS-RPT result type when not ok (RFC 8460 4.3.2): "sts-webpki-invalid"
    // (the policy host's certificate did not validate) or "sts-policy-fetch-error".
    QString resultType;
};

struct FetcherOptions {
    int timeoutMs = 60000;          // whole request, DNS included (Postfix mta-sts resolver: 60 s)
    qint64 maxBytes = 64 * 1024;    // 3.3: senders may limit the policy size (64 KB)
    QString caFile;                 // PEM bundle to trust instead of the system store (tests); empty: system
    quint16 port = 443;             // tests only: a policy server on another port
};

class PolicyFetcher : public QObject {
    Q_OBJECT
public:
    // `resolver` must outlive the fetcher (the engine's resolver).
    PolicyFetcher(dns::Resolver *resolver, FetcherOptions options = {}, QObject *parent = nullptr);
    ~PolicyFetcher() override;

    // Starts fetching the policy of `domain` (a domain name, no trailing dot).
    // `done` runs exactly once, later, with the body or the reason it failed.
    void fetch(const QString &domain, std::function<void(const FetchResult &)> done);

    const FetcherOptions &options() const { return m_options; }

private:
    void request(const QString &domain, const QString &address, std::function<void(const FetchResult &)> done);

    QPointer<dns::Resolver> m_resolver;
    FetcherOptions m_options;
    QNetworkAccessManager *m_nam = nullptr; // child
};

} // namespace rd::mtasts

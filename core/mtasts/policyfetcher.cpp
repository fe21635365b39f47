#include "mtasts/policyfetcher.h"

#include "dns/resolver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslConfiguration>
#include <QTimer>
#include <QUrl>

#include <memory>

namespace rd::mtasts {

namespace {

FetchResult failure(const QString &error, bool webpki = false)
{
    FetchResult r;
    r.error = error;
    r.resultType = webpki ? QStringLiteral("sts-webpki-invalid") : QStringLiteral("sts-policy-fetch-error");
    return r;
}

} // namespace

PolicyFetcher::PolicyFetcher(dns::Resolver *resolver, FetcherOptions options, QObject *parent)
    : QObject(parent)
    , m_resolver(resolver)
    , m_options(std::move(options))
    , m_nam(new QNetworkAccessManager(this))
{
    m_nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    m_nam->setStrictTransportSecurityEnabled(false);
}

PolicyFetcher::~PolicyFetcher() = default;

void PolicyFetcher::fetch(const QString &domain, std::function<void(const FetchResult &)> done)
{
    const QString host = QStringLiteral("mta-sts.") + domain;
    QPointer<PolicyFetcher> self(this);
    const auto fail = [self, done](const QString &why) {
        QMetaObject::invokeMethod(
            self.data(), [done, why] { done(failure(why)); }, Qt::QueuedConnection);
    };
    if (!m_resolver) {
        fail(QStringLiteral("no DNS resolver"));
        return;
    }
    m_resolver->lookupAddresses(host, this, [self, domain, host, done](const dns::AddressAnswer &a) {
        if (!self)
            return;
        if (!a.ok() || a.addresses.isEmpty()) {
            done(failure(QStringLiteral("no address for %1 (%2)").arg(host, dns::statusName(a.status))));
            return;
        }
        self->request(domain, a.addresses.first().address.toString(), done);
    });
}

void PolicyFetcher::request(const QString &domain, const QString &address,
                            std::function<void(const FetchResult &)> done)
{
    const QString host = QStringLiteral("mta-sts.") + domain;
    QUrl url;
    url.setScheme(QStringLiteral("https"));
    url.setHost(address);
    if (m_options.port != 443)
        url.setPort(m_options.port);
    url.setPath(QStringLiteral("/.well-known/mta-sts.txt"));

    QNetworkRequest req(url);
    req.setRawHeader("Host", (m_options.port == 443 ? host : host + QLatin1Char(':') + QString::number(m_options.port))
                                 .toLatin1());
    req.setPeerVerifyName(host); // SNI and certificate name: mta-sts.<domain>, not the address
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    req.setTransferTimeout(m_options.timeoutMs);
    req.setRawHeader("User-Agent", "RelayDesk MTA-STS");
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setPeerVerifyMode(QSslSocket::VerifyPeer);
    ssl.setProtocol(QSsl::TlsV1_2OrLater);
    if (!m_options.caFile.isEmpty()) {
        const QList<QSslCertificate> cas = QSslCertificate::fromPath(m_options.caFile, QSsl::Pem);
        if (cas.isEmpty()) {
            QMetaObject::invokeMethod(
                this,
                [done, f = m_options.caFile] { done(failure(QStringLiteral("no CA certificate in %1").arg(f))); },
                Qt::QueuedConnection);
            return;
        }
        ssl.setCaCertificates(cas);
    }
    req.setSslConfiguration(ssl);

    QNetworkReply *reply = m_nam->get(req);
    auto tlsErrors = std::make_shared<QStringList>();
    auto finished = std::make_shared<bool>(false);
    const qint64 maxBytes = m_options.maxBytes;
    connect(reply, &QNetworkReply::sslErrors, reply, [tlsErrors](const QList<QSslError> &errors) {
        for (const QSslError &e : errors)
            *tlsErrors << e.errorString();
        // Not ignored: the reply fails.
    });
    connect(reply, &QNetworkReply::downloadProgress, reply, [reply, maxBytes, finished](qint64 received, qint64) {
        if (received > maxBytes && !*finished) {
            reply->setProperty("rd_too_big", true);
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::finished, this, [reply, done, host, tlsErrors, maxBytes, finished] {
        *finished = true;
        reply->deleteLater();
        if (reply->property("rd_too_big").toBool()) {
            done(failure(QStringLiteral("policy of %1 larger than %2 bytes").arg(host).arg(maxBytes)));
            return;
        }
        if (!tlsErrors->isEmpty()) {
            done(failure(QStringLiteral("certificate of %1 not valid: %2").arg(host, tlsErrors->join(QStringLiteral("; "))),
                         true));
            return;
        }
        if (reply->error() == QNetworkReply::SslHandshakeFailedError) {
            done(failure(QStringLiteral("TLS handshake with %1 failed: %2").arg(host, reply->errorString()), true));
            return;
        }
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status >= 300 && status < 400) {
            done(failure(QStringLiteral("https://%1 answered HTTP %2: redirects are not followed (RFC 8461 3.3)")
                             .arg(host)
                             .arg(status)));
            return;
        }
        if (reply->error() != QNetworkReply::NoError) {
            done(failure(QStringLiteral("fetching https://%1/.well-known/mta-sts.txt: %2").arg(host, reply->errorString())));
            return;
        }
        if (status != 200) {
            done(failure(QStringLiteral("https://%1 answered HTTP %2 (200 required)").arg(host).arg(status)));
            return;
        }
        const QByteArray type =
            reply->header(QNetworkRequest::ContentTypeHeader).toByteArray().split(';').value(0).trimmed().toLower();
        if (type != "text/plain") {
            done(failure(QStringLiteral("policy of %1 has Content-Type \"%2\" (text/plain required)")
                             .arg(host, QString::fromLatin1(type))));
            return;
        }
        const QByteArray body = reply->readAll();
        if (body.size() > maxBytes) {
            done(failure(QStringLiteral("policy of %1 larger than %2 bytes").arg(host).arg(maxBytes)));
            return;
        }
        FetchResult r;
        r.ok = true;
        r.body = body;
        done(r);
    });
}

} // namespace rd::mtasts

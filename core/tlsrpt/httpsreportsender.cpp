#include "tlsrpt/httpsreportsender.h"

#include "dns/resolver.h"
#include "util/fsutil.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSaveFile>
#include <QTimer>
#include <QUuid>

#include <algorithm>
#include <memory>

namespace rd::tlsrpt {

QList<int> HttpsSenderOptions::defaultRetryDelaysMs()
{
    return {10 * 1000, 60 * 1000, 10 * 60 * 1000, 3600 * 1000, 4 * 3600 * 1000};
}

bool judgeHttpsAnswer(const HttpsAnswer &a, const QString &host, int timeoutMs, QString *reason)
{
    const auto fail = [reason](const QString &why) {
        if (reason)
            *reason = why;
        return false;
    };
    if (!a.tlsErrors.isEmpty())
        return fail(
            QStringLiteral("certificate of %1 not valid: %2").arg(host, a.tlsErrors.join(QStringLiteral("; "))));
    if (a.handshakeFailed)
        return fail(QStringLiteral("TLS handshake with %1 failed: %2").arg(host, a.networkError));
    if (a.timedOut)
        return fail(QStringLiteral("no answer from %1 within %2 s").arg(host, QString::number(timeoutMs / 1000)));
    if (a.httpStatus >= 200 && a.httpStatus < 300) {
        if (reason)
            reason->clear();
        return true;
    }
    if (a.httpStatus >= 300 && a.httpStatus < 400)
        return fail(QStringLiteral("%1 answered HTTP %2 (redirect to %3 not followed)")
                        .arg(host, QString::number(a.httpStatus),
                             a.location.isEmpty() ? QStringLiteral("nowhere") : a.location));
    if (a.httpStatus > 0)
        return fail(QStringLiteral("%1 answered HTTP %2").arg(host, QString::number(a.httpStatus)));
    return fail(QStringLiteral("%1: %2").arg(host, a.networkError.isEmpty() ? QStringLiteral("no HTTP answer")
                                                                              : a.networkError));
}

QString httpsRuaForLog(const QUrl &url)
{
    return url.toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment);
}

HttpsReportSender::HttpsReportSender(HttpsSenderOptions options, AttemptFn onAttempt, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_onAttempt(std::move(onAttempt))
    , m_nam(new QNetworkAccessManager(this))
{
    m_nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    m_nam->setStrictTransportSecurityEnabled(false);
}

HttpsReportSender::~HttpsReportSender() = default;

void HttpsReportSender::setResolver(dns::Resolver *resolver)
{
    m_resolver = resolver;
}

bool HttpsReportSender::submit(const HttpsReport &report)
{
    if (report.url.scheme() != QLatin1String("https") || report.url.host().isEmpty())
        return false;
    if (m_jobs.size() >= m_options.maxPending)
        return false;
    const quint64 id = m_nextId++;
    Job job;
    job.report = report;
    job.firstMs = QDateTime::currentMSecsSinceEpoch();
    job.nextMs = job.firstMs;
    saveJob(job);
    m_jobs.insert(id, job);
    QTimer::singleShot(0, this, [this, id] { startAttempt(id); });
    return true;
}

int HttpsReportSender::resume(int *dropped)
{
    int resumed = 0, gone = 0;
    if (m_options.outboxDir.isEmpty()) {
        if (dropped)
            *dropped = 0;
        return 0;
    }
    const QDir dir(m_options.outboxDir);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const int maxAttempts = int(m_options.retryDelaysMs.size()) + 1;
    for (const QString &name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        const QString path = dir.filePath(name);
        QFile f(path);
        const QJsonObject o =
            f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
        f.close();
        Job job;
        job.file = path;
        job.report.url = QUrl(o.value(QStringLiteral("url")).toString(), QUrl::StrictMode);
        job.report.policyDomain = o.value(QStringLiteral("policy_domain")).toString();
        job.report.day = QDate::fromString(o.value(QStringLiteral("day")).toString(), Qt::ISODate);
        job.report.gzippedJson = QByteArray::fromBase64(o.value(QStringLiteral("body")).toString().toLatin1());
        job.attempts = o.value(QStringLiteral("attempts")).toInt();
        job.firstMs = qint64(o.value(QStringLiteral("first_ms")).toDouble());
        job.nextMs = qint64(o.value(QStringLiteral("next_ms")).toDouble());
        const bool usable = job.report.url.scheme() == QLatin1String("https") && !job.report.url.host().isEmpty() &&
                            !job.report.gzippedJson.isEmpty() && job.attempts >= 0 && job.attempts < maxAttempts &&
                            job.firstMs > 0 && now - job.firstMs <= m_options.maxAgeMs &&
                            m_jobs.size() < m_options.maxPending;
        if (!usable) {
            QFile::remove(path);
            ++gone;
            continue;
        }
        const quint64 id = m_nextId++;
        m_jobs.insert(id, job);
        const qint64 wait = std::clamp<qint64>(job.nextMs - now, 0, 24LL * 3600 * 1000);
        QTimer::singleShot(int(wait), this, [this, id] { startAttempt(id); });
        ++resumed;
    }
    if (dropped)
        *dropped = gone;
    return resumed;
}

void HttpsReportSender::saveJob(Job &job)
{
    if (m_options.outboxDir.isEmpty() || !util::ensurePrivateDir(m_options.outboxDir, nullptr))
        return; // best effort: the report is still tried from memory
    if (job.file.isEmpty())
        job.file = QDir(m_options.outboxDir)
                       .filePath(QUuid::createUuid().toString(QUuid::WithoutBraces) + QStringLiteral(".json"));
    QJsonObject o;
    o.insert(QStringLiteral("url"), job.report.url.toString(QUrl::FullyEncoded));
    o.insert(QStringLiteral("policy_domain"), job.report.policyDomain);
    o.insert(QStringLiteral("day"), job.report.day.toString(Qt::ISODate));
    o.insert(QStringLiteral("attempts"), job.attempts);
    o.insert(QStringLiteral("first_ms"), double(job.firstMs));
    o.insert(QStringLiteral("next_ms"), double(job.nextMs));
    o.insert(QStringLiteral("body"), QString::fromLatin1(job.report.gzippedJson.toBase64()));
    QSaveFile f(job.file);
    if (f.open(QIODevice::WriteOnly) && f.write(QJsonDocument(o).toJson(QJsonDocument::Compact)) > 0 && f.commit())
        util::makePrivateFile(job.file);
}

void HttpsReportSender::removeJob(const Job &job)
{
    if (!job.file.isEmpty())
        QFile::remove(job.file);
}

void HttpsReportSender::startAttempt(quint64 id)
{
    auto it = m_jobs.find(id);
    if (it == m_jobs.end())
        return;
    ++it->attempts;
    const QString host = it->report.url.host();
    const QHostAddress literal(host);
    if (!literal.isNull()) {
        post(id, literal.toString());
        return;
    }
    if (!m_resolver) {
        QTimer::singleShot(0, this, [this, id, host] {
            attemptDone(id, false, 0, QStringLiteral("%1: no DNS resolver").arg(host));
        });
        return;
    }
    m_resolver->lookupAddresses(host, this, [this, id, host](const dns::AddressAnswer &a) {
        if (!a.ok() || a.addresses.isEmpty()) {
            attemptDone(id, false, 0, QStringLiteral("no address for %1 (%2)").arg(host, dns::statusName(a.status)));
            return;
        }
        post(id, a.addresses.first().address.toString());
    });
}

void HttpsReportSender::post(quint64 id, const QString &address)
{
    const auto it = m_jobs.constFind(id);
    if (it == m_jobs.cend())
        return;
    const QUrl &rua = it->report.url;
    const QString host = rua.host();
    const int port = rua.port(443);
    QUrl url = rua;
    url.setUserInfo(QString());
    url.setFragment(QString());
    url.setHost(address);

    QNetworkRequest req(url);
    if (QHostAddress(host).isNull()) { // a name: Host, SNI and the certificate name are the rua host, not the address
        const QByteArray ace = QUrl::toAce(host);
        req.setRawHeader("Host", port == 443 ? ace : ace + ':' + QByteArray::number(port));
        req.setPeerVerifyName(host);
    }
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/tlsrpt+gzip"));
    req.setRawHeader("User-Agent", "RelayDesk TLS-RPT");
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    req.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    req.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    req.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration(); // the system store
    ssl.setPeerVerifyMode(QSslSocket::VerifyPeer);
    ssl.setProtocol(QSsl::TlsV1_2OrLater); // 5.3.1: TLS 1.2 or later
    if (!m_options.caFile.isEmpty()) {
        const QList<QSslCertificate> extra = QSslCertificate::fromPath(m_options.caFile, QSsl::Pem);
        if (extra.isEmpty()) {
            QTimer::singleShot(0, this, [this, id, f = m_options.caFile] {
                attemptDone(id, false, 0, QStringLiteral("no CA certificate in %1").arg(f));
            });
            return;
        }
        ssl.addCaCertificates(extra);
    }
    req.setSslConfiguration(ssl);

    QNetworkReply *reply = m_nam->post(req, it->report.gzippedJson);
    auto tlsErrors = std::make_shared<QStringList>();
    auto timedOut = std::make_shared<bool>(false);
    connect(reply, &QNetworkReply::sslErrors, reply, [tlsErrors](const QList<QSslError> &errors) {
        for (const QSslError &e : errors)
            *tlsErrors << e.errorString();
        // Not ignored: the request is not sent and the reply fails.
    });
    connect(reply, &QNetworkReply::readyRead, reply, [reply] {
        reply->skip(reply->bytesAvailable()); // the answer's body is not used
    });
    auto *deadline = new QTimer(reply);
    deadline->setSingleShot(true);
    connect(deadline, &QTimer::timeout, reply, [reply, timedOut] {
        *timedOut = true;
        reply->abort();
    });
    deadline->start(m_options.timeoutMs);
    const int timeoutMs = m_options.timeoutMs;
    connect(reply, &QNetworkReply::finished, this, [this, id, reply, host, tlsErrors, timedOut, timeoutMs] {
        reply->deleteLater();
        HttpsAnswer a;
        a.tlsErrors = *tlsErrors;
        a.timedOut = *timedOut;
        a.handshakeFailed = reply->error() == QNetworkReply::SslHandshakeFailedError;
        a.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        a.location = reply->header(QNetworkRequest::LocationHeader).toUrl().toString();
        if (reply->error() != QNetworkReply::NoError)
            a.networkError = reply->errorString();
        QString reason;
        const bool delivered = judgeHttpsAnswer(a, host, timeoutMs, &reason);
        attemptDone(id, delivered, a.httpStatus, reason);
    });
}

void HttpsReportSender::attemptDone(quint64 id, bool delivered, int httpStatus, const QString &reason)
{
    const auto it = m_jobs.find(id);
    if (it == m_jobs.end())
        return;
    HttpsAttempt at;
    at.attempt = it->attempts;
    at.maxAttempts = int(m_options.retryDelaysMs.size()) + 1;
    at.delivered = delivered;
    at.httpStatus = httpStatus;
    at.reason = reason;
    const HttpsReport report = it->report;
    if (!delivered && it->attempts < at.maxAttempts) {
        at.retryInMs = m_options.retryDelaysMs.at(it->attempts - 1);
        it->nextMs = QDateTime::currentMSecsSinceEpoch() + at.retryInMs;
        saveJob(*it);
        QTimer::singleShot(at.retryInMs, this, [this, id] { startAttempt(id); });
    } else {
        removeJob(*it);
        m_jobs.erase(it);
    }
    if (m_onAttempt)
        m_onAttempt(report, at);
}

} // namespace rd::tlsrpt

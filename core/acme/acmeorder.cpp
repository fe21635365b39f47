#include "acme/acmeorder.h"

#include "acme/acmetransport.h"
#include "acme/http01responder.h"
#include "dns/resolver.h"
#include "tls/certificatestore.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace rd::acme {
namespace {

// Pebble rejects a share of nonces on purpose, as a CA may; each retry is an
// independent draw, so a bound of 10 makes a spurious failure vanishingly rare.
constexpr int kMaxNonceRetries = 10;
constexpr int kMaxRetryAfterMs = 60000;

QString shortType(const QString &type)
{
    return type.startsWith(QLatin1String("urn:ietf:params:acme:error:")) ? type.mid(27) : type;
}

// PEM "CERTIFICATE REQUEST" -> DER.
QByteArray pemToDer(const QByteArray &pem)
{
    QByteArray b64;
    for (const QByteArray &line : pem.split('\n')) {
        if (!line.startsWith("-----"))
            b64 += line.trimmed();
    }
    return QByteArray::fromBase64(b64);
}

} // namespace

QString challengeTypeName(ChallengeType type)
{
    return type == ChallengeType::Dns01 ? QStringLiteral("dns-01") : QStringLiteral("http-01");
}

QString DnsChallengeRecord::zoneLine() const
{
    return QStringLiteral("%1. 300 IN TXT \"%2\"").arg(name, value);
}

struct AcmeOrder::Authz {
    QString url;
    QString identifier; // without "*." (wildcards are dns-01 only)
    QString status;
    QString challengeUrl;
    QByteArray token;
    QByteArray keyAuthorization;
    bool dnsVisible = false;
};

AcmeOrder::AcmeOrder(Transport *transport, tls::CertificateStore *store, AcmeRequest request, QObject *parent)
    : QObject(parent), m_transport(transport), m_store(store), m_request(std::move(request))
{
    m_timeout.setSingleShot(true);
    m_timeout.setInterval(15 * 60 * 1000);
    connect(&m_timeout, &QTimer::timeout, this, [this] { fail(QStringLiteral("order"), QStringLiteral("timed out")); });
    m_dnsTimer.setSingleShot(true);
    connect(&m_dnsTimer, &QTimer::timeout, this, &AcmeOrder::checkDnsVisible);
}

AcmeOrder::~AcmeOrder()
{
    if (!m_pendingId.isEmpty() && !m_done)
        m_store->remove(m_pendingId);
    if (!m_published.isEmpty()) {
        // Destroyed while running: the records still go (a detached client that deletes itself).
        auto *cleaner = new dns::DnsUpdateClient(m_dnsUpdate);
        cleaner->apply(dns::update::UpdateAction::Delete, m_published,
                       [cleaner](bool, const QString &, const QList<dns::update::TxtRr> &) {
                           cleaner->deleteLater();
                       });
    }
}

void AcmeOrder::setAccount(const AccountKey &key, const QString &accountUrl)
{
    m_key = key;
    m_kid = accountUrl;
}

void AcmeOrder::setHttp01Listen(const QHostAddress &address, quint16 port)
{
    m_httpAddress = address;
    m_httpPort = port;
}

void AcmeOrder::start()
{
    if (m_started)
        return;
    m_started = true;
    m_timeout.start();
    if (m_request.names.isEmpty()) {
        QTimer::singleShot(0, this, [this] { fail(QStringLiteral("order"), QStringLiteral("no names to certify")); });
        return;
    }
    if (!m_request.termsAgreed && m_kid.isEmpty()) {
        QTimer::singleShot(0, this, [this] {
            fail(QStringLiteral("account"), QStringLiteral("the CA's terms of service must be agreed to first"));
        });
        return;
    }
    if (m_key.isNull())
        m_key = AccountKey::generate();
    fetchDirectory();
}

void AcmeOrder::cancel()
{
    fail(QStringLiteral("order"), QStringLiteral("cancelled"));
}

void AcmeOrder::fail(const QString &step, const QString &text)
{
    if (m_done)
        return;
    m_done = true;
    m_timeout.stop();
    m_dnsTimer.stop();
    if (m_responder)
        m_responder->stop();
    if (!m_pendingId.isEmpty())
        m_store->remove(m_pendingId);
    m_pendingId.clear();
    AcmeResult r;
    r.error = QStringLiteral("ACME %1 failed: %2").arg(step, text);
    r.replacesCertificateId = m_request.replacesCertificateId;
    r.account = {m_request.directoryUrl, m_kid.isEmpty() ? QByteArray() : m_key.toPem(), m_kid, m_request.email};
    finishAfterCleanup(r);
}

void AcmeOrder::succeed(const QString &certificateId, const tls::CertificateInfo &info)
{
    m_done = true;
    m_timeout.stop();
    if (m_responder)
        m_responder->stop();
    AcmeResult r;
    r.ok = true;
    r.certificateId = certificateId;
    r.info = info;
    r.replacesCertificateId = m_request.replacesCertificateId;
    r.account = {m_request.directoryUrl, m_key.toPem(), m_kid, m_request.email};
    emit progress(QStringLiteral("certificate installed (expires %1)").arg(info.notAfter.toString(Qt::ISODate)));
    finishAfterCleanup(r);
}

void AcmeOrder::finishAfterCleanup(AcmeResult r)
{
    delete std::exchange(m_updater, nullptr); // an add still running is dropped; the delete below covers it
    const QList<dns::update::TxtRr> records = std::exchange(m_published, {});
    if (records.isEmpty()) {
        emit finished(r);
        return;
    }
    emit progress(QStringLiteral("removing the _acme-challenge TXT records by DNS UPDATE"));
    // Not a child: the delete completes even if the order is destroyed after a cancel().
    auto *cleaner = new dns::DnsUpdateClient(m_dnsUpdate);
    QPointer<AcmeOrder> self(this);
    cleaner->apply(dns::update::UpdateAction::Delete, records,
                   [self, cleaner, r](bool ok, const QString &error, const QList<dns::update::TxtRr> &) mutable {
                       cleaner->deleteLater();
                       if (!self)
                           return;
                       if (!ok) {
                           r.dnsCleanupError = error;
                           emit self->progress(QStringLiteral("the TXT records were not removed: %1").arg(error));
                       }
                       emit self->finished(r);
                   });
}

bool AcmeOrder::checkReply(const QString &step, const HttpReply &reply, const QJsonObject &body)
{
    if (m_done)
        return false;
    if (reply.status == 0) {
        fail(step, reply.networkError.isEmpty() ? QStringLiteral("no answer from the server") : reply.networkError);
        return false;
    }
    if (reply.status >= 400) {
        const QString detail = body.value(QLatin1String("detail")).toString();
        const QString type = shortType(body.value(QLatin1String("type")).toString());
        fail(step, QStringLiteral("%1 (HTTP %2%3)")
                       .arg(detail.isEmpty() ? QStringLiteral("the server refused") : detail)
                       .arg(reply.status)
                       .arg(type.isEmpty() ? QString() : QStringLiteral(", ") + type));
        return false;
    }
    return true;
}

int AcmeOrder::retryAfterMs(const HttpReply &reply) const
{
    const QByteArray value = reply.header("retry-after").trimmed();
    if (value.isEmpty())
        return m_pollMs;
    bool isNumber = false;
    const int seconds = value.toInt(&isNumber);
    qint64 ms = isNumber ? qint64(seconds) * 1000 : -1;
    if (!isNumber) { // HTTP-date (RFC 9110 10.2.3)
        const QDateTime at = QDateTime::fromString(QString::fromLatin1(value), Qt::RFC2822Date);
        ms = at.isValid() ? QDateTime::currentDateTimeUtc().msecsTo(at) : m_pollMs;
    }
    return int(qBound(qint64(qMin(m_pollMs, 1000)), ms, qint64(kMaxRetryAfterMs)));
}

void AcmeOrder::withNonce(std::function<void()> next)
{
    if (!m_nonce.isEmpty()) {
        next();
        return;
    }
    const QString url = m_directory.value(QLatin1String("newNonce")).toString();
    m_transport->request("HEAD", url, {}, [this, next = std::move(next)](const HttpReply &r) {
        if (!checkReply(QStringLiteral("nonce"), r, {}))
            return;
        m_nonce = r.header("replay-nonce");
        if (m_nonce.isEmpty()) {
            fail(QStringLiteral("nonce"), QStringLiteral("the server sent no Replay-Nonce"));
            return;
        }
        next();
    });
}

void AcmeOrder::post(const QString &url, const QByteArray &payload, JsonCallback cb, int attempt)
{
    withNonce([this, url, payload, cb = std::move(cb), attempt]() mutable {
        const QByteArray nonce = std::exchange(m_nonce, QByteArray());
        const QByteArray jws = m_key.sign(payload, url, nonce, m_kid);
        if (jws.isEmpty()) {
            fail(QStringLiteral("signing"), QStringLiteral("the account key could not sign"));
            return;
        }
        m_transport->request("POST", url, jws, [this, url, payload, cb = std::move(cb), attempt](const HttpReply &r) {
            if (m_done)
                return;
            m_nonce = r.header("replay-nonce");
            const QJsonObject body = QJsonDocument::fromJson(r.body).object();
            // RFC 8555 6.5: a badNonce error carries a fresh nonce; retry with it.
            if (r.status == 400 && body.value(QLatin1String("type")).toString()
                                       == QLatin1String("urn:ietf:params:acme:error:badNonce")
                && attempt < kMaxNonceRetries) {
                post(url, payload, cb, attempt + 1);
                return;
            }
            cb(r, body);
        });
    });
}

void AcmeOrder::fetchDirectory()
{
    emit progress(QStringLiteral("contacting %1").arg(m_request.directoryUrl));
    m_transport->request("GET", m_request.directoryUrl, {}, [this](const HttpReply &r) {
        const QJsonObject dir = QJsonDocument::fromJson(r.body).object();
        if (!checkReply(QStringLiteral("directory"), r, dir))
            return;
        for (const char *key : {"newNonce", "newAccount", "newOrder"}) {
            if (!dir.value(QLatin1String(key)).isString()) {
                fail(QStringLiteral("directory"), QStringLiteral("%1 is not an ACME directory (no %2)")
                                                      .arg(m_request.directoryUrl, QLatin1String(key)));
                return;
            }
        }
        m_directory = dir;
        ensureAccount();
    });
}

void AcmeOrder::ensureAccount()
{
    if (!m_kid.isEmpty()) {
        newOrder();
        return;
    }
    emit progress(QStringLiteral("registering the account"));
    QJsonObject payload{{QStringLiteral("termsOfServiceAgreed"), m_request.termsAgreed}};
    if (!m_request.email.trimmed().isEmpty())
        payload.insert(QStringLiteral("contact"), QJsonArray{QStringLiteral("mailto:") + m_request.email.trimmed()});
    post(m_directory.value(QLatin1String("newAccount")).toString(), QJsonDocument(payload).toJson(QJsonDocument::Compact),
         [this](const HttpReply &r, const QJsonObject &body) {
             if (!checkReply(QStringLiteral("account registration"), r, body))
                 return;
             m_kid = QString::fromUtf8(r.header("location"));
             if (m_kid.isEmpty()) {
                 fail(QStringLiteral("account registration"), QStringLiteral("the server sent no account URL"));
                 return;
             }
             newOrder();
         });
}

void AcmeOrder::newOrder()
{
    emit progress(QStringLiteral("ordering a certificate for %1").arg(m_request.names.join(QStringLiteral(", "))));
    QJsonArray ids;
    for (const QString &n : std::as_const(m_request.names))
        ids.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("dns")}, {QStringLiteral("value"), n}});
    const QJsonObject payload{{QStringLiteral("identifiers"), ids}};
    post(m_directory.value(QLatin1String("newOrder")).toString(), QJsonDocument(payload).toJson(QJsonDocument::Compact),
         [this](const HttpReply &r, const QJsonObject &body) {
             if (!checkReply(QStringLiteral("new order"), r, body))
                 return;
             m_orderUrl = QString::fromUtf8(r.header("location"));
             m_finalizeUrl = body.value(QLatin1String("finalize")).toString();
             m_authz.clear();
             for (const QJsonValue &v : body.value(QLatin1String("authorizations")).toArray())
                 {
                 Authz a;
                 a.url = v.toString();
                 m_authz.append(a);
             }
             if (m_orderUrl.isEmpty() || m_finalizeUrl.isEmpty() || m_authz.isEmpty()) {
                 fail(QStringLiteral("new order"), QStringLiteral("the order has no URL, finalize URL or authorizations"));
                 return;
             }
             fetchAuthorization(0);
         });
}

void AcmeOrder::fetchAuthorization(int index)
{
    if (index >= m_authz.size()) {
        prepareChallenges();
        return;
    }
    post(m_authz[index].url, {}, [this, index](const HttpReply &r, const QJsonObject &body) {
        if (!checkReply(QStringLiteral("authorization"), r, body))
            return;
        Authz &a = m_authz[index];
        a.status = body.value(QLatin1String("status")).toString();
        a.identifier = body.value(QLatin1String("identifier")).toObject().value(QLatin1String("value")).toString();
        if (a.status == QLatin1String("pending")) {
            const QString wanted = challengeTypeName(m_request.challenge);
            for (const QJsonValue &v : body.value(QLatin1String("challenges")).toArray()) {
                const QJsonObject c = v.toObject();
                if (c.value(QLatin1String("type")).toString() == wanted) {
                    a.challengeUrl = c.value(QLatin1String("url")).toString();
                    a.token = c.value(QLatin1String("token")).toString().toLatin1();
                }
            }
            if (a.challengeUrl.isEmpty() || a.token.isEmpty()) {
                fail(QStringLiteral("authorization"),
                     QStringLiteral("the server offers no %1 challenge for %2").arg(wanted, a.identifier));
                return;
            }
            a.keyAuthorization = keyAuthorization(a.token, m_key.thumbprint());
        } else if (a.status != QLatin1String("valid")) {
            fail(QStringLiteral("authorization"), QStringLiteral("%1 is %2").arg(a.identifier, a.status));
            return;
        }
        fetchAuthorization(index + 1);
    });
}

void AcmeOrder::prepareChallenges()
{
    if (m_request.challenge == ChallengeType::Http01) {
        bool any = false;
        for (const Authz &a : std::as_const(m_authz)) {
            if (a.status != QLatin1String("pending"))
                continue;
            if (!m_responder)
                m_responder = new Http01Responder(this);
            m_responder->addToken(a.token, a.keyAuthorization);
            any = true;
        }
        QString error;
        if (any && !m_responder->start(m_httpAddress, m_httpPort, &error)) {
            fail(QStringLiteral("http-01"), error);
            return;
        }
        if (any)
            emit progress(QStringLiteral("answering http-01 on port %1").arg(m_responder->port()));
        respondChallenges();
        return;
    }
    QList<DnsChallengeRecord> records;
    for (const Authz &a : std::as_const(m_authz)) {
        if (a.status == QLatin1String("pending"))
            records.append({QStringLiteral("_acme-challenge.") + a.identifier,
                            QString::fromLatin1(dns01TxtValue(a.keyAuthorization))});
    }
    if (records.isEmpty()) {
        respondChallenges();
        return;
    }
    if (m_dnsUpdate.isEnabled()) {
        publishByUpdate(records);
        return;
    }
    m_dnsWaiting = true;
    for (const DnsChallengeRecord &rec : std::as_const(records))
        emit progress(QStringLiteral("publish %1 TXT %2").arg(rec.name, rec.value));
    emit dnsRecordsNeeded(records);
    if (m_dnsConfirmed)
        confirmDnsPublished();
    else if (m_resolver)
        checkDnsVisible();
}

void AcmeOrder::publishByUpdate(const QList<DnsChallengeRecord> &records)
{
    for (const DnsChallengeRecord &rec : records)
        m_published.append({rec.name, rec.value.toLatin1()});
    emit progress(QStringLiteral("publishing %1 TXT record(s) by DNS UPDATE at %2")
                      .arg(records.size())
                      .arg(m_dnsUpdate.serverText()));
    m_updater = new dns::DnsUpdateClient(m_dnsUpdate, this);
    m_updater->apply(dns::update::UpdateAction::Add, m_published,
                     [this](bool ok, const QString &error, const QList<dns::update::TxtRr> &applied) {
        m_updater->deleteLater();
        m_updater = nullptr;
        if (m_done)
            return;
        if (!ok) {
            m_published = applied; // only those need deleting (an UPDATE is all or nothing per zone)
            fail(QStringLiteral("dns-01"), error);
            return;
        }
        m_dnsWaiting = true;
        if (m_resolver) {
            emit progress(QStringLiteral("the DNS server took the update; waiting until the records are visible"));
            checkDnsVisible();
        } else {
            confirmDnsPublished();
        }
    });
}

void AcmeOrder::confirmDnsPublished()
{
    m_dnsConfirmed = true;
    if (!m_dnsWaiting || m_done)
        return;
    m_dnsWaiting = false;
    m_dnsTimer.stop();
    respondChallenges();
}

void AcmeOrder::checkDnsVisible()
{
    if (!m_dnsWaiting || m_done || !m_resolver)
        return;
    auto remaining = std::make_shared<int>(0);
    for (int i = 0; i < m_authz.size(); ++i) {
        if (m_authz[i].status != QLatin1String("pending") || m_authz[i].dnsVisible)
            continue;
        ++*remaining;
        const QString name = QStringLiteral("_acme-challenge.") + m_authz[i].identifier;
        const QByteArray value = dns01TxtValue(m_authz[i].keyAuthorization);
        m_resolver->lookupTxt(name, this, [this, i, value, remaining](const dns::Answer &answer) {
            for (const dns::TxtRecord &t : answer.txt) {
                if (t.text() == value)
                    m_authz[i].dnsVisible = true;
            }
            if (--*remaining > 0 || !m_dnsWaiting)
                return;
            const bool all = std::all_of(m_authz.cbegin(), m_authz.cend(), [](const Authz &a) {
                return a.status != QLatin1String("pending") || a.dnsVisible;
            });
            if (all) {
                emit progress(QStringLiteral("the TXT records are visible in DNS"));
                m_dnsWaiting = false;
                respondChallenges();
            } else {
                m_dnsTimer.start(m_dnsPollMs);
            }
        });
    }
}

void AcmeOrder::respondChallenges()
{
    auto remaining = std::make_shared<int>(0);
    for (int i = 0; i < m_authz.size(); ++i) {
        if (m_authz[i].status == QLatin1String("pending"))
            ++*remaining;
    }
    if (*remaining == 0) {
        finalize();
        return;
    }
    for (int i = 0; i < m_authz.size(); ++i) {
        if (m_authz[i].status != QLatin1String("pending"))
            continue;
        post(m_authz[i].challengeUrl, "{}", [this, i, remaining](const HttpReply &r, const QJsonObject &body) {
            if (!checkReply(QStringLiteral("challenge"), r, body))
                return;
            emit progress(QStringLiteral("the CA is validating %1").arg(m_authz[i].identifier));
            if (--*remaining == 0)
                pollAuthorization(0);
        });
    }
}

void AcmeOrder::pollAuthorization(int index)
{
    while (index < m_authz.size() && m_authz[index].status == QLatin1String("valid"))
        ++index;
    if (index >= m_authz.size()) {
        finalize();
        return;
    }
    post(m_authz[index].url, {}, [this, index](const HttpReply &r, const QJsonObject &body) {
        if (!checkReply(QStringLiteral("authorization"), r, body))
            return;
        Authz &a = m_authz[index];
        a.status = body.value(QLatin1String("status")).toString();
        if (a.status == QLatin1String("valid")) {
            emit progress(QStringLiteral("%1 is validated").arg(a.identifier));
            pollAuthorization(index + 1);
        } else if (a.status == QLatin1String("pending") || a.status == QLatin1String("processing")) {
            QTimer::singleShot(retryAfterMs(r), this, [this, index] { if (!m_done) pollAuthorization(index); });
        } else {
            QString detail;
            for (const QJsonValue &v : body.value(QLatin1String("challenges")).toArray()) {
                const QJsonObject err = v.toObject().value(QLatin1String("error")).toObject();
                if (!err.isEmpty())
                    detail = err.value(QLatin1String("detail")).toString();
            }
            fail(challengeTypeName(m_request.challenge),
                 QStringLiteral("%1 is %2%3").arg(a.identifier, a.status,
                                                  detail.isEmpty() ? QString() : QStringLiteral(": ") + detail));
        }
    });
}

void AcmeOrder::finalize()
{
    if (m_responder)
        m_responder->stop();
    emit progress(QStringLiteral("finalizing with a new key"));
    const QString name = QStringLiteral("ACME %1").arg(m_request.names.first());
    const tls::CsrResult csr = m_store->createCsr(m_request.names.first(), m_request.names, tls::KeyType::EcdsaP256, name);
    if (!csr.ok) {
        fail(QStringLiteral("finalize"), csr.error);
        return;
    }
    m_pendingId = csr.id;
    const QJsonObject payload{{QStringLiteral("csr"), QString::fromLatin1(base64Url(pemToDer(csr.csrPem)))}};
    post(m_finalizeUrl, QJsonDocument(payload).toJson(QJsonDocument::Compact),
         [this](const HttpReply &r, const QJsonObject &body) {
             if (!checkReply(QStringLiteral("finalize"), r, body))
                 return;
             const QString status = body.value(QLatin1String("status")).toString();
             if (status == QLatin1String("valid"))
                 downloadCertificate(body.value(QLatin1String("certificate")).toString());
             else
                 QTimer::singleShot(retryAfterMs(r), this, [this] { if (!m_done) pollOrder(); });
         });
}

void AcmeOrder::pollOrder()
{
    post(m_orderUrl, {}, [this](const HttpReply &r, const QJsonObject &body) {
        if (!checkReply(QStringLiteral("order"), r, body))
            return;
        const QString status = body.value(QLatin1String("status")).toString();
        if (status == QLatin1String("valid"))
            downloadCertificate(body.value(QLatin1String("certificate")).toString());
        else if (status == QLatin1String("processing") || status == QLatin1String("ready"))
            QTimer::singleShot(retryAfterMs(r), this, [this] { if (!m_done) pollOrder(); });
        else
            fail(QStringLiteral("order"), QStringLiteral("the order is %1").arg(status));
    });
}

void AcmeOrder::downloadCertificate(const QString &url)
{
    if (url.isEmpty()) {
        fail(QStringLiteral("download"), QStringLiteral("the order has no certificate URL"));
        return;
    }
    post(url, {}, [this](const HttpReply &r, const QJsonObject &body) {
        if (!checkReply(QStringLiteral("download"), r, body))
            return;
        const tls::ImportResult imported = m_store->importSignedCertificate(m_pendingId, r.body);
        if (!imported.ok) {
            fail(QStringLiteral("install"), imported.error);
            return;
        }
        m_pendingId.clear();
        succeed(imported.id, imported.info);
    });
}

} // namespace rd::acme

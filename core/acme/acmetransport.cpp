#include "acme/acmetransport.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslConfiguration>

namespace rd::acme {

NetworkTransport::NetworkTransport(QObject *parent) : Transport(parent), m_nam(new QNetworkAccessManager(this)) {}

void NetworkTransport::request(const QByteArray &method, const QString &url, const QByteArray &body, Callback cb)
{
    QNetworkRequest req{QUrl(url)};
    req.setTransferTimeout(m_timeoutMs);
    req.setHeader(QNetworkRequest::UserAgentHeader, QByteArray("RelayDesk-ACME/" RELAYDESK_VERSION));
    req.setRawHeader("Accept-Language", "en");
    if (method == "POST")
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/jose+json"));
    if (!m_extraCas.isEmpty()) {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        QList<QSslCertificate> cas = ssl.caCertificates();
        cas += m_extraCas;
        ssl.setCaCertificates(cas);
        req.setSslConfiguration(ssl);
    }
    QNetworkReply *reply = method == "POST" ? m_nam->post(req, body)
                           : method == "HEAD" ? m_nam->head(req)
                                              : m_nam->get(req);
    connect(reply, &QNetworkReply::finished, this, [reply, cb = std::move(cb)] {
        reply->deleteLater();
        HttpReply r;
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        for (const auto &pair : reply->rawHeaderPairs())
            r.headers.insert(pair.first.toLower(), pair.second);
        r.body = reply->readAll();
        if (r.status == 0)
            r.networkError = reply->errorString();
        cb(r);
    });
}

} // namespace rd::acme

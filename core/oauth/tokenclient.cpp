#include "oauth/tokenclient.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>
#include <QUrl>

namespace rd::oauth {

void postTokenRequest(QNetworkAccessManager *nam, const TokenRequest &request, int timeoutMs, QObject *context,
                      std::function<void(const TokenResponse &)> done)
{
    QPointer<QObject> guard(context);
    if (!request.error.isEmpty()) {
        TokenResponse r;
        r.errorDescription = request.error;
        QTimer::singleShot(0, context, [done, r] { done(r); });
        return;
    }
    QNetworkRequest req{QUrl(request.endpoint)};
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/x-www-form-urlencoded"));
    req.setRawHeader("Accept", "application/json");
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    req.setTransferTimeout(timeoutMs);
    QNetworkReply *reply = nam->post(req, request.body);
    QObject::connect(reply, &QNetworkReply::finished, context, [reply, done, guard] {
        reply->deleteLater();
        if (!guard)
            return;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->readAll();
        QString transport;
        if (status == 0) {
            transport = reply->error() == QNetworkReply::OperationCanceledError
                ? QStringLiteral("no answer in time")
                : reply->errorString();
        }
        done(parseTokenResponse(status, body, transport));
    });
}

} // namespace rd::oauth

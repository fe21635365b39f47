#include "oauth/loopbackredirect.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrlQuery>

namespace rd::oauth {

namespace {

constexpr qsizetype kMaxHead = 16 * 1024;
const QString kPath = QStringLiteral("/callback");

QByteArray page(int status, const char *reason, const QString &text)
{
    const QByteArray body = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>RelayDesk</title></head>"
                            "<body><p>" +
        text.toHtmlEscaped().toUtf8() + "</p></body></html>";
    return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason +
        "\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n"
        "Content-Length: " +
        QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

QString printableRequestText(const QString &s)
{
    QString out;
    for (QChar c : s.left(300))
        out += c.isPrint() ? c : QLatin1Char('?');
    return out;
}

} // namespace

RedirectResult parseRedirectRequest(QByteArrayView head, const QString &expectedPath, const QByteArray &expectedState)
{
    RedirectResult r;
    const qsizetype end = head.indexOf("\r\n\r\n");
    if (end < 0) {
        if (head.size() > kMaxHead) {
            r.kind = RedirectResult::Kind::Bad;
            r.error = QStringLiteral("request head too long");
        }
        return r;
    }
    const qsizetype lineEnd = head.indexOf("\r\n");
    const QList<QByteArray> parts = head.first(lineEnd).toByteArray().split(' ');
    if (parts.size() != 3 || parts[0] != "GET" || !parts[2].startsWith("HTTP/1.") || !parts[1].startsWith('/')) {
        r.kind = RedirectResult::Kind::Bad;
        r.error = QStringLiteral("not an HTTP GET request");
        return r;
    }
    const QUrl url(QString::fromLatin1(parts[1]), QUrl::StrictMode);
    if (!url.isValid()) {
        r.kind = RedirectResult::Kind::Bad;
        r.error = QStringLiteral("malformed request target");
        return r;
    }
    if (url.path() != expectedPath) {
        r.kind = RedirectResult::Kind::NotFound;
        return r;
    }
    const QUrlQuery q(url);
    auto value = [&q](const char *key) {
        return q.queryItemValue(QLatin1String(key), QUrl::FullyDecoded);
    };
    // Compare the state before looking at anything else: an unsolicited redirect gets nothing.
    const QByteArray state = value("state").toUtf8();
    if (state.isEmpty() || expectedState.isEmpty() || state != expectedState) {
        r.kind = RedirectResult::Kind::Refused;
        r.error = state.isEmpty() ? QStringLiteral("redirect without state") : QStringLiteral("state mismatch");
        return r;
    }
    if (q.hasQueryItem(QStringLiteral("error"))) {
        r.kind = RedirectResult::Kind::Error;
        const QString desc = value("error_description");
        r.error = printableRequestText(desc.isEmpty() ? value("error") : value("error") + QStringLiteral(": ") + desc);
        return r;
    }
    r.code = value("code").toUtf8();
    if (r.code.isEmpty()) {
        r.kind = RedirectResult::Kind::Refused;
        r.error = QStringLiteral("redirect without code");
        return r;
    }
    r.kind = RedirectResult::Kind::Code;
    return r;
}

LoopbackRedirect::LoopbackRedirect(QByteArray expectedState, QObject *parent)
    : QObject(parent), m_state(std::move(expectedState)), m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &LoopbackRedirect::onNewConnection);
}

LoopbackRedirect::~LoopbackRedirect() = default;

bool LoopbackRedirect::listen()
{
    if (!m_server->listen(QHostAddress(QHostAddress::LocalHost), 0)) {
        m_error = m_server->errorString();
        return false;
    }
    return true;
}

QUrl LoopbackRedirect::redirectUri() const
{
    QUrl u;
    u.setScheme(QStringLiteral("http"));
    u.setHost(QStringLiteral("127.0.0.1"));
    u.setPort(m_server->serverPort());
    u.setPath(kPath);
    return u;
}

void LoopbackRedirect::close()
{
    m_done = true;
    m_server->close();
}

void LoopbackRedirect::onNewConnection()
{
    while (QTcpSocket *s = m_server->nextPendingConnection()) {
        s->setParent(this);
        connect(s, &QTcpSocket::readyRead, this, [this, s] { onReadyRead(s); });
        connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
        QTimer::singleShot(30000, s, [s] { s->abort(); }); // a browser that never finishes its request
    }
}

void LoopbackRedirect::onReadyRead(QTcpSocket *s)
{
    QByteArray buf = s->property("rdHead").toByteArray() + s->readAll();
    s->setProperty("rdHead", buf);
    if (m_done) {
        s->write(page(410, "Gone", QStringLiteral("This sign-in has already finished.")));
        s->disconnectFromHost();
        return;
    }
    const RedirectResult r = parseRedirectRequest(buf, kPath, m_state);
    switch (r.kind) {
    case RedirectResult::Kind::Incomplete:
        return;
    case RedirectResult::Kind::NotFound:
        s->write(page(404, "Not Found", QStringLiteral("Not found.")));
        break;
    case RedirectResult::Kind::Bad:
    case RedirectResult::Kind::Refused:
        s->write(page(400, "Bad Request", QStringLiteral("RelayDesk refused this sign-in answer: %1.").arg(r.error)));
        emit refused(r.error);
        break;
    case RedirectResult::Kind::Error:
        s->write(page(200, "OK", QStringLiteral("Sign-in failed: %1. You can close this window.").arg(r.error)));
        close();
        emit finished(false, {}, r.error);
        break;
    case RedirectResult::Kind::Code:
        s->write(page(200, "OK", QStringLiteral("Signed in. You can close this window and return to RelayDesk.")));
        close();
        emit finished(true, r.code, {});
        break;
    }
    s->disconnectFromHost();
}

} // namespace rd::oauth

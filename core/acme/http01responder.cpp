#include "acme/http01responder.h"

#include <QRegularExpression>
#include <QTcpSocket>
#include <QTimer>

namespace rd::acme {
namespace {
constexpr qsizetype kMaxRequest = 8192;
}

Http01Request parseHttp01Request(const QByteArray &received)
{
    Http01Request r;
    const qsizetype end = received.indexOf("\r\n\r\n");
    if (end < 0 && received.size() < kMaxRequest)
        return r;
    r.complete = true;
    const QByteArray line = received.left(received.indexOf("\r\n"));
    const QList<QByteArray> parts = line.split(' ');
    static const QByteArray prefix("/.well-known/acme-challenge/");
    if (parts.size() != 3 || (parts[0] != "GET" && parts[0] != "HEAD") || !parts[2].startsWith("HTTP/1.")
        || !parts[1].startsWith(prefix))
        return r;
    const QByteArray token = parts[1].mid(prefix.size());
    static const QRegularExpression b64url(QStringLiteral("^[A-Za-z0-9_-]{1,256}$"));
    if (!b64url.match(QString::fromLatin1(token)).hasMatch())
        return r;
    r.valid = true;
    r.token = token;
    return r;
}

Http01Responder::Http01Responder(QObject *parent) : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &Http01Responder::onConnection);
}

Http01Responder::~Http01Responder() = default;

bool Http01Responder::start(const QHostAddress &address, quint16 port, QString *error)
{
    if (m_server.isListening())
        return true;
    if (!m_server.listen(address, port)) {
        if (error)
            *error = QStringLiteral("cannot listen on %1 port %2 for http-01: %3")
                         .arg(address.toString()).arg(port).arg(m_server.errorString());
        return false;
    }
    return true;
}

void Http01Responder::stop()
{
    m_server.close();
}

void Http01Responder::onConnection()
{
    while (QTcpSocket *s = m_server.nextPendingConnection()) {
        connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
        QTimer::singleShot(10000, s, [s] { s->abort(); s->deleteLater(); });
        connect(s, &QTcpSocket::readyRead, this, [this, s] {
            QByteArray buf = s->property("rd_buf").toByteArray() + s->readAll();
            s->setProperty("rd_buf", buf);
            const Http01Request req = parseHttp01Request(buf);
            if (!req.complete)
                return;
            disconnect(s, &QTcpSocket::readyRead, this, nullptr);
            const auto it = req.valid ? m_tokens.constFind(req.token) : m_tokens.constEnd();
            const bool head = buf.startsWith("HEAD ");
            QByteArray response;
            if (it != m_tokens.constEnd()) {
                response = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                           + QByteArray::number(it->size()) + "\r\nConnection: close\r\n\r\n";
                if (!head)
                    response += *it;
                emit served(s->peerAddress().toString(), req.token);
            } else {
                response = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            }
            s->write(response);
            s->disconnectFromHost();
        });
    }
}

} // namespace rd::acme

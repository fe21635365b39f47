#include "net/plainsocket.h"

#include <QSocketNotifier>

#ifdef Q_OS_WIN
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace rd::net {

namespace {

// The few system calls Qt offers no unbuffered equivalent for, per platform.
#ifdef Q_OS_WIN
using SockLen = int;
bool wouldBlock() { return WSAGetLastError() == WSAEWOULDBLOCK; }
bool interrupted() { return false; }
void closeDescriptor(qintptr fd) { ::closesocket(SOCKET(fd)); }
void setNonBlocking(qintptr fd)
{
    u_long on = 1;
    ::ioctlsocket(SOCKET(fd), FIONBIO, &on);
}
qint64 recvSome(qintptr fd, char *buf, qint64 len) { return ::recv(SOCKET(fd), buf, int(len), 0); }
qint64 peekSome(qintptr fd, char *buf, qint64 len) { return ::recv(SOCKET(fd), buf, int(len), MSG_PEEK); }
qint64 sendSome(qintptr fd, const char *buf, qint64 len) { return ::send(SOCKET(fd), buf, int(len), 0); }
#else
using SockLen = socklen_t;
bool wouldBlock() { return errno == EAGAIN || errno == EWOULDBLOCK; }
bool interrupted() { return errno == EINTR; }
void closeDescriptor(qintptr fd) { ::close(int(fd)); }
void setNonBlocking(qintptr fd)
{
    const int flags = ::fcntl(int(fd), F_GETFL);
    if (flags != -1 && !(flags & O_NONBLOCK))
        ::fcntl(int(fd), F_SETFL, flags | O_NONBLOCK);
}
qint64 recvSome(qintptr fd, char *buf, qint64 len) { return ::recv(int(fd), buf, size_t(len), 0); }
qint64 peekSome(qintptr fd, char *buf, qint64 len) { return ::recv(int(fd), buf, size_t(len), MSG_PEEK); }
qint64 sendSome(qintptr fd, const char *buf, qint64 len)
{
#ifdef MSG_NOSIGNAL
    return ::send(int(fd), buf, size_t(len), MSG_NOSIGNAL); // a closed peer is an error, not SIGPIPE
#else
    return ::send(int(fd), buf, size_t(len), 0); // Qt's network code ignores SIGPIPE on these systems
#endif
}
#endif

constexpr qint64 kReadChunk = 64 * 1024;

} // namespace

PlainSocket::PlainSocket(qintptr descriptor, QObject *parent) : QObject(parent), m_fd(descriptor)
{
    setNonBlocking(m_fd);
    sockaddr_storage ss{};
    SockLen len = sizeof(ss);
    if (::getpeername(m_fd, reinterpret_cast<sockaddr *>(&ss), &len) == 0) {
        m_peer = QHostAddress(reinterpret_cast<const sockaddr *>(&ss));
        if (ss.ss_family == AF_INET)
            m_peerPort = ntohs(reinterpret_cast<const sockaddr_in *>(&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            m_peerPort = ntohs(reinterpret_cast<const sockaddr_in6 *>(&ss)->sin6_port);
    }
    m_readNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &PlainSocket::onReadable);
}

PlainSocket::~PlainSocket()
{
    if (m_fd != -1)
        closeDescriptor(m_fd);
}

void PlainSocket::setNoDelay(bool on)
{
    if (m_fd == -1)
        return;
    int v = on ? 1 : 0;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char *>(&v), sizeof(v));
}

void PlainSocket::readProxyHeader(int timeoutMs,
                                  std::function<void(bool, const ProxyHeader &, const QString &)> done)
{
    m_header = std::make_unique<HeaderRead>();
    m_header->done = std::move(done);
    m_header->timer = new QTimer(this);
    m_header->timer->setSingleShot(true);
    connect(m_header->timer, &QTimer::timeout, this,
            [this] { finishHeader(false, QStringLiteral("no complete PROXY header within the time allowed")); });
    m_header->timer->start(timeoutMs);
}

void PlainSocket::finishHeader(bool ok, const QString &error)
{
    if (!m_header)
        return;
    std::unique_ptr<HeaderRead> h = std::move(m_header);
    h->timer->deleteLater();
    const ProxyHeader header = h->parser.header();
    h->done(ok, header, error);
    // Anything after the header that is already waiting is read the normal way.
    if (ok && m_fd != -1 && m_readNotifier && m_readNotifier->isEnabled())
        QMetaObject::invokeMethod(this, &PlainSocket::onReadable, Qt::QueuedConnection);
}

void PlainSocket::onReadableHeader()
{
    // The longest header is 16 + 512 octets (v2); 107 for v1.
    char buf[16 + ProxyProtocolParser::MaxV2Payload];
    qint64 n = 0;
    do {
        n = peekSome(m_fd, buf, qint64(sizeof(buf)) - m_header->taken.size());
    } while (n < 0 && interrupted());
    if (n < 0 && wouldBlock())
        return;
    if (n <= 0) {
        finishHeader(false, QStringLiteral("the connection closed before the PROXY header was complete"));
        return;
    }
    // A fresh parse of everything so far: header octets never go past the header.
    ProxyProtocolParser parser;
    parser.feed(m_header->taken);
    const ProxyProtocolParser::Status st = parser.feed(QByteArrayView(buf, n));
    if (st == ProxyProtocolParser::Status::Invalid) {
        finishHeader(false, parser.error());
        return;
    }
    // Take from the kernel exactly the octets that belong to the header.
    const qint64 take = st == ProxyProtocolParser::Status::Done ? parser.consumed() - m_header->taken.size() : n;
    qint64 got = 0;
    while (got < take) {
        const qint64 r = recvSome(m_fd, buf + got, take - got);
        if (r > 0)
            got += r;
        else if (!(r < 0 && interrupted()))
            break;
    }
    if (got != take) {
        finishHeader(false, QStringLiteral("reading the PROXY header failed"));
        return;
    }
    m_header->taken.append(buf, take);
    m_header->parser = parser;
    if (st == ProxyProtocolParser::Status::Done)
        finishHeader(true, {});
}

void PlainSocket::onReadable()
{
    if (m_fd == -1)
        return;
    if (m_header) {
        onReadableHeader();
        return;
    }
    bool eof = false;
    // One buffer per thread for the system call; only what arrived is kept.
    thread_local QByteArray chunk(kReadChunk, Qt::Uninitialized);
    while (m_in.size() < kMaxPending) {
        const qint64 n = recvSome(m_fd, chunk.data(), kReadChunk);
        if (n > 0) {
            m_in.append(chunk.constData(), n);
            if (n < kReadChunk)
                break; // the kernel had no more (saves one EAGAIN round)
            continue;
        }
        if (n < 0 && interrupted())
            continue;
        if (n < 0 && wouldBlock())
            break;
        eof = true; // 0: the peer closed; < 0: reset or another error
        break;
    }
    if (m_in.size() >= kMaxPending && m_readNotifier)
        m_readNotifier->setEnabled(false); // back-pressure until readAll()
    if (eof) {
        if (m_readNotifier)
            m_readNotifier->setEnabled(false);
        scheduleDisconnected();
    }
    if (!m_in.isEmpty())
        emit readyRead();
}

QByteArray PlainSocket::readAll()
{
    QByteArray out;
    out.swap(m_in);
    if (m_fd != -1 && m_readNotifier && !m_disconnectScheduled && !m_readNotifier->isEnabled())
        m_readNotifier->setEnabled(true);
    return out;
}

void PlainSocket::write(const QByteArray &data)
{
    if (m_fd == -1 || data.isEmpty())
        return;
    if (!m_out.isEmpty()) { // keep the order: behind what waits already
        m_out.append(data);
        return;
    }
    qint64 done = 0;
    while (done < data.size()) {
        const qint64 n = sendSome(m_fd, data.constData() + done, data.size() - done);
        if (n > 0) {
            done += n;
            continue;
        }
        if (n < 0 && interrupted())
            continue;
        if (n < 0 && wouldBlock()) {
            m_out = data.mid(done);
            setWriteNotifier(true);
            return;
        }
        // The peer is gone: what follows is dropped and the session ends.
        closeNow();
        scheduleDisconnected();
        return;
    }
}

bool PlainSocket::flush()
{
    if (m_fd != -1 && !m_out.isEmpty())
        onWritable();
    return m_out.isEmpty();
}

void PlainSocket::onWritable()
{
    while (m_fd != -1 && !m_out.isEmpty()) {
        const qint64 n = sendSome(m_fd, m_out.constData(), m_out.size());
        if (n > 0) {
            m_out.remove(0, n);
            continue;
        }
        if (n < 0 && interrupted())
            continue;
        if (n < 0 && wouldBlock())
            return; // the notifier stays on
        closeNow();
        scheduleDisconnected();
        return;
    }
    m_out = QByteArray(); // release the memory, not just the contents
    setWriteNotifier(false);
    if (m_closeWhenSent && m_fd != -1) {
        discardUnreadInput();
        closeNow();
        scheduleDisconnected();
    }
}

void PlainSocket::discardUnreadInput()
{
    // Closing a TCP socket with unread input makes the kernel send a reset,
    // and a reset can destroy our last reply (a 221, or the 554 for a client
    // that talked before the greeting) before the client read it. Whatever
    // arrived is of no use now: read it away first.
    char sink[4096];
    for (int i = 0; i < 64; ++i) {
        const qint64 n = recvSome(m_fd, sink, sizeof(sink));
        if (n > 0)
            continue;
        if (n < 0 && interrupted())
            continue;
        break; // would block, end of stream or an error
    }
}

void PlainSocket::setWriteNotifier(bool on)
{
    if (on) {
        if (!m_writeNotifier) {
            m_writeNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Write, this);
            connect(m_writeNotifier, &QSocketNotifier::activated, this, &PlainSocket::onWritable);
        }
        m_writeNotifier->setEnabled(true);
    } else if (m_writeNotifier) {
        dropNotifier(m_writeNotifier); // rare (a slow reader): not kept for the session's life
    }
}

void PlainSocket::dropNotifier(QSocketNotifier *&n)
{
    // Disabled at once, deleted later: this may run inside its activated().
    if (!n)
        return;
    n->setEnabled(false);
    n->deleteLater();
    n = nullptr;
}

void PlainSocket::disconnectFromHost()
{
    if (m_fd == -1)
        return;
    if (!m_out.isEmpty()) {
        m_closeWhenSent = true;
        return;
    }
    discardUnreadInput();
    closeNow();
    scheduleDisconnected();
}

void PlainSocket::abort()
{
    if (m_fd == -1)
        return;
    closeNow();
    scheduleDisconnected();
}

void PlainSocket::closeNow()
{
    dropNotifier(m_readNotifier); // notifiers go before their descriptor
    dropNotifier(m_writeNotifier);
    if (m_fd != -1)
        closeDescriptor(m_fd);
    m_fd = -1;
    m_out = QByteArray();
}

void PlainSocket::scheduleDisconnected()
{
    if (m_disconnectScheduled)
        return;
    m_disconnectScheduled = true;
    // Queued: the caller may be in the middle of handling this session.
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (!m_released)
                emit disconnected();
        },
        Qt::QueuedConnection);
}

qintptr PlainSocket::release(QByteArray *pendingOutput)
{
    if (m_fd == -1)
        return -1;
    dropNotifier(m_readNotifier);
    dropNotifier(m_writeNotifier);
    if (pendingOutput)
        *pendingOutput = m_out;
    m_out = QByteArray();
    m_in = QByteArray();
    const qintptr fd = m_fd;
    m_fd = -1;
    m_disconnectScheduled = true;
    m_released = true; // this object says nothing more (even if a disconnected() was queued)
    return fd;
}

} // namespace rd::net

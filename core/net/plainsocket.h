#pragma once
// rd::net::PlainSocket: a connected TCP socket in the plaintext phase of an
// inbound SMTP session (before STARTTLS, or for the whole session when TLS
// never starts), with no buffer held while idle.
//
// Why not QTcpSocket/QSslSocket from the first byte: a QAbstractSocket keeps
// the 16 KB read chunk and the 32 KB write chunk of its ring buffers for the
// rest of its life once it has read or written anything, and a server socket
// from QTcpServer is always buffered. 10,000 idle sessions then cost ~20 KB of
// resident memory each. This class reads into a QByteArray that is handed over
// (and so released) by readAll(), and writes straight to the kernel, keeping
// only what the kernel would not take at once. STARTTLS hands the descriptor
// to a QSslSocket (release()), which then does the TLS layer as before.
//
// Reading: the read notifier reads everything the kernel has (up to
// kMaxPending bytes: beyond that the notifier pauses until readAll(), so a
// client that floods a session that is waiting gets TCP back-pressure), then
// emits readyRead(). End of stream or an error emits disconnected() once,
// queued, after any data already read was offered with readyRead().
//
// Thread: the thread that made it (the engine's); not thread-safe.

#include "net/proxyprotocol.h"

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>

class QSocketNotifier;

namespace rd::net {

class PlainSocket : public QObject {
    Q_OBJECT
public:
    // Takes ownership of a connected stream socket descriptor (made non-blocking).
    explicit PlainSocket(qintptr descriptor, QObject *parent = nullptr);
    ~PlainSocket() override; // closes the descriptor unless release()d

    static constexpr qsizetype kMaxPending = 1024 * 1024;

    bool isOpen() const { return m_fd != -1; }
    QHostAddress peerAddress() const { return m_peer; }
    quint16 peerPort() const { return m_peerPort; }

    // Sends what the kernel takes now; keeps the rest and sends it when the
    // socket becomes writable. Ignored after close.
    void write(const QByteArray &data);
    // Bytes read and not yet taken.
    qsizetype bytesAvailable() const { return m_in.size(); }
    // Everything read so far (the buffer is released).
    QByteArray readAll();
    // Tries to send pending output now (never blocks). True if nothing is left.
    bool flush();
    // Closes after pending output is sent (unread input is read away first, so
    // the close is a FIN, not a reset that could destroy the last reply);
    // disconnected() follows (queued).
    void disconnectFromHost();
    // Closes now, dropping pending output; disconnected() follows (queued).
    void abort();
    // Hands the descriptor over (e.g. to QSslSocket::setSocketDescriptor):
    // notifiers go, nothing is closed. `pendingOutput` gets what was not sent
    // yet; unread input is dropped (after STARTTLS nothing may be pipelined,
    // RFC 3207 section 4.2). Returns -1 if the socket is closed.
    qintptr release(QByteArray *pendingOutput);

    void setNoDelay(bool on);

    // PROXY protocol (net/proxyprotocol.h): reads only the header, peeking
    // first and then taking exactly its octets, so whatever follows (SMTP, or
    // a TLS ClientHello for implicit TLS) stays in the kernel for the next
    // reader. readyRead() is not emitted meanwhile. `done(ok, header, error)`
    // runs once: at the end of the header, on a malformed one, on end of
    // stream, or after timeoutMs.
    void readProxyHeader(int timeoutMs, std::function<void(bool, const ProxyHeader &, const QString &)> done);

signals:
    void readyRead();
    void disconnected();

private:
    void onReadable();
    void onReadableHeader();
    void finishHeader(bool ok, const QString &error);
    void onWritable();
    void closeNow();
    void discardUnreadInput();
    void scheduleDisconnected();
    void setWriteNotifier(bool on);
    static void dropNotifier(QSocketNotifier *&n);

    qintptr m_fd;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr; // only while output is pending
    QByteArray m_in;
    QByteArray m_out;
    QHostAddress m_peer;
    quint16 m_peerPort = 0;
    bool m_closeWhenSent = false;
    bool m_disconnectScheduled = false;
    bool m_released = false; // release()d: no signal any more
    // While a PROXY header is being read (readProxyHeader()).
    struct HeaderRead {
        ProxyProtocolParser parser;
        QByteArray taken; // header octets already read from the kernel
        std::function<void(bool, const ProxyHeader &, const QString &)> done;
        QTimer *timer = nullptr;
    };
    std::unique_ptr<HeaderRead> m_header;
};

} // namespace rd::net

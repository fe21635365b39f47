// rd::net::PlainSocket over loopback: a DescriptorServer accepts on 127.0.0.1
// and a free port, the accepted descriptor becomes the PlainSocket, and a
// QTcpSocket is the client. Covers peer address, both directions, large
// writes kept pending, read back-pressure at kMaxPending, end of stream,
// graceful and abortive close, release() to a QSslSocket and a reset peer.

#include "net/listener.h"
#include "net/plainsocket.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTest>
#include <QThread>

#include <csignal>
#include <memory>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

using rd::net::DescriptorServer;
using rd::net::PlainSocket;

namespace {

constexpr int kTimeoutMs = 10000;
constexpr qsizetype kReadChunk = 64 * 1024; // PlainSocket's read size

// `n` bytes of a position- and seed-dependent pattern (a reordering, a loss
// or a duplicate of any block shows as a difference).
QByteArray pattern(qsizetype n, quint32 seed)
{
    QByteArray out(n, Qt::Uninitialized);
    quint32 x = seed * 2654435761u + 1;
    for (qsizetype i = 0; i < n; ++i) {
        x = x * 1664525u + 1013904223u;
        out[i] = char(x >> 24);
    }
    return out;
}

// "" when equal, else where they first differ (for the failure message).
QByteArray difference(const QByteArray &got, const QByteArray &want)
{
    if (got == want)
        return {};
    const qsizetype n = qMin(got.size(), want.size());
    qsizetype i = 0;
    while (i < n && got[i] == want[i])
        ++i;
    return QByteArray("got ") + QByteArray::number(got.size()) + " bytes, want "
        + QByteArray::number(want.size()) + ", first difference at " + QByteArray::number(i);
}

// Reads from `client` until `want` bytes came (or the timeout).
QByteArray readFromClient(QTcpSocket *client, qsizetype want, int timeoutMs = kTimeoutMs)
{
    QByteArray got;
    QElapsedTimer t;
    t.start();
    while (got.size() < want && t.elapsed() < timeoutMs) {
        got += client->readAll();
        if (got.size() < want)
            QTest::qWait(5);
    }
    return got;
}

} // namespace

class TestPlainSocket : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<DescriptorServer> m_server;
    std::unique_ptr<QTcpSocket> m_client;
    std::unique_ptr<PlainSocket> m_plain;
    qintptr m_fd = -1;

private slots:
    void init()
    {
        // A notifier left on a closed or handed-over descriptor makes Qt warn.
        QTest::failOnWarning(QRegularExpression(QStringLiteral("QSocketNotifier")));
        m_fd = -1;
        m_server = std::make_unique<DescriptorServer>();
        m_server->onAccepted = [this](qintptr fd) {
            if (m_fd == -1)
                m_fd = fd;
            else
                PlainSocket closer(fd);
        };
        QVERIFY(m_server->listen(QHostAddress::LocalHost, 0));
        m_client = std::make_unique<QTcpSocket>();
        m_client->connectToHost(QHostAddress::LocalHost, m_server->serverPort());
        QTRY_VERIFY_WITH_TIMEOUT(m_fd != -1 && m_client->state() == QAbstractSocket::ConnectedState, kTimeoutMs);
        m_plain = std::make_unique<PlainSocket>(m_fd);
        QVERIFY(m_plain->isOpen());
    }

    void cleanup()
    {
        m_plain.reset();
        m_client.reset();
        m_server.reset();
    }

    // 1.
    void peerAddressAndPort()
    {
        QCOMPARE(m_plain->peerAddress(), m_client->localAddress());
        QCOMPARE(m_plain->peerAddress(), QHostAddress(QHostAddress::LocalHost));
        QVERIFY(m_client->localPort() != 0);
        QCOMPARE(m_plain->peerPort(), m_client->localPort());
        QVERIFY(m_plain->peerPort() != m_server->serverPort());
    }

    // 2.
    void smallExchange()
    {
        m_plain->setNoDelay(true);
        const QByteArray greeting = "220 relay.example ESMTP ready\r\n";
        m_plain->write(greeting);
        QVERIFY(m_plain->flush()); // nothing left for a few bytes
        QCOMPARE(readFromClient(m_client.get(), greeting.size()), greeting);

        QSignalSpy ready(m_plain.get(), &PlainSocket::readyRead);
        const QByteArray ehlo = "EHLO client.example\r\nMAIL FROM:<a@b.example>\r\n";
        m_client->write(ehlo);
        QByteArray got;
        QElapsedTimer t;
        t.start();
        while (got.size() < ehlo.size() && t.elapsed() < kTimeoutMs) {
            if (m_plain->bytesAvailable() == 0)
                QVERIFY(ready.wait(kTimeoutMs));
            QVERIFY(m_plain->bytesAvailable() > 0);
            got += m_plain->readAll();
            QCOMPARE(m_plain->bytesAvailable(), 0); // handed over
        }
        QCOMPARE(got, ehlo);
        QVERIFY(ready.count() >= 1);
        QVERIFY(m_plain->readAll().isEmpty());

        // The session goes on: a second round trip in both directions.
        m_plain->write("250 OK\r\n");
        QCOMPARE(readFromClient(m_client.get(), 8), QByteArray("250 OK\r\n"));
        m_client->write("QUIT\r\n");
        QTRY_COMPARE_WITH_TIMEOUT(m_plain->bytesAvailable(), 6, kTimeoutMs);
        QCOMPARE(m_plain->readAll(), QByteArray("QUIT\r\n"));
        QVERIFY(m_plain->isOpen());
    }

    // 3.
    void largeWriteWhileClientDoesNotRead()
    {
        const QByteArray first = pattern(8 * 1024 * 1024, 1);
        const QByteArray second = pattern(3 * 1024 * 1024 + 17, 2);
        QSignalSpy gone(m_plain.get(), &PlainSocket::disconnected);

        QElapsedTimer t;
        t.start();
        m_plain->write(first); // no event loop runs here: the client reads nothing
        const qint64 firstMs = t.elapsed();
        QVERIFY2(!m_plain->flush(), "8 MiB should not fit in the loopback buffers of an idle reader");
        m_plain->write(second); // behind what waits already
        m_plain->write(QByteArray()); // ignored
        QVERIFY2(firstMs < 1000, QByteArray::number(firstMs).constData());
        QVERIFY(t.elapsed() < 2000);
        QVERIFY(m_plain->isOpen());

        const QByteArray want = first + second;
        const QByteArray got = readFromClient(m_client.get(), want.size());
        QVERIFY2(got == want, difference(got, want).constData());
        QVERIFY(m_plain->flush()); // everything went
        QCOMPARE(gone.count(), 0);
        QVERIFY(m_plain->isOpen());

        // A small write after the pending output drained goes straight out.
        m_plain->write("250 OK\r\n");
        QCOMPARE(readFromClient(m_client.get(), 8), QByteArray("250 OK\r\n"));
    }

    // 4.
    void readBackPressure()
    {
        const QByteArray data = pattern(4 * 1024 * 1024, 3);
        qsizetype maxAvailable = 0;
        int readyCount = 0;
        connect(m_plain.get(), &PlainSocket::readyRead, this, [&] {
            ++readyCount;
            maxAvailable = qMax(maxAvailable, m_plain->bytesAvailable());
        });
        m_client->write(data);

        // The server does not read: it stops at kMaxPending (+ one chunk).
        QTRY_VERIFY_WITH_TIMEOUT(m_plain->bytesAvailable() >= PlainSocket::kMaxPending, kTimeoutMs);
        const qsizetype held = m_plain->bytesAvailable();
        const int readyHeld = readyCount;
        QTest::qWait(300); // the client keeps sending; the socket must not read on
        QCOMPARE(m_plain->bytesAvailable(), held);
        QCOMPARE(readyCount, readyHeld);
        QVERIFY2(held <= PlainSocket::kMaxPending + kReadChunk, QByteArray::number(held).constData());
        QVERIFY2(maxAvailable <= PlainSocket::kMaxPending + kReadChunk,
                 QByteArray::number(maxAvailable).constData());
        QVERIFY(held < data.size());

        // readAll() resumes reading; everything arrives intact and in order.
        QByteArray got;
        QElapsedTimer t;
        t.start();
        while (got.size() < data.size() && t.elapsed() < kTimeoutMs) {
            QVERIFY(m_plain->bytesAvailable() <= PlainSocket::kMaxPending + kReadChunk);
            got += m_plain->readAll();
            QCOMPARE(m_plain->bytesAvailable(), 0);
            if (got.size() < data.size())
                QTest::qWait(5);
        }
        QVERIFY2(got == data, difference(got, data).constData());
        QVERIFY(maxAvailable <= PlainSocket::kMaxPending + kReadChunk);
        QCOMPARE(m_client->bytesToWrite(), 0);
        QVERIFY(m_plain->isOpen());
    }

    // 5.
    void dataThenEndOfStream_data()
    {
        QTest::addColumn<bool>("readInHandler");
        QTest::addColumn<QByteArray>("data");
        const QByteArray smtp = "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n";
        // A short read ends the read loop, so the end is found on the next
        // notification; exactly one full chunk makes the same onReadable()
        // find data and end of stream (readyRead now, disconnected queued).
        const QByteArray chunk = pattern(kReadChunk, 8);
        QTest::newRow("short, read in readyRead") << true << smtp;
        QTest::newRow("short, read after disconnected") << false << smtp;
        QTest::newRow("one chunk, read in readyRead") << true << chunk;
        QTest::newRow("one chunk, read after disconnected") << false << chunk;
    }
    void dataThenEndOfStream()
    {
        QFETCH(bool, readInHandler);
        QFETCH(QByteArray, data);
        QStringList events;
        QByteArray got;
        connect(m_plain.get(), &PlainSocket::readyRead, this, [&] {
            events << QStringLiteral("readyRead");
            if (readInHandler)
                got += m_plain->readAll();
        });
        connect(m_plain.get(), &PlainSocket::disconnected, this, [&] {
            events << QStringLiteral("disconnected:") + QString::number(m_plain->bytesAvailable());
        });
        QSignalSpy gone(m_plain.get(), &PlainSocket::disconnected);

        // Data and FIN both reach the kernel before the server's loop runs.
        m_client->write(data);
        QVERIFY(m_client->flush());
        m_client->disconnectFromHost();

        QVERIFY(gone.wait(kTimeoutMs));
        QTest::qWait(100); // no second disconnected()
        QCOMPARE(gone.count(), 1);
        QVERIFY(!events.isEmpty());
        QCOMPARE(events.first(), QStringLiteral("readyRead"));
        QVERIFY2(events.last().startsWith(QStringLiteral("disconnected")), qPrintable(events.join(',')));
        QCOMPARE(events.count(QStringLiteral("readyRead")), events.size() - 1);
        if (readInHandler) {
            QCOMPARE(events.last(), QStringLiteral("disconnected:0"));
        } else {
            QCOMPARE(events.last(), QStringLiteral("disconnected:%1").arg(data.size()));
            got = m_plain->readAll(); // still there after the end of stream
        }
        QVERIFY2(got == data, difference(got, data).constData());
        QCOMPARE(m_plain->bytesAvailable(), 0);
        // Nothing is read after the end: readAll() does not revive the notifier.
        QTest::qWait(50);
        QCOMPARE(gone.count(), 1);
    }

    // 6.
    void disconnectFromHostSendsPendingOutput()
    {
        const QByteArray data = pattern(8 * 1024 * 1024, 4);
        QSignalSpy gone(m_plain.get(), &PlainSocket::disconnected);
        QSignalSpy clientGone(m_client.get(), &QTcpSocket::disconnected);
        m_plain->write(data);
        QVERIFY(!m_plain->flush());
        m_plain->write("221 bye\r\n");
        m_plain->disconnectFromHost();
        QVERIFY(m_plain->isOpen()); // output still pending
        QCOMPARE(gone.count(), 0);

        const QByteArray want = data + "221 bye\r\n";
        QByteArray got;
        QElapsedTimer t;
        t.start();
        while (clientGone.isEmpty() && t.elapsed() < kTimeoutMs) {
            got += m_client->readAll();
            QTest::qWait(5);
        }
        got += m_client->readAll();
        QCOMPARE(clientGone.count(), 1);
        QVERIFY2(got == want, difference(got, want).constData());
        QCOMPARE(m_client->state(), QAbstractSocket::UnconnectedState);

        QTRY_COMPARE_WITH_TIMEOUT(gone.count(), 1, kTimeoutMs);
        QVERIFY(!m_plain->isOpen());
        m_plain->disconnectFromHost(); // no-ops once closed
        m_plain->abort();
        QTest::qWait(100);
        QCOMPARE(gone.count(), 1);
    }

    void disconnectFromHostWithNothingPending()
    {
        QSignalSpy gone(m_plain.get(), &PlainSocket::disconnected);
        QSignalSpy clientGone(m_client.get(), &QTcpSocket::disconnected);
        m_plain->write("221 bye\r\n");
        m_plain->disconnectFromHost();
        QVERIFY(!m_plain->isOpen()); // nothing pending: closed at once
        QCOMPARE(gone.count(), 0);   // queued
        QVERIFY(clientGone.wait(kTimeoutMs));
        QCOMPARE(m_client->readAll(), QByteArray("221 bye\r\n"));
        QTRY_COMPARE_WITH_TIMEOUT(gone.count(), 1, kTimeoutMs);
        QTest::qWait(50);
        QCOMPARE(gone.count(), 1);
    }

    // 7.
    void abortClosesAtOnce()
    {
        QSignalSpy gone(m_plain.get(), &PlainSocket::disconnected);
        QSignalSpy ready(m_plain.get(), &PlainSocket::readyRead);
        QSignalSpy clientGone(m_client.get(), &QTcpSocket::disconnected);
        m_plain->write(pattern(8 * 1024 * 1024, 5)); // mostly pending: dropped
        m_plain->abort();
        QVERIFY(!m_plain->isOpen());
        QCOMPARE(gone.count(), 0); // queued
        QVERIFY(m_plain->flush()); // the pending output went with the socket

        m_plain->write("after close"); // ignored
        m_plain->abort();
        m_plain->disconnectFromHost();
        QCOMPARE(m_plain->release(nullptr), qintptr(-1));

        QByteArray got;
        QElapsedTimer t;
        t.start();
        while (clientGone.isEmpty() && t.elapsed() < kTimeoutMs) {
            got += m_client->readAll();
            QTest::qWait(5);
        }
        got += m_client->readAll();
        QCOMPARE(clientGone.count(), 1);
        QCOMPARE(m_client->state(), QAbstractSocket::UnconnectedState);
        QVERIFY(got.size() < 8 * 1024 * 1024);
        QVERIFY(!got.contains("after close"));

        QTRY_COMPARE_WITH_TIMEOUT(gone.count(), 1, kTimeoutMs);
        QTest::qWait(100);
        QCOMPARE(gone.count(), 1);
        QCOMPARE(ready.count(), 0);
    }

    // The destructor closes a descriptor that was not released.
    void destructorCloses()
    {
        QSignalSpy clientGone(m_client.get(), &QTcpSocket::disconnected);
        m_plain->write("421 shutting down\r\n");
        m_plain.reset();
        QVERIFY(clientGone.wait(kTimeoutMs));
        QCOMPARE(m_client->readAll(), QByteArray("421 shutting down\r\n"));
    }

    // 8.
    void releaseToSslSocket()
    {
        const QByteArray big = pattern(8 * 1024 * 1024, 6);
        m_plain->write("220 ready to start TLS\r\n");
        m_plain->write(big);
        QVERIFY(!m_plain->flush());
        m_plain->write("after\r\n");

        QSignalSpy ready(m_plain.get(), &PlainSocket::readyRead);
        QSignalSpy gone(m_plain.get(), &PlainSocket::disconnected);
        QByteArray pending = "garbage";
        const qintptr fd = m_plain->release(&pending);
        QCOMPARE(fd, m_fd);
        QVERIFY(!m_plain->isOpen());
        QVERIFY(pending.size() > 7);
        QVERIFY(pending.endsWith("after\r\n"));
        QVERIFY((big + "after\r\n").endsWith(pending));
        QCOMPARE(m_plain->release(nullptr), qintptr(-1)); // once only
        m_plain->write("ignored"); // nothing goes to the descriptor any more
        m_plain->disconnectFromHost();
        m_plain->abort();

        QSslSocket ssl;
        QVERIFY(ssl.setSocketDescriptor(fd, QAbstractSocket::ConnectedState, QIODevice::ReadWrite));
        QCOMPARE(ssl.state(), QAbstractSocket::ConnectedState);
        QCOMPARE(ssl.peerPort(), m_client->localPort());
        ssl.write(pending);

        const QByteArray want = "220 ready to start TLS\r\n" + big + "after\r\n";
        QByteArray got = readFromClient(m_client.get(), want.size());
        QVERIFY2(got == want, difference(got, want).constData());

        // Both ways through the QSslSocket (unencrypted mode).
        m_client->write("EHLO again\r\n");
        QTRY_COMPARE_WITH_TIMEOUT(ssl.bytesAvailable(), 12, kTimeoutMs);
        QCOMPARE(ssl.readAll(), QByteArray("EHLO again\r\n"));
        ssl.write("250 relay.example\r\n");
        QCOMPARE(readFromClient(m_client.get(), 19), QByteArray("250 relay.example\r\n"));
        QCOMPARE(ready.count(), 0);
        QCOMPARE(m_plain->bytesAvailable(), 0);

        // Deleting the released PlainSocket leaves the descriptor open.
        m_plain.reset();
        m_client->write("QUIT\r\n");
        QTRY_COMPARE_WITH_TIMEOUT(ssl.bytesAvailable(), 6, kTimeoutMs);
        QCOMPARE(ssl.readAll(), QByteArray("QUIT\r\n"));
        ssl.write("221 bye\r\n");
        QCOMPARE(readFromClient(m_client.get(), 9), QByteArray("221 bye\r\n"));

        // The peer's close reaches the QSslSocket, not the PlainSocket.
        QSignalSpy sslGone(&ssl, &QSslSocket::disconnected);
        m_client->disconnectFromHost();
        QVERIFY(sslGone.wait(kTimeoutMs));
        QCOMPARE(ready.count(), 0);
        QCOMPARE(gone.count(), 0);
    }

    // release() from a readyRead() whose read also found the end of stream
    // (disconnected() already queued): "this object says nothing more" after
    // release(). Exactly one full read chunk then FIN puts both in one
    // onReadable().
    void releaseAfterEndOfStream()
    {
        QSignalSpy gone(m_plain.get(), &PlainSocket::disconnected);
        qintptr fd = -1;
        QByteArray got;
        const QByteArray data = QByteArray(kReadChunk - 10, ' ') + "STARTTLS\r\n";
        connect(m_plain.get(), &PlainSocket::readyRead, this, [&] {
            got += m_plain->readAll();
            if (fd == -1 && got.size() == data.size())
                fd = m_plain->release(nullptr);
        });
        m_client->write(data);
        QVERIFY(m_client->flush());
        QCOMPARE(m_client->bytesToWrite(), 0);
        m_client->disconnectFromHost(); // data and FIN in one read
        QTRY_VERIFY_WITH_TIMEOUT(fd != -1, kTimeoutMs);
        QCOMPARE(got, data);
        QTest::qWait(100);
        ::close(int(fd));
        QCOMPARE(gone.count(), 0);
    }

    // 9.
    void writeToClosedPeer_data()
    {
        QTest::addColumn<bool>("reset");
        QTest::newRow("peer closed (FIN)") << false;
        QTest::newRow("peer reset (RST)") << true;
    }
    void writeToClosedPeer()
    {
        QFETCH(bool, reset);
        QSignalSpy gone(m_plain.get(), &PlainSocket::disconnected);
        if (reset) {
            const linger l{1, 0}; // close() sends RST
            QCOMPARE(::setsockopt(int(m_client->socketDescriptor()), SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
        }
        m_client->abort();

        // No event loop from here: only write() can find out the peer is gone.
        // SIGPIPE back to its default (terminate) so that a send() without
        // MSG_NOSIGNAL would kill the test.
        const auto previous = std::signal(SIGPIPE, SIG_DFL);
        QThread::msleep(50);
        const QByteArray line(1024, 'x');
        int writes = 0;
        while (m_plain->isOpen() && writes < 200) {
            m_plain->write(line);
            ++writes;
            if (m_plain->isOpen())
                QThread::msleep(5);
        }
        std::signal(SIGPIPE, previous);

        QVERIFY2(!m_plain->isOpen(), QByteArray::number(writes).constData());
        QVERIFY(writes <= 3); // FIN: the first send is taken, the peer answers RST
        QCOMPARE(gone.count(), 0); // queued
        QVERIFY(gone.wait(kTimeoutMs));
        m_plain->write(line); // ignored
        QTest::qWait(100);
        QCOMPARE(gone.count(), 1);
    }

    // A reset while output waits for the write notifier.
    void resetWithPendingOutput()
    {
        QSignalSpy gone(m_plain.get(), &PlainSocket::disconnected);
        m_plain->write(pattern(8 * 1024 * 1024, 7));
        QVERIFY(!m_plain->flush());
        const linger l{1, 0};
        QCOMPARE(::setsockopt(int(m_client->socketDescriptor()), SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
        const auto previous = std::signal(SIGPIPE, SIG_DFL);
        m_client->abort();
        const bool signalled = gone.wait(kTimeoutMs);
        QTest::qWait(100);
        std::signal(SIGPIPE, previous);
        QVERIFY(signalled);
        QCOMPARE(gone.count(), 1);
        // The socket may have learnt it from the read side (descriptor still
        // open until the owner deletes it) or the write side (closed).
        m_plain->write("more");
        m_plain->flush();
        QTest::qWait(50);
        QCOMPARE(gone.count(), 1);
    }

    // 10. A graceful close with unread input in the kernel is a FIN, not a
    // reset: a raw client sends a command the server never reads, the server
    // answers and closes; the client reads the answer and then end of stream
    // (recv() == 0), not ECONNRESET.
    void closeWithUnreadInputIsNotAReset()
    {
        DescriptorServer server;
        qintptr accepted = -1;
        server.onAccepted = [&accepted](qintptr fd) { accepted = fd; };
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        const int client = ::socket(AF_INET, SOCK_STREAM, 0);
        QVERIFY(client >= 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(server.serverPort());
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::connect(client, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)), 0);
        QTRY_VERIFY_WITH_TIMEOUT(accepted != -1, kTimeoutMs);
        timeval tv{5, 0};
        ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        {
            PlainSocket plain(accepted);
            const QByteArray early(3000, 'E'); // an early talker: never read by the server
            QCOMPARE(::send(client, early.constData(), size_t(early.size()), 0), ssize_t(early.size()));
            QThread::msleep(20); // now in the server's kernel buffer; no event loop runs, so nothing reads it
            plain.write("554 5.7.1 go away\r\n");
            plain.disconnectFromHost();
            QVERIFY(!plain.isOpen());
        }
        QByteArray got;
        char buf[256];
        ssize_t n = 0;
        int err = 0;
        for (;;) {
            n = ::recv(client, buf, sizeof(buf), 0);
            err = errno;
            if (n <= 0)
                break;
            got.append(buf, n);
        }
        ::close(client);
        QCOMPARE(got, QByteArray("554 5.7.1 go away\r\n"));
        QVERIFY2(n == 0, qPrintable(QStringLiteral("recv after the reply: %1 (%2)").arg(n).arg(QString::fromLocal8Bit(strerror(err)))));
    }
};

QTEST_GUILESS_MAIN(TestPlainSocket)
#include "tst_plainsocket.moc"

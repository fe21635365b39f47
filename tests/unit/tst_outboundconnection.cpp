// OutboundConnection against a real peer: Postfix's smtp-sink, started by the
// test on 127.0.0.1 and a free port, dumping each message to a file.
// Needs /usr/sbin/smtp-sink (Debian/Ubuntu: apt-get install postfix).

#include "delivery/outboundconnection.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace rd::delivery;

namespace {

const QString kSinkPath = QStringLiteral("/usr/sbin/smtp-sink");
constexpr qint64 kChunk = 64 * 1024; // OutboundConnection's read size

quint16 freePort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    return server.serverPort();
}

// Appends a filler line so that `c` ends at exactly `pos` (with CRLF unless
// `endWithNewline` is false).
void padTo(QByteArray &c, qsizetype pos, bool endWithNewline = true)
{
    const qsizetype eol = endWithNewline ? 2 : 0;
    const qsizetype fill = pos - c.size() - eol;
    Q_ASSERT(fill >= 1);
    c += QByteArray(fill, 'f');
    if (endWithNewline)
        c += "\r\n";
}

QByteArray crlfToLf(QByteArray s)
{
    return s.replace("\r\n", "\n");
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRssMeaningful = false; // ASan's quarantine keeps freed memory resident
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kRssMeaningful = false;
#else
constexpr bool kRssMeaningful = true;
#endif
#else
constexpr bool kRssMeaningful = true;
#endif

// Peak resident set size (Linux), -1 if unknown.
qint64 peakRssKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray &l : lines) {
        if (l.startsWith("VmHWM:"))
            return l.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

} // namespace

class TstOutboundConnection : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void deliverPipelined();
    void deliverWithoutPipeliningReusesConnection();
    void largeMessageIsStreamed();
    void connectionRefused();
    void recipientsHardFail();
    void recipientsSoftFail();
    void disconnectAtData();
    void reply421AtData();
    void replyTimeout();
    void heloFallbackDelivers();
    void greetingRefusedDefers();
    void missingSpoolFile();
    void quitThenDeliver();

private:
    void startSink(const QStringList &options);
    QString writeSpool(const QByteArray &prefix, const QByteArray &content);
    DeliveryJob job(const QString &spoolPath, qint64 offset, qint64 size, QList<QByteArray> rcpts) const;
    DeliveryResult runJob(OutboundConnection &c, const DeliveryJob &job, int timeoutMs = 20000);
    QStringList dumpFiles() const;
    QByteArray readDump(int expectedCount);

    QTemporaryDir m_tmp;
    QProcess *m_sink = nullptr;
    quint16 m_port = 0;
    QString m_dumpDir;
    QStringList m_readDumps;
    int m_counter = 0;
    Timeouts m_timeouts{5000, 10000, 10000};
};

void TstOutboundConnection::initTestCase()
{
    if (!QFile::exists(kSinkPath)) {
        QFAIL("smtp-sink not found at /usr/sbin/smtp-sink. Install Postfix's test tools: "
              "sudo apt-get install postfix (Debian/Ubuntu; choose 'No configuration'), "
              "or dnf install postfix (Fedora).");
    }
    QVERIFY(m_tmp.isValid());
    // smtp-sink drops to the postfix user; it must be able to write its dumps.
    QFile::setPermissions(m_tmp.path(), QFileDevice::Permissions(0x7777));
}

void TstOutboundConnection::cleanup()
{
    if (!m_sink)
        return;
    m_sink->terminate();
    if (!QTest::qWaitFor([this] { return m_sink->state() == QProcess::NotRunning; }, 3000)) {
        m_sink->kill();
        (void)QTest::qWaitFor([this] { return m_sink->state() == QProcess::NotRunning; }, 3000);
    }
    delete m_sink;
    m_sink = nullptr;
}

void TstOutboundConnection::startSink(const QStringList &options)
{
    m_dumpDir = m_tmp.filePath(QStringLiteral("dump%1").arg(++m_counter));
    QVERIFY(QDir().mkpath(m_dumpDir));
    QFile::setPermissions(m_dumpDir, QFileDevice::Permissions(0x7777));
    m_port = freePort();
    QVERIFY(m_port != 0);

    QStringList args;
    if (::geteuid() == 0)
        args << QStringLiteral("-u") << QStringLiteral("postfix"); // required as root
    args << options << QStringLiteral("-d") << m_dumpDir + QStringLiteral("/%M.")
         << QStringLiteral("127.0.0.1:%1").arg(m_port) << QStringLiteral("100");
    m_sink = new QProcess;
    m_sink->start(kSinkPath, args);

    // Ready when it accepts a connection.
    bool listening = false;
    for (int attempt = 0; attempt < 100 && !listening; ++attempt) {
        if (m_sink->state() == QProcess::NotRunning)
            break;
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, m_port);
        (void)QTest::qWaitFor([&] { return probe.state() == QAbstractSocket::ConnectedState
                                     || probe.state() == QAbstractSocket::UnconnectedState; },
                        1000);
        listening = probe.state() == QAbstractSocket::ConnectedState;
        probe.abort();
        if (!listening)
            QTest::qWait(50);
    }
    m_readDumps.clear();
    QVERIFY2(listening, qPrintable(QStringLiteral("smtp-sink did not start: %1 %2")
                                       .arg(args.join(u' '), QString::fromLocal8Bit(m_sink->readAllStandardError()))));
}

QString TstOutboundConnection::writeSpool(const QByteArray &prefix, const QByteArray &content)
{
    const QString path = m_tmp.filePath(QStringLiteral("spool%1.msg").arg(++m_counter));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(prefix) != prefix.size() || f.write(content) != content.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

DeliveryJob TstOutboundConnection::job(const QString &spoolPath, qint64 offset, qint64 size,
                                       QList<QByteArray> rcpts) const
{
    DeliveryJob j;
    j.queueId = QStringLiteral("Q%1").arg(m_counter);
    j.mailFrom = "sender@example.org";
    j.rcpts = std::move(rcpts);
    j.spoolPath = spoolPath;
    j.bodyOffset = offset;
    j.size = size;
    return j;
}

DeliveryResult TstOutboundConnection::runJob(OutboundConnection &c, const DeliveryJob &job, int timeoutMs)
{
    QSignalSpy finished(&c, &OutboundConnection::jobFinished);
    c.deliver(job);
    if (finished.count() != 0)
        qWarning("jobFinished emitted from inside deliver()");
    if (!finished.wait(timeoutMs) && finished.isEmpty())
        return DeliveryResult();
    if (finished.count() != 1)
        qWarning("jobFinished emitted %d times", int(finished.count()));
    return finished.at(0).at(0).value<DeliveryResult>();
}

QStringList TstOutboundConnection::dumpFiles() const
{
    QStringList files;
    const QStringList names = QDir(m_dumpDir).entryList(QDir::Files, QDir::Name);
    for (const QString &n : names)
        files << QDir(m_dumpDir).filePath(n);
    return files;
}

QByteArray TstOutboundConnection::readDump(int expectedCount)
{
    if (!QTest::qWaitFor([&] { return dumpFiles().size() >= expectedCount; }, 5000))
        return QByteArray();
    for (const QString &path : dumpFiles()) { // names are random: take the one not read yet
        if (m_readDumps.contains(path))
            continue;
        m_readDumps.append(path);
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return QByteArray();
        return f.readAll();
    }
    return QByteArray();
}

void TstOutboundConnection::deliverPipelined()
{
    startSink({});

    // Dot lines placed on the 64 KiB read boundaries: "." first in a chunk,
    // and CR | LF "." split across chunks.
    QByteArray content = "Message-ID: <p1@example.org>\r\n"
                         "From: sender@example.org\r\n"
                         "To: a@example.com\r\n"
                         "Subject: pipelined\r\n"
                         "\r\n"
                         "Hello\r\n"
                         ".leading dot\r\n"
                         "..two dots\r\n"
                         ".\r\n"
                         "after a lone dot\r\n";
    padTo(content, kChunk);
    content += ".first octet of the second chunk\r\n";
    padTo(content, 2 * kChunk - 1, false);
    content += "\r\n.after CR|LF split\r\n";
    for (int i = 0; i < 200; ++i)
        content += (i % 7 == 0 ? ".line " : "line ") + QByteArray::number(i) + "\r\n";
    content += ".\r\n";
    content += "end\r\n";

    const QByteArray prefix = "ENVELOPE-NOT-CONTENT: do not send\r\n";
    const QString spool = writeSpool(prefix, content);

    OutboundConnection c(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("relay.example"), m_timeouts);
    QSignalSpy idle(&c, &OutboundConnection::idle);
    const DeliveryResult r =
        runJob(c, job(spool, prefix.size(), content.size(), {"a@example.com", "b@example.com"}));
    QCOMPARE(r.recipients.size(), 2);
    for (const RecipientOutcome &o : r.recipients) {
        QCOMPARE(o.status, RcptStatus::Delivered);
        QCOMPARE(o.code, 250);
        QVERIFY2(o.reply.startsWith(QStringLiteral("250 2.0.0")), qPrintable(o.reply));
    }
    QCOMPARE(r.recipients[1].rcpt, QByteArray("b@example.com"));
    QVERIFY(r.error.isEmpty());
    QCOMPARE(r.peerAddress, QStringLiteral("127.0.0.1"));
    QCOMPARE(r.host, QStringLiteral("127.0.0.1"));
    QCOMPARE(r.port, m_port);
    QCOMPARE(r.bytes, content.size());
    QVERIFY(c.capabilities().pipelining);
    QVERIFY(idle.count() >= 1 || idle.wait(1000));
    QVERIFY(c.isIdle());

    const QByteArray dump = readDump(1);
    QVERIFY(!dump.isEmpty());
    // The sink writes the unstuffed content with LF line ends, then an empty line.
    QVERIFY2(dump.endsWith(crlfToLf(content) + "\n"), dump.left(600).constData());
    QVERIFY(dump.contains("\n.\nafter a lone dot\n"));
    QVERIFY(dump.contains("\n.leading dot\n"));
    QVERIFY(dump.contains("\n..two dots\n"));
    QVERIFY(dump.contains("\n.first octet of the second chunk\n"));
    QVERIFY(dump.contains("\n.after CR|LF split\n"));
    QVERIFY(!dump.contains("ENVELOPE-NOT-CONTENT"));
    QVERIFY(dump.contains("X-Mail-Args: <sender@example.org>\n"));
    QVERIFY(dump.contains("X-Rcpt-Args: <a@example.com>\nX-Rcpt-Args: <b@example.com>\n"));
    QVERIFY(dump.contains("X-Helo-Args: relay.example\n"));
}

void TstOutboundConnection::deliverWithoutPipeliningReusesConnection()
{
    startSink({QStringLiteral("-p")});
    const QByteArray first = "Subject: one\r\n\r\n.dot\r\nbody one\r\n";
    const QByteArray second = "Subject: two\r\n\r\nbody two \xc3\xa9\r\n.\r\n.."; // no final CRLF
    const QString spool1 = writeSpool({}, first);
    const QString spool2 = writeSpool({}, second);

    OutboundConnection c(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("relay.example"), m_timeouts);
    QSignalSpy closed(&c, &OutboundConnection::closed);
    const DeliveryResult r1 = runJob(c, job(spool1, 0, first.size(), {"a@example.com"}));
    QCOMPARE(r1.recipients.size(), 1);
    QCOMPARE(r1.recipients[0].status, RcptStatus::Delivered);
    QVERIFY(!c.capabilities().pipelining);
    QVERIFY(c.isIdle());
    QVERIFY(readDump(1).endsWith(crlfToLf(first) + "\n"));

    DeliveryJob j2 = job(spool2, 0, 0 /* taken from the file */, {"b@example.com", "c@example.com"});
    j2.eightBit = true;
    const DeliveryResult r2 = runJob(c, j2);
    QCOMPARE(r2.recipients.size(), 2);
    QCOMPARE(r2.recipients[0].status, RcptStatus::Delivered);
    QCOMPARE(r2.recipients[1].status, RcptStatus::Delivered);
    QCOMPARE(closed.count(), 0); // same connection
    QCOMPARE(r2.bytes, second.size());
    const QByteArray dump = readDump(2);
    QCOMPARE(dumpFiles().size(), 2);
    // Missing final CRLF is added before the terminator.
    QVERIFY2(dump.endsWith(crlfToLf(second) + "\n\n"), dump.constData());
    QVERIFY(dump.contains("X-Mail-Args: <sender@example.org> BODY=8BITMIME\n"));

    c.quit();
    QVERIFY(closed.wait(5000));
    QVERIFY(c.isClosed());
}

void TstOutboundConnection::largeMessageIsStreamed()
{
    startSink({});
    const QString spool = m_tmp.filePath(QStringLiteral("large.msg"));
    QCryptographicHash expected(QCryptographicHash::Sha256);
    qint64 size = 0;   // on disk, CRLF
    qint64 lfSize = 0; // as the sink dumps it, LF
    {
        QFile f(spool);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QByteArray block = "Message-ID: <large@example.org>\r\nSubject: large\r\n\r\n";
        int i = 0;
        while (size < 50LL * 1024 * 1024) {
            block += (i % 50 == 0 ? ".dotted line " : "line ") + QByteArray::number(i)
                + " abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
            ++i;
            if (block.size() > 1024 * 1024) {
                QCOMPARE(f.write(block), block.size());
                const QByteArray lf = crlfToLf(block);
                expected.addData(lf);
                lfSize += lf.size();
                size += block.size();
                block.clear();
            }
        }
        QCOMPARE(f.write(block), block.size());
        const QByteArray lf = crlfToLf(block);
        expected.addData(lf);
        lfSize += lf.size();
        size += block.size();
    }

    const qint64 rssBefore = peakRssKiB();
    OutboundConnection c(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("relay.example"), m_timeouts);
    const DeliveryResult r = runJob(c, job(spool, 0, size, {"big@example.com"}), 60000);
    QCOMPARE(r.recipients.size(), 1);
    QCOMPARE(r.recipients[0].status, RcptStatus::Delivered);
    QCOMPARE(r.bytes, size);
    const qint64 rssAfter = peakRssKiB();
    // Back-pressure: the 50 MB message never sits in memory.
    qInfo("peak RSS before %lld KiB, after %lld KiB", rssBefore, rssAfter);
    if (kRssMeaningful && rssBefore > 0)
        QVERIFY2(rssAfter - rssBefore < 16 * 1024, qPrintable(QStringLiteral("peak RSS grew by %1 KiB")
                                                                  .arg(rssAfter - rssBefore)));

    QVERIFY(QTest::qWaitFor([&] { return dumpFiles().size() == 1; }, 5000));
    QFile dump(dumpFiles().constFirst());
    QVERIFY(dump.open(QIODevice::ReadOnly));
    const QByteArray head = dump.peek(4096);
    const qsizetype start = head.indexOf("Message-ID: <large@example.org>");
    QVERIFY(start > 0);
    QVERIFY(dump.seek(start));
    QCryptographicHash got(QCryptographicHash::Sha256);
    qint64 remaining = dump.size() - start - 1; // the sink's final empty line
    QCOMPARE(remaining, lfSize);
    while (remaining > 0) {
        const QByteArray part = dump.read(qMin<qint64>(remaining, 1 << 20));
        QVERIFY(!part.isEmpty());
        got.addData(part);
        remaining -= part.size();
    }
    QCOMPARE(got.result().toHex(), expected.result().toHex());
}

void TstOutboundConnection::connectionRefused()
{
    const quint16 port = freePort(); // nothing listens there
    QVERIFY(port != 0);
    const QString spool = writeSpool({}, "Subject: x\r\n\r\nbody\r\n");
    OutboundConnection c(QStringLiteral("127.0.0.1"), port, QStringLiteral("relay.example"), m_timeouts);
    QSignalSpy closed(&c, &OutboundConnection::closed);
    const DeliveryResult r = runJob(c, job(spool, 0, 20, {"a@example.com", "b@example.com"}));
    const QString expected = QStringLiteral("connect to 127.0.0.1:%1: Connection refused").arg(port);
    QCOMPARE(r.recipients.size(), 2);
    for (const RecipientOutcome &o : r.recipients) {
        QCOMPARE(o.status, RcptStatus::Deferred);
        QCOMPARE(o.code, 0);
        QCOMPARE(o.reply, expected);
    }
    QCOMPARE(r.error, expected);
    QVERIFY(r.peerAddress.isEmpty());
    QVERIFY(closed.count() == 1 || closed.wait(2000));
    QVERIFY(c.isClosed());
}

void TstOutboundConnection::recipientsHardFail()
{
    startSink({QStringLiteral("-f"), QStringLiteral("RCPT")});
    const QString spool = writeSpool({}, "Subject: x\r\n\r\nbody\r\n");
    OutboundConnection c(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("relay.example"), m_timeouts);
    const DeliveryResult r = runJob(c, job(spool, 0, 20, {"a@example.com", "b@example.com"}));
    QCOMPARE(r.recipients.size(), 2);
    for (const RecipientOutcome &o : r.recipients) {
        QCOMPARE(o.status, RcptStatus::Failed);
        QCOMPARE(o.code / 100, 5);
        QVERIFY2(o.reply.startsWith(QString::number(o.code) + u' '), qPrintable(o.reply));
    }
    QVERIFY(r.error.isEmpty());
    QVERIFY(c.isIdle()); // RSET done; the connection stays usable
    QTest::qWait(100);
    QCOMPARE(dumpFiles().size(), 0); // no content was sent
}

void TstOutboundConnection::recipientsSoftFail()
{
    startSink({QStringLiteral("-r"), QStringLiteral("RCPT")});
    const QString spool = writeSpool({}, "Subject: x\r\n\r\nbody\r\n");
    OutboundConnection c(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("relay.example"), m_timeouts);
    const DeliveryResult r = runJob(c, job(spool, 0, 20, {"a@example.com"}));
    QCOMPARE(r.recipients.size(), 1);
    QCOMPARE(r.recipients[0].status, RcptStatus::Deferred);
    QCOMPARE(r.recipients[0].code / 100, 4);
}

void TstOutboundConnection::disconnectAtData()
{
    startSink({QStringLiteral("-q"), QStringLiteral("DATA")});
    const QString spool = writeSpool({}, "Subject: x\r\n\r\nbody\r\n");
    OutboundConnection c(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("relay.example"), m_timeouts);
    QSignalSpy closed(&c, &OutboundConnection::closed);
    const DeliveryResult r = runJob(c, job(spool, 0, 20, {"a@example.com", "b@example.com"}));
    QCOMPARE(r.recipients.size(), 2);
    for (const RecipientOutcome &o : r.recipients) {
        QCOMPARE(o.status, RcptStatus::Deferred);
        QVERIFY2(o.reply.startsWith(QStringLiteral("lost connection with 127.0.0.1[127.0.0.1] while")),
                 qPrintable(o.reply));
    }
    QVERIFY(!r.error.isEmpty());
    QVERIFY(closed.count() == 1 || closed.wait(2000));
}

void TstOutboundConnection::reply421AtData()
{
    startSink({QStringLiteral("-Q"), QStringLiteral("DATA")});
    const QString spool = writeSpool({}, "Subject: x\r\n\r\nbody\r\n");
    OutboundConnection c(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("relay.example"), m_timeouts);
    QSignalSpy closed(&c, &OutboundConnection::closed);
    const DeliveryResult r = runJob(c, job(spool, 0, 20, {"a@example.com"}));
    QCOMPARE(r.recipients.size(), 1);
    QCOMPARE(r.recipients[0].status, RcptStatus::Deferred);
    QCOMPARE(r.recipients[0].code, 421);
    QVERIFY2(r.recipients[0].reply.startsWith(QStringLiteral("421 ")), qPrintable(r.recipients[0].reply));
    QVERIFY(r.error.startsWith(QStringLiteral("421 ")));
    QVERIFY(closed.count() == 1 || closed.wait(2000));
}

void TstOutboundConnection::replyTimeout()
{
    startSink({QStringLiteral("-w"), QStringLiteral("3")}); // waits 3 s before answering DATA
    const QString spool = writeSpool({}, "Subject: x\r\n\r\nbody\r\n");
    OutboundConnection c(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("relay.example"),
                         Timeouts{5000, 500, 500});
    QSignalSpy closed(&c, &OutboundConnection::closed);
    const DeliveryResult r = runJob(c, job(spool, 0, 20, {"a@example.com"}));
    QCOMPARE(r.recipients.size(), 1);
    QCOMPARE(r.recipients[0].status, RcptStatus::Deferred);
    QVERIFY2(r.recipients[0].reply.startsWith(QStringLiteral("conversation with 127.0.0.1[127.0.0.1] timed out")),
             qPrintable(r.recipients[0].reply));
    QVERIFY(r.durationMs < 2900);
    QVERIFY(closed.count() == 1 || closed.wait(2000));
}

void TstOutboundConnection::heloFallbackDelivers()
{
    startSink({QStringLiteral("-f"), QStringLiteral("EHLO")}); // EHLO gets 5xx
    const QByteArray content = "Subject: helo\r\n\r\n.x\r\n";
    const QString spool = writeSpool({}, content);
    OutboundConnection c(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("192.0.2.7"), m_timeouts);
    const DeliveryResult r = runJob(c, job(spool, 0, content.size(), {"a@example.com"}));
    QCOMPARE(r.recipients.size(), 1);
    QCOMPARE(r.recipients[0].status, RcptStatus::Delivered);
    QVERIFY(!c.capabilities().esmtp);
    const QByteArray dump = readDump(1);
    QVERIFY(dump.contains("X-Client-Proto: SMTP\n"));
    QVERIFY(dump.contains("X-Helo-Args: [192.0.2.7]\n")); // an IP is sent as an address literal
    QVERIFY(dump.endsWith(crlfToLf(content) + "\n"));
}

void TstOutboundConnection::greetingRefusedDefers()
{
    startSink({QStringLiteral("-f"), QStringLiteral("CONNECT")}); // 5xx greeting
    const QString spool = writeSpool({}, "Subject: x\r\n\r\nbody\r\n");
    OutboundConnection c(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("relay.example"), m_timeouts);
    QSignalSpy closed(&c, &OutboundConnection::closed);
    const DeliveryResult r = runJob(c, job(spool, 0, 20, {"a@example.com"}));
    QCOMPARE(r.recipients.size(), 1);
    // Like Postfix (smtp_skip_5xx_greeting): deferred, not bounced.
    QCOMPARE(r.recipients[0].status, RcptStatus::Deferred);
    QCOMPARE(r.recipients[0].code / 100, 5);
    QCOMPARE(r.error, r.recipients[0].reply);
    QVERIFY(closed.count() == 1 || closed.wait(5000)); // after QUIT
}

void TstOutboundConnection::missingSpoolFile()
{
    startSink({});
    const QString good = writeSpool({}, "Subject: ok\r\n\r\nbody\r\n");
    OutboundConnection c(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("relay.example"), m_timeouts);
    const DeliveryResult r = runJob(c, job(m_tmp.filePath(QStringLiteral("nope.msg")), 0, 10, {"a@example.com"}));
    QCOMPARE(r.recipients.size(), 1);
    QCOMPARE(r.recipients[0].status, RcptStatus::Deferred);
    QVERIFY2(r.recipients[0].reply.startsWith(QStringLiteral("cannot read spool file")),
             qPrintable(r.recipients[0].reply));
    // The connection is still good for the next job.
    const DeliveryResult r2 = runJob(c, job(good, 0, 0, {"a@example.com"}));
    QCOMPARE(r2.recipients.size(), 1);
    QCOMPARE(r2.recipients[0].status, RcptStatus::Delivered);
}

void TstOutboundConnection::quitThenDeliver()
{
    startSink({});
    const QString spool = writeSpool({}, "Subject: x\r\n\r\nbody\r\n");
    OutboundConnection c(QStringLiteral("127.0.0.1"), m_port, QStringLiteral("relay.example"), m_timeouts);
    QSignalSpy idle(&c, &OutboundConnection::idle);
    QSignalSpy closed(&c, &OutboundConnection::closed);
    QCOMPARE(runJob(c, job(spool, 0, 20, {"a@example.com"})).recipients.value(0).status, RcptStatus::Delivered);
    QVERIFY(idle.count() >= 1);
    c.quit();
    QVERIFY(closed.wait(5000));
    QCOMPARE(closed.count(), 1);

    // A job after the close finishes Deferred, later, without reconnecting.
    const DeliveryResult r = runJob(c, job(spool, 0, 20, {"a@example.com"}));
    QCOMPARE(r.recipients.size(), 1);
    QCOMPARE(r.recipients[0].status, RcptStatus::Deferred);
    QVERIFY(!r.recipients[0].reply.isEmpty());
    QCOMPARE(closed.count(), 1);
}

QTEST_GUILESS_MAIN(TstOutboundConnection)
#include "tst_outboundconnection.moc"

#include "delivery/outboundconnection.h"

#include <QFile>
#include <QHostAddress>
#include <QLoggingCategory>
#include <QSslCipher>
#include <QSslSocket>
#include <QUrl>

#include <algorithm>
#include <atomic>
#include <utility>

namespace rd::delivery {

namespace {

Q_LOGGING_CATEGORY(lcOut, "relaydesk.delivery.outbound", QtInfoMsg) // debug lines off by default

constexpr qint64 kChunkSize = 64 * 1024;  // spool read size
constexpr qint64 kHighWater = 256 * 1024; // stop reading while this much is unsent

QByteArray heloArgument(const QString &name)
{
    QHostAddress addr;
    if (addr.setAddress(name)) {
        if (addr.protocol() == QAbstractSocket::IPv6Protocol)
            return "[IPv6:" + addr.toString().toLatin1() + ']';
        return '[' + addr.toString().toLatin1() + ']';
    }
    return QUrl::toAce(name); // empty stays empty: the session then uses "localhost"
}

QString newConnectionId()
{
    static std::atomic<quint64> counter{0};
    return QStringLiteral("out%1").arg(++counter);
}

RcptStatus statusFor(const smtp::ServerReply &r)
{
    if (r.success())
        return RcptStatus::Delivered;
    return r.permanent() ? RcptStatus::Failed : RcptStatus::Deferred;
}

ConnectionOptions plainOptions(QString host, quint16 port, QString heloName, Timeouts timeouts)
{
    ConnectionOptions o;
    o.host = std::move(host);
    o.port = port;
    o.heloName = std::move(heloName);
    o.timeouts = timeouts;
    return o;
}

smtp::ClientOptions sessionOptions(const ConnectionOptions &o)
{
    smtp::ClientOptions c;
    c.heloName = heloArgument(o.heloName);
    switch (o.tls) {
    case TlsMode::None: c.tls = smtp::TlsPolicy::None; break;
    case TlsMode::Opportunistic: c.tls = smtp::TlsPolicy::Opportunistic; break;
    case TlsMode::Required:
    case TlsMode::Verify: c.tls = smtp::TlsPolicy::Required; break;
    }
    c.tlsActive = o.implicitTls;
    c.authUser = o.authUser;
    c.authPassword = o.authPassword;
    c.allowPlaintextAuth = o.allowPlaintextAuth;
    return c;
}

} // namespace

OutboundConnection::OutboundConnection(QString host, quint16 port, QString heloName, Timeouts timeouts,
                                       QObject *parent)
    : OutboundConnection(plainOptions(std::move(host), port, std::move(heloName), timeouts), parent)
{
}

OutboundConnection::OutboundConnection(ConnectionOptions options, QObject *parent)
    : QObject(parent)
    , m_opt(std::move(options))
    , m_host(m_opt.host)
    , m_port(m_opt.port)
    , m_timeouts(m_opt.timeouts)
    , m_connId(newConnectionId())
    , m_session(sessionOptions(m_opt))
{
    if (m_opt.tlsName.isEmpty())
        m_opt.tlsName = m_opt.host;
    m_timer.setSingleShot(true);
    makeSocket();
    connect(&m_timer, &QTimer::timeout, this, &OutboundConnection::onTimeout);
}

smtp::ClientOptions OutboundConnection::baseSessionOptions() const
{
    return sessionOptions(m_opt);
}

void OutboundConnection::makeSocket()
{
    m_socket = new QSslSocket(this);
    connect(m_socket, &QSslSocket::encrypted, this, &OutboundConnection::onEncrypted);
    connect(m_socket, &QSslSocket::sslErrors, this, &OutboundConnection::onSslErrors);
    connect(m_socket, &QAbstractSocket::connected, this, &OutboundConnection::onConnected);
    connect(m_socket, &QIODevice::readyRead, this, &OutboundConnection::onReadyRead);
    connect(m_socket, &QIODevice::bytesWritten, this, &OutboundConnection::onBytesWritten);
    connect(m_socket, &QAbstractSocket::errorOccurred, this, &OutboundConnection::onSocketError);
    connect(m_socket, &QAbstractSocket::disconnected, this, &OutboundConnection::onSocketError);
}

OutboundConnection::~OutboundConnection()
{
    m_socket->disconnect(this);
    if (m_socket->state() != QAbstractSocket::UnconnectedState)
        m_socket->abort();
}

void OutboundConnection::deliver(const DeliveryJob &job)
{
    if (m_job) {
        qCWarning(lcOut).noquote()
            << QStringLiteral("event=deliver_refused conn=%1 queue_id=%2 reason=busy").arg(m_connId, job.queueId);
        DeliveryResult r =
            connectionErrorResult(job, QStringLiteral("connection busy with another message"), 0, false);
        r.bytes = 0;
        r.durationMs = 0;
        finishJobLater(std::move(r));
        return;
    }
    if (m_conn == Conn::Closed) {
        const QString error = m_error.isEmpty()
            ? QStringLiteral("connection to %1:%2 is closed").arg(m_host).arg(m_port)
            : m_error;
        DeliveryResult r = connectionErrorResult(job, error, m_errorCode, false);
        r.bytes = 0;
        r.durationMs = 0;
        finishJobLater(std::move(r));
        return;
    }
    m_job = job;
    m_jobStarted = false;
    m_jobBytes = 0;
    m_jobClock.start();
    QMetaObject::invokeMethod(this, &OutboundConnection::kick, Qt::QueuedConnection);
}

void OutboundConnection::quit()
{
    switch (m_conn) {
    case Conn::Closed:
        return;
    case Conn::Unconnected:
    case Conn::Connecting:
        closeSocket();
        if (m_job) {
            finishJob(connectionErrorResult(*m_job, QStringLiteral("delivery cancelled: connection closed by client"),
                                            0, false));
        }
        emitClosed();
        return;
    case Conn::Connected: {
        smtp::ClientOutput out;
        m_session.quit(out);
        handleOutput(out);
        return;
    }
    }
}

bool OutboundConnection::isIdle() const
{
    return m_conn == Conn::Connected && m_session.readyForMessage() && !m_job;
}

bool OutboundConnection::isClosed() const
{
    return m_conn == Conn::Closed;
}

void OutboundConnection::kick()
{
    if (!m_job || m_jobStarted)
        return;
    switch (m_conn) {
    case Conn::Unconnected:
        if (m_waitingToken)
            break; // the token's arrival connects
        if (m_oauth.active() && m_token.isEmpty())
            requestToken();
        else
            startConnect();
        break;
    case Conn::Connecting:
        break; // the Ready event starts the job
    case Conn::Connected:
        if (m_session.readyForMessage())
            startJob();
        break; // otherwise greeting/EHLO still running: Ready starts it
    case Conn::Closed:
        finishJob(connectionErrorResult(*m_job, m_error.isEmpty() ? QStringLiteral("connection closed") : m_error,
                                        m_errorCode, m_errorPermanent));
        break;
    }
}

void OutboundConnection::startConnect()
{
    m_conn = Conn::Connecting;
    qCDebug(lcOut).noquote()
        << QStringLiteral("event=connecting conn=%1 host=%2 port=%3").arg(m_connId, m_host, QString::number(m_port));
    m_timer.start(m_timeouts.connectMs);
    if (m_opt.implicitTls) {
        m_socket->setSslConfiguration(tlsConfiguration());
        m_socket->connectToHostEncrypted(m_host, m_port, m_opt.tlsName);
    } else {
        m_socket->connectToHost(m_host, m_port);
    }
}

void OutboundConnection::probe()
{
    m_probing = true;
    if (m_conn != Conn::Unconnected || m_waitingToken)
        return;
    if (m_oauth.active() && m_token.isEmpty())
        requestToken();
    else
        startConnect();
}

QSslCertificate OutboundConnection::peerCertificate() const
{
    return m_socket->peerCertificate();
}

QSslConfiguration OutboundConnection::tlsConfiguration() const
{
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    c.setProtocol(QSsl::TlsV1_2OrLater);
    if (m_mx.kind == MxTlsPolicy::Kind::Dane) {
        // The TLSA records are the trust anchors: the chain is checked in
        // checkMxTls() after the handshake, the CA store plays no part.
        c.setPeerVerifyMode(QSslSocket::VerifyNone);
    } else if (m_mx.kind == MxTlsPolicy::Kind::MtaSts) {
        // RFC 8461 4.2: a chain to a trusted CA, the MX name, not expired.
        // Testing mode: errors are reported in onSslErrors, then ignored.
        c.setPeerVerifyMode(QSslSocket::VerifyPeer);
        if (!m_mx.caFile.isEmpty())
            c.setCaCertificates(QSslCertificate::fromPath(m_mx.caFile, QSsl::Pem));
    } else if (m_opt.tls == TlsMode::Verify) {
        c.setPeerVerifyMode(QSslSocket::VerifyPeer);
        if (!m_opt.caFile.isEmpty())
            c.setCaCertificates(QSslCertificate::fromPath(m_opt.caFile, QSsl::Pem));
    } else {
        // Opportunistic and "required" TLS encrypt against passive listening;
        // only Verify authenticates the server (RFC 7435).
        c.setPeerVerifyMode(QSslSocket::VerifyNone);
    }
    return c;
}

void OutboundConnection::onEncrypted()
{
    m_tlsVersion = [](QSsl::SslProtocol p) {
        switch (p) {
        case QSsl::TlsV1_2: return QStringLiteral("TLSv1.2");
        case QSsl::TlsV1_3: return QStringLiteral("TLSv1.3");
        default: return QStringLiteral("TLS");
        }
    }(m_socket->sessionProtocol());
    m_tlsCipher = m_socket->sessionCipher().name();
    qCDebug(lcOut).noquote() << QStringLiteral("event=tls conn=%1 peer=%2 version=%3 cipher=%4")
                                    .arg(m_connId, m_peerAddress, m_tlsVersion, m_tlsCipher);
    m_tlsUp = true;
    if (!checkMxTls())
        return; // the connection failed (temporarily), nothing was sent
    if (m_opt.implicitTls)
        return; // the greeting follows
    smtp::ClientOutput out;
    m_session.tlsEstablished(out);
    handleOutput(out);
}

void OutboundConnection::onSslErrors(const QList<QSslError> &errors)
{
    for (const QSslError &e : errors)
        m_tlsErrors << e.errorString();
    m_tlsErrorType = tlsErrorType(errors);
    if (mxTlsErrorsIgnored(errors))
        return; // MTA-STS testing: reported, delivery goes on
    // Not ignored: with Verify or MTA-STS enforce the handshake fails and
    // onSocketError reports it.
}

void OutboundConnection::onConnected()
{
    if (m_conn != Conn::Connecting)
        return;
    m_conn = Conn::Connected;
    m_peerAddress = m_socket->peerAddress().toString();
    // Replies are awaited after every write: do not let Nagle hold the last segment.
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    qCDebug(lcOut).noquote()
        << QStringLiteral("event=connected conn=%1 host=%2 peer=%3").arg(m_connId, m_host, m_peerAddress);
    updateTimer();
}

void OutboundConnection::startJob()
{
    const DeliveryJob &job = *m_job;
    m_file.setFileName(job.spoolPath);
    if (!m_file.open(QIODevice::ReadOnly | QIODevice::Unbuffered) || !m_file.seek(job.bodyOffset)) {
        const QString error = QStringLiteral("cannot read spool file %1: %2").arg(job.spoolPath, m_file.errorString());
        m_file.close();
        DeliveryResult r = resultFor(job);
        for (RecipientOutcome &o : r.recipients)
            o.reply = error;
        finishJob(std::move(r));
        if (isIdle())
            emit idle();
        return;
    }
    m_jobStarted = true;
    smtp::ClientMessage msg;
    msg.mailFrom = job.mailFrom;
    msg.rcpts = job.rcpts;
    msg.size = (job.size > 0 ? job.size : qMax<qint64>(0, m_file.size() - job.bodyOffset)) + job.prepend.size();
    msg.eightBit = job.eightBit;
    msg.smtpUtf8 = job.smtpUtf8;
    smtp::ClientOutput out;
    m_session.sendMessage(msg, out);
    handleOutput(out);
}

void OutboundConnection::onReadyRead()
{
    if (m_conn != Conn::Connected)
        return;
    const QByteArray data = m_socket->readAll();
    if (data.isEmpty())
        return;
    smtp::ClientOutput out;
    m_session.feed(data, out);
    handleOutput(out);
}

void OutboundConnection::onBytesWritten()
{
    if (!m_streaming)
        return;
    pumpContent();
    updateTimer();
}

void OutboundConnection::onSocketError()
{
    if (m_conn == Conn::Closed)
        return;
    if (m_conn != Conn::Connected) {
        failConnection(QStringLiteral("connect to %1:%2: %3").arg(m_host).arg(m_port).arg(m_socket->errorString()));
        return;
    }
    if (!m_tlsErrors.isEmpty()) {
        if (failMxTlsCertificate())
            return;
        failConnection(QStringLiteral("TLS certificate of %1 not trusted (%2)")
                           .arg(peerText(), m_tlsErrors.join(QStringLiteral("; "))));
        return;
    }
    if (m_socket->error() == QAbstractSocket::SslHandshakeFailedError ||
        m_socket->error() == QAbstractSocket::SslInternalError) {
        reportTls(false, QStringLiteral("validation-failure"),
                  QStringLiteral("TLS handshake with %1 failed: %2").arg(peerText(), m_socket->errorString()));
        failConnection(QStringLiteral("TLS handshake with %1 failed: %2").arg(peerText(), m_socket->errorString()));
        return;
    }
    onReadyRead(); // replies that came with the close (e.g. 421) come first
    if (m_conn == Conn::Closed)
        return;
    const QString what = m_socket->error() == QAbstractSocket::RemoteHostClosedError
            || m_socket->error() == QAbstractSocket::UnknownSocketError
        ? QStringLiteral("lost connection")
        : QStringLiteral("connection error (%1)").arg(m_socket->errorString());
    failConnection(QStringLiteral("%1 with %2 while %3").arg(what, peerText(), whileText()));
}

void OutboundConnection::onTimeout()
{
    if (m_conn == Conn::Closed)
        return;
    if (m_waitingToken) {
        m_waitingToken = false;
        failConnection(QStringLiteral("OAuth 2.0: no access token within %1 s").arg(m_timer.interval() / 1000));
        return;
    }
    if (m_conn != Conn::Connected) {
        failConnection(QStringLiteral("connect to %1:%2: timed out after %3 ms")
                           .arg(m_host)
                           .arg(m_port)
                           .arg(m_timeouts.connectMs));
        return;
    }
    failConnection(QStringLiteral("conversation with %1 timed out while %2").arg(peerText(), whileText()));
}

void OutboundConnection::handleOutput(smtp::ClientOutput &out)
{
    if (!out.toSend.isEmpty() && m_conn == Conn::Connected)
        m_socket->write(out.toSend);
    for (smtp::ClientEvent &ev : out.events) {
        switch (ev.kind) {
        case smtp::ClientEventKind::Ready: {
            if (m_mx.kind != MxTlsPolicy::Kind::Opportunistic && !m_tlsUp) {
                // Only reachable when not enforced (testing): enforced policies
                // make STARTTLS required and the session fails instead.
                const QString detail = QStringLiteral("MTA-STS (testing): %1 did not offer STARTTLS; delivering "
                                                      "without TLS")
                                           .arg(peerText());
                qCInfo(lcOut).noquote() << QStringLiteral("event=mtasts_testing_failure conn=%1 domain=%2 mx=%3 "
                                                          "result=starttls-not-supported")
                                               .arg(m_connId, m_mx.domain, m_mx.mxHost);
                reportTls(false, QStringLiteral("starttls-not-supported"), detail);
            }
            const smtp::ServerCapabilities &caps = m_session.capabilities();
            qCDebug(lcOut).noquote()
                << QStringLiteral("event=ready conn=%1 peer=%2 esmtp=%3 pipelining=%4 size_limit=%5")
                       .arg(m_connId, m_peerAddress, QString::number(caps.esmtp), QString::number(caps.pipelining),
                            QString::number(caps.sizeLimit));
            if (m_probing) {
                m_probing = false;
                emit probeFinished(true, QString());
            }
            if (m_job && !m_jobStarted)
                startJob();
            else if (isIdle())
                emit idle();
            break;
        }
        case smtp::ClientEventKind::StartTls:
            m_socket->setSslConfiguration(tlsConfiguration());
            m_socket->setPeerVerifyName(m_opt.tlsName);
            m_socket->startClientEncryption();
            break;
        case smtp::ClientEventKind::SendContent:
            m_stuff = smtp::DotStuffState();
            m_streaming = true;
            if (m_job && !m_job->prepend.isEmpty()) {
                QByteArray stuffed;
                smtp::ClientSession::dotStuff(m_job->prepend, m_stuff, stuffed);
                m_socket->write(stuffed);
                m_jobBytes += m_job->prepend.size();
            }
            pumpContent();
            break;
        case smtp::ClientEventKind::MessageDone:
            if (m_job && m_jobStarted) {
                finishJob(messageResult(ev.result));
                if (isIdle())
                    emit idle();
            }
            break;
        case smtp::ClientEventKind::Failed:
            m_error = QString::fromUtf8(ev.reply.toString());
            m_errorCode = ev.reply.code;
            if (m_oauth.active() && ev.phase == smtp::ClientPhase::Auth && m_session.authRefused() &&
                !m_oauthRetried) {
                // One fresh token and one new connection; the job (not started yet) waits.
                m_oauthRetried = true;
                m_restartPending = true;
                break;
            }
            // Like Postfix's smtp_skip_5xx_greeting: a 5xx greeting defers, it does not bounce.
            m_errorPermanent = ev.reply.permanent() && ev.phase != smtp::ClientPhase::Greeting;
            if (m_mx.enforced() && !m_tlsUp &&
                (ev.phase == smtp::ClientPhase::Ehlo || ev.phase == smtp::ClientPhase::StartTls)) {
                // A policy that requires TLS met a server without (working) STARTTLS.
                const QString who = m_mx.kind == MxTlsPolicy::Kind::Dane ? QStringLiteral("DANE") : QStringLiteral("MTA-STS");
                m_error = QStringLiteral("%1: %2 requires TLS but %3 (%4)")
                              .arg(who, m_mx.domain, ev.phase == smtp::ClientPhase::StartTls
                                                         ? QStringLiteral("STARTTLS was refused")
                                                         : QStringLiteral("STARTTLS is not offered"),
                                   m_error);
                m_errorPermanent = false;
                reportTls(false, QStringLiteral("starttls-not-supported"), m_error);
            }
            qCInfo(lcOut).noquote()
                << QStringLiteral("event=connection_failed conn=%1 host=%2 port=%3 peer=%4 code=%5 error=\"%6\"")
                       .arg(m_connId, m_host, QString::number(m_port), m_peerAddress, QString::number(m_errorCode),
                            m_error);
            if (m_probing) {
                m_probing = false;
                emit probeFinished(false, m_error);
            }
            if (m_job && !m_jobStarted)
                finishJob(connectionErrorResult(*m_job, m_error, m_errorCode, m_errorPermanent));
            break;
        case smtp::ClientEventKind::Closed:
            if (m_probing) {
                m_probing = false;
                emit probeFinished(false, m_error.isEmpty() ? QStringLiteral("connection closed") : m_error);
            }
            closeSocket();
            if (m_job) {
                finishJob(connectionErrorResult(*m_job,
                                                m_error.isEmpty() ? QStringLiteral("connection closed") : m_error,
                                                m_errorCode, m_errorPermanent));
            }
            emitClosed();
            break;
        }
        if (m_restartPending)
            break;
    }
    if (m_restartPending) {
        m_restartPending = false;
        restartAfterRejectedToken();
        return;
    }
    updateTimer();
}

void OutboundConnection::pumpContent()
{
    QByteArray stuffed;
    while (m_streaming && m_socket->bytesToWrite() < kHighWater) {
        if (m_readBuf.size() != kChunkSize)
            m_readBuf.resize(kChunkSize);
        const qint64 n = m_file.read(m_readBuf.data(), kChunkSize);
        if (n < 0) {
            failConnection(QStringLiteral("cannot read spool file %1: %2").arg(m_file.fileName(), m_file.errorString()));
            return;
        }
        if (n == 0) { // end of the message
            m_streaming = false;
            m_file.close();
            smtp::ClientOutput out;
            m_session.contentDone(m_stuff, out);
            handleOutput(out);
            return;
        }
        m_jobBytes += n;
        // A fresh buffer per chunk: the socket keeps a shared reference, no copy.
        stuffed = QByteArray();
        smtp::ClientSession::dotStuff(QByteArrayView(m_readBuf.constData(), n), m_stuff, stuffed);
        m_socket->write(stuffed);
    }
}

void OutboundConnection::failConnection(const QString &reason)
{
    m_timer.stop();
    smtp::ClientOutput out;
    m_session.abort(reason.toUtf8(), out);
    handleOutput(out);
    if (m_conn != Conn::Closed) { // the session had closed already
        if (m_error.isEmpty())
            m_error = reason;
        closeSocket();
        if (m_job)
            finishJob(connectionErrorResult(*m_job, reason, 0, false));
        emitClosed();
    }
}

void OutboundConnection::closeSocket()
{
    m_conn = Conn::Closed; // first: abort() may emit disconnected() at once
    m_timer.stop();
    m_streaming = false;
    m_socket->abort();
}

void OutboundConnection::emitClosed()
{
    if (m_closedEmitted)
        return;
    m_closedEmitted = true;
    qCDebug(lcOut).noquote()
        << QStringLiteral("event=closed conn=%1 host=%2 peer=%3").arg(m_connId, m_host, m_peerAddress);
    emit closed();
}

void OutboundConnection::updateTimer()
{
    if (m_conn == Conn::Connecting || m_waitingToken)
        return; // the connect (or token) timeout runs
    if (m_conn != Conn::Connected) {
        m_timer.stop();
    } else if (m_streaming) {
        m_timer.start(m_timeouts.commandMs); // write progress
    } else if (m_session.awaitingReply()) {
        m_timer.start(m_session.phase() == smtp::ClientPhase::EndOfData ? m_timeouts.dataMs
                                                                         : m_timeouts.commandMs);
    } else {
        m_timer.stop();
    }
}

void OutboundConnection::finishJob(DeliveryResult result)
{
    m_job.reset();
    m_jobStarted = false;
    m_streaming = false;
    m_file.close();
    qCDebug(lcOut).noquote()
        << QStringLiteral("event=job_finished conn=%1 queue_id=%2 peer=%3 bytes=%4 duration_ms=%5")
               .arg(m_connId, result.queueId, result.peerAddress, QString::number(result.bytes),
                    QString::number(result.durationMs));
    emit jobFinished(result);
}

void OutboundConnection::finishJobLater(DeliveryResult result)
{
    QMetaObject::invokeMethod(
        this, [this, result = std::move(result)]() { emit jobFinished(result); }, Qt::QueuedConnection);
}

DeliveryResult OutboundConnection::resultFor(const DeliveryJob &job) const
{
    DeliveryResult r;
    r.queueId = job.queueId;
    r.jobId = job.jobId;
    r.tlsVersion = m_tlsVersion;
    r.tlsCipher = m_tlsCipher;
    r.authenticated = m_session.authenticated();
    r.host = m_host;
    r.port = m_port;
    r.peerAddress = m_peerAddress;
    r.bytes = m_jobBytes;
    r.durationMs = m_jobClock.isValid() ? m_jobClock.elapsed() : 0;
    r.recipients.reserve(job.rcpts.size());
    for (const QByteArray &rcpt : job.rcpts) {
        RecipientOutcome o;
        o.rcpt = rcpt;
        o.status = RcptStatus::Deferred;
        r.recipients.append(std::move(o));
    }
    return r;
}

DeliveryResult OutboundConnection::connectionErrorResult(const DeliveryJob &job, const QString &error, int code,
                                                         bool permanent) const
{
    DeliveryResult r = resultFor(job);
    r.error = error;
    for (RecipientOutcome &o : r.recipients) {
        o.status = permanent ? RcptStatus::Failed : RcptStatus::Deferred;
        o.code = code;
        o.reply = error;
    }
    return r;
}

DeliveryResult OutboundConnection::messageResult(const smtp::MessageResult &m) const
{
    DeliveryResult r = resultFor(*m_job);
    r.error = QString::fromUtf8(m.connectionError);
    for (qsizetype i = 0; i < r.recipients.size(); ++i) {
        const smtp::ServerReply &reply = m.outcome(i);
        RecipientOutcome &o = r.recipients[i];
        o.status = statusFor(reply);
        o.code = reply.code;
        o.reply = QString::fromUtf8(reply.toString());
    }
    return r;
}

QString OutboundConnection::peerText() const
{
    return QStringLiteral("%1[%2]").arg(m_host, m_peerAddress);
}

QString OutboundConnection::whileText() const
{
    switch (m_session.phase()) {
    case smtp::ClientPhase::Greeting: return QStringLiteral("receiving the initial server greeting");
    case smtp::ClientPhase::Ehlo:
    case smtp::ClientPhase::Helo: return QStringLiteral("performing the HELO handshake");
    case smtp::ClientPhase::StartTls: return QStringLiteral("performing the STARTTLS handshake");
    case smtp::ClientPhase::Auth: return QStringLiteral("authenticating");
    case smtp::ClientPhase::Idle: return QStringLiteral("idle");
    case smtp::ClientPhase::Mail: return QStringLiteral("sending MAIL FROM");
    case smtp::ClientPhase::Rcpt: return QStringLiteral("sending RCPT TO");
    case smtp::ClientPhase::Data: return QStringLiteral("sending DATA command");
    case smtp::ClientPhase::Content: return QStringLiteral("sending message body");
    case smtp::ClientPhase::EndOfData:
        return QStringLiteral("sending end of data -- message may be sent more than once");
    case smtp::ClientPhase::Rset: return QStringLiteral("sending RSET");
    case smtp::ClientPhase::Quit: return QStringLiteral("sending QUIT");
    case smtp::ClientPhase::Closed: return QStringLiteral("closing");
    }
    return QString();
}

} // namespace rd::delivery

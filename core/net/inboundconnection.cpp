#include "net/inboundconnection.h"

#include "queue/spoolfile.h"
#include "util/ids.h"

#include <QDateTime>
#include <QFile>
#include <QLocale>
#include <QSslCipher>
#include <QTimeZone>
#include <QUrl>

namespace rd::net {

using smtp::ActionKind;

InboundConnection::InboundConnection(PlainSocket *socket, smtp::SessionConfig config, InboundHost *host,
                                     int idleTimeoutMs, std::optional<QSslConfiguration> tls, QObject *parent)
    : QObject(parent),
      m_plain(socket),
      m_tls(std::move(tls)),
      m_session(std::move(config)),
      m_host(host),
      m_idleMs(idleTimeoutMs)
{
    m_plain->setParent(this);
    m_idle.setSingleShot(true);
    connect(&m_idle, &QTimer::timeout, this, &InboundConnection::onIdleTimer);
    connect(m_plain, &PlainSocket::readyRead, this, &InboundConnection::onReadyRead);
    connect(m_plain, &PlainSocket::disconnected, this, &InboundConnection::onDisconnected);
    m_host->sessionOpened();
}

bool InboundConnection::attachTlsSocket()
{
    QByteArray pending;
    const qintptr fd = m_plain->release(&pending);
    m_plain->disconnect(this);
    m_plain->deleteLater();
    m_plain = nullptr;
    if (fd == -1)
        return false; // already closed: disconnected() is on its way
    m_socket = new QSslSocket(this);
    if (!m_socket->setSocketDescriptor(fd, QAbstractSocket::ConnectedState, QIODevice::ReadWrite)) {
        // Qt did not take the descriptor: close it here.
        PlainSocket closer(fd);
        return false;
    }
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    if (!pending.isEmpty())
        m_socket->write(pending); // the 220 to STARTTLS goes out in clear before the handshake
    connect(m_socket, &QTcpSocket::readyRead, this, &InboundConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this, &InboundConnection::onDisconnected);
    connect(m_socket, &QSslSocket::encrypted, this, &InboundConnection::onEncrypted);
    connect(m_socket, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &) {
        m_socket->abort(); // a server verifies no peer; any SSL error ends the session
    });
    connect(m_socket, &QAbstractSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        if (e == QAbstractSocket::SslHandshakeFailedError || e == QAbstractSocket::SslInternalError) {
            log::LogEvent ev;
            ev.kind = log::LogKind::Session;
            ev.level = QStringLiteral("warning");
            ev.direction = QStringLiteral("in");
            ev.sessionId = m_session.config().sessionId;
            ev.clientIp = m_session.config().clientIp;
            ev.result = QStringLiteral("tls_failed");
            ev.message = QStringLiteral("TLS handshake failed: %1").arg(m_socket->errorString());
            m_host->log(ev);
            m_socket->abort();
            finish();
            return;
        }
        if (e != QAbstractSocket::RemoteHostClosedError && m_socket->state() != QAbstractSocket::ConnectedState)
            onDisconnected();
    });
    return true;
}

void InboundConnection::send(const QByteArray &bytes)
{
    if (m_socket)
        m_socket->write(bytes);
    else if (m_plain)
        m_plain->write(bytes);
}

qint64 InboundConnection::inputAvailable() const
{
    if (m_socket)
        return m_socket->bytesAvailable();
    return m_plain ? m_plain->bytesAvailable() : 0;
}

QByteArray InboundConnection::takeInput()
{
    if (m_socket)
        return m_socket->readAll();
    return m_plain ? m_plain->readAll() : QByteArray();
}

void InboundConnection::flushOutput()
{
    if (m_socket)
        m_socket->flush();
    else if (m_plain)
        m_plain->flush();
}

void InboundConnection::closeGracefully()
{
    if (m_socket)
        m_socket->disconnectFromHost();
    else if (m_plain)
        m_plain->disconnectFromHost();
}

void InboundConnection::abortSocket()
{
    if (m_socket)
        m_socket->abort();
    else if (m_plain)
        m_plain->abort();
}

InboundConnection::~InboundConnection()
{
    abortMessage();
}

void InboundConnection::setSessionTimeLimit(int ms)
{
    m_lifetime.setSingleShot(true);
    m_lifetime.setInterval(ms);
    connect(&m_lifetime, &QTimer::timeout, this, [this] {
        smtp::Output out;
        m_session.sessionTimeLimit(out);
        handle(out);
    });
}

void InboundConnection::start()
{
    m_elapsed.start();
    m_lastActivityMs = 0;
    m_host->lookupClientName(m_session.config().clientIp, this, [this](QString name) { m_clientName = name; });
    if (m_lifetime.interval() > 0)
        m_lifetime.start();
    touch();
    if (m_session.config().tlsActive) {
        // Implicit TLS (RFC 8314): handshake first, the greeting comes encrypted.
        if (!m_tls || !attachTlsSocket()) {
            abortSocket();
            finish();
            return;
        }
        m_socket->setSslConfiguration(*m_tls);
        m_socket->startServerEncryption();
        return;
    }
    m_greeted = true;
    smtp::Output out;
    m_session.start(out);
    handle(out);
}

void InboundConnection::startTls()
{
    if (!m_tls || m_socket) {
        abortSocket();
        finish();
        return;
    }
    m_plain->flush(); // the 220 goes out in clear before the handshake
    if (!attachTlsSocket()) {
        finish();
        return;
    }
    m_socket->setSslConfiguration(*m_tls);
    m_socket->startServerEncryption();
}

void InboundConnection::onEncrypted()
{
    const QString protocol = [this] {
        switch (m_socket->sessionProtocol()) {
        case QSsl::TlsV1_2:
            return QStringLiteral("TLSv1.2");
        case QSsl::TlsV1_3:
            return QStringLiteral("TLSv1.3");
        default:
            return QStringLiteral("TLS");
        }
    }();
    const QString cipher = m_socket->sessionCipher().name();
    touch();
    smtp::Output out;
    if (!m_greeted) {
        m_greeted = true;
        m_session.tlsStarted(protocol, cipher, out); // no-op for implicit TLS state-wise
        m_session.start(out);
    } else {
        m_session.tlsStarted(protocol, cipher, out);
    }
    handle(out);
    resumeReading();
}

void InboundConnection::resumeReading()
{
    if (inputAvailable() > 0)
        QMetaObject::invokeMethod(this, &InboundConnection::onReadyRead, Qt::QueuedConnection);
}

void InboundConnection::finishAuth(smtp::AuthOutcome outcome, int delayMs)
{
    QPointer<InboundConnection> self(this);
    auto deliver = [self, outcome] {
        if (!self || self->m_finished)
            return;
        smtp::Output out;
        self->m_session.authFinished(outcome, out);
        self->handle(out);
        self->resumeReading();
    };
    if (delayMs > 0)
        QTimer::singleShot(delayMs, this, deliver);
    else
        deliver();
}

void InboundConnection::gssapiStep(const QByteArray &token)
{
    if (m_finished)
        return;
    const smtp::SessionConfig &cfg = m_session.config();
    if (!m_gssapi) {
        finishAuth(smtp::AuthOutcome::of(smtp::AuthOutcome::Temporary), 0);
        return;
    }
    const auth::GssapiStep step = m_gssapi->step(token);
    if (step.kind == auth::GssapiStep::Continue) {
        smtp::Output out;
        m_session.saslChallenge(step.challenge, out);
        handle(out);
        resumeReading();
        return;
    }
    m_gssapi.reset();
    if (step.kind == auth::GssapiStep::Failed) {
        log::LogEvent e;
        e.kind = log::LogKind::Session;
        e.level = QStringLiteral("warning");
        e.direction = QStringLiteral("in");
        e.sessionId = cfg.sessionId;
        e.clientIp = cfg.clientIp;
        e.result = QStringLiteral("auth_failed");
        e.replyCode = 535;
        e.rule = QStringLiteral("auth");
        e.message = QStringLiteral("GSSAPI: %1").arg(step.error);
        m_host->log(e);
        finishAuth(smtp::AuthOutcome::of(smtp::AuthOutcome::Failure), 0);
        return;
    }
    m_authAttemptUser = step.principal;
    QPointer<InboundConnection> self(this);
    m_host->authenticatePrincipal(step.principal, step.authzid, cfg.clientIp, cfg.sessionId, cfg.listener,
                                  [self](smtp::AuthOutcome outcome, int delayMs) {
                                      if (self)
                                          self->finishAuth(outcome, delayMs);
                                  });
}

void InboundConnection::authenticate(const QByteArray &credentials)
{
    const qsizetype nul = credentials.indexOf('\0');
    const QByteArray user = credentials.left(nul);
    const QByteArray password = credentials.mid(nul + 1);
    m_authAttemptUser = QString::fromUtf8(user); // for the 535 row (AUTH-failure alerts per user)
    QPointer<InboundConnection> self(this);
    m_host->authenticate(user, password, m_session.config().clientIp, m_session.config().sessionId,
                         m_session.config().listener, [self](smtp::AuthOutcome outcome, int delayMs) {
                             if (self)
                                 self->finishAuth(outcome, delayMs);
                         });
}

void InboundConnection::shutdown()
{
    if (m_finished)
        return;
    smtp::Output out;
    m_session.shutdown(out);
    handle(out);
    flushOutput(); // the engine is stopping: push the 421 out before the socket goes
}

void InboundConnection::onReadyRead()
{
    if (m_closing) {
        takeInput();
        return;
    }
    touch();
    if (m_session.waitingForCommit() || m_session.waitingForAuth() || m_session.waitingForTls()
        || m_session.waitingForPolicy() || !m_greeted)
        return; // leave input in the socket (TCP back-pressure); resumed when the wait ends
    const QByteArray data = takeInput();
    smtp::Output out;
    m_session.feed(data, out);
    handle(out);
}

void InboundConnection::touch()
{
    // A timestamp, not a timer restart: restarting a QTimer on every read
    // costs a search through all of the thread's timers (one per session).
    m_lastActivityMs = m_elapsed.isValid() ? m_elapsed.elapsed() : 0;
    if (!m_idle.isActive() && !m_closing && !m_finished)
        m_idle.start(m_idleMs);
}

void InboundConnection::onIdleTimer()
{
    const qint64 idleFor = m_elapsed.elapsed() - m_lastActivityMs;
    if (idleFor < m_idleMs) {
        m_idle.start(int(m_idleMs - idleFor)); // activity since: wait for the rest
        return;
    }
    onTimeout();
}

void InboundConnection::onTimeout()
{
    smtp::Output out;
    m_session.timeout(out);
    handle(out);
}

void InboundConnection::handle(smtp::Output &out)
{
    if (!out.replies.isEmpty()) {
        send(out.replies);
        if (!out.rejections.empty())
            logRejections(out.rejections);
    }
    for (const QByteArray &line : std::as_const(out.transcript)) {
        if (m_transcript.size() > kTranscriptLimit)
            break;
        m_transcript += line;
        m_transcript += '\n';
        if (m_transcript.size() > kTranscriptLimit)
            m_transcript += "[transcript truncated]\n";
    }
    for (smtp::Action &a : out.actions) {
        switch (a.kind) {
        case ActionKind::BeginMessage:
            beginMessage();
            break;
        case ActionKind::MessageData:
            appendData(a.data);
            break;
        case ActionKind::EndMessage:
            endMessage();
            break;
        case ActionKind::AbortMessage:
            abortMessage();
            break;
        case ActionKind::Close:
            m_closing = true;
            m_idle.stop();
            closeGracefully();
            break;
        case ActionKind::StartTls:
            startTls();
            break;
        case ActionKind::Authenticate:
            authenticate(a.data);
            break;
        case ActionKind::GssapiBegin:
            m_gssapi = m_host->createGssapiExchange();
            m_authAttemptUser.clear();
            break;
        case ActionKind::GssapiStep: {
            // Stepped from the event loop, not inside this loop over actions.
            QPointer<InboundConnection> self(this);
            QMetaObject::invokeMethod(
                this, [self, token = a.data] { if (self) self->gssapiStep(token); }, Qt::QueuedConnection);
            break;
        }
        case ActionKind::CheckSender:
        case ActionKind::CheckRecipient:
            checkPolicy(a.kind == ActionKind::CheckSender, a.data);
            break;
        }
    }
}

void InboundConnection::checkPolicy(bool mail, const QByteArray &address)
{
    const smtp::SessionConfig &cfg = m_session.config();
    PolicyRequest r;
    r.mail = mail;
    r.sessionId = cfg.sessionId;
    r.clientIp = cfg.clientIp;
    r.helo = QString::fromUtf8(m_session.envelope().helo);
    r.user = QString::fromUtf8(m_session.authenticatedUser());
    r.relayRight = m_session.hasRelayRight();
    r.sender = QString::fromUtf8(mail ? address : m_session.envelope().mailFrom);
    if (!mail)
        r.recipient = QString::fromUtf8(address);
    QPointer<InboundConnection> self(this);
    m_host->checkPolicy(r, this, [self](const smtp::PolicyVerdict &verdict) {
        if (!self)
            return;
        smtp::Output out;
        self->m_session.policyFinished(verdict, out);
        self->handle(out);
        if (!self->m_session.waitingForPolicy() && self->inputAvailable() > 0)
            QMetaObject::invokeMethod(self.data(), &InboundConnection::onReadyRead, Qt::QueuedConnection);
    });
}

void InboundConnection::beginMessage()
{
    const smtp::Envelope &env = m_session.envelope();
    const smtp::SessionConfig &cfg = m_session.config();
    queue::SpoolEnvelope se;
    m_queueId = util::newQueueId();
    se.queueId = m_queueId;
    se.sender = env.mailFrom;
    se.recipients = env.rcptTo;
    m_receivedMs = QDateTime::currentMSecsSinceEpoch();
    se.receivedMs = m_receivedMs;
    se.clientIp = cfg.clientIp;
    se.helo = QString::fromUtf8(env.helo);
    auto joinParams = [](const QList<smtp::Param> &params) {
        QByteArrayList parts;
        for (const smtp::Param &p : params)
            parts << (p.value.isEmpty() ? p.key : p.key + '=' + p.value);
        return parts.join(' ');
    };
    se.mailParams = joinParams(env.mailParams);
    for (const QList<smtp::Param> &rp : env.rcptParams)
        se.rcptParams << joinParams(rp);
    se.origin = m_session.hasRelayRight() ? QStringLiteral("relay") : QStringLiteral("inbound");
    m_spool = std::make_unique<queue::SpoolFile>(m_host->spoolDir(), se, m_host->spoolRecycler());
    m_head.clear();
    m_eightBit = false;
    m_bytes = 0;
    QString error;
    if (!m_spool->begin(&error)) {
        log::LogEvent e;
        e.kind = log::LogKind::System;
        e.level = QStringLiteral("error");
        e.sessionId = cfg.sessionId;
        e.message = error;
        m_host->log(e);
        return; // finish() reports the failure; the session answers 451
    }
    // Our trace header (RFC 5321 4.4).
    // RFC 3848 protocol names: ESMTP, ESMTPS (TLS), ESMTPA (AUTH), ESMTPSA.
    QByteArray with = env.esmtp ? "ESMTP" : "SMTP";
    if (m_session.tlsActive())
        with += "S";
    if (!m_session.authenticatedUser().isEmpty())
        with += "A";
    QByteArray received = "Received: from " + (env.helo.isEmpty() ? QByteArray("unknown") : env.helo) +
                          " (" + (m_clientName.isEmpty() ? QByteArray("unknown") : QUrl::toAce(m_clientName)) + " [" +
                          cfg.clientIp.toLatin1() + "])\r\n";
    if (m_session.tlsActive())
        received += "\t(using " + m_session.tlsProtocol().toLatin1() + " with cipher " +
                    m_session.tlsCipher().toLatin1() + ")\r\n";
    received += "\tby " + cfg.hostname.toUtf8() + " (RelayDesk) with " + with + " id " + m_queueId.toLatin1();
    if (env.rcptTo.size() == 1)
        received += "\r\n\tfor <" + env.rcptTo.first() + ">";
    received += "; " +
                QLocale::c()
                    .toString(QDateTime::currentDateTimeUtc(), QStringLiteral("ddd, d MMM yyyy hh:mm:ss +0000"))
                    .toLatin1() +
                "\r\n";
    m_spool->append(received.constData(), received.size());
}

void InboundConnection::appendData(const QByteArray &data)
{
    if (!m_spool)
        return;
    m_spool->append(data.constData(), data.size());
    m_bytes += data.size();
    if (m_head.size() < 65536)
        m_head.append(data.left(65536 - m_head.size()));
    if (!m_eightBit) {
        for (char c : data) {
            if (uchar(c) >= 0x80) {
                m_eightBit = true;
                break;
            }
        }
    }
}

void InboundConnection::endMessage()
{
    smtp::CommitResult fail;
    fail.ok = false;
    fail.temporary = true;
    QString error;
    if (!m_spool || m_spool->failed() || !m_spool->finish(&error)) {
        fail.error = error.isEmpty() ? QStringLiteral("spool write failed") : error;
        m_spool.reset();
        smtp::Output out;
        m_session.commitFinished(fail, out);
        handle(out);
        return;
    }
    const smtp::Envelope &env = m_session.envelope();
    const smtp::SessionConfig &cfg = m_session.config();
    queue::QueueEntry entry;
    entry.spoolPath = m_spool->finalPath();
    entry.bodyOffset = m_spool->bodyOffset();
    entry.eightBit = m_eightBit;
    entry.origin = m_spool->envelope().origin;
    for (const smtp::Param &p : env.mailParams)
        entry.smtpUtf8 = entry.smtpUtf8 || p.key == "SMTPUTF8";
    queue::MessageInfo &m = entry.info;
    m.queueId = m_queueId;
    m.sender = env.mailFrom;
    for (const QByteArray &r : env.rcptTo)
        m.recipients.append(queue::RecipientInfo{r, queue::RecipientState::Pending, 0, {}});
    m.recipientCount = m.recipients.size();
    m.size = m_spool->contentSize();
    m.received = QDateTime::fromMSecsSinceEpoch(m_receivedMs, Qt::UTC);
    m.state = queue::MessageState::Queued;
    m.clientIp = cfg.clientIp;
    m.heloName = QString::fromUtf8(env.helo);
    queue::scanHeaders(m_head, &m.messageId, &m.subject);
    const QString tmp = m_spool->tmpPath();
    m_spool.reset();
    // A mail loop (RFC 5321 6.3): more Received fields than allowed, ours
    // included. Refused before the 250, so the sending side bounces it.
    const int hops = queue::countReceived(m_head) + 1;
    if (hops > cfg.limits.maxHops) {
        QFile::remove(tmp);
        smtp::CommitResult r;
        r.ok = false;
        r.temporary = false;
        r.policy.reply = smtp::ReplyId::TooManyHops;
        r.policy.text = QByteArray::number(hops) + " Received header fields, at most " +
                        QByteArray::number(cfg.limits.maxHops) + " allowed (mail loop?)";
        log::LogEvent e;
        e.kind = log::LogKind::Receive;
        e.direction = QStringLiteral("in");
        e.level = QStringLiteral("warning");
        e.sessionId = cfg.sessionId;
        e.clientIp = cfg.clientIp;
        e.clientName = m_clientName;
        e.helo = QString::fromUtf8(env.helo);
        e.sender = QString::fromUtf8(env.mailFrom);
        QStringList rl;
        for (const QByteArray &rc : env.rcptTo)
            rl << QString::fromUtf8(rc);
        e.recipients = rl.join(QLatin1Char(','));
        e.user = QString::fromUtf8(m_session.authenticatedUser());
        e.bytes = m.size;
        e.result = QStringLiteral("rejected");
        const smtp::ReplySpec &spec = smtp::replySpec(smtp::ReplyId::TooManyHops);
        e.replyCode = spec.code;
        e.enhancedCode = QString::fromLatin1(spec.enhanced);
        e.rule = QStringLiteral("delivery.max_hops");
        e.message = QString::fromUtf8(smtp::formatReply(smtp::ReplyId::TooManyHops, r.policy.text).trimmed());
        m_host->log(e);
        m_host->messageRejected();
        smtp::Output out;
        m_session.commitFinished(r, out);
        out.rejections.clear();
        handle(out);
        return;
    }

    QPointer<InboundConnection> self(this);
    const QString qid = m_queueId;
    const qint64 size = m.size;
    QStringList rcpts;
    for (const QByteArray &r : env.rcptTo)
        rcpts << QString::fromUtf8(r);
    log::LogEvent e;
    e.kind = log::LogKind::Receive;
    e.direction = QStringLiteral("in");
    e.sessionId = cfg.sessionId;
    e.clientIp = cfg.clientIp;
    e.clientName = m_clientName;
    e.helo = QString::fromUtf8(env.helo);
    e.sender = QString::fromUtf8(env.mailFrom);
    e.recipients = rcpts.join(QLatin1Char(','));
    e.queueId = qid;
    e.bytes = size;
    e.user = QString::fromUtf8(m_session.authenticatedUser());
    e.tlsVersion = m_session.tlsProtocol();
    e.tlsCipher = m_session.tlsCipher();
    e.message = m.messageId.isEmpty() ? QString() : QStringLiteral("message-id=%1").arg(m.messageId);
    InboundHost *host = m_host;
    const QString listener = cfg.listener;
    auto commit = [self, host, e, qid, tmp, listener](const queue::QueueEntry &entry, const QString &checks) mutable {
    if (!checks.isEmpty())
        e.message = e.message.isEmpty() ? checks : e.message + QLatin1Char(' ') + checks;
    host->commitMessage(entry, tmp, [self, host, e, qid, entry, listener](bool ok, QString err) mutable {
        if (ok)
            host->messageQueued(entry, listener,
                                e.tlsVersion.isEmpty() ? QString() : e.tlsVersion + QLatin1Char(' ') + e.tlsCipher);
        e.result = ok ? QStringLiteral("accepted") : QStringLiteral("error");
        e.replyCode = ok ? 250 : 451;
        e.enhancedCode = ok ? QStringLiteral("2.0.0") : QStringLiteral("4.3.0");
        if (!ok) {
            e.level = QStringLiteral("error");
            e.message = err;
        }
        host->log(e);
        if (!self)
            return;
        smtp::CommitResult r;
        r.ok = ok;
        r.temporary = true;
        r.queueId = qid;
        r.error = err;
        smtp::Output out;
        self->m_session.commitFinished(r, out);
        self->handle(out);
        if (self->inputAvailable() > 0)
            self->onReadyRead();
    });
    };
    const bool authChecks = entry.origin == QLatin1String("inbound") && host->inboundChecksEnabled();
    const QString helo = QString::fromUtf8(env.helo);
    const QString clientIp = cfg.clientIp;
    const QString mailFrom = QString::fromUtf8(env.mailFrom);
    // SPF, DKIM and DMARC before the 250: the results go on top of the
    // message as an Authentication-Results field. A client that leaves
    // meanwhile never got its 250: the message is dropped, as Postfix does.
    auto checkAuth = [self, host, commit, tmp, authChecks, helo, clientIp, mailFrom](queue::QueueEntry entry,
                                                                                     QString notes) mutable {
        if (!authChecks) {
            commit(entry, notes);
            return;
        }
        host->checkInbound(clientIp, helo, mailFrom, tmp, entry.bodyOffset,
                           [self, entry, commit, tmp, notes](const QByteArray &header, const QString &summary) mutable {
                               if (!self) {
                                   QFile::remove(tmp);
                                   return;
                               }
                               queue::QueueEntry withResults = entry;
                               withResults.prepend = header + entry.prepend;
                               commit(withResults, notes.isEmpty() ? summary : notes + QLatin1Char(' ') + summary);
                           });
    };
    if (!host->contentChecksEnabled()) {
        checkAuth(entry, QString());
        return;
    }
    ContentRequest request;
    request.sessionId = cfg.sessionId;
    request.clientIp = cfg.clientIp;
    request.user = e.user;
    request.relayRight = m_session.hasRelayRight();
    request.sender = mailFrom;
    request.recipients = rcpts;
    request.spoolPath = tmp;
    request.bodyOffset = entry.bodyOffset;
    request.size = size;
    host->checkContent(request, this, [self, host, entry, e, tmp, checkAuth](const ContentDecision &d) mutable {
        if (!self) {
            QFile::remove(tmp);
            return;
        }
        if (!d.verdict.accepted()) {
            // Refused by a content rule: the file goes, the client gets 550 naming the rule.
            QFile::remove(tmp);
            const smtp::ReplySpec &spec = smtp::replySpec(*d.verdict.reply);
            e.level = QStringLiteral("warning");
            e.result = QStringLiteral("rejected");
            e.replyCode = spec.code;
            e.enhancedCode = QString::fromLatin1(spec.enhanced);
            e.rule = QString::fromUtf8(d.verdict.rule);
            e.message = QString::fromUtf8(smtp::formatReply(*d.verdict.reply, d.verdict.text).trimmed());
            e.queueId.clear();
            host->log(e);
            host->messageRejected();
            smtp::CommitResult r;
            r.ok = false;
            r.policy = d.verdict;
            r.policy.rule.clear(); // logged above with the message's details
            smtp::Output out;
            self->m_session.commitFinished(r, out);
            out.rejections.clear();
            self->handle(out);
            return;
        }
        queue::QueueEntry decided = entry;
        decided.prepend += d.prepend;
        QString notes;
        if (d.hold) {
            decided.info.state = queue::MessageState::Held;
            notes = QStringLiteral("held by rule \"%1\"").arg(d.rule);
        } else if (!d.prepend.isEmpty()) {
            notes = QStringLiteral("header added by rule \"%1\"").arg(d.rule);
        }
        checkAuth(decided, notes);
    });
}

void InboundConnection::abortMessage()
{
    if (m_spool) {
        m_spool->discard();
        m_spool.reset();
    }
}

void InboundConnection::logRejections(const std::vector<smtp::Rejection> &rejections)
{
    // One row per 4xx/5xx reply, naming the command it answered.
    for (const smtp::Rejection &r : rejections) {
        ++m_rejections;
        m_host->messageRejected();
        m_host->clientRefused(m_session.config().clientIp, r.code, r.command);
        const smtp::Envelope &env = m_session.envelope();
        const smtp::SessionConfig &cfg = m_session.config();
        log::LogEvent e;
        e.kind = log::LogKind::Receive;
        e.level = QStringLiteral("warning");
        e.direction = QStringLiteral("in");
        e.sessionId = cfg.sessionId;
        e.clientIp = cfg.clientIp;
    e.clientName = m_clientName;
        e.helo = QString::fromUtf8(env.helo);
        e.sender = QString::fromUtf8(env.mailFrom);
        e.user = QString::fromUtf8(m_session.authenticatedUser());
        e.tlsVersion = m_session.tlsProtocol();
        e.tlsCipher = m_session.tlsCipher();
        QStringList rcpts;
        if (r.command.size() > 4 && r.command.left(4).toUpper() == "RCPT") {
            // The refused recipient, as the client wrote it.
            const int lt = r.command.indexOf('<');
            const int gt = r.command.indexOf('>', lt + 1);
            if (lt >= 0 && gt > lt)
                rcpts << QString::fromUtf8(r.command.mid(lt + 1, gt - lt - 1));
        } else {
            for (const QByteArray &a : env.rcptTo)
                rcpts << QString::fromUtf8(a);
        }
        e.recipients = rcpts.join(QLatin1Char(','));
        e.replyCode = r.code;
        const QByteArray &line = r.reply;
        const int sp = line.indexOf(' ', 4);
        const QByteArray esc = sp > 4 ? line.mid(4, sp - 4) : QByteArray();
        if (!esc.isEmpty() && esc.at(0) == line.at(0) && esc.contains('.'))
            e.enhancedCode = QString::fromLatin1(esc);
        e.result = r.code >= 500 ? QStringLiteral("rejected") : QStringLiteral("tempfail");
        e.rule = QString::fromUtf8(r.rule);
        if (r.code == 535 && e.user.isEmpty())
            e.user = m_authAttemptUser; // the name tried, never the password
        e.message = QString::fromUtf8(line);
        if (!r.command.isEmpty())
            e.message += QStringLiteral(" (command: %1)").arg(QString::fromLatin1(r.command));
        m_host->log(e);
    }
}

void InboundConnection::onDisconnected()
{
    finish();
}

void InboundConnection::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_idle.stop();
    m_lifetime.stop();
    abortMessage();
    const smtp::SessionConfig &cfg = m_session.config();
    log::LogEvent e;
    e.kind = log::LogKind::Session;
    e.direction = QStringLiteral("in");
    e.sessionId = cfg.sessionId;
    e.clientIp = cfg.clientIp;
    e.clientName = m_clientName;
    e.helo = QString::fromUtf8(m_session.envelope().helo);
    e.replyCode = m_session.lastReplyCode();
    e.user = QString::fromUtf8(m_session.authenticatedUser());
    e.tlsVersion = m_session.tlsProtocol();
    e.tlsCipher = m_session.tlsCipher();
    e.durationMs = m_elapsed.isValid() ? m_elapsed.elapsed() : 0;
    e.result = QStringLiteral("closed");
    e.message = QStringLiteral("messages=%1 rejections=%2").arg(m_session.messagesAccepted()).arg(m_rejections);
    if (!cfg.viaProxy.isEmpty())
        e.message += QStringLiteral(" via=%1").arg(cfg.viaProxy); // the load balancer (PROXY protocol)
    m_host->log(e);
    if (!m_transcript.isEmpty() && m_host->transcriptsEnabled())
        m_host->logTranscript(cfg.sessionId, m_started, QString::fromUtf8(m_transcript));
    m_host->sessionClosed();
    emit finished();
    deleteLater();
}

} // namespace rd::net

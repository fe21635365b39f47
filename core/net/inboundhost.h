#pragma once
// What an inbound SMTP connection needs from the engine: the spool, durable
// commit, logging and counters. Implemented by Engine; keeps core/net free of
// engine details (layers only use the layers below them).

#include "log/logtypes.h"
#include "queue/queuestore.h"
#include "smtp/serversession.h"

#include <QString>
#include <functional>

namespace rd::net {

class InboundHost {
public:
    virtual ~InboundHost() = default;

    virtual QString hostname() const = 0;
    virtual QString spoolDir() const = 0;
    // Makes the spool file durable and queues the message; `done` runs later
    // in the engine thread (see QueueStore::commit).
    virtual void commitMessage(const queue::QueueEntry &entry, const QString &tmpPath,
                               std::function<void(bool, QString)> done) = 0;
    virtual void log(log::LogEvent event) = 0;
    virtual void sessionOpened() = 0;
    virtual void sessionClosed() = 0;
    virtual void messageRejected() = 0;
    // Verifies AUTH credentials off the engine thread; `done(outcome, delayMs)`
    // runs later in the engine thread. The caller answers after delayMs
    // (failure throttling). Implementations never log the password.
    virtual void authenticate(const QByteArray &user, const QByteArray &password, const QString &clientIp,
                              const QString &sessionId,
                              std::function<void(smtp::AuthOutcome, int)> done) = 0;
    // The client's verified host name (PTR whose name resolves back to the
    // address, as Postfix does), or "" when there is none; `done` runs later
    // in the engine thread unless `context` was destroyed first.
    virtual void lookupClientName(const QString &clientIp, QObject *context, std::function<void(QString)> done) = 0;
    // Inbound SPF/DKIM/DMARC checks (mailauth.inbound_checks) for mail from
    // clients without the relay right. checkInbound() reads the finished (not
    // yet committed) spool file at `spoolPath` from `bodyOffset` and calls
    // `done(authResultsField, summary)` exactly once, later, in the engine
    // thread, bounded by mailauth.check_timeout_ms.
    virtual bool inboundChecksEnabled() const = 0;
    virtual void checkInbound(const QString &clientIp, const QString &helo, const QString &mailFrom,
                              const QString &spoolPath, qint64 bodyOffset,
                              std::function<void(const QByteArray &, const QString &)> done) = 0;
};

} // namespace rd::net

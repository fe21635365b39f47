#pragma once
// What an inbound SMTP connection needs from the engine: the spool, durable
// commit, logging and counters. Implemented by Engine; keeps core/net free of
// engine details (layers only use the layers below them).

#include "log/logtypes.h"
#include "queue/queuestore.h"
#include "smtp/serversession.h"

#include "auth/gssapiexchange.h"

#include <QDateTime>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>

namespace rd::net {

// A MAIL or RCPT for the host's policy (rate limits, DNSBL, greylisting,
// blocked addresses).
struct PolicyRequest {
    bool mail = true;        // CheckSender (true) or CheckRecipient (false)
    QString sessionId;
    QString clientIp;
    QString helo;
    QString user;            // authenticated user, empty if none
    bool relayRight = false; // listed address or a user with the relay right
    QString sender;          // the reverse-path (for RCPT: the transaction's)
    QString recipient;       // RCPT only
};

// The message as received, for the content rules (before the commit).
struct ContentRequest {
    QString sessionId;
    QString clientIp;
    QString user;
    bool relayRight = false;
    QString sender;
    QStringList recipients;
    QString spoolPath;       // the finished, not yet committed spool file
    qint64 bodyOffset = 0;   // where the message starts in it
    qint64 size = 0;         // message octets
};

struct ContentDecision {
    smtp::PolicyVerdict verdict; // a refusal (550 5.7.1 naming the rule), or accept
    bool hold = false;           // accept, but keep the message on hold for review
    QByteArray prepend;          // header fields to add on top ("Name: value\r\n"...)
    QString rule;                // the rule that decided hold/prepend, for the log
};

class InboundHost {
public:
    virtual ~InboundHost() = default;

    virtual QString hostname() const = 0;
    virtual QString spoolDir() const = 0;
    // Spare spool files to write new messages over (null: create each file).
    virtual queue::SpoolRecycler *spoolRecycler() const { return nullptr; }
    // Makes the spool file durable and queues the message; `done` runs later
    // in the engine thread (see QueueStore::commit).
    virtual void commitMessage(const queue::QueueEntry &entry, const QString &tmpPath,
                               std::function<void(bool, QString)> done) = 0;
    virtual void log(log::LogEvent event) = 0;
    // A message was committed (after commitMessage's done(true)): message
    // tracking remembers it with the listener's name and the session's TLS.
    virtual void messageQueued(const queue::QueueEntry &entry, const QString &listener, const QString &tls) = 0;
    virtual void sessionOpened() = 0;
    virtual void sessionClosed() = 0;
    virtual void messageRejected() = 0;
    // Verifies AUTH credentials off the engine thread; `done(outcome, delayMs)`
    // runs later in the engine thread. The caller answers after delayMs
    // (failure throttling). Implementations never log the password.
    // `listener` (its name) decides a directory user's relay right and sender check.
    virtual void authenticate(const QByteArray &user, const QByteArray &password, const QString &clientIp,
                              const QString &sessionId, const QString &listener,
                              std::function<void(smtp::AuthOutcome, int)> done) = 0;
    // AUTH GSSAPI (RFC 4752): a new exchange with the configured keytab (null
    // when GSSAPI is not configured), and, once the client proved a Kerberos
    // principal, its directory user, relay right and sender addresses;
    // `done(outcome, delayMs)` runs later in the engine thread. outcome.user
    // is the name the session records.
    virtual std::unique_ptr<auth::GssapiExchange> createGssapiExchange() { return nullptr; }
    virtual void authenticatePrincipal(const QString &principal, const QString &authzid, const QString &clientIp,
                                       const QString &sessionId, const QString &listener,
                                       std::function<void(smtp::AuthOutcome, int)> done)
    {
        Q_UNUSED(principal) Q_UNUSED(authzid) Q_UNUSED(clientIp) Q_UNUSED(sessionId) Q_UNUSED(listener)
        done(smtp::AuthOutcome::of(smtp::AuthOutcome::Failure), 0);
    }
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

    // ---- abuse control (core/policy) ----
    // At accept time, before the greeting: connection rate limits for the
    // client. An accepted connection is paired with connectionEnded() later;
    // a refused one gets verdict's 421 and is closed. May start background
    // work for the session (the DNSBL lookup).
    virtual smtp::PolicyVerdict admitConnection(const QString &clientIp, const QString &sessionId,
                                                bool relayAllowed) = 0;
    virtual void connectionEnded(const QString &clientIp, const QString &sessionId) = 0;
    // Every 4xx/5xx reply a session gave, with the command it answered (the
    // automatic bans count AUTH failures, refused recipients, protocol errors).
    virtual void clientRefused(const QString &clientIp, int replyCode, const QByteArray &command) = 0;
    // True when a MAIL/RCPT policy is configured: sessions then emit
    // CheckSender/CheckRecipient, answered by checkPolicy().
    virtual bool policyChecksEnabled() const = 0;
    // Calls done(verdict) exactly once (possibly at once, possibly later in
    // the engine thread) unless `context` was destroyed first.
    virtual void checkPolicy(const PolicyRequest &request, QObject *context,
                             std::function<void(const smtp::PolicyVerdict &)> done) = 0;
    // Content rules at the end of DATA (before the commit): same contract.
    virtual bool contentChecksEnabled() const = 0;
    virtual void checkContent(const ContentRequest &request, QObject *context,
                              std::function<void(const ContentDecision &)> done) = 0;
    // Session transcripts for the log browser (log.transcripts).
    virtual bool transcriptsEnabled() const = 0;
    virtual void logTranscript(const QString &sessionId, const QDateTime &start, const QString &lines) = 0;
};

} // namespace rd::net

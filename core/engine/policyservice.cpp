#include "engine/policyservice.h"

#include "config/settings.h"
#include "policy/banstore.h"
#include "policy/connectionadmission.h"
#include "policy/contentfilter.h"
#include "policy/dnsbl.h"
#include "policy/greylist.h"
#include "policy/ratelimiter.h"
#include "storage/database.h"

#include <QDateTime>
#include <QFile>
#include <QHostAddress>
#include <QSqlDatabase>
#include <QFutureWatcher>
#include <QPromise>
#include <QThreadPool>
#include "util/clock.h"

namespace rd::engine {

using smtp::PolicyVerdict;
using smtp::ReplyId;

struct PolicyService::SessionState {
    QString ip;
    bool counted = false;        // RateLimiter::connect() succeeded: disconnect() at the end
    bool dnsblPending = false;
    policy::DnsblCheckId dnsblId = 0;
    bool listed = false;
    QString zone;
    QString meaning;
    std::vector<std::function<void()>> waiters; // RCPT checks waiting for the lookup
};

namespace {
using util::nowMs;

PolicyVerdict refuse(ReplyId id, const QString &text, const QString &rule)
{
    PolicyVerdict v;
    v.reply = id;
    v.text = text.toUtf8();
    v.rule = rule.toUtf8();
    return v;
}

bool isEnvelopeTarget(config::RuleTarget t)
{
    return t == config::RuleTarget::Sender || t == config::RuleTarget::Recipient;
}

// The earlier (lower index) of two verdicts that matched.
const policy::ContentVerdict &earlier(const policy::ContentVerdict &a, const policy::ContentVerdict &b)
{
    if (!a.matched)
        return b;
    if (!b.matched)
        return a;
    return a.ruleIndex <= b.ruleIndex ? a : b;
}

// Runs on a pool thread: the filter is immutable and thread-safe.
net::ContentDecision decideContent(const policy::ContentFilter &filter, const net::ContentRequest &r,
                                   QString *problem)
{
    policy::ContentVerdict env = filter.checkSender(r.sender);
    for (const QString &rcpt : r.recipients)
        env = earlier(env, filter.checkRecipient(rcpt));
    policy::ContentVerdict chosen = env;
    if (filter.needsMessage()) {
        QFile f(r.spoolPath);
        QByteArray message;
        if (!f.open(QIODevice::ReadOnly) || !f.seek(r.bodyOffset)) {
            *problem = QStringLiteral("content rules: cannot read %1: %2").arg(r.spoolPath, f.errorString());
        } else {
            message = f.readAll();
            const policy::ContentVerdict mv = filter.check(message, env.matched ? env.ruleIndex : -1);
            chosen = earlier(env, mv);
            if (mv.mimeIncomplete)
                *problem = QStringLiteral("content rules: the MIME structure of the message from %1 was not fully "
                                          "examined (%2 defects)").arg(r.clientIp).arg(mv.mimeDefects);
        }
    }
    net::ContentDecision d;
    if (!chosen.matched)
        return d;
    d.rule = chosen.ruleName;
    switch (chosen.action) {
    case config::RuleAction::Reject:
        d.verdict = refuse(ReplyId::ContentRejected, chosen.reason, chosen.ruleName);
        break;
    case config::RuleAction::Hold:
        d.hold = true;
        break;
    case config::RuleAction::AddHeader:
        d.prepend = chosen.headerLine;
        break;
    case config::RuleAction::Accept:
        d.rule.clear();
        break;
    }
    return d;
}

} // namespace

PolicyService::PolicyService(QString dataDir, QObject *parent)
    : QObject(parent), m_dataDir(std::move(dataDir)), m_limiter(std::make_unique<policy::RateLimiter>()),
      m_greylist(std::make_unique<policy::Greylist>()), m_content(std::make_shared<policy::ContentFilter>())
{
    m_persistTimer.setInterval(60 * 1000);
    connect(&m_persistTimer, &QTimer::timeout, this, [this] {
        for (const QString &p : persist())
            emit note(QStringLiteral("policy_state"), p, QStringLiteral("warning"));
    });
    m_persistTimer.start();
    m_banStore = new policy::BanStore(m_dataDir, this);
    connect(m_banStore, &policy::BanStore::saveFailed, this, [this](const QString &error) {
        emit note(QStringLiteral("bans"), QStringLiteral("bans could not be saved (kept in memory, retried): %1").arg(error),
                  QStringLiteral("warning"));
    });
    // Addresses an Allow rule covers are never banned automatically.
    m_bans.setExemption([this](const QHostAddress &client, qint64 now) {
        return m_connectionRules.decide(client, now).allowed();
    });
}

PolicyService::~PolicyService() = default;

QStringList PolicyService::load()
{
    QStringList problems;
    QString error;
    const QString conn = storage::uniqueConnectionName(QStringLiteral("policy"));
    {
        QSqlDatabase db = storage::openDatabase(m_dataDir, storage::DbKind::Config, conn, {}, &error);
        if (!db.isOpen()) {
            problems << error;
        } else {
            if (!m_limiter->load(db, &error))
                problems << QStringLiteral("rate limit counters: %1").arg(error);
            if (!m_greylist->load(db, nowMs(), &error))
                problems << QStringLiteral("greylisting: %1").arg(error);
        }
    }
    storage::closeDatabase(conn);
    QList<policy::Ban> stored;
    if (m_banStore->load(&stored, &error)) {
        m_bans.load(stored, nowMs());
        saveBans(); // expired ones are deleted
    } else {
        problems << QStringLiteral("bans: %1").arg(error);
    }
    return problems;
}

QStringList PolicyService::persist()
{
    QStringList problems;
    QString error;
    const QString conn = storage::uniqueConnectionName(QStringLiteral("policy"));
    {
        QSqlDatabase db = storage::openDatabase(m_dataDir, storage::DbKind::Config, conn, {}, &error);
        if (!db.isOpen()) {
            problems << error;
        } else {
            if (!m_limiter->save(db, &error))
                problems << QStringLiteral("rate limit counters: %1").arg(error);
            if (!m_greylist->flush(db, &error, nowMs()))
                problems << QStringLiteral("greylisting: %1").arg(error);
        }
    }
    storage::closeDatabase(conn);
    m_bans.purgeExpired(nowMs());
    saveBans();
    return problems;
}

void PolicyService::saveBans()
{
    m_banStore->save(m_bans.takeChanges());
}

void PolicyService::recordFailure(const QString &clientIp, policy::FailureKind kind)
{
    if (!m_bansOn)
        return;
    const std::optional<policy::Ban> ban = m_bans.recordFailure(QHostAddress(clientIp), kind, nowMs());
    if (!ban)
        return;
    emit note(QStringLiteral("ban"),
              QStringLiteral("client %1 banned until %2 UTC: %3")
                  .arg(ban->ip, ban->expires.toUTC().toString(Qt::ISODate), ban->reason),
              QStringLiteral("warning"));
    saveBans();
}

QList<policy::Ban> PolicyService::bans() const
{
    return m_bans.list(nowMs());
}

bool PolicyService::unban(const QString &key)
{
    if (!m_bans.unban(key))
        return false;
    emit note(QStringLiteral("unban"), QStringLiteral("ban of %1 lifted by the administrator").arg(key),
              QStringLiteral("info"));
    saveBans();
    return true;
}

void PolicyService::configure(const config::ConfigSnapshot &config)
{
    using namespace config::keys;
    for (const QString &e : m_connectionRules.setRules(config.connectionRules))
        emit note(QStringLiteral("connection_rules"), e, QStringLiteral("warning"));
    const policy::BanParams bp = policy::BanParams::fromConfig(config);
    m_bans.setParams(bp);
    m_bansOn = bp.enabled;
    m_limiter->setRules(config.rateLimits);
    m_inboundRules = false;
    m_outboundRules = false;
    for (const config::RateLimitRule &r : config.rateLimits) {
        if (!r.enabled)
            continue;
        if (config::isOutboundScope(r.scope))
            m_outboundRules = true;
        else
            m_inboundRules = true;
    }

    policy::GreylistParams gp;
    gp.delaySeconds = int(config.intValue(kGreylistDelay));
    gp.retryWindowSeconds = int(config.intValue(kGreylistRetryWindow));
    gp.expiryDays = int(config.intValue(kGreylistExpiry));
    m_greylist->setParams(gp);
    m_greylistOn = config.boolValue(kGreylisting);

    auto filter = std::make_shared<policy::ContentFilter>();
    filter->setRules(config.contentRules);
    for (const QString &e : filter->errors())
        emit note(QStringLiteral("content_rules"), e, QStringLiteral("warning"));
    m_envelopeRules = false;
    m_envelopeActions = false;
    for (const config::ContentRule &r : config.contentRules) {
        if (!r.enabled || !isEnvelopeTarget(r.target))
            continue;
        m_envelopeRules = true;
        m_envelopeActions = m_envelopeActions || r.action == config::RuleAction::Hold
                            || r.action == config::RuleAction::AddHeader;
    }
    m_content = std::move(filter);

    QList<config::DnsblZone> zones;
    for (const config::DnsblZone &z : config.dnsblZones) {
        if (z.enabled)
            zones << z;
    }
    m_dnsblOn = config.boolValue(kDnsblCheckClients) && !zones.isEmpty();
    if (!m_dnsbl) {
        m_dnsbl = new policy::DnsblChecker(m_resolver, this);
    }
    QStringList zoneErrors;
    m_dnsbl->setZones(zones, &zoneErrors);
    m_dnsbl->setTimeoutMs(int(config.intValue(kDnsTimeout)) * 2);
    for (const QString &e : std::as_const(zoneErrors))
        emit note(QStringLiteral("dnsbl_zones"), e, QStringLiteral("warning"));
}

void PolicyService::setResolver(dns::Resolver *resolver)
{
    m_resolver = resolver;
    // Lookups in flight on the old resolver finish as "not checked".
    const auto sessions = m_sessions;
    for (auto it = sessions.begin(); it != sessions.end(); ++it) {
        if (it.value()->dnsblPending) {
            policy::DnsblResult none;
            finishDnsbl(it.key(), none);
        }
    }
    // The zones and their codes come with the next configure() call, which the
    // engine makes right after a resolver change.
    delete m_dnsbl;
    m_dnsbl = new policy::DnsblChecker(resolver, this);
}

bool PolicyService::envelopeChecksEnabled() const
{
    return m_inboundRules || m_dnsblOn || m_greylistOn || m_envelopeRules;
}

bool PolicyService::contentChecksEnabled() const
{
    return m_content->needsMessage() || m_envelopeActions;
}

PolicyVerdict PolicyService::admit(const QString &clientIp, const QString &sessionId, bool relayAllowed)
{
    {
        const policy::Admission a =
            policy::admitConnection(m_connectionRules, m_bansOn ? &m_bans : nullptr, QHostAddress(clientIp), nowMs());
        if (a.verdict == policy::Admission::RefusedByRule)
            return refuse(ReplyId::ConnectionRefused, a.text, QStringLiteral("connection rule %1").arg(a.ruleLabel));
        if (a.verdict == policy::Admission::RefusedByBan)
            return refuse(ReplyId::ConnectionRefused, a.text, QStringLiteral("ban"));
    }
    auto state = std::make_shared<SessionState>();
    state->ip = clientIp;
    if (m_inboundRules) {
        if (const auto refusal = m_limiter->connect(clientIp))
            return refuse(ReplyId::ConnectionRateLimited, refusal->text, config::describeRateLimit(refusal->rule));
        state->counted = true;
    }
    if (m_dnsblOn && !relayAllowed && m_dnsbl) {
        const QHostAddress address(clientIp);
        state->dnsblPending = true;
        m_sessions.insert(sessionId, state);
        const QString sid = sessionId;
        state->dnsblId = m_dnsbl->check(address, this, [this, sid](const policy::DnsblResult &r) {
            finishDnsbl(sid, r);
        });
        return {};
    }
    if (state->counted)
        m_sessions.insert(sessionId, state);
    return {};
}

void PolicyService::finishDnsbl(const QString &sessionId, const policy::DnsblResult &result)
{
    const auto it = m_sessions.find(sessionId);
    if (it == m_sessions.end())
        return;
    const std::shared_ptr<SessionState> state = it.value();
    if (!state->dnsblPending)
        return;
    state->dnsblPending = false;
    state->dnsblId = 0;
    state->listed = result.listed;
    state->zone = result.zone;
    state->meaning = result.meaning;
    if (!result.errors.isEmpty()) {
        QStringList errors;
        for (const policy::DnsblError &e : result.errors)
            errors << e.toString();
        emit note(QStringLiteral("dnsbl_error"),
                  QStringLiteral("client %1: %2 (treated as not listed)").arg(state->ip, errors.join(QStringLiteral("; "))),
                  QStringLiteral("warning"));
    }
    std::vector<std::function<void()>> waiters;
    waiters.swap(state->waiters);
    for (auto &w : waiters)
        w();
}

void PolicyService::ended(const QString &clientIp, const QString &sessionId)
{
    const auto it = m_sessions.find(sessionId);
    if (it == m_sessions.end())
        return;
    const std::shared_ptr<SessionState> state = it.value();
    m_sessions.erase(it);
    if (state->counted)
        m_limiter->disconnect(clientIp);
    if (state->dnsblPending && m_dnsbl)
        m_dnsbl->cancel(state->dnsblId);
}

void PolicyService::check(const net::PolicyRequest &request, QObject *context,
                          std::function<void(const PolicyVerdict &)> done)
{
    if (request.mail) {
        if (m_envelopeRules) {
            const policy::ContentVerdict v = m_content->checkSender(request.sender);
            if (v.matched && v.action == config::RuleAction::Reject) {
                done(refuse(ReplyId::SenderRejected, v.reason, v.ruleName));
                return;
            }
        }
        if (m_inboundRules) {
            if (const auto refusal = m_limiter->message(request.clientIp, request.user, request.sender)) {
                done(refuse(ReplyId::RateLimited, refusal->text, config::describeRateLimit(refusal->rule)));
                return;
            }
        }
        done({});
        return;
    }
    const auto it = m_sessions.find(request.sessionId);
    const bool exempt = request.relayRight || !request.user.isEmpty();
    if (!exempt && it != m_sessions.end() && it.value()->dnsblPending) {
        QPointer<QObject> guard(context);
        it.value()->waiters.push_back([this, guard, request, done] {
            if (guard)
                done(afterDnsbl(request));
        });
        return;
    }
    done(afterDnsbl(request));
}

PolicyVerdict PolicyService::afterDnsbl(const net::PolicyRequest &request)
{
    const bool exempt = request.relayRight || !request.user.isEmpty();
    if (!exempt) {
        const auto it = m_sessions.constFind(request.sessionId);
        if (it != m_sessions.constEnd() && it.value()->listed) {
            const SessionState &s = *it.value();
            return refuse(ReplyId::DnsblListed,
                          QStringLiteral("client host [%1] blocked using %2; %3").arg(s.ip, s.zone, s.meaning),
                          QStringLiteral("dnsbl %1").arg(s.zone));
        }
    }
    if (m_envelopeRules) {
        const policy::ContentVerdict v = m_content->checkRecipient(request.recipient);
        if (v.matched && v.action == config::RuleAction::Reject)
            return refuse(ReplyId::RecipientRejected, v.reason, v.ruleName);
    }
    if (m_greylistOn && !exempt) {
        const policy::GreylistDecision g =
            m_greylist->check(QHostAddress(request.clientIp), request.sender, request.recipient, nowMs());
        if (!g.pass())
            return refuse(ReplyId::Greylisted,
                          QStringLiteral("please try again in %1 seconds").arg(g.secondsLeft),
                          QStringLiteral("greylisting"));
    }
    if (m_inboundRules) {
        if (const auto refusal = m_limiter->recipient(request.clientIp, request.user, request.sender))
            return refuse(ReplyId::RateLimited, refusal->text, config::describeRateLimit(refusal->rule));
    }
    return {};
}

void PolicyService::checkContent(const net::ContentRequest &request, QObject *context,
                                 std::function<void(const net::ContentDecision &)> done)
{
    std::shared_ptr<const policy::ContentFilter> filter = m_content;
    if (!filter->needsMessage()) {
        QString problem;
        done(decideContent(*filter, request, &problem)); // envelope rules only: no file to read
        return;
    }
    // The message is read and parsed on a pool thread; the answer comes back
    // to the engine thread through a watcher owned by the context object, so
    // a client that hung up meanwhile gets no callback.
    struct Outcome {
        net::ContentDecision decision;
        QString problem;
    };
    auto promise = std::make_shared<QPromise<Outcome>>();
    auto *watcher = new QFutureWatcher<Outcome>(context);
    QPointer<PolicyService> self(this);
    connect(watcher, &QFutureWatcherBase::finished, watcher, [watcher, self, done] {
        const Outcome o = watcher->future().resultCount() > 0 ? watcher->result() : Outcome{};
        watcher->deleteLater();
        if (self && !o.problem.isEmpty())
            emit self->note(QStringLiteral("content_rules"), o.problem, QStringLiteral("warning"));
        done(o.decision);
    });
    watcher->setFuture(promise->future());
    promise->start();
    QThreadPool::globalInstance()->start([filter, request, promise] {
        Outcome o;
        o.decision = decideContent(*filter, request, &o.problem);
        promise->addResult(o);
        promise->finish();
    });
}

bool PolicyService::mayStartMessage(const QString &connector, const QString &domain, qint64 *retryAtMs)
{
    return m_limiter->mayStartMessage(connector, domain, retryAtMs);
}

bool PolicyService::mayOpenConnection(const QString &connector, const QString &domain)
{
    // Always counted, so that a limit added later sees the connections already open.
    return m_limiter->mayOpenConnection(connector, domain);
}

void PolicyService::connectionClosed(const QString &connector, const QString &domain)
{
    m_limiter->connectionClosed(connector, domain);
}

policy::PolicyStatus PolicyService::status() const
{
    policy::PolicyStatus s;
    s.usage = m_limiter->usage(300);
    const policy::Greylist::Stats g = m_greylist->stats();
    s.greylistTriplets = g.triplets;
    s.greylistPending = g.pending;
    s.dnsblCached = m_dnsbl ? m_dnsbl->cachedCount() : 0;
    return s;
}

} // namespace rd::engine

// Abuse control wiring of the engine: the InboundHost questions about rate
// limits, DNSBL, greylisting and content rules go to the PolicyService;
// session transcripts go to the log store.

#include "engine/engine.h"

#include "config/settings.h"
#include "engine/policyservice.h"
#include "log/logstore.h"

namespace rd::engine {

void Engine::startPolicy()
{
    if (m_policy)
        return;
    m_policy = new PolicyService(m_dataDir, this);
    connect(m_policy, &PolicyService::note, this,
            [this](const QString &event, const QString &message, const QString &level) {
                systemLog(event, message, level);
            });
    for (const QString &p : m_policy->load())
        systemLog(QStringLiteral("policy_state"), p, QStringLiteral("warning"));
    m_policy->configure(m_config);
}

smtp::PolicyVerdict Engine::admitConnection(const QString &clientIp, const QString &sessionId, bool relayAllowed)
{
    if (!m_policy)
        return {};
    return m_policy->admit(clientIp, sessionId, relayAllowed);
}

void Engine::connectionEnded(const QString &clientIp, const QString &sessionId)
{
    if (m_policy)
        m_policy->ended(clientIp, sessionId);
}

void Engine::clientRefused(const QString &clientIp, int replyCode, const QByteArray &command)
{
    if (!m_policy)
        return;
    const QByteArray verb = command.left(4).toUpper();
    if (replyCode == 535)
        m_policy->recordFailure(clientIp, policy::FailureKind::AuthFailure);
    else if (verb == "RCPT" && replyCode >= 500)
        m_policy->recordFailure(clientIp, policy::FailureKind::RejectedRecipient);
    else if (replyCode >= 500 && replyCode <= 504)
        m_policy->recordFailure(clientIp, policy::FailureKind::ProtocolError);
}

bool Engine::policyChecksEnabled() const
{
    return m_policy && m_policy->envelopeChecksEnabled();
}

void Engine::checkPolicy(const net::PolicyRequest &request, QObject *context,
                         std::function<void(const smtp::PolicyVerdict &)> done)
{
    if (!m_policy) {
        done({});
        return;
    }
    m_policy->check(request, context, std::move(done));
}

bool Engine::contentChecksEnabled() const
{
    return m_policy && m_policy->contentChecksEnabled();
}

void Engine::checkContent(const net::ContentRequest &request, QObject *context,
                          std::function<void(const net::ContentDecision &)> done)
{
    if (!m_policy) {
        done({});
        return;
    }
    m_policy->checkContent(request, context, std::move(done));
}

bool Engine::transcriptsEnabled() const
{
    return m_log && m_config.boolValue(config::keys::kLogTranscripts);
}

void Engine::logTranscript(const QString &sessionId, const QDateTime &start, const QString &lines)
{
    if (m_log)
        m_log->appendTranscript(sessionId, start, lines);
}

void Engine::requestPolicyStatus()
{
    emit policyStatus(m_policy ? m_policy->status() : policy::PolicyStatus{});
}

void Engine::requestBans()
{
    emit bansListed(m_policy ? m_policy->bans() : QList<policy::Ban>{});
}

void Engine::unban(const QString &key)
{
    if (m_policy && !m_policy->unban(key))
        systemLog(QStringLiteral("unban"), QStringLiteral("no ban for %1").arg(key), QStringLiteral("warning"));
    requestBans();
}

} // namespace rd::engine

#include "mailauth/spf.h"

#include "mailauth/spfsession.h"

namespace rd::mailauth {

QString spfResultName(SpfResult r)
{
    switch (r) {
    case SpfResult::None: return QStringLiteral("none");
    case SpfResult::Neutral: return QStringLiteral("neutral");
    case SpfResult::Pass: return QStringLiteral("pass");
    case SpfResult::Fail: return QStringLiteral("fail");
    case SpfResult::SoftFail: return QStringLiteral("softfail");
    case SpfResult::TempError: return QStringLiteral("temperror");
    case SpfResult::PermError: return QStringLiteral("permerror");
    }
    return QStringLiteral("none");
}

SpfEvaluator::SpfEvaluator(dns::Resolver *resolver, QObject *parent)
    : QObject(parent)
    , m_resolver(resolver)
{
}

SpfEvaluator::~SpfEvaluator() = default;

void SpfEvaluator::check(const SpfRequest &request, QObject *context,
                         std::function<void(const SpfOutcome &)> done)
{
    const quint64 id = m_nextId++;
    QPointer<QObject> ctx(context);
    const bool hasContext = context != nullptr;
    auto session = std::make_unique<SpfSession>(
        m_resolver.data(), request, m_timeLimitMs,
        [this, id, ctx, hasContext, done = std::move(done)](const SpfOutcome &outcome) {
            sessionFinished(id);
            if (hasContext && !ctx)
                return;
            if (done)
                done(outcome);
        });
    SpfSession *s = session.get();
    m_sessions.emplace(id, std::move(session));
    if (context) // the caller went away: stop asking DNS for it
        connect(context, &QObject::destroyed, s, [this, id] { sessionFinished(id); });
    s->start();
}

void SpfEvaluator::setTimeLimitMs(int ms)
{
    m_timeLimitMs = std::max(1, ms);
}

void SpfEvaluator::sessionFinished(quint64 id)
{
    auto it = m_sessions.find(id);
    if (it == m_sessions.end())
        return;
    SpfSession *s = it->second.release();
    m_sessions.erase(it);
    s->abort();
    s->deleteLater(); // may be running one of its own callbacks right now
}

} // namespace rd::mailauth

#include "oauth/tokenmanager.h"

#include "oauth/tokenclient.h"

#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QTimer>

#include <algorithm>

namespace rd::oauth {

Q_LOGGING_CATEGORY(lcToken, "relaydesk.oauth.token", QtInfoMsg)

namespace {

constexpr qint64 kDefaultLifetimeS = 3600; // when expires_in is missing (RFC 6749 5.1 makes it optional)

} // namespace

TokenManager::TokenManager(QObject *parent)
    : QObject(parent), m_nam(new QNetworkAccessManager(this))
{
    m_clock.start();
}

TokenManager::~TokenManager() = default;

void TokenManager::setConnector(const QString &name, const OAuthSettings &settings, const OAuthSecrets &secrets)
{
    auto it = m_entries.find(name);
    if (it == m_entries.end()) {
        Entry e;
        e.settings = settings;
        e.secrets = secrets;
        e.configRefreshToken = secrets.refreshToken;
        e.generation = m_nextGeneration++;
        m_entries.insert(name, std::move(e));
        return;
    }
    Entry &e = *it;
    OAuthSecrets incoming = secrets;
    // A refresh token rotated here wins over the older copy the configuration still holds.
    if (secrets.refreshToken.isEmpty() || secrets.refreshToken == e.configRefreshToken)
        incoming.refreshToken = e.secrets.refreshToken;
    e.configRefreshToken = secrets.refreshToken;
    if (e.settings == settings && e.secrets == incoming)
        return;
    e.settings = settings;
    e.secrets = incoming;
    e.generation = m_nextGeneration++;
    e.token.clear();
    e.expiresMs = e.refreshAfterMs = 0;
    e.lastError.clear();
    e.lastErrorMs = -1;
}

void TokenManager::retainOnly(const QStringList &names)
{
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (names.contains(it.key())) {
            ++it;
            continue;
        }
        const std::vector<Waiter> waiters = std::move(it->waiters);
        it = m_entries.erase(it);
        TokenOutcome o;
        o.error = QStringLiteral("the connector was removed");
        for (const Waiter &w : waiters)
            answer(w, o);
    }
}

bool TokenManager::usable(const Entry &e) const
{
    if (e.token.isEmpty())
        return false;
    const qint64 lifetime = e.expiresMs - e.obtainedMs;
    const qint64 margin = std::min<qint64>(60000, lifetime / 10); // clock skew and the time to reach AUTH
    return nowMs() < e.expiresMs - margin;
}

void TokenManager::acquire(const QString &connector, QObject *context, std::function<void(const TokenOutcome &)> done)
{
    Waiter w{QPointer<QObject>(context), std::move(done)};
    auto it = m_entries.find(connector);
    if (it == m_entries.end()) {
        TokenOutcome o;
        o.error = QStringLiteral("no OAuth settings for connector \"%1\"").arg(connector);
        answer(w, o);
        return;
    }
    Entry &e = *it;
    if (usable(e)) {
        TokenOutcome o;
        o.ok = true;
        o.accessToken = e.token;
        o.expiresInS = (e.expiresMs - nowMs()) / 1000;
        o.endpoint = e.settings.effectiveTokenEndpoint();
        answer(w, o);
        if (!e.fetching && nowMs() >= e.refreshAfterMs)
            startFetch(connector, e); // refresh ahead; this caller keeps the current token
        return;
    }
    if (!e.fetching && e.lastErrorMs >= 0 && nowMs() - e.lastErrorMs < m_failureHoldMs) {
        TokenOutcome o;
        o.error = e.lastError;
        o.endpoint = e.settings.effectiveTokenEndpoint();
        answer(w, o);
        return;
    }
    e.waiters.push_back(std::move(w));
    if (!e.fetching)
        startFetch(connector, e);
}

void TokenManager::invalidate(const QString &connector, const QByteArray &token)
{
    auto it = m_entries.find(connector);
    if (it == m_entries.end() || token.isEmpty() || it->token != token)
        return;
    qCInfo(lcToken).noquote() << QStringLiteral("event=oauth_token_rejected connector=\"%1\"").arg(connector);
    it->token.clear();
    it->expiresMs = it->refreshAfterMs = 0;
}

int TokenManager::requestCount(const QString &connector) const
{
    return m_entries.value(connector).requests;
}

QString TokenManager::lastError(const QString &connector) const
{
    return m_entries.value(connector).lastError;
}

void TokenManager::startFetch(const QString &name, Entry &e)
{
    const bool delegated = e.settings.flow == QLatin1String("authorization_code");
    const TokenRequest req =
        buildTokenRequest(delegated ? Grant::RefreshToken : Grant::ClientCredentials, e.settings, e.secrets);
    e.fetching = true;
    ++e.requests;
    const quint64 generation = e.generation;
    qCInfo(lcToken).noquote() << QStringLiteral("event=oauth_token_request connector=\"%1\" grant=%2 client_id=%3 "
                                                "endpoint=%4")
                                     .arg(name, delegated ? QStringLiteral("refresh_token")
                                                          : QStringLiteral("client_credentials"),
                                          e.settings.clientId, req.endpoint);
    postTokenRequest(m_nam, req, m_timeoutMs, this, [this, name, generation](const TokenResponse &r) {
        auto it = m_entries.find(name);
        if (it == m_entries.end())
            return;
        Entry &e = *it;
        e.fetching = false;
        if (e.generation != generation) {
            // The settings changed meanwhile: this answer is for the old ones.
            if (!e.waiters.empty())
                startFetch(name, e);
            return;
        }
        TokenOutcome o;
        o.endpoint = e.settings.effectiveTokenEndpoint();
        o.fetched = true;
        if (r.ok) {
            const qint64 lifetimeS = r.expiresIn > 0 ? r.expiresIn : kDefaultLifetimeS;
            e.token = r.accessToken;
            e.obtainedMs = nowMs();
            e.expiresMs = e.obtainedMs + lifetimeS * 1000;
            e.refreshAfterMs = e.obtainedMs + lifetimeS * 800;
            e.lastError.clear();
            e.lastErrorMs = -1;
            o.ok = true;
            o.accessToken = e.token;
            o.expiresInS = lifetimeS;
            if (!r.refreshToken.isEmpty() && QString::fromUtf8(r.refreshToken) != e.secrets.refreshToken &&
                e.settings.flow == QLatin1String("authorization_code")) {
                e.secrets.refreshToken = QString::fromUtf8(r.refreshToken);
                emit refreshTokenChanged(name, e.secrets.refreshToken);
            }
            qCInfo(lcToken).noquote() << QStringLiteral("event=oauth_token connector=\"%1\" result=ok expires_in=%2")
                                             .arg(name)
                                             .arg(lifetimeS);
        } else {
            o.error = r.message();
            e.lastError = o.error;
            e.lastErrorMs = nowMs();
            qCWarning(lcToken).noquote()
                << QStringLiteral("event=oauth_token connector=\"%1\" result=failed error=\"%2\"").arg(name, o.error);
        }
        const std::vector<Waiter> waiters = std::move(e.waiters);
        e.waiters.clear();
        emit tokenFetched(name, o.ok, o.error);
        for (const Waiter &w : waiters)
            answer(w, o);
    });
}

void TokenManager::answer(const Waiter &w, const TokenOutcome &o)
{
    QObject *target = w.context ? w.context.data() : nullptr;
    if (!target)
        return;
    QPointer<QObject> guard(target);
    auto done = w.done;
    QTimer::singleShot(0, target, [guard, done, o] {
        if (guard)
            done(o);
    });
}

} // namespace rd::oauth

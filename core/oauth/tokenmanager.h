#pragma once
// Access tokens for the OAuth 2.0 send connectors: one cache entry per
// connector. A token is fetched when first needed, shared by every connection
// that asks while the fetch runs, reused until 80% of its lifetime (then
// refreshed in the background while the old one is still handed out), and
// dropped when a server refuses it (invalidate(): the next acquire fetches a
// fresh one). Never one token request per message. A failed fetch is remembered
// for a few seconds so a queue of waiting mail does not hammer the endpoint.
// Flows: client credentials (secret or certificate assertion) and, for a
// delegated mailbox, the stored refresh token (rotated tokens are announced
// through refreshTokenChanged() for the owner to store).
// Thread: create and use in one thread (the engine's); its
// QNetworkAccessManager lives there. Callbacks run in that thread, never from
// inside the call that asked. Tokens and secrets are never logged.

#include "oauth/oauthsettings.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <vector>

class QNetworkAccessManager;

namespace rd::oauth {

struct TokenOutcome {
    bool ok = false;
    QByteArray accessToken; // secret: never log
    qint64 expiresInS = 0;  // seconds left when handed out
    QString error;          // !ok: "token endpoint said invalid_client: ..." (no secrets)
    QString endpoint;       // the token endpoint asked
    bool fetched = false;   // fetched for this request (not from the cache)
};

class TokenManager : public QObject {
    Q_OBJECT
public:
    explicit TokenManager(QObject *parent = nullptr);
    ~TokenManager() override;

    // Adds or replaces one connector's settings. A change of settings or
    // secrets drops its cached token and remembered failure; the same values
    // keep them. A refresh token rotated meanwhile is kept unless `secrets`
    // brings a different one.
    void setConnector(const QString &name, const OAuthSettings &settings, const OAuthSecrets &secrets);
    // Forgets connectors not in `names`.
    void retainOnly(const QStringList &names);
    bool hasConnector(const QString &name) const { return m_entries.contains(name); }

    // Gets a usable access token for `connector`; `done` runs exactly once
    // (unless `context` is gone first), never from inside this call.
    void acquire(const QString &connector, QObject *context, std::function<void(const TokenOutcome &)> done);
    // The server refused `token`: forget it (if still cached) so the next
    // acquire() fetches a fresh one.
    void invalidate(const QString &connector, const QByteArray &token);

    // Timeout of one token request (default 30 s).
    void setRequestTimeoutMs(int ms) { m_timeoutMs = ms; }
    // How long a failed fetch is answered from memory (default 5 s).
    void setFailureHoldMs(int ms) { m_failureHoldMs = ms; }
    // Token requests sent for `connector` so far (status display, tests).
    int requestCount(const QString &connector) const;
    // The last fetch error for `connector`; empty after a success.
    QString lastError(const QString &connector) const;

signals:
    // The token endpoint issued a new refresh token (rotation): store it.
    void refreshTokenChanged(const QString &connector, const QString &refreshToken);
    // A fetch ended; ok=false with the error text (for status and logs).
    void tokenFetched(const QString &connector, bool ok, const QString &error);

private:
    struct Waiter {
        QPointer<QObject> context;
        std::function<void(const TokenOutcome &)> done;
    };
    struct Entry {
        OAuthSettings settings;
        OAuthSecrets secrets;
        QString configRefreshToken; // what the configuration said last time
        quint64 generation = 0;
        QByteArray token;
        qint64 obtainedMs = 0;
        qint64 expiresMs = 0;      // obtainedMs + lifetime
        qint64 refreshAfterMs = 0; // obtainedMs + 80% of lifetime
        bool fetching = false;
        std::vector<Waiter> waiters;
        QString lastError;
        qint64 lastErrorMs = -1;
        int requests = 0;
    };

    qint64 nowMs() const { return m_clock.elapsed(); }
    bool usable(const Entry &e) const;
    void startFetch(const QString &name, Entry &e);
    void answer(const Waiter &w, const TokenOutcome &o);

    QNetworkAccessManager *m_nam; // child
    QHash<QString, Entry> m_entries;
    QElapsedTimer m_clock;
    quint64 m_nextGeneration = 1;
    int m_timeoutMs = 30000;
    int m_failureHoldMs = 5000;
};

} // namespace rd::oauth

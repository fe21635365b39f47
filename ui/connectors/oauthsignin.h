#pragma once
// The delegated OAuth 2.0 sign-in (authorization code with PKCE) as seen from
// the GUI: asks the engine to start it (EngineFacade::signInOAuth), opens the
// URL the engine answers with in the system browser, waits, and reports the
// result. Cancel asks the engine to stop listening. The refresh token never
// passes through here: the engine stores it.
// Thread: GUI thread. Never blocks.

#include "config/sendconnector.h"

#include <QObject>
#include <QString>
#include <QUrl>

#include <functional>

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class OAuthSignIn : public QObject {
    Q_OBJECT
public:
    // Opens a URL in the browser; returns false if it could not.
    using Opener = std::function<bool(const QUrl &)>;

    // facade: must outlive this object.
    explicit OAuthSignIn(rd::engine::EngineFacade *facade, QObject *parent = nullptr);

    // Replaces how the URL is opened (default: QDesktopServices::openUrl); for tests.
    void setOpener(Opener opener) { m_opener = std::move(opener); }
    // Starts a sign-in for the connector as edited; a running one is cancelled
    // first. stateChanged() follows at once; finished() later (or at once when
    // there is no engine).
    void start(const rd::config::SendConnectorConfig &connector);
    // Stops waiting: the engine closes its loopback listener; finished(false, ...) follows.
    void cancel();
    bool isRunning() const { return !m_name.isEmpty(); }
    // The URL opened (or to open by hand if the browser could not be started).
    QUrl url() const { return m_url; }

signals:
    // A sentence for the status line ("Waiting for the browser...").
    void stateChanged(const QString &text);
    // The sign-in ended; message is the engine's sentence.
    void finished(bool ok, const QString &message);

private:
    void onUrl(const QString &name, const QUrl &url);
    void onFinished(const QString &name, bool ok, const QString &message);

    rd::engine::EngineFacade *m_facade;
    Opener m_opener;
    QString m_name; // connector being signed in; empty: none
    QUrl m_url;
};

} // namespace rd::ui

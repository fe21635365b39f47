#pragma once
// `relaydesk --oauth-sign-in CONNECTOR`: the delegated OAuth sign-in
// (authorization code + PKCE) of a send connector from the command line, for
// headless installs: prints the URL to open in a browser on this machine,
// waits (at most 5 minutes) for the browser to come back to the loopback
// redirect, exchanges the code and stores the refresh token in config.db.
// Exit code: 0 signed in, 1 failed, 2 bad input (unknown connector, not an
// authorization-code OAuth connector).

#include "config/configsnapshot.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <optional>

namespace rd::app {

QList<QCommandLineOption> oauthOptions();
std::optional<int> runOAuthCommand(const QCommandLineParser &parser, const QString &dataDir,
                                   const config::ConfigSnapshot &config);

} // namespace rd::app

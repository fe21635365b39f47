#pragma once
// `relaydesk --dns-check DOMAIN [--json]`: the DNS checks panel's checks from
// the command line (headless installs, scripts, monitoring). Uses the data
// folder's configuration (DNS servers, public addresses, DNSBL zones, DKIM
// keys), prints the report and stores it in the history the panel shows.
// Exit code: 0 no failure, 1 at least one failed check, 2 bad input.

#include "config/configsnapshot.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <optional>

namespace rd::app {

QList<QCommandLineOption> dnsCheckOptions();
std::optional<int> runDnsCheckCommand(const QCommandLineParser &parser, const QString &dataDir,
                                      const config::ConfigSnapshot &config);

} // namespace rd::app

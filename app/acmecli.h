#pragma once
// `relaydesk --acme-order NAME[,NAME...] [--acme-challenge http-01|dns-01] --acme-agree-tos`:
// orders a certificate over ACME with the acme.* settings (engine/acmeservice.h),
// as the Certificates panel's ACME dialog does, for headless installs. DNS-01
// prints the TXT records and waits for Enter once they are published. Prints
// the new certificate's id; the record is kept for automatic renewal (done by
// the running relay). Exit code 0 issued, 1 failed, 2 bad input.

#include "config/configsnapshot.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <optional>

namespace rd::app {

QList<QCommandLineOption> acmeOptions();
std::optional<int> runAcmeCommand(const QCommandLineParser &parser, const QString &dataDir,
                                  const config::ConfigSnapshot &config);

} // namespace rd::app

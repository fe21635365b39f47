#pragma once
// `relaydesk --track QUERY [--field F] [--limit N] [--json]`: one message's
// trail from log.db (log/trackreport.h); `relaydesk --qshape [--by sender]
// [--json]`: the queue by domain and age (queue/queueshape.h). Both only read,
// so they work while the relay runs. Exit codes are those of runTrackCommand
// (0 found, 1 nothing found, 2 error) and runQshapeCommand (0, 2).
// --json is shared with --dns-check (dnscheckcli.cpp defines it).

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <optional>

namespace rd::app {

QList<QCommandLineOption> trackOptions();
std::optional<int> runTrackCommands(const QCommandLineParser &parser, const QString &dataDir);

} // namespace rd::app

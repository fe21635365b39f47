#pragma once
// Administration from the command line, for headless installs and scripts:
// users and certificates are managed in the data folder without a window.
// Secrets (passwords) are read from standard input, never from arguments.

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QList>
#include <optional>

namespace rd::app {

// The options handled here; add them to the parser before process().
QList<QCommandLineOption> adminOptions();

// If an admin option was given, runs it against dataDir and returns the exit
// code (0 ok, 1 failure, 2 bad input); nullopt when none was given.
std::optional<int> runAdminCommand(const QCommandLineParser &parser, const QString &dataDir);

} // namespace rd::app

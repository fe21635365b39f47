#pragma once
// `relaydesk --import-iis-metabase FILE [--dry-run]`: reads the SMTP virtual
// servers of an IIS 6 MetaBase.xml, prints the import report (every property
// read, what it became, what could not be mapped) and, without --dry-run,
// saves the result to the data folder's config.db in one transaction: either
// everything is applied or nothing. Exit code: 0 applied (or a clean dry run),
// 1 the import cannot be applied or saving failed, 2 the file cannot be read.

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QList>
#include <optional>

namespace rd::app {

// The options handled here; add them to the parser before process().
QList<QCommandLineOption> iisImportOptions();

// If --import-iis-metabase was given, runs it against dataDir and returns the
// exit code; nullopt otherwise. Main thread; no event loop needed.
std::optional<int> runIisImportCommand(const QCommandLineParser &parser, const QString &dataDir);

} // namespace rd::app

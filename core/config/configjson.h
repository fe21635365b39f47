#pragma once
// The configuration's JSON form (docs/CONFIG.md): used by --config,
// --export-config, --check-config and the GUI's File -> Import/Export.

#include "config/configsnapshot.h"

#include <QByteArray>
#include <QStringList>

namespace rd::config {

// Parses and validates; on any problem returns false and lists every problem
// found in *errors (one sentence each). *out is untouched on failure.
bool configFromJson(const QByteArray &json, ConfigSnapshot *out, QStringList *errors);

// Serializes the whole configuration (explicit settings only, plus lists).
// Secrets (send connector passwords, secret settings such as acme.tsig_secret)
// are left out unless withSecrets.
QByteArray configToJson(const ConfigSnapshot &config, bool withSecrets = false);

} // namespace rd::config

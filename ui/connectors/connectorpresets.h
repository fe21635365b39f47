#pragma once
// Ready-made send connectors for the common cloud smart hosts (Microsoft 365,
// Google, Amazon SES, SendGrid, Mailgun) and the plain cases (direct MX, an
// internal smart host, an empty connector). Each preset fills host, port, TLS
// and the kind of AUTH, and carries a short plain-words checklist of what the
// admin must do on the provider's side. Pure data; no I/O.

#include "config/sendconnector.h"

#include <QList>
#include <QString>

namespace rd::ui {

struct ConnectorPreset {
    enum Auth { NoAuth, PasswordAuth, OAuthAuth };

    QString id;          // stable key, e.g. "microsoft365"; the menu action is "preset" + objectSuffix
    QString objectSuffix; // "Microsoft365" -> action object name "presetMicrosoft365"
    QString label;       // menu text
    QString nameBase;    // connector name (made unique by the caller)
    Auth auth = NoAuth;  // the Authentication section's starting choice
    QString checklist;   // provider-side steps, one per line ("" for none)
    rd::config::SendConnectorConfig connector; // name left empty
};

// Every preset in menu order; the empty connector is last.
const QList<ConnectorPreset> &connectorPresets();
// The preset with this id, or nullptr.
const ConnectorPreset *findConnectorPreset(const QString &id);

} // namespace rd::ui

#pragma once
// Ready-made rate limits an admin expects, with the reason for each number
// (provider limits such as Microsoft 365's 30 messages per minute per mailbox).
// Pure data; any thread.

#include "config/policyconfig.h"
#include "config/sendconnector.h"

#include <QCoreApplication>
#include <QList>
#include <QString>

namespace rd::ui {

struct RateLimitPreset {
    QString label;       // the menu entry
    QString explanation; // why these numbers (status line / tooltip)
    QList<rd::config::RateLimitRule> rules;
};

class RateLimitPresets {
    Q_DECLARE_TR_FUNCTIONS(RateLimitPresets)
public:
    // Every preset. Outbound presets name the matching send connector of
    // `connectors` when there is one (e.g. the one whose smart host is
    // smtp.office365.com), else the name the Connectors panel's preset gives.
    static QList<RateLimitPreset> all(const QList<rd::config::SendConnectorConfig> &connectors);
};

} // namespace rd::ui

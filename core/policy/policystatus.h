#pragma once
// What the abuse controls see right now, published to the GUI (the Rate
// limits panel) through the facade. Value types only.

#include "config/policyconfig.h"

#include <QList>
#include <QMetaType>
#include <QString>

namespace rd::policy {

// One counter of one rule for one subject (e.g. client IP 10.0.0.5 under
// "100 messages per minute per client IP").
struct LimitUsage {
    config::RateLimitRule rule; // the rule that applies (a "*" rule or an override)
    QString key;                // the counted subject: an IP, user, sender, connector or domain
    int used = 0;               // counted in the current window (or open now, for Concurrent)
    int maximum = 0;            // the rule's maximum
    qint64 refused = 0;         // attempts refused (inbound) or deferred (outbound) in the window
    int resetSeconds = 0;       // seconds until the oldest counted event leaves the window (0: n/a)

    bool nearLimit() const { return maximum > 0 && used * 10 >= maximum * 8; }
    bool overLimit() const { return maximum > 0 && used >= maximum; }
};

struct PolicyStatus {
    QList<LimitUsage> usage;    // the busiest counters first (at most a few hundred)
    int greylistTriplets = 0;   // known triplets
    int greylistPending = 0;    // triplets still waiting for their retry
    int dnsblCached = 0;        // cached DNSBL answers
};

} // namespace rd::policy

Q_DECLARE_METATYPE(rd::policy::PolicyStatus)

#pragma once
// Turns failed (or long-delayed) recipients of a queued message into the
// notification for its sender: reads the original's DSN parameters (RET,
// ENVID, NOTIFY, ORCPT) and content from its spool file, drops recipients
// whose NOTIFY declines it, and builds the RFC 3464 report (dsn.h) as a
// message to queue with the null sender.
// Thread: any; reads one spool file.

#include "delivery/deliveryagent.h"
#include "queue/localmessage.h"

#include <optional>

namespace rd::delivery {

// nullopt with an empty *error: no DSN is due (null sender, NOTIFY=NEVER, ...).
// nullopt with *error: the spool file could not be read.
std::optional<queue::LocalMessage> composeBounce(const queue::QueueEntry &entry, const QList<BounceRecipient> &rcpts,
                                                 bool delayWarning, const QString &hostname,
                                                 const QDateTime &retryUntil, QString *error);

} // namespace rd::delivery

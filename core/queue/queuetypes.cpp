#include "queue/queuetypes.h"

namespace rd::queue {

QString messageStateName(MessageState s)
{
    switch (s) {
    case MessageState::Queued:
        return QStringLiteral("queued");
    case MessageState::InDelivery:
        return QStringLiteral("in delivery");
    case MessageState::Deferred:
        return QStringLiteral("deferred");
    case MessageState::Held:
        return QStringLiteral("held");
    case MessageState::Failed:
        return QStringLiteral("failed");
    }
    return QStringLiteral("unknown");
}

QString recipientStateName(RecipientState s)
{
    switch (s) {
    case RecipientState::Pending:
        return QStringLiteral("pending");
    case RecipientState::Delivered:
        return QStringLiteral("delivered");
    case RecipientState::Failed:
        return QStringLiteral("failed");
    case RecipientState::Bounced:
        return QStringLiteral("bounced");
    }
    return QStringLiteral("unknown");
}

} // namespace rd::queue

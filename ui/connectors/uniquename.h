#pragma once
// "name", else "name-2", "name-3", ...: the first that `taken` (case-insensitive
// by the caller's rules) does not already hold. Shared by the connector models.
// Thread: pure.

#include <QString>

namespace rd::ui {

template<typename Taken>
QString uniqueName(const QString &base, Taken taken)
{
    if (!taken(base))
        return base;
    for (int i = 2;; ++i) {
        const QString candidate = QStringLiteral("%1-%2").arg(base).arg(i);
        if (!taken(candidate))
            return candidate;
    }
}

} // namespace rd::ui

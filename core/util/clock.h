#pragma once
// Wall-clock milliseconds since the epoch, the unit stored in the databases.

#include <QDateTime>

namespace rd::util {

inline qint64 nowMs() { return QDateTime::currentMSecsSinceEpoch(); }
inline QDateTime fromMs(qint64 ms) { return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC); }

} // namespace rd::util

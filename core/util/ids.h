#pragma once
// Identifiers for queued messages and SMTP sessions.
// Queue ids are unique per data folder across restarts, sort by creation
// time, and are safe as file names: 16 chars of [0-9A-Z] (Crockford base32).
// Thread-safe.

#include <QString>

namespace rd::util {

// A new queue id, e.g. "01JD3K4M5N6P7Q8R". Time-ordered to the millisecond,
// plus a per-process counter and random bits, so ids never repeat.
QString newQueueId();

// A new session id (shorter; unique within a process run plus random bits).
QString newSessionId();

// True if `id` has the form newQueueId() produces (used before touching files).
bool isValidQueueId(const QString &id);

} // namespace rd::util

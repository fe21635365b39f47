#pragma once
// One POST to a token endpoint over QNetworkAccessManager, asynchronous.
// Thread: the manager's thread (the engine's); `done` runs there, never from
// inside the call. The request body carries secrets and is never logged.

#include "oauth/tokenrequest.h"

#include <QObject>

#include <functional>

class QNetworkAccessManager;

namespace rd::oauth {

// Posts `request` (application/x-www-form-urlencoded, Accept: application/json).
// `done` gets the parsed answer exactly once: a transport error or no answer
// within timeoutMs gives a transient failure. Dropped silently if `context`
// is destroyed first.
void postTokenRequest(QNetworkAccessManager *nam, const TokenRequest &request, int timeoutMs, QObject *context,
                      std::function<void(const TokenResponse &)> done);

} // namespace rd::oauth

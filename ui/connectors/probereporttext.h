#pragma once
// The text the Connectors panel shows for a "Test connection" result: what the
// server said and did (banner, EHLO keywords, STARTTLS and the certificate
// seen, the OAuth token step, AUTH). Pure; the report carries no password.

#include "delivery/connectorprobe.h"

#include <QString>

namespace rd::ui {

QString probeReportText(const rd::delivery::ProbeReport &report);

} // namespace rd::ui

#pragma once
// rd::policy::admitConnection: the one call the listener makes when a client
// connects, before the greeting. Connection rules first (an Allow rule admits
// even a banned address: the admin's explicit word wins), then bans. A
// refused client gets `554 5.7.1 <text>` and the connection closes; the
// caller logs `event=connection_refused ip=... by=rule|ban reason="<text>"`.
// Pure: no clock, no I/O. Thread: the owner of both inputs.

#include "policy/banlist.h"
#include "policy/connectioncontrol.h"

#include <QHostAddress>
#include <QString>

#include <optional>

namespace rd::policy {

struct Admission {
    enum Verdict { Admit, RefusedByRule, RefusedByBan };
    Verdict verdict = Admit;
    // The reply text after "554 5.7.1 ": "Connection refused by rule
    // 'block-scanners'" / "Address banned until 12:30 UTC after 10 failed
    // AUTH attempts". Printable ASCII. Empty when admitted.
    QString text;
    // Admit: true when an Allow rule admitted the client (logged as
    // by=allow_rule; whether DNSBL still applies is the caller's choice).
    bool allowRule = false;
    QString ruleLabel;         // the deciding rule's label (allow or deny), else empty
    std::optional<Ban> ban;    // RefusedByBan: the ban

    bool admitted() const { return verdict == Admit; }
};

// bans may be null (bans off). nowMs: wall-clock ms since the epoch.
Admission admitConnection(const ConnectionControl &rules, const BanList *bans, const QHostAddress &client,
                          qint64 nowMs);

// "Connection refused by rule 'block-scanners'" (printable ASCII).
QString ruleRefusalText(const QString &ruleLabel);

} // namespace rd::policy

#pragma once
// Turns the SMTP virtual servers of an IIS 6 metabase into a proposed RelayDesk
// configuration: a listener per ServerBindings entry (with the relay list from
// RelayIpList and the per-listener size/recipient limits), one send connector
// from SmartHost/SmartHostType/RemoteSmtpPort/RouteUserName, the retry schedule
// and expiry, the FQDN; and a report that lists every property read, what it
// became and what could not be mapped. Pure: no I/O; the caller saves the
// proposal (all or nothing) or just prints the report. docs/IIS.md has the table.

#include "config/configsnapshot.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace rd::iisimport {

enum class ItemStatus { Mapped, Noted, NotMapped, Error };

struct ReportItem {
    QString source;    // "/LM/SmtpSvc/1" (inherited values say so in `value`)
    QString property;  // metabase property name
    QString value;     // as read (secrets and long blobs abbreviated)
    ItemStatus status = ItemStatus::Noted;
    QString outcome;   // what it became, or why not
};

struct ImportResult {
    bool ok = false;                // false: nothing may be applied (see errors)
    QStringList errors;             // fatal: unreadable file, invalid result
    QList<ReportItem> items;        // every property read, in file order
    config::ConfigSnapshot proposed; // `base` with the import applied (valid when ok)
    int serversImported = 0;

    // Plain text for the console: a summary, then one line per item grouped
    // by server, then the errors.
    QString toText() const;
    int count(ItemStatus s) const;
};

// Imports `metabaseXml` on top of `base` (the stored configuration): imported
// listeners are added (an existing listener on the same address and port is
// replaced), the imported send connector is put first, settings are set.
// The result is validated as a whole; any problem makes ok false.
ImportResult importMetabase(const QByteArray &metabaseXml, const config::ConfigSnapshot &base);

QString statusName(ItemStatus s);

} // namespace rd::iisimport

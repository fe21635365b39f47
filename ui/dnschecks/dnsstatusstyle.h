#pragma once
// How the DNS checks panel shows a finding's status and a check's name: the
// colours (pass green, info blue-grey, warn amber, fail red), a small painted
// status icon (no icon theme needed), the word, and the display order and
// names of the checks. Thread: GUI thread (icons are pixmaps).

#include "dnscheck/dnscheckreport.h"

#include <QColor>
#include <QIcon>
#include <QString>

namespace rd::ui::dnsstyle {

QColor foreground(rd::dnscheck::Status s);
QColor background(rd::dnscheck::Status s);
// A filled circle in the status colour with a mark (check, i, !, cross).
QIcon icon(rd::dnscheck::Status s);
// A hollow grey circle: not checked yet.
QIcon notCheckedIcon();
// "Pass", "Info", "Warning", "Fail".
QString statusText(rd::dnscheck::Status s);
// "SPF", "DKIM", "DMARC", "MX", "Reverse DNS (PTR)", "Block lists (DNSBL)";
// another check id is shown upper case.
QString checkTitle(const QString &check);
// Sort position of a check (unknown checks after the known ones).
int checkOrder(const QString &check);
// "3 pass, 1 warning" (only non-zero counts; "no findings" when empty).
QString countsText(const rd::dnscheck::Report &report);
// Local time for a UTC timestamp, "yyyy-MM-dd HH:mm:ss".
QString localTime(const QDateTime &utc);

} // namespace rd::ui::dnsstyle

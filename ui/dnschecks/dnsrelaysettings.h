#pragma once
// The DNS checks panel's "this relay" fields: the relay's public IP addresses
// (setting dnschecks.public_addresses) and the DNS block lists to look them
// up in: the enabled zones of ConfigSnapshot::dnsblZones, shown as a list of
// names. Adding a name here adds an enabled zone (any 127.x answer lists);
// removing one turns that zone off (its answer codes are kept); the Filtering
// panel edits the codes (the link emits filteringRequested()). Checked as
// typed: a bad entry is named in red and blocks Apply; a private address gets
// an amber note. The panel does the saving (applyRequested) and says when it
// can (setApplyAllowed).
// Thread: GUI thread. Pure widget: no I/O.

#include "config/policyconfig.h"

#include <QGroupBox>
#include <QList>
#include <QStringList>

class QLabel;
class QLineEdit;
class QPushButton;

namespace rd::ui {

class DnsRelaySettings : public QGroupBox {
    Q_OBJECT
public:
    explicit DnsRelaySettings(QWidget *parent = nullptr);

    // Entries of a comma/space separated list, trimmed, no empties.
    static QStringList splitList(const QString &text);
    // Null if every entry is an IP address / a DNS zone name, else a sentence
    // naming the first bad entry.
    static QString checkAddresses(const QString &text);
    static QString checkZones(const QString &text);

    // Loads the stored values: the addresses comma-separated as in the
    // setting, the zones as in ConfigSnapshot::dnsblZones. Edits the user has
    // not applied are kept unless `force`.
    void load(const QString &addresses, const QList<rd::config::DnsblZone> &zones, bool force = false);
    // The fields as typed / as stored ("a,b" for the addresses setting).
    void setAddressesText(const QString &text);
    void setZonesText(const QString &text);
    QString addressesValue() const;
    // The zone names typed, lower case, without repeats.
    QStringList zoneNames() const;
    // The loaded zones with the typed names applied: a listed zone enabled, an
    // unlisted one disabled (kept), a new name appended (enabled, no codes).
    QList<rd::config::DnsblZone> zonesValue() const;

    // Differs from what load() set.
    bool isDirty() const;
    // No red problem (a private address is only a note).
    bool isValid() const;
    // The text under the fields ("" when none) and whether it is an error.
    QString problem() const;
    bool problemIsError() const { return m_problemIsError; }
    // The panel allows Apply when it has a configuration and is not saving;
    // the button is enabled when that holds and the fields are dirty and valid.
    void setApplyAllowed(bool allowed);
    QPushButton *applyButton() const { return m_apply; }

signals:
    void applyRequested();
    void edited();
    // The "edit in Filtering" link was clicked: show Filtering > DNS block lists.
    void filteringRequested();

private:
    void update();

    QString m_loadedAddresses; // as splitList(...).join(',')
    QList<rd::config::DnsblZone> m_loadedZones;
    bool m_applyAllowed = false;
    bool m_problemIsError = false;
    QLineEdit *m_addresses = nullptr;
    QLineEdit *m_zones = nullptr;
    QLabel *m_problem = nullptr;
    QLabel *m_zonesNote = nullptr;
    QPushButton *m_apply = nullptr;
};

} // namespace rd::ui

#pragma once
// The DNS checks panel's "this relay" fields: the relay's public IP addresses
// (setting dnschecks.public_addresses) and the DNS block lists to look them
// up in (dnsbl.zones). Checked as they are typed: a bad entry is named in red
// and blocks Apply; a private address gets an amber note. The panel does the
// saving (applyRequested) and says when it can (setApplyAllowed).
// Thread: GUI thread. Pure widget: no I/O.

#include <QGroupBox>
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

    // Loads the stored values (comma-separated, as in the settings). Edits
    // the user has not applied are kept unless `force`.
    void load(const QString &addresses, const QString &zones, bool force = false);
    // The fields as typed / as the settings store them ("a,b").
    void setAddressesText(const QString &text);
    void setZonesText(const QString &text);
    QString addressesValue() const;
    QString zonesValue() const;

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

private:
    void update();

    QString m_loadedAddresses; // as splitList(...).join(',')
    QString m_loadedZones;
    bool m_applyAllowed = false;
    bool m_problemIsError = false;
    QLineEdit *m_addresses = nullptr;
    QLineEdit *m_zones = nullptr;
    QLabel *m_problem = nullptr;
    QPushButton *m_apply = nullptr;
};

} // namespace rd::ui

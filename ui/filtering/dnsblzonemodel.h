#pragma once
// The DNS block lists (ConfigSnapshot::dnsblZones, config::DnsblZone), in the
// order they are asked. Zone and Codes are edited in place, Enabled with a
// check box; Meaning shows what the codes say (parsed with
// config::parseDnsblCodes) or the parse error. Checked with
// config::validateDnsblZones() after every change (PolicyListModel).
// Thread: GUI thread. No I/O.

#include "ratelimits/policylistmodel.h"

#include "config/policyconfig.h"

#include <QCoreApplication>

namespace rd::ui {

class DnsblZoneModel : public PolicyListModel<rd::config::DnsblZone> {
    Q_OBJECT
public:
    enum Column { Enabled, Zone, Codes, Meaning, ColumnCount };

    explicit DnsblZoneModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    // The row of `zone` (case-insensitive), -1 if none.
    int rowOf(const QString &zone) const;

    // "Any answer in 127.0.0.0/8 lists the client" / "127.0.0.2 SBL …; …" / the error.
    static QString meaning(const QString &codes, bool *ok = nullptr);

protected:
    QStringList validate(const QList<rd::config::DnsblZone> &items) const override;
    QString errorPrefix(int row, const rd::config::DnsblZone &item) const override;
    int columnForError(const QString &text) const override;
    QVariant cellData(const rd::config::DnsblZone &zone, int column, int role) const override;
    QString columnTitle(int column) const override;
    QString columnTip(int column) const override;
};

// Well-known block lists with their published answer codes.
struct DnsblPreset {
    QString label;
    QString note; // usage terms, error codes that are not listings
    rd::config::DnsblZone zone;
};

class DnsblPresets {
    Q_DECLARE_TR_FUNCTIONS(DnsblPresets)
public:
    static QList<DnsblPreset> all();
};

} // namespace rd::ui

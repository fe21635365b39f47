#include "filtering/dnsblzonemodel.h"

#include <QColor>
#include <QHostAddress>

namespace rd::ui {

using rd::config::DnsblCode;
using rd::config::DnsblZone;

DnsblZoneModel::DnsblZoneModel(QObject *parent)
    : PolicyListModel(parent)
{
}

int DnsblZoneModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

int DnsblZoneModel::rowOf(const QString &zone) const
{
    for (int i = 0; i < rowCount(); ++i) {
        if (item(i).zone.trimmed().compare(zone.trimmed(), Qt::CaseInsensitive) == 0)
            return i;
    }
    return -1;
}

QString DnsblZoneModel::meaning(const QString &codes, bool *ok)
{
    QList<DnsblCode> parsed;
    QString error;
    const bool good = rd::config::parseDnsblCodes(codes, &parsed, &error);
    if (ok)
        *ok = good;
    if (!good)
        return capitalized(error);
    if (parsed.isEmpty())
        return tr("Any answer in 127.0.0.0/8 lists the client");
    QStringList parts;
    for (const DnsblCode &c : std::as_const(parsed)) {
        const QString first = QHostAddress(c.first).toString();
        const QString range = c.first == c.last ? first : first + QLatin1Char('-') + QHostAddress(c.last).toString();
        parts << QStringLiteral("%1 %2").arg(range, c.meaning);
    }
    return parts.join(QStringLiteral("; "));
}

QStringList DnsblZoneModel::validate(const QList<DnsblZone> &items) const
{
    return rd::config::validateDnsblZones(items);
}

QString DnsblZoneModel::errorPrefix(int row, const DnsblZone &z) const
{
    const QString zone = z.zone.trimmed().toLower();
    return QStringLiteral("DNS block list %1 (%2): ").arg(row + 1).arg(zone.isEmpty() ? QStringLiteral("no zone") : zone);
}

int DnsblZoneModel::columnForError(const QString &text) const
{
    return text.startsWith(QLatin1String("Codes:")) ? Codes : Zone;
}

QVariant DnsblZoneModel::cellData(const DnsblZone &z, int column, int role) const
{
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case Zone: return z.zone;
        case Codes: return z.codes.isEmpty() ? tr("(any answer)") : z.codes;
        case Meaning: return meaning(z.codes);
        }
        return {};
    case Qt::EditRole:
        switch (column) {
        case Zone: return z.zone;
        case Codes: return z.codes;
        }
        return {};
    case Qt::CheckStateRole:
        return column == Enabled ? QVariant(z.enabled ? Qt::Checked : Qt::Unchecked) : QVariant();
    case Qt::ToolTipRole:
        if (column == Meaning || column == Codes)
            return meaning(z.codes).replace(QStringLiteral("; "), QStringLiteral("\n"));
        return z.enabled ? tr("Asked for every connecting client when client checks are on")
                         : tr("Disabled: not asked");
    case Qt::ForegroundRole:
        if (column == Meaning) {
            bool ok = true;
            meaning(z.codes, &ok);
            if (!ok)
                return QColor(0xb0, 0x1e, 0x1e);
        }
        return z.enabled ? QVariant() : QVariant(QColor(Qt::gray));
    }
    return {};
}

bool DnsblZoneModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return false;
    DnsblZone z = item(index.row());
    if (role == Qt::CheckStateRole && index.column() == Enabled)
        z.enabled = value.toInt() == Qt::Checked;
    else if (role == Qt::EditRole && index.column() == Zone)
        z.zone = value.toString().trimmed();
    else if (role == Qt::EditRole && index.column() == Codes)
        z.codes = value.toString().trimmed();
    else
        return false;
    return setItem(index.row(), z);
}

Qt::ItemFlags DnsblZoneModel::flags(const QModelIndex &index) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return Qt::NoItemFlags;
    const Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    switch (index.column()) {
    case Enabled: return f | Qt::ItemIsUserCheckable;
    case Zone:
    case Codes: return f | Qt::ItemIsEditable;
    }
    return f;
}

QString DnsblZoneModel::columnTitle(int column) const
{
    switch (column) {
    case Enabled: return tr("On");
    case Zone: return tr("Zone");
    case Codes: return tr("Answer codes");
    case Meaning: return tr("Meaning");
    }
    return {};
}

QString DnsblZoneModel::columnTip(int column) const
{
    switch (column) {
    case Zone: return tr("The list's DNS zone, e.g. zen.spamhaus.org");
    case Codes:
        return tr("Which answers list a client and what they mean: \u201c127.0.0.2=spam source; "
                  "127.0.0.4-127.0.0.7=exploited host\u201d. Answers not listed here are ignored (error codes). "
                  "Empty: any 127.x answer lists the client.");
    case Meaning: return tr("How the codes are read (or why they cannot be)");
    }
    return {};
}

QList<DnsblPreset> DnsblPresets::all()
{
    auto zone = [](const char *name, const QString &codes) {
        DnsblZone z;
        z.zone = QLatin1String(name);
        z.codes = codes;
        return z;
    };
    QList<DnsblPreset> out;
    // docs.spamhaus.com, "Available Zones": the ZEN return codes.
    out << DnsblPreset{
        tr("Spamhaus ZEN (SBL, CSS, XBL, PBL)"),
        tr("Free for low-volume, non-commercial use through your own DNS resolver. 127.255.255.252 (typing "
           "error in the zone name), 127.255.255.254 (query through a public or open resolver) and 127.255.255.255 "
           "(too many queries) are error codes, not listings: they are left out of the codes, so they never "
           "refuse a client. If they show up, use a resolver of your own or Spamhaus DQS."),
        zone("zen.spamhaus.org",
             QStringLiteral("127.0.0.2=Spamhaus SBL: spam source; 127.0.0.3=Spamhaus CSS: snowshoe spam; "
                            "127.0.0.4-127.0.0.7=Spamhaus XBL: exploited or infected host; "
                            "127.0.0.9=Spamhaus DROP: hijacked network; "
                            "127.0.0.10=Spamhaus PBL: the ISP says no direct mail from here; "
                            "127.0.0.11=Spamhaus PBL: not meant to send mail directly"))};
    out << DnsblPreset{tr("SpamCop (bl.spamcop.net)"),
                       tr("Lists addresses reported by SpamCop users; entries expire on their own after the "
                          "reports stop."),
                       zone("bl.spamcop.net", QStringLiteral("127.0.0.2=SpamCop: reported spam source"))};
    out << DnsblPreset{tr("Barracuda Reputation Block List (b.barracudacentral.org)"),
                       tr("Free, but Barracuda answers only DNS servers registered at barracudacentral.org: "
                          "register the address your relay's DNS queries come from first."),
                       zone("b.barracudacentral.org", QStringLiteral("127.0.0.2=Barracuda BRBL: poor reputation"))};
    out << DnsblPreset{tr("Passive Spam Block List (psbl.surriel.com)"),
                       tr("Addresses that sent mail to spam traps; anyone can delist an address at once."),
                       zone("psbl.surriel.com", QStringLiteral("127.0.0.2=PSBL: spam trap hit"))};
    out << DnsblPreset{tr("Mailspike (bl.mailspike.net)"),
                       tr("Free below 100,000 queries a day. 127.0.0.2 is a current spam wave; 127.0.0.10-12 are "
                          "the worst reputation levels (L5 to L3)."),
                       zone("bl.mailspike.net",
                            QStringLiteral("127.0.0.2=Mailspike: part of a spam wave; "
                                           "127.0.0.10=Mailspike L5: worst reputation; "
                                           "127.0.0.11=Mailspike L4: very bad reputation; "
                                           "127.0.0.12=Mailspike L3: bad reputation"))};
    out << DnsblPreset{tr("UCEPROTECT level 1 (dnsbl-1.uceprotect.net)"),
                       tr("Level 1 lists single addresses that hit spam traps (levels 2 and 3 list whole "
                          "networks and are too broad for refusing mail)."),
                       zone("dnsbl-1.uceprotect.net", QStringLiteral("127.0.0.2=UCEPROTECT level 1: spam source"))};
    return out;
}

} // namespace rd::ui

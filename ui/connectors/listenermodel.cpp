#include "connectors/listenermodel.h"
#include "connectors/uniquename.h"

#include "connectors/listenerlimits.h"
#include "directory/directoryconfig.h"
#include "util/cidr.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QHash>
#include <QHostAddress>
#include <QRegularExpression>
#include <QVariantMap>

#include <algorithm>
#include <climits>

namespace rd::ui {

using rd::config::ListenerConfig;

namespace {

bool isLimit(int column)
{
    return column >= ListenerModel::MaxMessageSize && column <= ListenerModel::MaxSessionsPerIp;
}

ListenerLimits::Limit limitOf(int column)
{
    return ListenerLimits::Limit(column - ListenerModel::MaxMessageSize);
}

const QColor kErrorBackground(255, 205, 205);
const QColor kErrorForeground(120, 0, 0);

QString columnTitle(int column)
{
    switch (column) {
    case ListenerModel::Name: return ListenerModel::tr("Name");
    case ListenerModel::Address: return ListenerModel::tr("Address");
    case ListenerModel::Port: return ListenerModel::tr("Port");
    case ListenerModel::Mode: return ListenerModel::tr("Mode");
    case ListenerModel::Role: return ListenerModel::tr("Role");
    case ListenerModel::Certificate: return ListenerModel::tr("Certificate");
    case ListenerModel::PlaintextAuth: return ListenerModel::tr("Plaintext AUTH");
    case ListenerModel::MaxMessageSize: return ListenerModel::tr("Max size");
    case ListenerModel::MaxRecipients: return ListenerModel::tr("Max recipients");
    case ListenerModel::MaxSessionsPerIp: return ListenerModel::tr("Sessions/IP");
    case ListenerModel::RelayGroups: return ListenerModel::tr("Directory relay groups");
    case ListenerModel::SenderCheck: return ListenerModel::tr("Send as own address");
    case ListenerModel::ProxyFrom: return ListenerModel::tr("Load balancers (PROXY)");
    }
    return {};
}

QString columnTip(int column)
{
    switch (column) {
    case ListenerModel::Name: return ListenerModel::tr("A unique name, used in the log and the relay lists");
    case ListenerModel::Address:
        return ListenerModel::tr("Local address to listen on: 127.0.0.1 (this computer only), 0.0.0.0 "
                                 "(every IPv4 address), :: (every IPv6 address) or one address of this computer");
    case ListenerModel::Port: return ListenerModel::tr("TCP port: 25 relay, 587 submission, 465 submission over TLS");
    case ListenerModel::Mode:
        return ListenerModel::tr("Plain: STARTTLS offered when a certificate is set; STARTTLS required: no "
                                 "mail before TLS; Implicit TLS: TLS from the first byte (port 465)");
    case ListenerModel::Role:
        return ListenerModel::tr("Relay: listed client addresses may relay, AUTH optional; Submission: AUTH "
                                 "required before MAIL (port 587/465)");
    case ListenerModel::Certificate: return ListenerModel::tr("The certificate presented for TLS");
    case ListenerModel::PlaintextAuth:
        return ListenerModel::tr("Allow AUTH without TLS; honoured for clients on this computer (loopback) only");
    case ListenerModel::MaxMessageSize:
        return ListenerModel::tr("Largest message accepted here, e.g. 10 MB or exact octets; 0: the global setting");
    case ListenerModel::MaxRecipients:
        return ListenerModel::tr("Recipients per message accepted here; 0: the global setting");
    case ListenerModel::MaxSessionsPerIp:
        return ListenerModel::tr("Concurrent sessions from one client address on this listener; 0: the global setting");
    case ListenerModel::RelayGroups:
        return ListenerModel::tr("Directory groups whose members may relay here after signing in; default: the "
                                 "directory.relay_groups setting. Double-click to edit");
    case ListenerModel::SenderCheck:
        return ListenerModel::tr("Directory users may only use their own addresses (mail, proxyAddresses) as MAIL "
                                 "FROM here; others get 553 5.7.1");
    case ListenerModel::ProxyFrom:
        return ListenerModel::tr("Connections from these addresses must start with a PROXY protocol header "
                                 "(HAProxy send-proxy-v2); the client it names is the one relay lists, limits "
                                 "and logs see. Anyone else sending one is refused.");
    }
    return {};
}

// The address a listener binds, for clash detection; null if unparsable.
QHostAddress bindAddress(const QString &text)
{
    QHostAddress a;
    if (text.contains(QLatin1Char('%')) || !a.setAddress(text.trimmed()))
        return {};
    return a;
}

bool isWildcard(const QHostAddress &a)
{
    return a == QHostAddress(QHostAddress::AnyIPv4) || a == QHostAddress(QHostAddress::AnyIPv6);
}

// Two listeners on one port clash if their addresses are equal or one is the
// wildcard of the other's family (bind() refuses that on Linux).
bool clashes(const QHostAddress &a, const QHostAddress &b)
{
    if (a.isNull() || b.isNull())
        return false;
    if (a.isEqual(b, QHostAddress::StrictConversion))
        return true;
    if (a.protocol() != b.protocol())
        return false;
    return isWildcard(a) || isWildcard(b);
}

QString endpointKey(const ListenerConfig &l)
{
    return l.name + QLatin1Char('|') + l.address + QLatin1Char('|') + QString::number(l.port);
}

} // namespace

ListenerModel::ListenerModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

const QStringList &ListenerModel::modes()
{
    static const QStringList m{QStringLiteral("plain"), QStringLiteral("starttls_required"),
                               QStringLiteral("implicit_tls")};
    return m;
}

const QStringList &ListenerModel::roles()
{
    static const QStringList r{QStringLiteral("relay"), QStringLiteral("submission")};
    return r;
}

QString ListenerModel::modeLabel(const QString &mode)
{
    if (mode == QLatin1String("plain"))
        return tr("Plain / STARTTLS offered");
    if (mode == QLatin1String("starttls_required"))
        return tr("STARTTLS required");
    if (mode == QLatin1String("implicit_tls"))
        return tr("Implicit TLS");
    return mode;
}

QString ListenerModel::roleLabel(const QString &role)
{
    if (role == QLatin1String("relay"))
        return tr("Relay");
    if (role == QLatin1String("submission"))
        return tr("Submission (AUTH)");
    return role;
}

QString ListenerModel::presetLabel(Preset preset)
{
    switch (preset) {
    case RelayPreset: return tr("Relay (port 25, STARTTLS offered)");
    case SubmissionPreset: return tr("Submission (port 587, STARTTLS + AUTH required)");
    case SubmissionTlsPreset: return tr("Submission over TLS (port 465)");
    case PresetCount: break;
    }
    return {};
}

ListenerConfig ListenerModel::preset(Preset preset, const QString &certificateId) const
{
    ListenerConfig l;
    l.address = QStringLiteral("127.0.0.1");
    l.certificate = certificateId;
    l.allowPlaintextAuth = false;
    switch (preset) {
    case RelayPreset:
        l.name = uniqueName(QStringLiteral("relay"));
        l.port = 25;
        l.mode = QStringLiteral("plain");
        l.role = QStringLiteral("relay");
        l.relayAllow = {QStringLiteral("127.0.0.1/32")};
        break;
    case SubmissionPreset:
        l.name = uniqueName(QStringLiteral("submission"));
        l.port = 587;
        l.mode = QStringLiteral("starttls_required");
        l.role = QStringLiteral("submission");
        l.relayAllow = {};
        break;
    case SubmissionTlsPreset:
        l.name = uniqueName(QStringLiteral("submissions"));
        l.port = 465;
        l.mode = QStringLiteral("implicit_tls");
        l.role = QStringLiteral("submission");
        l.relayAllow = {};
        break;
    case PresetCount:
        break;
    }
    return l;
}

QString ListenerModel::uniqueName(const QString &base) const
{
    return rd::ui::uniqueName(base, [this](const QString &name) {
        for (const Row &r : m_rows) {
            if (r.current.name.compare(name, Qt::CaseInsensitive) == 0)
                return true;
        }
        return false;
    });
}

int ListenerModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ListenerModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ListenerModel::rawValue(const ListenerConfig &l, int column) const
{
    switch (column) {
    case Name: return l.name;
    case Address: return l.address;
    case Port: return int(l.port);
    case Mode: return l.mode;
    case Role: return l.role;
    case Certificate: return l.certificate;
    case PlaintextAuth: return l.allowPlaintextAuth;
    case MaxMessageSize: return l.maxMessageSize;
    case MaxRecipients: return l.maxRecipients;
    case MaxSessionsPerIp: return l.maxSessionsPerIp;
    case RelayGroups: return l.relayGroups;
    case SenderCheck: return l.senderCheck;
    case ProxyFrom: return l.proxyFrom;
    }
    return {};
}

QString ListenerModel::groupLabel(const QString &dn)
{
    // The value of the first RDN, up to the first unescaped comma.
    QString first;
    bool escaped = false;
    for (const QChar c : dn) {
        if (!escaped && c == QLatin1Char(','))
            break;
        escaped = !escaped && c == QLatin1Char('\\');
        first += c;
    }
    const int eq = first.indexOf(QLatin1Char('='));
    QString value = (eq < 0 ? first : first.mid(eq + 1)).trimmed();
    QString out;
    escaped = false;
    for (const QChar c : value) {
        if (!escaped && c == QLatin1Char('\\')) {
            escaped = true;
            continue;
        }
        escaped = false;
        out += c;
    }
    return out.isEmpty() ? dn.trimmed() : out;
}

QString ListenerModel::groupsLabel(const QStringList &dns)
{
    QStringList labels;
    for (const QString &dn : dns)
        labels << groupLabel(dn);
    return labels.join(QStringLiteral(", "));
}

QString ListenerModel::groupsProblem(const QStringList &dns)
{
    for (const QString &dn : dns) {
        const QString problem = rd::directory::dnProblem(dn);
        if (!problem.isEmpty())
            return dn.trimmed().isEmpty() ? tr("An empty line is not a group DN") : problem;
    }
    return {};
}

QStringList ListenerModel::parseProxyList(const QString &text)
{
    static const QRegularExpression separators(QStringLiteral("[,\\s]+"));
    QStringList out;
    for (const QString &entry : text.split(separators, Qt::SkipEmptyParts)) {
        if (!out.contains(entry))
            out << entry;
    }
    return out;
}

QString ListenerModel::proxyProblem(const QStringList &entries)
{
    rd::util::CidrList list;
    QString why;
    if (list.parse(entries, &why))
        return {};
    return why.isEmpty() ? tr("Not a list of addresses or CIDR ranges") : why;
}

qint64 ListenerModel::globalLimit(int column) const
{
    return isLimit(column) ? m_globalLimits[column - MaxMessageSize] : 0;
}

void ListenerModel::setGlobalLimits(qint64 maxMessageSize, int maxRecipients, int maxSessionsPerIp)
{
    m_globalLimits[0] = maxMessageSize;
    m_globalLimits[1] = maxRecipients;
    m_globalLimits[2] = maxSessionsPerIp;
    if (!m_rows.isEmpty())
        emit dataChanged(index(0, MaxMessageSize), index(int(m_rows.size()) - 1, MaxSessionsPerIp));
}

bool ListenerModel::cellDirty(const Row &r, int column) const
{
    return r.isNew || rawValue(r.current, column) != rawValue(r.original, column);
}

bool ListenerModel::rowDirty(const Row &r) const
{
    return r.isNew || r.current != r.original;
}

QString ListenerModel::certificateLabel(const QString &id) const
{
    if (id.isEmpty())
        return {};
    for (const auto &c : m_certificates) {
        if (c.id != id)
            continue;
        if (c.commonName.isEmpty() || c.commonName == c.name)
            return c.name.isEmpty() ? c.id : c.name;
        return c.name.isEmpty() ? c.commonName : QStringLiteral("%1 (%2)").arg(c.name, c.commonName);
    }
    return id;
}

QVariant ListenerModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    const ListenerConfig &l = r.current;
    const int column = index.column();
    const QString &error = r.errors[column];

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case Mode:
            // Plain offers STARTTLS only when there is a certificate to offer.
            if (l.mode == QLatin1String("plain"))
                return l.certificate.isEmpty() ? tr("Plain (no TLS)") : tr("STARTTLS offered");
            return modeLabel(l.mode);
        case Role: return roleLabel(l.role);
        case Certificate: return l.certificate.isEmpty() ? tr("(none)") : certificateLabel(l.certificate);
        case PlaintextAuth: return l.allowPlaintextAuth ? tr("loopback only") : QString();
        case RelayGroups:
            return l.relayGroups.isEmpty() ? tr("default (directory.relay_groups)") : groupsLabel(l.relayGroups);
        case SenderCheck: return l.senderCheck ? tr("own addresses only") : QString();
        case ProxyFrom: return l.proxyFrom.isEmpty() ? tr("none") : l.proxyFrom.join(QStringLiteral(", "));
        case MaxMessageSize:
        case MaxRecipients:
        case MaxSessionsPerIp:
            return ListenerLimits::display(limitOf(column), rawValue(l, column).toLongLong(), globalLimit(column));
        default: return rawValue(l, column);
        }
    case Qt::EditRole:
        if (column == PlaintextAuth || column == SenderCheck)
            return {};
        if (column == RelayGroups)
            return l.relayGroups.join(QLatin1Char('\n'));
        if (column == ProxyFrom)
            return l.proxyFrom.join(QStringLiteral(", "));
        return rawValue(l, column);
    case Qt::CheckStateRole:
        if (column == PlaintextAuth)
            return l.allowPlaintextAuth ? Qt::Checked : Qt::Unchecked;
        if (column == SenderCheck)
            return l.senderCheck ? Qt::Checked : Qt::Unchecked;
        return {};
    case Qt::ToolTipRole:
        if (!error.isEmpty())
            return error;
        if (column == Certificate && !l.certificate.isEmpty())
            return tr("Certificate id %1").arg(l.certificate);
        if (column == RelayGroups && !l.relayGroups.isEmpty())
            return tr("Members of these directory groups may relay here:\n%1")
                .arg(l.relayGroups.join(QLatin1Char('\n')));
        if (isLimit(column))
            return ListenerLimits::toolTip(limitOf(column), rawValue(l, column).toLongLong(), globalLimit(column));
        return columnTip(column);
    case Qt::BackgroundRole:
        return error.isEmpty() ? QVariant() : QVariant(QBrush(kErrorBackground));
    case Qt::ForegroundRole:
        return error.isEmpty() ? QVariant() : QVariant(QBrush(kErrorForeground));
    case Qt::FontRole: {
        if (!rowDirty(r))
            return {};
        // uat_model style: a changed row in italics, the changed cells also bold.
        QFont f;
        f.setItalic(true);
        f.setBold(cellDirty(r, column));
        return f;
    }
    case Qt::TextAlignmentRole:
        if (column == Port || isLimit(column))
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case RawValueRole: return rawValue(l, column);
    case NameRole: return l.name;
    case AddressRole: return l.address;
    case PortRole: return int(l.port);
    case ModeRole: return l.mode;
    case ListenerRoleRole: return l.role;
    case CertificateIdRole: return l.certificate;
    case PlaintextAuthRole: return l.allowPlaintextAuth;
    case RelayGroupsRole: return l.relayGroups;
    case SenderCheckRole: return l.senderCheck;
    case ProxyFromRole: return l.proxyFrom;
    case ListenerConfigRole: return QVariant::fromValue(l);
    case ErrorRole: return error;
    case RowErrorRole:
        for (const QString &e : r.errors) {
            if (!e.isEmpty())
                return e;
        }
        return QString();
    case DirtyRole: return rowDirty(r);
    case CellDirtyRole: return cellDirty(r, column);
    case NewRole: return r.isNew;
    case EffectiveLimitRole: {
        if (!isLimit(column))
            return {};
        const qint64 v = rawValue(l, column).toLongLong();
        return v == 0 ? globalLimit(column) : v;
    }
    case ChoicesRole: {
        QVariantList choices;
        auto add = [&choices](const QString &value, const QString &label) {
            choices.append(QVariantMap{{QStringLiteral("value"), value}, {QStringLiteral("label"), label}});
        };
        if (column == Mode) {
            for (const QString &m : modes())
                add(m, modeLabel(m));
        } else if (column == Role) {
            for (const QString &ro : roles())
                add(ro, roleLabel(ro));
        } else if (column == Certificate) {
            add(QString(), tr("(none)"));
            bool present = l.certificate.isEmpty();
            for (const auto &c : m_certificates) {
                add(c.id, certificateLabel(c.id));
                present = present || c.id == l.certificate;
            }
            if (!present)
                add(l.certificate, l.certificate);
        } else {
            return {};
        }
        return choices;
    }
    }
    return {};
}

bool ListenerModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return false;
    ListenerConfig &l = m_rows[index.row()].current;
    const int column = index.column();
    if (column == PlaintextAuth || column == SenderCheck) {
        if (role != Qt::CheckStateRole && role != Qt::EditRole)
            return false;
        const bool on = role == Qt::CheckStateRole ? value.toInt() == Qt::Checked : value.toBool();
        bool &field = column == PlaintextAuth ? l.allowPlaintextAuth : l.senderCheck;
        if (on == field)
            return true;
        field = on;
    } else if (column == RelayGroups) {
        if (role != Qt::EditRole)
            return false;
        // A list of DNs, or text with one DN per line; an invalid DN refuses the edit.
        const QStringList groups = value.metaType().id() == QMetaType::QStringList
            ? rd::directory::parseGroupList(value.toStringList().join(QLatin1Char('\n')))
            : rd::directory::parseGroupList(value.toString());
        if (!groupsProblem(groups).isEmpty())
            return false;
        if (groups == l.relayGroups)
            return true;
        l.relayGroups = groups;
    } else if (column == ProxyFrom) {
        if (role != Qt::EditRole)
            return false;
        // A list, or text separated by commas or blanks; an invalid entry refuses the edit.
        const QStringList entries = parseProxyList(value.metaType().id() == QMetaType::QStringList
                                                       ? value.toStringList().join(QLatin1Char(','))
                                                       : value.toString());
        if (!proxyProblem(entries).isEmpty())
            return false;
        if (entries == l.proxyFrom)
            return true;
        l.proxyFrom = entries;
    } else {
        if (role != Qt::EditRole)
            return false;
        switch (column) {
        case Name: l.name = value.toString().trimmed(); break;
        case Address: l.address = value.toString().trimmed(); break;
        case Port: {
            bool ok = false;
            const int port = value.toString().trimmed().toInt(&ok);
            // Out-of-range input is stored as 0 and shown as an error.
            l.port = ok && port > 0 && port <= 65535 ? quint16(port) : 0;
            break;
        }
        case Mode: l.mode = value.toString(); break;
        case Role: l.role = value.toString(); break;
        case Certificate: l.certificate = value.toString(); break;
        case MaxMessageSize: l.maxMessageSize = ListenerLimits::parse(ListenerLimits::MessageSize, value); break;
        case MaxRecipients:
        case MaxSessionsPerIp: {
            // Invalid input is stored as -1 (or INT_MAX when too large) and shown as an error.
            const qint64 v = ListenerLimits::parse(limitOf(column), value);
            (column == MaxRecipients ? l.maxRecipients : l.maxSessionsPerIp) = int(std::min<qint64>(v, INT_MAX));
            break;
        }
        default: return false;
        }
    }
    validateAll();
    emitAllChanged();
    emit stateChanged();
    return true;
}

Qt::ItemFlags ListenerModel::flags(const QModelIndex &index) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.column() == PlaintextAuth || index.column() == SenderCheck)
        return f | Qt::ItemIsUserCheckable;
    return f | Qt::ItemIsEditable;
}

QVariant ListenerModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical) {
        if (section < 0 || section >= m_rows.size())
            return {};
        const Row &r = m_rows.at(section);
        if (role == Qt::DisplayRole)
            return r.isNew ? QStringLiteral("+") : rowDirty(r) ? QStringLiteral("*") : QString();
        if (role == Qt::ToolTipRole)
            return r.isNew ? tr("New, not applied yet") : rowDirty(r) ? tr("Changed, not applied yet") : QString();
        return {};
    }
    if (section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole)
        return columnTitle(section);
    if (role == Qt::ToolTipRole)
        return columnTip(section);
    return {};
}

bool ListenerModel::removeRows(int row, int count, const QModelIndex &parent)
{
    if (parent.isValid() || row < 0 || count <= 0 || row + count > m_rows.size())
        return false;
    beginRemoveRows({}, row, row + count - 1);
    m_rows.remove(row, count);
    endRemoveRows();
    validateAll();
    emitAllChanged();
    emit stateChanged();
    return true;
}

void ListenerModel::load(const QList<ListenerConfig> &listeners)
{
    beginResetModel();
    m_loaded = listeners;
    m_rows.clear();
    m_rows.reserve(listeners.size());
    for (const ListenerConfig &l : listeners) {
        Row r;
        r.current = l;
        r.original = l;
        m_rows.append(r);
    }
    validateAll();
    endResetModel();
    emit stateChanged();
}

void ListenerModel::rebase(const QList<ListenerConfig> &inForce)
{
    QHash<QString, const ListenerConfig *> byKey;
    for (const ListenerConfig &l : inForce)
        byKey.insert(endpointKey(l), &l);
    for (Row &r : m_rows) {
        const ListenerConfig *match = r.isNew ? nullptr : byKey.value(endpointKey(r.original));
        if (!match)
            continue;
        r.current.relayAllow = r.original.relayAllow = match->relayAllow;
        r.current.relayDeny = r.original.relayDeny = match->relayDeny;
    }
    for (ListenerConfig &l : m_loaded) {
        if (const ListenerConfig *match = byKey.value(endpointKey(l))) {
            l.relayAllow = match->relayAllow;
            l.relayDeny = match->relayDeny;
        }
    }
    emit stateChanged();
}

void ListenerModel::revertAll()
{
    load(m_loaded);
}

int ListenerModel::addListener(const ListenerConfig &listener)
{
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    Row r;
    r.current = listener;
    r.isNew = true;
    m_rows.append(r);
    endInsertRows();
    validateAll();
    emitAllChanged();
    emit stateChanged();
    return row;
}

QList<ListenerConfig> ListenerModel::listeners() const
{
    QList<ListenerConfig> out;
    out.reserve(m_rows.size());
    for (const Row &r : m_rows)
        out.append(r.current);
    return out;
}

bool ListenerModel::isDirty() const
{
    return listeners() != m_loaded;
}

QStringList ListenerModel::errors() const
{
    QStringList out;
    for (int i = 0; i < m_rows.size(); ++i) {
        const Row &r = m_rows.at(i);
        for (int c = 0; c < ColumnCount; ++c) {
            if (!r.errors[c].isEmpty())
                out << tr("Row %1 (\"%2\"), %3: %4").arg(i + 1).arg(r.current.name, columnTitle(c), r.errors[c]);
        }
    }
    return out;
}

void ListenerModel::setCertificates(const QList<rd::tls::CertificateInfo> &certificates)
{
    m_certificates = certificates;
    m_certificatesKnown = true;
    validateAll();
    emitAllChanged();
    emit stateChanged();
}

void ListenerModel::validateAll()
{
    m_errorCount = 0;
    const int n = int(m_rows.size());
    QVector<QHostAddress> addresses(n);
    for (int i = 0; i < n; ++i)
        addresses[i] = bindAddress(m_rows.at(i).current.address);

    for (int i = 0; i < n; ++i) {
        Row &r = m_rows[i];
        const ListenerConfig &l = r.current;
        for (QString &e : r.errors)
            e.clear();

        if (l.name.isEmpty()) {
            r.errors[Name] = tr("A listener needs a name");
        } else {
            for (int j = 0; j < n; ++j) {
                if (j != i && m_rows.at(j).current.name.compare(l.name, Qt::CaseInsensitive) == 0) {
                    r.errors[Name] = tr("Row %1 has the same name").arg(j + 1);
                    break;
                }
            }
        }

        if (addresses.at(i).isNull()) {
            r.errors[Address] = l.address.isEmpty()
                ? tr("Enter an IPv4 or IPv6 address (0.0.0.0 listens on every IPv4 address)")
                : tr("\"%1\" is not an IPv4 or IPv6 address").arg(l.address);
        }

        if (l.port == 0) {
            r.errors[Port] = tr("The port must be between 1 and 65535");
        } else {
            for (int j = 0; j < n; ++j) {
                if (j == i || m_rows.at(j).current.port != l.port || !clashes(addresses.at(i), addresses.at(j)))
                    continue;
                const QString other = m_rows.at(j).current.address;
                r.errors[Port] = other == l.address
                    ? tr("Port %1 on %2 is also used by row %3 (\"%4\")")
                          .arg(l.port).arg(l.address).arg(j + 1).arg(m_rows.at(j).current.name)
                    : tr("Port %1 on %2 clashes with %3 in row %4 (\"%5\"): a wildcard address takes the "
                         "port on every address")
                          .arg(l.port).arg(l.address, other).arg(j + 1).arg(m_rows.at(j).current.name);
                break;
            }
        }

        if (!modes().contains(l.mode))
            r.errors[Mode] = tr("Unknown mode \"%1\"").arg(l.mode);
        if (!roles().contains(l.role))
            r.errors[Role] = tr("Unknown role \"%1\"").arg(l.role);

        if (l.certificate.isEmpty()) {
            if (l.mode == QLatin1String("implicit_tls") || l.mode == QLatin1String("starttls_required"))
                r.errors[Certificate] = tr("%1 needs a certificate: choose one, or import one in Certificates")
                                            .arg(modeLabel(l.mode));
        } else if (m_certificatesKnown) {
            bool found = false;
            for (const auto &c : m_certificates)
                found = found || c.id == l.certificate;
            if (!found)
                r.errors[Certificate] = tr("Certificate %1 is not in the certificate store").arg(l.certificate);
        }

        for (int c = MaxMessageSize; c <= MaxSessionsPerIp; ++c)
            r.errors[c] = ListenerLimits::error(limitOf(c), rawValue(l, c).toLongLong());

        // setData() refuses invalid DNs; a loaded list may still have one.
        r.errors[RelayGroups] = groupsProblem(l.relayGroups);
        // Likewise for the load balancers (ConfigSnapshot::validate() refuses them too).
        r.errors[ProxyFrom] = proxyProblem(l.proxyFrom);

        for (const QString &e : r.errors)
            m_errorCount += e.isEmpty() ? 0 : 1;
    }
}

void ListenerModel::emitAllChanged()
{
    if (m_rows.isEmpty())
        return;
    // Errors can move between rows (duplicates), so every row is refreshed.
    emit dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
    emit headerDataChanged(Qt::Vertical, 0, int(m_rows.size()) - 1);
}

} // namespace rd::ui

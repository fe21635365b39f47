#include "connectors/sendconnectormodel.h"
#include "connectors/uniquename.h"

#include <QBrush>
#include <QColor>
#include <QFont>

#include <algorithm>

namespace rd::ui {

using rd::config::SendConnectorConfig;

namespace {

const QColor kErrorBackground(255, 205, 205);
const QColor kErrorForeground(120, 0, 0);

QString columnTitle(int column)
{
    switch (column) {
    case SendConnectorModel::Name: return SendConnectorModel::tr("Name");
    case SendConnectorModel::Domains: return SendConnectorModel::tr("Domains");
    case SendConnectorModel::Route: return SendConnectorModel::tr("Route");
    case SendConnectorModel::Hosts: return SendConnectorModel::tr("Smart hosts");
    case SendConnectorModel::Tls: return SendConnectorModel::tr("TLS");
    case SendConnectorModel::AuthUser: return SendConnectorModel::tr("AUTH user");
    case SendConnectorModel::Limits: return SendConnectorModel::tr("Limits");
    }
    return {};
}

QString columnTip(int column)
{
    switch (column) {
    case SendConnectorModel::Name: return SendConnectorModel::tr("A unique name, used in the log");
    case SendConnectorModel::Domains:
        return SendConnectorModel::tr("Recipient domains this connector handles: example.com, *.example.com "
                                      "(its subdomains) or * (every domain). The first matching connector wins.");
    case SendConnectorModel::Route:
        return SendConnectorModel::tr("Smart host: hand the mail to the listed servers; MX lookup: deliver "
                                      "straight to the recipient domain's mail servers");
    case SendConnectorModel::Hosts:
        return SendConnectorModel::tr("host:port, tried in this order (failover)");
    case SendConnectorModel::Tls: return SendConnectorModel::tr("Encryption towards the next server");
    case SendConnectorModel::AuthUser: return SendConnectorModel::tr("User for SMTP AUTH; empty: no authentication");
    case SendConnectorModel::Limits:
        return SendConnectorModel::tr("Parallel connections per destination and messages per connection");
    }
    return {};
}

} // namespace

SendConnectorModel::SendConnectorModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

const QStringList &SendConnectorModel::tlsPolicies()
{
    static const QStringList p{QStringLiteral("none"), QStringLiteral("opportunistic"), QStringLiteral("required"),
                               QStringLiteral("verify")};
    return p;
}

QString SendConnectorModel::tlsLabel(const QString &policy)
{
    if (policy == QLatin1String("none"))
        return tr("None");
    if (policy == QLatin1String("opportunistic"))
        return tr("Opportunistic");
    if (policy == QLatin1String("required"))
        return tr("Required");
    if (policy == QLatin1String("verify"))
        return tr("Required + verify");
    return policy;
}

QString SendConnectorModel::routeLabel(const QString &route)
{
    if (route == QLatin1String("smarthost"))
        return tr("Smart host");
    if (route == QLatin1String("mx"))
        return tr("MX lookup");
    return route;
}

QString SendConnectorModel::presetLabel(Preset preset)
{
    switch (preset) {
    case BlankPreset: return tr("Empty connector");
    case Microsoft365Preset: return tr("Microsoft 365 (smtp.office365.com:587, STARTTLS required, AUTH)");
    case GmailPreset: return tr("Gmail (smtp.gmail.com:587)");
    case DirectMxPreset: return tr("Direct MX delivery (route mx, opportunistic TLS)");
    case InternalPreset: return tr("Internal smart host (host:25, opportunistic)");
    case PresetCount: break;
    }
    return {};
}

SendConnectorConfig SendConnectorModel::preset(Preset preset) const
{
    SendConnectorConfig c;
    c.domains = {QStringLiteral("*")};
    c.route = QStringLiteral("smarthost");
    c.tls = QStringLiteral("opportunistic");
    switch (preset) {
    case BlankPreset:
        c.name = uniqueName(QStringLiteral("connector"));
        break;
    case Microsoft365Preset:
        c.name = uniqueName(QStringLiteral("microsoft365"));
        c.smartHosts = {QStringLiteral("smtp.office365.com:587")};
        // Credentials go over this connection: check the server's certificate too.
        c.tls = QStringLiteral("verify");
        break;
    case GmailPreset:
        c.name = uniqueName(QStringLiteral("gmail"));
        c.smartHosts = {QStringLiteral("smtp.gmail.com:587")};
        c.tls = QStringLiteral("verify");
        break;
    case DirectMxPreset:
        c.name = uniqueName(QStringLiteral("direct-mx"));
        c.route = QStringLiteral("mx");
        break;
    case InternalPreset:
        c.name = uniqueName(QStringLiteral("internal"));
        c.smartHosts = {}; // the admin types host:25
        break;
    case PresetCount:
        break;
    }
    return c;
}

QString SendConnectorModel::uniqueName(const QString &base) const
{
    return rd::ui::uniqueName(base, [this](const QString &name) {
        for (const Row &r : m_rows) {
            if (r.current.name.compare(name, Qt::CaseInsensitive) == 0)
                return true;
        }
        return false;
    });
}

int SendConnectorModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SendConnectorModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString SendConnectorModel::displayText(const Row &r, int column) const
{
    const SendConnectorConfig &c = r.current;
    switch (column) {
    case Name: return c.name;
    case Domains: return c.domains.join(QStringLiteral(", "));
    case Route: return routeLabel(c.route);
    case Hosts:
        return c.usesMx() ? tr("(MX records)") : c.smartHosts.join(QStringLiteral(", "));
    case Tls:
        return c.implicitTls ? tr("%1, implicit TLS").arg(tlsLabel(c.tls)) : tlsLabel(c.tls);
    case AuthUser: return c.authUser;
    case Limits:
        return tr("%1 conn, %2 msg").arg(c.maxConnections).arg(c.maxMessagesPerConnection);
    }
    return {};
}

QVariant SendConnectorModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    const int column = index.column();
    const QString &error = r.errors[column];
    const bool dirty = r.dirty();

    switch (role) {
    case Qt::DisplayRole: return displayText(r, column);
    case Qt::ToolTipRole:
        if (!error.isEmpty())
            return error;
        if (column == Limits) {
            return tr("Up to %1 parallel connections per destination, %2 messages per connection; connect "
                      "timeout %3 s, command timeout %4 s")
                .arg(r.current.maxConnections)
                .arg(r.current.maxMessagesPerConnection)
                .arg(r.current.connectTimeoutS)
                .arg(r.current.commandTimeoutS);
        }
        if (column == Name)
            return r.current.name;
        if (column == Tls)
            return tr("TLS %1%2").arg(tlsLabel(r.current.tls), r.current.implicitTls ? tr(", implicit TLS") : QString());
        if (column == Hosts && !r.current.usesMx() && !r.current.smartHosts.isEmpty())
            return tr("Tried in this order: %1").arg(r.current.smartHosts.join(QStringLiteral(", ")));
        if (column == Domains && !r.current.domains.isEmpty())
            return tr("Recipient domains: %1").arg(r.current.domains.join(QStringLiteral(", ")));
        if (column == AuthUser && !r.current.authUser.isEmpty())
            return r.current.authPassword.isEmpty() ? tr("User %1, no password stored").arg(r.current.authUser)
                                                    : tr("User %1, password stored").arg(r.current.authUser);
        return columnTip(column);
    case Qt::BackgroundRole: return error.isEmpty() ? QVariant() : QVariant(QBrush(kErrorBackground));
    case Qt::ForegroundRole: return error.isEmpty() ? QVariant() : QVariant(QBrush(kErrorForeground));
    case Qt::FontRole: {
        if (!dirty)
            return {};
        QFont f;
        f.setItalic(true);
        return f;
    }
    case ConnectorRole: return QVariant::fromValue(r.current);
    case ErrorRole: return error;
    case RowErrorRole: {
        QStringList all;
        for (const QString &e : r.errors) {
            if (!e.isEmpty())
                all << e;
        }
        return all.join(QLatin1Char('\n'));
    }
    case DirtyRole: return dirty;
    case NewRole: return r.isNew;
    }
    return {};
}

Qt::ItemFlags SendConnectorModel::flags(const QModelIndex &index) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable;
}

QVariant SendConnectorModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical) {
        if (section < 0 || section >= m_rows.size())
            return {};
        const Row &r = m_rows.at(section);
        const bool dirty = r.dirty();
        if (role == Qt::DisplayRole)
            return r.isNew ? QStringLiteral("+") : dirty ? QStringLiteral("*") : QString::number(section + 1);
        if (role == Qt::ToolTipRole) {
            return r.isNew ? tr("New, not applied yet")
                 : dirty   ? tr("Changed or moved, not applied yet")
                           : tr("Checked in this order: the first connector whose domains match is used");
        }
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

bool SendConnectorModel::removeRows(int row, int count, const QModelIndex &parent)
{
    if (parent.isValid() || row < 0 || count <= 0 || row + count > m_rows.size())
        return false;
    beginRemoveRows({}, row, row + count - 1);
    m_rows.remove(row, count);
    endRemoveRows();
    changed();
    return true;
}

bool SendConnectorModel::moveRows(const QModelIndex &sourceParent, int sourceRow, int count,
                                  const QModelIndex &destinationParent, int destinationChild)
{
    const int n = int(m_rows.size());
    if (sourceParent.isValid() || destinationParent.isValid() || count != 1 || sourceRow < 0 || sourceRow >= n ||
        destinationChild < 0 || destinationChild > n || destinationChild == sourceRow ||
        destinationChild == sourceRow + 1)
        return false;
    if (!beginMoveRows({}, sourceRow, sourceRow, {}, destinationChild))
        return false;
    const Row moved = m_rows.takeAt(sourceRow);
    m_rows.insert(destinationChild > sourceRow ? destinationChild - 1 : destinationChild, moved);
    endMoveRows();
    changed();
    return true;
}

bool SendConnectorModel::moveRow(int row, int delta)
{
    if (delta == -1)
        return moveRows({}, row, 1, {}, row - 1);
    if (delta == 1)
        return moveRows({}, row, 1, {}, row + 2);
    return false;
}

void SendConnectorModel::load(const QList<SendConnectorConfig> &connectors)
{
    beginResetModel();
    m_loaded = connectors;
    m_rows.clear();
    m_rows.reserve(connectors.size());
    for (int i = 0; i < connectors.size(); ++i) {
        Row r;
        r.current = r.original = connectors.at(i);
        r.loadedRow = i;
        m_rows.append(r);
    }
    validateAll();
    endResetModel();
    emit stateChanged();
}

void SendConnectorModel::revertAll()
{
    load(m_loaded);
}

int SendConnectorModel::addConnector(const SendConnectorConfig &connector)
{
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    Row r;
    r.current = connector;
    r.isNew = true;
    m_rows.append(r);
    endInsertRows();
    changed();
    return row;
}

bool SendConnectorModel::setConnector(int row, const SendConnectorConfig &connector)
{
    if (row < 0 || row >= m_rows.size())
        return false;
    m_rows[row].current = connector;
    changed();
    return true;
}

QList<SendConnectorConfig> SendConnectorModel::connectors() const
{
    QList<SendConnectorConfig> out;
    out.reserve(m_rows.size());
    for (const Row &r : m_rows)
        out.append(r.current);
    return out;
}

int SendConnectorModel::columnForError(const QString &sentence)
{
    // The part after "send connector N ("name"): ".
    const qsizetype colon = sentence.indexOf(QLatin1String("\"): "));
    const QString s = colon < 0 ? sentence : sentence.mid(colon + 4);
    // OAuth settings are edited with the authentication (their cell: AUTH).
    if (s.startsWith(QLatin1String("oauth "), Qt::CaseInsensitive) || s.startsWith(QLatin1String("OAuth 2.0")))
        return AuthUser;
    if (s.contains(QLatin1String("smart host")))
        return Hosts;
    if (s.contains(QLatin1String("AUTH")))
        return AuthUser;
    if (s.contains(QLatin1String("tls"), Qt::CaseInsensitive))
        return Tls;
    if (s.contains(QLatin1String("route")))
        return Route;
    if (s.contains(QLatin1String("domain")))
        return Domains;
    if (s.contains(QLatin1String("timeout")) || s.contains(QLatin1String("max_")))
        return Limits;
    return Name;
}

QString SendConnectorModel::sentence(const QString &error)
{
    if (error.isEmpty())
        return error;
    return error.at(0).toUpper() + error.mid(1);
}

void SendConnectorModel::validateAll()
{
    // Moved: the loaded rows that remain are no longer in their loaded order.
    QVector<int> order;
    for (const Row &r : m_rows) {
        if (!r.isNew)
            order << r.loadedRow;
    }
    QVector<int> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    int k = 0;
    for (Row &r : m_rows) {
        if (!r.isNew) {
            r.moved = sorted.at(k) != r.loadedRow;
            ++k;
        }
    }

    const QList<SendConnectorConfig> list = connectors();
    const QStringList all = rd::config::validateSendConnectors(list);
    m_errors.clear();
    for (Row &r : m_rows) {
        for (QString &e : r.errors)
            e.clear();
    }
    for (const QString &e : all) {
        m_errors << sentence(e);
        // Rows are named "send connector N ("name")"; match the exact prefix.
        for (int i = 0; i < m_rows.size(); ++i) {
            const QString prefix = QStringLiteral("send connector %1 (\"%2\"): ").arg(i + 1).arg(list.at(i).name);
            if (!e.startsWith(prefix))
                continue;
            QString &cell = m_rows[i].errors[columnForError(e)];
            const QString text = sentence(e.mid(prefix.size()));
            cell = cell.isEmpty() ? text : cell + QLatin1Char('\n') + text;
            break;
        }
    }
}

void SendConnectorModel::changed()
{
    validateAll();
    if (!m_rows.isEmpty()) {
        // Errors (duplicate names) and the order marks can change on every row.
        emit dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
        emit headerDataChanged(Qt::Vertical, 0, int(m_rows.size()) - 1);
    }
    emit stateChanged();
}

} // namespace rd::ui

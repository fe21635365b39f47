#include "logs/logmodel.h"

#include "log/logqueryservice.h"

#include <QColor>
#include <QLocale>

#include <algorithm>

namespace rd::ui {

using rd::log::LogEvent;
using rd::log::LogKind;

namespace {

QString replyText(const LogEvent &e)
{
    if (e.replyCode <= 0)
        return {};
    return e.enhancedCode.isEmpty() ? QString::number(e.replyCode)
                                    : QStringLiteral("%1 %2").arg(e.replyCode).arg(e.enhancedCode);
}

QString bytesText(qint64 bytes)
{
    return bytes > 0 ? QLocale().toString(bytes) : QString();
}

bool isBad(const LogEvent &e)
{
    return e.level == QLatin1String("error") || e.result == QLatin1String("rejected")
        || e.result == QLatin1String("failed");
}

bool isWarning(const LogEvent &e)
{
    return e.level == QLatin1String("warning") || e.result == QLatin1String("deferred");
}

} // namespace

LogModel::LogModel(rd::log::LogQueryService *service, QObject *parent)
    : QAbstractTableModel(parent)
    , m_service(service)
{
    m_tailTimer.setSingleShot(true);
    m_tailTimer.setInterval(TailDelayMs);
    connect(&m_tailTimer, &QTimer::timeout, this, &LogModel::fetchNewer);
    connect(m_service, &rd::log::LogQueryService::pageReady, this, &LogModel::onPage);
    connect(m_service, &rd::log::LogQueryService::tailReady, this, &LogModel::onTail);
    reload();
}

LogModel::~LogModel() = default;

int LogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int LogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString LogModel::kindLabel(LogKind kind)
{
    switch (kind) {
    case LogKind::Session: return tr("Session");
    case LogKind::Receive: return tr("Received");
    case LogKind::Delivery: return tr("Delivery");
    case LogKind::System: return tr("System");
    }
    return tr("Unknown");
}

const LogEvent *LogModel::eventAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row) : nullptr;
}

QVariant LogModel::displayValue(const LogEvent &e, int column) const
{
    switch (column) {
    case Time: return e.time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    case Kind: return kindLabel(e.kind);
    case Direction: return e.direction;
    case Result: return e.result;
    case Client: return e.clientIp;
    case User: return e.user;
    case Sender: return e.sender;
    case Recipients: return e.recipients;
    case QueueId: return e.queueId;
    case Reply: return replyText(e);
    case Bytes: return bytesText(e.bytes);
    case Message: return e.message;
    }
    return {};
}

QVariant LogModel::rawValue(const LogEvent &e, int column) const
{
    switch (column) {
    case Time: return e.time;
    case Kind: return int(e.kind);
    case Direction: return e.direction;
    case Result: return e.result;
    case Client: return e.clientIp;
    case User: return e.user;
    case Sender: return e.sender;
    case Recipients: return e.recipients;
    case QueueId: return e.queueId;
    case Reply: return e.replyCode;
    case Bytes: return e.bytes;
    case Message: return e.message;
    }
    return {};
}

QVariant LogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const LogEvent &e = m_rows.at(index.row());
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole: return displayValue(e, column);
    case Qt::ToolTipRole:
        if (column == Time)
            return e.time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz t"));
        if (column == Message || column == Recipients)
            return displayValue(e, column);
        return {};
    case Qt::TextAlignmentRole:
        if (column == Bytes)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ForegroundRole:
        if (column == Result || column == Reply || column == Message) {
            if (isBad(e))
                return QColor(0xb0, 0x1e, 0x1e);
            if (isWarning(e))
                return QColor(0x9a, 0x5b, 0x00);
        }
        return {};
    case RawValueRole: return rawValue(e, column);
    case IdRole: return e.id;
    case TimeRole: return e.time;
    case KindRole: return int(e.kind);
    case LevelRole: return e.level;
    case ResultRole: return e.result;
    case ClientIpRole: return e.clientIp;
    case SenderRole: return e.sender;
    case RecipientsRole: return e.recipients;
    case QueueIdRole: return e.queueId;
    case ReplyCodeRole: return e.replyCode;
    case EnhancedCodeRole: return e.enhancedCode;
    case BytesRole: return e.bytes;
    case MessageRole: return e.message;
    case SessionIdRole: return e.sessionId;
    case LogEventRole: return QVariant::fromValue(e);
    }
    return {};
}

QVariant LogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Time: return tr("Time");
    case Kind: return tr("Kind");
    case Direction: return tr("Dir");
    case Result: return tr("Result");
    case Client: return tr("Client");
    case User: return tr("User");
    case Sender: return tr("Sender");
    case Recipients: return tr("Recipients");
    case QueueId: return tr("Queue ID");
    case Reply: return tr("Reply");
    case Bytes: return tr("Bytes");
    case Message: return tr("Message");
    }
    return {};
}

void LogModel::reload()
{
    m_tailTimer.stop();
    ++m_generation;
    m_pageLoading = true;
    m_fetching = false;
    m_tailing = false;
    m_tailAgain = false;
    m_service->requestPage(m_generation, m_filter, {}, PageSize);
    emit stateChanged();
}

void LogModel::setFilter(const rd::log::LogFilter &filter)
{
    m_filter = filter;
    reload();
}

void LogModel::setMaxRows(int rows)
{
    m_maxRows = std::max<int>(rows, PageSize);
    trimToMax();
}

bool LogModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_atEnd && !m_pageLoading && !m_fetching && !m_rows.isEmpty()
        && m_rows.size() < m_maxRows;
}

void LogModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    const int room = m_maxRows - int(m_rows.size());
    m_fetching = true;
    m_service->requestPage(m_generation, m_filter, m_cursor, std::min<int>(PageSize, room));
    emit stateChanged();
}

void LogModel::onPage(quint64 generation, const rd::log::LogPage &page)
{
    if (generation != m_generation)
        return; // a stale answer: the filter changed meanwhile
    m_error = page.error;
    if (m_pageLoading) {
        m_pageLoading = false;
        beginResetModel();
        m_rows = page.rows;
        m_cursor = page.next;
        m_atEnd = page.atEnd;
        m_newestId = std::max(page.lastId, m_rows.isEmpty() ? qint64(0) : m_rows.first().id);
        endResetModel();
        emit pageLoaded();
        emit stateChanged();
        if (m_tailAgain || m_pendingTail > m_newestId) {
            m_tailAgain = false;
            m_tailTimer.start();
        }
        return;
    }
    if (!m_fetching)
        return;
    m_fetching = false;
    if (!page.error.isEmpty() || page.rows.isEmpty()) {
        m_atEnd = true;
        emit stateChanged();
        return;
    }
    // The cap may have shrunk while the page was on its way.
    const int room = m_maxRows - int(m_rows.size());
    if (room <= 0) {
        emit stateChanged();
        return;
    }
    const QVector<LogEvent> rows = page.rows.mid(0, room);
    const bool whole = rows.size() == page.rows.size();
    m_atEnd = page.atEnd && whole;
    m_cursor = whole ? page.next : rd::log::LogCursor{rows.last().time.toMSecsSinceEpoch(), rows.last().id};
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + int(rows.size()) - 1);
    m_rows.append(rows);
    endInsertRows();
    emit stateChanged();
}

void LogModel::onLogAppended(qint64 lastId)
{
    m_pendingTail = std::max(m_pendingTail, lastId);
    if (lastId > m_newestId && !m_tailTimer.isActive())
        m_tailTimer.start();
}

void LogModel::fetchNewer()
{
    m_tailTimer.stop();
    if (m_pageLoading || m_tailing) {
        m_tailAgain = true; // asked again when the pending answer is in
        return;
    }
    m_tailing = true;
    m_service->requestTail(m_generation, m_filter, m_newestId, TailBatch);
}

void LogModel::onTail(quint64 generation, const QVector<LogEvent> &rows, qint64 lastId)
{
    if (generation != m_generation || !m_tailing)
        return;
    m_tailing = false;
    QVector<LogEvent> fresh;
    for (const LogEvent &e : rows) {
        if (e.id > m_newestId)
            fresh.append(e);
    }
    if (!fresh.isEmpty()) {
        const int n = int(fresh.size());
        beginInsertRows({}, 0, n - 1);
        // fresh is oldest first; the newest ends up at row 0.
        for (const LogEvent &e : fresh)
            m_rows.prepend(e);
        endInsertRows();
        m_newestId = std::max(m_newestId, fresh.last().id);
        trimToMax();
    }
    // A short batch holds every match up to lastId: the tail moves there even
    // if those rows did not match, so they are not scanned again.
    const bool full = rows.size() >= TailBatch;
    if (!full)
        m_newestId = std::max(m_newestId, lastId);
    if (!fresh.isEmpty())
        emit rowsPrepended(int(fresh.size()));
    emit stateChanged();
    if (full || (m_tailAgain && m_pendingTail > m_newestId)) {
        m_tailAgain = false;
        fetchNewer();
    }
    m_tailAgain = false;
}

void LogModel::trimToMax()
{
    if (m_rows.size() <= m_maxRows)
        return;
    const int first = m_maxRows;
    const int last = int(m_rows.size()) - 1;
    beginRemoveRows({}, first, last);
    m_rows.resize(m_maxRows);
    endRemoveRows();
    m_atEnd = false; // older rows exist in the database
    if (!m_rows.isEmpty())
        m_cursor = {m_rows.last().time.toMSecsSinceEpoch(), m_rows.last().id};
}

} // namespace rd::ui

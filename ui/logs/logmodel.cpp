#include "logs/logmodel.h"

#include "log/logreader.h"

#include <QColor>
#include <QLocale>

#include <algorithm>

namespace rd::ui {

using rd::log::LogEvent;
using rd::log::LogKind;

namespace {

// Upper bound of rows read per query while catching up with the tail.
constexpr int kTailBatch = 1000;

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

LogModel::LogModel(const QString &dataDir, QObject *parent)
    : QAbstractTableModel(parent)
    , m_dataDir(dataDir)
    , m_reader(std::make_unique<rd::log::LogReader>(dataDir))
{
    m_tailTimer.setSingleShot(true);
    m_tailTimer.setInterval(TailDelayMs);
    connect(&m_tailTimer, &QTimer::timeout, this, &LogModel::fetchNewer);
    load();
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

bool LogModel::isOpen() const
{
    return m_reader->isOpen();
}

QString LogModel::errorString() const
{
    return m_reader->errorString();
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
    case Result: return e.result;
    case Client: return e.clientIp;
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
    case Result: return e.result;
    case Client: return e.clientIp;
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
    case Result: return tr("Result");
    case Client: return tr("Client");
    case Sender: return tr("Sender");
    case Recipients: return tr("Recipients");
    case QueueId: return tr("Queue ID");
    case Reply: return tr("Reply");
    case Bytes: return tr("Bytes");
    case Message: return tr("Message");
    }
    return {};
}

void LogModel::load()
{
    m_rows.clear();
    m_newestId = 0;
    m_atEnd = true;
    if (!m_reader->isOpen())
        m_reader = std::make_unique<rd::log::LogReader>(m_dataDir);
    if (!m_reader->isOpen())
        return;
    // Read the tail position first: rows committed meanwhile are either in the
    // page or come after it.
    const qint64 lastId = m_reader->lastId();
    const QVector<LogEvent> rows = m_reader->newest(m_filter, PageSize);
    m_rows = rows; // QVector is QList in Qt 6
    m_atEnd = rows.size() < PageSize;
    m_newestId = std::max(lastId, m_rows.isEmpty() ? qint64(0) : m_rows.first().id);
}

void LogModel::reload()
{
    m_tailTimer.stop();
    beginResetModel();
    load();
    endResetModel();
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
    return !parent.isValid() && !m_atEnd && !m_rows.isEmpty() && m_rows.size() < m_maxRows;
}

void LogModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    const int room = m_maxRows - int(m_rows.size());
    const int limit = std::min(PageSize, room);
    const QVector<LogEvent> older = m_reader->newest(m_filter, limit, m_rows.last().id);
    if (older.size() < limit)
        m_atEnd = true;
    if (older.isEmpty())
        return;
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + int(older.size()) - 1);
    m_rows.append(older);
    endInsertRows();
}

void LogModel::onLogAppended(qint64 lastId)
{
    if (lastId > m_newestId && !m_tailTimer.isActive())
        m_tailTimer.start();
}

void LogModel::fetchNewer()
{
    m_tailTimer.stop();
    if (!m_reader->isOpen()) {
        // The database appeared after we started: load it from scratch.
        reload();
        return;
    }
    int inserted = 0;
    for (;;) {
        // Rows matching the filter up to lastId are all returned when the batch
        // is not full, so the tail may then move to lastId even if it did not
        // match: the next query does not rescan rows already looked at.
        const qint64 lastId = m_reader->lastId();
        const QVector<LogEvent> batch = m_reader->after(m_filter, m_newestId, kTailBatch);
        if (!batch.isEmpty()) {
            const int n = int(batch.size());
            beginInsertRows({}, 0, n - 1);
            // batch is oldest first; the newest ends up at row 0.
            for (const LogEvent &e : batch)
                m_rows.prepend(e);
            endInsertRows();
            inserted += n;
            m_newestId = std::max(m_newestId, batch.last().id);
            trimToMax();
        }
        if (batch.size() < kTailBatch) {
            m_newestId = std::max(m_newestId, lastId);
            break;
        }
    }
    if (inserted > 0)
        emit rowsPrepended(inserted);
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
}

} // namespace rd::ui

#include "ratelimits/limitusagemodel.h"

#include "ratelimits/ratelimitmodel.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QHash>
#include <QLocale>

#include <algorithm>

namespace rd::ui {

using rd::policy::LimitUsage;

namespace {

QString shortScope(rd::config::LimitScope s)
{
    switch (s) {
    case rd::config::LimitScope::ClientIp: return LimitUsageModel::tr("IP");
    case rd::config::LimitScope::User: return LimitUsageModel::tr("User");
    case rd::config::LimitScope::Sender: return LimitUsageModel::tr("Sender");
    case rd::config::LimitScope::Connector: return LimitUsageModel::tr("Connector");
    case rd::config::LimitScope::Domain: return LimitUsageModel::tr("Domain");
    }
    return {};
}

} // namespace

LimitUsageModel::LimitUsageModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int LimitUsageModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int LimitUsageModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

LimitUsageModel::Level LimitUsageModel::levelOf(const LimitUsage &u)
{
    if (u.overLimit())
        return Over;
    return u.nearLimit() ? Near : Normal;
}

QString LimitUsageModel::formatSeconds(int seconds)
{
    if (seconds <= 0)
        return {};
    if (seconds < 60)
        return tr("%1 s").arg(seconds);
    if (seconds < 3600)
        return seconds % 60 ? tr("%1 min %2 s").arg(seconds / 60).arg(seconds % 60) : tr("%1 min").arg(seconds / 60);
    const int minutes = (seconds + 59) / 60;
    return minutes % 60 ? tr("%1 h %2 min").arg(minutes / 60).arg(minutes % 60) : tr("%1 h").arg(minutes / 60);
}

QString LimitUsageModel::keyOf(const LimitUsage &u)
{
    return rd::config::describeRateLimit(u.rule) + QLatin1Char('|') + rd::config::limitScopeName(u.rule.scope)
         + QLatin1Char('|') + u.key;
}

int LimitUsageModel::nearCount() const
{
    return int(std::count_if(m_rows.cbegin(), m_rows.cend(), [](const LimitUsage &u) { return levelOf(u) == Near; }));
}

int LimitUsageModel::overCount() const
{
    return int(std::count_if(m_rows.cbegin(), m_rows.cend(), [](const LimitUsage &u) { return levelOf(u) == Over; }));
}

QVariant LimitUsageModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return {};
    const LimitUsage &u = m_rows.at(index.row());
    const Level level = levelOf(u);
    const bool concurrent = u.rule.metric == rd::config::LimitMetric::Concurrent;
    const QLocale locale;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Subject:
            return QStringLiteral("%1 %2").arg(shortScope(u.rule.scope), u.key);
        case Rule: return RateLimitModel::describe(u.rule);
        case Used:
            return u.maximum > 0 ? tr("%1 / %2").arg(locale.toString(u.used), locale.toString(u.maximum))
                                 : locale.toString(u.used);
        case Refused: return u.refused ? locale.toString(u.refused) : QString();
        case Resets:
            return concurrent ? QStringLiteral("\u2014") : formatSeconds(u.resetSeconds);
        }
        return {};
    case Qt::ToolTipRole: {
        QString text = tr("%1: %2").arg(u.key, RateLimitModel::describe(u.rule));
        if (level == Over)
            text += QLatin1Char('\n')
                  + (rd::config::isOutboundScope(u.rule.scope) ? tr("At the limit: further mail waits in the queue.")
                                                               : tr("At the limit: further attempts get a temporary "
                                                                    "refusal."));
        else if (level == Near)
            text += QLatin1Char('\n') + tr("Near the limit (80 % or more used).");
        if (u.refused)
            text += QLatin1Char('\n')
                  + (rd::config::isOutboundScope(u.rule.scope) ? tr("%n deferred in this window", nullptr, int(u.refused))
                                                               : tr("%n refused in this window", nullptr, int(u.refused)));
        return text;
    }
    case Qt::ForegroundRole:
        if (level == Over)
            return QBrush(QColor(0xb0, 0x1e, 0x1e));
        if (level == Near)
            return QBrush(QColor(0x8a, 0x5a, 0x00));
        return {};
    case Qt::FontRole:
        if (level == Over) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Refused || index.column() == Resets)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        if (index.column() == Used)
            return int(Qt::AlignCenter);
        return {};
    case LevelRole: return int(level);
    case FractionRole: return u.maximum > 0 ? double(u.used) / u.maximum : 0.0;
    case UsedRole: return u.used;
    case MaximumRole: return u.maximum;
    case SortRole:
        switch (index.column()) {
        case Subject: return u.key;
        case Rule: return RateLimitModel::describe(u.rule);
        case Used: return u.maximum > 0 ? double(u.used) / u.maximum : 0.0;
        case Refused: return u.refused;
        case Resets: return u.resetSeconds;
        }
        return {};
    }
    return {};
}

QVariant LimitUsageModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Subject: return tr("Who");
        case Rule: return tr("Limit");
        case Used: return tr("Used");
        case Refused: return tr("Refused");
        case Resets: return tr("Frees up in");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Subject: return tr("The client IP, user, sender, connector or domain being counted");
        case Rule: return tr("The rule that applies (a * rule or a specific override)");
        case Used: return tr("Counted in the current window (open now, for limits on connections at once)");
        case Refused: return tr("Attempts refused (inbound) or deferred (outbound) in the window");
        case Resets: return tr("When the oldest counted event leaves the window");
        }
    }
    return {};
}

void LimitUsageModel::setUsage(const QList<LimitUsage> &usage)
{
    QHash<QString, int> incoming; // key -> index into usage
    for (int i = 0; i < usage.size(); ++i)
        incoming.insert(keyOf(usage.at(i)), i);

    // Remove rows that are gone (from the bottom, in runs).
    for (int row = int(m_rows.size()) - 1; row >= 0;) {
        if (incoming.contains(m_keys.at(row))) {
            --row;
            continue;
        }
        int first = row;
        while (first > 0 && !incoming.contains(m_keys.at(first - 1)))
            --first;
        beginRemoveRows({}, first, row);
        m_rows.remove(first, row - first + 1);
        m_keys.remove(first, row - first + 1);
        endRemoveRows();
        row = first - 1;
    }
    // Update the rows that stay.
    QHash<QString, int> present;
    for (int row = 0; row < m_rows.size(); ++row) {
        present.insert(m_keys.at(row), row);
        const LimitUsage &u = usage.at(incoming.value(m_keys.at(row)));
        const LimitUsage &old = m_rows.at(row);
        if (u.used != old.used || u.maximum != old.maximum || u.refused != old.refused
            || u.resetSeconds != old.resetSeconds || !(u.rule == old.rule)) {
            m_rows[row] = u;
            emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
        }
    }
    // Append the new ones, in the engine's order (busiest first).
    QVector<LimitUsage> added;
    for (const LimitUsage &u : usage) {
        const QString key = keyOf(u);
        if (!present.contains(key)) {
            added << u;
            present.insert(key, -1); // a repeated key is shown once
        }
    }
    if (!added.isEmpty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        for (const LimitUsage &u : std::as_const(added)) {
            m_rows << u;
            m_keys << keyOf(u);
        }
        endInsertRows();
    }
}

} // namespace rd::ui

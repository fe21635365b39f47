#include "ratelimits/ratelimitmodel.h"

#include <QLocale>
#include <QVariantList>

namespace rd::ui {

using rd::config::LimitMetric;
using rd::config::LimitScope;
using rd::config::RateLimitRule;

namespace {

const QList<LimitScope> kScopes = {LimitScope::ClientIp, LimitScope::User, LimitScope::Sender,
                                   LimitScope::Connector, LimitScope::Domain};
const QList<LimitMetric> kMetrics = {LimitMetric::Messages, LimitMetric::Recipients, LimitMetric::Connections,
                                     LimitMetric::Concurrent};
const QList<int> kWindows = {60, 3600, 86400};

QVariantList choice(const QString &label, int value)
{
    return QVariantList{label, value};
}

} // namespace

RateLimitModel::RateLimitModel(QObject *parent)
    : PolicyListModel(parent)
{
}

int RateLimitModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString RateLimitModel::scopeLabel(LimitScope scope)
{
    switch (scope) {
    case LimitScope::ClientIp: return tr("Client IP");
    case LimitScope::User: return tr("Authenticated user");
    case LimitScope::Sender: return tr("Envelope sender");
    case LimitScope::Connector: return tr("Send connector (outbound)");
    case LimitScope::Domain: return tr("Destination domain (outbound)");
    }
    return {};
}

QString RateLimitModel::metricLabel(LimitMetric metric)
{
    switch (metric) {
    case LimitMetric::Messages: return tr("Messages");
    case LimitMetric::Recipients: return tr("Recipients");
    case LimitMetric::Connections: return tr("New connections");
    case LimitMetric::Concurrent: return tr("Open at once");
    }
    return {};
}

QString RateLimitModel::windowLabel(int seconds)
{
    switch (seconds) {
    case 60: return tr("per minute");
    case 3600: return tr("per hour");
    case 86400: return tr("per day");
    }
    return tr("per %n second(s)", nullptr, seconds);
}

QString RateLimitModel::describe(const RateLimitRule &rule)
{
    return capitalized(rd::config::describeRateLimit(rule));
}

QStringList RateLimitModel::validate(const QList<RateLimitRule> &items) const
{
    return rd::config::validateRateLimits(items);
}

QString RateLimitModel::errorPrefix(int row, const RateLimitRule &) const
{
    return QStringLiteral("rate limit %1: ").arg(row + 1);
}

int RateLimitModel::columnForError(const QString &text) const
{
    if (text.startsWith(QLatin1String("The window")))
        return Window;
    if (text.startsWith(QLatin1String("The maximum")))
        return Maximum;
    if (text.startsWith(QLatin1String("Recipients")) || text.startsWith(QLatin1String("New connections"))
        || text.startsWith(QLatin1String("Concurrent")))
        return Metric;
    if (text.startsWith(QLatin1String("The same limit")))
        return Subject;
    return Subject; // subject syntax, empty subject
}

QVariant RateLimitModel::cellData(const RateLimitRule &r, int column, int role) const
{
    const bool concurrent = r.metric == LimitMetric::Concurrent;
    if (role == Qt::DisplayRole) {
        switch (column) {
        case Scope: return scopeLabel(r.scope);
        case Subject: return r.subject.trimmed() == QLatin1String("*") ? tr("* (each one)") : r.subject;
        case Metric: return metricLabel(r.metric);
        case Window: return concurrent ? QStringLiteral("\u2014") : windowLabel(r.windowSeconds);
        case Maximum: return r.maximum == 0 ? tr("unlimited") : QLocale().toString(r.maximum);
        case Comment: return r.comment;
        }
        return {};
    }
    if (role == Qt::EditRole) {
        switch (column) {
        case Scope: return int(r.scope);
        case Subject: return r.subject;
        case Metric: return int(r.metric);
        case Window: return r.windowSeconds;
        case Maximum: return r.maximum;
        case Comment: return r.comment;
        }
        return {};
    }
    if (role == Qt::CheckStateRole && column == Enabled)
        return r.enabled ? Qt::Checked : Qt::Unchecked;
    if (role == Qt::ToolTipRole) {
        QString text = describe(r);
        if (!r.enabled)
            text += tr(" (disabled)");
        if (rd::config::isOutboundScope(r.scope))
            text += QLatin1Char('\n') + tr("Outbound: mail over the limit waits in the queue; nothing is refused.");
        else
            text += QLatin1Char('\n') + tr("Inbound: beyond the limit the client gets a temporary 4xx reply "
                                           "naming the limit and may retry later.");
        return text;
    }
    if (role == Qt::ForegroundRole && !r.enabled)
        return QColor(Qt::gray);
    if (role == ChoicesRole) {
        QVariantList out;
        switch (column) {
        case Scope:
            for (LimitScope s : kScopes)
                out << QVariant(choice(scopeLabel(s), int(s)));
            return out;
        case Metric:
            for (LimitMetric m : kMetrics)
                out << QVariant(choice(metricLabel(m), int(m)));
            return out;
        case Window:
            for (int w : kWindows)
                out << QVariant(choice(windowLabel(w), w));
            return out;
        }
        return {};
    }
    return {};
}

bool RateLimitModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return false;
    RateLimitRule r = item(index.row());
    if (role == Qt::CheckStateRole && index.column() == Enabled) {
        r.enabled = value.toInt() == Qt::Checked;
        return setItem(index.row(), r);
    }
    if (role != Qt::EditRole)
        return false;
    bool ok = true;
    switch (index.column()) {
    case Scope: {
        LimitScope s;
        if (value.typeId() == QMetaType::QString && rd::config::parseLimitScope(value.toString(), &s)) {
            r.scope = s;
        } else {
            const int v = value.toInt(&ok);
            if (!ok || v < 0 || v >= kScopes.size())
                return false;
            r.scope = LimitScope(v);
        }
        break;
    }
    case Metric: {
        LimitMetric m;
        if (value.typeId() == QMetaType::QString && rd::config::parseLimitMetric(value.toString(), &m)) {
            r.metric = m;
        } else {
            const int v = value.toInt(&ok);
            if (!ok || v < 0 || v >= kMetrics.size())
                return false;
            r.metric = LimitMetric(v);
        }
        break;
    }
    case Window:
        r.windowSeconds = value.toInt(&ok);
        if (!ok)
            return false;
        break;
    case Subject: r.subject = value.toString().trimmed(); break;
    case Maximum: {
        const QString text = value.toString().trimmed();
        if (text.compare(tr("unlimited"), Qt::CaseInsensitive) == 0 || text.isEmpty()) {
            r.maximum = 0;
        } else {
            r.maximum = QLocale().toInt(text, &ok);
            if (!ok)
                r.maximum = text.toInt(&ok);
            if (!ok)
                return false;
        }
        break;
    }
    case Comment: r.comment = value.toString().trimmed(); break;
    default: return false;
    }
    return setItem(index.row(), r);
}

Qt::ItemFlags RateLimitModel::flags(const QModelIndex &index) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid))
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.column() == Enabled)
        return f | Qt::ItemIsUserCheckable;
    if (index.column() == Window && item(index.row()).metric == LimitMetric::Concurrent)
        return f;
    return f | Qt::ItemIsEditable;
}

QString RateLimitModel::columnTitle(int column) const
{
    switch (column) {
    case Scope: return tr("Counted per");
    case Subject: return tr("Subject");
    case Metric: return tr("What");
    case Window: return tr("Window");
    case Maximum: return tr("Maximum");
    case Enabled: return tr("On");
    case Comment: return tr("Comment");
    }
    return {};
}

QString RateLimitModel::columnTip(int column) const
{
    switch (column) {
    case Scope:
        return tr("Inbound: client IP, authenticated user, envelope sender (refused with a temporary reply beyond "
                  "the limit). Outbound: send connector, destination domain (mail waits in the queue).");
    case Subject:
        return tr("* counts each client IP / user / sender / connector / domain separately. A specific subject "
                  "(an IP or CIDR, a user, an address or @domain, a connector name, a domain) overrides * for "
                  "the same kind of limit.");
    case Metric:
        return tr("Messages, recipients (inbound only), new connections (client IPs only), or connections open "
                  "at once (client IPs, connectors, domains).");
    case Window: return tr("The period counted: a sliding minute, hour or day.");
    case Maximum: return tr("0 means unlimited: an exemption for a specific subject.");
    case Enabled: return tr("Only enabled limits are enforced.");
    case Comment: return tr("Why this limit exists (shown only here).");
    }
    return {};
}

} // namespace rd::ui

#include "connectors/listenerlimits.h"

#include "config/settings.h"

#include <QRegularExpression>

#include <cmath>
#include <limits>

namespace rd::ui {

namespace {

constexpr qint64 kKiB = 1024;
constexpr qint64 kMiB = 1024 * kKiB;
constexpr qint64 kGiB = 1024 * kMiB;

} // namespace

qint64 ListenerLimits::maximum(Limit limit)
{
    switch (limit) {
    case MessageSize: return 2147483647;
    case Recipients: return 10000;
    case SessionsPerIp: return 100000;
    }
    return 0;
}

qint64 ListenerLimits::minimum(Limit limit)
{
    return limit == MessageSize ? 1024 : 1;
}

const char *ListenerLimits::settingKey(Limit limit)
{
    switch (limit) {
    case MessageSize: return rd::config::keys::kMaxMessageSize;
    case Recipients: return rd::config::keys::kMaxRecipients;
    case SessionsPerIp: return rd::config::keys::kMaxSessionsPerIp;
    }
    return "";
}

qint64 ListenerLimits::parse(Limit limit, const QVariant &input)
{
    switch (input.typeId()) {
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::UInt:
    case QMetaType::ULongLong: {
        const qint64 v = input.toLongLong();
        return v < 0 ? -1 : v;
    }
    default: break;
    }
    QString text = input.toString().trimmed().toLower();
    text.remove(QLatin1Char(' '));
    if (text.isEmpty() || text == QLatin1String("global") || text.startsWith(QLatin1String("global(")))
        return 0;
    static const QRegularExpression number(QStringLiteral("^(\\d+)$"));
    static const QRegularExpression withUnit(QStringLiteral("^(\\d+(?:\\.\\d+)?)(k|kb|kib|m|mb|mib|g|gb|gib)$"));
    if (const auto m = number.match(text); m.hasMatch()) {
        bool ok = false;
        const qint64 v = m.captured(1).toLongLong(&ok);
        return ok ? v : std::numeric_limits<qint64>::max(); // too many digits: out of range
    }
    if (limit != MessageSize)
        return -1;
    const auto m = withUnit.match(text);
    if (!m.hasMatch())
        return -1;
    const QChar unit = m.captured(2).at(0);
    const qint64 factor = unit == QLatin1Char('k') ? kKiB : unit == QLatin1Char('m') ? kMiB : kGiB;
    const double v = m.captured(1).toDouble() * double(factor);
    if (v > double(std::numeric_limits<qint64>::max() / 2))
        return std::numeric_limits<qint64>::max();
    return qint64(std::llround(v));
}

QString ListenerLimits::error(Limit limit, qint64 value)
{
    if (value == 0 || (value >= minimum(limit) && value <= maximum(limit)))
        return {};
    switch (limit) {
    case MessageSize:
        return tr("Enter a size from 1024 octets (1 KB) to 2147483647 (2 GB - 1), e.g. 10 MB, or 0 for the "
                  "global setting");
    case Recipients: return tr("Enter 1 to 10000 recipients per message, or 0 for the global setting");
    case SessionsPerIp: return tr("Enter 1 to 100000 sessions per client address, or 0 for the global setting");
    }
    return {};
}

QString ListenerLimits::formatSize(qint64 octets)
{
    if (octets > 0 && octets % kGiB == 0)
        return tr("%1 GB").arg(octets / kGiB);
    if (octets > 0 && octets % kMiB == 0)
        return tr("%1 MB").arg(octets / kMiB);
    if (octets > 0 && octets % kKiB == 0)
        return tr("%1 KB").arg(octets / kKiB);
    if (octets >= kMiB) // rounded for reading; the tooltip and the editor are exact
        return tr("%1 MB").arg(QString::number(double(octets) / double(kMiB), 'f', 1));
    return tr("%1 octets").arg(octets);
}

QString ListenerLimits::display(Limit limit, qint64 value, qint64 global)
{
    auto text = [limit](qint64 v) { return limit == MessageSize ? formatSize(v) : QString::number(v); };
    if (value == 0)
        return global > 0 ? tr("global (%1)").arg(text(global)) : tr("global");
    return text(value);
}

QString ListenerLimits::toolTip(Limit limit, qint64 value, qint64 global)
{
    const QString key = QLatin1String(settingKey(limit));
    QString what;
    switch (limit) {
    case MessageSize: what = tr("Largest message this listener accepts (SIZE)"); break;
    case Recipients: what = tr("Most recipients per message on this listener"); break;
    case SessionsPerIp: what = tr("Most concurrent sessions from one client address on this listener"); break;
    }
    if (value == 0)
        return tr("%1: the global setting %2 = %3. Enter a value to override it for this listener.")
            .arg(what, key, limit == MessageSize ? tr("%1 octets").arg(global) : QString::number(global));
    if (limit == MessageSize)
        return tr("%1: %2 octets. 0 uses the global setting %3.").arg(what).arg(value).arg(key);
    return tr("%1: %2. 0 uses the global setting %3.").arg(what).arg(value).arg(key);
}

} // namespace rd::ui

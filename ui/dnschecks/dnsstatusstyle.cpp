#include "dnschecks/dnsstatusstyle.h"

#include <QCoreApplication>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>
#include <QStringList>

namespace rd::ui::dnsstyle {

using rd::dnscheck::Status;

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("DnsChecks", text);
}

const char *const kChecks[] = {"spf", "dkim", "dmarc", "mx", "ptr", "dnsbl"};

QPixmap paint(Status s, int size)
{
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(foreground(s));
    p.drawEllipse(QRectF(0.5, 0.5, size - 1.0, size - 1.0));
    QPen pen(Qt::white, qMax(1.6, size / 8.0), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    p.setPen(pen);
    p.setBrush(Qt::NoBrush);
    const qreal u = size / 16.0;
    switch (s) {
    case Status::Pass: {
        QPainterPath tick;
        tick.moveTo(4.5 * u, 8.5 * u);
        tick.lineTo(7 * u, 11 * u);
        tick.lineTo(11.5 * u, 5.5 * u);
        p.drawPath(tick);
        break;
    }
    case Status::Info:
        p.drawLine(QPointF(8 * u, 7.5 * u), QPointF(8 * u, 11.5 * u));
        p.drawPoint(QPointF(8 * u, 4.8 * u));
        break;
    case Status::Warn:
        p.drawLine(QPointF(8 * u, 4.5 * u), QPointF(8 * u, 8.8 * u));
        p.drawPoint(QPointF(8 * u, 11.5 * u));
        break;
    case Status::Fail:
        p.drawLine(QPointF(5.5 * u, 5.5 * u), QPointF(10.5 * u, 10.5 * u));
        p.drawLine(QPointF(10.5 * u, 5.5 * u), QPointF(5.5 * u, 10.5 * u));
        break;
    }
    return pm;
}

} // namespace

QColor foreground(Status s)
{
    switch (s) {
    case Status::Pass: return QColor(0x1b, 0x7a, 0x2b);
    case Status::Info: return QColor(0x2f, 0x5f, 0x8f);
    case Status::Warn: return QColor(0xb3, 0x6b, 0x00);
    case Status::Fail: return QColor(0xb0, 0x1e, 0x1e);
    }
    return QColor(Qt::gray);
}

QColor background(Status s)
{
    switch (s) {
    case Status::Pass: return QColor(0xe6, 0xf4, 0xe8);
    case Status::Info: return QColor(0xe8, 0xef, 0xf6);
    case Status::Warn: return QColor(0xfd, 0xf1, 0xd8);
    case Status::Fail: return QColor(0xfb, 0xe4, 0xe4);
    }
    return QColor(Qt::white);
}

QIcon icon(Status s)
{
    QIcon i;
    i.addPixmap(paint(s, 16));
    i.addPixmap(paint(s, 32));
    return i;
}

QIcon notCheckedIcon()
{
    QIcon i;
    for (int size : {16, 32}) {
        QPixmap pm(size, size);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(QPen(QColor(0x9a, 0x9a, 0x9a), size / 10.0));
        p.drawEllipse(QRectF(1.5, 1.5, size - 3.0, size - 3.0));
        p.end();
        i.addPixmap(pm);
    }
    return i;
}

QString statusText(Status s)
{
    switch (s) {
    case Status::Pass: return tr("Pass");
    case Status::Info: return tr("Info");
    case Status::Warn: return tr("Warning");
    case Status::Fail: return tr("Fail");
    }
    return {};
}

QString checkTitle(const QString &check)
{
    const QString c = check.toLower();
    if (c == QLatin1String("spf"))
        return tr("SPF");
    if (c == QLatin1String("dkim"))
        return tr("DKIM");
    if (c == QLatin1String("dmarc"))
        return tr("DMARC");
    if (c == QLatin1String("mx"))
        return tr("MX (incoming mail servers)");
    if (c == QLatin1String("ptr"))
        return tr("Reverse DNS (PTR)");
    if (c == QLatin1String("dnsbl"))
        return tr("Block lists (DNSBL)");
    return check.toUpper();
}

int checkOrder(const QString &check)
{
    const QString c = check.toLower();
    for (int i = 0; i < int(std::size(kChecks)); ++i) {
        if (c == QLatin1String(kChecks[i]))
            return i;
    }
    return int(std::size(kChecks));
}

QString countsText(const rd::dnscheck::Report &report)
{
    QStringList parts;
    const struct {
        Status s;
        const char *one;
    } kinds[] = {{Status::Fail, "%1 fail"}, {Status::Warn, "%1 warning"}, {Status::Info, "%1 info"},
                 {Status::Pass, "%1 pass"}};
    for (const auto &k : kinds) {
        const int n = report.count(k.s);
        if (n > 0) {
            QString t = tr(k.one).arg(n);
            if (k.s == Status::Warn && n > 1)
                t += QLatin1Char('s');
            parts << t;
        }
    }
    return parts.isEmpty() ? tr("no findings") : parts.join(QStringLiteral(", "));
}

QString localTime(const QDateTime &utc)
{
    return utc.isValid() ? utc.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QString();
}

} // namespace rd::ui::dnsstyle

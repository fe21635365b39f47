#include "dashboard/trafficchart.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QMap>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace rd::ui {

using rd::engine::TrafficMinute;
using rd::engine::TrafficSnapshot;

namespace {

constexpr qint64 kMinuteMs = 60 * 1000;
constexpr qint64 kHourMs = 60 * kMinuteMs;

int valueOf(const TrafficMinute &m, TrafficChart::Line line)
{
    switch (line) {
    case TrafficChart::Accepted: return m.accepted;
    case TrafficChart::Delivered: return m.delivered;
    case TrafficChart::Deferred: return m.deferred;
    case TrafficChart::Rejected: return m.rejected;
    case TrafficChart::QueueSize: return m.queueSize;
    case TrafficChart::LineCount: break;
    }
    return 0;
}

// The smallest of 1, 2, 5 x 10^k at or above `v` (at least `floor`).
double niceCeil(double v, double floor)
{
    v = std::max(v, floor);
    const double p = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        if (m * p >= v)
            return m * p;
    }
    return 10 * p;
}

QLineSeries *addLine(QChart *chart, const QString &name, const QColor &color, QDateTimeAxis *x, QValueAxis *y)
{
    auto *s = new QLineSeries(chart);
    s->setName(name);
    QPen pen(color);
    pen.setWidthF(2.0);
    s->setPen(pen);
    chart->addSeries(s);
    s->attachAxis(x);
    s->attachAxis(y);
    return s;
}

} // namespace

TrafficChart::TrafficChart(QWidget *parent)
    : QWidget(parent)
{
    auto *caption = new QLabel(tr("Messages per minute"), this);
    QFont bold = caption->font();
    bold.setBold(true);
    caption->setFont(bold);
    m_rangeBox = new QComboBox(this);
    m_rangeBox->setObjectName(QStringLiteral("dashRange"));
    m_rangeBox->addItem(tr("Last hour"));
    m_rangeBox->addItem(tr("Last 24 hours"));
    m_rangeBox->setToolTip(tr("Last 24 hours: one point per %1 minutes, the mean per minute").arg(kBinMinutes));
    connect(m_rangeBox, &QComboBox::currentIndexChanged, this,
            [this](int i) { setRange(i == 1 ? Range::Last24Hours : Range::LastHour); });

    QChart *traffic = makeChart(QString(), &m_trafficX, &m_trafficY);
    m_series[Accepted] = addLine(traffic, tr("Accepted"), QColor(0x1f, 0x6f, 0xd1), m_trafficX, m_trafficY);
    m_series[Delivered] = addLine(traffic, tr("Delivered"), QColor(0x1e, 0x8a, 0x3a), m_trafficX, m_trafficY);
    m_series[Deferred] = addLine(traffic, tr("Deferred"), QColor(0xd9, 0x8a, 0x00), m_trafficX, m_trafficY);
    m_series[Rejected] = addLine(traffic, tr("Rejected"), QColor(0xc6, 0x28, 0x28), m_trafficX, m_trafficY);
    traffic->legend()->setAlignment(Qt::AlignTop);

    QChart *queue = makeChart(tr("Queue size"), &m_queueX, &m_queueY);
    m_series[QueueSize] = addLine(queue, tr("Queue"), QColor(0x6a, 0x3d, 0x9a), m_queueX, m_queueY);
    queue->legend()->hide();

    m_trafficView = new QChartView(traffic, this);
    m_trafficView->setObjectName(QStringLiteral("dashTrafficChart"));
    m_trafficView->setRenderHint(QPainter::Antialiasing);
    m_trafficView->setMinimumHeight(180);
    m_queueView = new QChartView(queue, this);
    m_queueView->setObjectName(QStringLiteral("dashQueueChart"));
    m_queueView->setRenderHint(QPainter::Antialiasing);
    m_queueView->setMinimumHeight(110);

    auto *top = new QHBoxLayout;
    top->addWidget(caption);
    top->addStretch(1);
    top->addWidget(m_rangeBox);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(top);
    layout->addWidget(m_trafficView, 5);
    layout->addWidget(m_queueView, 2);
    redraw();
}

QChart *TrafficChart::makeChart(const QString &title, QDateTimeAxis **xAxis, QValueAxis **yAxis)
{
    auto *chart = new QChart;
    chart->setTitle(title);
    QFont titleFont = font();
    titleFont.setBold(true);
    chart->setTitleFont(titleFont);
    chart->setMargins(QMargins(4, 2, 4, 2));
    chart->setBackgroundRoundness(3);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setFont(font());
    auto *x = new QDateTimeAxis(chart);
    x->setFormat(QStringLiteral("hh:mm"));
    x->setTickCount(7);
    x->setLabelsFont(font());
    auto *y = new QValueAxis(chart);
    y->setLabelFormat(QStringLiteral("%g"));
    y->setLabelsFont(font());
    y->setMin(0);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    *xAxis = x;
    *yAxis = y;
    return chart;
}

void TrafficChart::setSnapshot(const TrafficSnapshot &snapshot)
{
    m_snapshot = snapshot;
    redraw();
}

void TrafficChart::setRange(Range range)
{
    m_range = range;
    const int index = range == Range::Last24Hours ? 1 : 0;
    if (m_rangeBox->currentIndex() != index)
        m_rangeBox->setCurrentIndex(index); // re-enters setRange once, harmlessly
    redraw();
}

QList<QPointF> TrafficChart::points(const TrafficSnapshot &snapshot, Range range, Line line)
{
    QList<QPointF> out;
    if (range == Range::LastHour) {
        for (const TrafficMinute &m : snapshot.lastMinutes(60)) {
            const int v = valueOf(m, line);
            if (v >= 0)
                out.append(QPointF(double(m.start), double(v)));
        }
        return out;
    }
    // 24 hours: bins of kBinMinutes aligned to the epoch, in time order.
    const qint64 binMs = kBinMinutes * kMinuteMs;
    QMap<qint64, QPair<qint64, int>> bins; // bin start -> (sum or max, minutes)
    for (const TrafficMinute &m : snapshot.minutes) {
        const int v = valueOf(m, line);
        if (v < 0)
            continue;
        auto &b = bins[m.start / binMs * binMs];
        b.first = line == QueueSize ? std::max<qint64>(b.first, v) : b.first + v;
        ++b.second;
    }
    for (auto it = bins.cbegin(); it != bins.cend(); ++it) {
        const double y = line == QueueSize ? double(it->first) : double(it->first) / double(it->second);
        out.append(QPointF(double(it.key()), y));
    }
    return out;
}

void TrafficChart::redraw()
{
    const qint64 now = m_snapshot.taken > 0 ? m_snapshot.taken : QDateTime::currentMSecsSinceEpoch();
    const qint64 span = m_range == Range::LastHour ? kHourMs : 24 * kHourMs;
    const QDateTime from = QDateTime::fromMSecsSinceEpoch(now - span);
    const QDateTime to = QDateTime::fromMSecsSinceEpoch(now);
    double trafficMax = 0;
    double queueMax = 0;
    for (int l = 0; l < LineCount; ++l) {
        const QList<QPointF> pts = points(m_snapshot, m_range, Line(l));
        for (const QPointF &p : pts)
            (l == QueueSize ? queueMax : trafficMax) = std::max(l == QueueSize ? queueMax : trafficMax, p.y());
        m_series[l]->replace(pts);
    }
    for (QDateTimeAxis *x : {m_trafficX, m_queueX})
        x->setRange(from, to);
    const double trafficTop = niceCeil(trafficMax * 1.05, 5);
    const double queueTop = niceCeil(queueMax * 1.05, 10);
    m_trafficY->setRange(0, trafficTop);
    m_queueY->setRange(0, queueTop);
    m_trafficY->setTickCount(6);
    m_queueY->setTickCount(3);
}

} // namespace rd::ui

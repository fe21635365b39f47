#pragma once
// The dashboard's charts (Qt Charts): accepted, delivered, deferred and
// rejected messages per minute, and the queue size, over the last hour
// (one point per minute) or the last 24 hours (one point per 5-minute bin:
// the mean per minute for the traffic lines, the largest sample for the
// queue), with a selector for the range.
// Thread: GUI thread; shows only the snapshots it is given.

#include "engine/trafficsnapshot.h"

#include <QWidget>

class QChart;
class QChartView;
class QComboBox;
class QDateTimeAxis;
class QLineSeries;
class QValueAxis;

namespace rd::ui {

class TrafficChart : public QWidget {
    Q_OBJECT
public:
    enum class Range { LastHour, Last24Hours };
    enum Line { Accepted, Delivered, Deferred, Rejected, QueueSize, LineCount };
    static constexpr int kBinMinutes = 5; // 24-hour view

    explicit TrafficChart(QWidget *parent = nullptr);

    // Redraws from `snapshot` (kept for range changes).
    void setSnapshot(const rd::engine::TrafficSnapshot &snapshot);
    void setRange(Range range);
    Range range() const { return m_range; }

    // For tests and screenshots: the series of a line, and the chart views.
    QLineSeries *series(Line line) const { return m_series[line]; }
    QChartView *trafficView() const { return m_trafficView; }
    QChartView *queueView() const { return m_queueView; }

    // The points a line gets for a snapshot and range (what setSnapshot plots).
    static QList<QPointF> points(const rd::engine::TrafficSnapshot &snapshot, Range range, Line line);

private:
    void redraw();
    QChart *makeChart(const QString &title, QDateTimeAxis **xAxis, QValueAxis **yAxis);

    Range m_range = Range::LastHour;
    rd::engine::TrafficSnapshot m_snapshot;
    QComboBox *m_rangeBox = nullptr;
    QChartView *m_trafficView = nullptr;
    QChartView *m_queueView = nullptr;
    QLineSeries *m_series[LineCount] = {};
    QDateTimeAxis *m_trafficX = nullptr;
    QValueAxis *m_trafficY = nullptr;
    QDateTimeAxis *m_queueX = nullptr;
    QValueAxis *m_queueY = nullptr;
};

} // namespace rd::ui

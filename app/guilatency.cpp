#include "app/guilatency.h"

#include <QSaveFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace rd::app {

namespace {
constexpr int kPeriodMs = 10;
}

GuiLatencyProbe::GuiLatencyProbe(QString outputPath, QObject *parent) : QObject(parent), m_path(std::move(outputPath))
{
    m_timer.setTimerType(Qt::PreciseTimer);
    m_timer.setInterval(kPeriodMs);
    connect(&m_timer, &QTimer::timeout, this, &GuiLatencyProbe::tick);
    m_clock.start();
    m_lastNs = m_clock.nsecsElapsed();
    m_timer.start();
}

GuiLatencyProbe *GuiLatencyProbe::fromEnvironment(QObject *parent)
{
    const QString path = qEnvironmentVariable("RELAYDESK_GUI_LATENCY_FILE");
    return path.isEmpty() ? nullptr : new GuiLatencyProbe(path, parent);
}

void GuiLatencyProbe::tick()
{
    const qint64 now = m_clock.nsecsElapsed();
    const qint64 lateUs = std::max<qint64>(0, (now - m_lastNs) / 1000 - kPeriodMs * 1000);
    m_lastNs = now;
    m_stallsUs.append(lateUs);
    // Written every second too: a window killed with its X server still leaves figures.
    if (m_stallsUs.size() % 100 == 0)
        write();
}

GuiLatencyProbe::~GuiLatencyProbe()
{
    write();
}

void GuiLatencyProbe::write() const
{
    QVector<qint64> s = m_stallsUs;
    std::sort(s.begin(), s.end());
    auto pct = [&s](double p) {
        return s.isEmpty() ? 0.0 : double(s.at(std::min<qsizetype>(s.size() - 1, qsizetype(p * s.size())))) / 1000.0;
    };
    QJsonObject o;
    o.insert(QStringLiteral("ticks"), double(s.size()));
    o.insert(QStringLiteral("seconds"), double(m_clock.elapsed()) / 1000.0);
    o.insert(QStringLiteral("worst_ms"), s.isEmpty() ? 0.0 : double(s.last()) / 1000.0);
    o.insert(QStringLiteral("p99_ms"), pct(0.99));
    o.insert(QStringLiteral("p999_ms"), pct(0.999));
    o.insert(QStringLiteral("stalls_over_50ms"),
             double(std::count_if(s.begin(), s.end(), [](qint64 us) { return us > 50000; })));
    QSaveFile f(m_path); // atomic: a reader never sees a half-written file
    if (f.open(QIODevice::WriteOnly)) {
        f.write(QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
        f.commit();
    }
}

} // namespace rd::app

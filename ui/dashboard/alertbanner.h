#pragma once
// The dashboard's alert banner: the open alerts, most severe first, one line
// each (severity colour, message, when raised) with "Acknowledge", which
// hides that alert here until it resolves. At most kVisible lines, then
// "and N more". Hidden when nothing unacknowledged is open; "Show
// acknowledged" brings the hidden ones back.
// Acknowledging is a display choice of this window: it does not resolve
// the alert (only its condition clearing does).
// Thread: GUI thread.

#include "alerts/alert.h"

#include <QSet>
#include <QWidget>

class QLabel;
class QPushButton;
class QVBoxLayout;

namespace rd::ui {

class AlertBanner : public QWidget {
    Q_OBJECT
public:
    static constexpr int kVisible = 3;

    explicit AlertBanner(QWidget *parent = nullptr);

    // The open alerts (any order); resolved entries are ignored.
    void setAlerts(const QList<rd::alerts::Alert> &alerts);
    // The alerts shown now, in display order (after acknowledgements).
    QList<rd::alerts::Alert> shownAlerts() const { return m_shown; }
    // Hides alert `id` (as the button does).
    void acknowledge(qint64 id);
    // Shows every acknowledged alert again.
    void showAcknowledged();
    int acknowledgedCount() const;

signals:
    void acknowledged(qint64 id);

private:
    void rebuild();

    QList<rd::alerts::Alert> m_open;
    QList<rd::alerts::Alert> m_shown;
    QSet<qint64> m_acknowledged;
    QVBoxLayout *m_rows = nullptr;
    QLabel *m_more = nullptr;
    QPushButton *m_showAcknowledged = nullptr;
    QWidget *m_frame = nullptr;
};

// The colour (text, background, border) of a severity, shared with the health box.
struct SeverityColors {
    QString text;
    QString background;
    QString border;
};
SeverityColors severityColors(rd::alerts::Severity severity);
QString severityLabel(rd::alerts::Severity severity);

} // namespace rd::ui

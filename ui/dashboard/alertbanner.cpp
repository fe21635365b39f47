#include "dashboard/alertbanner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>

namespace rd::ui {

using rd::alerts::Alert;
using rd::alerts::Severity;

SeverityColors severityColors(Severity severity)
{
    switch (severity) {
    case Severity::Critical:
        return {QStringLiteral("#8a1414"), QStringLiteral("#fdecea"), QStringLiteral("#e57373")};
    case Severity::Warning:
        return {QStringLiteral("#6b4e00"), QStringLiteral("#fff4ce"), QStringLiteral("#e0c46c")};
    case Severity::Info:
        break;
    }
    return {QStringLiteral("#0b4f8a"), QStringLiteral("#e8f1fb"), QStringLiteral("#9cc3e6")};
}

QString severityLabel(Severity severity)
{
    switch (severity) {
    case Severity::Critical: return AlertBanner::tr("Critical");
    case Severity::Warning: return AlertBanner::tr("Warning");
    case Severity::Info: break;
    }
    return AlertBanner::tr("Info");
}

AlertBanner::AlertBanner(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("dashAlertBanner"));
    m_frame = new QWidget(this);
    m_frame->setObjectName(QStringLiteral("alertFrame"));
    m_frame->setAttribute(Qt::WA_StyledBackground, true);
    m_rows = new QVBoxLayout;
    m_rows->setSpacing(2);
    m_more = new QLabel(m_frame);
    m_more->setObjectName(QStringLiteral("alertMore"));
    m_showAcknowledged = new QPushButton(m_frame);
    m_showAcknowledged->setObjectName(QStringLiteral("alertShowAcknowledged"));
    m_showAcknowledged->setFlat(true);
    m_showAcknowledged->setCursor(Qt::PointingHandCursor);
    connect(m_showAcknowledged, &QPushButton::clicked, this, &AlertBanner::showAcknowledged);

    auto *footer = new QHBoxLayout;
    footer->addWidget(m_more);
    footer->addStretch(1);
    footer->addWidget(m_showAcknowledged);
    auto *frameLayout = new QVBoxLayout(m_frame);
    frameLayout->setContentsMargins(8, 6, 8, 6);
    frameLayout->setSpacing(2);
    frameLayout->addLayout(m_rows);
    frameLayout->addLayout(footer);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_frame);
    rebuild();
}

void AlertBanner::setAlerts(const QList<Alert> &alerts)
{
    m_open.clear();
    QSet<qint64> openIds;
    for (const Alert &a : alerts) {
        if (a.isOpen()) {
            m_open.append(a);
            openIds.insert(a.id);
        }
    }
    rd::alerts::sortForDisplay(m_open);
    m_acknowledged.intersect(openIds); // forget acknowledgements of resolved alerts
    rebuild();
}

void AlertBanner::acknowledge(qint64 id)
{
    if (m_acknowledged.contains(id))
        return;
    m_acknowledged.insert(id);
    emit acknowledged(id);
    rebuild();
}

void AlertBanner::showAcknowledged()
{
    m_acknowledged.clear();
    rebuild();
}

int AlertBanner::acknowledgedCount() const
{
    return int(m_acknowledged.size());
}

void AlertBanner::rebuild()
{
    while (QLayoutItem *item = m_rows->takeAt(0)) {
        if (QWidget *w = item->widget())
            w->deleteLater();
        delete item;
    }
    m_shown.clear();
    for (const Alert &a : m_open) {
        if (!m_acknowledged.contains(a.id))
            m_shown.append(a);
    }
    setVisible(!m_open.isEmpty());
    if (m_open.isEmpty())
        return;

    const Severity worst = m_shown.isEmpty() ? Severity::Info : m_shown.first().severity;
    const SeverityColors colors = severityColors(worst);
    m_frame->setStyleSheet(QStringLiteral("#alertFrame { background: %1; border: 1px solid %2; border-radius: 4px; }")
                               .arg(colors.background, colors.border));

    const QLocale locale;
    for (int i = 0; i < m_shown.size() && i < kVisible; ++i) {
        const Alert &a = m_shown[i];
        auto *row = new QWidget(m_frame);
        row->setObjectName(QStringLiteral("alertRow_%1").arg(a.id));
        const SeverityColors c = severityColors(a.severity);
        auto *pill = new QLabel(severityLabel(a.severity).toUpper(), row);
        pill->setObjectName(QStringLiteral("alertSeverity"));
        pill->setStyleSheet(QStringLiteral("QLabel { color: white; background: %1; border-radius: 3px;"
                                           " padding: 1px 6px; font-weight: bold; }")
                                .arg(c.text));
        pill->setAlignment(Qt::AlignCenter);
        QFont pillFont = pill->font();
        pillFont.setBold(true);
        pill->setFont(pillFont);
        const QFontMetrics fm(pillFont);
        int pillWidth = 0;
        for (Severity s : {Severity::Critical, Severity::Warning, Severity::Info})
            pillWidth = std::max(pillWidth, fm.horizontalAdvance(severityLabel(s).toUpper()));
        pill->setFixedWidth(pillWidth + 18);
        auto *message = new QLabel(a.message, row);
        message->setObjectName(QStringLiteral("alertMessage"));
        message->setStyleSheet(QStringLiteral("QLabel { color: %1; }").arg(c.text));
        message->setWordWrap(true);
        message->setTextInteractionFlags(Qt::TextSelectableByMouse);
        message->setToolTip(tr("Rule %1, about %2").arg(a.rule, a.subject));
        const QDateTime raised = a.raised.toLocalTime();
        auto *when = new QLabel(raised.date() == QDate::currentDate()
                                    ? locale.toString(raised.time(), QLocale::ShortFormat)
                                    : locale.toString(raised, QLocale::ShortFormat),
                                row);
        when->setObjectName(QStringLiteral("alertRaised"));
        when->setStyleSheet(QStringLiteral("QLabel { color: %1; }").arg(c.text));
        auto *ack = new QPushButton(tr("Acknowledge"), row);
        ack->setObjectName(QStringLiteral("ackButton"));
        ack->setToolTip(tr("Hide this alert here; it stays open until its cause clears"));
        const qint64 id = a.id;
        connect(ack, &QPushButton::clicked, this, [this, id] { acknowledge(id); });
        auto *l = new QHBoxLayout(row);
        l->setContentsMargins(0, 0, 0, 0);
        l->addWidget(pill);
        l->addWidget(message, 1);
        l->addWidget(when);
        l->addWidget(ack);
        m_rows->addWidget(row);
    }

    const int more = int(m_shown.size()) - kVisible;
    m_more->setVisible(more > 0 || m_shown.isEmpty());
    if (m_shown.isEmpty())
        m_more->setText(tr("No unacknowledged alerts."));
    else
        m_more->setText(more == 1 ? tr("and 1 more open alert") : tr("and %1 more open alerts").arg(more));
    m_more->setStyleSheet(QStringLiteral("QLabel { color: %1; }").arg(colors.text));
    const int hidden = int(m_acknowledged.size());
    m_showAcknowledged->setVisible(hidden > 0);
    m_showAcknowledged->setText(hidden == 1 ? tr("Show 1 acknowledged alert")
                                            : tr("Show %1 acknowledged alerts").arg(hidden));
}

} // namespace rd::ui

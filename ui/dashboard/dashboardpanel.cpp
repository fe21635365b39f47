#include "dashboard/dashboardpanel.h"

#include "engine/enginefacade.h"

#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace rd::ui {

using rd::engine::EngineStatus;

namespace {

QString stateText(EngineStatus::State s)
{
    switch (s) {
    case EngineStatus::State::Stopped: return DashboardPanel::tr("Stopped");
    case EngineStatus::State::Starting: return DashboardPanel::tr("Starting");
    case EngineStatus::State::Running: return DashboardPanel::tr("Running");
    case EngineStatus::State::Stopping: return DashboardPanel::tr("Stopping");
    case EngineStatus::State::Error: return DashboardPanel::tr("Error");
    }
    return DashboardPanel::tr("Unknown");
}

QString stateColor(EngineStatus::State s)
{
    switch (s) {
    case EngineStatus::State::Running: return QStringLiteral("#1e7b34");
    case EngineStatus::State::Starting:
    case EngineStatus::State::Stopping: return QStringLiteral("#9a5b00");
    case EngineStatus::State::Error: return QStringLiteral("#b01e1e");
    case EngineStatus::State::Stopped: break;
    }
    return QStringLiteral("#666666");
}

QString number(qint64 n)
{
    return QLocale().toString(n);
}

} // namespace

DashboardPanel::DashboardPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("dashboardPanel"));

    auto *title = new QLabel(tr("Dashboard"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);

    m_errors = new QLabel(this);
    m_errors->setObjectName(QStringLiteral("dashErrors"));
    m_errors->setWordWrap(true);
    m_errors->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errors->setStyleSheet(QStringLiteral(
        "QLabel { background: #fdecea; color: #8a1414; border: 1px solid #f1b0ab;"
        " border-radius: 4px; padding: 8px; }"));
    m_errors->hide();
    m_warnings = new QLabel(this);
    m_warnings->setObjectName(QStringLiteral("dashWarnings"));
    m_warnings->setWordWrap(true);
    m_warnings->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_warnings->setStyleSheet(QStringLiteral(
        "QLabel { background: #fff4ce; color: #6b4e00; border: 1px solid #e0c46c; padding: 6px; }"));
    m_warnings->hide();

    auto *now = new QGridLayout;
    now->setSpacing(12);
    m_state = addTile(now, 0, 0, tr("Engine"), QStringLiteral("dashState"),
                      tr("State of the relay engine"));
    m_queue = addTile(now, 0, 1, tr("Queue"), QStringLiteral("dashQueue"),
                      tr("Messages waiting in the queue"));
    m_sessions = addTile(now, 0, 2, tr("Active sessions"), QStringLiteral("dashSessions"),
                         tr("Inbound SMTP sessions open now"));
    m_deliveries = addTile(now, 0, 3, tr("Active deliveries"), QStringLiteral("dashDeliveries"),
                           tr("Outbound connections delivering mail now"));
    m_listening = addTile(now, 1, 0, tr("Listening on"), QStringLiteral("dashListening"),
                          tr("Addresses where the relay accepts SMTP connections"), 2);
    m_smartHost = addTile(now, 1, 2, tr("Routes"), QStringLiteral("dashSmartHost"),
                          tr("Where outgoing mail is handed over"), 2);
    for (QLabel *l : {m_listening, m_smartHost}) {
        QFont f = l->font();
        f.setPointSizeF(font().pointSizeF() * 1.2);
        f.setBold(false);
        l->setFont(f);
        l->setWordWrap(true);
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }

    auto *since = new QLabel(tr("Since the engine started"), this);
    QFont sinceFont = since->font();
    sinceFont.setBold(true);
    since->setFont(sinceFont);

    auto *counters = new QGridLayout;
    counters->setSpacing(12);
    m_accepted = addTile(counters, 0, 0, tr("Accepted"), QStringLiteral("dashAccepted"),
                         tr("Messages accepted from clients"));
    m_rejected = addTile(counters, 0, 1, tr("Rejected"), QStringLiteral("dashRejected"),
                         tr("Messages or recipients refused"));
    m_delivered = addTile(counters, 0, 2, tr("Delivered"), QStringLiteral("dashDelivered"),
                          tr("Messages delivered to the next hop"));
    m_deferred = addTile(counters, 0, 3, tr("Deferred"), QStringLiteral("dashDeferred"),
                         tr("Delivery attempts that failed temporarily and will be retried"));
    m_failed = addTile(counters, 0, 4, tr("Failed"), QStringLiteral("dashFailed"),
                       tr("Messages that failed permanently"));
    for (int c = 0; c < 4; ++c)
        now->setColumnStretch(c, 1);
    for (int c = 0; c < 5; ++c)
        counters->setColumnStretch(c, 1);

    auto *layout = new QVBoxLayout(this);
    layout->setSpacing(12);
    layout->addWidget(title);
    layout->addWidget(m_errors);
    layout->addWidget(m_warnings);
    layout->addLayout(now);
    layout->addSpacing(8);
    layout->addWidget(since);
    layout->addLayout(counters);
    layout->addStretch(1);

    connect(facade, &rd::engine::EngineFacade::statusChanged, this, &DashboardPanel::setStatus);
    setStatus(facade->status());
}

QLabel *DashboardPanel::addTile(QGridLayout *grid, int row, int column, const QString &title,
                                const QString &objectName, const QString &tip, int columnSpan)
{
    auto *box = new QGroupBox(title, this);
    box->setToolTip(tip);
    auto *value = new QLabel(box);
    value->setObjectName(objectName);
    QFont f = value->font();
    f.setPointSizeF(font().pointSizeF() * 2.2);
    f.setBold(true);
    value->setFont(f);
    value->setAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    value->setMinimumHeight(QFontMetrics(f).height());
    auto *l = new QVBoxLayout(box);
    l->addWidget(value);
    grid->addWidget(box, row, column, 1, columnSpan);
    return value;
}

void DashboardPanel::setStatus(const EngineStatus &status)
{
    m_state->setText(stateText(status.state));
    m_state->setStyleSheet(QStringLiteral("color: %1;").arg(stateColor(status.state)));

    m_errors->setVisible(!status.errors.isEmpty());
    m_errors->setText(status.errors.join(QLatin1Char('\n')));
    m_warnings->setVisible(!status.warnings.isEmpty());
    m_warnings->setText(status.warnings.join(QLatin1Char('\n')));

    m_listening->setText(status.listening.isEmpty() ? tr("Not listening")
                                                    : status.listening.join(QStringLiteral(", ")));
    m_smartHost->setText(status.smartHost.isEmpty() ? tr("None configured \u2014 mail waits in the queue")
                                                    : status.smartHost);
    m_queue->setText(number(status.queueSize));
    m_sessions->setText(number(status.activeSessions));
    m_deliveries->setText(number(status.activeDeliveries));
    m_accepted->setText(number(status.accepted));
    m_rejected->setText(number(status.rejected));
    m_delivered->setText(number(status.delivered));
    m_deferred->setText(number(status.deferred));
    m_failed->setText(number(status.failed));
}

} // namespace rd::ui

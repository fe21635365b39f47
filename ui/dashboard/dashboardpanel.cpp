#include "dashboard/dashboardpanel.h"

#include "dashboard/alertbanner.h"
#include "dashboard/toplistmodel.h"
#include "dashboard/trafficchart.h"

#include "dnscheck/dnscheckreport.h"
#include "engine/enginefacade.h"

#include <QFrame>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QScrollArea>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace rd::ui {

using rd::alerts::Alert;
using rd::alerts::Severity;
using rd::engine::EngineStatus;

namespace {

constexpr const char kGreen[] = "#1e7b34";
constexpr const char kAmber[] = "#c27c00";
constexpr const char kRed[] = "#b01e1e";
constexpr const char kGrey[] = "#8a8a8a";

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
    case EngineStatus::State::Running: return QLatin1String(kGreen);
    case EngineStatus::State::Starting:
    case EngineStatus::State::Stopping: return QStringLiteral("#9a5b00");
    case EngineStatus::State::Error: return QLatin1String(kRed);
    case EngineStatus::State::Stopped: break;
    }
    return QStringLiteral("#666666");
}

QString number(qint64 n)
{
    return QLocale().toString(n);
}

QString timeText(const QDateTime &t)
{
    const QDateTime local = t.toLocalTime();
    const QLocale locale;
    return local.date() == QDate::currentDate() ? locale.toString(local.time(), QLocale::ShortFormat)
                                                : locale.toString(local, QLocale::ShortFormat);
}

} // namespace

DashboardPanel::DashboardPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("dashboardPanel"));
    auto *content = new QWidget;
    content->setObjectName(QStringLiteral("dashContent"));

    auto *title = new QLabel(tr("Dashboard"), content);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);

    m_banner = new AlertBanner(content);
    connect(m_banner, &AlertBanner::acknowledged, this, &DashboardPanel::alertAcknowledged);

    m_errors = new QLabel(content);
    m_errors->setObjectName(QStringLiteral("dashErrors"));
    m_errors->setWordWrap(true);
    m_errors->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errors->setStyleSheet(QStringLiteral(
        "QLabel { background: #fdecea; color: #8a1414; border: 1px solid #f1b0ab;"
        " border-radius: 4px; padding: 8px; }"));
    m_errors->hide();
    m_warnings = new QLabel(content);
    m_warnings->setObjectName(QStringLiteral("dashWarnings"));
    m_warnings->setWordWrap(true);
    m_warnings->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_warnings->setStyleSheet(QStringLiteral(
        "QLabel { background: #fff4ce; color: #6b4e00; border: 1px solid #e0c46c; padding: 6px; }"));
    m_warnings->hide();

    // Now: engine state and activity.
    auto *now = new QGridLayout;
    now->setSpacing(8);
    m_state = addTile(now, 0, 0, tr("Engine"), QStringLiteral("dashState"), tr("State of the relay engine"), 1.5);
    m_queue = addTile(now, 0, 1, tr("Queue"), QStringLiteral("dashQueue"), tr("Messages waiting in the queue"), 1.5);
    m_sessions = addTile(now, 0, 2, tr("Active sessions"), QStringLiteral("dashSessions"),
                         tr("Inbound SMTP sessions open now"), 1.5);
    m_deliveries = addTile(now, 0, 3, tr("Active deliveries"), QStringLiteral("dashDeliveries"),
                           tr("Outbound connections delivering mail now"), 1.5);
    m_tls = addTile(now, 0, 4, tr("TLS sessions (1 h)"), QStringLiteral("dashTls"),
                    tr("Share of inbound sessions in the last hour that used TLS"), 1.5);
    for (int c = 0; c < 5; ++c)
        now->setColumnStretch(c, 1);

    // Charts on the left; health and top lists on the right.
    m_chart = new TrafficChart(content);

    auto *health = new QGroupBox(tr("Health"), content);
    health->setObjectName(QStringLiteral("dashHealth"));
    auto *hg = new QGridLayout(health);
    hg->setHorizontalSpacing(6);
    hg->setVerticalSpacing(4);
    hg->setColumnStretch(2, 1);
    m_listening = addHealthRow(hg, 0, tr("Listening on"), QStringLiteral("dashListening"), &m_listeningDot);
    m_smartHost = addHealthRow(hg, 1, tr("Routes"), QStringLiteral("dashSmartHost"), &m_smartHostDot);
    m_certificates = addHealthRow(hg, 2, tr("Certificates"), QStringLiteral("dashCertificates"),
                                  &m_certificatesDot);
    m_dnsCheck = addHealthRow(hg, 3, tr("DNS check"), QStringLiteral("dashDnsCheck"), &m_dnsCheckDot);
    m_openAlerts = addHealthRow(hg, 4, tr("Open alerts"), QStringLiteral("dashOpenAlerts"), &m_openAlertsDot);

    m_topSenders = new TopListModel(tr("Sender"), tr("Messages"), this);
    m_topClients = new TopListModel(tr("Client IP"), tr("Messages"), this);
    m_topRefused = new TopListModel(tr("Client IP"), tr("Refusals"), this);
    m_topTabs = new QTabWidget(content);
    m_topTabs->setObjectName(QStringLiteral("dashTopTabs"));
    m_topTabs->addTab(makeTopView(m_topSenders, QStringLiteral("dashTopSenders")), tr("Top senders"));
    m_topTabs->addTab(makeTopView(m_topClients, QStringLiteral("dashTopClients")), tr("Top client IPs"));
    m_topTabs->addTab(makeTopView(m_topRefused, QStringLiteral("dashTopRefused")), tr("Most refused"));
    m_topWindow = new QLabel(tr("Last hour"), content);
    m_topWindow->setObjectName(QStringLiteral("dashTopWindow"));
    m_topWindow->setStyleSheet(QStringLiteral("QLabel { color: #666666; }"));
    m_topTabs->setCornerWidget(m_topWindow, Qt::TopRightCorner);

    auto *right = new QVBoxLayout;
    right->setSpacing(8);
    right->addWidget(health);
    right->addWidget(m_topTabs, 1);
    auto *middle = new QHBoxLayout;
    middle->setSpacing(10);
    middle->addWidget(m_chart, 3);
    middle->addLayout(right, 2);

    // Counters since start.
    auto *since = new QLabel(tr("Since the engine started"), content);
    QFont sinceFont = since->font();
    sinceFont.setBold(true);
    since->setFont(sinceFont);
    auto *counters = new QGridLayout;
    counters->setSpacing(8);
    m_accepted = addTile(counters, 0, 0, tr("Accepted"), QStringLiteral("dashAccepted"),
                         tr("Messages accepted from clients"), 1.25);
    m_rejected = addTile(counters, 0, 1, tr("Rejected"), QStringLiteral("dashRejected"),
                         tr("Messages or recipients refused"), 1.25);
    m_delivered = addTile(counters, 0, 2, tr("Delivered"), QStringLiteral("dashDelivered"),
                          tr("Messages delivered to the next hop"), 1.25);
    m_deferred = addTile(counters, 0, 3, tr("Deferred"), QStringLiteral("dashDeferred"),
                         tr("Delivery attempts that failed temporarily and will be retried"), 1.25);
    m_failed = addTile(counters, 0, 4, tr("Failed"), QStringLiteral("dashFailed"),
                       tr("Messages that failed permanently"), 1.25);
    for (int c = 0; c < 5; ++c)
        counters->setColumnStretch(c, 1);

    auto *layout = new QVBoxLayout(content);
    layout->setSpacing(8);
    layout->addWidget(title);
    layout->addWidget(m_banner);
    layout->addWidget(m_errors);
    layout->addWidget(m_warnings);
    layout->addLayout(now);
    layout->addLayout(middle, 1);
    layout->addWidget(since);
    layout->addLayout(counters);

    // Readable when the window is small: scroll rather than squash.
    auto *scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("dashScroll"));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    content->setMinimumSize(760, 600);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);

    setAlerts({});
    setTraffic({});
    if (facade) {
        connect(facade, &rd::engine::EngineFacade::statusChanged, this, &DashboardPanel::setStatus);
        connect(facade, &rd::engine::EngineFacade::dnsCheckFinished, this, &DashboardPanel::setDnsCheck);
        setStatus(facade->status());
    } else {
        setStatus(EngineStatus{});
    }
}

QLabel *DashboardPanel::addTile(QGridLayout *grid, int row, int column, const QString &title,
                                const QString &objectName, const QString &tip, double scale)
{
    auto *box = new QGroupBox(title, grid->parentWidget());
    box->setToolTip(tip);
    auto *value = new QLabel(box);
    value->setObjectName(objectName);
    QFont f = value->font();
    f.setPointSizeF(font().pointSizeF() * scale);
    f.setBold(true);
    value->setFont(f);
    value->setAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    value->setMinimumHeight(QFontMetrics(f).height());
    auto *l = new QVBoxLayout(box);
    l->setContentsMargins(8, 2, 8, 4);
    l->addWidget(value);
    grid->addWidget(box, row, column);
    return value;
}

QLabel *DashboardPanel::addHealthRow(QGridLayout *grid, int row, const QString &title, const QString &objectName,
                                     QLabel **dot)
{
    QWidget *parent = grid->parentWidget();
    *dot = new QLabel(QStringLiteral("\u25cf"), parent);
    (*dot)->setObjectName(objectName + QStringLiteral("Dot"));
    auto *name = new QLabel(title, parent);
    QFont bold = name->font();
    bold.setBold(true);
    name->setFont(bold);
    auto *value = new QLabel(parent);
    value->setObjectName(objectName);
    value->setWordWrap(true);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    grid->addWidget(*dot, row, 0, Qt::AlignTop);
    grid->addWidget(name, row, 1, Qt::AlignTop);
    grid->addWidget(value, row, 2);
    setDot(*dot, QLatin1String(kGrey), QString());
    return value;
}

QTableView *DashboardPanel::makeTopView(TopListModel *model, const QString &objectName)
{
    auto *view = new QTableView;
    view->setObjectName(objectName);
    view->setModel(model);
    view->verticalHeader()->hide();
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    view->setShowGrid(false);
    view->setWordWrap(false);
    view->setTextElideMode(Qt::ElideMiddle);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    QHeaderView *h = view->horizontalHeader();
    h->setSectionResizeMode(TopListModel::Rank, QHeaderView::ResizeToContents);
    h->setSectionResizeMode(TopListModel::Key, QHeaderView::Stretch);
    h->setSectionResizeMode(TopListModel::Count, QHeaderView::ResizeToContents);
    view->setMinimumHeight(120);
    return view;
}

void DashboardPanel::setDot(QLabel *dot, const QString &color, const QString &tip)
{
    dot->setStyleSheet(QStringLiteral("QLabel { color: %1; }").arg(color));
    dot->setToolTip(tip);
}

void DashboardPanel::setStatus(const EngineStatus &status)
{
    m_status = status;
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
    updateHealth();
}

void DashboardPanel::setTraffic(const rd::engine::TrafficSnapshot &snapshot)
{
    m_chart->setSnapshot(snapshot);
    m_topSenders->setEntries(snapshot.topSenders);
    m_topClients->setEntries(snapshot.topClients);
    m_topRefused->setEntries(snapshot.topRefused);
    const double share = snapshot.tlsShareLastHour();
    if (share < 0) {
        m_tls->setText(QStringLiteral("\u2014"));
        m_tls->setToolTip(tr("No inbound session ended in the last hour"));
    } else {
        m_tls->setText(QLocale().toString(share * 100.0, 'f', 0) + QStringLiteral(" %"));
        m_tls->setToolTip(tr("%1 of %2 sessions in the last hour used TLS (%3 of %4 since start)")
                              .arg(number(snapshot.tlsSessionsLastHour), number(snapshot.sessionsLastHour),
                                   number(snapshot.totalTlsSessions), number(snapshot.totalSessions)));
    }
    const qint64 minutes = snapshot.topWindowMs / 60000;
    m_topWindow->setText(minutes > 0 ? tr("Last %1 min").arg(minutes) : tr("Last hour"));
}

void DashboardPanel::setAlerts(const QList<Alert> &alerts)
{
    m_alerts.clear();
    for (const Alert &a : alerts) {
        if (a.isOpen())
            m_alerts.append(a);
    }
    rd::alerts::sortForDisplay(m_alerts);
    m_banner->setAlerts(m_alerts);
    updateHealth();
}

void DashboardPanel::setDnsCheck(const rd::dnscheck::Report &report)
{
    if (report.domain.isEmpty())
        return;
    DnsSummary s;
    s.failures = report.count(rd::dnscheck::Status::Fail);
    s.warnings = report.count(rd::dnscheck::Status::Warn);
    s.when = report.when;
    m_dns.insert(report.domain, s);
    updateHealth();
}

void DashboardPanel::updateHealth()
{
    // Listeners: up when listening without errors.
    const int up = int(m_status.listening.size());
    const int failed = int(m_status.errors.size());
    if (up > 0 && failed == 0)
        setDot(m_listeningDot, QLatin1String(kGreen), tr("%n listener(s) up", nullptr, up));
    else if (up > 0)
        setDot(m_listeningDot, QLatin1String(kAmber), tr("Some listeners failed; see the errors above"));
    else
        setDot(m_listeningDot, QLatin1String(m_status.state == EngineStatus::State::Running ? kRed : kGrey),
               tr("No listener is up"));
    setDot(m_smartHostDot, QLatin1String(m_status.smartHost.isEmpty() ? kAmber : kGreen), QString());

    // Certificates: from the certificate alerts.
    QStringList certs;
    Severity certWorst = Severity::Info;
    int critical = 0;
    int warning = 0;
    for (const Alert &a : m_alerts) {
        if (a.rule == QLatin1String(rd::alerts::rules::kCertificate)) {
            certs << a.message;
            certWorst = std::max(certWorst, a.severity);
        }
        critical += a.severity == Severity::Critical ? 1 : 0;
        warning += a.severity == Severity::Warning ? 1 : 0;
    }
    if (certs.isEmpty()) {
        m_certificates->setText(tr("No certificate close to expiry"));
        setDot(m_certificatesDot, QLatin1String(kGreen), QString());
    } else {
        m_certificates->setText(certs.join(QLatin1Char('\n')));
        setDot(m_certificatesDot, QLatin1String(certWorst == Severity::Critical ? kRed : kAmber), QString());
    }

    // Last DNS check, per domain.
    if (m_dns.isEmpty()) {
        m_dnsCheck->setText(tr("Not run since the dashboard opened"));
        setDot(m_dnsCheckDot, QLatin1String(kGrey), QString());
    } else {
        QStringList parts;
        int fails = 0;
        int warns = 0;
        QDateTime latest;
        for (auto it = m_dns.cbegin(); it != m_dns.cend(); ++it) {
            fails += it->failures;
            warns += it->warnings;
            if (!latest.isValid() || it->when > latest)
                latest = it->when;
            QString state = it->failures > 0   ? tr("%n failure(s)", nullptr, it->failures)
                            : it->warnings > 0 ? tr("%n warning(s)", nullptr, it->warnings)
                                               : tr("all passed");
            parts << QStringLiteral("%1: %2").arg(it.key(), state);
        }
        if (parts.size() > 3) {
            const qsizetype more = parts.size() - 3;
            parts = parts.mid(0, 3);
            parts << tr("%n more domain(s)", nullptr, int(more));
        }
        QString text = parts.join(QStringLiteral(" \u00b7 "));
        if (latest.isValid())
            text += QStringLiteral(" (%1)").arg(timeText(latest));
        m_dnsCheck->setText(text);
        setDot(m_dnsCheckDot, QLatin1String(fails > 0 ? kRed : warns > 0 ? kAmber : kGreen), QString());
    }

    // Open alerts.
    if (m_alerts.isEmpty()) {
        m_openAlerts->setText(tr("None"));
        setDot(m_openAlertsDot, QLatin1String(kGreen), QString());
    } else {
        QStringList parts;
        if (critical > 0)
            parts << tr("%n critical", nullptr, critical);
        if (warning > 0)
            parts << tr("%n warning(s)", nullptr, warning);
        const int info = int(m_alerts.size()) - critical - warning;
        if (info > 0)
            parts << tr("%n info", nullptr, info);
        m_openAlerts->setText(parts.join(QStringLiteral(", ")));
        setDot(m_openAlertsDot, QLatin1String(critical > 0 ? kRed : kAmber), QString());
    }
}

} // namespace rd::ui

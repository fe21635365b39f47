#include "cluster/clusterpanel.h"

#include "cluster/configsync.h"
#include "engine/enginefacade.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace rd::ui {
namespace {

QString clusterAge(qint64 thenMs, qint64 nowMs)
{
    if (thenMs <= 0)
        return QStringLiteral("-");
    const qint64 s = std::max<qint64>(0, (nowMs - thenMs) / 1000);
    if (s < 120)
        return ClusterPanel::tr("%1 s ago").arg(s);
    if (s < 7200)
        return ClusterPanel::tr("%1 min ago").arg(s / 60);
    return ClusterPanel::tr("%1 h ago").arg(s / 3600);
}

QString clusterWhen(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QTableWidgetItem *clusterCell(const QString &text)
{
    auto *item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    return item;
}

QTableWidget *clusterTable(const QStringList &headers, QWidget *parent)
{
    auto *t = new QTableWidget(0, int(headers.size()), parent);
    t->setHorizontalHeaderLabels(headers);
    t->verticalHeader()->hide();
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->horizontalHeader()->setStretchLastSection(true);
    t->setWordWrap(false);
    return t;
}

} // namespace

ClusterPanel::ClusterPanel(rd::engine::EngineFacade *facade, QWidget *parent) : QWidget(parent), m_facade(facade)
{
    auto *layout = new QVBoxLayout(this);
    auto *top = new QHBoxLayout;
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    top->addWidget(m_summary, 1);
    m_refresh = new QPushButton(tr("Refresh"), this);
    top->addWidget(m_refresh, 0, Qt::AlignTop);
    layout->addLayout(top);

    m_nodesTitle = new QLabel(tr("<b>Nodes</b>"), this);
    layout->addWidget(m_nodesTitle);
    m_nodes = clusterTable({tr("Node"), tr("State"), tr("Last heartbeat"), tr("Listeners"), tr("Queue"),
                            tr("Oldest message"), tr("Store round trip"), tr("Revision"), tr("Version")},
                           this);
    layout->addWidget(m_nodes, 2);
    m_historyTitle = new QLabel(tr("<b>Configuration changes</b> (newest first)"), this);
    layout->addWidget(m_historyTitle);
    m_history = clusterTable({tr("Revision"), tr("When"), tr("Who"), tr("Node"), tr("What changed"), tr("Note")},
                             this);
    layout->addWidget(m_history, 3);

    m_timer = new QTimer(this);
    m_timer->setInterval(5000);
    connect(m_timer, &QTimer::timeout, this, &ClusterPanel::refresh);
    connect(m_refresh, &QPushButton::clicked, this, &ClusterPanel::refresh);
    if (m_facade)
        connect(m_facade, &rd::engine::EngineFacade::clusterOverviewReady, this, &ClusterPanel::showOverview);
    showOverview({});
}

void ClusterPanel::refresh()
{
    if (m_facade)
        m_facade->requestClusterOverview();
}

void ClusterPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
    m_timer->start();
}

void ClusterPanel::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_timer->stop();
}

void ClusterPanel::showOverview(const rd::cluster::ClusterOverview &o)
{
    m_nodes->setVisible(o.clustered);
    m_history->setVisible(o.clustered);
    m_nodesTitle->setVisible(o.clustered);
    m_historyTitle->setVisible(o.clustered);
    if (!o.clustered) {
        m_summary->setText(
            tr("<p><b>This relay runs standalone</b>: its configuration is in its own data folder.</p>"
               "<p>Several relays can share one configuration through a PostgreSQL database: publish this "
               "relay's configuration with <code>relaydesk --cluster &lt;connection&gt; --migrate-to-cluster</code>, "
               "then start every relay with <code>--cluster &lt;connection&gt; --cluster-key &lt;file&gt;</code>. "
               "A change made on one relay then reaches the others within a second. See docs/CLUSTER.md.</p>"));
        m_nodes->setRowCount(0);
        m_history->setRowCount(0);
        return;
    }
    const QString state = o.storeUp ? tr("<span style='color:#1b7f3b'>connected</span>")
                                    : tr("<span style='color:#b00020'>not reachable: %1</span>").arg(o.error.toHtmlEscaped());
    m_summary->setText(tr("<p>Store <b>%1</b>: %2<br>This node: <b>%3</b>, configuration revision %4</p>")
                           .arg(o.store.toHtmlEscaped(), state, o.thisNode.toHtmlEscaped())
                           .arg(o.revision));
    const qint64 now = o.readAt > 0 ? o.readAt : QDateTime::currentMSecsSinceEpoch();
    m_nodes->setRowCount(int(o.nodes.size()));
    for (int i = 0; i < o.nodes.size(); ++i) {
        const rd::cluster::NodeInfo &n = o.nodes.at(i);
        QString stateText = n.silent ? tr("silent") : n.state;
        if (n.name == o.thisNode)
            stateText += tr(" (this node)");
        const QStringList cells = {
            n.name,
            stateText,
            clusterAge(n.heartbeat, now),
            n.listeners,
            QString::number(n.queueSize),
            n.oldestMessage > 0 ? clusterAge(n.oldestMessage, now).replace(tr(" ago"), QString()) : QStringLiteral("-"),
            n.storeLatencyUs >= 0 ? tr("%1 ms").arg(double(n.storeLatencyUs) / 1000.0, 0, 'f', 2) : QStringLiteral("-"),
            n.revision >= 0 ? QString::number(n.revision) : QStringLiteral("-"),
            n.version,
        };
        for (int c = 0; c < cells.size(); ++c) {
            QTableWidgetItem *item = clusterCell(cells.at(c));
            if (n.silent) {
                item->setBackground(QColor(0xfd, 0xe2, 0xe1));
                item->setToolTip(tr("No heartbeat since %1: the node is down or cannot reach the store")
                                     .arg(clusterWhen(n.heartbeat)));
            } else if (n.revision >= 0 && o.revision >= 0 && n.revision != o.revision) {
                item->setToolTip(tr("This node runs revision %1; the store is at %2").arg(n.revision).arg(o.revision));
            }
            m_nodes->setItem(i, c, item);
        }
    }
    m_nodes->resizeColumnsToContents();
    m_history->setRowCount(int(o.history.size()));
    for (int i = 0; i < o.history.size(); ++i) {
        const rd::cluster::HistoryEntry &h = o.history.at(i);
        const bool everything = h.tables.size() >= rd::cluster::sharedTables().size();
        const QStringList cells = {QString::number(h.revision), clusterWhen(h.ts), h.actor, h.node,
                                   everything ? tr("the whole configuration") : h.tables.join(QStringLiteral(", ")),
                                   h.summary};
        for (int c = 0; c < cells.size(); ++c) {
            QTableWidgetItem *item = clusterCell(cells.at(c));
            if (c == 4 || c == 5)
                item->setToolTip(c == 4 ? h.tables.join(QStringLiteral(", ")) : h.summary);
            m_history->setItem(i, c, item);
        }
    }
    m_history->resizeColumnsToContents();
    for (int c = 0; c < m_history->columnCount() - 1; ++c)
        m_history->setColumnWidth(c, std::min(m_history->columnWidth(c), 320));
}

} // namespace rd::ui

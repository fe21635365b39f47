#include "logs/logspanel.h"

#include "logs/logmodel.h"

#include "engine/enginefacade.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <algorithm>

namespace rd::ui {

using rd::log::LogEvent;
using rd::log::LogKind;

namespace {

QString field(const QString &key, const QString &value)
{
    return QStringLiteral("<tr><td style='padding-right:14px'><b>%1</b></td><td>%2</td></tr>")
        .arg(key.toHtmlEscaped(), value.isEmpty() ? QStringLiteral("&mdash;") : value.toHtmlEscaped());
}

} // namespace

LogsPanel::LogsPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_model(new LogModel(facade->dataDir(), this))
{
    setObjectName(QStringLiteral("logsPanel"));
    buildUi();

    m_filterTimer.setSingleShot(true);
    m_filterTimer.setInterval(FilterDelayMs);
    connect(&m_filterTimer, &QTimer::timeout, this, &LogsPanel::applyFilter);

    connect(facade, &rd::engine::EngineFacade::logAppended, m_model, &LogModel::onLogAppended);

    connect(m_model, &LogModel::rowsAboutToBeInserted, this,
            [this](const QModelIndex &, int first, int) {
                if (first == 0)
                    onRowsAboutToBePrepended();
            });
    connect(m_model, &LogModel::rowsPrepended, this, &LogsPanel::onRowsPrepended);
    connect(m_model, &LogModel::rowsInserted, this, &LogsPanel::updateCountLabel);
    connect(m_model, &LogModel::rowsRemoved, this, &LogsPanel::updateCountLabel);
    connect(m_model, &LogModel::modelReset, this, &LogsPanel::updateCountLabel);
    connect(m_model, &LogModel::modelReset, this, &LogsPanel::showDetail);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &LogsPanel::showDetail);

    updateCountLabel();
    showDetail();
}

LogsPanel::~LogsPanel() = default;

void LogsPanel::buildUi()
{
    auto *title = new QLabel(tr("Logs"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);

    m_kindCombo = new QComboBox(this);
    m_kindCombo->setObjectName(QStringLiteral("logKind"));
    m_kindCombo->addItem(tr("All"), -1);
    m_kindCombo->addItem(tr("Sessions"), int(LogKind::Session));
    m_kindCombo->addItem(tr("Received"), int(LogKind::Receive));
    m_kindCombo->addItem(tr("Deliveries"), int(LogKind::Delivery));
    m_kindCombo->addItem(tr("System"), int(LogKind::System));
    connect(m_kindCombo, &QComboBox::currentIndexChanged, this, &LogsPanel::applyFilter);

    m_textFilter = new QLineEdit(this);
    m_textFilter->setObjectName(QStringLiteral("logFilter"));
    m_textFilter->setPlaceholderText(tr("Filter by address, IP, queue ID, result or message"));
    m_textFilter->setClearButtonEnabled(true);
    connect(m_textFilter, &QLineEdit::textChanged, this, [this] { m_filterTimer.start(); });

    m_follow = new QCheckBox(tr("Follow"), this);
    m_follow->setObjectName(QStringLiteral("logFollow"));
    m_follow->setToolTip(tr("Keep the newest entry visible as new entries arrive"));
    m_follow->setChecked(true);
    connect(m_follow, &QCheckBox::toggled, this, [this](bool on) {
        if (on)
            m_table->scrollToTop();
    });

    m_countLabel = new QLabel(this);
    m_countLabel->setObjectName(QStringLiteral("logCount"));

    auto *filterBar = new QHBoxLayout;
    filterBar->addWidget(new QLabel(tr("Show:"), this));
    filterBar->addWidget(m_kindCombo);
    filterBar->addSpacing(12);
    filterBar->addWidget(m_textFilter, 1);
    filterBar->addSpacing(12);
    filterBar->addWidget(m_follow);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("logTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    auto *header = m_table->horizontalHeader();
    header->setStretchLastSection(true);
    header->setHighlightSections(false);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    const int widths[LogModel::ColumnCount] = {135, 70, 75, 100, 165, 165, 135, 70, 60, 240};
    for (int c = 0; c < LogModel::ColumnCount; ++c)
        m_table->setColumnWidth(c, widths[c]);
    m_table->setColumnWidth(LogModel::Time,
                            fontMetrics().horizontalAdvance(QStringLiteral("2026-12-28 20:58:58")) + 20);
    m_table->setColumnWidth(LogModel::QueueId,
                            fontMetrics().horizontalAdvance(QStringLiteral("0M8W7Q40HJ0VKX8Q")) + 20);
    // Scrolling away from the newest row stops following; back at the top resumes.
    connect(m_table->verticalScrollBar(), &QScrollBar::actionTriggered, this, [this] {
        QTimer::singleShot(0, this, [this] {
            m_follow->setChecked(m_table->verticalScrollBar()->value() == 0);
        });
    });

    m_detail = new QTextBrowser(this);
    m_detail->setObjectName(QStringLiteral("logDetail"));
    m_detail->setOpenLinks(false);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_table);
    splitter->addWidget(m_detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addLayout(filterBar);
    layout->addWidget(m_countLabel);
    layout->addWidget(splitter, 1);
}

bool LogsPanel::isFollowing() const
{
    return m_follow->isChecked();
}

void LogsPanel::setFollowing(bool follow)
{
    m_follow->setChecked(follow);
}

void LogsPanel::applyFilter()
{
    m_filterTimer.stop();
    rd::log::LogFilter f = m_model->filter();
    f.kind = m_kindCombo->currentData().toInt();
    f.text = m_textFilter->text().trimmed();
    m_model->setFilter(f);
}

void LogsPanel::updateCountLabel()
{
    if (!m_model->isOpen()) {
        m_countLabel->setText(tr("Log not available: %1").arg(m_model->errorString()));
        return;
    }
    const int n = m_model->rowCount();
    QString text = n == 1 ? tr("1 entry") : tr("%1 entries").arg(QLocale().toString(n));
    if (m_model->canFetchMore({}))
        text += QLatin1Char(' ') + tr("(scroll down for older entries)");
    m_countLabel->setText(text);
}

void LogsPanel::onRowsAboutToBePrepended()
{
    m_anchorRow = isFollowing() ? -1 : m_table->rowAt(0);
}

void LogsPanel::onRowsPrepended(int count)
{
    if (isFollowing()) {
        m_table->scrollToTop();
        return;
    }
    // Keep the rows the user is reading in place.
    if (m_anchorRow < 0)
        return;
    const int row = std::min(m_anchorRow + count, m_model->rowCount() - 1);
    m_anchorRow = -1;
    QTimer::singleShot(0, this, [this, row] {
        m_table->scrollTo(m_model->index(row, 0), QAbstractItemView::PositionAtTop);
    });
}

void LogsPanel::showDetail()
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    const LogEvent *e = current.isValid() ? m_model->eventAt(current.row()) : nullptr;
    if (!e) {
        m_detail->setHtml(QStringLiteral("<p style='color:gray'>%1</p>")
                              .arg(tr("Select an entry to see all of its fields.").toHtmlEscaped()));
        return;
    }
    QString tls = e->tlsVersion;
    if (!e->tlsCipher.isEmpty())
        tls += (tls.isEmpty() ? QString() : QStringLiteral(" ")) + e->tlsCipher;
    const QString reply = e->replyCode > 0
        ? QStringLiteral("%1 %2").arg(e->replyCode).arg(e->enhancedCode).trimmed()
        : QString();

    QString html = QStringLiteral("<table cellspacing='2'>");
    html += field(tr("Time"), e->time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"))
                                  + QStringLiteral("  (UTC ")
                                  + e->time.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"))
                                  + QLatin1Char(')'));
    html += field(tr("ID"), QString::number(e->id));
    html += field(tr("Kind"), LogModel::kindLabel(e->kind));
    html += field(tr("Level"), e->level);
    html += field(tr("Result"), e->result);
    html += field(tr("Rule"), e->rule);
    html += field(tr("Session"), e->sessionId);
    html += field(tr("Direction"), e->direction);
    html += field(tr("Client IP"), e->clientIp);
    html += field(tr("Client name"), e->clientName);
    html += field(tr("HELO"), e->helo);
    html += field(tr("User"), e->user);
    html += field(tr("Sender"), e->sender);
    html += field(tr("Recipients"), e->recipients);
    html += field(tr("Queue ID"), e->queueId);
    html += field(tr("Reply"), reply);
    html += field(tr("Bytes"), e->bytes > 0 ? QLocale().toString(e->bytes) : QString());
    html += field(tr("Duration"), e->durationMs > 0 ? tr("%1 ms").arg(e->durationMs) : QString());
    html += field(tr("TLS"), tls);
    html += field(tr("Message"), e->message);
    html += QStringLiteral("</table><p><b>%1</b><br><code>%2</code></p>")
                .arg(tr("Log line").toHtmlEscaped(), e->toKeyValueLine().toHtmlEscaped());
    m_detail->setHtml(html);
}

} // namespace rd::ui

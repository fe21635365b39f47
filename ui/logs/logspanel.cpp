#include "logs/logspanel.h"

#include "logs/logdetailpane.h"
#include "logs/logfilterbar.h"
#include "logs/logmodel.h"

#include "engine/enginefacade.h"
#include "log/logqueryservice.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace rd::ui {

using rd::log::LogEvent;

LogsPanel::LogsPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_service(new rd::log::LogQueryService(facade->dataDir(), this))
    , m_model(new LogModel(m_service, this))
{
    setObjectName(QStringLiteral("logsPanel"));
    buildUi();

    connect(facade, &rd::engine::EngineFacade::logAppended, m_model, &LogModel::onLogAppended);
    connect(m_filterBar, &LogFilterBar::filterChanged, this, &LogsPanel::applyFilter);

    connect(m_model, &LogModel::rowsAboutToBeInserted, this,
            [this](const QModelIndex &, int first, int) {
                if (first == 0)
                    onRowsAboutToBePrepended();
            });
    connect(m_model, &LogModel::rowsPrepended, this, &LogsPanel::onRowsPrepended);
    connect(m_model, &LogModel::stateChanged, this, &LogsPanel::updateStatus);
    connect(m_model, &LogModel::rowsInserted, this, &LogsPanel::updateStatus);
    connect(m_model, &LogModel::rowsRemoved, this, &LogsPanel::updateStatus);
    connect(m_model, &LogModel::modelReset, this, &LogsPanel::updateStatus);
    connect(m_model, &LogModel::modelReset, this, &LogsPanel::showDetail);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &LogsPanel::showDetail);

    connect(m_detail, &LogDetailPane::transcriptWanted, m_service, &rd::log::LogQueryService::requestTranscript);
    connect(m_service, &rd::log::LogQueryService::transcriptReady, m_detail,
            [this](const QString &sessionId, const QString &text) { m_detail->setTranscript(sessionId, text); });
    connect(m_detail, &LogDetailPane::showSessionRequested, m_filterBar, &LogFilterBar::setSession);

    connect(m_service, &rd::log::LogQueryService::exportProgress, this, [this](quint64 job, qint64 rows) {
        if (job == m_exportJob)
            m_exportProgress->setFormat(tr("%1 rows").arg(QLocale().toString(rows)));
    });
    connect(m_service, &rd::log::LogQueryService::exportFinished, this, &LogsPanel::onExportFinished);

    updateStatus();
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

    m_filterBar = new LogFilterBar(this);

    m_follow = new QCheckBox(tr("Follow"), this);
    m_follow->setObjectName(QStringLiteral("logFollow"));
    m_follow->setToolTip(tr("Keep the newest entry visible as new entries arrive"));
    m_follow->setChecked(true);
    connect(m_follow, &QCheckBox::toggled, this, [this](bool on) {
        if (on)
            m_table->scrollToTop();
    });

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("logCount"));

    m_export = new QPushButton(tr("Export…"), this);
    m_export->setObjectName(QStringLiteral("logExport"));
    m_export->setToolTip(tr("Save the entries of the current filter as CSV or W3C extended log"));
    connect(m_export, &QPushButton::clicked, this, &LogsPanel::chooseExport);
    m_exportProgress = new QProgressBar(this);
    m_exportProgress->setObjectName(QStringLiteral("logExportProgress"));
    m_exportProgress->setRange(0, 0);
    m_exportProgress->setTextVisible(true);
    m_exportProgress->setMaximumWidth(220);
    m_exportProgress->setVisible(false);
    m_cancelExport = new QPushButton(tr("Cancel"), this);
    m_cancelExport->setObjectName(QStringLiteral("logExportCancel"));
    m_cancelExport->setVisible(false);
    connect(m_cancelExport, &QPushButton::clicked, m_service, &rd::log::LogQueryService::cancelExport);

    auto *statusBar = new QHBoxLayout;
    statusBar->addWidget(m_status, 1);
    statusBar->addWidget(m_exportProgress);
    statusBar->addWidget(m_cancelExport);
    statusBar->addWidget(m_export);
    statusBar->addWidget(m_follow);

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
    const int widths[LogModel::ColumnCount] = {135, 70, 40, 75, 100, 80, 165, 165, 135, 70, 60, 240};
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

    m_detail = new LogDetailPane(this);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_table);
    splitter->addWidget(m_detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(m_filterBar);
    layout->addLayout(statusBar);
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
    m_model->setFilter(m_filterBar->filter());
}

void LogsPanel::updateStatus()
{
    if (!m_model->errorString().isEmpty()) {
        m_status->setText(tr("Cannot read the log: %1").arg(m_model->errorString()));
        return;
    }
    const int n = m_model->rowCount();
    QString text = n == 1 ? tr("1 entry") : tr("%1 entries").arg(QLocale().toString(n));
    if (m_model->isLoading())
        text += QLatin1Char(' ') + tr("(loading…)");
    else if (m_model->canFetchMore({}))
        text += QLatin1Char(' ') + tr("(scroll down for older entries)");
    m_status->setText(text);
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
    m_detail->setEvent(current.isValid() ? m_model->eventAt(current.row()) : nullptr);
}

void LogsPanel::chooseExport()
{
    QString selected;
    const QString csv = tr("CSV (*.csv)");
    const QString w3c = tr("W3C extended log (*.log)");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export log"), QStringLiteral("relaydesk-log.csv"),
                                                      csv + QStringLiteral(";;") + w3c, &selected);
    if (path.isEmpty())
        return;
    const bool isW3c = selected == w3c || path.endsWith(QLatin1String(".log"), Qt::CaseInsensitive);
    exportTo(path, isW3c ? rd::log::ExportFormat::W3c : rd::log::ExportFormat::Csv);
}

void LogsPanel::exportTo(const QString &path, rd::log::ExportFormat format)
{
    if (m_exportJob != 0)
        return;
    m_exportJob = ++m_nextJob;
    m_export->setEnabled(false);
    m_exportProgress->setFormat(tr("Exporting…"));
    m_exportProgress->setVisible(true);
    m_cancelExport->setVisible(true);
    m_service->requestExport(m_exportJob, m_model->filter(), format, path);
}

void LogsPanel::onExportFinished(quint64 job, const rd::log::ExportResult &result)
{
    if (job != m_exportJob)
        return;
    m_exportJob = 0;
    m_export->setEnabled(true);
    m_exportProgress->setVisible(false);
    m_cancelExport->setVisible(false);
    if (!result.error.isEmpty())
        m_status->setText(tr("Export failed: %1").arg(result.error));
    else if (result.cancelled)
        m_status->setText(tr("Export cancelled"));
    else
        m_status->setText(tr("Exported %1 entries").arg(QLocale().toString(result.rows)));
    emit exportFinished(result);
}

} // namespace rd::ui

#pragma once
// The Logs panel, a log browser: the filter bar (time, IP, user, sender,
// recipient, status class, direction, kind, full-text search), the live log
// table (newest first) with a "Follow" switch, a detail pane with every field
// and the session transcript, "Show session", and export to CSV or the W3C
// extended log format with progress and Cancel.
// Thread: GUI thread. Every query runs in rd::log::LogQueryService's thread;
// the panel never runs SQL.

#include "log/logexport.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableView;

namespace rd::engine {
class EngineFacade;
}

namespace rd::log {
class LogQueryService;
struct ExportResult;
}

namespace rd::ui {

class LogDetailPane;
class LogFilterBar;
class LogModel;

class LogsPanel : public QWidget {
    Q_OBJECT
public:
    // facade: owned by the composition root, must outlive the panel. The panel
    // reads facade->dataDir()/log.db (through its own query thread) and tails
    // it on logAppended().
    explicit LogsPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~LogsPanel() override;

    LogModel *model() const { return m_model; }
    LogFilterBar *filterBar() const { return m_filterBar; }

    // Follow: keep the newest row (the top one) visible as rows arrive.
    bool isFollowing() const;
    void setFollowing(bool follow);

    // Exports the rows of the current filter to `path` in the worker thread
    // (the Export button asks for the path and format first). Emits
    // exportFinished() at the end; Cancel stops it (no file is left then).
    void exportTo(const QString &path, rd::log::ExportFormat format);
    bool isExporting() const { return m_exportJob != 0; }

signals:
    void exportFinished(const rd::log::ExportResult &result);

private:
    void buildUi();
    void applyFilter();
    void updateStatus();
    void showDetail();
    void onRowsAboutToBePrepended();
    void onRowsPrepended(int count);
    void chooseExport();
    void onExportFinished(quint64 job, const rd::log::ExportResult &result);

    rd::log::LogQueryService *m_service;
    LogModel *m_model;
    LogFilterBar *m_filterBar = nullptr;
    QCheckBox *m_follow = nullptr;
    QLabel *m_status = nullptr;
    QTableView *m_table = nullptr;
    LogDetailPane *m_detail = nullptr;
    QPushButton *m_export = nullptr;
    QPushButton *m_cancelExport = nullptr;
    QProgressBar *m_exportProgress = nullptr;
    quint64 m_exportJob = 0;
    quint64 m_nextJob = 0;
    int m_anchorRow = -1; // top visible row before a prepend (when not following)
};

} // namespace rd::ui

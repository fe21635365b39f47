#pragma once
// The Queue panel: filter bar, the paged queue table, actions on the selected
// messages (through the engine facade) and a detail pane for the current one.
// Thread: GUI thread. Reads go through QueueModel's reader (no SQL here);
// actions are requests to the facade and never block.

#include <QStringList>
#include <QTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;
class QTableView;
class QTreeWidget;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class QueueModel;

class QueuePanel : public QWidget {
    Q_OBJECT
public:
    static constexpr qint64 RawPreviewBytes = 64 * 1024;

    // facade: owned by the composition root, must outlive the panel. The panel
    // reads facade->dataDir()/queue.db and refreshes on queueChanged().
    explicit QueuePanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~QueuePanel() override;

    QueueModel *model() const { return m_model; }
    // Queue ids of the selected rows, in row order.
    QStringList selectedQueueIds() const;

public slots:
    void retrySelected();
    void holdSelected();
    void releaseSelected();
    // Asks for confirmation first (modal QMessageBox).
    void deleteSelected();

private:
    void buildUi();
    void applyFilter();
    void updateCountLabel();
    void updateButtons();
    void scheduleDetail();
    void showDetail();
    void clearDetail();
    void onActionFinished(const QString &action, bool ok, const QString &message);

    rd::engine::EngineFacade *m_facade;
    QueueModel *m_model;

    QComboBox *m_stateCombo = nullptr;
    QLineEdit *m_textFilter = nullptr;
    QLabel *m_countLabel = nullptr;
    QLabel *m_actionLabel = nullptr;
    QPushButton *m_retryButton = nullptr;
    QPushButton *m_holdButton = nullptr;
    QPushButton *m_releaseButton = nullptr;
    QPushButton *m_deleteButton = nullptr;
    QTableView *m_table = nullptr;

    QStackedWidget *m_detailStack = nullptr;
    QLabel *m_envelope = nullptr;
    QTreeWidget *m_recipients = nullptr;
    QPlainTextEdit *m_raw = nullptr;

    QTimer m_filterTimer;
    QTimer m_detailTimer;
    QString m_detailId; // queue id shown in the detail pane
};

} // namespace rd::ui

#pragma once
// The Queue panel: filter bar (state, recipient domain, sender, text), the
// paged queue table, actions on every selected message (through the engine
// facade) and a detail pane for the current one.
// Thread: GUI thread. Reads go through QueueModel's reader (no SQL here);
// actions are requests to the facade and never block.
//
// Refreshes: the facade's queueChanged() is batched by the model (at most one
// refresh every QueueModel::RefreshDelayMs); while the panel is hidden it only
// marks the model stale and refreshes once when shown again. Selection,
// current row and scroll position follow their messages across refreshes
// (the view stays at the bottom if it was there).
//
// Bounce and delete-with-bounce need EngineFacade::bounce(QStringList) and
// EngineFacade::remove(QStringList, bool withBounce). The panel looks them up
// at run time (QMetaObject) and keeps their controls disabled, with a tooltip,
// while the facade lacks them.

#include <QPersistentModelIndex>
#include <QStringList>
#include <QTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTabWidget;
class QTableView;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class QueueDetailPane;
class QueueModel;
class QueueShapeView;

class QueuePanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int FilterDelayMs = 300;

    // facade: owned by the composition root, must outlive the panel. The panel
    // reads facade->dataDir()/queue.db and refreshes on queueChanged().
    explicit QueuePanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~QueuePanel() override;

    QueueModel *model() const { return m_model; }
    // Queue ids of the selected rows, in row order (QueueModel::queueIds).
    QStringList selectedQueueIds() const;
    // Whether the facade offers bounce(ids) / remove(ids, withBounce).
    bool canBounce() const;
    bool canDeleteWithBounce() const;
    // The "Shape" tab (queue by domain x age, see queueshapeview.h).
    QueueShapeView *shapeView() const { return m_shapeView; }

public slots:
    void retrySelected();
    void holdSelected();
    void releaseSelected();
    // Both ask for confirmation first (modal QMessageBox); the delete dialog
    // has a "send a bounce" check box.
    void bounceSelected();
    void deleteSelected();
    // Opens the Shape tab (it refreshes when shown).
    void showShape();
    // Lists the messages of one shape cell: recipient (or sender) domain
    // filter, every state, then switches to the message list. The age range
    // is kept for the list once QueueFilter can carry it (see the report);
    // until then the list shows every age of that domain.
    void showShapeCell(const QString &domain, qint64 minAgeMs, qint64 maxAgeMs, bool senderDomain, bool other);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void buildUi();
    QPushButton *makeButton(const QString &objectName, const QString &text, int icon, const QString &tip);
    void applyFilter();
    void onQueueChanged();
    void rememberScroll();
    void restoreScroll();
    void updateCountLabel();
    void updateButtons();
    void scheduleDetail();
    void showDetail();
    void onActionFinished(const QString &action, bool ok, const QString &message);

    rd::engine::EngineFacade *m_facade;
    QueueModel *m_model;

    QComboBox *m_stateCombo = nullptr;
    QLineEdit *m_domainFilter = nullptr;
    QLineEdit *m_senderFilter = nullptr;
    QLineEdit *m_textFilter = nullptr;
    QLabel *m_countLabel = nullptr;
    QLabel *m_selectionLabel = nullptr;
    QLabel *m_actionLabel = nullptr;
    QPushButton *m_retryButton = nullptr;
    QPushButton *m_holdButton = nullptr;
    QPushButton *m_releaseButton = nullptr;
    QPushButton *m_bounceButton = nullptr;
    QPushButton *m_deleteButton = nullptr;
    QTableView *m_table = nullptr;
    QueueDetailPane *m_detail = nullptr;
    QTabWidget *m_tabs = nullptr;
    QueueShapeView *m_shapeView = nullptr;
    qint64 m_shapeAgeMinMs = 0;  // age range of the last shape cell chosen
    qint64 m_shapeAgeMaxMs = -1;

    QTimer m_filterTimer;
    QTimer m_detailTimer;
    bool m_stale = false;              // queueChanged arrived while hidden
    QPersistentModelIndex m_topAnchor; // first visible row, across a refresh
    bool m_atBottom = false;
};

} // namespace rd::ui

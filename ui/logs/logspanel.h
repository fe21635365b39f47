#pragma once
// The Logs panel: kind and text filters, the live log table (newest first)
// with a "Follow" switch, and a detail pane listing every field of the
// selected row.
// Thread: GUI thread. Reads go through LogModel's reader (no SQL here).

#include <QTimer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;
class QTextBrowser;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class LogModel;

class LogsPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int FilterDelayMs = 300;

    // facade: owned by the composition root, must outlive the panel. The panel
    // reads facade->dataDir()/log.db and tails it on logAppended().
    explicit LogsPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~LogsPanel() override;

    LogModel *model() const { return m_model; }

    // Follow: keep the newest row (the top one) visible as rows arrive.
    bool isFollowing() const;
    void setFollowing(bool follow);

private:
    void buildUi();
    void applyFilter();
    void updateCountLabel();
    void showDetail();
    void onRowsAboutToBePrepended();
    void onRowsPrepended(int count);

    LogModel *m_model;
    QComboBox *m_kindCombo = nullptr;
    QLineEdit *m_textFilter = nullptr;
    QCheckBox *m_follow = nullptr;
    QLabel *m_countLabel = nullptr;
    QTableView *m_table = nullptr;
    QTextBrowser *m_detail = nullptr;
    QTimer m_filterTimer;
    int m_anchorRow = -1; // top visible row before a prepend (when not following)
};

} // namespace rd::ui

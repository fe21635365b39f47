#pragma once
// The send side of the Connectors panel: the ordered send connectors
// (SendConnectorModel) with Add (presets) / Edit / Remove / Move up / Move
// down, the editor dialog, and "Test connection" with its read-only result.
// When the list is empty a hint says the legacy smart host setting is in
// effect. The test result pane appears below the table with the first test. Apply and Revert belong to the panel (shared with the listeners).
// Thread: GUI thread. Never blocks: dialogs are opened with open(), test
// results arrive with EngineFacade::connectorTested().

#include "config/configsnapshot.h"
#include "connectors/sendconnectordialog.h"
#include "connectors/sendconnectormodel.h"

#include <QGroupBox>
#include <QPointer>

class QLabel;
class QLineEdit;
class QMenu;
class QPlainTextEdit;
class QPushButton;
class QSplitter;
class QStackedWidget;
class QTableView;

namespace rd::delivery {
struct ProbeReport;
}
namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class SendConnectorsBox : public QGroupBox {
    Q_OBJECT
public:
    // facade: must outlive the box; used for testConnector() only.
    explicit SendConnectorsBox(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);

    SendConnectorModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    // The editor currently open (null if none).
    SendConnectorDialog *dialog() const { return m_dialog; }
    // True while a test runs (its result not yet back).
    bool isTesting() const { return !m_testing.isEmpty(); }

    // Takes the configuration in force: loads its connectors unless there are
    // unapplied edits, and the legacy smart host for the hint.
    void setConfig(const rd::config::ConfigSnapshot &config);
    // Whether the box may change the list (a configuration is loaded and no apply runs).
    void setEditable(bool editable);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

public slots:
    // Opens the editor on a new connector made from `preset` (added on OK).
    void addPreset(rd::ui::SendConnectorModel::Preset preset);
    // Same for a preset of connectorPresets() by id ("microsoft365", "ses", ...);
    // the dialog shows the preset's provider checklist. Unknown ids are ignored.
    void addPresetById(const QString &id);
    // Opens the editor on the selected connector (replaced on OK).
    void editSelected();
    void removeSelected();
    // Moves the selected connector one place up (-1) or down (+1).
    void moveSelected(int delta);
    // Tests the selected connector as edited. For an MX route the server to
    // test comes from the "server to test" field.
    void testSelected();

private:
    void buildUi();
    void fitColumns();
    void showResultPane();
    void updateState();
    int selectedRow() const;
    void openDialog(const rd::config::SendConnectorConfig &c, int row, const QString &note, int authMode = -1);
    void onConnectorTested(const QString &name, const rd::delivery::ProbeReport &report);
    QMenu *presetMenu(QWidget *owner);

    rd::engine::EngineFacade *m_facade;
    SendConnectorModel *m_model;
    QString m_smartHost; // delivery.smarthost in force (used when the list is empty)
    int m_mxPort = 25;   // delivery.mx_port: the port for an MX server typed without one
    bool m_editable = false;
    QString m_testing;   // name of the connector being tested; empty: none
    QPointer<SendConnectorDialog> m_dialog;

    QSplitter *m_splitter = nullptr;
    QStackedWidget *m_stack = nullptr;
    QTableView *m_table = nullptr;
    QLabel *m_hint = nullptr;
    QPushButton *m_hintAdd = nullptr;
    QPushButton *m_addButton = nullptr;
    QPushButton *m_editButton = nullptr;
    QPushButton *m_removeButton = nullptr;
    QPushButton *m_upButton = nullptr;
    QPushButton *m_downButton = nullptr;
    QLineEdit *m_mxHost = nullptr;
    QPushButton *m_testButton = nullptr;
    QPlainTextEdit *m_result = nullptr;
};

} // namespace rd::ui

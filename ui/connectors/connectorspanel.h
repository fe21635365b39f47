#pragma once
// The Connectors panel. "Receive connectors": the listeners as an editable,
// transactional table (ListenerModel) with presets. "Send connectors": the
// ordered outbound routes (SendConnectorsBox) with an editor and "Test
// connection". Apply and Revert are shared: Apply sends the last loaded
// configuration with the edited listeners and send connectors through the
// facade and shows the engine's answer; Revert restores both.
// Thread: GUI thread. Never blocks: the configuration arrives with
// configLoaded(), the result of Apply with configApplied().

#include "config/configsnapshot.h"
#include "connectors/listenermodel.h"
#include "connectors/sendconnectormodel.h"

#include <QPointer>
#include <QStringList>
#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;

namespace rd::engine {
class EngineFacade;
struct CertificateList;
} // namespace rd::engine

namespace rd::ui {

class ListenerGroupsDialog;
class SendConnectorsBox;

class ConnectorsPanel : public QWidget {
    Q_OBJECT
public:
    // facade: owned by the composition root, must outlive the panel. The panel
    // asks it for the configuration and the certificate list at once and
    // reloads whenever configLoaded() arrives (unless it has unapplied edits).
    explicit ConnectorsPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~ConnectorsPanel() override;

    ListenerModel *model() const { return m_model; }
    SendConnectorModel *sendModel() const;
    SendConnectorsBox *sendBox() const { return m_send; }
    // True once a configuration was loaded (setConfig()); until then nothing can be edited.
    bool hasConfig() const { return m_hasConfig; }
    // The configuration Apply would send: the last loaded one with the edited
    // listeners and send connectors.
    rd::config::ConfigSnapshot pendingConfig() const;
    // Whether Apply is possible now (loaded, no invalid cell or connector, not
    // waiting for an answer, and something to apply).
    bool canApply() const;

public slots:
    // Loads a configuration (connected to EngineFacade::configLoaded). With
    // unapplied edits, they are kept and only the relay lists are taken over.
    void setConfig(const rd::config::ConfigSnapshot &config);
    // Appends a listener made from a preset and starts editing its name.
    void addPreset(rd::ui::ListenerModel::Preset preset);
    // Opens the relay groups editor (ListenerGroupsDialog, window-modal) for a
    // row; OK stores the groups in the model like any other edit. Double-click
    // or F2 on the "Directory relay groups" cell does the same.
    void editRelayGroups(int row);
    // Removes the selected rows.
    void removeSelected();
    // Sends pendingConfig() to the engine; no-op unless canApply().
    void apply();
    // Restores the loaded listeners and send connectors.
    void revert();

private:
    void buildUi();
    void updateState();
    void setStatus(const QString &text, const QString &color);
    void onConfigApplied(bool ok, const QStringList &errors);
    void onCertificatesListed(const rd::engine::CertificateList &list);
    QString defaultCertificate() const;

    rd::engine::EngineFacade *m_facade;
    ListenerModel *m_model;
    rd::config::ConfigSnapshot m_config; // the last configuration loaded
    bool m_hasConfig = false;
    bool m_applying = false;
    bool m_lastApplyFailed = false;
    QString m_resultText;  // the last apply result, shown while nothing is invalid
    QString m_resultColor;

    QTableView *m_table = nullptr;
    QPushButton *m_addButton = nullptr;
    QPushButton *m_removeButton = nullptr;
    QPushButton *m_applyButton = nullptr;
    QPushButton *m_revertButton = nullptr;
    QLabel *m_status = nullptr;
    SendConnectorsBox *m_send = nullptr;
    QPointer<ListenerGroupsDialog> m_groupsDialog;
};

} // namespace rd::ui

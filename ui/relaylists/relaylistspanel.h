#pragma once
// The Relay IP lists panel: per listener, the Allowed and Denied address
// lists (CidrListModel each, chosen with the listener combo), and the accepted
// domains shared by every listener. Every row is validated as it is typed;
// Apply is possible only when every row of every list is valid, and sends the
// last loaded configuration with the edited lists through the facade.
// Edits to several listeners are kept side by side and applied together.
// Thread: GUI thread. Never blocks: the configuration arrives with
// configLoaded(), the result of Apply with configApplied().

#include "config/configsnapshot.h"

#include <QStringList>
#include <QVector>
#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QTableView;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class CidrListModel;

class RelayListsPanel : public QWidget {
    Q_OBJECT
public:
    // facade: owned by the composition root, must outlive the panel. The panel
    // asks it for the configuration at once and reloads whenever
    // configLoaded() arrives (lists with unapplied edits are kept).
    explicit RelayListsPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~RelayListsPanel() override;

    bool hasConfig() const { return m_hasConfig; }
    int listenerCount() const { return int(m_lists.size()); }
    // The listener shown (index into the loaded configuration's listeners), -1 if none.
    int currentListener() const;
    // The lists of a listener (default: the one shown); null if there is no such listener.
    CidrListModel *allowModel(int listener = -1) const;
    CidrListModel *denyModel(int listener = -1) const;
    CidrListModel *domainModel() const { return m_domains; }

    bool isDirty() const;
    bool hasErrors() const;
    // Every invalid row of every list, naming the list and listener.
    QStringList errors() const;
    // The configuration Apply would send: the last loaded one with the edited lists.
    rd::config::ConfigSnapshot pendingConfig() const;
    // Loaded, every row valid, not waiting for an answer, and something to apply.
    bool canApply() const;

public slots:
    // Loads a configuration (connected to EngineFacade::configLoaded).
    void setConfig(const rd::config::ConfigSnapshot &config);
    // Shows the lists of listener `index` (the listener combo does the same).
    void setCurrentListener(int index);
    // Sends pendingConfig() to the engine; no-op unless canApply().
    void apply();
    // Restores every list as loaded.
    void revert();

private:
    struct ListenerLists {
        QString key; // name|address|port as loaded
        CidrListModel *allow = nullptr;
        CidrListModel *deny = nullptr;
    };

    void buildUi();
    QWidget *buildList(const QString &title, const QString &hint, QTableView **view, QPushButton **add,
                       QPushButton **remove, const QString &name);
    CidrListModel *newModel(bool domains);
    void showModel(QTableView *view, CidrListModel *model);
    void addEntry(QTableView *view);
    void removeSelected(QTableView *view);
    void refreshCombo();
    void updateState();
    void setStatus(const QString &text, const QString &color);
    void onConfigApplied(bool ok, const QStringList &errors);

    rd::engine::EngineFacade *m_facade;
    rd::config::ConfigSnapshot m_config; // the last configuration loaded
    bool m_hasConfig = false;
    bool m_applying = false;
    bool m_lastApplyFailed = false;
    QString m_resultText;
    QString m_resultColor;
    QString m_note; // edits dropped on reload

    QVector<ListenerLists> m_lists; // parallel to m_config.listeners
    CidrListModel *m_domains;

    QComboBox *m_listenerCombo = nullptr;
    QLabel *m_listenerInfo = nullptr;
    QTableView *m_allowView = nullptr;
    QTableView *m_denyView = nullptr;
    QTableView *m_domainView = nullptr;
    QPushButton *m_addAllow = nullptr;
    QPushButton *m_removeAllow = nullptr;
    QPushButton *m_addDeny = nullptr;
    QPushButton *m_removeDeny = nullptr;
    QPushButton *m_addDomain = nullptr;
    QPushButton *m_removeDomain = nullptr;
    QPushButton *m_applyButton = nullptr;
    QPushButton *m_revertButton = nullptr;
    QLabel *m_status = nullptr;
};

} // namespace rd::ui

#pragma once
// The Connection control tab of the Filtering panel (IIS "Connection
// control", hMailServer's IP ranges and auto-ban):
//  - the connection rules (ConnectionRuleModel, edited in place; Add, Edit,
//    Remove), applied with the panel's Apply;
//  - the automatic ban settings (bans.*), applied with the panel's Apply;
//  - "Banned now": the bans the engine reported last (setBans()), with Unban
//    (emits unbanRequested(ip); the engine answers with a new list) and
//    Refresh (emits bansRequested()).
// A thin page: load() / writeTo() / revert(), changed() after every edit.
// Thread: GUI thread. No I/O: the bans come and go through signals and slots.

#include "config/configsnapshot.h"
#include "policy/banlist.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableView;

namespace rd::ui {

class BanModel;
class ConnectionRuleModel;

class ConnectionControlPage : public QWidget {
    Q_OBJECT
public:
    explicit ConnectionControlPage(QWidget *parent = nullptr);

    ConnectionRuleModel *model() const { return m_model; }
    BanModel *banModel() const { return m_bans; }
    QTableView *view() const { return m_view; }
    QTableView *banView() const { return m_banView; }
    QCheckBox *bansEnabledBox() const { return m_enabled; }
    QSpinBox *authFailuresBox() const { return m_auth; }
    QSpinBox *durationBox() const { return m_duration; }
    QPushButton *unbanButton() const { return m_unban; }

    // Takes config.connectionRules and the bans.* settings unless edited (or `force`).
    void load(const rd::config::ConfigSnapshot &config, bool force = false);
    void writeTo(rd::config::ConfigSnapshot *config) const;
    void revert();
    bool isDirty() const;
    QStringList errors() const;
    // Expired rules (allowed, but worth a look), one sentence each.
    QString note() const;

    // Appends a new rule (deny, priority 100) and starts editing its address; returns its row.
    int addRule();
    // Starts editing the selected rule's address.
    void editSelected();
    void removeSelected();
    int currentRow() const;
    // Selects the ban of `ip` (Ban::ip); false if it is not listed.
    bool selectBan(const QString &ip);
    // Emits unbanRequested() for the selected ban; no-op without a selection.
    void unbanSelected();

public slots:
    // The bans in force (connected to the engine's answer to bansRequested()).
    void setBans(const QList<rd::policy::Ban> &bans);

signals:
    void changed();
    // Lift the ban of `ip` (Ban::ip) now.
    void unbanRequested(const QString &ip);
    // Send the bans in force (answered with setBans()).
    void bansRequested();

private:
    struct BanSettings {
        bool enabled = true;
        int auth = 10, rcpt = 50, proto = 30, window = 600, duration = 3600;
        bool operator==(const BanSettings &) const = default;
    };
    BanSettings currentSettings() const;
    void showSettings(const BanSettings &s);
    void updateState();

    ConnectionRuleModel *m_model;
    BanModel *m_bans;
    BanSettings m_loadedSettings;
    QTableView *m_view = nullptr;
    QTableView *m_banView = nullptr;
    QPushButton *m_add = nullptr;
    QPushButton *m_edit = nullptr;
    QPushButton *m_remove = nullptr;
    QCheckBox *m_enabled = nullptr;
    QSpinBox *m_auth = nullptr;
    QSpinBox *m_rcpt = nullptr;
    QSpinBox *m_proto = nullptr;
    QSpinBox *m_window = nullptr;
    QSpinBox *m_duration = nullptr;
    QLabel *m_banCount = nullptr;
    QPushButton *m_unban = nullptr;
    QPushButton *m_refresh = nullptr;
};

} // namespace rd::ui

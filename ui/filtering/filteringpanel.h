#pragma once
// The Filtering panel: content rules, DNS block lists, greylisting and
// connection control (rules and automatic bans), one tab each
// (ContentRulesPage, DnsblPage, GreylistPage, ConnectionControlPage), applied
// together. Every
// rule and zone is checked with the core validators as it is edited; Apply is
// possible only when everything is valid and sends the last loaded
// configuration with the edits through the facade. A tab title carries "*"
// for unapplied changes and a warning sign for errors.
// Thread: GUI thread; never blocks: the configuration arrives with
// configLoaded(), the Apply result with configApplied(); the greylist counts
// come with any policyStatusReady() (asked once when the panel is shown).
// The bans in force are asked with bansRequested() when the panel is shown
// and received with setBans(); Unban emits unbanRequested(ip). The
// composition root connects these to the engine facade.

#include "config/configsnapshot.h"
#include "policy/banlist.h"
#include "policy/policystatus.h"

#include <QStringList>
#include <QWidget>

class QLabel;
class QPushButton;
class QTabWidget;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class ConnectionControlPage;
class ContentRulesPage;
class DnsblPage;
class GreylistPage;

class FilteringPanel : public QWidget {
    Q_OBJECT
public:
    enum Tab { ContentRulesTab, DnsblTab, GreylistTab, ConnectionControlTab };

    // facade: owned by the composition root, must outlive the panel. The panel
    // asks it for the configuration at once and reloads on configLoaded()
    // (unapplied edits are kept).
    explicit FilteringPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~FilteringPanel() override;

    bool hasConfig() const { return m_hasConfig; }
    ContentRulesPage *contentRulesPage() const { return m_rules; }
    DnsblPage *dnsblPage() const { return m_dnsbl; }
    GreylistPage *greylistPage() const { return m_greylist; }
    ConnectionControlPage *connectionControlPage() const { return m_connections; }
    QTabWidget *tabs() const { return m_tabs; }

    bool isDirty() const;
    bool hasErrors() const;
    // Every problem of every tab, one sentence each.
    QStringList errors() const;
    // The configuration Apply would send: the last loaded one with the edits.
    rd::config::ConfigSnapshot pendingConfig() const;
    // Loaded, valid, not waiting for an answer, and something to apply.
    bool canApply() const;
    QString statusText() const;

public slots:
    // Loads a configuration (connected to EngineFacade::configLoaded).
    void setConfig(const rd::config::ConfigSnapshot &config);
    // Shows tab `tab` (e.g. from the DNS checks panel's link to the block lists).
    void showTab(int tab);
    // Sends pendingConfig() to the engine; no-op unless canApply().
    void apply();
    // Restores every tab as loaded.
    void revert();
    // The bans in force (connect to the facade's bansReady()).
    void setBans(const QList<rd::policy::Ban> &bans);

signals:
    // Asks for the bans in force (connect to the facade's requestBans()).
    void bansRequested();
    // Lift the ban of `ip` (connect to the facade's unban()).
    void unbanRequested(const QString &ip);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void updateState();
    void setStatus(const QString &text, const QString &color);
    void onConfigApplied(bool ok, const QStringList &errors);

    rd::engine::EngineFacade *m_facade;
    rd::config::ConfigSnapshot m_config;
    bool m_hasConfig = false;
    bool m_applying = false;
    bool m_lastApplyFailed = false;
    QString m_resultText;
    QString m_resultColor;

    QTabWidget *m_tabs = nullptr;
    ContentRulesPage *m_rules = nullptr;
    DnsblPage *m_dnsbl = nullptr;
    GreylistPage *m_greylist = nullptr;
    ConnectionControlPage *m_connections = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_apply = nullptr;
    QPushButton *m_revert = nullptr;
};

} // namespace rd::ui

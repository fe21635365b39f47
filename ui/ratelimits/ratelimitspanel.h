#pragma once
// The Rate limits panel. Top: the ordered, editable table of rate limits and
// outbound throttles (ConfigSnapshot::rateLimits, RateLimitModel) with presets,
// and the per-client-IP session limit (setting smtp.max_sessions_per_ip); every
// row is checked with config::validateRateLimits() as it is edited and Apply is
// possible only when all are valid. Bottom: "Now", who is counted right now
// (EngineFacade::requestPolicyStatus -> policyStatusReady), refreshed every
// 2 s while the panel is visible; rows near (>= 80 %) or over a limit marked.
// Thread: GUI thread; never blocks: the configuration arrives with
// configLoaded(), the Apply result with configApplied(), the counters with
// policyStatusReady().

#include "config/configsnapshot.h"
#include "policy/policystatus.h"

#include <QStringList>
#include <QWidget>

class QLabel;
class QMenu;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QTableView;
class QTimer;
class QToolButton;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class LimitUsageModel;
class RateLimitModel;

class RateLimitsPanel : public QWidget {
    Q_OBJECT
public:
    // Milliseconds between two "Now" refreshes while visible.
    static constexpr int RefreshIntervalMs = 2000;

    // facade: owned by the composition root, must outlive the panel. The panel
    // asks it for the configuration at once and reloads on configLoaded()
    // (unapplied edits are kept).
    explicit RateLimitsPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~RateLimitsPanel() override;

    bool hasConfig() const { return m_hasConfig; }
    RateLimitModel *model() const { return m_model; }
    LimitUsageModel *usageModel() const { return m_usage; }
    QTableView *limitsView() const { return m_view; }
    // The Now table (sorted view of usageModel(), fullest first).
    QTableView *nowView() const { return m_nowView; }

    bool isDirty() const;
    bool hasErrors() const;
    // Every problem, one sentence each ("Rate limit 2: subject ...").
    QStringList errors() const;
    // The configuration Apply would send: the last loaded one with the edits.
    rd::config::ConfigSnapshot pendingConfig() const;
    // Loaded, valid, not waiting for an answer, and something to apply.
    bool canApply() const;
    // The text under the tables (errors, apply result, hints).
    QString statusText() const;
    // The "Now" summary line ("3 counters; 1 near its limit; 1 at its limit").
    QString nowSummary() const;
    // True while the panel refreshes the Now table (it is visible).
    bool isPolling() const;
    // Labels of the presets, in the order addPreset() takes.
    QStringList presetLabels() const;

public slots:
    // Loads a configuration (connected to EngineFacade::configLoaded).
    void setConfig(const rd::config::ConfigSnapshot &config);
    // Shows a status (connected to EngineFacade::policyStatusReady).
    void setPolicyStatus(const rd::policy::PolicyStatus &status);
    // Asks the engine for the counters now.
    void refreshNow();
    // Appends a blank rule (each client IP, 100 messages per minute); returns its row.
    int addRule();
    // Appends the rules of preset `index` that are not in the table yet;
    // returns the first row added, -1 if none.
    int addPreset(int index);
    void removeSelected();
    // Moves the selected rule one place up (-1) or down (+1).
    void moveSelected(int delta);
    void setMaxSessionsPerIp(int sessions);
    // Sends pendingConfig() to the engine; no-op unless canApply().
    void apply();
    // Restores everything as loaded.
    void revert();

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void buildUi();
    QWidget *buildLimits();
    QWidget *buildNow();
    void updateState();
    void setStatus(const QString &text, const QString &color);
    void onConfigApplied(bool ok, const QStringList &errors);
    int loadedMaxSessionsPerIp() const;

    rd::engine::EngineFacade *m_facade;
    rd::config::ConfigSnapshot m_config;
    bool m_hasConfig = false;
    bool m_applying = false;
    bool m_lastApplyFailed = false;
    QString m_resultText;
    QString m_resultColor;

    RateLimitModel *m_model;
    LimitUsageModel *m_usage;
    QSortFilterProxyModel *m_nowProxy = nullptr;
    QTimer *m_timer = nullptr;

    QTableView *m_view = nullptr;
    QToolButton *m_presetButton = nullptr;
    QMenu *m_presetMenu = nullptr;
    QPushButton *m_add = nullptr;
    QPushButton *m_remove = nullptr;
    QPushButton *m_up = nullptr;
    QPushButton *m_down = nullptr;
    QSpinBox *m_perIp = nullptr;
    QLabel *m_perIpNote = nullptr;
    QTableView *m_nowView = nullptr;
    QLabel *m_nowSummary = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_apply = nullptr;
    QPushButton *m_revert = nullptr;
};

} // namespace rd::ui

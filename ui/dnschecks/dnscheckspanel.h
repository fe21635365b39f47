#pragma once
// The DNS checks panel. Left: the sending domains (setting
// dnschecks.domains; add and remove apply at once), each with its last
// result (worst status icon and time), and the stored runs of the selected
// domain. Top: the relay's public IP addresses (dnschecks.public_addresses)
// and the DNS block lists to look them up in (dnsbl.zones), checked as they
// are typed, saved with Apply. Right: Run checks / Run all (asynchronous:
// EngineFacade::runDnsCheck, progress from dnsCheckProgress), the selected
// run's findings (DnsReportView) with the changes since the run before it,
// and Export report.
//
// Thread: GUI thread; never blocks. Configuration comes with configLoaded()
// and is saved with applyConfig() (answered by configApplied()); the history
// is read through rd::dnscheck::DnsCheckHistory (small reads of log.db, WAL).

#include "config/configsnapshot.h"
#include "dnscheck/dnscheckreport.h"

#include <QList>
#include <QStringList>
#include <QWidget>

#include <memory>

class QFileDialog;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;

namespace rd::dnscheck {
class DnsCheckHistory;
}
namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class DnsRelaySettings;
class DnsReportView;

class DnsChecksPanel : public QWidget {
    Q_OBJECT
public:
    // Runs kept in the history list of a domain.
    static constexpr int HistoryLimit = 50;

    // facade: owned by the composition root, must outlive the panel. The panel
    // asks for the configuration at once and reloads on configLoaded().
    explicit DnsChecksPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~DnsChecksPanel() override;

    bool hasConfig() const { return m_hasConfig; }
    // The sending domains listed (as stored: lower case), in list order.
    QStringList domains() const { return m_domains; }
    QString currentDomain() const;
    // The runs listed for the current domain, newest first.
    QList<rd::dnscheck::Report> runs() const { return m_runs; }
    // Index into runs() of the run shown, -1 if none.
    int currentRun() const;
    DnsReportView *reportView() const { return m_view; }
    // True from a run request until its report arrives (and for Run all, the last).
    bool isRunning() const { return !m_current.isEmpty(); }
    // The status line and the problem under the address fields ("" when none).
    QString statusText() const;
    QString settingsProblem() const;
    // Apply of the address fields is possible (loaded, not saving, dirty, valid).
    bool canApplySettings() const;
    DnsRelaySettings *relaySettings() const { return m_settings; }

public slots:
    // Loads a configuration (connected to EngineFacade::configLoaded).
    void setConfig(const rd::config::ConfigSnapshot &config);
    // Adds / removes a sending domain and saves the list at once. Adding
    // checks the name first (a bad or duplicate name: the error in the
    // status line, nothing saved); false if nothing was requested.
    bool addDomain(const QString &domain);
    bool removeDomain(const QString &domain);
    void setCurrentDomain(const QString &domain);
    // Sets the fields as if typed (tests); applySettings() saves them when valid.
    void setPublicAddressesText(const QString &text);
    void setDnsblZonesText(const QString &text);
    bool applySettings();
    // Runs the checks of the current domain / of every listed domain, one
    // after the other. No-op while a run is going on.
    void runChecks();
    void runAll();
    // Shows run `index` of runs() (the history list does the same).
    void showRun(int index);
    // Re-reads the history of every listed domain.
    void reloadHistory();
    // Writes the shown report (Report::toText()) to `path`; false (and the
    // reason in the status line) on failure or when no report is shown.
    bool exportReport(const QString &path);
    // A non-modal "Save as" dialog (open()); on accept it calls exportReport().
    QFileDialog *openExportDialog();

private:
    void buildUi();
    QWidget *buildSettings();
    QWidget *buildLeft();
    QWidget *buildRight();
    void applyDomains(const QStringList &domains, const QString &what);
    void refreshDomainList();
    void loadRuns();
    void updateState();
    void startNext();
    void setStatus(const QString &text, const QString &colour = {});
    void onConfigApplied(bool ok, const QStringList &errors);
    void onProgress(const QString &domain, const QString &step, int done, int total);
    void onFinished(const rd::dnscheck::Report &report);
    rd::dnscheck::DnsCheckHistory *history();

    rd::engine::EngineFacade *m_facade;
    std::unique_ptr<rd::dnscheck::DnsCheckHistory> m_historyDb;
    rd::config::ConfigSnapshot m_config;
    bool m_hasConfig = false;
    enum class Applying { None, Domains, Settings } m_applying = Applying::None;
    QString m_applyWhat;         // what the status line reports when the apply succeeds

    QStringList m_domains;       // as shown (may hold an unsaved edit while applying)
    QString m_currentDomain;
    QList<rd::dnscheck::Report> m_runs;
    rd::dnscheck::Report m_unstored; // a report that arrived without being stored (no engine)
    QStringList m_queue;         // domains still to run (Run all)
    QString m_current;           // domain being checked
    int m_runTotal = 0;          // domains in this Run / Run all
    bool m_selectNewest = false; // the next loadRuns() selects the newest run

    DnsRelaySettings *m_settings = nullptr;
    QListWidget *m_domainList = nullptr;
    QLineEdit *m_newDomain = nullptr;
    QPushButton *m_addDomain = nullptr;
    QPushButton *m_removeDomain = nullptr;
    QListWidget *m_runList = nullptr;
    QLabel *m_domainTitle = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_runAll = nullptr;
    QPushButton *m_export = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_step = nullptr;
    QLabel *m_status = nullptr;
    DnsReportView *m_view = nullptr;
};

} // namespace rd::ui

#pragma once
// The Delivery panel: the IIS SMTP delivery settings an admin looks for, all
// from the settings registry: the FQDN (server.hostname), masquerade domain,
// maximum hop count, IIS's four retry intervals (mapped onto
// delivery.retry_schedule), expiration timeout (delivery.max_age_s), delay
// notification (delivery.delay_warning_s), NDR copies (delivery.ndr_copy_to),
// the Pickup folder and the Badmail folder with its retention, and the
// Badmail list (file, date, reason).
//
// Load / edit / Apply like the other panels: the configuration arrives with
// configLoaded(); Apply sends the last loaded configuration with the edits
// through the facade. Fields are checked as they are edited; folders are
// checked (exists, is a folder, writable) on a worker thread.
// The badmail list comes from outside: the panel emits
// badmailListRequested(folder) and shows what setBadmailList() gets.
// Thread: GUI thread; never blocks, no file I/O on the GUI thread.

#include "config/configsnapshot.h"
#include "delivery/deliveryfields.h"
#include "pickup/badmail.h"

#include <QHash>
#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;
class QTimer;

namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class BadmailModel;

class DeliveryPanel : public QWidget {
    Q_OBJECT
public:
    // facade: owned by the composition root, must outlive the panel. The panel
    // asks it for the configuration at once.
    explicit DeliveryPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~DeliveryPanel() override;

    bool hasConfig() const { return m_hasConfig; }
    bool isDirty() const;
    // Every problem, one sentence each (fields and folders).
    QStringList errors() const;
    // A folder check still running.
    bool isChecking() const { return m_checksRunning > 0; }
    // The configuration Apply would send: the last loaded one with the edits.
    rd::config::ConfigSnapshot pendingConfig() const;
    bool canApply() const;
    QString statusText() const;
    // The badmail folder in effect for the fields as edited.
    QString badmailDirectory() const;

    // Widgets, for tests.
    QLineEdit *hostnameEdit() const { return m_hostname; }
    QLineEdit *masqueradeEdit() const { return m_masquerade; }
    QSpinBox *maxHopsBox() const { return m_maxHops; }
    QSpinBox *firstRetryBox() const { return m_retry[0]; }      // minutes
    QSpinBox *secondRetryBox() const { return m_retry[1]; }
    QSpinBox *thirdRetryBox() const { return m_retry[2]; }
    QSpinBox *subsequentRetryBox() const { return m_retry[3]; }
    QSpinBox *expirationBox() const { return m_expiration; }    // minutes
    QSpinBox *delayNotifyBox() const { return m_delayNotify; }  // minutes, 0: never
    QLineEdit *ndrCopyEdit() const { return m_ndrCopy; }
    QLineEdit *pickupEdit() const { return m_pickup; }
    QLineEdit *badmailEdit() const { return m_badmail; }
    QSpinBox *retentionBox() const { return m_retention; }
    QCheckBox *mtaStsBox() const { return m_mtaSts; }
    QCheckBox *daneBox() const { return m_dane; }
    QCheckBox *tlsRptBox() const { return m_tlsRpt; }
    QLineEdit *dnsServersEdit() const { return m_dnsServers; }
    BadmailModel *badmailModel() const { return m_badmailModel; }

public slots:
    void setConfig(const rd::config::ConfigSnapshot &config);
    void apply();
    void revert();
    // Shows a badmail listing (made off the GUI thread).
    void setBadmailList(const QList<rd::pickup::BadmailItem> &items);
    // Emits badmailListRequested() for the folder in effect.
    void refreshBadmail();

signals:
    // Asks for the listing of `directory` (Badmail::list() on a worker);
    // answered with setBadmailList().
    void badmailListRequested(const QString &directory);

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct Values {
        QString hostname;
        QString masquerade;
        int maxHops = 0;
        IisRetryFields retry;
        int expirationMinutes = 0;
        int delayNotifyMinutes = 0;
        QString ndrCopy;
        QString pickup;
        QString badmail;
        int retentionDays = 0;
        bool mtaSts = true;
        bool dane = false;
        bool tlsRpt = false;
        QString dnsServers;
        bool operator==(const Values &) const = default;
    };
    Values current() const;
    void showValues(const Values &v);
    void onEdited();
    void checkFolders();
    void onFolderChecked(const QString &key, const QString &path, const QString &error);
    void onConfigApplied(bool ok, const QStringList &errors);
    void updateState();
    void setStatus(const QString &text, const QString &color);
    QWidget *folderRow(QLineEdit *edit, const QString &title);

    rd::engine::EngineFacade *m_facade;
    rd::config::ConfigSnapshot m_config;
    Values m_loaded;
    qint64 m_loadedMaxAge = 0;      // exact seconds, kept when the minutes field is not edited
    qint64 m_loadedDelayWarning = 0;
    QString m_loadedSchedule;       // kept when the four fields are not edited
    bool m_hasConfig = false;
    bool m_applying = false;
    bool m_lastApplyFailed = false;
    QString m_resultText;
    QString m_resultColor;
    QHash<QString, QString> m_folderErrors; // "pickup"/"badmail" -> sentence
    QHash<QString, QString> m_checkedPath;  // the path each error belongs to
    int m_checksRunning = 0;

    QLineEdit *m_hostname = nullptr;
    QLineEdit *m_masquerade = nullptr;
    QSpinBox *m_maxHops = nullptr;
    QSpinBox *m_retry[4] = {};
    QLabel *m_scheduleNote = nullptr;
    QSpinBox *m_expiration = nullptr;
    QSpinBox *m_delayNotify = nullptr;
    QLineEdit *m_ndrCopy = nullptr;
    QLineEdit *m_pickup = nullptr;
    QLineEdit *m_badmail = nullptr;
    QSpinBox *m_retention = nullptr;
    QCheckBox *m_mtaSts = nullptr;
    QCheckBox *m_dane = nullptr;
    QCheckBox *m_tlsRpt = nullptr;
    QLineEdit *m_dnsServers = nullptr;
    QTableView *m_badmailView = nullptr;
    BadmailModel *m_badmailModel = nullptr;
    QLabel *m_badmailInfo = nullptr;
    QTimer *m_folderTimer = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_apply = nullptr;
    QPushButton *m_revert = nullptr;
};

} // namespace rd::ui

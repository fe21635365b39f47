#pragma once
// The "DKIM keys" page of the Certificates panel: the signing keys per sender
// domain and selector (DkimKeyModel), the TXT record to publish for the
// selected key (name and value, and the value split into quoted strings of
// at most 255 characters for a zone file) with Copy buttons, and the actions
// Generate key, Import key, Enable/Disable and Remove.
//
// Every action is a request to the facade's AdminService (key generation and
// storage run on its worker thread), answered by dkimActionFinished and a
// fresh dkimKeysListed. Dialogs are opened with open(), never exec(); the
// slots that do the work take plain values so tests can drive either.
// Private keys never pass through here: an imported PEM file is read and
// handed on once (and wiped here afterwards); nothing shows a private key.
// Thread: GUI thread.

#include <QList>
#include <QWidget>

class QGroupBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableView;

namespace rd::config {
struct DkimKeyInfo;
}
namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class DkimKeyDialog;
class DkimKeyModel;

class DkimKeysPage : public QWidget {
    Q_OBJECT
public:
    // Key files bigger than this are refused unread.
    static constexpr qint64 MaxFileBytes = 64 * 1024;

    // facade: owned by the composition root, must outlive the page. The page
    // asks for the key list at once.
    explicit DkimKeysPage(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~DkimKeysPage() override;

    DkimKeyModel *model() const { return m_model; }
    // "<selector>._domainkey.<domain>" of the selected key ("" if none).
    QString selectedName() const;
    // Selects the key published at `dnsName`; false if it is not listed.
    bool selectKey(const QString &dnsName);
    // True while a request of this page is running.
    bool isBusy() const { return !m_pending.isEmpty(); }
    // The status line ("" when hidden) and the record shown for the selected key.
    QString statusText() const;
    QString recordName() const;  // "" when no key is selected
    QString recordValue() const; // the TXT value, one string
    QString zoneFileText() const; // the zone-file lines with the value split

public slots:
    // Re-reads the keys.
    void refresh();
    // Requests (non-blocking); each ends with a line in the status label.
    // Invalid domain or selector: the error at once, nothing requested.
    // algorithm: "rsa-sha256" (bits 2048..4096) or "ed25519-sha256".
    void generateKey(const QString &domain, const QString &selector, const QString &algorithm, int bits);
    // Reads the PEM file (a read error is reported at once) and imports it.
    void importKeyFile(const QString &domain, const QString &selector, const QString &path);
    void setKeyEnabled(const QString &domain, const QString &selector, bool enabled);
    // No confirmation (removeSelected() asks first).
    void removeKey(const QString &domain, const QString &selector);

    // Open a dialog (window-modal, open()) and return it; on OK it calls the
    // matching slot above.
    DkimKeyDialog *openGenerateDialog();
    DkimKeyDialog *openImportDialog();
    // Enables a disabled selected key, disables an enabled one.
    void toggleSelectedEnabled();
    // Confirmation box (window-modal, returned so tests can answer it), then
    // removeKey(). Null if nothing is selected.
    QWidget *removeSelected();
    // Put the record value / the zone-file text on the clipboard.
    void copyRecordValue();
    void copyZoneFileText();

private:
    struct Pending {
        QString action; // as AdminService names it
        QString name;   // "<selector>._domainkey.<domain>"
        QString done;   // the status line on success
    };

    void buildUi();
    bool validate(const QString &domain, const QString &selector);
    void request(const QString &action, const QString &domain, const QString &selector, const QString &working,
                 const QString &done);
    void updateButtons();
    void showRecord();
    void setStatus(const QString &text, int level); // 0 normal, 1 warning, 2 error
    void onListed(const QList<rd::config::DkimKeyInfo> &keys, const QString &error);
    void onActionFinished(const QString &action, const QString &name, bool ok, const QString &message);
    rd::config::DkimKeyInfo selectedKey() const;

    rd::engine::EngineFacade *m_facade;
    DkimKeyModel *m_model;
    QList<Pending> m_pending;
    QString m_selectAfterList;

    QLabel *m_status = nullptr;
    QPushButton *m_generateButton = nullptr;
    QPushButton *m_importButton = nullptr;
    QPushButton *m_enableButton = nullptr;
    QPushButton *m_removeButton = nullptr;
    QTableView *m_table = nullptr;
    QGroupBox *m_recordBox = nullptr;
    QLabel *m_keyNote = nullptr;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_type = nullptr;
    QPlainTextEdit *m_value = nullptr;
    QPlainTextEdit *m_zone = nullptr;
    QPushButton *m_copyValue = nullptr;
    QPushButton *m_copyZone = nullptr;
};

} // namespace rd::ui

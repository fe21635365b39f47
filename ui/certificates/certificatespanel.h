#pragma once
// The Certificates panel, two sections as tabs. "TLS certificates": the
// stored certificates (CertificateModel) with which listeners use each, an
// expiry banner, a detail pane with every field, the pending signing
// requests, and the actions Import PFX, Import PEM, Generate self-signed,
// Create CSR, Import signed certificate and Remove. "DKIM keys": the mail
// signing keys and the DNS records to publish (DkimKeysPage).
//
// The panel reads the small files the user picks (QFile::readAll); every
// crypto step (parsing, key generation, storing keys) is a request to the
// facade's AdminService, which answers with certificateActionFinished and a
// fresh listing. Dialogs are opened with open(), never exec(); the slots that
// do the work take plain values so tests can drive either. Key material never
// passes through here, and passwords only on their way to AdminService.
// Thread: GUI thread.

#include <QList>
#include "config/configsnapshot.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QTabWidget;
class QTableView;
class QTextBrowser;
class QTreeWidget;

namespace rd::config {
class ConfigSnapshot;
}
namespace rd::engine {
class EngineFacade;
struct CertificateList;
}

namespace rd::ui {

class CertificateModel;
class CertificateRequestDialog;
class CsrViewDialog;
class DkimKeysPage;
class AcmeDialog;
class PemImportDialog;
class Pkcs12ImportDialog;

class CertificatesPanel : public QWidget {
    Q_OBJECT
public:
    // Certificate and key files bigger than this are refused unread.
    static constexpr qint64 MaxFileBytes = 1024 * 1024;

    // facade: owned by the composition root, must outlive the panel. The
    // panel lists the certificates and asks for the configuration at once
    // (to show which listeners use each certificate).
    explicit CertificatesPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~CertificatesPanel() override;

    CertificateModel *model() const { return m_model; }
    // Id of the selected certificate / pending request ("" if none).
    QString selectedCertificateId() const;
    QString selectedPendingId() const;
    // Ids of the pending requests, in list order.
    QStringList pendingIds() const;
    // True while a request of this panel is running.
    bool isBusy() const { return !m_pending.isEmpty(); }
    // The banner's text ("" when hidden).
    QString bannerText() const;
    // The DKIM keys section (never null).
    DkimKeysPage *dkimKeys() const { return m_dkimKeys; }
    // Which section is shown.
    enum Section { TlsSection, DkimSection };
    Section currentSection() const;

public slots:
    void showSection(rd::ui::CertificatesPanel::Section section);
    // Re-reads the certificates (and the configuration).
    void refresh();
    // Listener names per certificate come from here (connected to configLoaded).
    void setConfig(const rd::config::ConfigSnapshot &config);

    // Requests (non-blocking); each ends with a line in the status label. A
    // file that cannot be read gives the error at once and requests nothing.
    void importPkcs12File(const QString &path, const QString &password, const QString &name = {});
    void importPemFiles(const QString &certificatePath, const QString &keyPath, const QString &passphrase,
                        const QString &name = {});
    // Links the files in place (reloaded when renewed on disk); nothing is read here.
    void linkPemFiles(const QString &certificatePath, const QString &keyPath, const QString &name = {});
    // keyType: int(rd::tls::KeyType).
    void generateSelfSigned(const QString &commonName, const QStringList &sans, int keyType, int days,
                            const QString &name = {});
    void createCsr(const QString &commonName, const QStringList &sans, int keyType, const QString &name = {});
    void importSignedFile(const QString &pendingId, const QString &path);
    // No confirmation (removeSelected() asks first). Also discards a pending request.
    void removeCertificate(const QString &id);

    // Open a dialog (window-modal, open()) and return it; on OK it calls the
    // matching slot above.
    Pkcs12ImportDialog *openPkcs12Dialog();
    PemImportDialog *openPemDialog();
    // "Order with ACME": a certificate from an ACME CA (Let's Encrypt), renewed by itself.
    AcmeDialog *openAcmeDialog();
    CertificateRequestDialog *openSelfSignedDialog();
    CertificateRequestDialog *openCsrDialog();
    // Shows a signing request (read-only, Copy, Save...).
    CsrViewDialog *showCsr(const QString &name, const QByteArray &csrPem);
    // For the selected pending request: a modal file dialog, then importSignedFile().
    void importSignedForSelected();
    // Confirmation boxes (window-modal, returned so tests can answer them),
    // then removeCertificate(). Null if nothing is selected.
    QWidget *removeSelected();
    QWidget *discardSelectedPending();

private:
    struct Pending {
        QString action;  // as AdminService names it
        QString subject; // what the status line calls it
    };

    void buildUi();
    void request(const QString &action, const QString &subject, const QString &working);
    bool readFile(const QString &path, QByteArray *data);
    void updateButtons();
    void updateBanner();
    void showDetail();
    void setStatus(const QString &text, int level); // 0 normal, 1 warning (amber), 2 error (red)
    void onListed(const rd::engine::CertificateList &list);
    void onActionFinished(const QString &action, const QString &id, bool ok, const QString &message,
                          const QStringList &warnings);
    void onCsrCreated(const QString &pendingId, const QByteArray &csrPem);

    rd::engine::EngineFacade *m_facade;
    CertificateModel *m_model;
    QList<Pending> m_pending;     // this panel's requests, in the order AdminService runs them
    QString m_selectAfterList;    // id of a certificate just added
    QString m_selectPendingAfterList;
    bool m_showNextCsr = false;   // a CSR this panel asked for

    QLabel *m_banner = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_pfxButton = nullptr;
    QPushButton *m_pemButton = nullptr;
    QPushButton *m_selfSignedButton = nullptr;
    QPushButton *m_csrButton = nullptr;
    QPushButton *m_acmeButton = nullptr;
    rd::config::ConfigSnapshot m_config; // the configuration in force (acme.* settings)
    QPushButton *m_removeButton = nullptr;
    QPushButton *m_showCsrButton = nullptr;
    QPushButton *m_importSignedButton = nullptr;
    QPushButton *m_discardButton = nullptr;
    QTableView *m_table = nullptr;
    QTabWidget *m_tabs = nullptr;
    QTextBrowser *m_detail = nullptr;
    QTreeWidget *m_pendingList = nullptr;
    QTabWidget *m_sections = nullptr;
    DkimKeysPage *m_dkimKeys = nullptr;
};

} // namespace rd::ui

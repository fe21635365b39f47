#pragma once
// "Generate DKIM key" and "Import DKIM key": the sender domain, the selector
// (default "rd" + year and month, e.g. "rd202605"), and either the algorithm
// (RSA 2048 - the default -, 3072 or 4096 bits, or Ed25519, with a note that
// Ed25519 belongs beside an RSA key) or the PEM file of an existing private
// key. Each field is checked as it is typed with the key store's own rules
// (rd::config::DkimKeyStore::validateDomain / validateSelector) and against
// the keys that already exist; OK stays disabled while one is wrong and
// problem() says which.
// Thread: GUI thread. Pure widget: no I/O, no crypto (the panel reads the file).

#include <QDialog>
#include <QStringList>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace rd::ui {

class FileChooser;

class DkimKeyDialog : public QDialog {
    Q_OBJECT
public:
    enum Mode { Generate, Import };

    explicit DkimKeyDialog(Mode mode, QWidget *parent = nullptr);

    Mode mode() const { return m_mode; }
    QString domain() const;    // trimmed, as typed
    QString selector() const;  // trimmed
    QString algorithm() const; // "rsa-sha256" or "ed25519-sha256" (Generate)
    int bits() const;          // 2048, 3072, 4096; 256 for Ed25519 (Generate)
    QString pemPath() const;   // Import

    void setDomain(const QString &domain);
    void setSelector(const QString &selector);
    // algorithm as algorithm(); bits ignored for Ed25519. False if not offered.
    bool setAlgorithm(const QString &algorithm, int bits = 2048);
    void setPemPath(const QString &path);
    // "<selector>._domainkey.<domain>" names that exist: such a pair is refused.
    void setExistingNames(const QStringList &dnsNames);

    bool isAcceptable() const;
    QString problem() const;
    QPushButton *okButton() const;

    // The suggested selector for keys made in the month of `localDate`.
    static QString defaultSelector(const QDate &localDate);

private:
    void update();

    Mode m_mode;
    QStringList m_existing;
    QLineEdit *m_domain = nullptr;
    QLineEdit *m_selector = nullptr;
    QComboBox *m_algorithm = nullptr;
    QLabel *m_algorithmNote = nullptr;
    FileChooser *m_file = nullptr;
    QLabel *m_recordName = nullptr;
    QLabel *m_problem = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace rd::ui

#pragma once
// "Generate self-signed" and "Create CSR": common name, alternative names
// (comma or space separated host names and IP addresses), key type
// (RSA-2048, RSA-3072, ECDSA P-256), validity in days (self-signed only) and
// an optional display name. Each field is checked as it is typed, with the
// same rules the certificate store applies; OK stays disabled while one is
// wrong and problem() says which.
// Thread: GUI thread. Pure widget: no I/O, no crypto.

#include <QDialog>
#include <QStringList>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace rd::ui {

class CertificateRequestDialog : public QDialog {
    Q_OBJECT
public:
    enum Mode { SelfSigned, SigningRequest };

    static constexpr int MinDays = 1;
    static constexpr int MaxDays = 3650;
    static constexpr int DefaultDays = 365;

    explicit CertificateRequestDialog(Mode mode, QWidget *parent = nullptr);

    Mode mode() const { return m_mode; }

    QString commonName() const;   // trimmed
    QStringList sans() const;     // split on commas and white space, no empties
    int keyType() const;          // int(rd::tls::KeyType)
    int days() const;             // SelfSigned only
    QString displayName() const;  // trimmed

    void setCommonName(const QString &cn);
    void setSans(const QString &commaSeparated);
    void setKeyType(int keyType); // int(rd::tls::KeyType)
    void setDays(int days);
    void setDisplayName(const QString &name);

    bool isAcceptable() const;
    QString problem() const;
    QPushButton *okButton() const;

    // Null if `name` is a host name (optionally "*.") or an IP address, else
    // why not. Mirrors the certificate store's check.
    static QString checkHostName(const QString &name);

private:
    void update();

    Mode m_mode;
    QLineEdit *m_cn = nullptr;
    QLineEdit *m_sans = nullptr;
    QComboBox *m_keyType = nullptr;
    QSpinBox *m_days = nullptr;
    QLineEdit *m_name = nullptr;
    QLabel *m_problem = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace rd::ui

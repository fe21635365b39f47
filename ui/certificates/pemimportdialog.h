#pragma once
// "Import PEM": a certificate file (leaf plus chain, in any order), an
// optional separate key file (empty: the key is in the certificate file), an
// optional passphrase for an encrypted key (masked) and an optional display
// name. OK is enabled once a certificate file is chosen.
// Thread: GUI thread. Pure widget: no I/O.

#include <QDialog>

class QCheckBox;
class QDialogButtonBox;
class QLineEdit;
class QPushButton;

namespace rd::ui {

class FileChooser;

class PemImportDialog : public QDialog {
    Q_OBJECT
public:
    explicit PemImportDialog(QWidget *parent = nullptr);
    ~PemImportDialog() override;

    QString certificatePath() const;
    QString keyPath() const;      // empty: the key is in the certificate file
    QString passphrase() const;
    QString displayName() const;  // trimmed
    // "Use the files in place": link them (reloaded when renewed on disk)
    // instead of copying them into the store. Linked keys are not encrypted.
    bool linkFiles() const;
    void setLinkFiles(bool link);

    void setCertificatePath(const QString &path);
    void setKeyPath(const QString &path);
    void setPassphrase(const QString &passphrase);
    void setDisplayName(const QString &name);

    bool isAcceptable() const;
    QPushButton *okButton() const;
    void clearPassphrase();

private:
    void update();

    FileChooser *m_cert = nullptr;
    FileChooser *m_key = nullptr;
    QLineEdit *m_passphrase = nullptr;
    QLineEdit *m_name = nullptr;
    QCheckBox *m_link = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace rd::ui

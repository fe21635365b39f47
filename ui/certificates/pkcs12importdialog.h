#pragma once
// "Import PFX": a PKCS#12/PFX file, its password (masked) and an optional
// display name. OK is enabled once a file is chosen; the password may be empty
// (some tools export without one). The panel reads the file and hands it to
// AdminService; whoever reads password() calls clearPassword() afterwards.
// Thread: GUI thread. Pure widget: no I/O.

#include <QDialog>

class QDialogButtonBox;
class QLineEdit;
class QPushButton;

namespace rd::ui {

class FileChooser;

class Pkcs12ImportDialog : public QDialog {
    Q_OBJECT
public:
    explicit Pkcs12ImportDialog(QWidget *parent = nullptr);
    ~Pkcs12ImportDialog() override;

    QString filePath() const;
    QString password() const;
    QString displayName() const; // trimmed; empty: the store uses the common name

    void setFilePath(const QString &path);
    void setPassword(const QString &password);
    void setDisplayName(const QString &name);

    bool isAcceptable() const;
    QPushButton *okButton() const;
    void clearPassword();

private:
    void update();

    FileChooser *m_file = nullptr;
    QLineEdit *m_password = nullptr;
    QLineEdit *m_name = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace rd::ui

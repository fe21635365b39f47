#pragma once
// Shows a certificate signing request (PEM) read-only, with "Copy" (to the
// clipboard) and "Save..." (to a file the user picks). The request is public
// data: it holds no key.
// Thread: GUI thread.

#include <QByteArray>
#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace rd::ui {

class CsrViewDialog : public QDialog {
    Q_OBJECT
public:
    // name: the request's display name (title and suggested file name).
    CsrViewDialog(const QString &name, const QByteArray &csrPem, QWidget *parent = nullptr);

    QByteArray csrPem() const { return m_pem; }
    QString text() const;

public slots:
    // Puts the PEM text on the clipboard.
    void copyToClipboard();
    // Asks for a file name (modal QFileDialog), then saveTo().
    void save();
    // Writes the PEM to `path`; false with a message in the dialog on failure.
    bool saveTo(const QString &path);

private:
    QString m_name;
    QByteArray m_pem;
    QPlainTextEdit *m_text = nullptr;
    QLabel *m_result = nullptr;
};

} // namespace rd::ui

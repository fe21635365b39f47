#pragma once
// A file path field with a "Browse..." button, for the certificate dialogs.
// The path can also be typed or set with setPath() (tests). It does not read
// the file: the panel does that once the dialog is accepted.
// Thread: GUI thread.

#include <QWidget>

class QLineEdit;
class QPushButton;

namespace rd::ui {

class FileChooser : public QWidget {
    Q_OBJECT
public:
    // filter: a QFileDialog name filter ("PKCS#12 files (*.pfx *.p12)").
    FileChooser(const QString &caption, const QString &filter, QWidget *parent = nullptr);

    QString path() const; // trimmed
    void setPath(const QString &path);
    void setPlaceholderText(const QString &text);
    QLineEdit *lineEdit() const { return m_edit; }

public slots:
    // Opens a modal QFileDialog (user interaction only; tests use setPath()).
    void browse();

signals:
    void pathChanged(const QString &path);

private:
    QString m_caption;
    QString m_filter;
    QLineEdit *m_edit = nullptr;
    QPushButton *m_browse = nullptr;
};

} // namespace rd::ui

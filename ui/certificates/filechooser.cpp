#include "certificates/filechooser.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>

namespace rd::ui {

FileChooser::FileChooser(const QString &caption, const QString &filter, QWidget *parent)
    : QWidget(parent), m_caption(caption), m_filter(filter)
{
    m_edit = new QLineEdit(this);
    m_edit->setClearButtonEnabled(true);
    m_browse = new QPushButton(tr("Browse\u2026"), this);
    connect(m_browse, &QPushButton::clicked, this, &FileChooser::browse);
    connect(m_edit, &QLineEdit::textChanged, this, [this] { emit pathChanged(path()); });

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_edit, 1);
    layout->addWidget(m_browse);
    setFocusProxy(m_edit);
}

QString FileChooser::path() const
{
    return m_edit->text().trimmed();
}

void FileChooser::setPath(const QString &path)
{
    m_edit->setText(QDir::toNativeSeparators(path));
}

void FileChooser::setPlaceholderText(const QString &text)
{
    m_edit->setPlaceholderText(text);
}

void FileChooser::browse()
{
    const QString start = path().isEmpty() ? QDir::homePath() : QFileInfo(path()).absolutePath();
    const QString chosen = QFileDialog::getOpenFileName(this, m_caption, start, m_filter);
    if (!chosen.isEmpty())
        setPath(chosen);
}

} // namespace rd::ui

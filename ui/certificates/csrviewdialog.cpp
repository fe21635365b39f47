#include "certificates/csrviewdialog.h"

#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFontMetrics>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QVBoxLayout>

namespace rd::ui {

CsrViewDialog::CsrViewDialog(const QString &name, const QByteArray &csrPem, QWidget *parent)
    : QDialog(parent), m_name(name), m_pem(csrPem)
{
    setObjectName(QStringLiteral("csrViewDialog"));
    setWindowTitle(tr("Signing request: %1").arg(name));

    auto *intro = new QLabel(tr("Send this request to your certificate authority (paste it into their web "
                                "form or attach the saved file). The private key stays here. When the signed "
                                "certificate arrives, select the request under \"Pending requests\" and "
                                "choose \"Import signed certificate\"."),
                             this);
    intro->setWordWrap(true);

    m_text = new QPlainTextEdit(QString::fromLatin1(csrPem), this);
    m_text->setObjectName(QStringLiteral("csrText"));
    m_text->setReadOnly(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    // PEM lines are 64 characters: show them whole, plus the frame and a scroll bar.
    m_text->setMinimumSize(QFontMetrics(m_text->font()).horizontalAdvance(QString(72, QLatin1Char('M'))), 300);

    m_result = new QLabel(this);
    m_result->setObjectName(QStringLiteral("csrResult"));
    m_result->setWordWrap(true);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto *copy = buttons->addButton(tr("Copy"), QDialogButtonBox::ActionRole);
    copy->setObjectName(QStringLiteral("copyCsrButton"));
    auto *save = buttons->addButton(tr("Save\u2026"), QDialogButtonBox::ActionRole);
    save->setObjectName(QStringLiteral("saveCsrButton"));
    connect(copy, &QPushButton::clicked, this, &CsrViewDialog::copyToClipboard);
    connect(save, &QPushButton::clicked, this, &CsrViewDialog::save);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_result);
    layout->addWidget(buttons);
}

QString CsrViewDialog::text() const
{
    return m_text->toPlainText();
}

void CsrViewDialog::copyToClipboard()
{
    QApplication::clipboard()->setText(QString::fromLatin1(m_pem));
    m_result->setStyleSheet(QString());
    m_result->setText(tr("Copied to the clipboard."));
}

void CsrViewDialog::save()
{
    QString base = m_name;
    base.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]+")), QStringLiteral("_"));
    if (base.isEmpty())
        base = QStringLiteral("request");
    const QString path = QFileDialog::getSaveFileName(this, tr("Save signing request"),
                                                      QDir::home().filePath(base + QStringLiteral(".csr")),
                                                      tr("Signing requests (*.csr *.pem);;All files (*)"));
    if (!path.isEmpty())
        saveTo(path);
}

bool CsrViewDialog::saveTo(const QString &path)
{
    QSaveFile file(path);
    const bool ok = file.open(QIODevice::WriteOnly) && file.write(m_pem) == m_pem.size() && file.commit();
    if (ok) {
        m_result->setStyleSheet(QString());
        m_result->setText(tr("Saved to %1").arg(QDir::toNativeSeparators(path)));
    } else {
        m_result->setStyleSheet(QStringLiteral("color: #b01e1e;"));
        m_result->setText(tr("Could not save to %1: %2").arg(QDir::toNativeSeparators(path), file.errorString()));
    }
    return ok;
}

} // namespace rd::ui

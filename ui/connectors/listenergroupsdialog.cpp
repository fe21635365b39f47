#include "connectors/listenergroupsdialog.h"

#include "connectors/listenermodel.h"
#include "directory/directoryconfig.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace rd::ui {

ListenerGroupsDialog::ListenerGroupsDialog(const QString &listenerName, const QStringList &groups, QWidget *parent)
    : QDialog(parent)
    , m_edit(new QPlainTextEdit(this))
    , m_errorLabel(new QLabel(this))
{
    setObjectName(QStringLiteral("listenerGroupsDialog"));
    setWindowTitle(tr("Directory relay groups of %1").arg(listenerName));

    auto *intro = new QLabel(tr("Members of these directory groups (nested groups included) may relay on \"%1\" "
                                "after signing in. One group DN per line, e.g. "
                                "CN=Relay senders,OU=Groups,DC=example,DC=com. Leave empty to use the global "
                                "setting directory.relay_groups.")
                                 .arg(listenerName),
                             this);
    intro->setWordWrap(true);

    m_edit->setObjectName(QStringLiteral("relayGroupsEdit"));
    m_edit->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_edit->setPlaceholderText(tr("default (directory.relay_groups)"));
    m_edit->setPlainText(groups.join(QLatin1Char('\n')));

    m_errorLabel->setObjectName(QStringLiteral("relayGroupsError"));
    m_errorLabel->setWordWrap(true);
    m_errorLabel->setTextFormat(Qt::PlainText);
    m_errorLabel->setStyleSheet(QStringLiteral("color: #b01e1e;"));
    m_errorLabel->hide();

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &ListenerGroupsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // The error refers to the text as it was; editing clears it.
    connect(m_edit, &QPlainTextEdit::textChanged, this, [this] {
        if (!m_error.isEmpty()) {
            m_error.clear();
            m_errorLabel->hide();
        }
    });

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_edit, 1);
    layout->addWidget(m_errorLabel);
    layout->addWidget(buttons);
    resize(560, 300);
}

QStringList ListenerGroupsDialog::groups() const
{
    return rd::directory::parseGroupList(m_edit->toPlainText());
}

void ListenerGroupsDialog::accept()
{
    m_error = ListenerModel::groupsProblem(groups());
    if (!m_error.isEmpty()) {
        m_errorLabel->setText(m_error);
        m_errorLabel->show();
        m_edit->setFocus();
        return; // stays open
    }
    QDialog::accept();
}

} // namespace rd::ui

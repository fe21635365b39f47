#include "users/directorygrouppicker.h"

#include "engine/enginefacade.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace rd::ui {

DirectoryGroupPicker::DirectoryGroupPicker(rd::engine::EngineFacade *facade, const rd::config::ConfigSnapshot &config,
                                           QWidget *parent)
    : QDialog(parent), m_facade(facade), m_config(config)
{
    setObjectName(QStringLiteral("directoryGroupPicker"));
    setWindowTitle(tr("Add relay groups from the directory"));

    m_term = new QLineEdit(this);
    m_term->setObjectName(QStringLiteral("groupSearchTerm"));
    m_term->setPlaceholderText(tr("Part of a group name (empty: all groups)"));
    m_term->setClearButtonEnabled(true);
    m_searchButton = new QPushButton(tr("Search"), this);
    m_searchButton->setObjectName(QStringLiteral("groupSearchButton"));
    m_searchButton->setAutoDefault(true);
    m_searchButton->setDefault(true);

    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("groupList"));
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);

    m_status = new QLabel(tr("Search the directory (with the settings as edited, even if not saved yet)."), this);
    m_status->setObjectName(QStringLiteral("groupSearchStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QDialogButtonBox(this);
    m_add = buttons->addButton(tr("Add"), QDialogButtonBox::AcceptRole);
    m_add->setObjectName(QStringLiteral("groupAddButton"));
    m_add->setAutoDefault(false);
    buttons->addButton(QDialogButtonBox::Cancel);

    auto *searchRow = new QHBoxLayout;
    searchRow->addWidget(m_term, 1);
    searchRow->addWidget(m_searchButton);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(searchRow);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    resize(560, 420);

    connect(m_searchButton, &QPushButton::clicked, this, &DirectoryGroupPicker::search);
    connect(m_term, &QLineEdit::returnPressed, this, &DirectoryGroupPicker::search);
    connect(m_list, &QListWidget::itemSelectionChanged, this, &DirectoryGroupPicker::updateButtons);
    connect(m_list, &QListWidget::itemDoubleClicked, m_add, &QPushButton::click);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        const QStringList dns = selectedDns();
        if (dns.isEmpty())
            return;
        emit groupsChosen(dns);
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_facade, &rd::engine::EngineFacade::directoryGroupsFound, this, &DirectoryGroupPicker::onFound);
    updateButtons();
}

QStringList DirectoryGroupPicker::selectedDns() const
{
    QStringList dns;
    for (int i = 0; i < m_list->count(); ++i) {
        if (m_list->item(i)->isSelected())
            dns << m_list->item(i)->data(Qt::UserRole).toString();
    }
    return dns;
}

void DirectoryGroupPicker::search()
{
    if (m_searching)
        return;
    m_searching = true;
    m_status->setStyleSheet(QString());
    m_status->setText(tr("Searching\u2026"));
    updateButtons();
    m_facade->searchDirectoryGroups(m_config, m_term->text().trimmed()); // may answer inside this call
}

void DirectoryGroupPicker::onFound(const rd::directory::DirectoryGroupList &groups)
{
    if (!m_searching)
        return; // another window's search
    m_searching = false;
    m_list->clear();
    if (!groups.ok) {
        m_status->setStyleSheet(QStringLiteral("color: #b01e1e;"));
        m_status->setText(tr("Search failed: %1").arg(groups.error.isEmpty() ? tr("unknown error") : groups.error));
    } else {
        for (const auto &g : groups.groups) {
            auto *item = new QListWidgetItem(g.second.isEmpty() ? g.first : g.second, m_list);
            item->setData(Qt::UserRole, g.first);
            item->setToolTip(g.first);
        }
        m_status->setStyleSheet(QString());
        m_status->setText(groups.groups.isEmpty() ? tr("No group found.")
                                                  : tr("%n group(s) found. Select one or more, then Add.", nullptr,
                                                       int(groups.groups.size())));
    }
    updateButtons();
}

void DirectoryGroupPicker::updateButtons()
{
    m_searchButton->setEnabled(!m_searching);
    m_add->setEnabled(!m_searching && !selectedDns().isEmpty());
}

} // namespace rd::ui

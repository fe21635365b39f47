#include "filtering/contentrulespage.h"

#include "filtering/contentruledialog.h"
#include "filtering/contentrulemodel.h"
#include "ratelimits/ratelimitdelegates.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QStyle>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace rd::ui {

using rd::config::ContentRule;

ContentRulesPage::ContentRulesPage(QWidget *parent)
    : QWidget(parent)
    , m_model(new ContentRuleModel(this))
{
    setObjectName(QStringLiteral("contentRulesPage"));
    auto *hint = new QLabel(tr("Checked from the top; the first matching enabled rule decides. Sender and recipient "
                               "rules act at MAIL/RCPT, the others once the message is received. Every decision is "
                               "logged with the rule's name."),
                            this);
    hint->setWordWrap(true);
    hint->setStyleSheet(QStringLiteral("color: #606060;"));

    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("contentRulesTable"));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->setItemDelegate(new ChoiceDelegate(m_view)); // keeps invalid rows red when selected
    m_view->verticalHeader()->setDefaultAlignment(Qt::AlignCenter);
    m_view->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setModel(m_model);
    const QFontMetrics fm = fontMetrics();
    m_view->setColumnWidth(ContentRuleModel::Enabled, fm.horizontalAdvance(tr("On")) + 30);
    m_view->setColumnWidth(ContentRuleModel::Name, fm.horizontalAdvance(QStringLiteral("Macro-enabled Office files")) + 16);
    m_view->setColumnWidth(ContentRuleModel::Target, fm.horizontalAdvance(QStringLiteral("Attachment file name")) + 16);
    m_view->setColumnWidth(ContentRuleModel::Match, fm.horizontalAdvance(QStringLiteral("has one of the extensions")) + 16);
    m_view->setColumnWidth(ContentRuleModel::Pattern, fm.horizontalAdvance(QStringLiteral("exe,scr,com,pif,bat,cmd,vbs")) + 16);
    connect(m_view, &QTableView::doubleClicked, this, [this](const QModelIndex &i) {
        if (i.column() != ContentRuleModel::Enabled)
            openRuleDialog(i.row());
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ContentRulesPage::updateButtons);
    connect(m_model, &ContentRuleModel::stateChanged, this, [this] {
        updateButtons();
        emit changed();
    });

    auto *menu = new QMenu(this);
    menu->setToolTipsVisible(true);
    const QList<ContentRulePreset> presets = ContentRulePresets::all();
    for (int i = 0; i < presets.size(); ++i) {
        QAction *a = menu->addAction(presets.at(i).label, this, [this, i] { addPreset(i); });
        a->setToolTip(presets.at(i).explanation);
    }
    m_presets = new QToolButton(this);
    m_presets->setObjectName(QStringLiteral("contentRulePresets"));
    m_presets->setText(tr("Add preset"));
    m_presets->setPopupMode(QToolButton::InstantPopup);
    m_presets->setMenu(menu);
    m_add = new QPushButton(style()->standardIcon(QStyle::SP_FileDialogNewFolder), tr("Add\u2026"), this);
    m_add->setObjectName(QStringLiteral("addContentRule"));
    connect(m_add, &QPushButton::clicked, this, [this] { openRuleDialog(-1); });
    m_edit = new QPushButton(tr("Edit\u2026"), this);
    m_edit->setObjectName(QStringLiteral("editContentRule"));
    connect(m_edit, &QPushButton::clicked, this, [this] { openRuleDialog(currentRow()); });
    m_remove = new QPushButton(style()->standardIcon(QStyle::SP_TrashIcon), tr("Remove"), this);
    m_remove->setObjectName(QStringLiteral("removeContentRule"));
    connect(m_remove, &QPushButton::clicked, this, &ContentRulesPage::removeSelected);
    m_up = new QPushButton(style()->standardIcon(QStyle::SP_ArrowUp), tr("Up"), this);
    connect(m_up, &QPushButton::clicked, this, [this] { moveSelected(-1); });
    m_down = new QPushButton(style()->standardIcon(QStyle::SP_ArrowDown), tr("Down"), this);
    connect(m_down, &QPushButton::clicked, this, [this] { moveSelected(1); });

    auto *buttons = new QHBoxLayout;
    for (QWidget *w : {static_cast<QWidget *>(m_presets), static_cast<QWidget *>(m_add), static_cast<QWidget *>(m_edit),
                       static_cast<QWidget *>(m_remove), static_cast<QWidget *>(m_up), static_cast<QWidget *>(m_down)})
        buttons->addWidget(w);
    buttons->addStretch(1);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(hint);
    layout->addWidget(m_view, 1);
    layout->addLayout(buttons);
    updateButtons();
}

void ContentRulesPage::load(const rd::config::ConfigSnapshot &config, bool force)
{
    if (force || !m_model->isDirty() || m_model->items() == config.contentRules)
        m_model->load(config.contentRules);
}

void ContentRulesPage::writeTo(rd::config::ConfigSnapshot *config) const
{
    config->contentRules = m_model->items();
}

void ContentRulesPage::revert()
{
    m_note.clear();
    m_model->revertAll();
}

bool ContentRulesPage::isDirty() const
{
    return m_model->isDirty();
}

QStringList ContentRulesPage::errors() const
{
    return m_model->errors();
}

int ContentRulesPage::currentRow() const
{
    const QModelIndex i = m_view->currentIndex();
    return i.isValid() && m_view->selectionModel()->isRowSelected(i.row(), {}) ? i.row() : -1;
}

ContentRuleDialog *ContentRulesPage::openRuleDialog(int row)
{
    ContentRule rule;
    if (row >= 0 && row < m_model->rowCount()) {
        rule = m_model->item(row);
    } else {
        row = -1;
        rule.name = m_model->uniqueName(tr("New rule"));
        rule.pattern.clear();
    }
    QStringList others;
    for (int i = 0; i < m_model->rowCount(); ++i) {
        if (i != row)
            others << m_model->item(i).name;
    }
    auto *dialog = new ContentRuleDialog(rule, others, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, row] {
        int target = row;
        if (row < 0)
            target = m_model->addItem(dialog->rule());
        else
            m_model->setItem(row, dialog->rule());
        m_view->selectRow(target);
    });
    dialog->open();
    return dialog;
}

int ContentRulesPage::addPreset(int index)
{
    const QList<ContentRulePreset> presets = ContentRulePresets::all();
    if (index < 0 || index >= presets.size())
        return -1;
    ContentRule r = presets.at(index).rule;
    r.name = m_model->uniqueName(r.name);
    m_note = presets.at(index).explanation;
    const int row = m_model->addItem(r);
    m_view->selectRow(row);
    return row;
}

void ContentRulesPage::moveSelected(int delta)
{
    const int row = currentRow();
    if (row >= 0 && m_model->moveRow(row, delta))
        m_view->selectRow(row + delta);
}

void ContentRulesPage::removeSelected()
{
    const int row = currentRow();
    if (row >= 0)
        m_model->removeRows(row, 1);
}

void ContentRulesPage::updateButtons()
{
    const int row = currentRow();
    m_edit->setEnabled(row >= 0);
    m_remove->setEnabled(row >= 0);
    m_up->setEnabled(row > 0);
    m_down->setEnabled(row >= 0 && row < m_model->rowCount() - 1);
}

} // namespace rd::ui

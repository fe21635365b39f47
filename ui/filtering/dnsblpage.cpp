#include "filtering/dnsblpage.h"

#include "filtering/dnsblzonemodel.h"
#include "ratelimits/ratelimitdelegates.h"

#include "config/settings.h"

#include <QCheckBox>
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

namespace keys = rd::config::keys;

DnsblPage::DnsblPage(QWidget *parent)
    : QWidget(parent)
    , m_model(new DnsblZoneModel(this))
{
    setObjectName(QStringLiteral("dnsblPage"));
    const rd::config::SettingDef *def = rd::config::findSetting(QString::fromLatin1(keys::kDnsblCheckClients));
    m_checkClients = new QCheckBox(tr("Look connecting clients up in the enabled lists"), this);
    m_checkClients->setObjectName(QStringLiteral("dnsblCheckClients"));
    m_checkClients->setToolTip(def ? def->description : QString());
    connect(m_checkClients, &QCheckBox::toggled, this, [this] {
        updateState();
        emit changed();
    });
    m_clientsNote = new QLabel(
        tr("Checked asynchronously when a client connects; a listed client gets 554 5.7.1 naming the list. Clients "
           "in a relay Allowed list and authenticated users are never refused. The DNS checks panel uses the same "
           "enabled lists to look up this relay's own public addresses."),
        this);
    m_clientsNote->setWordWrap(true);
    m_clientsNote->setStyleSheet(QStringLiteral("color: #606060;"));

    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("dnsblTable"));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::SelectedClicked
                            | QAbstractItemView::EditKeyPressed | QAbstractItemView::AnyKeyPressed);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->setItemDelegate(new ChoiceDelegate(m_view));
    m_view->verticalHeader()->setDefaultAlignment(Qt::AlignCenter);
    m_view->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setModel(m_model);
    const QFontMetrics fm = fontMetrics();
    m_view->setColumnWidth(DnsblZoneModel::Enabled, fm.horizontalAdvance(tr("On")) + 30);
    m_view->setColumnWidth(DnsblZoneModel::Zone, fm.horizontalAdvance(QStringLiteral("b.barracudacentral.org")) + 24);
    m_view->setColumnWidth(DnsblZoneModel::Codes, fm.horizontalAdvance(QStringLiteral("127.0.0.2=Spamhaus SBL: spam source; 127.0")) + 16);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &DnsblPage::updateState);
    connect(m_model, &DnsblZoneModel::stateChanged, this, [this] {
        updateState();
        emit changed();
    });

    auto *menu = new QMenu(this);
    menu->setToolTipsVisible(true);
    const QList<DnsblPreset> presets = DnsblPresets::all();
    for (int i = 0; i < presets.size(); ++i) {
        QAction *a = menu->addAction(presets.at(i).label, this, [this, i] { addPreset(i); });
        a->setToolTip(presets.at(i).note);
    }
    m_presets = new QToolButton(this);
    m_presets->setObjectName(QStringLiteral("dnsblPresets"));
    m_presets->setText(tr("Add a known list"));
    m_presets->setPopupMode(QToolButton::InstantPopup);
    m_presets->setMenu(menu);
    m_add = new QPushButton(style()->standardIcon(QStyle::SP_FileDialogNewFolder), tr("Add"), this);
    m_add->setObjectName(QStringLiteral("addDnsblZone"));
    connect(m_add, &QPushButton::clicked, this, [this] { addZone(); });
    m_remove = new QPushButton(style()->standardIcon(QStyle::SP_TrashIcon), tr("Remove"), this);
    m_remove->setObjectName(QStringLiteral("removeDnsblZone"));
    connect(m_remove, &QPushButton::clicked, this, &DnsblPage::removeSelected);
    m_up = new QPushButton(style()->standardIcon(QStyle::SP_ArrowUp), tr("Up"), this);
    connect(m_up, &QPushButton::clicked, this, [this] { moveSelected(-1); });
    m_down = new QPushButton(style()->standardIcon(QStyle::SP_ArrowDown), tr("Down"), this);
    connect(m_down, &QPushButton::clicked, this, [this] { moveSelected(1); });

    auto *buttons = new QHBoxLayout;
    for (QWidget *w : {static_cast<QWidget *>(m_presets), static_cast<QWidget *>(m_add),
                       static_cast<QWidget *>(m_remove), static_cast<QWidget *>(m_up), static_cast<QWidget *>(m_down)})
        buttons->addWidget(w);
    buttons->addStretch(1);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_checkClients);
    layout->addWidget(m_clientsNote);
    layout->addWidget(m_view, 1);
    layout->addLayout(buttons);
    updateState();
}

void DnsblPage::load(const rd::config::ConfigSnapshot &config, bool force)
{
    const bool clientsEdited = m_checkClients->isChecked() != m_loadedCheckClients;
    m_loadedCheckClients = config.boolValue(keys::kDnsblCheckClients);
    if (force || !clientsEdited) {
        const QSignalBlocker block(m_checkClients);
        m_checkClients->setChecked(m_loadedCheckClients);
    }
    if (force || !m_model->isDirty() || m_model->items() == config.dnsblZones)
        m_model->load(config.dnsblZones);
    updateState();
}

void DnsblPage::writeTo(rd::config::ConfigSnapshot *config) const
{
    config->dnsblZones = m_model->items();
    QString error;
    config->setValue(QString::fromLatin1(keys::kDnsblCheckClients), m_checkClients->isChecked(), &error);
}

void DnsblPage::revert()
{
    m_note.clear();
    {
        const QSignalBlocker block(m_checkClients);
        m_checkClients->setChecked(m_loadedCheckClients);
    }
    m_model->revertAll();
}

bool DnsblPage::isDirty() const
{
    return m_model->isDirty() || m_checkClients->isChecked() != m_loadedCheckClients;
}

QStringList DnsblPage::errors() const
{
    return m_model->errors();
}

int DnsblPage::addPreset(int index)
{
    const QList<DnsblPreset> presets = DnsblPresets::all();
    if (index < 0 || index >= presets.size())
        return -1;
    m_note = presets.at(index).note;
    int row = m_model->rowOf(presets.at(index).zone.zone);
    if (row < 0)
        row = m_model->addItem(presets.at(index).zone);
    else
        m_note = tr("%1 is listed already.").arg(presets.at(index).zone.zone) + QLatin1Char(' ') + m_note;
    m_view->selectRow(row);
    emit changed();
    return row;
}

int DnsblPage::addZone()
{
    const int row = m_model->addItem(rd::config::DnsblZone{});
    const QModelIndex idx = m_model->index(row, DnsblZoneModel::Zone);
    m_view->setCurrentIndex(idx);
    if (m_view->isVisible())
        m_view->edit(idx);
    return row;
}

int DnsblPage::currentRow() const
{
    const QModelIndex i = m_view->currentIndex();
    return i.isValid() && m_view->selectionModel()->isRowSelected(i.row(), {}) ? i.row() : -1;
}

void DnsblPage::moveSelected(int delta)
{
    const int row = currentRow();
    if (row >= 0 && m_model->moveRow(row, delta))
        m_view->selectRow(row + delta);
}

void DnsblPage::removeSelected()
{
    const int row = currentRow();
    if (row >= 0)
        m_model->removeRows(row, 1);
}

void DnsblPage::updateState()
{
    const int row = currentRow();
    m_remove->setEnabled(row >= 0);
    m_up->setEnabled(row > 0);
    m_down->setEnabled(row >= 0 && row < m_model->rowCount() - 1);
    int enabled = 0;
    for (const auto &z : m_model->items())
        enabled += z.enabled ? 1 : 0;
    m_checkClients->setText(m_checkClients->isChecked() && enabled == 0
                                ? tr("Look connecting clients up in the enabled lists (none enabled yet)")
                                : tr("Look connecting clients up in the enabled lists"));
}

} // namespace rd::ui

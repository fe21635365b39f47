#include "filtering/connectioncontrolpage.h"

#include "filtering/banmodel.h"
#include "filtering/connectionrulemodel.h"
#include "ratelimits/ratelimitdelegates.h"

#include "config/settings.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QVBoxLayout>

namespace rd::ui {

namespace keys = rd::config::keys;

namespace {

const rd::config::SettingDef *setting(const char *key)
{
    return rd::config::findSetting(QString::fromLatin1(key));
}

QSpinBox *spinFor(const char *key, const QString &suffix, QWidget *parent)
{
    auto *box = new QSpinBox(parent);
    const rd::config::SettingDef *def = setting(key);
    if (def) {
        box->setRange(int(def->min), int(def->max));
        box->setToolTip(def->description);
    }
    box->setSuffix(suffix);
    return box;
}

QTableView *tableView(QWidget *parent, const QString &name)
{
    auto *v = new QTableView(parent);
    v->setObjectName(name);
    v->setSelectionBehavior(QAbstractItemView::SelectRows);
    v->setSelectionMode(QAbstractItemView::SingleSelection);
    v->setAlternatingRowColors(true);
    v->setWordWrap(false);
    v->verticalHeader()->setDefaultAlignment(Qt::AlignCenter);
    v->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    v->horizontalHeader()->setHighlightSections(false);
    v->horizontalHeader()->setStretchLastSection(true);
    return v;
}

} // namespace

ConnectionControlPage::ConnectionControlPage(QWidget *parent)
    : QWidget(parent)
    , m_model(new ConnectionRuleModel(this))
    , m_bans(new BanModel(this))
{
    setObjectName(QStringLiteral("connectionControlPage"));

    // Rules.
    auto *rulesBox = new QGroupBox(tr("Connection rules"), this);
    auto *rulesNote = new QLabel(tr("Checked first when a client connects. The highest priority wins; on a tie the "
                                    "narrower range, then Deny. A denied client gets 554 5.7.1 naming the rule. "
                                    "Allow admits a client even when it is banned. A rule with an expiry stops "
                                    "applying by itself."),
                                 rulesBox);
    rulesNote->setWordWrap(true);
    rulesNote->setStyleSheet(QStringLiteral("color: #606060;"));
    m_view = tableView(rulesBox, QStringLiteral("connectionRulesTable"));
    m_view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::SelectedClicked
                            | QAbstractItemView::EditKeyPressed | QAbstractItemView::AnyKeyPressed);
    m_view->setItemDelegate(new ChoiceDelegate(m_view));
    m_view->setModel(m_model);
    const QFontMetrics fm = fontMetrics();
    m_view->setColumnWidth(ConnectionRuleModel::Enabled, fm.horizontalAdvance(tr("On")) + 30);
    m_view->setColumnWidth(ConnectionRuleModel::Network, fm.horizontalAdvance(QStringLiteral("2001:db8:ffff:ffff::/64")) + 16);
    m_view->setColumnWidth(ConnectionRuleModel::Action, fm.horizontalAdvance(tr("Allow")) + 40);
    m_view->setColumnWidth(ConnectionRuleModel::Priority, fm.horizontalAdvance(tr("Priority")) + 24);
    m_view->setColumnWidth(ConnectionRuleModel::Expires, fm.horizontalAdvance(QStringLiteral("2026-12-31 18:00 UTC (expired)")) + 16);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ConnectionControlPage::updateState);
    connect(m_model, &ConnectionRuleModel::stateChanged, this, [this] {
        updateState();
        emit changed();
    });
    m_add = new QPushButton(style()->standardIcon(QStyle::SP_FileDialogNewFolder), tr("Add"), rulesBox);
    m_add->setObjectName(QStringLiteral("addConnectionRule"));
    connect(m_add, &QPushButton::clicked, this, [this] { addRule(); });
    m_edit = new QPushButton(tr("Edit"), rulesBox);
    m_edit->setObjectName(QStringLiteral("editConnectionRule"));
    connect(m_edit, &QPushButton::clicked, this, &ConnectionControlPage::editSelected);
    m_remove = new QPushButton(style()->standardIcon(QStyle::SP_TrashIcon), tr("Remove"), rulesBox);
    m_remove->setObjectName(QStringLiteral("removeConnectionRule"));
    connect(m_remove, &QPushButton::clicked, this, &ConnectionControlPage::removeSelected);
    auto *ruleButtons = new QHBoxLayout;
    ruleButtons->addWidget(m_add);
    ruleButtons->addWidget(m_edit);
    ruleButtons->addWidget(m_remove);
    ruleButtons->addStretch(1);
    auto *rulesLayout = new QVBoxLayout(rulesBox);
    rulesLayout->addWidget(rulesNote);
    rulesLayout->addWidget(m_view, 1);
    rulesLayout->addLayout(ruleButtons);

    // Automatic bans: settings and the bans in force.
    auto *bansBox = new QGroupBox(tr("Automatic bans"), this);
    m_enabled = new QCheckBox(tr("Ban an address for a while after repeated failures"), bansBox);
    m_enabled->setObjectName(QStringLiteral("bansEnabled"));
    if (const auto *def = setting(keys::kBansEnabled))
        m_enabled->setToolTip(def->description);
    m_auth = spinFor(keys::kBanAuthFailures, tr(" failed AUTH"), bansBox);
    m_auth->setObjectName(QStringLiteral("banAuthFailures"));
    m_rcpt = spinFor(keys::kBanRejectedRecipients, tr(" rejected recipients"), bansBox);
    m_proto = spinFor(keys::kBanProtocolErrors, tr(" protocol errors"), bansBox);
    m_window = spinFor(keys::kBanWindow, tr(" s"), bansBox);
    m_duration = spinFor(keys::kBanDuration, tr(" s"), bansBox);
    m_duration->setObjectName(QStringLiteral("banDuration"));
    for (QSpinBox *b : {m_auth, m_rcpt, m_proto})
        b->setSpecialValueText(tr("never"));
    for (QSpinBox *b : {m_auth, m_rcpt, m_proto, m_window, m_duration})
        connect(b, &QSpinBox::valueChanged, this, [this] {
            updateState();
            emit changed();
        });
    connect(m_enabled, &QCheckBox::toggled, this, [this] {
        updateState();
        emit changed();
    });
    auto *thresholds = new QHBoxLayout;
    thresholds->addWidget(m_auth);
    thresholds->addWidget(m_rcpt);
    thresholds->addWidget(m_proto);
    thresholds->addStretch(1);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    form->addRow(m_enabled);
    form->addRow(tr("Ban after:"), thresholds);
    form->addRow(tr("Counted over:"), m_window);
    form->addRow(tr("Ban lasts:"), m_duration);
    auto *exempt = new QLabel(tr("Never banned automatically: this computer (127.0.0.1, ::1) and addresses an Allow "
                                 "rule covers. IPv6 clients are banned per /64."),
                              bansBox);
    exempt->setWordWrap(true);
    exempt->setStyleSheet(QStringLiteral("color: #606060;"));

    m_banCount = new QLabel(bansBox);
    m_banCount->setObjectName(QStringLiteral("banCount"));
    m_banView = tableView(bansBox, QStringLiteral("bansTable"));
    m_banView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_banView->setModel(m_bans);
    m_banView->setColumnWidth(BanModel::Address, fm.horizontalAdvance(QStringLiteral("2001:db8:ffff:ffff::/64")) + 16);
    m_banView->setColumnWidth(BanModel::Reason, fm.horizontalAdvance(QStringLiteral("after 50 rejected recipients")) + 16);
    m_banView->setColumnWidth(BanModel::Since, fm.horizontalAdvance(QStringLiteral("2026-12-31 18:00:00")) + 16);
    m_banView->setColumnWidth(BanModel::Until, fm.horizontalAdvance(QStringLiteral("2026-12-31 18:00:00")) + 16);
    connect(m_banView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ConnectionControlPage::updateState);
    connect(m_bans, &QAbstractItemModel::modelReset, this, &ConnectionControlPage::updateState);
    m_unban = new QPushButton(tr("Unban"), bansBox);
    m_unban->setObjectName(QStringLiteral("unbanButton"));
    m_unban->setToolTip(tr("Lift the selected ban now (its failure counts are forgotten too)"));
    connect(m_unban, &QPushButton::clicked, this, &ConnectionControlPage::unbanSelected);
    m_refresh = new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), tr("Refresh"), bansBox);
    m_refresh->setObjectName(QStringLiteral("refreshBans"));
    connect(m_refresh, &QPushButton::clicked, this, &ConnectionControlPage::bansRequested);
    auto *banButtons = new QHBoxLayout;
    banButtons->addWidget(m_banCount, 1);
    banButtons->addWidget(m_refresh);
    banButtons->addWidget(m_unban);
    auto *bansLayout = new QVBoxLayout(bansBox);
    bansLayout->addLayout(form);
    bansLayout->addWidget(exempt);
    bansLayout->addWidget(new QLabel(tr("Banned now:"), bansBox));
    bansLayout->addWidget(m_banView, 1);
    bansLayout->addLayout(banButtons);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(rulesBox);
    split->addWidget(bansBox);
    split->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
    showSettings(m_loadedSettings);
    updateState();
}

ConnectionControlPage::BanSettings ConnectionControlPage::currentSettings() const
{
    BanSettings s;
    s.enabled = m_enabled->isChecked();
    s.auth = m_auth->value();
    s.rcpt = m_rcpt->value();
    s.proto = m_proto->value();
    s.window = m_window->value();
    s.duration = m_duration->value();
    return s;
}

void ConnectionControlPage::showSettings(const BanSettings &s)
{
    const QSignalBlocker b1(m_enabled), b2(m_auth), b3(m_rcpt), b4(m_proto), b5(m_window), b6(m_duration);
    m_enabled->setChecked(s.enabled);
    m_auth->setValue(s.auth);
    m_rcpt->setValue(s.rcpt);
    m_proto->setValue(s.proto);
    m_window->setValue(s.window);
    m_duration->setValue(s.duration);
}

void ConnectionControlPage::load(const rd::config::ConfigSnapshot &config, bool force)
{
    const bool settingsEdited = !(currentSettings() == m_loadedSettings);
    BanSettings s;
    s.enabled = config.boolValue(keys::kBansEnabled);
    s.auth = int(config.intValue(keys::kBanAuthFailures));
    s.rcpt = int(config.intValue(keys::kBanRejectedRecipients));
    s.proto = int(config.intValue(keys::kBanProtocolErrors));
    s.window = int(config.intValue(keys::kBanWindow));
    s.duration = int(config.intValue(keys::kBanDuration));
    m_loadedSettings = s;
    if (force || !settingsEdited)
        showSettings(s);
    if (force || !m_model->isDirty() || m_model->items() == config.connectionRules)
        m_model->load(config.connectionRules);
    updateState();
}

void ConnectionControlPage::writeTo(rd::config::ConfigSnapshot *config) const
{
    config->connectionRules = m_model->items();
    const BanSettings s = currentSettings();
    QString error;
    config->setValue(QString::fromLatin1(keys::kBansEnabled), s.enabled, &error);
    config->setValue(QString::fromLatin1(keys::kBanAuthFailures), s.auth, &error);
    config->setValue(QString::fromLatin1(keys::kBanRejectedRecipients), s.rcpt, &error);
    config->setValue(QString::fromLatin1(keys::kBanProtocolErrors), s.proto, &error);
    config->setValue(QString::fromLatin1(keys::kBanWindow), s.window, &error);
    config->setValue(QString::fromLatin1(keys::kBanDuration), s.duration, &error);
}

void ConnectionControlPage::revert()
{
    showSettings(m_loadedSettings);
    m_model->revertAll();
    updateState();
}

bool ConnectionControlPage::isDirty() const
{
    return m_model->isDirty() || !(currentSettings() == m_loadedSettings);
}

QStringList ConnectionControlPage::errors() const
{
    return m_model->errors();
}

QString ConnectionControlPage::note() const
{
    return m_model->warnings().join(QLatin1Char('\n'));
}

int ConnectionControlPage::addRule()
{
    rd::config::ConnectionRule r;
    const int row = m_model->addItem(r);
    const QModelIndex idx = m_model->index(row, ConnectionRuleModel::Network);
    m_view->setCurrentIndex(idx);
    if (m_view->isVisible())
        m_view->edit(idx);
    return row;
}

void ConnectionControlPage::editSelected()
{
    const int row = currentRow();
    if (row < 0)
        return;
    const QModelIndex idx = m_model->index(row, ConnectionRuleModel::Network);
    m_view->setCurrentIndex(idx);
    if (m_view->isVisible())
        m_view->edit(idx);
}

void ConnectionControlPage::removeSelected()
{
    const int row = currentRow();
    if (row >= 0)
        m_model->removeRows(row, 1);
}

int ConnectionControlPage::currentRow() const
{
    const QModelIndex i = m_view->currentIndex();
    return i.isValid() && m_view->selectionModel()->isRowSelected(i.row(), {}) ? i.row() : -1;
}

bool ConnectionControlPage::selectBan(const QString &ip)
{
    const int row = m_bans->rowOf(ip);
    if (row < 0)
        return false;
    m_banView->selectRow(row);
    return true;
}

void ConnectionControlPage::unbanSelected()
{
    const QModelIndexList rows = m_banView->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    emit unbanRequested(m_bans->data(rows.first(), BanModel::IpRole).toString());
}

void ConnectionControlPage::setBans(const QList<rd::policy::Ban> &bans)
{
    QString selected;
    const QModelIndexList rows = m_banView->selectionModel()->selectedRows();
    if (!rows.isEmpty())
        selected = m_bans->data(rows.first(), BanModel::IpRole).toString();
    m_bans->setBans(bans);
    if (!selected.isEmpty())
        selectBan(selected);
    updateState();
}

void ConnectionControlPage::updateState()
{
    const int row = currentRow();
    m_edit->setEnabled(row >= 0);
    m_remove->setEnabled(row >= 0);
    const bool on = m_enabled->isChecked();
    for (QSpinBox *b : {m_auth, m_rcpt, m_proto, m_window, m_duration})
        b->setEnabled(on);
    m_unban->setEnabled(!m_banView->selectionModel()->selectedRows().isEmpty());
    const int n = m_bans->rowCount();
    m_banCount->setText(n == 0 ? tr("No address is banned.") : tr("%n address(es) banned.", nullptr, n));
}

} // namespace rd::ui

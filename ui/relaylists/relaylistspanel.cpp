#include "relaylists/relaylistspanel.h"

#include "relaylists/cidrlistmodel.h"

#include "engine/enginefacade.h"

#include <QColor>
#include <QComboBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QStyle>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>

namespace rd::ui {

using rd::config::ConfigSnapshot;
using rd::config::ListenerConfig;

namespace {

const QString kRed = QStringLiteral("#b01e1e");
const QString kGreen = QStringLiteral("#1b7a2b");
const QString kGray = QStringLiteral("#606060");
const QColor kSelectedError(176, 30, 30);

// An invalid row stays visibly red while selected.
class EntryDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        if (!index.data(CidrListModel::ErrorRole).toString().isEmpty()) {
            option->palette.setColor(QPalette::Highlight, kSelectedError);
            option->palette.setColor(QPalette::HighlightedText, Qt::white);
        }
    }
};

QString listenerKey(const ListenerConfig &l)
{
    return l.name + QLatin1Char('|') + l.address + QLatin1Char('|') + QString::number(l.port);
}

QString endpoint(const ListenerConfig &l)
{
    return l.address.contains(QLatin1Char(':')) ? QStringLiteral("[%1]:%2").arg(l.address).arg(l.port)
                                                : QStringLiteral("%1:%2").arg(l.address).arg(l.port);
}

} // namespace

RelayListsPanel::RelayListsPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_facade(facade)
    , m_domains(newModel(true))
{
    setObjectName(QStringLiteral("relayListsPanel"));
    buildUi();
    showModel(m_domainView, m_domains);

    connect(m_facade, &rd::engine::EngineFacade::configLoaded, this, &RelayListsPanel::setConfig);
    connect(m_facade, &rd::engine::EngineFacade::configApplied, this, &RelayListsPanel::onConfigApplied);

    updateState();
    m_facade->requestConfig();
}

RelayListsPanel::~RelayListsPanel() = default;

CidrListModel *RelayListsPanel::newModel(bool domains)
{
    auto *m = new CidrListModel(domains ? CidrListModel::Kind::Domain : CidrListModel::Kind::Cidr, this);
    connect(m, &CidrListModel::stateChanged, this, &RelayListsPanel::updateState);
    return m;
}

QWidget *RelayListsPanel::buildList(const QString &title, const QString &hint, QTableView **view,
                                    QPushButton **add, QPushButton **remove, const QString &name)
{
    auto *box = new QGroupBox(title, this);
    auto *hintLabel = new QLabel(hint, box);
    hintLabel->setWordWrap(true);
    hintLabel->setStyleSheet(QStringLiteral("color: %1;").arg(kGray));

    auto *v = new QTableView(box);
    v->setObjectName(name + QStringLiteral("Table"));
    v->setSelectionBehavior(QAbstractItemView::SelectRows);
    v->setSelectionMode(QAbstractItemView::ExtendedSelection);
    v->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::SelectedClicked
                       | QAbstractItemView::EditKeyPressed | QAbstractItemView::AnyKeyPressed);
    v->setAlternatingRowColors(true);
    v->setWordWrap(false);
    v->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    v->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    v->verticalHeader()->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("+")) + 14);
    v->verticalHeader()->setDefaultAlignment(Qt::AlignCenter);
    v->horizontalHeader()->setStretchLastSection(true);
    v->horizontalHeader()->setHighlightSections(false);
    v->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    v->setItemDelegate(new EntryDelegate(v));
    // The Entry column; Covers takes the rest (sections exist only once a model is set).
    const int entryWidth = fontMetrics().horizontalAdvance(QStringLiteral("2001:db8:ffff::/48")) + 24;
    v->horizontalHeader()->setDefaultSectionSize(entryWidth);

    QString cap = name;
    cap[0] = cap[0].toUpper();
    auto *a = new QPushButton(style()->standardIcon(QStyle::SP_FileDialogNewFolder), tr("Add"), box);
    a->setObjectName(QStringLiteral("add") + cap);
    auto *r = new QPushButton(style()->standardIcon(QStyle::SP_TrashIcon), tr("Remove"), box);
    r->setObjectName(QStringLiteral("remove") + cap);
    connect(a, &QPushButton::clicked, this, [this, v] { addEntry(v); });
    connect(r, &QPushButton::clicked, this, [this, v] { removeSelected(v); });

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(a);
    buttons->addWidget(r);
    buttons->addStretch(1);

    auto *layout = new QVBoxLayout(box);
    layout->addWidget(hintLabel);
    layout->addWidget(v, 1);
    layout->addLayout(buttons);

    *view = v;
    *add = a;
    *remove = r;
    return box;
}

void RelayListsPanel::buildUi()
{
    auto *title = new QLabel(tr("Relay IP lists"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);

    auto *explanation = new QLabel(tr("Clients in Allowed may relay to any domain; Denied wins; everyone else may "
                                      "only send to the accepted domains and gets 554 5.7.1 otherwise."),
                                   this);
    explanation->setObjectName(QStringLiteral("relayListsExplanation"));
    explanation->setWordWrap(true);

    m_listenerCombo = new QComboBox(this);
    m_listenerCombo->setObjectName(QStringLiteral("listenerCombo"));
    m_listenerCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_listenerCombo->setToolTip(tr("Each listener has its own lists; * marks unapplied changes"));
    connect(m_listenerCombo, &QComboBox::currentIndexChanged, this, &RelayListsPanel::setCurrentListener);
    m_listenerInfo = new QLabel(this);
    m_listenerInfo->setObjectName(QStringLiteral("listenerInfo"));
    m_listenerInfo->setStyleSheet(QStringLiteral("color: %1;").arg(kGray));

    auto *listenerBar = new QHBoxLayout;
    listenerBar->addWidget(new QLabel(tr("Listener:"), this));
    listenerBar->addWidget(m_listenerCombo);
    listenerBar->addSpacing(8);
    listenerBar->addWidget(m_listenerInfo, 1);

    QWidget *allowBox = buildList(tr("Allowed"), tr("May relay to any domain."), &m_allowView, &m_addAllow,
                                  &m_removeAllow, QStringLiteral("allow"));
    QWidget *denyBox = buildList(tr("Denied"), tr("Never relay, even when also in Allowed."), &m_denyView,
                                 &m_addDeny, &m_removeDeny, QStringLiteral("deny"));
    QWidget *domainBox = buildList(tr("Accepted domains (every listener)"),
                                   tr("Mail to these domains is accepted from anyone, e.g. example.com "
                                      "(exact domain; list subdomains separately)."),
                                   &m_domainView, &m_addDomain, &m_removeDomain, QStringLiteral("domain"));

    auto *lists = new QSplitter(Qt::Horizontal, this);
    lists->setChildrenCollapsible(false);
    lists->addWidget(allowBox);
    lists->addWidget(denyBox);

    auto *vertical = new QSplitter(Qt::Vertical, this);
    vertical->setChildrenCollapsible(false);
    vertical->addWidget(lists);
    vertical->addWidget(domainBox);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("relayListsStatus"));
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_revertButton = new QPushButton(style()->standardIcon(QStyle::SP_DialogResetButton), tr("Revert"), this);
    m_revertButton->setObjectName(QStringLiteral("revertRelayLists"));
    m_revertButton->setToolTip(tr("Discard the changes to every list"));
    connect(m_revertButton, &QPushButton::clicked, this, &RelayListsPanel::revert);
    m_applyButton = new QPushButton(style()->standardIcon(QStyle::SP_DialogApplyButton), tr("Apply"), this);
    m_applyButton->setObjectName(QStringLiteral("applyRelayLists"));
    m_applyButton->setToolTip(tr("Apply every list now (possible once every entry is valid)"));
    connect(m_applyButton, &QPushButton::clicked, this, &RelayListsPanel::apply);

    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_status, 1);
    bottom->addWidget(m_revertButton, 0, Qt::AlignTop);
    bottom->addWidget(m_applyButton, 0, Qt::AlignTop);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(explanation);
    layout->addLayout(listenerBar);
    layout->addWidget(vertical, 1);
    layout->addLayout(bottom);
}

void RelayListsPanel::showModel(QTableView *view, CidrListModel *model)
{
    if (view->model() == model)
        return;
    QItemSelectionModel *old = view->selectionModel();
    view->setModel(model);
    delete old; // QAbstractItemView::setModel() leaves the old one to us
    if (QItemSelectionModel *sel = view->selectionModel())
        connect(sel, &QItemSelectionModel::selectionChanged, this, &RelayListsPanel::updateState);
}

int RelayListsPanel::currentListener() const
{
    const int i = m_listenerCombo->currentIndex();
    return i >= 0 && i < m_lists.size() ? i : -1;
}

CidrListModel *RelayListsPanel::allowModel(int listener) const
{
    const int i = listener < 0 ? currentListener() : listener;
    return i >= 0 && i < m_lists.size() ? m_lists.at(i).allow : nullptr;
}

CidrListModel *RelayListsPanel::denyModel(int listener) const
{
    const int i = listener < 0 ? currentListener() : listener;
    return i >= 0 && i < m_lists.size() ? m_lists.at(i).deny : nullptr;
}

bool RelayListsPanel::isDirty() const
{
    if (m_domains->isDirty())
        return true;
    return std::any_of(m_lists.cbegin(), m_lists.cend(),
                       [](const ListenerLists &l) { return l.allow->isDirty() || l.deny->isDirty(); });
}

bool RelayListsPanel::hasErrors() const
{
    if (m_domains->hasErrors())
        return true;
    return std::any_of(m_lists.cbegin(), m_lists.cend(),
                       [](const ListenerLists &l) { return l.allow->hasErrors() || l.deny->hasErrors(); });
}

QStringList RelayListsPanel::errors() const
{
    QStringList out;
    // The listener shown first: its rows are the ones on screen.
    QVector<int> order;
    if (currentListener() >= 0)
        order << currentListener();
    for (int i = 0; i < m_lists.size(); ++i) {
        if (i != currentListener())
            order << i;
    }
    for (int i : order) {
        const QString name = m_config.listeners.at(i).name;
        for (const QString &e : m_lists.at(i).allow->errors())
            out << tr("Allowed (listener \"%1\"), %2").arg(name, e);
        for (const QString &e : m_lists.at(i).deny->errors())
            out << tr("Denied (listener \"%1\"), %2").arg(name, e);
    }
    for (const QString &e : m_domains->errors())
        out << tr("Accepted domains, %1").arg(e);
    return out;
}

ConfigSnapshot RelayListsPanel::pendingConfig() const
{
    ConfigSnapshot c = m_config;
    for (int i = 0; i < m_lists.size() && i < c.listeners.size(); ++i) {
        c.listeners[i].relayAllow = m_lists.at(i).allow->entries();
        c.listeners[i].relayDeny = m_lists.at(i).deny->entries();
    }
    c.acceptedDomains = m_domains->entries();
    return c;
}

bool RelayListsPanel::canApply() const
{
    return m_hasConfig && !m_applying && !hasErrors() && (isDirty() || m_lastApplyFailed);
}

void RelayListsPanel::setConfig(const ConfigSnapshot &config)
{
    const QString shownKey = currentListener() >= 0 ? m_lists.at(currentListener()).key : QString();
    m_config = config;
    m_hasConfig = true;
    m_note.clear();

    // Reuse each listener's models (matched by name, address and port): lists
    // with unapplied edits keep them unless the new configuration already has
    // exactly those entries; the others load the new entries.
    QVector<ListenerLists> old = m_lists;
    QVector<ListenerLists> next;
    next.reserve(config.listeners.size());
    for (const ListenerConfig &l : config.listeners) {
        ListenerLists lists;
        lists.key = listenerKey(l);
        const auto it = std::find_if(old.begin(), old.end(),
                                     [&lists](const ListenerLists &o) { return o.key == lists.key; });
        if (it != old.end()) {
            lists.allow = it->allow;
            lists.deny = it->deny;
            old.erase(it);
        } else {
            lists.allow = newModel(false);
            lists.deny = newModel(false);
        }
        if (!lists.allow->isDirty() || lists.allow->entries() == l.relayAllow)
            lists.allow->load(l.relayAllow);
        if (!lists.deny->isDirty() || lists.deny->entries() == l.relayDeny)
            lists.deny->load(l.relayDeny);
        next.append(lists);
    }
    m_lists = next;
    QStringList dropped;
    for (const ListenerLists &o : std::as_const(old)) {
        if (o.allow->isDirty() || o.deny->isDirty())
            dropped << o.key.section(QLatin1Char('|'), 0, 0);
        o.allow->deleteLater();
        o.deny->deleteLater();
    }
    if (!dropped.isEmpty()) {
        m_note = tr("Unapplied changes for %1 were dropped: the listener was changed or removed in Connectors.")
                     .arg(dropped.join(QStringLiteral(", ")));
    }
    if (!m_domains->isDirty() || m_domains->entries() == config.acceptedDomains)
        m_domains->load(config.acceptedDomains);

    int show = 0;
    for (int i = 0; i < m_lists.size(); ++i) {
        if (m_lists.at(i).key == shownKey)
            show = i;
    }
    {
        const QSignalBlocker block(m_listenerCombo);
        m_listenerCombo->clear();
        for (int i = 0; i < m_lists.size(); ++i)
            m_listenerCombo->addItem(QString());
        m_listenerCombo->setCurrentIndex(m_lists.isEmpty() ? -1 : show);
    }
    setCurrentListener(m_lists.isEmpty() ? -1 : show);
}

void RelayListsPanel::setCurrentListener(int index)
{
    if (index >= m_lists.size())
        return;
    if (m_listenerCombo->currentIndex() != index) {
        m_listenerCombo->setCurrentIndex(index); // re-enters through currentIndexChanged
        return;
    }
    showModel(m_allowView, allowModel(index));
    showModel(m_denyView, denyModel(index));
    if (index >= 0) {
        const ListenerConfig &l = m_config.listeners.at(index);
        m_listenerInfo->setText(
            l.role == QLatin1String("submission")
                ? tr("%1, submission: clients must authenticate first; Denied still refuses them").arg(endpoint(l))
                : tr("%1, relay").arg(endpoint(l)));
    } else {
        m_listenerInfo->setText(m_hasConfig ? tr("No listeners: add one in Connectors") : QString());
    }
    updateState();
}

void RelayListsPanel::addEntry(QTableView *view)
{
    auto *model = qobject_cast<CidrListModel *>(view->model());
    if (!model)
        return;
    const int row = model->addEntry();
    const QModelIndex idx = model->index(row, CidrListModel::Entry);
    view->setCurrentIndex(idx);
    view->scrollTo(idx);
    if (view->isVisible())
        view->edit(idx);
}

void RelayListsPanel::removeSelected(QTableView *view)
{
    auto *model = qobject_cast<CidrListModel *>(view->model());
    if (!model || !view->selectionModel())
        return;
    QList<int> rows;
    const QModelIndexList selected = view->selectionModel()->selectedRows();
    for (const QModelIndex &i : selected)
        rows << i.row();
    std::sort(rows.begin(), rows.end(), std::greater<int>());
    for (int r : rows)
        model->removeRows(r, 1);
}

void RelayListsPanel::apply()
{
    if (!canApply())
        return;
    m_applying = true;
    m_resultText.clear();
    m_note.clear();
    updateState();
    // With no engine the facade answers at once, inside this call.
    m_facade->applyConfig(pendingConfig());
}

void RelayListsPanel::revert()
{
    for (const ListenerLists &l : std::as_const(m_lists)) {
        l.allow->revertAll();
        l.deny->revertAll();
    }
    m_domains->revertAll();
    m_resultText.clear();
    m_note.clear();
    updateState();
}

void RelayListsPanel::onConfigApplied(bool ok, const QStringList &errors)
{
    if (!m_applying)
        return; // another panel's apply; its configLoaded() updates us
    m_applying = false;
    m_lastApplyFailed = !ok;
    if (ok) {
        m_resultText = tr("Applied: the relay lists and accepted domains are in force.");
        m_resultColor = kGreen;
    } else {
        m_resultText = tr("Apply failed: %1").arg(errors.isEmpty() ? tr("unknown error")
                                                                   : errors.join(QStringLiteral("; ")));
        m_resultColor = kRed;
    }
    updateState();
    m_facade->requestConfig();
}

void RelayListsPanel::refreshCombo()
{
    for (int i = 0; i < m_lists.size() && i < m_listenerCombo->count(); ++i) {
        const ListenerConfig &l = m_config.listeners.at(i);
        const ListenerLists &lists = m_lists.at(i);
        QString text = QStringLiteral("%1 (%2)").arg(l.name, endpoint(l));
        if (lists.allow->hasErrors() || lists.deny->hasErrors())
            text += QStringLiteral(" \u26a0");
        else if (lists.allow->isDirty() || lists.deny->isDirty())
            text += QStringLiteral(" *");
        if (m_listenerCombo->itemText(i) != text)
            m_listenerCombo->setItemText(i, text);
    }
}

void RelayListsPanel::setStatus(const QString &text, const QString &color)
{
    m_status->setText(text);
    m_status->setStyleSheet(color.isEmpty() ? QString() : QStringLiteral("color: %1;").arg(color));
}

void RelayListsPanel::updateState()
{
    refreshCombo();
    const bool listener = currentListener() >= 0;
    m_listenerCombo->setEnabled(m_hasConfig && !m_lists.isEmpty());
    auto hasSelection = [](QTableView *v) { return v->selectionModel() && v->selectionModel()->hasSelection(); };
    m_addAllow->setEnabled(listener);
    m_addDeny->setEnabled(listener);
    m_removeAllow->setEnabled(listener && hasSelection(m_allowView));
    m_removeDeny->setEnabled(listener && hasSelection(m_denyView));
    m_addDomain->setEnabled(m_hasConfig);
    m_removeDomain->setEnabled(m_hasConfig && hasSelection(m_domainView));
    const bool dirty = isDirty();
    m_revertButton->setEnabled(m_hasConfig && dirty && !m_applying);
    m_applyButton->setEnabled(canApply());

    if (!m_hasConfig) {
        setStatus(tr("Waiting for the configuration from the engine\u2026"), kGray);
        return;
    }
    if (m_applying) {
        setStatus(tr("Applying\u2026"), kGray);
        return;
    }
    const QStringList problems = errors();
    if (!problems.isEmpty()) {
        QString text = problems.first();
        if (problems.size() > 1)
            text += QLatin1Char('\n') + tr("(%n more invalid entry(s))", nullptr, int(problems.size()) - 1);
        text += QLatin1Char('\n') + tr("Nothing is applied until every entry is valid.");
        setStatus(text, kRed);
        return;
    }
    QStringList lines;
    QString color;
    if (!m_resultText.isEmpty()) {
        lines << m_resultText;
        color = m_resultColor;
    }
    if (!m_note.isEmpty()) {
        lines << m_note;
        color = color.isEmpty() ? kRed : color;
    }
    if (dirty)
        lines << tr("Changes are not applied yet: Apply makes them take effect, Revert discards them.");
    setStatus(lines.join(QLatin1Char('\n')), color.isEmpty() ? kGray : color);
}

} // namespace rd::ui

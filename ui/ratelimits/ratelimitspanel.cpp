#include "ratelimits/ratelimitspanel.h"

#include "ratelimits/limitusagemodel.h"
#include "ratelimits/ratelimitdelegates.h"
#include "ratelimits/ratelimitmodel.h"
#include "ratelimits/ratelimitpresets.h"

#include "config/settings.h"
#include "engine/enginefacade.h"

#include <QDateTime>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace rd::ui {

using rd::config::ConfigSnapshot;
using rd::config::RateLimitRule;
namespace keys = rd::config::keys;

namespace {

const QString kRed = QStringLiteral("#b01e1e");
const QString kGreen = QStringLiteral("#1b7a2b");
const QString kGray = QStringLiteral("#606060");

QLabel *hint(const QString &text, QWidget *parent)
{
    auto *l = new QLabel(text, parent);
    l->setWordWrap(true);
    l->setStyleSheet(QStringLiteral("color: %1;").arg(kGray));
    return l;
}

void setupTable(QTableView *v)
{
    v->setSelectionBehavior(QAbstractItemView::SelectRows);
    v->setAlternatingRowColors(true);
    v->setWordWrap(false);
    v->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    v->verticalHeader()->setDefaultSectionSize(v->fontMetrics().height() + 10);
    v->verticalHeader()->setDefaultAlignment(Qt::AlignCenter);
    v->horizontalHeader()->setHighlightSections(false);
    v->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    v->horizontalHeader()->setStretchLastSection(true);
}

} // namespace

RateLimitsPanel::RateLimitsPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_facade(facade)
    , m_model(new RateLimitModel(this))
    , m_usage(new LimitUsageModel(this))
{
    setObjectName(QStringLiteral("rateLimitsPanel"));
    m_timer = new QTimer(this);
    m_timer->setInterval(RefreshIntervalMs);
    connect(m_timer, &QTimer::timeout, this, &RateLimitsPanel::refreshNow);
    buildUi();

    connect(m_model, &RateLimitModel::stateChanged, this, &RateLimitsPanel::updateState);
    connect(m_facade, &rd::engine::EngineFacade::configLoaded, this, &RateLimitsPanel::setConfig);
    connect(m_facade, &rd::engine::EngineFacade::configApplied, this, &RateLimitsPanel::onConfigApplied);
    connect(m_facade, &rd::engine::EngineFacade::policyStatusReady, this, &RateLimitsPanel::setPolicyStatus);

    updateState();
    m_facade->requestConfig();
}

RateLimitsPanel::~RateLimitsPanel() = default;

// --- Layout ---------------------------------------------------------------

void RateLimitsPanel::buildUi()
{
    auto *title = new QLabel(tr("Rate limits"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);

    auto *explanation = new QLabel(
        tr("A relay that is misused gets blacklisted within hours. Inbound limits (client IP, user, sender) "
           "answer with a temporary 4xx reply naming the limit; outbound throttles (send connector, destination "
           "domain) keep mail waiting in the queue. A specific subject overrides the \u201c*\u201d rule of the "
           "same kind."),
        this);
    explanation->setWordWrap(true);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(buildLimits());
    splitter->addWidget(buildNow());
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("rateLimitsStatus"));
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_revert = new QPushButton(style()->standardIcon(QStyle::SP_DialogResetButton), tr("Revert"), this);
    m_revert->setObjectName(QStringLiteral("revertRateLimits"));
    m_revert->setToolTip(tr("Discard the changes"));
    connect(m_revert, &QPushButton::clicked, this, &RateLimitsPanel::revert);
    m_apply = new QPushButton(style()->standardIcon(QStyle::SP_DialogApplyButton), tr("Apply"), this);
    m_apply->setObjectName(QStringLiteral("applyRateLimits"));
    m_apply->setToolTip(tr("Apply the limits now (possible once every rule is valid)"));
    connect(m_apply, &QPushButton::clicked, this, &RateLimitsPanel::apply);

    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_status, 1);
    bottom->addWidget(m_revert, 0, Qt::AlignTop);
    bottom->addWidget(m_apply, 0, Qt::AlignTop);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(explanation);
    layout->addWidget(splitter, 1);
    layout->addLayout(bottom);
}

QWidget *RateLimitsPanel::buildLimits()
{
    auto *box = new QGroupBox(tr("Limits"), this);
    m_view = new QTableView(box);
    m_view->setObjectName(QStringLiteral("rateLimitsTable"));
    setupTable(m_view);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::SelectedClicked
                            | QAbstractItemView::EditKeyPressed | QAbstractItemView::AnyKeyPressed);
    m_view->setItemDelegate(new ChoiceDelegate(m_view));
    m_view->setModel(m_model);
    const QFontMetrics fm = fontMetrics();
    m_view->setColumnWidth(RateLimitModel::Scope, fm.horizontalAdvance(tr("Destination domain (outbound)")) + 30);
    m_view->setColumnWidth(RateLimitModel::Subject, fm.horizontalAdvance(QStringLiteral("2001:db8:ffff::/48")) + 24);
    m_view->setColumnWidth(RateLimitModel::Metric, fm.horizontalAdvance(tr("New connections")) + 30);
    m_view->setColumnWidth(RateLimitModel::Window, fm.horizontalAdvance(tr("per minute")) + 30);
    m_view->setColumnWidth(RateLimitModel::Maximum, fm.horizontalAdvance(QStringLiteral("100,000,000")) + 20);
    m_view->setColumnWidth(RateLimitModel::Enabled, fm.horizontalAdvance(tr("On")) + 30);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RateLimitsPanel::updateState);

    m_presetMenu = new QMenu(this);
    m_presetMenu->setObjectName(QStringLiteral("rateLimitPresetMenu"));
    m_presetMenu->setToolTipsVisible(true);
    connect(m_presetMenu, &QMenu::aboutToShow, this, [this] {
        m_presetMenu->clear();
        const QList<RateLimitPreset> presets = RateLimitPresets::all(m_config.sendConnectors);
        for (int i = 0; i < presets.size(); ++i) {
            QAction *a = m_presetMenu->addAction(presets.at(i).label, this, [this, i] { addPreset(i); });
            a->setToolTip(presets.at(i).explanation);
        }
    });
    m_presetButton = new QToolButton(box);
    m_presetButton->setObjectName(QStringLiteral("rateLimitPresets"));
    m_presetButton->setText(tr("Add preset"));
    m_presetButton->setPopupMode(QToolButton::InstantPopup);
    m_presetButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_presetButton->setMenu(m_presetMenu);

    m_add = new QPushButton(style()->standardIcon(QStyle::SP_FileDialogNewFolder), tr("Add"), box);
    m_add->setObjectName(QStringLiteral("addRateLimit"));
    connect(m_add, &QPushButton::clicked, this, [this] { addRule(); });
    m_remove = new QPushButton(style()->standardIcon(QStyle::SP_TrashIcon), tr("Remove"), box);
    m_remove->setObjectName(QStringLiteral("removeRateLimit"));
    connect(m_remove, &QPushButton::clicked, this, &RateLimitsPanel::removeSelected);
    m_up = new QPushButton(style()->standardIcon(QStyle::SP_ArrowUp), tr("Up"), box);
    m_up->setObjectName(QStringLiteral("moveRateLimitUp"));
    connect(m_up, &QPushButton::clicked, this, [this] { moveSelected(-1); });
    m_down = new QPushButton(style()->standardIcon(QStyle::SP_ArrowDown), tr("Down"), box);
    m_down->setObjectName(QStringLiteral("moveRateLimitDown"));
    connect(m_down, &QPushButton::clicked, this, [this] { moveSelected(1); });

    const rd::config::SettingDef *def = rd::config::findSetting(QString::fromLatin1(keys::kMaxSessionsPerIp));
    m_perIp = new QSpinBox(box);
    m_perIp->setObjectName(QStringLiteral("maxSessionsPerIp"));
    m_perIp->setRange(def ? int(def->min) : 1, def ? int(def->max) : 100000);
    m_perIp->setToolTip(def ? def->description : QString());
    connect(m_perIp, &QSpinBox::valueChanged, this, &RateLimitsPanel::updateState);
    m_perIpNote = hint(QString(), box);
    m_perIpNote->setWordWrap(false);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_presetButton);
    buttons->addWidget(m_add);
    buttons->addWidget(m_remove);
    buttons->addWidget(m_up);
    buttons->addWidget(m_down);
    buttons->addStretch(1);
    buttons->addWidget(new QLabel(tr("Sessions at once per client IP:"), box));
    buttons->addWidget(m_perIp);
    buttons->addWidget(m_perIpNote);

    auto *layout = new QVBoxLayout(box);
    layout->addWidget(m_view, 1);
    layout->addLayout(buttons);
    return box;
}

QWidget *RateLimitsPanel::buildNow()
{
    auto *box = new QGroupBox(tr("Now"), this);
    m_nowProxy = new QSortFilterProxyModel(this);
    m_nowProxy->setSourceModel(m_usage);
    m_nowProxy->setSortRole(LimitUsageModel::SortRole);
    m_nowProxy->setDynamicSortFilter(true);
    m_nowView = new QTableView(box);
    m_nowView->setObjectName(QStringLiteral("rateLimitsNowTable"));
    setupTable(m_nowView);
    m_nowView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_nowView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_nowView->setSortingEnabled(true);
    m_nowView->setModel(m_nowProxy);
    m_nowView->sortByColumn(LimitUsageModel::Used, Qt::DescendingOrder);
    m_nowView->setItemDelegateForColumn(LimitUsageModel::Used, new UsageBarDelegate(m_nowView));
    m_nowView->horizontalHeader()->setStretchLastSection(false);
    m_nowView->horizontalHeader()->setSectionResizeMode(LimitUsageModel::Rule, QHeaderView::Stretch);
    const QFontMetrics fm = fontMetrics();
    m_nowView->setColumnWidth(LimitUsageModel::Subject, fm.horizontalAdvance(QStringLiteral("Sender someone@example.com")) + 20);
    m_nowView->setColumnWidth(LimitUsageModel::Used, fm.horizontalAdvance(QStringLiteral("10,000 / 10,000")) + 40);
    m_nowView->setColumnWidth(LimitUsageModel::Refused, fm.horizontalAdvance(tr("Refused")) + 24);
    m_nowView->setColumnWidth(LimitUsageModel::Resets, fm.horizontalAdvance(tr("Frees up in")) + 24);
    m_nowView->verticalHeader()->hide();

    m_nowSummary = hint(QString(), box);
    m_nowSummary->setObjectName(QStringLiteral("rateLimitsNowSummary"));

    auto *layout = new QVBoxLayout(box);
    layout->addWidget(m_nowView, 1);
    layout->addWidget(m_nowSummary);
    return box;
}

// --- State ----------------------------------------------------------------

bool RateLimitsPanel::isDirty() const
{
    return m_model->isDirty() || (m_hasConfig && m_perIp->value() != loadedMaxSessionsPerIp());
}

bool RateLimitsPanel::hasErrors() const
{
    return m_model->hasErrors();
}

QStringList RateLimitsPanel::errors() const
{
    return m_model->errors();
}

int RateLimitsPanel::loadedMaxSessionsPerIp() const
{
    return int(m_config.intValue(keys::kMaxSessionsPerIp));
}

ConfigSnapshot RateLimitsPanel::pendingConfig() const
{
    ConfigSnapshot c = m_config;
    c.rateLimits = m_model->items();
    QString error;
    if (m_perIp->value() != loadedMaxSessionsPerIp())
        c.setValue(QString::fromLatin1(keys::kMaxSessionsPerIp), m_perIp->value(), &error); // the spin box keeps it in range
    return c;
}

bool RateLimitsPanel::canApply() const
{
    return m_hasConfig && !m_applying && !hasErrors() && (isDirty() || m_lastApplyFailed);
}

QString RateLimitsPanel::statusText() const
{
    return m_status->text();
}

QString RateLimitsPanel::nowSummary() const
{
    return m_nowSummary->text();
}

bool RateLimitsPanel::isPolling() const
{
    return m_timer->isActive();
}

QStringList RateLimitsPanel::presetLabels() const
{
    QStringList out;
    for (const RateLimitPreset &p : RateLimitPresets::all(m_config.sendConnectors))
        out << p.label;
    return out;
}

void RateLimitsPanel::setConfig(const ConfigSnapshot &config)
{
    const bool perIpEdited = m_hasConfig && m_perIp->value() != loadedMaxSessionsPerIp();
    m_config = config;
    m_hasConfig = true;
    // Unapplied edits are kept unless the new configuration already has them.
    if (!m_model->isDirty() || m_model->items() == config.rateLimits)
        m_model->load(config.rateLimits);
    if (!perIpEdited) {
        const QSignalBlocker block(m_perIp);
        m_perIp->setValue(loadedMaxSessionsPerIp());
    }
    updateState();
}

void RateLimitsPanel::setPolicyStatus(const rd::policy::PolicyStatus &status)
{
    m_usage->setUsage(status.usage);
    const int rows = m_usage->rowCount();
    QStringList parts;
    if (rows == 0) {
        parts << tr("Nobody is being counted right now.");
    } else {
        parts << (rows == 1 ? tr("1 counter") : tr("%1 counters").arg(QLocale().toString(rows)));
        if (const int near = m_usage->nearCount())
            parts << tr("%n near the limit", nullptr, near);
        if (const int over = m_usage->overCount())
            parts << tr("%n at the limit", nullptr, over);
    }
    m_nowSummary->setText(tr("%1 Updated %2.")
                              .arg(parts.join(QStringLiteral("; ")) + (rows ? QStringLiteral(".") : QString()),
                                   QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))));
}

void RateLimitsPanel::refreshNow()
{
    m_facade->requestPolicyStatus(); // with no engine the (empty) answer comes inside this call
}

int RateLimitsPanel::addRule()
{
    if (!m_hasConfig)
        return -1;
    const int row = m_model->addItem(RateLimitRule{});
    const QModelIndex idx = m_model->index(row, RateLimitModel::Subject);
    m_view->setCurrentIndex(idx);
    m_view->scrollTo(idx);
    return row;
}

int RateLimitsPanel::addPreset(int index)
{
    const QList<RateLimitPreset> presets = RateLimitPresets::all(m_config.sendConnectors);
    if (!m_hasConfig || index < 0 || index >= presets.size())
        return -1;
    const QList<RateLimitRule> existing = m_model->items();
    int first = -1;
    for (const RateLimitRule &r : presets.at(index).rules) {
        if (existing.contains(r))
            continue;
        const int row = m_model->addItem(r);
        if (first < 0)
            first = row;
    }
    m_resultText = first < 0 ? tr("%1: already in the table.").arg(presets.at(index).label)
                             : presets.at(index).explanation;
    m_resultColor = kGray;
    if (first >= 0) {
        m_view->setCurrentIndex(m_model->index(first, RateLimitModel::Subject));
        m_view->scrollTo(m_model->index(first, 0));
    }
    updateState();
    return first;
}

void RateLimitsPanel::removeSelected()
{
    const QModelIndex current = m_view->currentIndex();
    if (!current.isValid() || !m_view->selectionModel()->isRowSelected(current.row(), {}))
        return;
    m_model->removeRows(current.row(), 1);
}

void RateLimitsPanel::moveSelected(int delta)
{
    const QModelIndex current = m_view->currentIndex();
    if (!current.isValid())
        return;
    const int row = current.row();
    if (m_model->moveRow(row, delta)) {
        const QModelIndex moved = m_model->index(row + delta, current.column());
        m_view->setCurrentIndex(moved);
        m_view->selectionModel()->select(moved, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    }
}

void RateLimitsPanel::setMaxSessionsPerIp(int sessions)
{
    m_perIp->setValue(sessions);
}

void RateLimitsPanel::apply()
{
    if (!canApply())
        return;
    m_applying = true;
    m_resultText.clear();
    updateState();
    m_facade->applyConfig(pendingConfig()); // with no engine the answer comes inside this call
}

void RateLimitsPanel::revert()
{
    m_model->revertAll();
    {
        const QSignalBlocker block(m_perIp);
        m_perIp->setValue(loadedMaxSessionsPerIp());
    }
    m_resultText.clear();
    updateState();
}

void RateLimitsPanel::onConfigApplied(bool ok, const QStringList &errors)
{
    if (!m_applying)
        return; // another panel's apply; its configLoaded() updates us
    m_applying = false;
    m_lastApplyFailed = !ok;
    if (ok) {
        m_resultText = tr("Applied: the limits are in force for new commands and deliveries.");
        m_resultColor = kGreen;
    } else {
        m_resultText = tr("Apply failed: %1").arg(errors.isEmpty() ? tr("unknown error")
                                                                   : errors.join(QStringLiteral("; ")));
        m_resultColor = kRed;
    }
    updateState();
    m_facade->requestConfig();
}

void RateLimitsPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_timer->start();
    refreshNow();
}

void RateLimitsPanel::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_timer->stop();
}

void RateLimitsPanel::setStatus(const QString &text, const QString &color)
{
    m_status->setText(text);
    m_status->setStyleSheet(color.isEmpty() ? QString() : QStringLiteral("color: %1;").arg(color));
}

void RateLimitsPanel::updateState()
{
    const QModelIndex current = m_view->currentIndex();
    const bool selected = current.isValid() && m_view->selectionModel()->isRowSelected(current.row(), {});
    m_presetButton->setEnabled(m_hasConfig);
    m_add->setEnabled(m_hasConfig);
    m_remove->setEnabled(m_hasConfig && selected);
    m_up->setEnabled(m_hasConfig && selected && current.row() > 0);
    m_down->setEnabled(m_hasConfig && selected && current.row() < m_model->rowCount() - 1);
    m_perIp->setEnabled(m_hasConfig);
    const bool perIpDirty = m_hasConfig && m_perIp->value() != loadedMaxSessionsPerIp();
    m_perIpNote->setText(perIpDirty ? tr("* (was %1)").arg(loadedMaxSessionsPerIp()) : QString());
    const bool dirty = isDirty();
    m_revert->setEnabled(m_hasConfig && dirty && !m_applying);
    m_apply->setEnabled(canApply());

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
            text += QLatin1Char('\n') + tr("(%n more problem(s))", nullptr, int(problems.size()) - 1);
        text += QLatin1Char('\n') + tr("Nothing is applied until every rule is valid.");
        setStatus(text, kRed);
        return;
    }
    QStringList lines;
    QString color = kGray;
    if (!m_resultText.isEmpty()) {
        lines << m_resultText;
        color = m_resultColor;
    }
    if (dirty)
        lines << tr("Changes are not applied yet: Apply makes them take effect, Revert discards them.");
    if (lines.isEmpty() && m_model->rowCount() == 0)
        lines << tr("No limits yet: \u201cAdd preset\u201d offers common ones.");
    setStatus(lines.join(QLatin1Char('\n')), color);
}

} // namespace rd::ui

#include "queue/queuepanel.h"

#include "queue/queuedetailpane.h"
#include "queue/queuemodel.h"
#include "queue/queueshapeview.h"

#include "engine/enginefacade.h"
#include "queue/queuereader.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QMetaObject>
#include <QPushButton>
#include <QScrollBar>
#include <QSplitter>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace rd::ui {

using rd::queue::MessageState;

namespace {

// Normalized signatures of the facade slots bounce needs (see the header).
const char kBounceSlot[] = "bounce(QStringList)";
const char kRemoveWithBounceSlot[] = "remove(QStringList,bool)";

QString needsEngineTip()
{
    return QueuePanel::tr("Not available: this engine cannot send bounces yet.");
}

QString countText(int n)
{
    return n == 1 ? QueuePanel::tr("1 message") : QueuePanel::tr("%1 messages").arg(QLocale().toString(n));
}

} // namespace

QueuePanel::QueuePanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_facade(facade)
    , m_model(new QueueModel(facade->dataDir(), this))
{
    setObjectName(QStringLiteral("queuePanel"));
    buildUi();

    m_filterTimer.setSingleShot(true);
    m_filterTimer.setInterval(FilterDelayMs);
    connect(&m_filterTimer, &QTimer::timeout, this, &QueuePanel::applyFilter);
    m_detailTimer.setSingleShot(true);
    m_detailTimer.setInterval(50);
    connect(&m_detailTimer, &QTimer::timeout, this, &QueuePanel::showDetail);

    connect(m_facade, &rd::engine::EngineFacade::queueChanged, this, &QueuePanel::onQueueChanged);
    connect(m_facade, &rd::engine::EngineFacade::actionFinished, this, &QueuePanel::onActionFinished);

    connect(m_model, &QAbstractItemModel::layoutAboutToBeChanged, this, &QueuePanel::rememberScroll);
    connect(m_model, &QueueModel::refreshed, this, [this] {
        restoreScroll();
        updateCountLabel();
        updateButtons();
        // The current message may have changed state or left the queue.
        scheduleDetail();
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &QueuePanel::updateButtons);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &QueuePanel::scheduleDetail);

    updateCountLabel();
    updateButtons();
}

QueuePanel::~QueuePanel() = default;

QPushButton *QueuePanel::makeButton(const QString &objectName, const QString &text, int icon, const QString &tip)
{
    auto *b = new QPushButton(style()->standardIcon(QStyle::StandardPixmap(icon)), text, this);
    b->setObjectName(objectName);
    b->setToolTip(tip);
    return b;
}

void QueuePanel::buildUi()
{
    auto *title = new QLabel(tr("Queue"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);

    // Filter bar: every field narrows the list (all must match).
    m_stateCombo = new QComboBox(this);
    m_stateCombo->setObjectName(QStringLiteral("stateFilter"));
    m_stateCombo->addItem(tr("All"), -1);
    for (MessageState s : {MessageState::Queued, MessageState::InDelivery, MessageState::Deferred,
                           MessageState::Held, MessageState::Failed})
        m_stateCombo->addItem(QueueModel::stateLabel(s), int(s));
    connect(m_stateCombo, &QComboBox::currentIndexChanged, this, &QueuePanel::applyFilter);

    auto makeFilter = [this](const QString &name, const QString &placeholder, const QString &tip) {
        auto *edit = new QLineEdit(this);
        edit->setObjectName(name);
        edit->setPlaceholderText(placeholder);
        edit->setToolTip(tip);
        edit->setClearButtonEnabled(true);
        connect(edit, &QLineEdit::textChanged, this, [this] { m_filterTimer.start(); });
        return edit;
    };
    m_domainFilter = makeFilter(QStringLiteral("domainFilter"), tr("Recipient domain"),
                                tr("Messages with a recipient in exactly this domain (not its subdomains)"));
    m_senderFilter = makeFilter(QStringLiteral("senderFilter"), tr("Sender"),
                                tr("Part of the envelope sender, e.g. \"@example.com\"; <> for bounces"));
    m_textFilter = makeFilter(QStringLiteral("queueFilter"), tr("Sender, recipient, queue ID, subject or error"),
                              tr("Part of the sender, a recipient, the queue ID, the subject or the last error"));

    auto *filterBar = new QHBoxLayout;
    filterBar->addWidget(new QLabel(tr("State:"), this));
    filterBar->addWidget(m_stateCombo);
    filterBar->addSpacing(8);
    filterBar->addWidget(m_domainFilter, 1);
    filterBar->addWidget(m_senderFilter, 1);
    filterBar->addWidget(m_textFilter, 2);

    // Count and actions.
    m_countLabel = new QLabel(this);
    m_countLabel->setObjectName(QStringLiteral("queueCount"));
    m_selectionLabel = new QLabel(this);
    m_selectionLabel->setObjectName(QStringLiteral("queueSelection"));
    m_actionLabel = new QLabel(this);
    m_actionLabel->setObjectName(QStringLiteral("queueActionResult"));
    m_actionLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_retryButton = makeButton(QStringLiteral("retryButton"), tr("Retry now"), QStyle::SP_BrowserReload,
                               tr("Attempt delivery of the selected messages now"));
    m_holdButton = makeButton(QStringLiteral("holdButton"), tr("Hold"), QStyle::SP_MediaPause,
                              tr("Keep the selected messages in the queue without delivering them"));
    m_releaseButton = makeButton(QStringLiteral("releaseButton"), tr("Release"), QStyle::SP_MediaPlay,
                                 tr("Let held messages be delivered again"));
    m_bounceButton = makeButton(QStringLiteral("bounceButton"), tr("Bounce"), QStyle::SP_ArrowBack,
                                tr("Return the selected messages to their senders with a non-delivery report"));
    m_deleteButton = makeButton(QStringLiteral("deleteButton"), tr("Delete…"), QStyle::SP_TrashIcon,
                                tr("Remove the selected messages from the queue"));
    connect(m_retryButton, &QPushButton::clicked, this, &QueuePanel::retrySelected);
    connect(m_holdButton, &QPushButton::clicked, this, &QueuePanel::holdSelected);
    connect(m_releaseButton, &QPushButton::clicked, this, &QueuePanel::releaseSelected);
    connect(m_bounceButton, &QPushButton::clicked, this, &QueuePanel::bounceSelected);
    connect(m_deleteButton, &QPushButton::clicked, this, &QueuePanel::deleteSelected);
    if (!canBounce())
        m_bounceButton->setToolTip(needsEngineTip());

    auto *actionBar = new QHBoxLayout;
    actionBar->addWidget(m_countLabel);
    actionBar->addSpacing(12);
    actionBar->addWidget(m_selectionLabel);
    actionBar->addSpacing(12);
    actionBar->addWidget(m_actionLabel, 1);
    for (QPushButton *b : {m_retryButton, m_holdButton, m_releaseButton, m_bounceButton, m_deleteButton})
        actionBar->addWidget(b);

    // Table.
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("queueTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_table->setVerticalScrollMode(QAbstractItemView::ScrollPerItem);
    m_table->verticalHeader()->hide();
    // Fixed row heights: the view never measures rows it does not show.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    auto *header = m_table->horizontalHeader();
    header->setStretchLastSection(true);
    header->setHighlightSections(false);
    header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    const int columnWidths[QueueModel::ColumnCount] = {135, 165, 190, 65, 85, 85, 65, 95, 200};
    for (int c = 0; c < QueueModel::ColumnCount; ++c)
        m_table->setColumnWidth(c, columnWidths[c]);
    // Queue ids are 16 characters of [0-9A-Z]: never elide them.
    m_table->setColumnWidth(QueueModel::QueueId,
                            fontMetrics().horizontalAdvance(QStringLiteral("0M8W7Q40HJ0VKX8Q")) + 20);

    auto addTableAction = [this](QPushButton *button, const QKeySequence &key = {}) {
        auto *a = new QAction(button->icon(), button->text(), m_table);
        a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetShortcut);
        a->setToolTip(button->toolTip());
        connect(a, &QAction::triggered, button, &QPushButton::click);
        m_table->addAction(a);
    };
    addTableAction(m_retryButton);
    addTableAction(m_holdButton);
    addTableAction(m_releaseButton);
    addTableAction(m_bounceButton);
    addTableAction(m_deleteButton, QKeySequence::Delete);

    m_detail = new QueueDetailPane(this);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_table);
    splitter->addWidget(m_detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *listPage = new QWidget(this);
    auto *listLayout = new QVBoxLayout(listPage);
    listLayout->setContentsMargins(0, 0, 0, 0);
    listLayout->addLayout(filterBar);
    listLayout->addLayout(actionBar);
    listLayout->addWidget(splitter, 1);

    m_shapeView = new QueueShapeView(m_facade->dataDir(), this);
    connect(m_shapeView, &QueueShapeView::cellChosen, this, &QueuePanel::showShapeCell);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("queueViews"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(listPage, tr("Messages"));
    m_tabs->addTab(m_shapeView, tr("Shape"));
    m_tabs->setTabToolTip(1, tr("Queued recipients by domain and age (as Postfix qshape):"
                                " the first thing to open when mail is stuck"));
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        if (m_tabs->widget(index) == m_shapeView)
            m_shapeView->refresh();
    });

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(m_tabs, 1);
}

void QueuePanel::showShapeCell(const QString &domain, qint64 minAgeMs, qint64 maxAgeMs, bool senderDomain,
                               bool other)
{
    // The folded "other" row and the TOTAL row list the whole queue.
    const QString d = other ? QString() : domain;
    m_stateCombo->setCurrentIndex(0);
    m_textFilter->clear();
    if (senderDomain) {
        m_domainFilter->clear();
        m_senderFilter->setText(d.isEmpty() ? QString() : (d == QLatin1String("<>") ? d : QLatin1Char('@') + d));
    } else {
        m_senderFilter->clear();
        m_domainFilter->setText(d);
    }
    m_shapeAgeMinMs = minAgeMs;
    m_shapeAgeMaxMs = maxAgeMs;
    applyFilter();
    m_tabs->setCurrentIndex(0);
}

void QueuePanel::showShape()
{
    m_tabs->setCurrentWidget(m_shapeView);
}

bool QueuePanel::canBounce() const
{
    return m_facade->metaObject()->indexOfMethod(kBounceSlot) >= 0;
}

bool QueuePanel::canDeleteWithBounce() const
{
    return m_facade->metaObject()->indexOfMethod(kRemoveWithBounceSlot) >= 0;
}

QStringList QueuePanel::selectedQueueIds() const
{
    return m_model->queueIds(m_table->selectionModel()->selection());
}

void QueuePanel::retrySelected()
{
    const QStringList ids = selectedQueueIds();
    if (!ids.isEmpty())
        m_facade->retryNow(ids);
}

void QueuePanel::holdSelected()
{
    const QStringList ids = selectedQueueIds();
    if (!ids.isEmpty())
        m_facade->hold(ids);
}

void QueuePanel::releaseSelected()
{
    const QStringList ids = selectedQueueIds();
    if (!ids.isEmpty())
        m_facade->release(ids);
}

void QueuePanel::bounceSelected()
{
    const QStringList ids = selectedQueueIds();
    if (ids.isEmpty() || !canBounce())
        return;
    const QString question = ids.size() == 1 ? tr("Bounce message %1?").arg(ids.first())
                                             : tr("Bounce %1?").arg(countText(int(ids.size())));
    QMessageBox box(QMessageBox::Question, tr("Bounce messages"), question, QMessageBox::Yes | QMessageBox::Cancel,
                    this);
    box.setInformativeText(tr("Each sender gets a non-delivery report and the messages leave the queue."));
    box.button(QMessageBox::Yes)->setText(tr("Bounce"));
    box.setDefaultButton(QMessageBox::Cancel);
    if (box.exec() == QMessageBox::Yes)
        QMetaObject::invokeMethod(m_facade, "bounce", Qt::DirectConnection, Q_ARG(QStringList, ids));
}

void QueuePanel::deleteSelected()
{
    const QStringList ids = selectedQueueIds();
    if (ids.isEmpty())
        return;
    const QString question = ids.size() == 1 ? tr("Delete message %1 from the queue?").arg(ids.first())
                                             : tr("Delete %1 from the queue?").arg(countText(int(ids.size())));
    QMessageBox box(QMessageBox::Question, tr("Delete messages"), question, QMessageBox::Yes | QMessageBox::Cancel,
                    this);
    box.setInformativeText(tr("They will not be delivered. This cannot be undone."));
    box.button(QMessageBox::Yes)->setText(tr("Delete"));
    box.setDefaultButton(QMessageBox::Cancel);
    auto *withBounce = new QCheckBox(tr("Send a bounce (non-delivery report) to the sender"), &box);
    withBounce->setObjectName(QStringLiteral("deleteWithBounce"));
    if (!canDeleteWithBounce()) {
        withBounce->setEnabled(false);
        withBounce->setToolTip(needsEngineTip());
    }
    box.setCheckBox(withBounce);
    if (box.exec() != QMessageBox::Yes)
        return;
    if (canDeleteWithBounce())
        QMetaObject::invokeMethod(m_facade, "remove", Qt::DirectConnection, Q_ARG(QStringList, ids),
                                  Q_ARG(bool, withBounce->isChecked()));
    else
        m_facade->remove(ids);
}

void QueuePanel::applyFilter()
{
    m_filterTimer.stop();
    rd::queue::QueueFilter f;
    f.state = m_stateCombo->currentData().toInt();
    f.domain = m_domainFilter->text().trimmed();
    f.sender = m_senderFilter->text().trimmed();
    f.text = m_textFilter->text().trimmed();
    m_model->setFilter(f);
}

void QueuePanel::onQueueChanged()
{
    // Hidden: no reads at all while the engine is busy; one refresh when shown.
    if (isVisible())
        m_model->scheduleRefresh();
    else
        m_stale = true;
}

void QueuePanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_stale) {
        m_stale = false;
        m_model->scheduleRefresh();
    }
}

void QueuePanel::rememberScroll()
{
    const QScrollBar *bar = m_table->verticalScrollBar();
    m_atBottom = bar->maximum() > 0 && bar->value() == bar->maximum();
    m_topAnchor = m_table->indexAt(QPoint(0, 0));
}

void QueuePanel::restoreScroll()
{
    if (m_atBottom) {
        m_table->scrollToBottom();
    } else if (m_topAnchor.isValid() && m_table->rowAt(0) != m_topAnchor.row()) {
        m_table->scrollTo(m_topAnchor, QAbstractItemView::PositionAtTop);
    }
    m_atBottom = false;
    m_topAnchor = QPersistentModelIndex();
}

void QueuePanel::updateCountLabel()
{
    if (!m_model->isOpen()) {
        m_countLabel->setText(tr("Queue not available: %1").arg(m_model->errorString()));
        return;
    }
    m_countLabel->setText(countText(m_model->rowCount()));
}

void QueuePanel::updateButtons()
{
    int selected = 0;
    const QItemSelection selection = m_table->selectionModel()->selection();
    for (const QItemSelectionRange &r : selection)
        selected += r.height();
    m_selectionLabel->setText(selected ? tr("%1 selected").arg(QLocale().toString(selected)) : QString());

    const bool any = selected > 0;
    for (QPushButton *b : {m_retryButton, m_holdButton, m_releaseButton, m_deleteButton})
        b->setEnabled(any);
    m_bounceButton->setEnabled(any && canBounce());
    const auto actions = m_table->actions();
    const QList<QPushButton *> buttons{m_retryButton, m_holdButton, m_releaseButton, m_bounceButton, m_deleteButton};
    for (int i = 0; i < actions.size() && i < buttons.size(); ++i)
        actions.at(i)->setEnabled(buttons.at(i)->isEnabled());
}

void QueuePanel::scheduleDetail()
{
    m_detailTimer.start();
}

void QueuePanel::showDetail()
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    const QString id = current.isValid() ? current.data(QueueModel::QueueIdRole).toString() : QString();
    m_detail->showMessage(m_model->reader(), id);
}

void QueuePanel::onActionFinished(const QString &action, bool ok, const QString &message)
{
    // The facade names actions "retry", "hold", "release", "bounce", "delete".
    QString name = action;
    if (action == QLatin1String("retry"))
        name = tr("Retry now");
    else if (action == QLatin1String("hold"))
        name = tr("Hold");
    else if (action == QLatin1String("release"))
        name = tr("Release");
    else if (action == QLatin1String("bounce"))
        name = tr("Bounce");
    else if (action == QLatin1String("delete"))
        name = tr("Delete");
    const QString text = message.isEmpty() ? (ok ? tr("%1: done").arg(name) : tr("%1: failed").arg(name))
                                           : QStringLiteral("%1: %2").arg(name, message);
    m_actionLabel->setText(text);
    m_actionLabel->setStyleSheet(ok ? QString() : QStringLiteral("color: #b01e1e;"));
    m_model->scheduleRefresh();
}

} // namespace rd::ui

#include "queue/queuepanel.h"

#include "queue/queuemodel.h"

#include "engine/enginefacade.h"
#include "queue/queuereader.h"

#include <QAction>
#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QStackedWidget>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace rd::ui {

using rd::queue::MessageInfo;
using rd::queue::MessageState;
using rd::queue::RecipientState;

namespace {

QString recipientStateLabel(RecipientState s)
{
    switch (s) {
    case RecipientState::Pending: return QueuePanel::tr("Pending");
    case RecipientState::Delivered: return QueuePanel::tr("Delivered");
    case RecipientState::Failed: return QueuePanel::tr("Failed");
    }
    return QueuePanel::tr("Unknown");
}

QString localTime(const QDateTime &utc)
{
    return utc.isValid() ? utc.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QString();
}

QString row(const QString &key, const QString &value)
{
    return QStringLiteral("<tr><td style='padding-right:12px'><b>%1</b></td>"
                          "<td>%2</td></tr>")
        .arg(key.toHtmlEscaped(), value.isEmpty() ? QStringLiteral("&mdash;") : value.toHtmlEscaped());
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
    m_filterTimer.setInterval(300);
    connect(&m_filterTimer, &QTimer::timeout, this, &QueuePanel::applyFilter);
    m_detailTimer.setSingleShot(true);
    m_detailTimer.setInterval(50);
    connect(&m_detailTimer, &QTimer::timeout, this, &QueuePanel::showDetail);

    connect(m_facade, &rd::engine::EngineFacade::queueChanged, m_model, &QueueModel::scheduleRefresh);
    connect(m_facade, &rd::engine::EngineFacade::actionFinished, this, &QueuePanel::onActionFinished);

    connect(m_model, &QueueModel::refreshed, this, [this] {
        updateCountLabel();
        updateButtons();
        // The current message may have changed state or left the queue.
        scheduleDetail();
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &QueuePanel::updateButtons);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &QueuePanel::scheduleDetail);

    updateCountLabel();
    updateButtons();
    clearDetail();
}

QueuePanel::~QueuePanel() = default;

void QueuePanel::buildUi()
{
    auto *title = new QLabel(tr("Queue"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    title->setFont(titleFont);

    // Filter bar.
    m_stateCombo = new QComboBox(this);
    m_stateCombo->setObjectName(QStringLiteral("stateFilter"));
    m_stateCombo->addItem(tr("All"), -1);
    m_stateCombo->addItem(tr("Queued"), int(MessageState::Queued));
    m_stateCombo->addItem(tr("In delivery"), int(MessageState::InDelivery));
    m_stateCombo->addItem(tr("Deferred"), int(MessageState::Deferred));
    m_stateCombo->addItem(tr("Held"), int(MessageState::Held));
    m_stateCombo->addItem(tr("Failed"), int(MessageState::Failed));
    connect(m_stateCombo, &QComboBox::currentIndexChanged, this, &QueuePanel::applyFilter);

    m_textFilter = new QLineEdit(this);
    m_textFilter->setObjectName(QStringLiteral("queueFilter"));
    m_textFilter->setPlaceholderText(tr("Filter by sender, recipient, queue ID, subject or error"));
    m_textFilter->setClearButtonEnabled(true);
    connect(m_textFilter, &QLineEdit::textChanged, this, [this] { m_filterTimer.start(); });

    auto *filterBar = new QHBoxLayout;
    filterBar->addWidget(new QLabel(tr("State:"), this));
    filterBar->addWidget(m_stateCombo);
    filterBar->addSpacing(12);
    filterBar->addWidget(m_textFilter, 1);

    // Count and actions.
    m_countLabel = new QLabel(this);
    m_countLabel->setObjectName(QStringLiteral("queueCount"));
    m_actionLabel = new QLabel(this);
    m_actionLabel->setObjectName(QStringLiteral("queueActionResult"));
    m_actionLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto makeButton = [this](const QString &text, QStyle::StandardPixmap icon, const QString &tip) {
        auto *b = new QPushButton(style()->standardIcon(icon), text, this);
        b->setToolTip(tip);
        return b;
    };
    m_retryButton = makeButton(tr("Retry now"), QStyle::SP_BrowserReload,
                               tr("Attempt delivery of the selected messages now"));
    m_holdButton = makeButton(tr("Hold"), QStyle::SP_MediaPause,
                              tr("Keep the selected messages in the queue without delivering them"));
    m_releaseButton = makeButton(tr("Release"), QStyle::SP_MediaPlay,
                                 tr("Let held messages be delivered again"));
    m_deleteButton = makeButton(tr("Delete"), QStyle::SP_TrashIcon,
                                tr("Remove the selected messages from the queue"));
    m_retryButton->setObjectName(QStringLiteral("retryButton"));
    m_holdButton->setObjectName(QStringLiteral("holdButton"));
    m_releaseButton->setObjectName(QStringLiteral("releaseButton"));
    m_deleteButton->setObjectName(QStringLiteral("deleteButton"));
    connect(m_retryButton, &QPushButton::clicked, this, &QueuePanel::retrySelected);
    connect(m_holdButton, &QPushButton::clicked, this, &QueuePanel::holdSelected);
    connect(m_releaseButton, &QPushButton::clicked, this, &QueuePanel::releaseSelected);
    connect(m_deleteButton, &QPushButton::clicked, this, &QueuePanel::deleteSelected);

    auto *actionBar = new QHBoxLayout;
    actionBar->addWidget(m_countLabel);
    actionBar->addSpacing(16);
    actionBar->addWidget(m_actionLabel, 1);
    actionBar->addWidget(m_retryButton);
    actionBar->addWidget(m_holdButton);
    actionBar->addWidget(m_releaseButton);
    actionBar->addWidget(m_deleteButton);

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
        connect(a, &QAction::triggered, button, &QPushButton::click);
        m_table->addAction(a);
    };
    addTableAction(m_retryButton);
    addTableAction(m_holdButton);
    addTableAction(m_releaseButton);
    addTableAction(m_deleteButton, QKeySequence::Delete);

    // Detail pane.
    m_envelope = new QLabel(this);
    m_envelope->setObjectName(QStringLiteral("queueEnvelope"));
    m_envelope->setTextFormat(Qt::RichText);
    m_envelope->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_envelope->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_envelope->setWordWrap(true);
    auto *envelopeScroll = new QScrollArea(this);
    envelopeScroll->setWidget(m_envelope);
    envelopeScroll->setWidgetResizable(true);
    envelopeScroll->setFrameShape(QFrame::NoFrame);

    m_recipients = new QTreeWidget(this);
    m_recipients->setObjectName(QStringLiteral("queueRecipients"));
    m_recipients->setRootIsDecorated(false);
    m_recipients->setAlternatingRowColors(true);
    m_recipients->setHeaderLabels({tr("Recipient"), tr("State"), tr("Attempts"), tr("Last reply")});
    m_recipients->setColumnWidth(0, 220);
    m_recipients->setColumnWidth(1, 80);
    m_recipients->setColumnWidth(2, 70);

    auto *messageTab = new QWidget(this);
    auto *messageLayout = new QHBoxLayout(messageTab);
    messageLayout->addWidget(envelopeScroll, 2);
    messageLayout->addWidget(m_recipients, 3);

    m_raw = new QPlainTextEdit(this);
    m_raw->setObjectName(QStringLiteral("queueRawMessage"));
    m_raw->setReadOnly(true);
    m_raw->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_raw->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    auto *tabs = new QTabWidget(this);
    tabs->setObjectName(QStringLiteral("queueDetail"));
    tabs->setDocumentMode(true);
    tabs->addTab(messageTab, tr("Message"));
    tabs->addTab(m_raw, tr("Raw message"));

    auto *hint = new QLabel(tr("Select a message to see its envelope, recipients and content."), this);
    hint->setAlignment(Qt::AlignCenter);
    hint->setEnabled(false);

    m_detailStack = new QStackedWidget(this);
    m_detailStack->addWidget(hint);
    m_detailStack->addWidget(tabs);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_table);
    splitter->addWidget(m_detailStack);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addLayout(filterBar);
    layout->addLayout(actionBar);
    layout->addWidget(splitter, 1);
}

QStringList QueuePanel::selectedQueueIds() const
{
    QModelIndexList rows = m_table->selectionModel()->selectedRows(QueueModel::QueueId);
    std::sort(rows.begin(), rows.end(),
              [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList ids;
    ids.reserve(rows.size());
    for (const QModelIndex &idx : rows) {
        const QString id = idx.data(QueueModel::QueueIdRole).toString();
        if (!id.isEmpty())
            ids << id;
    }
    return ids;
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

void QueuePanel::deleteSelected()
{
    const QStringList ids = selectedQueueIds();
    if (ids.isEmpty())
        return;
    const QString question = ids.size() == 1
        ? tr("Delete message %1 from the queue?").arg(ids.first())
        : tr("Delete %1 messages from the queue?").arg(QLocale().toString(ids.size()));
    const auto answer = QMessageBox::question(
        this, tr("Delete messages"),
        question + QLatin1Char('\n') + tr("They will not be delivered and no bounce is sent. This cannot be undone."),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer == QMessageBox::Yes)
        m_facade->remove(ids);
}

void QueuePanel::applyFilter()
{
    m_filterTimer.stop();
    rd::queue::QueueFilter f;
    f.state = m_stateCombo->currentData().toInt();
    f.text = m_textFilter->text().trimmed();
    m_model->setFilter(f);
}

void QueuePanel::updateCountLabel()
{
    if (!m_model->isOpen()) {
        m_countLabel->setText(tr("Queue not available: %1").arg(m_model->errorString()));
        return;
    }
    const int n = m_model->rowCount();
    m_countLabel->setText(n == 1 ? tr("1 message") : tr("%1 messages").arg(QLocale().toString(n)));
}

void QueuePanel::updateButtons()
{
    const bool any = m_table->selectionModel()->hasSelection();
    for (QPushButton *b : {m_retryButton, m_holdButton, m_releaseButton, m_deleteButton})
        b->setEnabled(any);
    const auto actions = m_table->actions();
    for (QAction *a : actions)
        a->setEnabled(any);
}

void QueuePanel::scheduleDetail()
{
    m_detailTimer.start();
}

void QueuePanel::clearDetail()
{
    m_detailId.clear();
    m_envelope->clear();
    m_recipients->clear();
    m_raw->clear();
    m_detailStack->setCurrentIndex(0);
}

void QueuePanel::showDetail()
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    const QString id = current.isValid() ? current.data(QueueModel::QueueIdRole).toString() : QString();
    if (id.isEmpty()) {
        clearDetail();
        return;
    }
    const rd::queue::QueueReader *reader = m_model->reader();
    const std::optional<MessageInfo> m = reader->message(id);
    if (!m) {
        clearDetail();
        return;
    }

    QString html = QStringLiteral("<table cellspacing='2'>");
    html += row(tr("Queue ID"), m->queueId);
    html += row(tr("Received"), localTime(m->received));
    html += row(tr("From"), m->sender.isEmpty() ? QStringLiteral("<>") : QString::fromUtf8(m->sender));
    html += row(tr("Client"), m->heloName.isEmpty() ? m->clientIp
                                                    : QStringLiteral("%1 (%2)").arg(m->clientIp, m->heloName));
    html += row(tr("Subject"), m->subject);
    html += row(tr("Message-ID"), m->messageId);
    html += row(tr("Size"), QStringLiteral("%1 (%2 bytes)").arg(QueueModel::formatSize(m->size),
                                                                 QLocale().toString(m->size)));
    html += row(tr("State"), QueueModel::stateLabel(m->state));
    html += row(tr("Attempts"), QString::number(m->attempts));
    html += row(tr("Next attempt"), localTime(m->nextAttempt));
    html += row(tr("Last error"), m->lastError);
    html += QStringLiteral("</table>");
    m_envelope->setText(html);

    m_recipients->clear();
    QList<QTreeWidgetItem *> items;
    for (const auto &r : m->recipients) {
        auto *item = new QTreeWidgetItem({QString::fromUtf8(r.address), recipientStateLabel(r.state),
                                          QString::number(r.attempts), r.lastReply});
        item->setToolTip(3, r.lastReply);
        items << item;
    }
    m_recipients->addTopLevelItems(items);

    if (id != m_detailId) {
        // The stored content does not change; read it once per message.
        const QByteArray raw = reader->rawMessage(id, RawPreviewBytes);
        QString text = QString::fromUtf8(raw);
        if (raw.size() >= RawPreviewBytes && m->size > raw.size()) {
            text += QLatin1Char('\n')
                + tr("[... truncated: showing the first %1 of %2]")
                      .arg(QueueModel::formatSize(raw.size()), QueueModel::formatSize(m->size));
        } else if (raw.isEmpty()) {
            text = tr("(The message content is not available.)");
        }
        m_raw->setPlainText(text);
    }
    m_detailId = id;
    m_detailStack->setCurrentIndex(1);
}

void QueuePanel::onActionFinished(const QString &action, bool ok, const QString &message)
{
    // The facade names actions "retry", "hold", "release", "delete".
    QString name = action;
    if (action == QLatin1String("retry"))
        name = tr("Retry now");
    else if (action == QLatin1String("hold"))
        name = tr("Hold");
    else if (action == QLatin1String("release"))
        name = tr("Release");
    else if (action == QLatin1String("delete"))
        name = tr("Delete");
    const QString text = message.isEmpty() ? (ok ? tr("%1: done").arg(name) : tr("%1: failed").arg(name))
                                           : QStringLiteral("%1: %2").arg(name, message);
    m_actionLabel->setText(text);
    m_actionLabel->setStyleSheet(ok ? QString() : QStringLiteral("color: #b01e1e;"));
    m_model->scheduleRefresh();
}

} // namespace rd::ui

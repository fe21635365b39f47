#include "tracking/trackingpanel.h"

#include "tracking/trackingmodel.h"

#include "engine/enginefacade.h"
#include "log/messagetrackservice.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace rd::ui {

using rd::log::TrackField;

namespace {

QString stepLabel(const QString &what)
{
    if (what == QLatin1String("accepted") || what == QLatin1String("received"))
        return TrackingPanel::tr("Received");
    if (what == QLatin1String("delivered"))
        return TrackingPanel::tr("Delivered");
    if (what == QLatin1String("deferred"))
        return TrackingPanel::tr("Deferred");
    if (what == QLatin1String("failed"))
        return TrackingPanel::tr("Failed");
    if (what == QLatin1String("bounce_queued"))
        return TrackingPanel::tr("Bounce sent");
    if (what == QLatin1String("bounce_of"))
        return TrackingPanel::tr("Bounce of");
    if (what == QLatin1String("delay_warning"))
        return TrackingPanel::tr("Delay warning sent");
    if (what == QLatin1String("dropped"))
        return TrackingPanel::tr("Dropped");
    if (what.startsWith(QLatin1String("admin_")))
        return TrackingPanel::tr("Admin: %1").arg(what.mid(6));
    return what;
}

} // namespace

TrackingPanel::TrackingPanel(rd::engine::EngineFacade *facade, QWidget *parent)
    : QWidget(parent)
    , m_facade(facade)
    , m_service(new rd::log::MessageTrackService(facade->dataDir(), this))
    , m_model(new TrackingModel(this))
{
    setObjectName(QStringLiteral("trackingPanel"));
    buildUi();
    connect(m_service, &rd::log::MessageTrackService::searchReady, this, &TrackingPanel::onSearchReady);
    connect(m_service, &rd::log::MessageTrackService::trailReady, this, &TrackingPanel::onTrailReady);
    connect(m_service, &rd::log::MessageTrackService::exportFinished, this,
            [this](const QString &path, const QString &error) {
                m_status->setText(error.isEmpty() ? tr("Trail exported to %1").arg(path) : error);
                emit exportFinished(path, error);
            });
}

TrackingPanel::~TrackingPanel() = default;

void TrackingPanel::buildUi()
{
    auto *title = new QLabel(tr("<b>Message tracking</b>"), this);

    m_field = new QComboBox(this);
    m_field->setObjectName(QStringLiteral("trackField"));
    m_field->addItem(tr("Message-ID"), int(TrackField::MessageId));
    m_field->addItem(tr("Sender"), int(TrackField::Sender));
    m_field->addItem(tr("Recipient"), int(TrackField::Recipient));
    m_field->addItem(tr("Subject"), int(TrackField::Subject));
    m_text = new QLineEdit(this);
    m_text->setObjectName(QStringLiteral("trackText"));
    m_text->setPlaceholderText(tr("Message-ID (exact), or part of the sender, a recipient or the subject"));
    m_text->setClearButtonEnabled(true);
    connect(m_text, &QLineEdit::returnPressed, this, &TrackingPanel::search);

    m_useRange = new QCheckBox(tr("Between"), this);
    m_useRange->setObjectName(QStringLiteral("trackUseRange"));
    m_from = new QDateTimeEdit(QDateTime::currentDateTime().addDays(-1), this);
    m_from->setObjectName(QStringLiteral("trackFrom"));
    m_to = new QDateTimeEdit(QDateTime::currentDateTime().addSecs(3600), this);
    m_to->setObjectName(QStringLiteral("trackTo"));
    for (QDateTimeEdit *e : {m_from, m_to}) {
        e->setCalendarPopup(true);
        e->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
        e->setEnabled(false);
    }
    connect(m_useRange, &QCheckBox::toggled, m_from, &QWidget::setEnabled);
    connect(m_useRange, &QCheckBox::toggled, m_to, &QWidget::setEnabled);

    m_searchButton = new QPushButton(tr("Search"), this);
    m_searchButton->setObjectName(QStringLiteral("trackSearch"));
    m_searchButton->setDefault(true);
    connect(m_searchButton, &QPushButton::clicked, this, &TrackingPanel::search);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_field);
    bar->addWidget(m_text, 2);
    bar->addWidget(m_useRange);
    bar->addWidget(m_from);
    bar->addWidget(new QLabel(tr("and"), this));
    bar->addWidget(m_to);
    bar->addWidget(m_searchButton);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("trackStatus"));
    m_moreButton = new QPushButton(tr("More results"), this);
    m_moreButton->setObjectName(QStringLiteral("trackMore"));
    m_moreButton->setEnabled(false);
    connect(m_moreButton, &QPushButton::clicked, this, &TrackingPanel::loadMore);
    m_exportButton = new QPushButton(tr("Export trail..."), this);
    m_exportButton->setObjectName(QStringLiteral("trackExport"));
    m_exportButton->setEnabled(false);
    m_exportButton->setToolTip(tr("Save the selected message's trail as CSV or text"));
    connect(m_exportButton, &QPushButton::clicked, this, &TrackingPanel::chooseExportFile);
    auto *statusBar = new QHBoxLayout;
    statusBar->addWidget(m_status, 1);
    statusBar->addWidget(m_moreButton);
    statusBar->addWidget(m_exportButton);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("trackResults"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(TrackingModel::SubjectColumn, QHeaderView::Stretch);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &TrackingPanel::onCurrentChanged);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("trackSummary"));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setWordWrap(true);
    m_timeline = new QTreeWidget(this);
    m_timeline->setObjectName(QStringLiteral("trackTimeline"));
    m_timeline->setRootIsDecorated(false);
    m_timeline->setHeaderLabels({tr("Time"), tr("Step"), tr("Host"), tr("Recipients"), tr("Reply / detail")});
    m_timeline->header()->setStretchLastSection(true);
    auto *trailPane = new QWidget(this);
    auto *trailLayout = new QVBoxLayout(trailPane);
    trailLayout->setContentsMargins(0, 0, 0, 0);
    trailLayout->addWidget(m_summary);
    trailLayout->addWidget(m_timeline, 1);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_table);
    splitter->addWidget(trailPane);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addLayout(bar);
    layout->addLayout(statusBar);
    layout->addWidget(splitter, 1);
}

rd::log::TrackQuery TrackingPanel::currentQuery() const
{
    rd::log::TrackQuery q;
    q.field = TrackField(m_field->currentData().toInt());
    q.text = m_text->text().trimmed();
    if (m_useRange->isChecked()) {
        q.from = m_from->dateTime().toUTC();
        q.to = m_to->dateTime().toUTC();
    }
    q.limit = PageSize;
    return q;
}

void TrackingPanel::search()
{
    m_lastQuery = currentQuery();
    m_appending = false;
    m_moreButton->setEnabled(false);
    m_status->setText(tr("Searching..."));
    m_service->requestSearch(++m_searchGeneration, m_lastQuery);
}

void TrackingPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (!m_shownOnce) {
        m_shownOnce = true;
        if (m_searchGeneration == 0)
            search(); // an empty box: the newest messages
    }
}

void TrackingPanel::searchFor(TrackField field, const QString &text)
{
    m_field->setCurrentIndex(m_field->findData(int(field)));
    m_text->setText(text);
    search();
}

void TrackingPanel::loadMore()
{
    if (m_model->rowCount() == 0)
        return;
    const rd::log::MessageRecord &last = m_model->record(m_model->rowCount() - 1);
    m_lastQuery.beforeTs = last.time.toMSecsSinceEpoch();
    m_lastQuery.beforeQueueId = last.queueId;
    m_appending = true;
    m_moreButton->setEnabled(false);
    m_service->requestSearch(++m_searchGeneration, m_lastQuery);
}

void TrackingPanel::onSearchReady(quint64 generation, const rd::log::TrackPage &page)
{
    if (generation != m_searchGeneration)
        return;
    if (!page.error.isEmpty()) {
        m_status->setText(tr("Search failed: %1").arg(page.error));
        emit searchFinished(0, page.error);
        return;
    }
    if (m_appending) {
        m_model->appendRows(page.rows);
    } else {
        m_model->setRows(page.rows);
        m_timeline->clear();
        m_summary->clear();
        m_trail = {};
        m_exportButton->setEnabled(false);
    }
    m_moreButton->setEnabled(page.more);
    const int n = m_model->rowCount();
    m_status->setText(n == 0 ? tr("No message matches")
                             : (n == 1 ? tr("1 message") : tr("%1 messages%2").arg(QLocale().toString(n),
                                                                                    page.more ? tr(" (more)") : QString())));
    if (!m_appending && n > 0)
        m_table->selectRow(0);
    emit searchFinished(int(page.rows.size()), QString());
}

void TrackingPanel::onCurrentChanged()
{
    const QModelIndex i = m_table->selectionModel()->currentIndex();
    if (i.isValid())
        showTrail(i.data(TrackingModel::QueueIdRole).toString());
}

void TrackingPanel::showTrail(const QString &queueId)
{
    m_service->requestTrail(++m_trailGeneration, queueId);
}

void TrackingPanel::onTrailReady(quint64 generation, const rd::log::MessageTrail &trail)
{
    if (generation != m_trailGeneration)
        return;
    m_trail = trail;
    m_timeline->clear();
    if (!trail.error.isEmpty()) {
        m_summary->setText(tr("Cannot read the trail: %1").arg(trail.error));
        m_exportButton->setEnabled(false);
        emit trailShown(trail.queueId);
        return;
    }
    QStringList summary{tr("Queue id %1").arg(trail.queueId), tr("status: %1").arg(trail.status)};
    if (trail.hasRecord)
        summary << tr("from %1 via %2, TLS %3")
                       .arg(trail.record.clientIp.isEmpty() ? trail.record.origin : trail.record.clientIp,
                            trail.record.listener.isEmpty() ? tr("-") : trail.record.listener,
                            trail.record.tls.isEmpty() ? tr("none") : trail.record.tls);
    if (!trail.bounceQueueId.isEmpty())
        summary << tr("bounce: %1").arg(trail.bounceQueueId);
    if (!trail.originalQueueId.isEmpty())
        summary << tr("bounce of: %1").arg(trail.originalQueueId);
    m_summary->setText(summary.join(QStringLiteral(" · ")));
    for (const rd::log::TrailStep &s : trail.steps) {
        auto *item = new QTreeWidgetItem(m_timeline);
        item->setText(0, QLocale().toString(s.time.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm:ss")));
        item->setText(1, stepLabel(s.what));
        item->setText(2, s.host);
        item->setText(3, s.recipients);
        QString detail = s.detail;
        if (!s.linkedQueueId.isEmpty() && !detail.contains(s.linkedQueueId))
            detail += QStringLiteral(" (%1)").arg(s.linkedQueueId);
        if (!s.tls.isEmpty())
            detail += QStringLiteral(" [%1]").arg(s.tls);
        item->setText(4, detail);
        item->setData(0, Qt::UserRole, s.what);
        item->setData(1, Qt::UserRole, s.linkedQueueId);
        item->setToolTip(4, detail);
    }
    m_exportButton->setEnabled(trail.found);
    emit trailShown(trail.queueId);
}

void TrackingPanel::exportTrail(const QString &path)
{
    if (m_trail.queueId.isEmpty())
        return;
    const auto format = path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive) ? rd::log::TrailFormat::Csv
                                                                                    : rd::log::TrailFormat::Text;
    m_service->requestExport(m_trail.queueId, format, path);
}

void TrackingPanel::chooseExportFile()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export trail"),
                                                      QStringLiteral("trail-%1.csv").arg(m_trail.queueId),
                                                      tr("CSV (*.csv);;Text (*.txt)"));
    if (!path.isEmpty())
        exportTrail(path);
}

} // namespace rd::ui

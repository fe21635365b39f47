#include "queue/queueshapeview.h"

#include "queue/queueshapemodel.h"
#include "queue/queueshapeservice.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace rd::ui {

using rd::queue::ShapeBy;

QueueShapeView::QueueShapeView(const QString &dataDir, QWidget *parent)
    : QWidget(parent)
    , m_service(new rd::queue::QueueShapeService(dataDir, this))
    , m_model(new QueueShapeModel(this))
{
    setObjectName(QStringLiteral("queueShapeView"));
    m_byCombo = new QComboBox(this);
    m_byCombo->setObjectName(QStringLiteral("shapeBy"));
    m_byCombo->addItem(tr("Recipient domain"), int(ShapeBy::RecipientDomain));
    m_byCombo->addItem(tr("Sender domain"), int(ShapeBy::SenderDomain));
    connect(m_byCombo, &QComboBox::currentIndexChanged, this, &QueueShapeView::refresh);
    m_refreshButton = new QPushButton(tr("Refresh"), this);
    m_refreshButton->setObjectName(QStringLiteral("shapeRefresh"));
    connect(m_refreshButton, &QPushButton::clicked, this, &QueueShapeView::refresh);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("shapeStatus"));

    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("By:"), this));
    bar->addWidget(m_byCombo);
    bar->addWidget(m_refreshButton);
    bar->addWidget(m_status, 1);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("shapeTable"));
    m_table->setModel(m_model);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setSelectionBehavior(QAbstractItemView::SelectItems);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QueueShapeModel::DomainColumn, QHeaderView::Stretch);
    m_table->setToolTip(tr("Queued recipients by domain and age in minutes (as Postfix qshape)."
                           " Click a count to list those messages."));
    connect(m_table, &QTableView::clicked, this, &QueueShapeView::onClicked);
    connect(m_table, &QTableView::activated, this, &QueueShapeView::onClicked);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_table, 1);

    connect(m_service, &rd::queue::QueueShapeService::shapeReady, this,
            [this](quint64 generation, const rd::queue::QueueShape &shape) {
                if (generation == m_generation)
                    setShape(shape);
            });
}

QueueShapeView::~QueueShapeView() = default;

ShapeBy QueueShapeView::by() const
{
    return ShapeBy(m_byCombo->currentData().toInt());
}

void QueueShapeView::refresh()
{
    m_status->setText(tr("Counting..."));
    m_service->requestShape(++m_generation, by(), TopDomains);
}

void QueueShapeView::setShape(const rd::queue::QueueShape &shape)
{
    m_model->setShape(shape);
    if (!shape.error.isEmpty())
        m_status->setText(tr("Cannot read the queue: %1").arg(shape.error));
    else
        m_status->setText(tr("%1 queued %2 in %3 domains, at %4")
                              .arg(QLocale().toString(shape.totals.total))
                              .arg(shape.by == ShapeBy::SenderDomain ? tr("messages") : tr("recipients"))
                              .arg(shape.rows.size())
                              .arg(QLocale().toString(shape.now.toLocalTime().time(), QLocale::ShortFormat)));
}

void QueueShapeView::onClicked(const QModelIndex &index)
{
    if (!index.isValid() || index.column() == QueueShapeModel::DomainColumn)
        return;
    const int bucket = index.data(QueueShapeModel::BucketRole).toInt();
    qint64 minMs = 0, maxMs = -1;
    if (bucket >= 0)
        rd::queue::shapeBucketRange(bucket, &minMs, &maxMs);
    emit cellChosen(index.data(QueueShapeModel::DomainRole).toString(), minMs, maxMs,
                    m_model->shape().by == ShapeBy::SenderDomain,
                    index.data(QueueShapeModel::IsOtherRowRole).toBool());
}

} // namespace rd::ui

#include "queue/queuedetailpane.h"

#include "queue/queuemodel.h"

#include "queue/queuereader.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace rd::ui {

using rd::queue::MessageInfo;
using rd::queue::RecipientState;

namespace {

enum Tab { MessageTab, HeadersTab, AttemptsTab, RawTab };

QString recipientStateLabel(RecipientState s)
{
    switch (s) {
    case RecipientState::Pending: return QueueDetailPane::tr("Pending");
    case RecipientState::Delivered: return QueueDetailPane::tr("Delivered");
    case RecipientState::Failed: return QueueDetailPane::tr("Failed");
    case RecipientState::Bounced: return QueueDetailPane::tr("Bounced");
    }
    return QueueDetailPane::tr("Unknown");
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

QTreeWidget *makeTree(const QString &name, const QStringList &labels, QWidget *parent)
{
    auto *tree = new QTreeWidget(parent);
    tree->setObjectName(name);
    tree->setRootIsDecorated(false);
    tree->setAlternatingRowColors(true);
    tree->setUniformRowHeights(true);
    tree->setHeaderLabels(labels);
    tree->setTextElideMode(Qt::ElideRight);
    return tree;
}

} // namespace

QueueDetailPane::QueueDetailPane(QWidget *parent) : QWidget(parent)
{
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

    m_recipients = makeTree(QStringLiteral("queueRecipients"),
                            {tr("Recipient"), tr("State"), tr("Attempts"), tr("Last reply")}, this);
    m_recipients->setColumnWidth(0, 220);
    m_recipients->setColumnWidth(1, 80);
    m_recipients->setColumnWidth(2, 70);

    auto *messageTab = new QWidget(this);
    auto *messageLayout = new QHBoxLayout(messageTab);
    messageLayout->addWidget(envelopeScroll, 2);
    messageLayout->addWidget(m_recipients, 3);

    m_headers = makeTree(QStringLiteral("queueHeaders"), {tr("Header"), tr("Value")}, this);
    m_headers->setColumnWidth(0, 180);
    m_headers->setWordWrap(false);

    m_attempts = makeTree(QStringLiteral("queueAttempts"), {tr("Time"), tr("Host"), tr("Result"), tr("Reply")}, this);
    m_attempts->setColumnWidth(0, 150);
    m_attempts->setColumnWidth(1, 200);
    m_attempts->setColumnWidth(2, 90);

    m_raw = new QPlainTextEdit(this);
    m_raw->setObjectName(QStringLiteral("queueRawMessage"));
    m_raw->setReadOnly(true);
    m_raw->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_raw->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("queueDetail"));
    m_tabs->setDocumentMode(true);
    m_tabs->insertTab(MessageTab, messageTab, tr("Message"));
    m_tabs->insertTab(HeadersTab, m_headers, tr("Headers"));
    m_tabs->insertTab(AttemptsTab, m_attempts, tr("Attempts"));
    m_tabs->insertTab(RawTab, m_raw, tr("Raw message"));

    auto *hint = new QLabel(tr("Select a message to see its envelope, headers, delivery attempts and content."), this);
    hint->setAlignment(Qt::AlignCenter);
    hint->setEnabled(false);

    m_stack = new QStackedWidget(this);
    m_stack->addWidget(hint);
    m_stack->addWidget(m_tabs);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);
    clear();
}

void QueueDetailPane::clear()
{
    m_queueId.clear();
    m_envelope->clear();
    m_recipients->clear();
    m_headers->clear();
    m_attempts->clear();
    m_raw->clear();
    m_tabs->setTabText(AttemptsTab, tr("Attempts"));
    m_stack->setCurrentIndex(0);
}

bool QueueDetailPane::showMessage(const rd::queue::QueueReader *reader, const QString &queueId)
{
    const std::optional<MessageInfo> m = queueId.isEmpty() ? std::nullopt : reader->message(queueId);
    if (!m) {
        clear();
        return false;
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

    showAttempts(reader, queueId);
    if (queueId != m_queueId)
        showContent(reader, queueId, m->size); // the stored content never changes
    m_queueId = queueId;
    m_stack->setCurrentIndex(1);
    return true;
}

void QueueDetailPane::showAttempts(const rd::queue::QueueReader *reader, const QString &queueId)
{
    const QVector<rd::queue::AttemptInfo> attempts = reader->attempts(queueId);
    m_attempts->clear();
    QList<QTreeWidgetItem *> items;
    for (const auto &a : attempts) {
        auto *item = new QTreeWidgetItem({localTime(a.time), a.host, a.result, a.reply});
        item->setToolTip(0, a.time.toString(Qt::ISODateWithMs));
        item->setToolTip(3, a.reply);
        items << item;
    }
    m_attempts->addTopLevelItems(items);
    m_tabs->setTabText(AttemptsTab, tr("Attempts (%1)").arg(attempts.size()));
}

void QueueDetailPane::showContent(const rd::queue::QueueReader *reader, const QString &queueId, qint64 size)
{
    bool complete = false;
    const QList<rd::queue::HeaderField> fields = reader->headers(queueId, HeaderBytes, &complete);
    m_headers->clear();
    QList<QTreeWidgetItem *> items;
    for (const auto &f : fields) {
        auto *item = new QTreeWidgetItem({f.name, f.value});
        item->setToolTip(1, f.value);
        items << item;
    }
    if (!complete && !fields.isEmpty()) {
        auto *item = new QTreeWidgetItem(
            {QString(), tr("[the header section does not end within the first %1]")
                            .arg(QueueModel::formatSize(HeaderBytes))});
        item->setDisabled(true);
        items << item;
    }
    m_headers->addTopLevelItems(items);

    const QByteArray raw = reader->rawMessage(queueId, RawPreviewBytes);
    QString text = QString::fromUtf8(raw);
    if (raw.size() >= RawPreviewBytes && size > raw.size()) {
        text += QLatin1Char('\n')
            + tr("[... truncated: showing the first %1 of %2]")
                  .arg(QueueModel::formatSize(raw.size()), QueueModel::formatSize(size));
    } else if (raw.isEmpty()) {
        text = tr("(The message content is not available.)");
    }
    m_raw->setPlainText(text);
}

} // namespace rd::ui

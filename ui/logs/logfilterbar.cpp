#include "logs/logfilterbar.h"

#include "log/logquery.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QToolButton>

namespace rd::ui {

using rd::log::LogKind;

LogFilterBar::LogFilterBar(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("logFilterBar"));
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(FilterDelayMs);
    connect(&m_debounce, &QTimer::timeout, this, [this] {
        validate();
        if (m_inputError.isEmpty())
            emit filterChanged();
    });

    m_time = new QComboBox(this);
    m_time->setObjectName(QStringLiteral("logTime"));
    m_time->addItem(tr("Any time"), AnyTime);
    m_time->addItem(tr("Last 15 minutes"), Last15Min);
    m_time->addItem(tr("Last hour"), LastHour);
    m_time->addItem(tr("Last 24 hours"), Last24Hours);
    m_time->addItem(tr("Last 7 days"), Last7Days);
    m_time->addItem(tr("Last 30 days"), Last30Days);
    m_time->addItem(tr("Custom range"), Custom);
    const QDateTime now = QDateTime::currentDateTime();
    m_from = new QDateTimeEdit(now.addDays(-1), this);
    m_from->setObjectName(QStringLiteral("logFrom"));
    m_to = new QDateTimeEdit(now, this);
    m_to->setObjectName(QStringLiteral("logTo"));
    for (QDateTimeEdit *e : {m_from, m_to}) {
        e->setCalendarPopup(true);
        e->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
        e->setVisible(false);
        connect(e, &QDateTimeEdit::dateTimeChanged, this, [this] { m_debounce.start(); });
    }
    connect(m_time, &QComboBox::currentIndexChanged, this, &LogFilterBar::onTimePreset);

    m_kind = new QComboBox(this);
    m_kind->setObjectName(QStringLiteral("logKind"));
    m_kind->addItem(tr("All kinds"), -1);
    m_kind->addItem(tr("Sessions"), int(LogKind::Session));
    m_kind->addItem(tr("Received"), int(LogKind::Receive));
    m_kind->addItem(tr("Deliveries"), int(LogKind::Delivery));
    m_kind->addItem(tr("System"), int(LogKind::System));

    m_status = new QComboBox(this);
    m_status->setObjectName(QStringLiteral("logStatus"));
    m_status->addItem(tr("Any status"), 0);
    m_status->addItem(tr("2xx success"), 2);
    m_status->addItem(tr("4xx temporary"), 4);
    m_status->addItem(tr("5xx permanent"), 5);

    m_direction = new QComboBox(this);
    m_direction->setObjectName(QStringLiteral("logDirection"));
    m_direction->addItem(tr("In and out"), QString());
    m_direction->addItem(tr("Inbound"), QStringLiteral("in"));
    m_direction->addItem(tr("Outbound"), QStringLiteral("out"));
    for (QComboBox *c : {m_kind, m_status, m_direction})
        connect(c, &QComboBox::currentIndexChanged, this, [this] {
            m_debounce.stop();
            validate();
            if (m_inputError.isEmpty())
                emit filterChanged();
        });

    m_search = addField(QStringLiteral("logFilter"), tr("Search words (addresses, queue IDs, results, messages)"),
                        0);
    m_ip = addField(QStringLiteral("logIp"), tr("IP, 10.1.0.0/16 or 10.1."), 150);
    m_user = addField(QStringLiteral("logUser"), tr("User"), 110);
    m_sender = addField(QStringLiteral("logSender"), tr("Sender or @domain"), 170);
    m_recipient = addField(QStringLiteral("logRecipient"), tr("Recipient"), 170);

    m_sessionLabel = new QLabel(this);
    m_sessionLabel->setObjectName(QStringLiteral("logSessionLabel"));
    m_sessionClear = new QToolButton(this);
    m_sessionClear->setObjectName(QStringLiteral("logSessionClear"));
    m_sessionClear->setText(tr("Show all"));
    m_sessionClear->setToolTip(tr("Leave the session view"));
    connect(m_sessionClear, &QToolButton::clicked, this, [this] { setSession({}); });
    m_sessionLabel->setVisible(false);
    m_sessionClear->setVisible(false);

    auto *top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_time);
    top->addWidget(m_from);
    top->addWidget(m_to);
    top->addWidget(m_kind);
    top->addWidget(m_status);
    top->addWidget(m_direction);
    top->addWidget(m_search, 1);
    auto *second = new QHBoxLayout;
    second->setContentsMargins(0, 0, 0, 0);
    second->addWidget(m_ip);
    second->addWidget(m_user);
    second->addWidget(m_sender);
    second->addWidget(m_recipient);
    second->addStretch(1);
    second->addWidget(m_sessionLabel);
    second->addWidget(m_sessionClear);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addLayout(second);
}

QLineEdit *LogFilterBar::addField(const QString &name, const QString &placeholder, int width)
{
    auto *e = new QLineEdit(this);
    e->setObjectName(name);
    e->setPlaceholderText(placeholder);
    e->setClearButtonEnabled(true);
    if (width > 0)
        e->setMinimumWidth(width);
    connect(e, &QLineEdit::textChanged, this, &LogFilterBar::onEdited);
    return e;
}

void LogFilterBar::onEdited()
{
    m_debounce.start();
}

void LogFilterBar::onTimePreset()
{
    const bool custom = m_time->currentData().toInt() == Custom;
    m_from->setVisible(custom);
    m_to->setVisible(custom);
    m_debounce.stop();
    emit filterChanged();
}

void LogFilterBar::validate()
{
    m_inputError.clear();
    QString ipError;
    rd::log::IpCondition unused;
    if (!m_ip->text().trimmed().isEmpty() && !rd::log::ipCondition(m_ip->text(), &unused, &ipError))
        m_inputError = ipError;
    m_ip->setStyleSheet(ipError.isEmpty() ? QString() : QStringLiteral("QLineEdit { border: 1px solid #c0392b; }"));
    m_ip->setToolTip(ipError);
}

rd::log::LogFilter LogFilterBar::filter() const
{
    rd::log::LogFilter f;
    f.search = m_search->text().trimmed();
    f.ip = m_inputError.isEmpty() ? m_ip->text().trimmed() : QString();
    f.user = m_user->text().trimmed();
    f.sender = m_sender->text().trimmed();
    f.recipient = m_recipient->text().trimmed();
    f.statusClass = m_status->currentData().toInt();
    f.direction = m_direction->currentData().toString();
    f.kind = m_kind->currentData().toInt();
    f.sessionId = m_session;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    switch (TimePreset(m_time->currentData().toInt())) {
    case AnyTime: break;
    case Last15Min: f.from = now.addSecs(-15 * 60); break;
    case LastHour: f.from = now.addSecs(-3600); break;
    case Last24Hours: f.from = now.addDays(-1); break;
    case Last7Days: f.from = now.addDays(-7); break;
    case Last30Days: f.from = now.addDays(-30); break;
    case Custom:
        f.from = m_from->dateTime().toUTC();
        f.to = m_to->dateTime().toUTC();
        break;
    }
    return f;
}

void LogFilterBar::setSession(const QString &sessionId)
{
    if (sessionId == m_session)
        return;
    m_session = sessionId;
    m_sessionLabel->setText(tr("Session %1").arg(sessionId));
    m_sessionLabel->setVisible(!sessionId.isEmpty());
    m_sessionClear->setVisible(!sessionId.isEmpty());
    m_debounce.stop();
    emit filterChanged();
}

void LogFilterBar::clear()
{
    const QSignalBlocker block(this);
    for (QLineEdit *e : {m_search, m_ip, m_user, m_sender, m_recipient})
        e->clear();
    for (QComboBox *c : {m_time, m_kind, m_status, m_direction})
        c->setCurrentIndex(0);
    m_session.clear();
    m_sessionLabel->setVisible(false);
    m_sessionClear->setVisible(false);
    m_debounce.stop();
    validate();
}

} // namespace rd::ui

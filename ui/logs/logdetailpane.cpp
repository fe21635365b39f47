#include "logs/logdetailpane.h"

#include "logs/logmodel.h"

#include <QHBoxLayout>
#include <QLocale>
#include <QPushButton>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace rd::ui {

namespace {

QString field(const QString &key, const QString &value)
{
    return QStringLiteral("<tr><td style='padding-right:14px'><b>%1</b></td><td>%2</td></tr>")
        .arg(key.toHtmlEscaped(), value.isEmpty() ? QStringLiteral("&mdash;") : value.toHtmlEscaped());
}

} // namespace

LogDetailPane::LogDetailPane(QWidget *parent) : QWidget(parent)
{
    m_text = new QTextBrowser(this);
    m_text->setObjectName(QStringLiteral("logDetail"));
    m_text->setOpenLinks(false);
    m_showSession = new QPushButton(tr("Show session"), this);
    m_showSession->setObjectName(QStringLiteral("logShowSession"));
    m_showSession->setToolTip(tr("List every entry of this session"));
    connect(m_showSession, &QPushButton::clicked, this, [this] {
        if (!m_event.sessionId.isEmpty())
            emit showSessionRequested(m_event.sessionId);
    });
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_showSession);
    buttons->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(buttons);
    layout->addWidget(m_text, 1);
    render();
}

void LogDetailPane::setEvent(const rd::log::LogEvent *event)
{
    const QString before = m_hasEvent ? m_event.sessionId : QString();
    m_hasEvent = event != nullptr;
    m_event = event ? *event : rd::log::LogEvent{};
    if (m_event.sessionId != before || !m_hasEvent) {
        m_transcript.clear();
        m_transcriptKnown = false;
        if (!m_event.sessionId.isEmpty())
            emit transcriptWanted(m_event.sessionId);
    }
    render();
}

void LogDetailPane::setTranscript(const QString &sessionId, const QString &text)
{
    if (sessionId != m_event.sessionId)
        return; // for a row no longer shown
    m_transcript = text;
    m_transcriptKnown = true;
    render();
}

void LogDetailPane::render()
{
    m_showSession->setEnabled(m_hasEvent && !m_event.sessionId.isEmpty());
    if (!m_hasEvent) {
        m_text->setHtml(QStringLiteral("<p style='color:gray'>%1</p>")
                            .arg(tr("Select an entry to see all of its fields.").toHtmlEscaped()));
        return;
    }
    const rd::log::LogEvent &e = m_event;
    QString tls = e.tlsVersion;
    if (!e.tlsCipher.isEmpty())
        tls += (tls.isEmpty() ? QString() : QStringLiteral(" ")) + e.tlsCipher;
    const QString reply = e.replyCode > 0
        ? QStringLiteral("%1 %2").arg(e.replyCode).arg(e.enhancedCode).trimmed()
        : QString();

    QString html = QStringLiteral("<table cellspacing='2'>");
    html += field(tr("Time"), e.time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"))
                                  + QStringLiteral("  (UTC ")
                                  + e.time.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"))
                                  + QLatin1Char(')'));
    html += field(tr("ID"), QString::number(e.id));
    html += field(tr("Kind"), LogModel::kindLabel(e.kind));
    html += field(tr("Level"), e.level);
    html += field(tr("Result"), e.result);
    html += field(tr("Rule"), e.rule);
    html += field(tr("Session"), e.sessionId);
    html += field(tr("Direction"), e.direction);
    html += field(tr("Client IP"), e.clientIp);
    html += field(tr("Client name"), e.clientName);
    html += field(tr("HELO"), e.helo);
    html += field(tr("User"), e.user);
    html += field(tr("Sender"), e.sender);
    html += field(tr("Recipients"), e.recipients);
    html += field(tr("Queue ID"), e.queueId);
    html += field(tr("Reply"), reply);
    html += field(tr("Bytes"), e.bytes > 0 ? QLocale().toString(e.bytes) : QString());
    html += field(tr("Duration"), e.durationMs > 0 ? tr("%1 ms").arg(e.durationMs) : QString());
    html += field(tr("TLS"), tls);
    html += field(tr("Message"), e.message);
    html += QStringLiteral("</table><p><b>%1</b><br><code>%2</code></p>")
                .arg(tr("Log line").toHtmlEscaped(), e.toKeyValueLine().toHtmlEscaped());
    if (!e.sessionId.isEmpty()) {
        html += QStringLiteral("<p><b>%1</b></p>").arg(tr("Session transcript").toHtmlEscaped());
        if (!m_transcriptKnown)
            html += QStringLiteral("<p style='color:gray'>%1</p>").arg(tr("Loading…").toHtmlEscaped());
        else if (m_transcript.isEmpty())
            html += QStringLiteral("<p style='color:gray'>%1</p>")
                        .arg(tr("No transcript stored for this session.").toHtmlEscaped());
        else
            html += QStringLiteral("<pre>%1</pre>").arg(m_transcript.toHtmlEscaped());
    }
    m_text->setHtml(html);
}

} // namespace rd::ui

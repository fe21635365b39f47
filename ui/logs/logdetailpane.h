#pragma once
// The Logs panel's detail pane: every field of the selected row and, for a
// row with a session id, that session's command/reply transcript (asked for
// through transcriptWanted(), shown when setTranscript() brings it).
// Thread: GUI thread. No SQL.

#include "log/logtypes.h"

#include <QWidget>

class QPushButton;
class QTextBrowser;

namespace rd::ui {

class LogDetailPane : public QWidget {
    Q_OBJECT
public:
    explicit LogDetailPane(QWidget *parent = nullptr);

    // Shows `event` (nullptr: a hint to select a row).
    void setEvent(const rd::log::LogEvent *event);
    // The transcript of `sessionId` arrived ("" when none was stored).
    void setTranscript(const QString &sessionId, const QString &text);
    // The session id of the row shown ("" when none).
    QString sessionId() const { return m_event.sessionId; }

signals:
    void transcriptWanted(const QString &sessionId);
    void showSessionRequested(const QString &sessionId);

private:
    void render();

    QTextBrowser *m_text = nullptr;
    QPushButton *m_showSession = nullptr;
    rd::log::LogEvent m_event;
    bool m_hasEvent = false;
    QString m_transcript;
    bool m_transcriptKnown = false;
};

} // namespace rd::ui

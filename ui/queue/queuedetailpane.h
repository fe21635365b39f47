#pragma once
// The Queue panel's detail pane for one message: envelope and recipients,
// the parsed header section, every delivery attempt, and the raw message.
// Thread: GUI thread. Reads through a QueueReader it is given (no SQL here).

#include <QString>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QStackedWidget;
class QTabWidget;
class QTreeWidget;

namespace rd::queue {
class QueueReader;
}

namespace rd::ui {

class QueueDetailPane : public QWidget {
    Q_OBJECT
public:
    static constexpr qint64 RawPreviewBytes = 64 * 1024;
    static constexpr qint64 HeaderBytes = 256 * 1024;

    explicit QueueDetailPane(QWidget *parent = nullptr);

    // Shows message `queueId` read through `reader` (not owned, non-null).
    // Envelope, recipients and attempts are re-read on every call (delivery
    // changes them); headers and raw content once per message. Returns false
    // and shows the hint when the message is no longer queued.
    bool showMessage(const rd::queue::QueueReader *reader, const QString &queueId);
    // Shows the "select a message" hint.
    void clear();
    // The message shown, "" when none.
    QString queueId() const { return m_queueId; }

private:
    void showAttempts(const rd::queue::QueueReader *reader, const QString &queueId);
    void showContent(const rd::queue::QueueReader *reader, const QString &queueId, qint64 size);

    QStackedWidget *m_stack = nullptr;
    QTabWidget *m_tabs = nullptr;
    QLabel *m_envelope = nullptr;
    QTreeWidget *m_recipients = nullptr;
    QTreeWidget *m_headers = nullptr;
    QTreeWidget *m_attempts = nullptr;
    QPlainTextEdit *m_raw = nullptr;
    QString m_queueId;
};

} // namespace rd::ui

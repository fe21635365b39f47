#pragma once
// The Logs panel's filter bar: time range (presets and custom), IP, user,
// sender, recipient, status class, direction, kind and full-text search.
// Text fields are debounced (FilterDelayMs); combos apply at once. An invalid
// IP field is marked (red, tooltip) and leaves the filter unchanged.
// Thread: GUI thread. No SQL: it only builds an rd::log::LogFilter.

#include "log/logtypes.h"

#include <QTimer>
#include <QWidget>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QToolButton;

namespace rd::ui {

class LogFilterBar : public QWidget {
    Q_OBJECT
public:
    static constexpr int FilterDelayMs = 300;

    enum TimePreset { AnyTime, Last15Min, LastHour, Last24Hours, Last7Days, Last30Days, Custom };

    explicit LogFilterBar(QWidget *parent = nullptr);

    // The filter the widgets describe now (relative presets measured from now).
    rd::log::LogFilter filter() const;
    // Restricts to one session (shown as a removable label); "" clears it.
    void setSession(const QString &sessionId);
    QString session() const { return m_session; }
    // Clears every field (time: any).
    void clear();
    // A text describing why the current input is not used ("" if fine).
    QString inputError() const { return m_inputError; }

signals:
    // The filter changed (debounced for typing).
    void filterChanged();

private:
    QLineEdit *addField(const QString &name, const QString &placeholder, int width);
    void onEdited();
    void onTimePreset();
    void validate();

    QComboBox *m_time = nullptr;
    QDateTimeEdit *m_from = nullptr;
    QDateTimeEdit *m_to = nullptr;
    QLineEdit *m_ip = nullptr;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_sender = nullptr;
    QLineEdit *m_recipient = nullptr;
    QLineEdit *m_search = nullptr;
    QComboBox *m_status = nullptr;
    QComboBox *m_direction = nullptr;
    QComboBox *m_kind = nullptr;
    QLabel *m_sessionLabel = nullptr;
    QToolButton *m_sessionClear = nullptr;
    QString m_session;
    QString m_inputError;
    QTimer m_debounce;
};

} // namespace rd::ui

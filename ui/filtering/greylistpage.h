#pragma once
// The Greylisting tab of the Filtering panel: greylist.enabled, delay, retry
// window and expiry (settings.h keys, bounds from the setting declarations),
// what greylisting never applies to, and the triplet counts of the last
// PolicyStatus. A thin page: load() / writeTo() / revert(), changed() after
// every edit. Thread: GUI thread. No I/O.

#include "config/configsnapshot.h"
#include "policy/policystatus.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QSpinBox;

namespace rd::ui {

class GreylistPage : public QWidget {
    Q_OBJECT
public:
    explicit GreylistPage(QWidget *parent = nullptr);

    QCheckBox *enabledBox() const { return m_enabled; }
    QSpinBox *delayBox() const { return m_delay; }         // seconds
    QSpinBox *retryWindowBox() const { return m_window; }  // hours (stored in seconds)
    QSpinBox *expiryBox() const { return m_expiry; }       // days
    QString countsText() const;

    // Takes the greylist.* settings unless edited (or `force`).
    void load(const rd::config::ConfigSnapshot &config, bool force = false);
    void writeTo(rd::config::ConfigSnapshot *config) const;
    void revert();
    bool isDirty() const;
    void setPolicyStatus(const rd::policy::PolicyStatus &status);

signals:
    void changed();

private:
    struct Values {
        bool enabled = false;
        int delay = 0;
        int windowSeconds = 0;
        int expiryDays = 0;
        bool operator==(const Values &) const = default;
    };
    Values current() const;
    void showValues(const Values &v);
    void updateState();

    Values m_loaded;
    bool m_hasConfig = false;
    QCheckBox *m_enabled = nullptr;
    QSpinBox *m_delay = nullptr;
    QSpinBox *m_window = nullptr;
    QSpinBox *m_expiry = nullptr;
    QLabel *m_delayText = nullptr;
    QLabel *m_counts = nullptr;
};

} // namespace rd::ui

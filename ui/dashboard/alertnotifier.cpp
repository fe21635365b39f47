#include "dashboard/alertnotifier.h"

#include <QApplication>
#include <QStyle>
#include <QSystemTrayIcon>

namespace rd::ui {

using rd::alerts::Alert;
using rd::alerts::Severity;

AlertNotifier::AlertNotifier(const QIcon &icon, QObject *parent)
    : QObject(parent)
    , m_since(QDateTime::currentDateTimeUtc())
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    QIcon i = icon;
    if (i.isNull())
        i = QApplication::windowIcon();
    if (i.isNull())
        i = QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning);
    m_tray = new QSystemTrayIcon(i, this);
    m_tray->setToolTip(QStringLiteral("RelayDesk"));
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
            emit activated();
    });
    connect(m_tray, &QSystemTrayIcon::messageClicked, this, &AlertNotifier::activated);
}

AlertNotifier::~AlertNotifier() = default;

bool AlertNotifier::trayAvailable() const
{
    return m_tray != nullptr;
}

void AlertNotifier::setAlerts(const QList<Alert> &alerts)
{
    QList<Alert> open;
    QSet<qint64> ids;
    for (const Alert &a : alerts) {
        if (a.isOpen()) {
            open.append(a);
            ids.insert(a.id);
        }
    }
    rd::alerts::sortForDisplay(open);
    for (const Alert &a : open) {
        if (!m_seen.contains(a.id) && a.raised >= m_since)
            announce(a);
    }
    m_seen = ids;
    if (m_tray) {
        m_tray->setVisible(!open.isEmpty());
        m_tray->setToolTip(open.isEmpty() ? QStringLiteral("RelayDesk")
                           : open.size() == 1
                               ? tr("RelayDesk: 1 open alert")
                               : tr("RelayDesk: %1 open alerts").arg(open.size()));
    }
}

void AlertNotifier::announce(const Alert &alert)
{
    if (m_tray) {
        m_tray->setVisible(true);
        const QSystemTrayIcon::MessageIcon icon = alert.severity == Severity::Critical ? QSystemTrayIcon::Critical
                                                  : alert.severity == Severity::Warning ? QSystemTrayIcon::Warning
                                                                                        : QSystemTrayIcon::Information;
        m_tray->showMessage(tr("RelayDesk alert"), alert.message, icon, 15000);
    }
    emit notified(alert);
}

} // namespace rd::ui

#pragma once
// Stand-in for a panel a later version implements: its title, a plain
// description of what it will hold, and "Not yet available in this version".
// Thread: GUI thread; no data access.

#include <QWidget>

namespace rd::ui {

class PlaceholderPanel : public QWidget {
    Q_OBJECT
public:
    // title: the panel's name as in the navigation; description: one
    // paragraph saying what the panel will hold.
    PlaceholderPanel(const QString &title, const QString &description, QWidget *parent = nullptr);

    QString title() const { return m_title; }

private:
    QString m_title;
};

} // namespace rd::ui

#pragma once
// "Add from directory...": searches the directory's groups by name with the
// directory settings being edited (facade->searchDirectoryGroups), lists the
// names (DN as tooltip) and hands the chosen DNs back with groupsChosen().
// Thread: GUI thread; the search runs in the engine.

#include "config/configsnapshot.h"

#include <QDialog>

class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;

namespace rd::directory {
struct DirectoryGroupList;
}
namespace rd::engine {
class EngineFacade;
}

namespace rd::ui {

class DirectoryGroupPicker : public QDialog {
    Q_OBJECT
public:
    DirectoryGroupPicker(rd::engine::EngineFacade *facade, const rd::config::ConfigSnapshot &config,
                         QWidget *parent = nullptr);

    bool isSearching() const { return m_searching; }
    // DNs of the selected rows.
    QStringList selectedDns() const;

public slots:
    void search();

signals:
    void groupsChosen(const QStringList &dns);

private:
    void onFound(const rd::directory::DirectoryGroupList &groups);
    void updateButtons();

    rd::engine::EngineFacade *m_facade;
    rd::config::ConfigSnapshot m_config;
    bool m_searching = false;
    QLineEdit *m_term = nullptr;
    QPushButton *m_searchButton = nullptr;
    QListWidget *m_list = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_add = nullptr;
};

} // namespace rd::ui

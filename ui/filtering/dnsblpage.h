#pragma once
// The DNS block lists tab of the Filtering panel: the zones with the meaning
// of their answer codes (DnsblZoneModel, edited in place), presets of
// well-known lists with their published codes, and the setting
// dnsbl.check_clients (look connecting clients up). A thin page: load() /
// writeTo() / revert(), changed() after every edit. Thread: GUI thread. No I/O.

#include "config/configsnapshot.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QPushButton;
class QTableView;
class QToolButton;

namespace rd::ui {

class DnsblZoneModel;

class DnsblPage : public QWidget {
    Q_OBJECT
public:
    explicit DnsblPage(QWidget *parent = nullptr);

    DnsblZoneModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QCheckBox *checkClientsBox() const { return m_checkClients; }
    // Takes config.dnsblZones and dnsbl.check_clients unless edited (or `force`).
    void load(const rd::config::ConfigSnapshot &config, bool force = false);
    void writeTo(rd::config::ConfigSnapshot *config) const;
    void revert();
    bool isDirty() const;
    QStringList errors() const;
    QString note() const { return m_note; }

    // Appends preset `index` (enabled) unless its zone is listed already;
    // returns its row (the existing one if listed), -1 for a bad index.
    int addPreset(int index);
    // Appends an empty zone to fill in; returns its row.
    int addZone();
    int currentRow() const;
    void moveSelected(int delta);
    void removeSelected();

signals:
    void changed();

private:
    void updateState();

    DnsblZoneModel *m_model;
    bool m_loadedCheckClients = false;
    QString m_note;
    QTableView *m_view = nullptr;
    QCheckBox *m_checkClients = nullptr;
    QLabel *m_clientsNote = nullptr;
    QToolButton *m_presets = nullptr;
    QPushButton *m_add = nullptr;
    QPushButton *m_remove = nullptr;
    QPushButton *m_up = nullptr;
    QPushButton *m_down = nullptr;
};

} // namespace rd::ui

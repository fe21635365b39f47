#pragma once
// One DNS check report, as the DNS checks panel shows it: a summary line, a
// line about the changes since the previous run, the findings grouped by
// check (SPF, DKIM, DMARC, MX, PTR, DNSBL) with a coloured status, and below
// them two tabs: "Details" (the selected finding's explanation and, when
// there is one, the exact record to publish: name, type, value; read-only,
// selectable, with a Copy button) and "Changes" (one line per change).
// Thread: GUI thread. Pure display: no I/O.

#include "dnscheck/dnscheckreport.h"

#include <QStringList>
#include <QWidget>

class QGroupBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;
class QTextBrowser;
class QTreeWidget;
class QTreeWidgetItem;

namespace rd::ui {

class DnsReportView : public QWidget {
    Q_OBJECT
public:
    explicit DnsReportView(QWidget *parent = nullptr);

    // Shows `report`; `previous` is the run before it (null: none to compare
    // with). The first finding that is not a pass is selected.
    void setReport(const rd::dnscheck::Report &report, const rd::dnscheck::Report *previous);
    // Shows `message` (grey) instead of a report.
    void clear(const QString &message);

    bool hasReport() const { return m_hasReport; }
    const rd::dnscheck::Report &report() const { return m_report; }
    // The changes shown (Report::changesSince), empty for a first run.
    QStringList changes() const { return m_changes; }
    QString summaryText() const;
    QString changesText() const;
    QTreeWidget *findingsTree() const { return m_tree; }

    // Selects finding `index` of report().findings; false if out of range.
    bool selectFinding(int index);
    // Index in report().findings of the selected finding, -1 if none (or a group).
    int selectedFinding() const;
    // What the detail pane shows for the selected finding.
    QString detailText() const;
    QString fixName() const;
    QString fixType() const;
    QString fixValue() const;
    // True when the selected finding has a record to publish (the box is filled and enabled).
    bool isFixShown() const;

public slots:
    // The selected finding's record value to the clipboard.
    void copyFix();

private:
    void showFinding();

    rd::dnscheck::Report m_report;
    QStringList m_changes;
    bool m_hasReport = false;

    QLabel *m_summary = nullptr;
    QLabel *m_changesLabel = nullptr;
    QTabWidget *m_tabs = nullptr;
    QListWidget *m_changeList = nullptr;
    QTreeWidget *m_tree = nullptr;
    QTextBrowser *m_detail = nullptr;
    QGroupBox *m_fixBox = nullptr;
    QLineEdit *m_fixName = nullptr;
    QLineEdit *m_fixType = nullptr;
    QPlainTextEdit *m_fixValue = nullptr;
    QPushButton *m_copy = nullptr;
};

} // namespace rd::ui

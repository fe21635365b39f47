#pragma once
// The Tracking panel: find an accepted message by Message-ID, sender,
// recipient or subject (and a time range), and see its whole path: received
// (from whom, which listener, TLS), each delivery attempt and reply,
// deferrals, bounce or delivery, admin actions, and the bounce it caused.
// The trail can be exported as CSV or text.
// Thread: GUI thread. Every read runs in a MessageTrackService worker (no SQL
// here); answers are matched by generation, so a stale answer is dropped.

#include "log/messagetrack.h"

#include <QWidget>

class QComboBox;
class QDateTimeEdit;
class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTreeWidget;

namespace rd::engine {
class EngineFacade;
}
namespace rd::log {
class MessageTrackService;
}

namespace rd::ui {

class TrackingModel;

class TrackingPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int PageSize = 200;

    // facade: owned by the composition root, must outlive the panel; the
    // panel reads facade->dataDir()/log.db through its own worker.
    explicit TrackingPanel(rd::engine::EngineFacade *facade, QWidget *parent = nullptr);
    ~TrackingPanel() override;

    TrackingModel *model() const { return m_model; }
    // The trail shown (of the current result row); empty queueId when none.
    const rd::log::MessageTrail &trail() const { return m_trail; }

public slots:
    // Runs the search in the search box with the chosen field and range.
    void search();
    // Sets the box and field, then searches (e.g. from the Queue or Logs panel).
    void searchFor(rd::log::TrackField field, const QString &text);
    // Fetches the next page of results.
    void loadMore();
    // Shows the trail of one queue id (the selection does this).
    void showTrail(const QString &queueId);
    // Writes the shown trail to path (format by the suffix: .csv or text).
    void exportTrail(const QString &path);

signals:
    // A search page, a trail or an export came back (tests, status bar).
    void searchFinished(int rows, const QString &error);
    void trailShown(const QString &queueId);
    void exportFinished(const QString &path, const QString &error);

protected:
    // The first time the panel is shown it lists the newest messages.
    void showEvent(QShowEvent *event) override;

private:
    void buildUi();
    void onSearchReady(quint64 generation, const rd::log::TrackPage &page);
    void onTrailReady(quint64 generation, const rd::log::MessageTrail &trail);
    void onCurrentChanged();
    void chooseExportFile();
    rd::log::TrackQuery currentQuery() const;

    rd::engine::EngineFacade *m_facade;
    rd::log::MessageTrackService *m_service;
    TrackingModel *m_model;

    QComboBox *m_field = nullptr;
    QLineEdit *m_text = nullptr;
    QCheckBox *m_useRange = nullptr;
    QDateTimeEdit *m_from = nullptr;
    QDateTimeEdit *m_to = nullptr;
    QPushButton *m_searchButton = nullptr;
    QPushButton *m_moreButton = nullptr;
    QPushButton *m_exportButton = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_summary = nullptr;
    QTableView *m_table = nullptr;
    QTreeWidget *m_timeline = nullptr;

    quint64 m_searchGeneration = 0;
    bool m_shownOnce = false;
    quint64 m_trailGeneration = 0;
    rd::log::TrackQuery m_lastQuery;
    bool m_appending = false;
    rd::log::MessageTrail m_trail;
};

} // namespace rd::ui

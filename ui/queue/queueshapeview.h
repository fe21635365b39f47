#pragma once
// The Queue panel's "Shape" view: queued recipients by destination (or
// sender) domain x age bucket, as Postfix's qshape, with a TOTAL row. Clicking
// a cell asks the panel to list those messages (cellChosen). The counts are
// computed by a QueueShapeService worker (no SQL on the GUI thread).
// Thread: GUI thread.

#include "queue/queueshape.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QTableView;

namespace rd::queue {
class QueueShapeService;
}

namespace rd::ui {

class QueueShapeModel;

class QueueShapeView : public QWidget {
    Q_OBJECT
public:
    static constexpr int TopDomains = 30;

    // dataDir: the instance data folder (queue.db is read by the worker).
    explicit QueueShapeView(const QString &dataDir, QWidget *parent = nullptr);
    ~QueueShapeView() override;

    QueueShapeModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    rd::queue::ShapeBy by() const;

public slots:
    // Asks the worker for a fresh shape (answer -> setShape()).
    void refresh();
    // Shows a shape (the worker's answer; tests call it directly).
    void setShape(const rd::queue::QueueShape &shape);

signals:
    // A cell was clicked: domain ("" = every domain; "other" = the folded
    // tail), the bucket's age range in ms (maxAgeMs -1 = open; the total
    // column gives 0..-1), and whether the domain is the sender's.
    void cellChosen(const QString &domain, qint64 minAgeMs, qint64 maxAgeMs, bool senderDomain, bool other);

private:
    void onClicked(const QModelIndex &index);

    rd::queue::QueueShapeService *m_service;
    QueueShapeModel *m_model;
    QComboBox *m_byCombo = nullptr;
    QPushButton *m_refreshButton = nullptr;
    QLabel *m_status = nullptr;
    QTableView *m_table = nullptr;
    quint64 m_generation = 0;
};

} // namespace rd::ui

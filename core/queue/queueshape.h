#pragma once
// The queue's shape, as Postfix's qshape shows it: how many queued (not yet
// delivered) recipients wait for each destination domain, by age bucket
// (T = total, then < 5, 10, 20, 40, 80, 160, 320, 640, 1280 minutes and
// 1280+), domains sorted by total descending, the top N and "other".
// By sender domain it counts messages with at least one queued recipient
// (as qshape -s does), the null sender as "<>".
// The counts come from QueueReader::shape() (one aggregate query on its own
// connection: run it off the GUI thread); everything here is pure.

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QVector>

#include <array>

namespace rd::queue {

enum class ShapeBy { RecipientDomain, SenderDomain };

constexpr int kShapeBuckets = 10;                      // age buckets (without the total)
constexpr std::array<int, kShapeBuckets - 1> kShapeEdgesMin = {5, 10, 20, 40, 80, 160, 320, 640, 1280};

// The bucket of a message that has waited ageMs (negative ages count as 0).
int shapeBucket(qint64 ageMs);
// "5", "10", ... "1280", "1280+".
QString shapeBucketLabel(int bucket);
// The age range of a bucket in ms: [*minMs, *maxMs); *maxMs = -1 for the last (open) bucket.
void shapeBucketRange(int bucket, qint64 *minMs, qint64 *maxMs);

struct ShapeRow {
    QString domain;                       // "other" for the folded tail; "" means no domain
    qint64 total = 0;
    std::array<qint64, kShapeBuckets> buckets{};
    bool isOther = false;
};

// One aggregated count as the query returns it.
struct ShapeCount {
    QString domain;
    int bucket = 0;
    qint64 count = 0;
};

struct QueueShape {
    ShapeBy by = ShapeBy::RecipientDomain;
    QDateTime now;            // the time the ages are measured from (UTC)
    QVector<ShapeRow> rows;   // total desc (then domain asc), top N, then "other" if any
    ShapeRow totals;          // domain "TOTAL"
    QString error;            // empty if fine
};

// Folds counts into rows: sums per domain, sorts, keeps topN (<= 0: all) and
// puts the rest into one "other" row. Pure.
QueueShape buildShape(const QVector<ShapeCount> &counts, ShapeBy by, const QDateTime &now, int topN);

// qshape-like text table (right-aligned counts, TOTAL row first).
QString shapeToText(const QueueShape &shape);
// {"by": "recipient"|"sender", "now": ..., "buckets": ["T","5",...], "total": {...}, "rows": [{domain, total, buckets[]}]}
QJsonObject shapeToJson(const QueueShape &shape);

struct QshapeCommand {
    ShapeBy by = ShapeBy::RecipientDomain; // --by sender -> SenderDomain
    bool json = false;
    int topN = 20;
};

// `relaydesk --qshape [--by sender] [--json]`: reads dataDir/queue.db on the
// calling thread (a CLI, never the GUI thread) and writes the table to *out.
// Returns the exit code: 0 fine, 2 error (*out holds the message).
int runQshapeCommand(const QString &dataDir, const QshapeCommand &command, QString *out);

} // namespace rd::queue

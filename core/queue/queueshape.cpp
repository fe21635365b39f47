#include "queue/queueshape.h"

#include "queue/queuereader.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

#include <algorithm>

namespace rd::queue {

int shapeBucket(qint64 ageMs)
{
    for (int i = 0; i < int(kShapeEdgesMin.size()); ++i) {
        if (ageMs < qint64(kShapeEdgesMin[size_t(i)]) * 60000)
            return i;
    }
    return kShapeBuckets - 1;
}

QString shapeBucketLabel(int bucket)
{
    if (bucket < 0 || bucket >= kShapeBuckets)
        return QString();
    if (bucket == kShapeBuckets - 1)
        return QString::number(kShapeEdgesMin.back()) + QLatin1Char('+');
    return QString::number(kShapeEdgesMin[size_t(bucket)]);
}

void shapeBucketRange(int bucket, qint64 *minMs, qint64 *maxMs)
{
    bucket = std::clamp(bucket, 0, kShapeBuckets - 1);
    *minMs = bucket == 0 ? 0 : qint64(kShapeEdgesMin[size_t(bucket - 1)]) * 60000;
    *maxMs = bucket == kShapeBuckets - 1 ? -1 : qint64(kShapeEdgesMin[size_t(bucket)]) * 60000;
}

QueueShape buildShape(const QVector<ShapeCount> &counts, ShapeBy by, const QDateTime &now, int topN)
{
    QueueShape shape;
    shape.by = by;
    shape.now = now;
    shape.totals.domain = QStringLiteral("TOTAL");
    QHash<QString, int> index;
    QVector<ShapeRow> rows;
    for (const ShapeCount &c : counts) {
        if (c.count <= 0 || c.bucket < 0 || c.bucket >= kShapeBuckets)
            continue;
        auto it = index.find(c.domain);
        if (it == index.end()) {
            it = index.insert(c.domain, int(rows.size()));
            ShapeRow r;
            r.domain = c.domain;
            rows.append(r);
        }
        ShapeRow &r = rows[*it];
        r.buckets[size_t(c.bucket)] += c.count;
        r.total += c.count;
        shape.totals.buckets[size_t(c.bucket)] += c.count;
        shape.totals.total += c.count;
    }
    std::sort(rows.begin(), rows.end(), [](const ShapeRow &a, const ShapeRow &b) {
        if (a.total != b.total)
            return a.total > b.total;
        return a.domain < b.domain;
    });
    if (topN > 0 && rows.size() > topN) {
        ShapeRow other;
        other.domain = QStringLiteral("other");
        other.isOther = true;
        for (int i = topN; i < rows.size(); ++i) {
            other.total += rows[i].total;
            for (int b = 0; b < kShapeBuckets; ++b)
                other.buckets[size_t(b)] += rows[i].buckets[size_t(b)];
        }
        rows.resize(topN);
        rows.append(other);
    }
    shape.rows = rows;
    return shape;
}

QString shapeToText(const QueueShape &shape)
{
    if (!shape.error.isEmpty())
        return QStringLiteral("error: %1\n").arg(shape.error);
    int width = 6;
    for (const ShapeRow &r : shape.rows)
        width = std::max(width, int(r.domain.size()));
    QStringList lines;
    auto line = [&](const QString &name, const QStringList &cells) {
        QString s = name.rightJustified(width);
        for (const QString &c : cells)
            s += QLatin1Char(' ') + c.rightJustified(6);
        lines << s;
    };
    QStringList head{QStringLiteral("T")};
    for (int b = 0; b < kShapeBuckets; ++b)
        head << shapeBucketLabel(b);
    line(QString(), head);
    auto cellsOf = [](const ShapeRow &r) {
        QStringList c{QString::number(r.total)};
        for (qint64 n : r.buckets)
            c << QString::number(n);
        return c;
    };
    line(shape.totals.domain, cellsOf(shape.totals));
    for (const ShapeRow &r : shape.rows)
        line(r.domain.isEmpty() ? QStringLiteral("(none)") : r.domain, cellsOf(r));
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QJsonObject shapeToJson(const QueueShape &shape)
{
    QJsonArray labels{QStringLiteral("T")};
    for (int b = 0; b < kShapeBuckets; ++b)
        labels.append(shapeBucketLabel(b));
    auto rowJson = [](const ShapeRow &r) {
        QJsonArray b;
        for (qint64 n : r.buckets)
            b.append(n);
        QJsonObject o{{QStringLiteral("domain"), r.domain}, {QStringLiteral("total"), r.total},
                      {QStringLiteral("buckets"), b}};
        if (r.isOther)
            o.insert(QStringLiteral("other"), true);
        return o;
    };
    QJsonArray rows;
    for (const ShapeRow &r : shape.rows)
        rows.append(rowJson(r));
    QJsonObject o{{QStringLiteral("by"), shape.by == ShapeBy::SenderDomain ? QStringLiteral("sender")
                                                                          : QStringLiteral("recipient")},
                  {QStringLiteral("now"), shape.now.toUTC().toString(Qt::ISODateWithMs)},
                  {QStringLiteral("buckets"), labels},
                  {QStringLiteral("total"), rowJson(shape.totals)},
                  {QStringLiteral("rows"), rows}};
    if (!shape.error.isEmpty())
        o.insert(QStringLiteral("error"), shape.error);
    return o;
}

int runQshapeCommand(const QString &dataDir, const QshapeCommand &command, QString *out)
{
    QueueReader reader(dataDir);
    if (!reader.isOpen()) {
        *out = QStringLiteral("cannot open the queue: %1\n").arg(reader.errorString());
        return 2;
    }
    const QueueShape shape = reader.shape(command.by, QDateTime::currentDateTimeUtc(), command.topN);
    if (!shape.error.isEmpty()) {
        *out = QStringLiteral("queue shape failed: %1\n").arg(shape.error);
        return 2;
    }
    *out = command.json ? QString::fromUtf8(QJsonDocument(shapeToJson(shape)).toJson(QJsonDocument::Indented))
                        : shapeToText(shape);
    return 0;
}

} // namespace rd::queue

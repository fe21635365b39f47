// The Badmail folder: .bad + .bad.txt pairs, unique names, listing with the
// reason, retention purge.

#include "pickup/badmail.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace rd::pickup;

namespace {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

} // namespace

class TestBadmail : public QObject {
    Q_OBJECT
private slots:
    void directoryFor();
    void storeAndList();
    void moveInKeepsBytes();
    void uniqueNames();
    void missingReasonAndFolder();
    void purgeByRetention();
};

void TestBadmail::directoryFor()
{
    QCOMPARE(Badmail::directoryFor(QString(), QStringLiteral("/data")), QStringLiteral("/data/badmail"));
    QCOMPARE(Badmail::directoryFor(QStringLiteral("  /srv/bad/ "), QStringLiteral("/data")), QStringLiteral("/srv/bad"));
}

void TestBadmail::storeAndList()
{
    QTemporaryDir tmp;
    const Badmail b(tmp.path() + QStringLiteral("/Badmail")); // created on first store
    QString path, error;
    QVERIFY2(b.store("Subject: x\r\n\r\nbody\r\n", QStringLiteral("01JD3K4M5N6P7Q8R"), QStringLiteral("delivery"),
                     QStringLiteral("550 5.1.1 no such user, and the bounce\nfailed too"), &path, &error),
             qPrintable(error));
    QCOMPARE(QFileInfo(path).fileName(), QStringLiteral("01JD3K4M5N6P7Q8R.bad"));
    QVERIFY(QFileInfo::exists(path + QStringLiteral(".txt")));
    const QList<BadmailItem> items = b.list();
    QCOMPARE(items.size(), 1);
    QCOMPARE(items[0].reason, QStringLiteral("550 5.1.1 no such user, and the bounce failed too"));
    QCOMPARE(items[0].source, QStringLiteral("delivery"));
    QCOMPARE(items[0].original, QStringLiteral("01JD3K4M5N6P7Q8R"));
    QCOMPARE(items[0].size, qint64(20));
    QVERIFY(qAbs(items[0].modified.secsTo(QDateTime::currentDateTimeUtc())) < 60);
    // The reason file is plain "Key: value" text an admin can read.
    const QByteArray reason = readFile(path + QStringLiteral(".txt"));
    QVERIFY(reason.startsWith("Reason: 550 5.1.1"));
    QVERIFY(reason.contains("\r\nSource: delivery\r\n"));
}

void TestBadmail::moveInKeepsBytes()
{
    QTemporaryDir tmp;
    const QString src = tmp.path() + QStringLiteral("/claimed.processing");
    QByteArray junk(5000, '\0');
    for (int i = 0; i < junk.size(); ++i)
        junk[i] = char(i * 7);
    QVERIFY(writeFile(src, junk));
    const Badmail b(tmp.path() + QStringLiteral("/bad"));
    QString path, error;
    QVERIFY(b.moveIn(src, QStringLiteral("report"), QStringLiteral("pickup"), QStringLiteral("the file contains NUL"),
                     &path, &error));
    QVERIFY(!QFileInfo::exists(src));
    QCOMPARE(readFile(path), junk);
    QCOMPARE(b.list().value(0).reason, QStringLiteral("the file contains NUL"));
    // A source that does not exist: an error, nothing stored.
    QVERIFY(!b.moveIn(src, QStringLiteral("gone"), QStringLiteral("pickup"), QStringLiteral("x"), &path, &error));
    QVERIFY(!error.isEmpty());
    QCOMPARE(b.list().size(), 1);
}

void TestBadmail::uniqueNames()
{
    QTemporaryDir tmp;
    const Badmail b(tmp.path());
    QStringList names;
    for (int i = 0; i < 3; ++i) {
        QString path, error;
        QVERIFY(b.store(QByteArray::number(i), QStringLiteral("same"), QStringLiteral("pickup"),
                        QStringLiteral("reason %1").arg(i), &path, &error));
        names << QFileInfo(path).fileName();
        QCOMPARE(readFile(path), QByteArray::number(i));
    }
    QCOMPARE(names, (QStringList{"same.bad", "same-2.bad", "same-3.bad"}));
    // Path separators in a name never escape the folder.
    QString path, error;
    QVERIFY(b.store("x", QStringLiteral("../../etc/passwd"), QStringLiteral("pickup"), QStringLiteral("r"), &path,
                    &error));
    QCOMPARE(QFileInfo(path).absolutePath(), QFileInfo(tmp.path()).absoluteFilePath());
    QCOMPARE(b.list().size(), 4);
}

void TestBadmail::missingReasonAndFolder()
{
    QTemporaryDir tmp;
    QVERIFY(Badmail(tmp.path() + QStringLiteral("/none")).list().isEmpty());
    QVERIFY(writeFile(tmp.path() + QStringLiteral("/orphan.bad"), "x"));
    const QList<BadmailItem> items = Badmail(tmp.path()).list();
    QCOMPARE(items.size(), 1);
    QCOMPARE(items[0].reason, QStringLiteral("(no reason recorded)"));
}

void TestBadmail::purgeByRetention()
{
    QTemporaryDir tmp;
    const Badmail b(tmp.path());
    QString path, error;
    QVERIFY(b.store("new", QStringLiteral("new"), QStringLiteral("pickup"), QStringLiteral("r"), &path, &error));
    // An item that arrived 40 days ago (its reason file says so).
    QVERIFY(writeFile(tmp.path() + QStringLiteral("/old.bad"), "old"));
    const QDateTime old = QDateTime::currentDateTimeUtc().addDays(-40);
    QVERIFY(writeFile(tmp.path() + QStringLiteral("/old.bad.txt"),
                      "Reason: r\r\nSource: pickup\r\nOriginal: old\r\nDate: " + old.toString(Qt::ISODate).toUtf8()
                          + "\r\n"));
    // A moved file keeps its own old time; the reason's date is what counts.
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QCOMPARE(b.purge(0, now), 0);      // 0: keep forever
    QCOMPARE(b.purge(60, now), 0);     // nothing is 60 days old
    QCOMPARE(b.purge(30, now), 1);     // the 40-day-old item goes, both files
    QVERIFY(!QFileInfo::exists(tmp.path() + QStringLiteral("/old.bad")));
    QVERIFY(!QFileInfo::exists(tmp.path() + QStringLiteral("/old.bad.txt")));
    QCOMPARE(b.list().size(), 1);
    QCOMPARE(b.purge(30, now.addDays(31)), 1); // a month later the new one goes too
    QVERIFY(QDir(tmp.path()).entryList(QDir::Files).isEmpty());
}

QTEST_GUILESS_MAIN(TestBadmail)
#include "tst_badmail.moc"

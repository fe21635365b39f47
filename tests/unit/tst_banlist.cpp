// Automatic bans: policy::BanList (thresholds per failure kind, the sliding
// window, expiry, unban, loopback and allow-rule exemptions, IPv6 /64 keys,
// the memory caps under a flood of addresses) and policy::BanStore (batched
// writes off the calling thread into config.db `bans`, surviving a reopen,
// keeping changes when a write fails).

#include "config/configsnapshot.h"
#include "config/settings.h"
#include "policy/banlist.h"
#include "policy/banstore.h"
#include "policy/connectioncontrol.h"
#include "storage/database.h"

#include <QFile>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using rd::policy::Ban;
using rd::policy::BanChanges;
using rd::policy::BanList;
using rd::policy::BanParams;
using rd::policy::BanStore;
using rd::policy::FailureKind;

namespace {

const qint64 kT0 = QDateTime(QDate(2026, 11, 27), QTime(12, 0), Qt::UTC).toMSecsSinceEpoch();
constexpr qint64 kSec = 1000;

QHostAddress ip(const char *text)
{
    return QHostAddress(QString::fromLatin1(text));
}

BanParams params(int auth, int rcpt, int proto, int window = 600, int duration = 3600)
{
    BanParams p;
    p.authFailures = auth;
    p.rejectedRecipients = rcpt;
    p.protocolErrors = proto;
    p.windowSeconds = window;
    p.durationSeconds = duration;
    return p;
}

// Records n failures one second apart from `start`; returns the ban, if any, made by the last one.
std::optional<Ban> fail(BanList &list, const QHostAddress &a, FailureKind kind, int n, qint64 start = kT0)
{
    std::optional<Ban> last;
    for (int i = 0; i < n; ++i) {
        last = list.recordFailure(a, kind, start + i * kSec);
        if (last && i + 1 < n)
            return std::nullopt; // banned too early
    }
    return last;
}

int rowCount(const QString &dataDir)
{
    const QString conn = rd::storage::uniqueConnectionName(QStringLiteral("check"));
    int n = -1;
    {
        QString error;
        QSqlDatabase db = rd::storage::openDatabase(dataDir, rd::storage::DbKind::Config, conn, {}, &error);
        QSqlQuery q(db);
        if (q.exec(QStringLiteral("SELECT COUNT(*) FROM bans")) && q.next())
            n = q.value(0).toInt();
    }
    rd::storage::closeDatabase(conn);
    return n;
}

} // namespace

class TestBanList : public QObject {
    Q_OBJECT

private slots:
    void thresholdsPerKind();
    void kindsCountSeparately();
    void windowSlides();
    void banExpiresAndUnban();
    void hostItselfAndAllowRulesAreNeverBanned();
    void ipv6IsBannedPerSlash64();
    void disabledCountsNothing();
    void settingsAreRead();
    void memoryCapUnderAFlood();
    void banCap();
    void changesForTheStore();
    void persistsAcrossReopen();
    void writesAreBatchedOffThread();
    void failedWriteKeepsChanges();
};

void TestBanList::thresholdsPerKind()
{
    BanList list(params(3, 5, 0));
    const QHostAddress a = ip("192.0.2.10");
    QVERIFY(!fail(list, a, FailureKind::AuthFailure, 2));
    QCOMPARE(list.failures(a, FailureKind::AuthFailure, kT0 + 2 * kSec), 2);
    QVERIFY(!list.isBanned(a, kT0 + 2 * kSec));
    const std::optional<Ban> b = list.recordFailure(a, FailureKind::AuthFailure, kT0 + 2 * kSec);
    QVERIFY(b);
    QCOMPARE(b->ip, QStringLiteral("192.0.2.10"));
    QCOMPARE(b->reason, QStringLiteral("after 3 failed AUTH attempts"));
    QCOMPARE(b->failures, 3);
    QCOMPARE(b->created.toMSecsSinceEpoch(), kT0 + 2 * kSec);
    QCOMPARE(b->expires.toMSecsSinceEpoch(), kT0 + 2 * kSec + 3600 * kSec);
    QVERIFY(list.isBanned(a, kT0 + 3 * kSec));
    QCOMPARE(list.failures(a, FailureKind::AuthFailure, kT0 + 3 * kSec), 0); // cleared by the ban
    // While banned nothing more is counted or banned again.
    QVERIFY(!list.recordFailure(a, FailureKind::AuthFailure, kT0 + 4 * kSec));
    QCOMPARE(list.banCount(), 1);

    const std::optional<Ban> r = fail(list, ip("192.0.2.11"), FailureKind::RejectedRecipient, 5);
    QVERIFY(r);
    QCOMPARE(r->reason, QStringLiteral("after 5 rejected recipients"));
    // Threshold 0: protocol errors never ban.
    QVERIFY(!fail(list, ip("192.0.2.12"), FailureKind::ProtocolError, 500));
    QVERIFY(!list.isBanned(ip("192.0.2.12"), kT0 + 501 * kSec));
    list.setParams(params(3, 5, 4));
    const std::optional<Ban> p = fail(list, ip("192.0.2.13"), FailureKind::ProtocolError, 4);
    QVERIFY(p);
    QCOMPARE(p->reason, QStringLiteral("after 4 protocol errors"));
}

void TestBanList::kindsCountSeparately()
{
    BanList list(params(3, 3, 3));
    const QHostAddress a = ip("198.51.100.1");
    QVERIFY(!fail(list, a, FailureKind::AuthFailure, 2));
    QVERIFY(!fail(list, a, FailureKind::RejectedRecipient, 2, kT0 + 10 * kSec));
    QVERIFY(!fail(list, a, FailureKind::ProtocolError, 2, kT0 + 20 * kSec));
    QVERIFY(!list.isBanned(a, kT0 + 30 * kSec));
    QVERIFY(list.recordFailure(a, FailureKind::RejectedRecipient, kT0 + 30 * kSec));
}

void TestBanList::windowSlides()
{
    // 60 s window: 60 slots of 1 s, so a failure at t counts until t rounded down to the second + 61 s.
    BanList list(params(3, 0, 0, 60));
    const QHostAddress a = ip("203.0.113.5");
    QVERIFY(!list.recordFailure(a, FailureKind::AuthFailure, kT0));
    QVERIFY(!list.recordFailure(a, FailureKind::AuthFailure, kT0 + 30 * kSec));
    QCOMPARE(list.failures(a, FailureKind::AuthFailure, kT0 + 60 * kSec), 2);
    QCOMPARE(list.failures(a, FailureKind::AuthFailure, kT0 + 61 * kSec - 1), 2);
    QCOMPARE(list.failures(a, FailureKind::AuthFailure, kT0 + 61 * kSec), 1); // the first aged out
    QVERIFY(!list.recordFailure(a, FailureKind::AuthFailure, kT0 + 61 * kSec));
    QVERIFY(list.recordFailure(a, FailureKind::AuthFailure, kT0 + 62 * kSec)); // 30 s, 61 s, 62 s

    // Slow and steady stays under the threshold forever.
    const QHostAddress slow = ip("203.0.113.6");
    for (int i = 0; i < 100; ++i)
        QVERIFY(!list.recordFailure(slow, FailureKind::AuthFailure, kT0 + i * 31 * kSec));

    // A 600 s window has 10 s slots: the rounding is at most one slot.
    BanList wide(params(2, 0, 0, 600));
    const QHostAddress b = ip("203.0.113.7");
    QVERIFY(!wide.recordFailure(b, FailureKind::AuthFailure, kT0 + 5 * kSec));
    QCOMPARE(wide.failures(b, FailureKind::AuthFailure, kT0 + 609 * kSec), 1);
    QCOMPARE(wide.failures(b, FailureKind::AuthFailure, kT0 + 610 * kSec), 0);
    QVERIFY(!wide.recordFailure(b, FailureKind::AuthFailure, kT0 + 610 * kSec));
}

void TestBanList::banExpiresAndUnban()
{
    BanList list(params(2, 0, 0, 600, 10));
    const QHostAddress a = ip("192.0.2.50");
    const std::optional<Ban> b = fail(list, a, FailureKind::AuthFailure, 2);
    QVERIFY(b);
    const qint64 end = b->expires.toMSecsSinceEpoch();
    QCOMPARE(end, kT0 + kSec + 10 * kSec);
    QVERIFY(list.isBanned(a, end - 1));
    QVERIFY(!list.isBanned(a, end));
    QCOMPARE(list.list(end - 1).size(), 1);
    QVERIFY(list.list(end).isEmpty());
    QCOMPARE(list.banCount(), 1); // kept until purged
    QCOMPARE(list.purgeExpired(end), 1);
    QCOMPARE(list.banCount(), 0);

    // Unban by key or by address; counters go too.
    list.ban(a, QStringLiteral("by an administrator"), 600, kT0);
    QVERIFY(!list.unban(QStringLiteral("192.0.2.51")));
    QVERIFY(list.unban(QStringLiteral("192.0.2.50")));
    QVERIFY(!list.isBanned(a, kT0 + kSec));
    QVERIFY(!list.recordFailure(a, FailureKind::AuthFailure, kT0 + 2 * kSec));
    QVERIFY(list.unban(QStringLiteral("::ffff:192.0.2.50")) == false);
    QCOMPARE(list.failures(a, FailureKind::AuthFailure, kT0 + 2 * kSec), 0);
    list.ban(ip("2001:db8:5:6::7"), QStringLiteral("by an administrator"), 600, kT0);
    QVERIFY(list.unban(QStringLiteral("2001:db8:5:6::99"))); // an address inside the banned /64
    QCOMPARE(list.banCount(), 0);

    // The list is sorted by expiry.
    list.ban(ip("192.0.2.1"), QStringLiteral("b"), 300, kT0);
    list.ban(ip("192.0.2.2"), QStringLiteral("a"), 100, kT0);
    const QList<Ban> all = list.list(kT0);
    QCOMPARE(all.size(), 2);
    QCOMPARE(all.at(0).ip, QStringLiteral("192.0.2.2"));
}

void TestBanList::hostItselfAndAllowRulesAreNeverBanned()
{
    BanList list(params(2, 2, 2));
    for (const char *self : {"127.0.0.1", "::1", "::ffff:127.0.0.1"}) {
        QVERIFY2(!fail(list, ip(self), FailureKind::AuthFailure, 50), self);
        QVERIFY(!list.isBanned(ip(self), kT0 + 60 * kSec));
    }
    QCOMPARE(list.trackedIps(), 0);
    // Other loopback addresses are ordinary clients (tests use them as sources).
    QVERIFY(fail(list, ip("127.0.0.2"), FailureKind::AuthFailure, 2));
    // An admin may ban the host itself on purpose.
    list.ban(ip("127.0.0.1"), QStringLiteral("by an administrator"), 60, kT0);
    QVERIFY(list.isBanned(ip("127.0.0.1"), kT0 + kSec));

    // An allow rule covers 192.0.2.0/24 until one hour after kT0.
    rd::config::ConnectionRule r;
    r.network = QStringLiteral("192.0.2.0/24");
    r.action = rd::config::ConnectionAction::Allow;
    r.expires = QDateTime::fromMSecsSinceEpoch(kT0 + 3600 * kSec, Qt::UTC);
    rd::policy::ConnectionControl cc({r});
    list.setExemption([&cc](const QHostAddress &a, qint64 now) { return cc.decide(a, now).allowed(); });
    QVERIFY(!fail(list, ip("192.0.2.77"), FailureKind::AuthFailure, 20));
    QVERIFY(fail(list, ip("198.51.100.77"), FailureKind::AuthFailure, 2));
    // Once the allowance expired, the address is an ordinary client again.
    QVERIFY(fail(list, ip("192.0.2.77"), FailureKind::AuthFailure, 2, kT0 + 3600 * kSec));
}

void TestBanList::ipv6IsBannedPerSlash64()
{
    BanList list(params(3, 0, 0));
    QVERIFY(!list.recordFailure(ip("2001:db8:1:2::1"), FailureKind::AuthFailure, kT0));
    QVERIFY(!list.recordFailure(ip("2001:db8:1:2::2"), FailureKind::AuthFailure, kT0 + kSec));
    QVERIFY(!list.recordFailure(ip("2001:db8:1:3::1"), FailureKind::AuthFailure, kT0 + kSec));
    const std::optional<Ban> b = list.recordFailure(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), FailureKind::AuthFailure, kT0 + 2 * kSec);
    QVERIFY(b);
    QCOMPARE(b->ip, QStringLiteral("2001:db8:1:2::/64"));
    QVERIFY(list.isBanned(ip("2001:db8:1:2::abcd"), kT0 + 3 * kSec));
    QVERIFY(!list.isBanned(ip("2001:db8:1:3::1"), kT0 + 3 * kSec));
    QCOMPARE(BanList::keyFor(ip("::ffff:192.0.2.1")), QStringLiteral("192.0.2.1"));
    QCOMPARE(BanList::keyFor(QHostAddress()), QString());
    QVERIFY(!list.recordFailure(QHostAddress(), FailureKind::AuthFailure, kT0));
}

void TestBanList::disabledCountsNothing()
{
    BanParams p = params(2, 2, 2);
    p.enabled = false;
    BanList list(p);
    QVERIFY(!fail(list, ip("192.0.2.1"), FailureKind::AuthFailure, 10));
    QCOMPARE(list.trackedIps(), 0);
    // A manual ban still applies.
    list.ban(ip("192.0.2.1"), QStringLiteral("by an administrator"), 60, kT0);
    QVERIFY(list.isBanned(ip("192.0.2.1"), kT0));
}

void TestBanList::settingsAreRead()
{
    using namespace rd::config::keys;
    rd::config::ConfigSnapshot cfg;
    const BanParams d = BanParams::fromConfig(cfg);
    QCOMPARE(d.authFailures, rd::config::findSetting(QString::fromLatin1(kBanAuthFailures))->defaultValue.toInt());
    QString error;
    QVERIFY(cfg.setValue(QString::fromLatin1(kBanAuthFailures), 4, &error));
    QVERIFY(cfg.setValue(QString::fromLatin1(kBanRejectedRecipients), 0, &error));
    QVERIFY(cfg.setValue(QString::fromLatin1(kBanProtocolErrors), 7, &error));
    QVERIFY(cfg.setValue(QString::fromLatin1(kBanWindow), 120, &error));
    QVERIFY(cfg.setValue(QString::fromLatin1(kBanDuration), 10, &error));
    QVERIFY(cfg.setValue(QString::fromLatin1(kBansEnabled), false, &error));
    const BanParams p = BanParams::fromConfig(cfg);
    QCOMPARE(p.authFailures, 4);
    QCOMPARE(p.rejectedRecipients, 0);
    QCOMPARE(p.protocolErrors, 7);
    QCOMPARE(p.windowSeconds, 120);
    QCOMPARE(p.durationSeconds, 10);
    QCOMPARE(p.enabled, false);
}

void TestBanList::memoryCapUnderAFlood()
{
    BanParams p = params(10, 0, 0);
    p.maxTrackedIps = 1000;
    BanList list(p);
    const QHostAddress attacker = ip("198.51.100.200");
    std::optional<Ban> attackerBan;
    // 200 000 addresses fail once each (one per ms); one address fails again after every
    // 500 of them (the cap is 1000: a second failure before ~875 newcomers keeps it tracked).
    for (int i = 0; i < 200000; ++i) {
        const qint64 now = kT0 + i;
        list.recordFailure(QHostAddress(quint32(0x0A000000u + quint32(i))), FailureKind::AuthFailure, now);
        QVERIFY(list.trackedIps() <= 1000);
        if (i % 500 == 0 && !attackerBan)
            attackerBan = list.recordFailure(attacker, FailureKind::AuthFailure, now);
    }
    qInfo("tracked %d addresses after 200000, %lld evicted", list.trackedIps(), list.evictedIps());
    QVERIFY(list.evictedIps() >= 199000);
    QVERIFY2(attackerBan, "the persistent attacker must still be banned despite the flood");
    QCOMPARE(attackerBan->failures, 10);
}

void TestBanList::banCap()
{
    BanParams p = params(1, 0, 0);
    p.maxBans = 100;
    BanList list(p);
    for (int i = 0; i < 1000; ++i)
        QVERIFY(list.recordFailure(QHostAddress(quint32(0x0A000000u + quint32(i))), FailureKind::AuthFailure, kT0 + i));
    QVERIFY(list.banCount() <= 100);
    // The newest ban (the one expiring last) is kept.
    QVERIFY(list.isBanned(QHostAddress(quint32(0x0A000000u + 999)), kT0 + 1000));
    QVERIFY(!list.isBanned(QHostAddress(quint32(0x0A000000u)), kT0 + 1000));
}

void TestBanList::changesForTheStore()
{
    BanList list(params(2, 0, 0));
    QVERIFY(list.takeChanges().isEmpty());
    fail(list, ip("192.0.2.1"), FailureKind::AuthFailure, 2);
    list.ban(ip("192.0.2.2"), QStringLiteral("by an administrator"), 60, kT0);
    BanChanges c = list.takeChanges();
    QCOMPARE(c.upserts.size(), 2);
    QVERIFY(c.deletes.isEmpty());
    QVERIFY(list.takeChanges().isEmpty());
    list.unban(QStringLiteral("192.0.2.2"));
    c = list.takeChanges();
    QVERIFY(c.upserts.isEmpty());
    QCOMPARE(c.deletes, QStringList{QStringLiteral("192.0.2.2")});
    // A failed write is handed back; a newer change to the same key wins.
    list.restoreChanges(c);
    list.ban(ip("192.0.2.2"), QStringLiteral("again"), 60, kT0);
    c = list.takeChanges();
    QCOMPARE(c.upserts.size(), 1);
    QVERIFY(c.deletes.isEmpty());
    // merged(): the newer operation per key wins.
    BanChanges older;
    older.deletes << QStringLiteral("a");
    older.upserts << Ban{QStringLiteral("b"), QStringLiteral("x"), {}, {}, 0};
    BanChanges newer;
    newer.upserts << Ban{QStringLiteral("a"), QStringLiteral("y"), {}, {}, 0};
    newer.deletes << QStringLiteral("b");
    const BanChanges m = BanChanges::merged(older, newer);
    QCOMPARE(m.upserts.size(), 1);
    QCOMPARE(m.upserts.first().ip, QStringLiteral("a"));
    QCOMPARE(m.deletes, QStringList{QStringLiteral("b")});
}

void TestBanList::persistsAcrossReopen()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    Ban auto1;
    {
        BanStore store(dir.path());
        QList<Ban> stored;
        QString error;
        QVERIFY2(store.load(&stored, &error), qPrintable(error));
        QVERIFY(stored.isEmpty());
        BanList list(params(3, 0, 0, 600, 600));
        auto1 = *fail(list, ip("192.0.2.9"), FailureKind::AuthFailure, 3);
        list.ban(ip("2001:db8:9::1"), QStringLiteral("by an administrator"), 60, kT0);
        list.ban(ip("192.0.2.10"), QStringLiteral("short"), 10, kT0);
        store.save(list.takeChanges());
        QVERIFY2(store.flush(&error), qPrintable(error));
    } // "restart"
    QCOMPARE(rowCount(dir.path()), 3);
    BanStore store(dir.path());
    QList<Ban> stored;
    QString error;
    QVERIFY(store.load(&stored, &error));
    QCOMPARE(stored.size(), 3);
    BanList list(params(3, 0, 0));
    const qint64 later = kT0 + 30 * kSec; // the 10 s ban has expired
    list.load(stored, later);
    const std::optional<Ban> b = list.isBanned(ip("192.0.2.9"), later);
    QVERIFY(b);
    QCOMPARE(*b, auto1);
    QVERIFY(list.isBanned(ip("2001:db8:9::abc"), later));
    QVERIFY(!list.isBanned(ip("192.0.2.10"), later));
    // Loading queued the expired row's deletion; writing it leaves two rows.
    const BanChanges c = list.takeChanges();
    QCOMPARE(c.deletes, QStringList{QStringLiteral("192.0.2.10")});
    QVERIFY(c.upserts.isEmpty());
    store.save(c);
    QVERIFY(store.flush());
    QCOMPARE(rowCount(dir.path()), 2);
}

void TestBanList::writesAreBatchedOffThread()
{
    QTemporaryDir dir;
    BanStore store(dir.path());
    QSignalSpy saved(&store, &BanStore::saved);
    BanList list(params(1, 0, 0));
    // 300 bans handed over one by one: they are merged while a write runs.
    for (int i = 0; i < 300; ++i) {
        list.recordFailure(QHostAddress(quint32(0xC0000200u + quint32(i % 250)) + quint32(i / 250) * 256), FailureKind::AuthFailure, kT0 + i);
        store.save(list.takeChanges());
    }
    QVERIFY(!store.isIdle()); // save() returned before the database was written
    QTRY_VERIFY_WITH_TIMEOUT(store.isIdle(), 20000);
    int upserts = 0;
    for (const QList<QVariant> &args : std::as_const(saved))
        upserts += args.at(0).toInt();
    qInfo("300 bans written in %d transactions", int(saved.size()));
    QCOMPARE(upserts, 300);
    QVERIFY(saved.size() < 300);
    QCOMPARE(rowCount(dir.path()), 300);
}

void TestBanList::failedWriteKeepsChanges()
{
    QTemporaryDir dir;
    const QString notADir = dir.filePath(QStringLiteral("file"));
    QFile f(notADir);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("x");
    f.close();
    auto store = std::make_unique<BanStore>(notADir);
    QSignalSpy failed(store.get(), &BanStore::saveFailed);
    BanList list;
    list.ban(ip("192.0.2.1"), QStringLiteral("by an administrator"), 60, kT0);
    store->save(list.takeChanges());
    QVERIFY(failed.wait(10000));
    QVERIFY(!failed.first().first().toString().isEmpty());
    QVERIFY(!store->isIdle()); // kept for a retry
    QString error;
    QVERIFY(!store->flush(&error));
    QVERIFY(!error.isEmpty());
    qInfo("write error as reported: %s", qPrintable(error));
    store.reset(); // must not hang or crash with unwritable changes
}

QTEST_GUILESS_MAIN(TestBanList)
#include "tst_banlist.moc"

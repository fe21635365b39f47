// Directory sign-in (issue #10) against a real OpenLDAP slapd on loopback,
// started from tests/integration/slapdserver.py (LDAPS and StartTLS with a test
// CA, a tree with nested groups, a locked account and a group cycle). Needs
// /usr/sbin/slapd and ldap-utils (scripts/deps.sh). Also the pure parts:
// filter escaping, server lists, AD bind codes and account flags.

#include "directory/directoryconfig.h"
#include "directory/directoryservice.h"
#include "directory/ldapsession.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTimer>
#include <QtTest>

using namespace rd::directory;

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");
const QString kSlapd = QStringLiteral("/usr/sbin/slapd");
const QString kBase = QStringLiteral("dc=example,dc=test");
const QString kRelaySenders = QStringLiteral("cn=Relay senders,ou=groups,dc=example,dc=test");
const QString kHelpdesk = QStringLiteral("cn=Helpdesk,ou=groups,dc=example,dc=test");
const QString kLoopA = QStringLiteral("cn=Loop A,ou=groups,dc=example,dc=test");
const QString kLoopB = QStringLiteral("cn=Loop B,ou=groups,dc=example,dc=test");

// One slapdserver.py process (--stop-on-eof) and what it printed.
struct Slapd {
    QProcess *proc = nullptr;
    QJsonObject info;

    bool start(QObject *parent, const QStringList &extra, QString *error)
    {
        const QString script = QFINDTESTDATA("../integration/slapdserver.py");
        if (!QFile::exists(script)) {
            *error = QStringLiteral("tests/integration/slapdserver.py not found");
            return false;
        }
        proc = new QProcess(parent);
        proc->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        proc->start(kPython, QStringList{script} + extra + QStringList{QStringLiteral("--stop-on-eof")});
        if (!proc->waitForStarted(5000)) {
            *error = proc->errorString();
            return false;
        }
        const QByteArray line = readLine(30000);
        if (!line.startsWith("ready ")) {
            *error = QStringLiteral("slapdserver.py did not print ready: ") + QString::fromUtf8(line);
            return false;
        }
        info = QJsonDocument::fromJson(line.mid(6)).object();
        return !info.isEmpty();
    }
    QByteArray readLine(int timeoutMs)
    {
        QElapsedTimer t;
        t.start();
        while (!proc->canReadLine() && proc->state() == QProcess::Running && t.elapsed() < timeoutMs)
            proc->waitForReadyRead(100);
        return proc->readLine().trimmed();
    }
    // stop, start, kill, pause, resume: answered "ok <cmd>".
    bool command(const QByteArray &cmd)
    {
        proc->write(cmd + '\n');
        const QByteArray answer = readLine(20000);
        return answer == "ok " + cmd;
    }
    void stop()
    {
        if (!proc)
            return;
        proc->closeWriteChannel();
        if (!proc->waitForFinished(15000)) {
            proc->kill();
            proc->waitForFinished(3000);
        }
    }
    QString text(const char *key) const { return info.value(QLatin1String(key)).toString(); }
};

} // namespace

class TestDirectory : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();

    // pure
    void filterValuesAreEscaped();
    void serverListsParse();
    void userFilterAndDnChecks();
    void adBindCodesAndAccountFlags();
    void configProblems();

    // against slapd
    void ldapsSignInWithNestedGroups();
    void startTlsSignIn();
    void wrongPasswordUnknownUserAndInjection();
    void emptyPasswordNeverBinds();
    void lockedAccountIsRefusedWithReason();
    void groupCycleEnds();
    void wrongCaAndExpiredCertificateAreUnavailable();
    void unverifiedCertificateWorksButIsWarned();
    void failoverToTheNextServer();
    void badServiceAccountIsTemporary();
    void pausedServerTimesOutWithoutBlocking();
    void cacheCarriesThroughOutageAndEndsOnChange();
    void principalMapsToUser();
    void adminTools();

private:
    DirectoryConfig config(const QString &uri) const;
    DirectorySignIn signIn(DirectoryService &svc, const QString &login, const QByteArray &password);

    Slapd m_ldap;
    Slapd m_expired;
};

void TestDirectory::initTestCase()
{
    if (!QFile::exists(kSlapd))
        QFAIL("slapd not found at /usr/sbin/slapd: run scripts/deps.sh (apt-get install slapd ldap-utils)");
    QString error;
    QVERIFY2(m_ldap.start(this, {}, &error), qPrintable(error));
    QVERIFY2(m_expired.start(this, {QStringLiteral("--expired-cert")}, &error), qPrintable(error));
}

void TestDirectory::cleanupTestCase()
{
    m_ldap.stop();
    m_expired.stop();
}

DirectoryConfig TestDirectory::config(const QString &uri) const
{
    DirectoryConfig c;
    c.enabled = true;
    c.kind = DirectoryKind::OpenLdap;
    QString error;
    parseServers(uri, &c.servers, &error);
    c.caFile = m_ldap.text("ca_file");
    c.bindDn = m_ldap.text("service_dn");
    c.bindPassword = m_ldap.text("service_password");
    c.baseDn = kBase;
    c.userFilter = presetUserFilter(c.kind);
    c.relayGroups = {kRelaySenders};
    c.timeoutMs = 2000;
    return c;
}

DirectorySignIn TestDirectory::signIn(DirectoryService &svc, const QString &login, const QByteArray &password)
{
    std::optional<DirectorySignIn> result;
    svc.signIn(login, password, [&](DirectorySignIn r) { result = r; });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 30000); }();
    return result.value_or(DirectorySignIn{});
}

// ------------------------------------------------------------------ pure

void TestDirectory::filterValuesAreEscaped()
{
    QCOMPARE(escapeFilterValue(QStringLiteral("alice")), QStringLiteral("alice"));
    // RFC 4515 3: * ( ) \ NUL escaped as \XX, so a login cannot widen the filter.
    QCOMPARE(escapeFilterValue(QStringLiteral("*)(uid=*")), QStringLiteral("\\2a\\29\\28uid=\\2a"));
    QCOMPARE(escapeFilterValue(QStringLiteral("a\\b")), QStringLiteral("a\\5cb"));
    QCOMPARE(escapeFilterValue(QString(QChar(0))), QStringLiteral("\\00"));
    QCOMPARE(escapeFilterValue(QStringLiteral("jörg")), QStringLiteral("j\\c3\\b6rg"));
    QCOMPARE(userFilterFor(QStringLiteral("(|(uid=%u)(mail=%u))"), QStringLiteral("a*")),
             QStringLiteral("(|(uid=a\\2a)(mail=a\\2a))"));
}

void TestDirectory::serverListsParse()
{
    QList<DirectoryServer> s;
    QString error;
    QVERIFY(parseServers(QStringLiteral("ldaps://dc1.example.com ldap://dc2.example.com:3389,ldaps://[::1]:6360"), &s,
                         &error));
    QCOMPARE(s.size(), 3);
    QVERIFY(s[0].ldaps);
    QCOMPARE(s[0].port, 636);
    QCOMPARE(s[0].host, QStringLiteral("dc1.example.com"));
    QVERIFY(!s[1].ldaps);
    QCOMPARE(s[1].port, 3389);
    QCOMPARE(s[2].host, QStringLiteral("::1"));
    QCOMPARE(s[2].port, 6360);
    QVERIFY(parseServers(QString(), &s, &error));
    QVERIFY(s.isEmpty());
    for (const char *bad : {"http://dc1", "dc1.example.com", "ldaps://", "ldaps://user@dc1", "ldap://dc1/dc=x?uid"}) {
        QVERIFY2(!parseServers(QString::fromLatin1(bad), &s, &error), bad);
        QVERIFY(error.contains(QLatin1String(bad)));
    }
}

void TestDirectory::userFilterAndDnChecks()
{
    QVERIFY(userFilterProblem(QStringLiteral("(uid=%u)")).isEmpty());
    QVERIFY(userFilterProblem(QString()).isEmpty()); // empty: the preset
    QVERIFY(userFilterProblem(QStringLiteral("uid=%u")).contains(QLatin1String("parentheses")));
    QVERIFY(userFilterProblem(QStringLiteral("(&(uid=%u)")).contains(QLatin1String("match")));
    QVERIFY(userFilterProblem(QStringLiteral("(uid=alice)")).contains(QLatin1String("%u")));
    QVERIFY(presetUserFilter(DirectoryKind::ActiveDirectory).contains(QLatin1String("sAMAccountName=%u")));
    QVERIFY(presetUserFilter(DirectoryKind::ActiveDirectory).contains(QLatin1String("userPrincipalName=%u")));
    QVERIFY(presetUserFilter(DirectoryKind::OpenLdap).contains(QLatin1String("uid=%u")));

    QVERIFY(dnProblem(QStringLiteral("CN=Relay senders,OU=Groups,DC=example,DC=com")).isEmpty());
    QVERIFY(dnProblem(QStringLiteral("cn=Smith\\, John,ou=people,dc=x")).isEmpty());
    QVERIFY(!dnProblem(QStringLiteral("Relay senders")).isEmpty());
    QVERIFY(!dnProblem(QStringLiteral("cn=a,,dc=x")).isEmpty());
    QCOMPARE(normalizedDn(QStringLiteral("CN=Relay senders, OU=Groups ,DC=Example")),
             QStringLiteral("cn=relay senders,ou=groups,dc=example"));
    QCOMPARE(parseGroupList(QStringLiteral("cn=a,dc=x\n\n  cn=b,dc=x \ncn=A,dc=x")),
             (QStringList{QStringLiteral("cn=a,dc=x"), QStringLiteral("cn=b,dc=x")}));
}

void TestDirectory::adBindCodesAndAccountFlags()
{
    // The diagnostic text AD (and Samba AD) sends with invalidCredentials.
    const QString prefix = QStringLiteral("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ");
    QCOMPARE(LdapSession::adBindReason(prefix + QStringLiteral("52e, v4563")), QStringLiteral("wrong password"));
    QCOMPARE(LdapSession::adBindReason(prefix + QStringLiteral("533, v4563")), QStringLiteral("account disabled"));
    QCOMPARE(LdapSession::adBindReason(prefix + QStringLiteral("775, v4563")), QStringLiteral("account locked out"));
    QCOMPARE(LdapSession::adBindReason(prefix + QStringLiteral("701, v4563")), QStringLiteral("account expired"));
    QCOMPARE(LdapSession::adBindReason(prefix + QStringLiteral("532, v4563")), QStringLiteral("password expired"));
    QVERIFY(LdapSession::adBindReason(QStringLiteral("Invalid credentials")).isEmpty());

    const QDateTime now = QDateTime(QDate(2026, 11, 27), QTime(12, 0), Qt::UTC);
    const auto ad = DirectoryKind::ActiveDirectory;
    QVERIFY(LdapSession::accountRefusal(ad, 0x200, 0, 0, {}, now).isEmpty()); // NORMAL_ACCOUNT
    QVERIFY(LdapSession::accountRefusal(ad, 0x202, 0, 0, {}, now).contains(QLatin1String("disabled")));
    QVERIFY(LdapSession::accountRefusal(ad, 0x200, 0x10, 0, {}, now).contains(QLatin1String("locked")));
    QVERIFY(LdapSession::accountRefusal(ad, 0x200, 0x800000, 0, {}, now).contains(QLatin1String("expired")));
    QVERIFY(LdapSession::accountRefusal(ad, 0x200, 0, 0x7FFFFFFFFFFFFFFFLL, {}, now).isEmpty()); // never
    // accountExpires in FILETIME: 2026-01-01 has passed, 2027-01-01 has not.
    auto filetime = [](const QDateTime &t) { return (t.toSecsSinceEpoch() + 11644473600LL) * 10000000LL; };
    QVERIFY(LdapSession::accountRefusal(ad, 0x200, 0, filetime(QDateTime(QDate(2026, 1, 1), QTime(0, 0), Qt::UTC)), {}, now)
                .contains(QLatin1String("2026-01-01")));
    QVERIFY(LdapSession::accountRefusal(ad, 0x200, 0, filetime(QDateTime(QDate(2027, 1, 1), QTime(0, 0), Qt::UTC)), {}, now)
                .isEmpty());
    const auto ol = DirectoryKind::OpenLdap;
    QVERIFY(LdapSession::accountRefusal(ol, 0, 0, 0, {}, now).isEmpty());
    QVERIFY(LdapSession::accountRefusal(ol, 0, 0, 0, QStringLiteral("000001010000Z"), now).contains(QLatin1String("disabled")));
    QVERIFY(LdapSession::accountRefusal(ol, 0, 0, 0, QStringLiteral("20261127100000Z"), now).contains(QLatin1String("locked")));
}

void TestDirectory::configProblems()
{
    DirectoryConfig c;
    QVERIFY(c.problems().isEmpty()); // disabled
    c.enabled = true;
    const QString all = c.problems().join(QLatin1Char('\n'));
    QVERIFY(all.contains(QLatin1String("directory.servers")));
    QVERIFY(all.contains(QLatin1String("directory.base_dn")));
    c = config(m_ldap.text("ldaps_uri"));
    QVERIFY(c.problems().isEmpty());
    c.verifyCertificate = false;
    QVERIFY(c.problems().join(QLatin1Char('\n')).contains(QLatin1String("NOT checked")));
}

// ------------------------------------------------------------------ slapd

void TestDirectory::ldapsSignInWithNestedGroups()
{
    const DirectoryConfig c = config(m_ldap.text("ldaps_uri"));
    const QStringList groups{kRelaySenders, kHelpdesk};
    DirectorySignIn r = signInBlocking(c, QStringLiteral("alice"), "alice-pw", groups);
    QVERIFY2(r.outcome == DirectorySignIn::Success, qPrintable(r.reason));
    QCOMPARE(r.dn, QStringLiteral("uid=alice,ou=people,dc=example,dc=test"));
    QCOMPARE(r.login, QStringLiteral("alice"));
    QCOMPARE(r.groups, QStringList{kRelaySenders});
    QCOMPARE(r.addresses, QStringList{QStringLiteral("alice@example.test")});
    QCOMPARE(r.server, m_ldap.text("ldaps_uri"));

    // dave is in Helpdesk, which is a member of Relay senders.
    r = signInBlocking(c, QStringLiteral("dave"), "dave-pw", groups);
    QVERIFY2(r.outcome == DirectorySignIn::Success, qPrintable(r.reason));
    QCOMPARE(QSet<QString>(r.groups.begin(), r.groups.end()), (QSet<QString>{kRelaySenders, kHelpdesk}));

    // The mail attribute finds the user too; erin has two addresses.
    r = signInBlocking(c, QStringLiteral("e.smith@example.test"), "erin-pw", groups);
    QVERIFY2(r.outcome == DirectorySignIn::Success, qPrintable(r.reason));
    QCOMPARE(r.login, QStringLiteral("erin"));
    QCOMPARE(QSet<QString>(r.addresses.begin(), r.addresses.end()),
             (QSet<QString>{QStringLiteral("erin@example.test"), QStringLiteral("e.smith@example.test")}));

    // bob signs in but is in no relay group.
    r = signInBlocking(c, QStringLiteral("bob"), "bob-pw", groups);
    QVERIFY2(r.outcome == DirectorySignIn::Success, qPrintable(r.reason));
    QVERIFY(r.groups.isEmpty());
}

void TestDirectory::startTlsSignIn()
{
    const DirectoryConfig c = config(m_ldap.text("ldap_uri"));
    const DirectorySignIn r = signInBlocking(c, QStringLiteral("alice"), "alice-pw", {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::Success, qPrintable(r.reason));
    LdapSession s(c);
    QCOMPARE(s.open(), LdapSession::Status::Ok);
    // GnuTLS spells it "TLS1.3", OpenSSL "TLSv1.3"; never below 1.2.
    const QString protocol = s.tlsInfo().protocol;
    QVERIFY2(protocol.contains(QLatin1String("1.2")) || protocol.contains(QLatin1String("1.3")), qPrintable(protocol));
}

void TestDirectory::wrongPasswordUnknownUserAndInjection()
{
    const DirectoryConfig c = config(m_ldap.text("ldaps_uri"));
    DirectorySignIn r = signInBlocking(c, QStringLiteral("alice"), "wrong", {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::BadCredentials, qPrintable(r.reason));
    QCOMPARE(r.reason, QStringLiteral("wrong password"));
    r = signInBlocking(c, QStringLiteral("nobody"), "x", {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::BadCredentials, qPrintable(r.reason));
    QVERIFY(r.reason.startsWith(QLatin1String("unknown user")));
    // A wildcard login would match every user if it were not escaped; as a
    // literal it matches none (and never "more than one").
    r = signInBlocking(c, QStringLiteral("*"), "alice-pw", {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::BadCredentials, qPrintable(r.reason));
    QVERIFY2(r.reason.contains(QLatin1String("no entry")), qPrintable(r.reason));
    r = signInBlocking(c, QStringLiteral("alice)(uid=*"), "alice-pw", {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::BadCredentials, qPrintable(r.reason));
}

void TestDirectory::emptyPasswordNeverBinds()
{
    // An empty password with a DN is an "unauthenticated bind" that servers
    // may accept (RFC 4513 5.1.2): never sent.
    const DirectoryConfig c = config(m_ldap.text("ldaps_uri"));
    const DirectorySignIn r = signInBlocking(c, QStringLiteral("alice"), QByteArray(), {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::BadCredentials, qPrintable(r.reason));
    QVERIFY(r.reason.contains(QLatin1String("empty password")));
    LdapSession s(c);
    QCOMPARE(s.open(), LdapSession::Status::Ok);
    QCOMPARE(s.bindAs(QStringLiteral("uid=alice,ou=people,dc=example,dc=test"), QByteArray()),
             LdapSession::Status::InvalidCredentials);
}

void TestDirectory::lockedAccountIsRefusedWithReason()
{
    const DirectoryConfig c = config(m_ldap.text("ldaps_uri"));
    // carol has pwdAccountLockedTime 000001010000Z (ppolicy: locked by an admin).
    DirectorySignIn r = signInBlocking(c, QStringLiteral("carol"), "carol-pw", {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::Refused, qPrintable(r.reason));
    QVERIFY2(r.reason.contains(QLatin1String("disabled")), qPrintable(r.reason));
    r = signInBlocking(c, QStringLiteral("carol"), "wrong", {kRelaySenders});
    QVERIFY(r.outcome != DirectorySignIn::Success);
}

void TestDirectory::groupCycleEnds()
{
    const DirectoryConfig c = config(m_ldap.text("ldaps_uri"));
    LdapSession s(c);
    QCOMPARE(s.open(), LdapSession::Status::Ok);
    QStringList memberOf;
    QElapsedTimer t;
    t.start();
    QCOMPARE(s.memberships(QStringLiteral("uid=bob,ou=people,dc=example,dc=test"),
                           {kLoopA, kLoopB, kRelaySenders}, &memberOf),
             LdapSession::Status::Ok);
    QCOMPARE(QSet<QString>(memberOf.begin(), memberOf.end()), (QSet<QString>{kLoopA, kLoopB}));
    QVERIFY(t.elapsed() < 5000);
    // Spelling of the configured DN does not matter.
    QCOMPARE(s.memberships(QStringLiteral("uid=dave,ou=people,dc=example,dc=test"),
                           {QStringLiteral("CN=Relay Senders, OU=groups, DC=example, DC=test")}, &memberOf),
             LdapSession::Status::Ok);
    QCOMPARE(memberOf.size(), 1);
}

void TestDirectory::wrongCaAndExpiredCertificateAreUnavailable()
{
    DirectoryConfig c = config(m_ldap.text("ldaps_uri"));
    c.caFile = m_ldap.text("other_ca_file");
    DirectorySignIn r = signInBlocking(c, QStringLiteral("alice"), "alice-pw", {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::Unavailable, qPrintable(r.reason));
    QVERIFY2(r.reason.contains(m_ldap.text("ldaps_uri")), qPrintable(r.reason));
    c = config(m_ldap.text("ldap_uri")); // StartTLS as well
    c.caFile = m_ldap.text("other_ca_file");
    QCOMPARE(signInBlocking(c, QStringLiteral("alice"), "alice-pw", {}).outcome, DirectorySignIn::Unavailable);
    c.caFile = QStringLiteral("/nonexistent/ca.pem");
    r = signInBlocking(c, QStringLiteral("alice"), "alice-pw", {});
    QVERIFY2(r.outcome == DirectorySignIn::Unavailable, qPrintable(r.reason));
    QVERIFY(r.reason.contains(QLatin1String("does not exist")));

    c = config(m_expired.text("ldaps_uri"));
    c.caFile = m_expired.text("ca_file");
    r = signInBlocking(c, QStringLiteral("alice"), "alice-pw", {});
    QVERIFY2(r.outcome == DirectorySignIn::Unavailable, qPrintable(r.reason));
    c = config(m_expired.text("ldap_uri"));
    c.caFile = m_expired.text("ca_file");
    QCOMPARE(signInBlocking(c, QStringLiteral("alice"), "alice-pw", {}).outcome, DirectorySignIn::Unavailable);
}

void TestDirectory::unverifiedCertificateWorksButIsWarned()
{
    DirectoryConfig c = config(m_expired.text("ldaps_uri"));
    c.caFile = m_ldap.text("other_ca_file");
    c.verifyCertificate = false;
    QCOMPARE(signInBlocking(c, QStringLiteral("alice"), "alice-pw", {}).outcome, DirectorySignIn::Success);
    QVERIFY(!c.problems().isEmpty());
}

void TestDirectory::failoverToTheNextServer()
{
    // The first server refuses connections (a port nobody listens on).
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    const quint16 dead = probe.serverPort();
    probe.close();
    const DirectoryConfig c =
        config(QStringLiteral("ldaps://127.0.0.1:%1 %2").arg(dead).arg(m_ldap.text("ldap_uri")));
    const DirectorySignIn r = signInBlocking(c, QStringLiteral("alice"), "alice-pw", {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::Success, qPrintable(r.reason));
    QCOMPARE(r.server, m_ldap.text("ldap_uri"));
    // Every server down: temporary, naming each.
    const DirectoryConfig none = config(QStringLiteral("ldaps://127.0.0.1:%1").arg(dead));
    const DirectorySignIn d = signInBlocking(none, QStringLiteral("alice"), "alice-pw", {});
    QCOMPARE(d.outcome, DirectorySignIn::Unavailable);
    QVERIFY2(d.reason.contains(QString::number(dead)), qPrintable(d.reason));
}

void TestDirectory::badServiceAccountIsTemporary()
{
    DirectoryConfig c = config(m_ldap.text("ldaps_uri"));
    c.bindPassword = QStringLiteral("not-the-password");
    const DirectorySignIn r = signInBlocking(c, QStringLiteral("alice"), "alice-pw", {});
    QVERIFY2(r.outcome == DirectorySignIn::Unavailable, qPrintable(r.reason)); // 454: the admin's mistake, not the user's
    QVERIFY2(r.reason.contains(QLatin1String("service account")), qPrintable(r.reason));
}

void TestDirectory::pausedServerTimesOutWithoutBlocking()
{
    DirectoryService svc;
    DirectoryConfig c = config(m_ldap.text("ldaps_uri"));
    c.timeoutMs = 1000;
    svc.configure(c, {kRelaySenders});
    QVERIFY(m_ldap.command("pause"));
    // The event loop keeps turning while the sign-in waits.
    QElapsedTimer gapTimer;
    gapTimer.start();
    qint64 worstGap = 0;
    QTimer tick;
    QObject::connect(&tick, &QTimer::timeout, [&] {
        worstGap = qMax(worstGap, gapTimer.restart());
    });
    tick.start(10);
    QElapsedTimer t;
    t.start();
    const DirectorySignIn r = signIn(svc, QStringLiteral("alice"), "alice-pw");
    const qint64 took = t.elapsed();
    tick.stop();
    QVERIFY(m_ldap.command("resume"));
    QVERIFY2(r.outcome == DirectorySignIn::Unavailable, qPrintable(r.reason));
    QVERIFY2(took >= 900 && took < 6000, qPrintable(QString::number(took)));
    QVERIFY2(worstGap < 200, qPrintable(QStringLiteral("event loop stalled %1 ms").arg(worstGap)));
    // After the pause the same service works again.
    QCOMPARE(signIn(svc, QStringLiteral("alice"), "alice-pw").outcome, DirectorySignIn::Success);
    svc.waitForIdle();
}

void TestDirectory::cacheCarriesThroughOutageAndEndsOnChange()
{
    DirectoryService svc;
    DirectoryConfig c = config(m_ldap.text("ldaps_uri"));
    c.timeoutMs = 1000;
    c.cacheSeconds = 300;
    svc.configure(c, {kRelaySenders});
    DirectorySignIn r = signIn(svc, QStringLiteral("alice"), "alice-pw");
    QVERIFY2(r.outcome == DirectorySignIn::Success, qPrintable(r.reason));
    QVERIFY(!r.fromCache);
    QCOMPARE(svc.cacheSize(), 1);
    // Failures are never cached.
    QCOMPARE(signIn(svc, QStringLiteral("bob"), "wrong").outcome, DirectorySignIn::BadCredentials);
    QCOMPARE(svc.cacheSize(), 1);

    QVERIFY(m_ldap.command("kill"));
    r = signIn(svc, QStringLiteral("alice"), "alice-pw");
    QVERIFY2(r.outcome == DirectorySignIn::Success, qPrintable(r.reason));
    QVERIFY(r.fromCache);
    QCOMPARE(r.groups, QStringList{kRelaySenders});
    // Same name, another password: not in the cache, and the directory is down.
    r = signIn(svc, QStringLiteral("ALICE"), "alice-pw2");
    QVERIFY2(r.outcome == DirectorySignIn::Unavailable, qPrintable(r.reason));
    r = signIn(svc, QStringLiteral("dave"), "dave-pw");
    QVERIFY2(r.outcome == DirectorySignIn::Unavailable, qPrintable(r.reason));
    QVERIFY(m_ldap.command("start"));
    QCOMPARE(signIn(svc, QStringLiteral("dave"), "dave-pw").outcome, DirectorySignIn::Success);

    // A configuration change empties the cache.
    c.cacheSeconds = 1;
    svc.configure(c, {kRelaySenders});
    QCOMPARE(svc.cacheSize(), 0);
    QCOMPARE(signIn(svc, QStringLiteral("alice"), "alice-pw").fromCache, false);
    QVERIFY(signIn(svc, QStringLiteral("alice"), "alice-pw").fromCache);
    QTest::qWait(1100); // the entry ends
    QCOMPARE(signIn(svc, QStringLiteral("alice"), "alice-pw").fromCache, false);
    // cache_seconds 0: nothing is kept.
    c.cacheSeconds = 0;
    svc.configure(c, {kRelaySenders});
    QCOMPARE(signIn(svc, QStringLiteral("alice"), "alice-pw").outcome, DirectorySignIn::Success);
    QCOMPARE(svc.cacheSize(), 0);
    svc.waitForIdle();
}

void TestDirectory::principalMapsToUser()
{
    const DirectoryConfig c = config(m_ldap.text("ldaps_uri"));
    DirectorySignIn r = principalBlocking(c, QStringLiteral("dave@EXAMPLE.TEST"), {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::Success, qPrintable(r.reason));
    QCOMPARE(r.dn, QStringLiteral("uid=dave,ou=people,dc=example,dc=test"));
    QCOMPARE(r.groups, QStringList{kRelaySenders});
    r = principalBlocking(c, QStringLiteral("carol@EXAMPLE.TEST"), {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::Refused, qPrintable(r.reason));
    r = principalBlocking(c, QStringLiteral("smtp/mail.example.test@EXAMPLE.TEST"), {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::BadCredentials, qPrintable(r.reason));
    r = principalBlocking(c, QStringLiteral("nobody@EXAMPLE.TEST"), {kRelaySenders});
    QVERIFY2(r.outcome == DirectorySignIn::BadCredentials, qPrintable(r.reason));
}

void TestDirectory::adminTools()
{
    DirectoryService svc;
    const DirectoryConfig c = config(m_ldap.text("ldaps_uri"));
    std::optional<DirectoryTestReport> rep;
    svc.testConnection(c, [&](DirectoryTestReport r) { rep = r; });
    QTRY_VERIFY_WITH_TIMEOUT(rep.has_value(), 20000);
    QVERIFY2(rep->ok, qPrintable(rep->lines.join(QLatin1Char('\n'))));
    const QString text = rep->lines.join(QLatin1Char('\n'));
    QVERIFY2(text.contains(QLatin1String("TLS: TLS")), qPrintable(text));
    QVERIFY(text.contains(QLatin1String("Bound as cn=relaydesk")));
    QVERIFY(text.contains(QLatin1String("entries directly below")));
    QVERIFY(rep->tls.peerNotAfter > QDateTime::currentDateTimeUtc());

    DirectoryConfig bad = c;
    bad.baseDn = QStringLiteral("dc=nowhere,dc=test");
    rep.reset();
    svc.testConnection(bad, [&](DirectoryTestReport r) { rep = r; });
    QTRY_VERIFY_WITH_TIMEOUT(rep.has_value(), 20000);
    QVERIFY(!rep->ok);
    QVERIFY2(rep->lines.join(QLatin1Char('\n')).contains(QLatin1String("does not exist")),
             qPrintable(rep->lines.join(QLatin1Char('\n'))));

    std::optional<DirectoryGroupList> groups;
    svc.searchGroups(c, QStringLiteral("relay"), [&](DirectoryGroupList g) { groups = g; });
    QTRY_VERIFY_WITH_TIMEOUT(groups.has_value(), 20000);
    QVERIFY2(groups->ok, qPrintable(groups->error));
    QCOMPARE(groups->groups.size(), 1);
    QCOMPARE(groups->groups.first().first, kRelaySenders);
    QCOMPARE(groups->groups.first().second, QStringLiteral("Relay senders"));
    groups.reset();
    svc.searchGroups(c, QString(), [&](DirectoryGroupList g) { groups = g; });
    QTRY_VERIFY_WITH_TIMEOUT(groups.has_value(), 20000);
    QCOMPARE(groups->groups.size(), 5); // Helpdesk, Loop A, Loop B, Printers, Relay senders

    std::optional<DirectorySignIn> signin;
    svc.testSignIn(c, QStringLiteral("dave"), "dave-pw", {kRelaySenders}, [&](DirectorySignIn r) { signin = r; });
    QTRY_VERIFY_WITH_TIMEOUT(signin.has_value(), 20000);
    QCOMPARE(signin->outcome, DirectorySignIn::Success);
    QCOMPARE(signin->groups, QStringList{kRelaySenders});
    QCOMPARE(svc.cacheSize(), 0); // the admin's test never fills the cache
    svc.waitForIdle();
}

QTEST_GUILESS_MAIN(TestDirectory)
#include "tst_directory.moc"

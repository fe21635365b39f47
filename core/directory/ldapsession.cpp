#include "directory/ldapsession.h"

#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QTcpSocket>

#include <openssl/x509.h>

#include <ldap.h>

#include <memory>
#include <vector>

namespace rd::directory {
namespace {

constexpr int kMaxGroupDepth = 10;     // nesting levels walked (OpenLDAP)
constexpr int kMaxGroupsWalked = 2000; // groups visited before the walk stops
constexpr int kMembersPerQuery = 40;   // DNs OR'ed into one member= filter

// AD's "data NNN" codes in a failed bind's diagnostic (KB 2587 / MS-ADTS).
struct LdapAdBindCode {
    const char *code;
    const char *reason;
};
constexpr LdapAdBindCode kAdBindCodes[] = {
    {"525", "user not found"},
    {"52e", "wrong password"},
    {"530", "sign-in not permitted at this time"},
    {"531", "sign-in not permitted from this workstation"},
    {"532", "password expired"},
    {"533", "account disabled"},
    {"568", "too many security IDs"},
    {"701", "account expired"},
    {"773", "the user must change the password first"},
    {"775", "account locked out"},
};

timeval ldapTimeval(int ms)
{
    timeval tv{};
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

QString ldapErrorText(int rc)
{
    return QString::fromUtf8(ldap_err2string(rc));
}

bool ldapIsUnavailable(int rc)
{
    return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR || rc == LDAP_BUSY
           || rc == LDAP_UNAVAILABLE || rc == LDAP_TIMELIMIT_EXCEEDED || rc == LDAP_LOCAL_ERROR
           || rc == LDAP_NO_MEMORY;
}

// Owns a NULL-terminated char* array for the C API.
struct LdapCStrings {
    explicit LdapCStrings(const QStringList &list)
    {
        for (const QString &s : list)
            storage.push_back(s.toUtf8());
        for (QByteArray &b : storage)
            pointers.push_back(b.data());
        pointers.push_back(nullptr);
    }
    char **data() { return pointers.size() > 1 ? pointers.data() : nullptr; }
    std::vector<QByteArray> storage;
    std::vector<char *> pointers;
};

QString ldapX509Name(X509_NAME *name)
{
    if (!name)
        return {};
    char *line = X509_NAME_oneline(name, nullptr, 0);
    const QString text = line ? QString::fromUtf8(line) : QString();
    OPENSSL_free(line);
    return text;
}

qint64 ldapFirstInt(const QHash<QString, QList<QByteArray>> &attrs, const char *name, qint64 fallback = 0)
{
    const QList<QByteArray> v = attrs.value(QString::fromLatin1(name).toLower());
    bool ok = false;
    const qint64 n = v.isEmpty() ? 0 : v.first().toLongLong(&ok);
    return ok ? n : fallback;
}

QString ldapFirstText(const QHash<QString, QList<QByteArray>> &attrs, const char *name)
{
    const QList<QByteArray> v = attrs.value(QString::fromLatin1(name).toLower());
    return v.isEmpty() ? QString() : QString::fromUtf8(v.first());
}

} // namespace

LdapSession::LdapSession(const DirectoryConfig &config)
    : m_config(config)
{
}

LdapSession::~LdapSession()
{
    close();
}

void LdapSession::close()
{
    if (m_ld) {
        ldap_unbind_ext_s(m_ld, nullptr, nullptr);
        m_ld = nullptr;
    }
}

LdapSession::Status LdapSession::failure(int rc, const QString &what)
{
    QString diagnostic;
    if (m_ld) {
        char *msg = nullptr;
        if (ldap_get_option(m_ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == LDAP_OPT_SUCCESS && msg) {
            diagnostic = QString::fromUtf8(msg).trimmed();
            ldap_memfree(msg);
        }
    }
    m_error = QStringLiteral("%1: %2").arg(what, ldapErrorText(rc));
    if (!diagnostic.isEmpty())
        m_error += QStringLiteral(" (%1)").arg(diagnostic);
    if (rc == LDAP_INVALID_CREDENTIALS)
        return Status::InvalidCredentials;
    if (ldapIsUnavailable(rc))
        return Status::Unavailable;
    return Status::Error;
}

LdapSession::Status LdapSession::open()
{
    m_attempts.clear();
    if (m_config.servers.isEmpty()) {
        m_error = QStringLiteral("no directory server is configured (directory.servers)");
        return Status::Unavailable;
    }
    Status last = Status::Unavailable;
    for (const DirectoryServer &server : std::as_const(m_config.servers)) {
        last = connectTo(server);
        if (last == Status::Ok) {
            m_attempts << QStringLiteral("%1: connected (%2)").arg(server.uri, m_tls.protocol);
            last = serviceBind();
            if (last == Status::Ok)
                return last;
            m_attempts << QStringLiteral("%1: %2").arg(server.uri, m_error);
            if (last != Status::Unavailable)
                return last; // the server answered: a wrong service password is not cured by the next one
        } else {
            m_attempts << QStringLiteral("%1: %2").arg(server.uri, m_error);
        }
        close();
    }
    m_error = m_attempts.join(QStringLiteral("; "));
    return last;
}

LdapSession::Status LdapSession::connectTo(const DirectoryServer &server)
{
    close();
    m_tls = {};
    const QString host = server.host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]").arg(server.host) : server.host;
    const QByteArray uri = QStringLiteral("%1://%2:%3")
                               .arg(server.ldaps ? QStringLiteral("ldaps") : QStringLiteral("ldap"), host)
                               .arg(server.port)
                               .toUtf8();
    int rc = ldap_initialize(&m_ld, uri.constData());
    if (rc != LDAP_SUCCESS || !m_ld) {
        m_ld = nullptr;
        m_error = QStringLiteral("cannot use %1: %2").arg(server.uri, ldapErrorText(rc));
        return Status::Unavailable;
    }
    const int version = LDAP_VERSION3;
    ldap_set_option(m_ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(m_ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF); // AD's referrals lead to other hosts; never chase them
    const timeval tv = ldapTimeval(m_config.timeoutMs);
    ldap_set_option(m_ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(m_ld, LDAP_OPT_TIMEOUT, &tv);
    const int require = m_config.verifyCertificate ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
    ldap_set_option(m_ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require);
    const int minProtocol = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
    ldap_set_option(m_ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &minProtocol);
    QString caFile = m_config.caFile;
    if (caFile.isEmpty()) {
        // The system store: Debian's bundle (libldap has no "default paths" call of its own here).
        for (const char *bundle : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}) {
            if (QFile::exists(QString::fromLatin1(bundle))) {
                caFile = QString::fromLatin1(bundle);
                break;
            }
        }
    } else if (!QFile::exists(caFile)) {
        m_error = QStringLiteral("the CA file %1 does not exist (directory.ca_file)").arg(caFile);
        close();
        return Status::Unavailable;
    }
    if (!caFile.isEmpty()) {
        const QByteArray path = QFile::encodeName(caFile);
        ldap_set_option(m_ld, LDAP_OPT_X_TLS_CACERTFILE, path.constData());
    }
    const int isServer = 0;
    rc = ldap_set_option(m_ld, LDAP_OPT_X_TLS_NEWCTX, &isServer); // this handle's own TLS context
    if (rc != LDAP_OPT_SUCCESS) {
        m_error = QStringLiteral("TLS set-up failed (is the CA file %1 a PEM file?)").arg(caFile);
        close();
        return Status::Unavailable;
    }
    rc = server.ldaps ? ldap_connect(m_ld) : ldap_start_tls_s(m_ld, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) {
        const Status st = failure(rc, server.ldaps ? QStringLiteral("LDAPS connection failed")
                                                   : QStringLiteral("StartTLS failed"));
        // libldap says "Can't contact LDAP server" for a refused connection and
        // for a certificate it does not trust alike; a plain TCP connect tells them apart.
        if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR) {
            QTcpSocket probe;
            probe.connectToHost(server.host, quint16(server.port));
            if (probe.waitForConnected(m_config.timeoutMs))
                m_error += QStringLiteral(": the server answers, but TLS failed: its certificate is not trusted "
                                          "(check directory.ca_file), does not name %1, has expired, or no TLS "
                                          "version/cipher was agreed")
                               .arg(server.host);
            else
                m_error += QStringLiteral(": %1").arg(probe.errorString());
        }
        Q_UNUSED(st) // whatever the server said, it is not usable for sign-in: try the next one
        close();
        return Status::Unavailable;
    }
    readTlsInfo(server);
    return Status::Ok;
}

void LdapSession::readTlsInfo(const DirectoryServer &server)
{
    m_tls.server = server.uri;
    char *text = nullptr;
    if (ldap_get_option(m_ld, LDAP_OPT_X_TLS_VERSION, &text) == LDAP_OPT_SUCCESS && text) {
        m_tls.protocol = QString::fromUtf8(text);
        ldap_memfree(text);
    }
    text = nullptr;
    if (ldap_get_option(m_ld, LDAP_OPT_X_TLS_CIPHER, &text) == LDAP_OPT_SUCCESS && text) {
        m_tls.cipher = QString::fromUtf8(text);
        ldap_memfree(text);
    }
    berval der{};
    if (ldap_get_option(m_ld, LDAP_OPT_X_TLS_PEERCERT, &der) == LDAP_OPT_SUCCESS && der.bv_val) {
        const auto *p = reinterpret_cast<const unsigned char *>(der.bv_val);
        if (X509 *cert = d2i_X509(nullptr, &p, long(der.bv_len))) {
            m_tls.peerSubject = ldapX509Name(X509_get_subject_name(cert));
            m_tls.peerIssuer = ldapX509Name(X509_get_issuer_name(cert));
            tm t{};
            if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &t) == 1)
                m_tls.peerNotAfter = QDateTime(QDate(t.tm_year + 1900, t.tm_mon + 1, t.tm_mday),
                                               QTime(t.tm_hour, t.tm_min, t.tm_sec), Qt::UTC);
            X509_free(cert);
        }
        ber_memfree(der.bv_val);
    }
}

LdapSession::Status LdapSession::simpleBind(const QString &dn, const QByteArray &password)
{
    QByteArray pw = password;
    berval cred{};
    cred.bv_val = pw.data();
    cred.bv_len = ber_len_t(pw.size());
    const QByteArray who = dn.toUtf8();
    const int rc = ldap_sasl_bind_s(m_ld, who.isEmpty() ? nullptr : who.constData(), LDAP_SASL_SIMPLE, &cred,
                                    nullptr, nullptr, nullptr);
    pw.fill('\0');
    if (rc != LDAP_SUCCESS)
        return failure(rc, QStringLiteral("bind as %1 failed").arg(dn.isEmpty() ? QStringLiteral("anonymous") : dn));
    return Status::Ok;
}

LdapSession::Status LdapSession::serviceBind()
{
    if (m_config.bindDn.isEmpty())
        return simpleBind({}, {}); // anonymous search, as the admin chose
    if (m_config.bindPassword.isEmpty()) {
        // An empty password would be an "unauthenticated bind" (RFC 4513 5.1.2).
        m_error = QStringLiteral("the service account has no password (directory.bind_password)");
        return Status::Error;
    }
    const Status st = simpleBind(m_config.bindDn, m_config.bindPassword.toUtf8());
    if (st == Status::InvalidCredentials)
        m_error = QStringLiteral("the service account %1 was refused: %2 (check directory.bind_dn and "
                                 "directory.bind_password)")
                      .arg(m_config.bindDn, m_error);
    return st == Status::InvalidCredentials ? Status::Error : st;
}

LdapSession::Status LdapSession::search(const QString &base, int scope, const QString &filter,
                                        const QStringList &attrs, int sizeLimit,
                                        QList<QPair<QString, QHash<QString, QList<QByteArray>>>> *entries)
{
    entries->clear();
    if (!m_ld) {
        m_error = QStringLiteral("not connected");
        return Status::Unavailable;
    }
    LdapCStrings attrList(attrs);
    timeval tv = ldapTimeval(m_config.timeoutMs);
    LDAPMessage *res = nullptr;
    const QByteArray b = base.toUtf8(), f = filter.toUtf8();
    const int rc = ldap_search_ext_s(m_ld, b.constData(), scope, f.constData(), attrList.data(), 0, nullptr,
                                     nullptr, &tv, sizeLimit, &res);
    std::unique_ptr<LDAPMessage, int (*)(LDAPMessage *)> guard(res, ldap_msgfree);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
        if (rc == LDAP_NO_SUCH_OBJECT)
            return Status::NotFound;
        return failure(rc, QStringLiteral("search in %1 failed").arg(base));
    }
    for (LDAPMessage *e = ldap_first_entry(m_ld, res); e; e = ldap_next_entry(m_ld, e)) {
        char *dn = ldap_get_dn(m_ld, e);
        QPair<QString, QHash<QString, QList<QByteArray>>> entry;
        entry.first = dn ? QString::fromUtf8(dn) : QString();
        ldap_memfree(dn);
        BerElement *ber = nullptr;
        for (char *a = ldap_first_attribute(m_ld, e, &ber); a; a = ldap_next_attribute(m_ld, e, ber)) {
            QList<QByteArray> values;
            if (berval **vals = ldap_get_values_len(m_ld, e, a)) {
                for (int i = 0; vals[i]; ++i)
                    values << QByteArray(vals[i]->bv_val, qsizetype(vals[i]->bv_len));
                ldap_value_free_len(vals);
            }
            entry.second.insert(QString::fromUtf8(a).toLower(), values);
            ldap_memfree(a);
        }
        if (ber)
            ber_free(ber, 0);
        entries->append(entry);
    }
    return Status::Ok;
}

QString LdapSession::accountRefusal(DirectoryKind kind, qint64 uac, qint64 computed, qint64 accountExpires,
                                    const QString &pwdAccountLockedTime, const QDateTime &now)
{
    if (kind == DirectoryKind::ActiveDirectory) {
        if (uac & 0x2)
            return QStringLiteral("account disabled (userAccountControl)");
        if (computed & 0x10)
            return QStringLiteral("account locked out");
        if (computed & 0x800000)
            return QStringLiteral("password expired");
        // accountExpires: 100 ns ticks since 1601-01-01 UTC; 0 and 2^63-1 mean never.
        if (accountExpires > 0 && accountExpires != 0x7FFFFFFFFFFFFFFFLL) {
            constexpr qint64 kEpochDelta = 11644473600LL; // seconds from 1601 to 1970
            const qint64 unixSeconds = accountExpires / 10000000LL - kEpochDelta;
            if (unixSeconds <= now.toSecsSinceEpoch())
                return QStringLiteral("account expired on %1")
                    .arg(QDateTime::fromSecsSinceEpoch(unixSeconds, Qt::UTC).toString(Qt::ISODate));
        }
        return {};
    }
    if (!pwdAccountLockedTime.isEmpty()) {
        // ppolicy: 000001010000Z means locked by an administrator until unlocked.
        if (pwdAccountLockedTime.startsWith(QLatin1String("00000101000000")) || pwdAccountLockedTime == QLatin1String("000001010000Z"))
            return QStringLiteral("account disabled (pwdAccountLockedTime)");
        return QStringLiteral("account locked (pwdAccountLockedTime %1)").arg(pwdAccountLockedTime);
    }
    return {};
}

QString LdapSession::adBindReason(const QString &diagnostic)
{
    static const QRegularExpression data(QStringLiteral("\\bdata ([0-9a-fA-F]{3})\\b"));
    const QRegularExpressionMatch m = data.match(diagnostic);
    if (!m.hasMatch())
        return {};
    const QString code = m.captured(1).toLower();
    for (const LdapAdBindCode &c : kAdBindCodes) {
        if (code == QLatin1String(c.code))
            return QString::fromLatin1(c.reason);
    }
    return QStringLiteral("refused (AD code %1)").arg(code);
}

namespace {

const QStringList &ldapUserAttributes()
{
    static const QStringList attrs = {
        QStringLiteral("sAMAccountName"), QStringLiteral("uid"), QStringLiteral("userPrincipalName"),
        QStringLiteral("mail"), QStringLiteral("proxyAddresses"), QStringLiteral("userAccountControl"),
        QStringLiteral("msDS-User-Account-Control-Computed"), QStringLiteral("accountExpires"),
        QStringLiteral("pwdAccountLockedTime")};
    return attrs;
}

LdapUserEntry ldapUserEntryOf(DirectoryKind kind, const QPair<QString, QHash<QString, QList<QByteArray>>> &e)
{
    LdapUserEntry u;
    u.dn = e.first;
    const auto &a = e.second;
    u.login = ldapFirstText(a, kind == DirectoryKind::ActiveDirectory ? "sAMAccountName" : "uid");
    if (u.login.isEmpty())
        u.login = ldapFirstText(a, "uid");
    u.upn = ldapFirstText(a, "userPrincipalName");
    auto add = [&u](const QString &address) {
        const QString lower = address.trimmed().toLower();
        if (lower.contains(QLatin1Char('@')) && !u.addresses.contains(lower))
            u.addresses << lower;
    };
    for (const QByteArray &m : a.value(QStringLiteral("mail")))
        add(QString::fromUtf8(m));
    for (const QByteArray &p : a.value(QStringLiteral("proxyaddresses"))) {
        const QString v = QString::fromUtf8(p);
        if (v.startsWith(QLatin1String("smtp:"), Qt::CaseInsensitive))
            add(v.mid(5));
    }
    u.refusal = LdapSession::accountRefusal(kind, ldapFirstInt(a, "userAccountControl"),
                                            ldapFirstInt(a, "msDS-User-Account-Control-Computed"),
                                            ldapFirstInt(a, "accountExpires"), ldapFirstText(a, "pwdAccountLockedTime"),
                                            QDateTime::currentDateTimeUtc());
    return u;
}

} // namespace

LdapSession::Status LdapSession::findUser(const QString &login, LdapUserEntry *entry)
{
    QList<QPair<QString, QHash<QString, QList<QByteArray>>>> found;
    const Status st = search(m_config.baseDn, LDAP_SCOPE_SUBTREE, userFilterFor(m_config.userFilter, login),
                             ldapUserAttributes(), 2, &found);
    if (st != Status::Ok)
        return st;
    // AD answers with continuation references too; only real entries count.
    found.erase(std::remove_if(found.begin(), found.end(), [](const auto &e) { return e.first.isEmpty(); }),
                found.end());
    if (found.isEmpty()) {
        m_error = QStringLiteral("no entry matches %1 under %2").arg(login, m_config.baseDn);
        return Status::NotFound;
    }
    if (found.size() > 1) {
        m_error = QStringLiteral("more than one entry matches %1 (the user filter must find one)").arg(login);
        return Status::Ambiguous;
    }
    *entry = ldapUserEntryOf(m_config.kind, found.first());
    return Status::Ok;
}

LdapSession::Status LdapSession::findPrincipal(const QString &principal, LdapUserEntry *entry)
{
    const qsizetype at = principal.lastIndexOf(QLatin1Char('@'));
    const QString primary = at > 0 ? principal.left(at) : principal;
    if (primary.contains(QLatin1Char('/'))) {
        m_error = QStringLiteral("%1 is a service principal, not a user").arg(principal);
        return Status::NotFound;
    }
    QString filter;
    if (m_config.kind == DirectoryKind::ActiveDirectory)
        filter = QStringLiteral("(&(objectCategory=person)(objectClass=user)(|(userPrincipalName=%1)(sAMAccountName=%2)))")
                     .arg(escapeFilterValue(principal), escapeFilterValue(primary));
    else
        filter = QStringLiteral("(&(objectClass=inetOrgPerson)(|(uid=%1)(krbPrincipalName=%2)))")
                     .arg(escapeFilterValue(primary), escapeFilterValue(principal));
    QList<QPair<QString, QHash<QString, QList<QByteArray>>>> found;
    const Status st = search(m_config.baseDn, LDAP_SCOPE_SUBTREE, filter, ldapUserAttributes(), 3, &found);
    if (st != Status::Ok)
        return st;
    found.erase(std::remove_if(found.begin(), found.end(), [](const auto &e) { return e.first.isEmpty(); }),
                found.end());
    if (found.size() > 1 && m_config.kind == DirectoryKind::ActiveDirectory) {
        // The UPN is unique in a forest; prefer the entry whose UPN is the principal.
        for (const auto &e : std::as_const(found)) {
            if (ldapFirstText(e.second, "userPrincipalName").compare(principal, Qt::CaseInsensitive) == 0) {
                *entry = ldapUserEntryOf(m_config.kind, e);
                return Status::Ok;
            }
        }
    }
    if (found.isEmpty()) {
        m_error = QStringLiteral("no directory user for the principal %1").arg(principal);
        return Status::NotFound;
    }
    if (found.size() > 1) {
        m_error = QStringLiteral("more than one directory user for the principal %1").arg(principal);
        return Status::Ambiguous;
    }
    *entry = ldapUserEntryOf(m_config.kind, found.first());
    return Status::Ok;
}

LdapSession::Status LdapSession::bindAs(const QString &dn, const QByteArray &password)
{
    if (password.isEmpty()) {
        m_error = QStringLiteral("empty password (never sent: it would be an anonymous bind)");
        return Status::InvalidCredentials;
    }
    m_bindRefused = false;
    Status st = simpleBind(dn, password);
    if (st == Status::InvalidCredentials) {
        // AD refuses a disabled, locked or expired account's bind with a code saying which.
        const QString reason = m_config.kind == DirectoryKind::ActiveDirectory ? adBindReason(m_error) : QString();
        m_bindRefused = !reason.isEmpty() && reason != QLatin1String("wrong password")
                        && reason != QLatin1String("user not found");
        m_error = m_bindRefused ? reason : QStringLiteral("wrong password");
    }
    const QString bindError = m_error;
    // Back to the service account for the group checks, whatever the outcome.
    const Status back = serviceBind();
    if (st == Status::Ok && back != Status::Ok)
        return back;
    m_error = bindError;
    return st;
}

LdapSession::Status LdapSession::memberships(const QString &userDn, const QStringList &groups, QStringList *memberOf)
{
    memberOf->clear();
    if (groups.isEmpty())
        return Status::Ok;
    QList<QPair<QString, QHash<QString, QList<QByteArray>>>> found;
    if (m_config.kind == DirectoryKind::ActiveDirectory) {
        for (const QString &group : groups) {
            // The user's own entry matches when it is in the group at any depth (MS-ADTS 3.1.1.3.4.4.2).
            const QString filter = QStringLiteral("(memberOf:1.2.840.113556.1.4.1941:=%1)").arg(escapeFilterValue(group));
            const Status st = search(userDn, LDAP_SCOPE_BASE, filter, {QStringLiteral("1.1")}, 1, &found);
            if (st == Status::NotFound)
                continue;
            if (st != Status::Ok)
                return st;
            if (!found.isEmpty())
                memberOf->append(group);
        }
        return Status::Ok;
    }
    // OpenLDAP: walk up from the user through groupOfNames/groupOfUniqueNames.
    QHash<QString, QString> wanted; // normalized -> as configured
    for (const QString &g : groups)
        wanted.insert(normalizedDn(g), g);
    QSet<QString> visited;
    QStringList frontier{userDn};
    for (int depth = 0; depth < kMaxGroupDepth && !frontier.isEmpty(); ++depth) {
        QStringList next;
        for (qsizetype i = 0; i < frontier.size(); i += kMembersPerQuery) {
            QString filter = QStringLiteral("(|");
            for (const QString &dn : frontier.mid(i, kMembersPerQuery))
                filter += QStringLiteral("(member=%1)(uniqueMember=%1)").arg(escapeFilterValue(dn));
            filter += QLatin1Char(')');
            const Status st = search(m_config.baseDn, LDAP_SCOPE_SUBTREE, filter, {QStringLiteral("1.1")},
                                     kMaxGroupsWalked, &found);
            if (st != Status::Ok && st != Status::NotFound)
                return st;
            for (const auto &e : std::as_const(found)) {
                const QString n = normalizedDn(e.first);
                if (e.first.isEmpty() || visited.contains(n))
                    continue; // cycles end here
                visited.insert(n);
                next << e.first;
                if (wanted.contains(n) && !memberOf->contains(wanted.value(n)))
                    memberOf->append(wanted.value(n));
            }
        }
        if (visited.size() >= kMaxGroupsWalked)
            break;
        frontier = next;
    }
    return Status::Ok;
}

LdapSession::Status LdapSession::searchGroups(const QString &term, int limit, QList<QPair<QString, QString>> *groups)
{
    groups->clear();
    const QString t = escapeFilterValue(term.trimmed());
    const QString nameMatch = t.isEmpty() ? QStringLiteral("(cn=*)") : QStringLiteral("(cn=*%1*)").arg(t);
    const QString classes = m_config.kind == DirectoryKind::ActiveDirectory
                                ? QStringLiteral("(objectClass=group)")
                                : QStringLiteral("(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))");
    QList<QPair<QString, QHash<QString, QList<QByteArray>>>> found;
    const Status st = search(m_config.baseDn, LDAP_SCOPE_SUBTREE, QStringLiteral("(&%1%2)").arg(classes, nameMatch),
                             {QStringLiteral("cn")}, qBound(1, limit, 500), &found);
    if (st != Status::Ok)
        return st;
    for (const auto &e : std::as_const(found)) {
        if (!e.first.isEmpty())
            groups->append({e.first, ldapFirstText(e.second, "cn")});
    }
    std::sort(groups->begin(), groups->end(),
              [](const auto &a, const auto &b) { return a.second.compare(b.second, Qt::CaseInsensitive) < 0; });
    return Status::Ok;
}

LdapSession::Status LdapSession::checkBase(int *entries)
{
    QList<QPair<QString, QHash<QString, QList<QByteArray>>>> found;
    const Status st = search(m_config.baseDn, LDAP_SCOPE_ONELEVEL, QStringLiteral("(objectClass=*)"),
                             {QStringLiteral("1.1")}, 100, &found);
    if (st == Status::NotFound)
        m_error = QStringLiteral("the base DN %1 does not exist on the server").arg(m_config.baseDn);
    *entries = int(found.size());
    return st;
}

} // namespace rd::directory

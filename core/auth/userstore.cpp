#include "auth/userstore.h"

#include "storage/database.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>

namespace rd::auth {
namespace {

constexpr int kMaxNameLength = 256;
constexpr int kMaxPasswordBytes = 1024;

QDateTime fromMs(const QVariant &v)
{
    if (v.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(v.toLongLong(), Qt::UTC);
}

QString notFound(const QString &name)
{
    return QStringLiteral("There is no user named \"%1\".").arg(name);
}

} // namespace

UserStore::UserStore(const QString &dataDir, int hashIterations)
    : m_connection(storage::uniqueConnectionName(QStringLiteral("users")))
    , m_iterations(hashIterations)
{
    storage::OpenOptions opts;
    opts.durability = storage::Durability::Full;
    QSqlDatabase db = storage::openDatabase(dataDir, storage::DbKind::Config, m_connection, opts, &m_error);
    m_open = db.isValid() && db.isOpen();
}

UserStore::~UserStore()
{
    storage::closeDatabase(m_connection);
}

QString UserStore::validateName(const QString &name)
{
    if (name.isEmpty())
        return QStringLiteral("The user name is empty.");
    if (name.size() > kMaxNameLength)
        return QStringLiteral("The user name is longer than %1 characters.").arg(kMaxNameLength);
    if (!name.isValidUtf16())
        return QStringLiteral("The user name contains an invalid character.");
    for (QChar c : name) {
        switch (c.category()) {
        case QChar::Other_Control:
        case QChar::Other_Format:
        case QChar::Separator_Line:
        case QChar::Separator_Paragraph:
            return QStringLiteral("The user name contains a control character (U+%1).")
                .arg(QString::number(c.unicode(), 16).toUpper().rightJustified(4, QLatin1Char('0')));
        default:
            break;
        }
    }
    if (name.front().isSpace() || name.back().isSpace())
        return QStringLiteral("The user name must not begin or end with a space.");
    return {};
}

QString UserStore::validatePassword(const QString &password)
{
    if (password.isEmpty())
        return QStringLiteral("The password is empty.");
    if (password.contains(QChar(0)))
        return QStringLiteral("The password contains a NUL character, which AUTH PLAIN cannot send.");
    if (!password.isValidUtf16())
        return QStringLiteral("The password contains an invalid character.");
    if (password.toUtf8().size() > kMaxPasswordBytes)
        return QStringLiteral("The password is longer than %1 bytes.").arg(kMaxPasswordBytes);
    return {};
}

std::optional<QString> UserStore::storedName(const QString &name) const
{
    if (!m_open || name.isEmpty())
        return std::nullopt;
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT name FROM users WHERE name = ?"));
    q.addBindValue(name);
    if (q.exec() && q.next())
        return q.value(0).toString();
    // Another letter case: fold in C++ (SQLite's lower() is ASCII-only).
    const QString folded = name.toCaseFolded();
    QSqlQuery all(db);
    if (!all.exec(QStringLiteral("SELECT name FROM users")))
        return std::nullopt;
    while (all.next()) {
        const QString stored = all.value(0).toString();
        if (stored.toCaseFolded() == folded)
            return stored;
    }
    return std::nullopt;
}

bool UserStore::addUser(const QString &name, const QString &password, bool mayRelay, QString *error)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (!m_open)
        return fail(m_error);
    if (const QString why = validateName(name); !why.isNull())
        return fail(why);
    if (const QString why = validatePassword(password); !why.isNull())
        return fail(why);
    if (const auto existing = storedName(name))
        return fail(QStringLiteral("A user named \"%1\" already exists.").arg(*existing));

    // The slow part runs before the transaction is opened.
    const QString hash = hashPassword(password.toUtf8(), m_iterations);
    if (hash.isEmpty())
        return fail(QStringLiteral("The password could not be hashed (random generator or OpenSSL failure)."));

    QSqlDatabase db = QSqlDatabase::database(m_connection);
    if (!db.transaction())
        return fail(QStringLiteral("Adding the user failed: %1").arg(db.lastError().text()));
    // Check again inside the transaction: another connection may have added it meanwhile.
    if (const auto existing = storedName(name)) {
        db.rollback();
        return fail(QStringLiteral("A user named \"%1\" already exists.").arg(*existing));
    }
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO users (name, password_hash, enabled, may_relay, created, last_login,"
                             " last_login_ip, note) VALUES (?, ?, 1, ?, ?, NULL, '', '')"));
    q.addBindValue(storage::nn(name));
    q.addBindValue(hash);
    q.addBindValue(mayRelay ? 1 : 0);
    q.addBindValue(QDateTime::currentMSecsSinceEpoch());
    if (!q.exec()) {
        const QString why = q.lastError().text();
        q.finish();
        db.rollback();
        return fail(QStringLiteral("Adding the user failed: %1").arg(why));
    }
    if (!db.commit()) {
        const QString why = db.lastError().text();
        db.rollback();
        return fail(QStringLiteral("Adding the user failed: %1").arg(why));
    }
    return true;
}

bool UserStore::updateColumn(const QString &name, const char *sqlSet, const QVariant &value, QString *error)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (!m_open)
        return fail(m_error);
    const auto stored = storedName(name);
    if (!stored)
        return fail(notFound(name));
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("UPDATE users SET %1 = ? WHERE name = ?").arg(QLatin1String(sqlSet)));
    q.addBindValue(value);
    q.addBindValue(*stored);
    if (!q.exec())
        return fail(QStringLiteral("Updating user \"%1\" failed: %2").arg(*stored, q.lastError().text()));
    if (q.numRowsAffected() == 0)
        return fail(notFound(name));
    return true;
}

bool UserStore::setPassword(const QString &name, const QString &password, QString *error)
{
    if (const QString why = validatePassword(password); !why.isNull()) {
        if (error)
            *error = why;
        return false;
    }
    if (m_open && !storedName(name)) {
        if (error)
            *error = notFound(name);
        return false;
    }
    const QString hash = hashPassword(password.toUtf8(), m_iterations);
    if (hash.isEmpty()) {
        if (error)
            *error = QStringLiteral("The password could not be hashed (random generator or OpenSSL failure).");
        return false;
    }
    return updateColumn(name, "password_hash", hash, error);
}

bool UserStore::setPasswordHash(const QString &name, const QString &encoded, const QString &replacing,
                                QString *error)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (!isWellFormedHash(encoded))
        return fail(QStringLiteral("The password hash is not in a format RelayDesk can verify."));
    if (replacing.isNull())
        return updateColumn(name, "password_hash", encoded, error);
    if (!m_open)
        return fail(m_error);
    const auto stored = storedName(name);
    if (!stored)
        return fail(notFound(name));
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?"));
    q.addBindValue(encoded);
    q.addBindValue(*stored);
    q.addBindValue(replacing);
    if (!q.exec())
        return fail(QStringLiteral("Updating user \"%1\" failed: %2").arg(*stored, q.lastError().text()));
    if (q.numRowsAffected() == 0)
        return fail(QStringLiteral("The password of \"%1\" changed meanwhile; the hash was not replaced.").arg(*stored));
    return true;
}

bool UserStore::setEnabled(const QString &name, bool enabled, QString *error)
{
    return updateColumn(name, "enabled", enabled ? 1 : 0, error);
}

bool UserStore::setMayRelay(const QString &name, bool mayRelay, QString *error)
{
    return updateColumn(name, "may_relay", mayRelay ? 1 : 0, error);
}

bool UserStore::setNote(const QString &name, const QString &note, QString *error)
{
    return updateColumn(name, "note", storage::nn(note), error);
}

bool UserStore::removeUser(const QString &name, QString *error)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (!m_open)
        return fail(m_error);
    const auto stored = storedName(name);
    if (!stored)
        return fail(notFound(name));
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("DELETE FROM users WHERE name = ?"));
    q.addBindValue(*stored);
    if (!q.exec())
        return fail(QStringLiteral("Removing user \"%1\" failed: %2").arg(*stored, q.lastError().text()));
    return true;
}

bool UserStore::recordLogin(const QString &name, const QString &ip, QString *error)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (!m_open)
        return fail(m_error);
    const auto stored = storedName(name);
    if (!stored)
        return fail(notFound(name));
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("UPDATE users SET last_login = ?, last_login_ip = ? WHERE name = ?"));
    q.addBindValue(QDateTime::currentMSecsSinceEpoch());
    q.addBindValue(storage::nn(ip.left(64)));
    q.addBindValue(*stored);
    if (!q.exec())
        return fail(QStringLiteral("Recording the login of \"%1\" failed: %2").arg(*stored, q.lastError().text()));
    return q.numRowsAffected() > 0 || fail(notFound(name));
}

QList<UserInfo> UserStore::list(QString *error) const
{
    QList<UserInfo> out;
    if (!m_open) {
        if (error)
            *error = m_error;
        return out;
    }
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (!q.exec(QStringLiteral("SELECT name, enabled, may_relay, created, last_login, last_login_ip, note"
                               " FROM users"))) {
        if (error)
            *error = QStringLiteral("Reading the users failed: %1").arg(q.lastError().text());
        return out;
    }
    while (q.next()) {
        UserInfo u;
        u.name = q.value(0).toString();
        u.enabled = q.value(1).toInt() != 0;
        u.mayRelay = q.value(2).toInt() != 0;
        u.created = fromMs(q.value(3));
        u.lastLogin = fromMs(q.value(4));
        u.lastLoginIp = q.value(5).toString();
        u.note = q.value(6).toString();
        out << u;
    }
    std::sort(out.begin(), out.end(), [](const UserInfo &a, const UserInfo &b) {
        const int c = a.name.compare(b.name, Qt::CaseInsensitive);
        return c != 0 ? c < 0 : a.name < b.name;
    });
    return out;
}

std::optional<UserInfo> UserStore::user(const QString &name) const
{
    const auto stored = storedName(name);
    if (!stored)
        return std::nullopt;
    for (const UserInfo &u : list()) {
        if (u.name == *stored)
            return u;
    }
    return std::nullopt;
}

std::optional<AuthRecord> UserStore::authRecord(const QString &name) const
{
    const auto stored = storedName(name);
    if (!stored)
        return std::nullopt;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("SELECT name, password_hash, enabled, may_relay FROM users WHERE name = ?"));
    q.addBindValue(*stored);
    if (!q.exec() || !q.next())
        return std::nullopt;
    AuthRecord r;
    r.name = q.value(0).toString();
    r.passwordHash = q.value(1).toString();
    r.enabled = q.value(2).toInt() != 0;
    r.mayRelay = q.value(3).toInt() != 0;
    return r;
}

std::optional<QString> UserStore::passwordHashFor(const QString &name) const
{
    const auto r = authRecord(name);
    return r ? std::optional<QString>(r->passwordHash) : std::nullopt;
}

std::optional<bool> UserStore::isEnabled(const QString &name) const
{
    const auto r = authRecord(name);
    return r ? std::optional<bool>(r->enabled) : std::nullopt;
}

std::optional<bool> UserStore::mayRelay(const QString &name) const
{
    const auto r = authRecord(name);
    return r ? std::optional<bool>(r->mayRelay) : std::nullopt;
}

} // namespace rd::auth

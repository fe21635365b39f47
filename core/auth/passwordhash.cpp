#include "auth/passwordhash.h"

#include <QSet>
#include <QStringList>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <limits>
#include <optional>

namespace rd::auth {
namespace {

const QLatin1String kScheme("pbkdf2-sha256");
constexpr int kMaxEncodedLength = 512;
constexpr int kMinSaltBytes = 8;
constexpr int kMaxSaltBytes = 64;
constexpr int kMinHashBytes = 16;
constexpr int kMaxHashBytes = 64;
constexpr int kMaxOutputBytes = 1024;

struct ParsedHash {
    int iterations = 0;
    QByteArray salt;
    QByteArray hash;
};

// Strict standard base64 with padding: decodes and re-encodes identically.
std::optional<QByteArray> decodeBase64(const QString &text)
{
    if (text.isEmpty())
        return std::nullopt;
    const QByteArray raw = text.toLatin1();
    auto result = QByteArray::fromBase64Encoding(raw, QByteArray::Base64Encoding
                                                          | QByteArray::AbortOnBase64DecodingErrors);
    if (result.decodingStatus != QByteArray::Base64DecodingStatus::Ok)
        return std::nullopt;
    if (result.decoded.toBase64() != raw)
        return std::nullopt;
    return result.decoded;
}

std::optional<int> parseIterations(const QString &text)
{
    // Digits only, no sign, no leading zero, at most 8 digits (kMaxIterations is 10^7).
    if (text.isEmpty() || text.size() > 8 || text.at(0) == QLatin1Char('0'))
        return std::nullopt;
    qint64 value = 0;
    for (QChar c : text) {
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return std::nullopt;
        value = value * 10 + (c.unicode() - '0');
    }
    if (value < 1 || value > kMaxIterations)
        return std::nullopt;
    return int(value);
}

std::optional<ParsedHash> parseHash(const QString &encoded)
{
    if (encoded.isEmpty() || encoded.size() > kMaxEncodedLength)
        return std::nullopt;
    for (QChar c : encoded) {
        if (c.unicode() < 0x21 || c.unicode() > 0x7e)
            return std::nullopt;
    }
    const QStringList parts = encoded.split(QLatin1Char('$'));
    if (parts.size() != 4 || parts.at(0) != kScheme)
        return std::nullopt;
    const auto iterations = parseIterations(parts.at(1));
    const auto salt = decodeBase64(parts.at(2));
    const auto hash = decodeBase64(parts.at(3));
    if (!iterations || !salt || !hash)
        return std::nullopt;
    if (salt->size() < kMinSaltBytes || salt->size() > kMaxSaltBytes)
        return std::nullopt;
    if (hash->size() < kMinHashBytes || hash->size() > kMaxHashBytes)
        return std::nullopt;
    return ParsedHash{*iterations, *salt, *hash};
}

QString encode(int iterations, const QByteArray &salt, const QByteArray &hash)
{
    return QStringLiteral("%1$%2$%3$%4")
        .arg(kScheme)
        .arg(iterations)
        .arg(QString::fromLatin1(salt.toBase64()), QString::fromLatin1(hash.toBase64()));
}

QByteArray randomBytes(int n)
{
    QByteArray out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char *>(out.data()), n) != 1)
        return {};
    return out;
}

} // namespace

QByteArray pbkdf2Sha256(QByteArrayView password, QByteArrayView salt, int iterations, int length)
{
    if (iterations < 1 || iterations > kMaxIterations || length < 1 || length > kMaxOutputBytes)
        return {};
    if (password.size() > std::numeric_limits<int>::max() || salt.size() > std::numeric_limits<int>::max())
        return {};
    QByteArray out(length, '\0');
    // OpenSSL accepts a null pointer only with length 0; give it a valid one.
    static const char empty = '\0';
    const char *pw = password.isEmpty() ? &empty : password.data();
    const auto *s = reinterpret_cast<const unsigned char *>(salt.isEmpty() ? &empty : salt.data());
    if (PKCS5_PBKDF2_HMAC(pw, int(password.size()), s, int(salt.size()), iterations, EVP_sha256(), length,
                          reinterpret_cast<unsigned char *>(out.data()))
        != 1)
        return {};
    return out;
}

QString hashPassword(QByteArrayView password, int iterations)
{
    if (iterations < 1 || iterations > kMaxIterations)
        return {};
    const QByteArray salt = randomBytes(kSaltBytes);
    if (salt.isEmpty())
        return {};
    QByteArray hash = pbkdf2Sha256(password, salt, iterations, kHashBytes);
    if (hash.isEmpty())
        return {};
    const QString out = encode(iterations, salt, hash);
    OPENSSL_cleanse(hash.data(), size_t(hash.size()));
    return out;
}

bool verifyPassword(QByteArrayView password, const QString &encoded)
{
    const auto parsed = parseHash(encoded);
    if (!parsed)
        return false;
    QByteArray derived = pbkdf2Sha256(password, parsed->salt, parsed->iterations, int(parsed->hash.size()));
    if (derived.size() != parsed->hash.size())
        return false;
    const bool equal = CRYPTO_memcmp(derived.constData(), parsed->hash.constData(), size_t(derived.size())) == 0;
    OPENSSL_cleanse(derived.data(), size_t(derived.size()));
    return equal;
}

bool needsRehash(const QString &encoded, int targetIterations)
{
    const auto parsed = parseHash(encoded);
    if (!parsed)
        return true;
    return parsed->iterations < targetIterations || parsed->salt.size() < kSaltBytes
        || parsed->hash.size() < kHashBytes;
}

bool isWellFormedHash(const QString &encoded)
{
    return parseHash(encoded).has_value();
}

QString dummyHash(int iterations)
{
    iterations = qBound(1, iterations, kMaxIterations);
    QByteArray salt = randomBytes(kSaltBytes);
    QByteArray hash = randomBytes(kHashBytes);
    if (salt.isEmpty() || hash.isEmpty()) {
        // Still a well-formed hash of the same cost; no password is "\x01"*32's preimage in practice.
        salt = QByteArray(kSaltBytes, '\x5a');
        hash = QByteArray(kHashBytes, '\x01');
    }
    return encode(iterations, salt, hash);
}

// ---------------------------------------------------------------------------
// Strength hint

namespace {

// The most frequent passwords of the public breach lists (lower case).
const QSet<QString> &commonPasswords()
{
    static const QSet<QString> set = {
        QStringLiteral("123456"),     QStringLiteral("password"),   QStringLiteral("123456789"),
        QStringLiteral("12345678"),   QStringLiteral("12345"),      QStringLiteral("qwerty"),
        QStringLiteral("1234567"),    QStringLiteral("111111"),     QStringLiteral("123123"),
        QStringLiteral("abc123"),     QStringLiteral("password1"),  QStringLiteral("1234567890"),
        QStringLiteral("iloveyou"),   QStringLiteral("000000"),     QStringLiteral("qwerty123"),
        QStringLiteral("1q2w3e4r"),   QStringLiteral("admin"),      QStringLiteral("welcome"),
        QStringLiteral("letmein"),    QStringLiteral("monkey"),     QStringLiteral("dragon"),
        QStringLiteral("football"),   QStringLiteral("baseball"),   QStringLiteral("sunshine"),
        QStringLiteral("princess"),   QStringLiteral("master"),     QStringLiteral("login"),
        QStringLiteral("passw0rd"),   QStringLiteral("qwertyuiop"), QStringLiteral("starwars"),
        QStringLiteral("trustno1"),   QStringLiteral("changeme"),   QStringLiteral("secret"),
        QStringLiteral("p@ssw0rd"),   QStringLiteral("azerty"),     QStringLiteral("hello"),
    };
    return set;
}

bool isDigitOrSymbol(char32_t c)
{
    const QChar::Category cat = QChar::category(c);
    return QChar::isDigit(c) || QChar::isPunct(c) || QChar::isSymbol(c) || cat == QChar::Separator_Space;
}

} // namespace

PasswordStrength assessStrength(const QString &password)
{
    static const char *const kLabels[] = {"Very weak", "Weak", "Fair", "Good", "Strong"};
    auto make = [](int score, const QString &hint) {
        PasswordStrength s;
        s.score = qBound(0, score, 4);
        s.label = QString::fromLatin1(kLabels[s.score]);
        s.hint = hint;
        return s;
    };

    const QList<uint> cps = password.toUcs4();
    const int n = int(cps.size());
    if (n == 0)
        return make(0, QStringLiteral("Enter a password."));

    const QString lower = password.toLower();
    if (commonPasswords().contains(lower))
        return make(0, QStringLiteral("This is one of the most common passwords; attackers try it first."));

    // "Password2024!" and "!!qwerty" are a common password in disguise.
    QList<uint> core = lower.toUcs4();
    while (!core.isEmpty() && isDigitOrSymbol(core.last()))
        core.removeLast();
    while (!core.isEmpty() && isDigitOrSymbol(core.first()))
        core.removeFirst();
    const QString coreText = QString::fromUcs4(reinterpret_cast<const char32_t *>(core.constData()), core.size());
    const bool commonCore = !coreText.isEmpty() && commonPasswords().contains(coreText);

    bool hasLower = false, hasUpper = false, hasDigit = false, hasOther = false;
    QSet<uint> distinct;
    int longestRun = 1, run = 1, longestSeq = 1, seq = 1, seqDir = 0;
    for (int i = 0; i < n; ++i) {
        const uint c = cps.at(i);
        distinct.insert(c);
        if (QChar::isLower(c))
            hasLower = true;
        else if (QChar::isUpper(c))
            hasUpper = true;
        else if (QChar::isDigit(c))
            hasDigit = true;
        else
            hasOther = true;
        if (i == 0)
            continue;
        const qint64 diff = qint64(c) - qint64(cps.at(i - 1));
        run = diff == 0 ? run + 1 : 1;
        longestRun = qMax(longestRun, run);
        if ((diff == 1 || diff == -1) && (seqDir == 0 || seqDir == diff)) {
            seq += 1;
            seqDir = int(diff);
        } else {
            seq = (diff == 1 || diff == -1) ? 2 : 1;
            seqDir = (diff == 1 || diff == -1) ? int(diff) : 0;
        }
        longestSeq = qMax(longestSeq, seq);
    }
    const int classes = int(hasLower) + int(hasUpper) + int(hasDigit) + int(hasOther);

    if (distinct.size() == 1)
        return make(0, QStringLiteral("A single repeated character is guessed instantly."));

    int score = n < 8 ? 0 : n < 12 ? 1 : n < 16 ? 2 : n < 20 ? 3 : 4;
    if (n >= 8 && classes >= 3)
        score += 1;
    const bool repeats = longestRun >= 3 || distinct.size() * 3 < n; // "abababab", "abcabcabc"
    const bool sequence = longestSeq >= 4;
    if (repeats || sequence)
        score -= 1;
    if (commonCore)
        score = qMin(score, 1);
    score = qBound(0, score, 4);

    QString hint;
    if (commonCore)
        hint = QStringLiteral("A common password with digits or symbols added is still guessed quickly.");
    else if (n < 8)
        hint = QStringLiteral("Too short: use at least 12 characters, for example a few unrelated words.");
    else if (n < 12 && score < 3)
        hint = QStringLiteral("Longer is stronger: use 12 or more characters, for example a few unrelated words.");
    else if (repeats)
        hint = QStringLiteral("Avoid repeated characters such as \"aaa\".");
    else if (sequence)
        hint = QStringLiteral("Avoid sequences such as \"abcd\" or \"1234\".");
    else if (score < 4 && classes < 3)
        hint = QStringLiteral("Make it longer, or mix upper and lower case letters, digits and symbols.");
    else if (score < 4)
        hint = QStringLiteral("Good; a few more characters make it strong.");
    else
        hint = QStringLiteral("Strong password.");
    return make(score, hint);
}

} // namespace rd::auth

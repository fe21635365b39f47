#pragma once
// Salted slow password hashes for SMTP AUTH users, and the strength hint the
// Users panel shows. Pure functions: no state, no I/O; safe from any thread.
//
// Encoding (self-describing, so the cost can be raised later):
//   pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>
// PBKDF2-HMAC-SHA256 (OpenSSL PKCS5_PBKDF2_HMAC), 16-byte random salt,
// 32-byte output, standard base64 with padding. The password is hashed as the
// exact bytes given (UTF-8 from the GUI and from AUTH PLAIN/LOGIN); no Unicode
// normalisation is applied.

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace rd::auth {

// OWASP Password Storage Cheat Sheet: PBKDF2-HMAC-SHA256, 600,000 iterations.
inline constexpr int kDefaultIterations = 600000;
// Encodings with more iterations are refused (a stored value must not be able
// to hang a verification).
inline constexpr int kMaxIterations = 10000000;
inline constexpr int kSaltBytes = 16;
inline constexpr int kHashBytes = 32;

// Raw PBKDF2-HMAC-SHA256 (exposed for known-answer tests). Returns an empty
// array if iterations or length are out of range (1..kMaxIterations, 1..1024)
// or OpenSSL fails.
QByteArray pbkdf2Sha256(QByteArrayView password, QByteArrayView salt, int iterations, int length);

// Hashes a password with a fresh random salt (RAND_bytes). `iterations` exists
// for tests; production code uses the default. Returns an empty string only if
// the random generator or OpenSSL fails (callers treat that as an error).
QString hashPassword(QByteArrayView password, int iterations = kDefaultIterations);

// True if `password` matches `encoded`. Constant-time compare (CRYPTO_memcmp).
// A malformed encoding (wrong prefix, bad numbers, iterations outside
// 1..kMaxIterations, bad base64, odd lengths) returns false quickly, never crashes.
bool verifyPassword(QByteArrayView password, const QString &encoded);

// True if `encoded` should be replaced by a fresh hash on the next successful
// login: malformed, another scheme, fewer iterations than `targetIterations`,
// or a salt/hash shorter than today's sizes.
bool needsRehash(const QString &encoded, int targetIterations = kDefaultIterations);

// True if `encoded` parses as a hash this code can verify.
bool isWellFormedHash(const QString &encoded);

// A hash that no password matches, costing exactly as much to verify as a real
// one with `iterations` (random salt and random hash value). The Authenticator
// verifies unknown user names against it so their timing matches known ones.
QString dummyHash(int iterations = kDefaultIterations);

struct PasswordStrength {
    int score = 0;   // 0 very weak, 1 weak, 2 fair, 3 good, 4 strong
    QString label;   // "Very weak" .. "Strong"
    QString hint;    // one sentence: what to improve (or why it is good)
};

// Advisory strength estimate for the Users panel: length, character classes,
// a short list of the most common passwords (also with digits/symbols appended),
// repeated characters and simple sequences. Never stores or logs the password.
PasswordStrength assessStrength(const QString &password);

} // namespace rd::auth

#include "util/ids.h"

#include <QDateTime>
#include <QRandomGenerator>

#include <atomic>

namespace rd::util {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford

std::atomic<quint32> g_counter{QRandomGenerator::global()->generate()};

QString encode(quint64 value, int chars)
{
    QString out(chars, QLatin1Char('0'));
    for (int i = chars - 1; i >= 0; --i) {
        out[i] = QLatin1Char(kAlphabet[value & 31]);
        value >>= 5;
    }
    return out;
}

} // namespace

QString newQueueId()
{
    // 9 chars of milliseconds (45 bits: good until year 3084),
    // 4 chars of counter (20 bits), 3 chars of randomness (15 bits).
    const quint64 ms = quint64(QDateTime::currentMSecsSinceEpoch());
    const quint32 n = g_counter.fetch_add(1, std::memory_order_relaxed);
    const quint32 r = QRandomGenerator::global()->generate();
    return encode(ms, 9) + encode(n & 0xFFFFF, 4) + encode(r & 0x7FFF, 3);
}

QString newSessionId()
{
    const quint32 n = g_counter.fetch_add(1, std::memory_order_relaxed);
    const quint32 r = QRandomGenerator::global()->generate();
    return encode(n & 0xFFFFF, 4) + encode(r & 0xFFFFF, 4);
}

bool isValidQueueId(const QString &id)
{
    if (id.size() != 16)
        return false;
    for (QChar c : id) {
        if (!((c >= QLatin1Char('0') && c <= QLatin1Char('9')) || (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))))
            return false;
    }
    return true;
}

} // namespace rd::util

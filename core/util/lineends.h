#pragma once
// Line ends for mail text: bare CR and bare LF become CRLF, CRLF stays, and
// a missing final CRLF is added ("" stays ""). Used for pickup files and for
// the original message a DSN carries.

#include <QByteArray>
#include <QByteArrayView>

namespace rd::util {

QByteArray toCrlf(QByteArrayView data);

} // namespace rd::util

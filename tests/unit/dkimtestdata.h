#pragma once
// Helpers of the DKIM unit tests: dkimpy's vectors in tests/data/dkim (see its
// PROVENANCE.md), found next to the test sources.

#include <QByteArray>
#include <QFile>
#include <QString>
#include <QTest>

namespace dkimtest {

inline QString dataPath(const QString &name)
{
    return QFINDTESTDATA(QStringLiteral("../data/dkim/") + name);
}

inline QByteArray readData(const QString &name)
{
    QFile f(dataPath(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("test data %s missing", qPrintable(name));
    return f.readAll();
}

// The vectors are stored with LF line ends; messages travel with CRLF.
inline QByteArray crlf(QByteArray s)
{
    s.replace("\r\n", "\n");
    s.replace("\n", "\r\n");
    return s;
}

inline QByteArray txtValue(const QString &name)
{
    return readData(name).trimmed();
}

} // namespace dkimtest

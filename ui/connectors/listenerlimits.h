#pragma once
// The per-listener limit columns of ListenerModel (max message size, max
// recipients, max sessions per client address): parsing what the user types,
// the text shown, and the bounds (the same as ConfigSnapshot::validate()).
// 0 means "the global smtp.* setting". Pure functions; GUI thread or any.

#include <QCoreApplication>
#include <QString>
#include <QVariant>

namespace rd::ui {

class ListenerLimits {
    Q_DECLARE_TR_FUNCTIONS(ListenerLimits)
public:
    enum Limit { MessageSize, Recipients, SessionsPerIp };

    // Largest accepted value (the smallest non-zero one is minimum()).
    static qint64 maximum(Limit limit);
    static qint64 minimum(Limit limit);
    // The settings key of the global value ("smtp.max_message_size", ...).
    static const char *settingKey(Limit limit);

    // What the user typed: a number, "" or "global" (0), and for the size also
    // a K/KB/M/MB/G/GB suffix (binary: 1 MB = 1,048,576 octets). -1 when it is
    // not a number or is negative; out-of-range numbers are returned as they
    // are (validation marks them).
    static qint64 parse(Limit limit, const QVariant &input);
    // "" when valid, else one sentence naming the accepted range.
    static QString error(Limit limit, qint64 value);

    // "35 MB" / "512 KB" / "1000 octets": the largest unit that divides; other
    // sizes from 1 MB up are rounded ("19.1 MB").
    static QString formatSize(qint64 octets);
    // The cell text: the value, or "global (N)" for 0 (N formatted likewise).
    static QString display(Limit limit, qint64 value, qint64 global);
    // The cell tooltip (exact octets for the size; where 0 takes its value).
    static QString toolTip(Limit limit, qint64 value, qint64 global);
};

} // namespace rd::ui

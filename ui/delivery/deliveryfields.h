#pragma once
// Pure helpers of the Delivery panel: IIS's four retry fields mapped onto
// delivery.retry_schedule, and the checks of the panel's text fields.
// Thread: any. No I/O.

#include <QString>
#include <QVector>

namespace rd::ui {

// IIS "Outbound retry intervals", in minutes.
struct IisRetryFields {
    int first = 15;
    int second = 30;
    int third = 60;
    int subsequent = 240;
    int stepsInSchedule = 4; // how many values the schedule had (more than 4: the middle ones are not shown)
    bool operator==(const IisRetryFields &o) const
    {
        return first == o.first && second == o.second && third == o.third && subsequent == o.subsequent;
    }
};

// "60,300,900,1800,3600" (seconds; the last repeats) -> first 1, second 5,
// third 15, subsequent 60 minutes (the last value). Seconds round up to whole
// minutes. A schedule shorter than four repeats its last value. An invalid
// schedule gives the IIS defaults (15, 30, 60, 240).
IisRetryFields retryFieldsFromSchedule(const QString &schedule);

// The four fields as a schedule: "a,b,c,d" in seconds.
QString scheduleFromRetryFields(const IisRetryFields &f);

// Error sentences (empty: fine) for the text fields.
QString checkHostName(const QString &name);      // server.hostname: a DNS name
QString checkDomainOrEmpty(const QString &name); // delivery.masquerade_domain
QString checkAddressOrEmpty(const QString &addr); // delivery.ndr_copy_to: one address, no display name needed
// A folder path must be absolute (or empty when `emptyAllowed`).
QString checkFolderPath(const QString &path, bool emptyAllowed);

// "5 days", "1 day 2 h", "90 min" for a number of minutes.
QString formatMinutes(qint64 minutes);

} // namespace rd::ui

#include "ratelimits/policylistmodel.h"

namespace rd::ui {

QString PolicyTableBase::capitalized(const QString &s)
{
    return s.isEmpty() ? s : s.at(0).toUpper() + s.mid(1);
}

} // namespace rd::ui

#include "placeholder/placeholderpanel.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QVBoxLayout>

namespace rd::ui {

PlaceholderPanel::PlaceholderPanel(const QString &title, const QString &description, QWidget *parent)
    : QWidget(parent)
    , m_title(title)
{
    auto *heading = new QLabel(title, this);
    heading->setObjectName(QStringLiteral("placeholderTitle"));
    QFont headingFont = heading->font();
    headingFont.setPointSizeF(headingFont.pointSizeF() * 1.5);
    headingFont.setBold(true);
    heading->setFont(headingFont);

    auto *text = new QLabel(description, this);
    text->setObjectName(QStringLiteral("placeholderDescription"));
    text->setWordWrap(true);
    text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont textFont = text->font();
    textFont.setPointSizeF(textFont.pointSizeF() * 1.1);
    text->setFont(textFont);

    // A calm information note, so the page reads as "planned", not "broken".
    auto *note = new QFrame(this);
    note->setObjectName(QStringLiteral("placeholderNote"));
    note->setStyleSheet(QStringLiteral(
        "QFrame#placeholderNote { background: #eef4fb; border: 1px solid #c5d9ee; border-radius: 4px; }"
        "QFrame#placeholderNote QLabel { color: #1f4e79; background: transparent; border: none; }"));
    auto *icon = new QLabel(note);
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize);
    icon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxInformation).pixmap(iconSize, iconSize));
    auto *status = new QLabel(tr("Not yet available in this version."), note);
    status->setObjectName(QStringLiteral("placeholderStatus"));
    auto *noteLayout = new QHBoxLayout(note);
    noteLayout->setContentsMargins(10, 8, 10, 8);
    noteLayout->addWidget(icon);
    noteLayout->addWidget(status, 1);

    auto *column = new QVBoxLayout;
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(14);
    column->addWidget(heading);
    column->addWidget(text);
    column->addWidget(note);
    column->addStretch(1);

    // Keep the text at a readable line length on wide windows.
    auto *layout = new QHBoxLayout(this);
    auto *holder = new QWidget(this);
    holder->setLayout(column);
    holder->setMaximumWidth(640);
    layout->addWidget(holder, 1);
    layout->addStretch(0);
}

} // namespace rd::ui

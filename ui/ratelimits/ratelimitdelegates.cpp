#include "ratelimits/ratelimitdelegates.h"

#include "ratelimits/limitusagemodel.h"
#include "ratelimits/policylistmodel.h"

#include <QApplication>
#include <QComboBox>
#include <QPainter>
#include <QSpinBox>

#include <algorithm>

namespace rd::ui {

QWidget *ChoiceDelegate::createEditor(QWidget *parent, const QStyleOptionViewItem &option,
                                      const QModelIndex &index) const
{
    const QVariantList choices = index.data(PolicyTableBase::ChoicesRole).toList();
    if (!choices.isEmpty()) {
        auto *combo = new QComboBox(parent);
        for (const QVariant &c : choices) {
            const QVariantList pair = c.toList();
            combo->addItem(pair.value(0).toString(), pair.value(1));
        }
        // Commit as soon as a choice is made.
        connect(combo, &QComboBox::activated, this, [this, combo] {
            auto *self = const_cast<ChoiceDelegate *>(this);
            emit self->commitData(combo);
            emit self->closeEditor(combo);
        });
        return combo;
    }
    QWidget *editor = QStyledItemDelegate::createEditor(parent, option, index);
    if (auto *spin = qobject_cast<QSpinBox *>(editor)) {
        spin->setMinimum(0);
        spin->setMaximum(100000000);
        spin->setSpecialValueText(tr("unlimited"));
        spin->setGroupSeparatorShown(true);
    }
    return editor;
}

void ChoiceDelegate::setEditorData(QWidget *editor, const QModelIndex &index) const
{
    if (auto *combo = qobject_cast<QComboBox *>(editor)) {
        const int i = combo->findData(index.data(Qt::EditRole));
        combo->setCurrentIndex(std::max(i, 0));
        return;
    }
    QStyledItemDelegate::setEditorData(editor, index);
}

void ChoiceDelegate::setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const
{
    if (auto *combo = qobject_cast<QComboBox *>(editor)) {
        model->setData(index, combo->currentData(), Qt::EditRole);
        return;
    }
    QStyledItemDelegate::setModelData(editor, model, index);
}

void ChoiceDelegate::initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    if (!index.data(PolicyTableBase::ErrorRole).toString().isEmpty()) {
        option->palette.setColor(QPalette::Highlight, QColor(176, 30, 30));
        option->palette.setColor(QPalette::HighlightedText, Qt::white);
    }
}

void UsageBarDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString text = opt.text;
    opt.text.clear();
    const QWidget *widget = opt.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget); // background, selection

    const int maximum = index.data(LimitUsageModel::MaximumRole).toInt();
    const double fraction = std::clamp(index.data(LimitUsageModel::FractionRole).toDouble(), 0.0, 1.0);
    const int level = index.data(LimitUsageModel::LevelRole).toInt();
    const QRect bar = opt.rect.adjusted(4, 3, -4, -3);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, false);
    painter->setPen(QColor(170, 170, 170));
    painter->setBrush(QColor(242, 242, 242));
    painter->drawRect(bar.adjusted(0, 0, -1, -1));
    if (maximum > 0 && fraction > 0) {
        const QColor fill = level == LimitUsageModel::Over ? QColor(214, 69, 65)
                          : level == LimitUsageModel::Near ? QColor(240, 173, 78)
                                                           : QColor(92, 184, 92);
        QRect filled = bar.adjusted(1, 1, -1, -1);
        filled.setWidth(std::max(1, int(filled.width() * fraction)));
        painter->fillRect(filled, fill);
    }
    painter->setPen(level == LimitUsageModel::Over ? Qt::white : QColor(30, 30, 30));
    if (level == LimitUsageModel::Over) {
        QFont f = painter->font();
        f.setBold(true);
        painter->setFont(f);
    }
    painter->drawText(bar, Qt::AlignCenter, text);
    painter->restore();
}

QSize UsageBarDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    s.setWidth(std::max(s.width() + 24, 130));
    return s;
}

} // namespace rd::ui

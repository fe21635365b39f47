#pragma once
// Item delegates of the Rate limits panel.
//  ChoiceDelegate: cells whose model answers PolicyTableBase::ChoicesRole are
//    edited with a combo box (label shown, value written with EditRole);
//    number cells get a spin box from 0; an invalid row stays red when selected.
//  UsageBarDelegate: the Used cell of LimitUsageModel as a bar (green, amber
//    at >= 80 %, red at the limit) with "used / maximum" on it.
// Thread: GUI thread.

#include <QStyledItemDelegate>

namespace rd::ui {

class ChoiceDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &option,
                          const QModelIndex &index) const override;
    void setEditorData(QWidget *editor, const QModelIndex &index) const override;
    void setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const override;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;
};

class UsageBarDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace rd::ui

#include "table_view.hpp"

#include "models/table_models.hpp"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <algorithm>

namespace rooflab::gui {

QTableView* makeTableView(QAbstractItemModel* model) {
    auto* view = new QTableView;
    auto* proxy = new QSortFilterProxyModel(view);
    proxy->setSourceModel(model);
    proxy->setSortRole(kSortRole);
    view->setModel(proxy);
    view->setSortingEnabled(true);
    view->sortByColumn(-1, Qt::AscendingOrder);
    view->setSelectionBehavior(QAbstractItemView::SelectItems);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->setDefaultSectionSize(22);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    // Fit columns to the rows on screen only: measuring every row of a 1,000-point sweep table on each result
    // costs more than drawing the plot.
    view->horizontalHeader()->setResizeContentsPrecision(0);
    // Copy the selection as tab-separated text (pastes into spreadsheets).
    auto* copy = new QAction(QObject::tr("Copy"), view);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    QObject::connect(copy, &QAction::triggered, view, [view] {
        QModelIndexList sel = view->selectionModel()->selectedIndexes();
        if (sel.isEmpty())
            return;
        std::sort(sel.begin(), sel.end());
        QString text;
        int lastRow = sel.front().row();
        for (int i = 0; i < sel.size(); ++i) {
            if (i > 0)
                text += sel[i].row() != lastRow ? QLatin1Char('\n') : QLatin1Char('\t');
            lastRow = sel[i].row();
            text += sel[i].data().toString();
        }
        QApplication::clipboard()->setText(text);
    });
    view->addAction(copy);
    view->setContextMenuPolicy(Qt::ActionsContextMenu);
    return view;
}

} // namespace rooflab::gui

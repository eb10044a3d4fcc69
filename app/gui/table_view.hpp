#pragma once
/// @brief The table every page shows under its plot: sortable through a proxy (kSortRole), copy as tab-separated
/// text, columns fitted to the rows on screen only. One helper so the pages look and behave alike.
class QAbstractItemModel;
class QTableView;

namespace rooflab::gui {

/// A sortable table view of `model` (the proxy is owned by the view).
QTableView* makeTableView(QAbstractItemModel* model);

} // namespace rooflab::gui

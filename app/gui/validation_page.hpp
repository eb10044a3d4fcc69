#pragma once
/// @brief The Validation page: an end-to-end dataset (CSV of measured runs) predicted on the current platform,
/// predicted against measured with MAPE, as a plot and a table.
#include "analysis/platform_model.hpp"
#include "io/csv.hpp"

#include <QString>
#include <QWidget>
#include <memory>
#include <string>

class QLabel;

namespace rooflab::gui {

class ValidationModel;
class ValidationPlot;

class ValidationPage : public QWidget {
    Q_OBJECT
public:
    explicit ValidationPage(QWidget* parent = nullptr);

    /// Loads a dataset and predicts it on the current platform. False (and errorOccurred) when it does not load.
    bool loadDataset(const QString& path);
    /// File dialog; true when a dataset was loaded.
    bool chooseDataset();
    /// The platform the rows are predicted on; re-predicts a loaded dataset.
    void setPlatform(const std::string& name, std::shared_ptr<const PlatformModel> model);
    QString datasetPath() const { return m_datasetPath; }
    ValidationPlot* plot() const { return m_plot; }
    ValidationModel* model() const { return m_model; }

signals:
    void errorOccurred(const QString& message);

private:
    void refresh();

    QString m_datasetPath;
    io::CsvTable m_dataset;
    std::string m_platformName;
    std::shared_ptr<const PlatformModel> m_platformModel;
    QLabel* m_label = nullptr;
    ValidationPlot* m_plot = nullptr;
    ValidationModel* m_model = nullptr;
};

} // namespace rooflab::gui

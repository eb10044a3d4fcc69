#include "validation_page.hpp"

#include "models/evaluation.hpp"
#include "models/table_models.hpp"
#include "plots/charts.hpp"
#include "table_view.hpp"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace rooflab::gui {

ValidationPage::ValidationPage(QWidget* parent) : QWidget(parent) {
    m_model = new ValidationModel(this);
    m_plot = new ValidationPlot;
    auto* layout = new QVBoxLayout(this);
    auto* row = new QHBoxLayout;
    auto* loadBtn = new QPushButton(tr("Load dataset…"));
    connect(loadBtn, &QPushButton::clicked, this, &ValidationPage::chooseDataset);
    m_label = new QLabel(tr("No dataset loaded (end-to-end CSV: id,model,phase,batch,prompt,context,tp,"
                            "weights,kv,act,stack,measured_s)"));
    m_label->setWordWrap(true);
    row->addWidget(loadBtn);
    row->addWidget(m_label, 1);
    layout->addLayout(row);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(m_plot);
    split->addWidget(makeTableView(m_model));
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);
}

bool ValidationPage::loadDataset(const QString& path) {
    try {
        m_dataset = io::loadCsvFile(path.toStdString());
        m_datasetPath = path;
        refresh();
        return true;
    } catch (const std::exception& e) {
        m_label->setText(tr("⚠ %1").arg(QString::fromUtf8(e.what())));
        emit errorOccurred(tr("Dataset: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
}

bool ValidationPage::chooseDataset() {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Load end-to-end dataset"), QString(), tr("CSV (*.csv);;All files (*)"));
    return !path.isEmpty() && loadDataset(path);
}

void ValidationPage::setPlatform(const std::string& name, std::shared_ptr<const PlatformModel> model) {
    m_platformName = name;
    m_platformModel = std::move(model);
    refresh();
}

void ValidationPage::refresh() {
    if (m_datasetPath.isEmpty() || !m_platformModel) {
        m_plot->setData({}, m_platformName);
        return;
    }
    try {
        const std::string dir = QFileInfo(m_datasetPath).absolutePath().toStdString();
        const ValidationReport r = validateDatasetIn(m_dataset, *m_platformModel, dir);
        m_model->setResult(r);
        m_plot->setData(r, m_platformName);
        m_label->setText(tr("%1 — %2 rows, %3 predicted on %4")
                             .arg(m_datasetPath)
                             .arg(r.rows.size())
                             .arg(r.overall.n)
                             .arg(QString::fromStdString(m_platformName)));
    } catch (const std::exception& e) {
        m_label->setText(tr("⚠ %1").arg(QString::fromUtf8(e.what())));
        m_model->setResult({});
        m_plot->setData({}, m_platformName);
    }
}

} // namespace rooflab::gui

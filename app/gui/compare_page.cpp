#include "compare_page.hpp"

#include "io/data_paths.hpp"
#include "models/table_models.hpp"
#include "plots/charts.hpp"
#include "table_view.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace rooflab::gui {
namespace {

const char* const kNone = "(none)";

} // namespace

ComparePage::ComparePage(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    auto* row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Compare the selected platform with:")));
    for (auto*& c : m_combos) {
        c = new QComboBox;
        c->addItem(QString::fromLatin1(kNone));
        for (const auto& n : io::listPlatformNames())
            c->addItem(QString::fromStdString(n));
        connect(c, &QComboBox::currentIndexChanged, this, &ComparePage::changed);
        row->addWidget(c);
    }
    row->addStretch();
    layout->addLayout(row);
    m_plot = new ComparePlot;
    layout->addWidget(m_plot, 4);
    m_model = new CompareModel(this);
    layout->addWidget(makeTableView(m_model), 1);
}

bool ComparePage::setPlatforms(const QStringList& names) {
    for (int i = 0; i < kMaxPlatforms; ++i) {
        const QString n = i < names.size() ? names[i] : QString::fromLatin1(kNone);
        const int idx = m_combos[i]->findText(n);
        if (idx < 0) {
            emit errorOccurred(tr("Compare: unknown platform '%1'").arg(n));
            return false;
        }
        m_combos[i]->setCurrentIndex(idx);
    }
    return true;
}

QStringList ComparePage::platforms() const {
    QStringList names;
    for (auto* c : m_combos)
        if (c->currentIndex() > 0)
            names << c->currentText();
    return names;
}

void ComparePage::setData(const std::vector<ComparedPlatform>& platforms) {
    m_plot->setData(platforms);
    m_model->setPlatforms(platforms);
}

} // namespace rooflab::gui

#pragma once
/// @brief The Trace page (a CUPTI kernel trace summed per kernel class against the prediction per operator
/// class) and the Calibration page (microbenchmarks of a measurement folder against the platform's fitted model).
#include "analysis/llm_engine.hpp"
#include "analysis/platform_model.hpp"
#include "models/calibration_model.hpp"
#include "models/trace_model.hpp"
#include "workloads/llm.hpp"
#include "workloads/stack.hpp"

#include <QWidget>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTableView;

namespace rooflab::gui {

class CalibrationPlot;
class TracePlot;

class TracePage : public QWidget {
    Q_OBJECT
public:
    explicit TracePage(QWidget* parent = nullptr);

    /// The window's current platform, model, stack and scenario (used unless the trace's file name names one).
    void setContext(std::shared_ptr<const PlatformModel> pm, std::shared_ptr<const LlmArch> arch,
                    const StackProfile& stack, const Scenario& s);
    /// Steps the trace holds (0: estimated from its norm kernels). Measured times are divided by it.
    void setTraceSteps(int steps);
    /// Loads a trace CSV and compares it. False (with an inline message) on error.
    bool loadTrace(const QString& path);

    TraceCompareModel* model() const { return m_model; }
    TracePlot* plot() const { return m_plot; }
    const KernelTrace& trace() const { return m_trace; }
    /// The scenario compared ("from file name" or "from controls").
    QString scenarioText() const;
    QString messageText() const;

private:
    void recompute();
    void showMessage(const QString& text, bool error);

    std::shared_ptr<const PlatformModel> m_pm;
    std::shared_ptr<const LlmArch> m_arch;
    StackProfile m_stack = StackProfile::defaultProfile();
    Scenario m_scenario;
    QString m_path;
    bool m_loaded = false;
    KernelTrace m_trace;

    QLineEdit* m_pathEdit = nullptr;
    QLabel* m_scenarioLabel = nullptr;
    QSpinBox* m_steps = nullptr;
    QLabel* m_message = nullptr;
    TraceCompareModel* m_model = nullptr;
    TracePlot* m_plot = nullptr;
};

class CalibrationPage : public QWidget {
    Q_OBJECT
public:
    explicit CalibrationPage(QWidget* parent = nullptr);

    /// The current platform: its model is drawn; the folder defaults to datasets/hopper/<name> when it exists.
    void setPlatform(const QString& name, std::shared_ptr<const PlatformModel> pm);
    /// Reads gemm.csv, bandwidth.csv and attention.csv (each optional) of `dir`. False when none is readable.
    bool loadFolder(const QString& dir);
    QString folder() const { return m_folder; }
    /// Picks the GEMM curve (N x K and dtype). False when the folder has no such combination.
    bool selectGemm(qint64 n, qint64 k, const QString& dtype);

    CalibrationPlot* gemmPlot() const { return m_gemmPlot; }
    CalibrationPlot* bandwidthPlot() const { return m_bwPlot; }
    CalibrationPlot* attentionPlot() const { return m_attnPlot; }
    double gemmMape() const { return m_gemmMape; }
    double bandwidthMape() const { return m_bwMape; }
    double attentionMape() const { return m_attnMape; }
    QString messageText() const;

private:
    void refill();
    void redraw();
    void redrawGemm();

    QString m_platformName, m_folder;
    bool m_userFolder = false;
    std::shared_ptr<const PlatformModel> m_pm;
    io::CsvTable m_gemm, m_bw, m_attn;
    bool m_hasGemm = false, m_hasBw = false, m_hasAttn = false;
    std::vector<GemmCombo> m_combos;
    double m_gemmMape = 0, m_bwMape = 0, m_attnMape = 0;
    bool m_filling = false;

    QLineEdit* m_folderEdit = nullptr;
    QComboBox* m_shape = nullptr;
    QComboBox* m_dtype = nullptr;
    QLabel* m_message = nullptr;
    CalibrationPlot* m_gemmPlot = nullptr;
    CalibrationPlot* m_bwPlot = nullptr;
    CalibrationPlot* m_attnPlot = nullptr;
};

} // namespace rooflab::gui

#pragma once
/// @brief The Serving page: the serving study of the engine (model/serving/serving_study) on the scenario's model and
/// platform — TTFT, TPOT and output tokens/s per GPU against closed-loop concurrency for the scenario's deployment
/// (aggregated, or disaggregated with prefill and decode workers of the scenario's TP), the tokens/s-per-GPU vs
/// tokens/s-per-user Pareto front of a deployment search (GPU budget, aggregated or disaggregated layouts) with its
/// best layout under the TTFT/TPOT SLO and the measured aic-silicon runs of the same model on the platform's GPU
/// (model/serving/measured_serving), and the simulated batch and KV-cache timeline at the highest concurrency. The
/// simulations run on a worker thread.
#include "analysis/platform_model.hpp"
#include "report/report.hpp"
#include "serving/measured_serving.hpp"
#include "serving/serving_study.hpp"
#include "workloads/llm.hpp"

#include <QFutureWatcher>
#include <QString>
#include <QStringList>
#include <QWidget>
#include <memory>
#include <optional>
#include <string>
#include <vector>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace rooflab::gui {

class ServingCurvePlot;
class ServingParetoPlot;
class ServingTimelinePlot;

/// @brief What one study runs: plain values, so the worker owns a copy.
struct ServingStudyInput {
    std::shared_ptr<const PlatformModel> platform;
    std::string platformName;
    std::shared_ptr<const Platform> hardware; ///< the platform file's values, for the confidence (nullptr: none)
    std::shared_ptr<const LlmArch> model;
    std::string stack = "vllm"; ///< vllm, sglang or tensorrt-llm (a stack profile name)
    Scenario datatypes;         ///< weights, kv, act and the layout (tp, pp, ep) of the scenario panel
    serving::ServingStudyConfig config;
    std::string datasetPath; ///< aic-silicon CSV for the measured overlay ("" : none)
};

using ServingStudyPoint = serving::ServingStudyPoint;
using MeasuredServingPoint = serving::MeasuredServingPoint;

struct ServingStudyOutcome {
    std::vector<ServingStudyPoint> points; ///< one per concurrency, ok or not
    serving::DeploymentSearchResult search;
    serving::DeploymentSlo slo; ///< the targets the search's best meets
    std::vector<MeasuredServingPoint> measured;
    QString modelName, error;             ///< error: the study could not run at all
    QStringList notes;                    ///< infeasible points and skipped parts, for the status line
    std::optional<Confidence> confidence; ///< of the serving simulator on this platform x stack
};

/// @brief Runs the study (pure apart from reading the stack profile and the dataset file; throws nothing: errors
/// come back as text).
ServingStudyOutcome runServingStudy(const ServingStudyInput& in);
/// @brief A measured run in words (backend, mode, concurrency, GPUs, TTFT, TPOT), for tooltips.
QString describeMeasured(const MeasuredServingPoint& m);
/// @brief "agg 1 x tp2 b64: TTFT 120 ms, TPOT 9.1 ms, 900 tok/s/GPU, 110 tok/s/user" for a search candidate.
QString describeCandidate(const serving::DeploymentCandidate& c);

class ServingPage : public QWidget {
    Q_OBJECT
public:
    explicit ServingPage(QWidget* parent = nullptr);
    ~ServingPage() override;

    /// The scenario the study runs on (the page has its own stack, see followStack).
    /// The platform file's values behind the context's model (the status line's confidence).
    void setHardware(const Platform& p) { m_hardware = std::make_shared<const Platform>(p); }
    void setContext(std::shared_ptr<const PlatformModel> pm, const std::string& platformName,
                    std::shared_ptr<const LlmArch> model, const Scenario& scenario);
    void setStack(const QString& name);
    /// The serving stack the user picked in the scenario panel: the page follows it while it is a serving stack
    /// (vllm, sglang, tensorrt-llm) and the page's own stack has not been chosen by hand; vllm, the most used serving
    /// stack, otherwise (issue 19: "default stack").
    void followStack(const QString& name);
    QString stackName() const;
    void setLengths(int64_t isl, int64_t osl);
    void setConcurrencyList(const QString& list);
    /// Aggregated, or disaggregated with this many prefill and decode workers (each of the scenario's TP x PP);
    /// the deployment search then enumerates the same kind of layouts.
    void setMode(serving::DeploymentMode mode, int prefillWorkers = 1, int decodeWorkers = 1);
    /// The search's targets: mean TTFT and TPOT at most these (seconds; 0: no limit).
    void setSlo(double ttftMaxS, double tpotMaxS);
    /// GPUs of one deployment in the search (0: no search).
    void setSearchGpus(int gpus);
    /// What the next run() simulates (the controls' values; the dataset path filled in).
    ServingStudyInput studyInput(QString* error) const;
    /// @brief The page's settings as the report's Serving section (File > Export report adds it once the page has
    /// run a study); nullopt before the first run.
    std::optional<report::ServingReportInput> reportServingInput() const;
    /// Starts a study on the worker (a running one is finished first).
    void run();
    bool isBusy() const { return m_watcher.isRunning(); }
    /// Waits for a running study and applies its result (tests, shutdown).
    void waitForFinished();

    const ServingStudyOutcome& outcome() const { return m_outcome; }
    QString statusText() const;
    ServingCurvePlot* curvePlot() const { return m_curve; }
    ServingParetoPlot* paretoPlot() const { return m_pareto; }
    ServingTimelinePlot* timelinePlot() const { return m_timeline; }

signals:
    void finished();
    void errorOccurred(const QString& message);

private:
    void apply(const ServingStudyOutcome& o);
    void updateModeControls();

    std::shared_ptr<const PlatformModel> m_pm;
    std::string m_platformName;
    std::shared_ptr<const Platform> m_hardware;
    std::shared_ptr<const LlmArch> m_model;
    Scenario m_scenario;
    QComboBox* m_stack = nullptr;
    bool m_stackChosen = false; ///< the user picked the page's stack by hand: it no longer follows the panel
    QSpinBox* m_isl = nullptr;
    QSpinBox* m_osl = nullptr;
    QLineEdit* m_concurrency = nullptr;
    QComboBox* m_mode = nullptr;
    QSpinBox* m_prefillWorkers = nullptr;
    QSpinBox* m_decodeWorkers = nullptr;
    QSpinBox* m_searchGpus = nullptr;
    QDoubleSpinBox* m_ttftMaxMs = nullptr;
    QDoubleSpinBox* m_tpotMaxMs = nullptr;
    QPushButton* m_runBtn = nullptr;
    QLabel* m_status = nullptr;
    ServingCurvePlot* m_curve = nullptr;
    ServingParetoPlot* m_pareto = nullptr;
    ServingTimelinePlot* m_timeline = nullptr;
    QFutureWatcher<ServingStudyOutcome> m_watcher;
    ServingStudyOutcome m_outcome;
};

} // namespace rooflab::gui

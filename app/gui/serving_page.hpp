#pragma once
/// @brief The Serving page: the serving simulator (model/serving) on the scenario's model and platform — TTFT, TPOT
/// and output tokens/s per GPU against closed-loop concurrency, the tokens/s-per-GPU vs tokens/s-per-user Pareto front
/// of a deployment search (8 GPUs, aggregated) with the measured aic-silicon points of the same model, and the
/// simulated batch and KV-cache timeline at the highest concurrency. The simulations run on a worker thread.
#include "analysis/platform_model.hpp"
#include "serving/deployment_search.hpp"
#include "serving/serving.hpp"
#include "workloads/llm.hpp"

#include <QFutureWatcher>
#include <QString>
#include <QStringList>
#include <QWidget>
#include <memory>
#include <string>
#include <vector>

class QComboBox;
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
    std::shared_ptr<const LlmArch> model;
    std::string stack = "vllm"; ///< vllm, sglang or tensorrt-llm (a stack profile name)
    Scenario datatypes;         ///< weights, kv, act and tp of the scenario panel
    int64_t isl = 1024, osl = 128;
    std::vector<int> concurrency{1, 2, 4, 8, 16, 32, 64, 128, 256};
    int searchGpus = 8;      ///< deployment-search budget (aggregated layouts only); 0: no search
    std::string datasetPath; ///< aic-silicon CSV for the measured overlay ("" : none)
};

/// One measured aic-silicon run mapped onto the Pareto plot's axes.
struct MeasuredServingPoint {
    double tokensPerSPerUser = 0; ///< 1000 / tpot_ms
    double tokensPerSPerGpu = 0;  ///< concurrency / (ttft_s + (osl - 1) tpot_s) x osl / gpus
    int concurrency = 0;
    bool sameLengths = false; ///< the run's ISL and OSL are the study's
};

struct ServingStudyPoint {
    int concurrency = 0;
    serving::ServingResult result; ///< iterations kept only for the highest concurrency
};

struct ServingStudyOutcome {
    std::vector<ServingStudyPoint> points; ///< one per concurrency, ok or not
    serving::DeploymentSearchResult search;
    std::vector<MeasuredServingPoint> measured;
    QString modelName, error; ///< error: the study could not run at all
    QStringList notes;        ///< infeasible points and skipped parts, for the status line
};

/// @brief Runs the study (pure apart from reading the dataset file; throws nothing: errors come back as text).
ServingStudyOutcome runServingStudy(const ServingStudyInput& in);
/// @brief The runs of an aic-silicon CSV for `hfId` (column model_path; case and a trailing "-Instruct" ignored)
/// as Pareto points: on GPUs whose name contains `gpu` ("" : every GPU), aggregated and disaggregated, every
/// backend; only those at `isl`/`osl` when the file has any. Throws InputError when the file does not load.
std::vector<MeasuredServingPoint> measuredServingPoints(const std::string& csvPath, const std::string& hfId,
                                                        const std::string& gpu, int64_t isl, int64_t osl);

class ServingPage : public QWidget {
    Q_OBJECT
public:
    explicit ServingPage(QWidget* parent = nullptr);
    ~ServingPage() override;

    /// The scenario the study runs on (model, stack profile of the panel is ignored: the page has its own).
    void setContext(std::shared_ptr<const PlatformModel> pm, const std::string& platformName,
                    std::shared_ptr<const LlmArch> model, const Scenario& scenario);
    void setStack(const QString& name);
    void setLengths(int64_t isl, int64_t osl);
    void setConcurrencyList(const QString& list);
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

    std::shared_ptr<const PlatformModel> m_pm;
    std::string m_platformName;
    std::shared_ptr<const LlmArch> m_model;
    Scenario m_scenario;
    QComboBox* m_stack = nullptr;
    QSpinBox* m_isl = nullptr;
    QSpinBox* m_osl = nullptr;
    QLineEdit* m_concurrency = nullptr;
    QPushButton* m_runBtn = nullptr;
    QLabel* m_status = nullptr;
    ServingCurvePlot* m_curve = nullptr;
    ServingParetoPlot* m_pareto = nullptr;
    ServingTimelinePlot* m_timeline = nullptr;
    QFutureWatcher<ServingStudyOutcome> m_watcher;
    ServingStudyOutcome m_outcome;
};

} // namespace rooflab::gui

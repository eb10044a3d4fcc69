#pragma once
/// @brief The Search page, in two modes. Step model: the best configuration under TTFT/TPOT targets over candidate
/// platforms (TP x batch), minimizing devices or cost, with the Pareto front of throughput per device vs TPOT.
/// Serving simulator: the deployment search of model/serving (as `rooflab search --gpus N` and the Serving page)
/// on the first checked platform as the node and a GPU budget: the tokens/s-per-GPU vs tokens/s-per-user Pareto
/// front with the best layout under the TTFT/TPOT SLO, and a table of the front's layouts. Searches run off the UI
/// thread (QtConcurrent); errors show inline.
#include "models/deployment_search_model.hpp"
#include "models/search_model.hpp"

#include <QFutureWatcher>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTableView;

namespace rooflab::gui {

class SearchPlot;
class ServingParetoPlot;

/// What the Search page searches with: the step model (TP x batch over platforms) or the serving simulator.
enum class SearchMode { Step, Serving };

class SearchPage : public QWidget {
    Q_OBJECT
public:
    explicit SearchPage(QWidget* parent = nullptr);
    ~SearchPage() override;

    /// The workload's model (preset or config path) and stack; set by the window as they change.
    void setWorkload(const QString& modelKey, const QString& modelLabel, const QString& stack);
    /// The window's current platform: checked by default until the user changes the check list.
    void setCurrentPlatform(const QString& name);
    /// Checks exactly these platforms. False when one is not in the list.
    bool setCandidatePlatforms(const QStringList& names);
    QStringList candidatePlatforms() const;
    void setTargets(double ttftMaxS, double tpotMaxS);
    void setTokens(int prompt, int output);
    void setObjective(SearchObjective o);
    /// "PLATFORM=USD,..." per device-hour (needed to minimize cost).
    void setPrices(const QString& text);
    void setMode(SearchMode mode);
    SearchMode mode() const;
    /// Serving mode: GPUs of one deployment, and whether disaggregated layouts are searched too.
    void setGpuBudget(int gpus);
    void setDisaggregated(bool on);
    /// Serving mode: the stack it runs (the workload's stack when a serving stack, else vllm).
    QString servingStack() const;

    /// Starts a search (off the UI thread). False (with an inline error) when inputs are invalid or one runs.
    bool run();
    bool isRunning() const;
    /// Runs the event loop until no search is running. False on timeout.
    bool waitForSearch(int timeoutMs = 30000);

    const SearchOutcome& outcome() const { return m_outcome; }
    SearchResultModel* model() const { return m_model; }
    SearchPlot* plot() const { return m_plot; }
    /// Serving mode's result, table and plot.
    const DeploymentSearchOutcome& deploymentOutcome() const { return m_deployOutcome; }
    DeploymentFrontModel* deploymentModel() const { return m_deployModel; }
    ServingParetoPlot* servingPlot() const { return m_servingPlot; }
    /// The inline message: the best configuration, "No configuration meets…", or the error.
    QString messageText() const;
    int searchCount() const { return m_searches; }

signals:
    void searched();

private:
    bool buildRequest(SearchRequest& req, QString& error) const;
    bool buildDeploymentRequest(DeploymentSearchRequest& req, QString& error) const;
    void applyOutcome(const SearchOutcome& o);
    void applyDeploymentOutcome(const DeploymentSearchOutcome& o);
    void updateModeControls();
    void showMessage(const QString& text, bool error);

    QString m_modelKey, m_stack;
    bool m_userChecked = false;
    bool m_settingChecks = false;
    int m_searches = 0;
    SloTargets m_lastSlo;
    SearchOutcome m_outcome;
    QFutureWatcher<SearchOutcome> m_watcher;
    DeploymentSearchOutcome m_deployOutcome;
    QFutureWatcher<DeploymentSearchOutcome> m_deployWatcher;

    QLabel* m_modelLabel = nullptr;
    QListWidget* m_platforms = nullptr;
    QDoubleSpinBox* m_ttft = nullptr;
    QDoubleSpinBox* m_tpot = nullptr;
    QSpinBox* m_prompt = nullptr;
    QSpinBox* m_output = nullptr;
    QComboBox* m_objective = nullptr;
    QLineEdit* m_prices = nullptr;
    QPushButton* m_run = nullptr;
    QLabel* m_message = nullptr;
    SearchResultModel* m_model = nullptr;
    SearchPlot* m_plot = nullptr;
    QComboBox* m_mode = nullptr;
    QSpinBox* m_gpus = nullptr;
    QCheckBox* m_disagg = nullptr;
    QWidget* m_gpusLabel = nullptr;
    QStackedWidget* m_plots = nullptr;
    QStackedWidget* m_tables = nullptr;
    DeploymentFrontModel* m_deployModel = nullptr;
    ServingParetoPlot* m_servingPlot = nullptr;
};

} // namespace rooflab::gui

#pragma once
/// @brief The Search page: the best configuration under TTFT/TPOT targets over candidate platforms (TP x batch),
/// minimizing devices or cost, with the Pareto front of throughput per device vs TPOT. The search runs off the UI
/// thread (QtConcurrent); errors show inline.
#include "models/search_model.hpp"

#include <QFutureWatcher>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
class QTableView;

namespace rooflab::gui {

class SearchPlot;

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

    /// Starts a search (off the UI thread). False (with an inline error) when inputs are invalid or one runs.
    bool run();
    bool isRunning() const;
    /// Runs the event loop until no search is running. False on timeout.
    bool waitForSearch(int timeoutMs = 30000);

    const SearchOutcome& outcome() const { return m_outcome; }
    SearchResultModel* model() const { return m_model; }
    SearchPlot* plot() const { return m_plot; }
    /// The inline message: the best configuration, "No configuration meets…", or the error.
    QString messageText() const;
    int searchCount() const { return m_searches; }

signals:
    void searched();

private:
    bool buildRequest(SearchRequest& req, QString& error) const;
    void applyOutcome(const SearchOutcome& o);
    void showMessage(const QString& text, bool error);

    QString m_modelKey, m_stack;
    bool m_userChecked = false;
    bool m_settingChecks = false;
    int m_searches = 0;
    SloTargets m_lastSlo;
    SearchOutcome m_outcome;
    QFutureWatcher<SearchOutcome> m_watcher;

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
};

} // namespace rooflab::gui

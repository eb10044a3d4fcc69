#pragma once
/// @brief When and where the pages' evaluation runs: changes made in one pass of the event loop coalesce into one
/// evaluation (a debounce timer, 0 ms by default), the engine runs on a worker (QtConcurrent), and changes that
/// arrive while it runs make exactly one more evaluation when it ends. The result comes back as a value through
/// finished(); the controller knows nothing of widgets, so it is tested alone.
#include "models/evaluation.hpp"

#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QTimer>
#include <functional>

namespace rooflab::gui {

/// One evaluation's outcome: the output, or the error the engine threw (then `output` is empty).
struct EvalOutcome {
    EvalOutput output;
    QString error;
};

class EvaluationController : public QObject {
    Q_OBJECT
public:
    /// Builds the input on the UI thread when an evaluation starts (reads the controls); false with `error` when
    /// the controls do not describe a valid input.
    using InputProvider = std::function<bool(EvalInput& in, QString& error)>;

    explicit EvaluationController(InputProvider provider, QObject* parent = nullptr);
    /// Waits for a running evaluation: its result must not arrive at a destroyed controller.
    ~EvaluationController() override;

    /// Asks for an evaluation of the current input (coalesced with other requests of this event-loop pass).
    void schedule();
    /// Evaluates now on the calling thread (after any running one), then delivers the result (screenshots).
    void evaluateNow();
    /// Runs the event loop until nothing is scheduled, running or pending. False on timeout.
    bool waitForIdle(int timeoutMs = 5000);
    bool isBusy() const;

    /// How long a change waits for further changes before an evaluation starts (ms; 0: the same event-loop pass).
    void setDebounceInterval(int ms) { m_debounce.setInterval(ms); }
    /// Outcomes delivered through finished() (results and engine errors).
    int evaluationCount() const { return m_delivered; }
    /// Evaluations started (worker or evaluateNow); with evaluationCount() shows how requests coalesced.
    int startedCount() const { return m_started; }

signals:
    /// An evaluation started on a worker (changes from now on wait as one pending re-evaluation).
    void started();
    /// An evaluation ended: the result, or the engine's error.
    void finished(const rooflab::gui::EvalOutcome& outcome);
    /// The provider refused the input; no evaluation ran.
    void inputRejected(const QString& error);

private:
    void start();
    void deliver(const EvalOutcome& outcome);

    InputProvider m_provider;
    QTimer m_debounce;
    QFutureWatcher<EvalOutcome> m_watcher;
    /// Set when a worker starts, cleared when its finished() arrives on the UI thread (QFutureWatcher::isRunning()
    /// turns false before that signal is delivered, which would let waitForIdle() return before the result).
    bool m_inFlight = false;
    bool m_pending = false; ///< a change arrived while the worker ran: evaluate again when it ends
    int m_started = 0;
    int m_delivered = 0;
};

} // namespace rooflab::gui

#include "evaluation_controller.hpp"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QtConcurrent/QtConcurrentRun>
#include <utility>

namespace rooflab::gui {
namespace {

EvalOutcome evaluateCaught(const EvalInput& in) {
    try {
        return {evaluate(in), {}};
    } catch (const std::exception& e) {
        return {{}, QString::fromUtf8(e.what())};
    }
}

} // namespace

EvaluationController::EvaluationController(InputProvider provider, QObject* parent)
    : QObject(parent), m_provider(std::move(provider)) {
    // Interval 0: the changes of one event-loop pass (several setters, a session restore) make one evaluation;
    // while one runs, further changes wait as one pending re-evaluation. No delay beyond that.
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(0);
    connect(&m_debounce, &QTimer::timeout, this, &EvaluationController::start);
    connect(&m_watcher, &QFutureWatcher<EvalOutcome>::finished, this, [this] {
        m_inFlight = false;
        deliver(m_watcher.result());
        if (m_pending) {
            m_pending = false;
            start();
        }
    });
}

EvaluationController::~EvaluationController() {
    m_debounce.stop();
    m_watcher.waitForFinished();
}

void EvaluationController::schedule() {
    m_debounce.start();
}

bool EvaluationController::isBusy() const {
    return m_debounce.isActive() || m_inFlight || m_pending;
}

void EvaluationController::start() {
    if (m_inFlight) {
        m_pending = true;
        return;
    }
    EvalInput in;
    QString error;
    if (!m_provider(in, error)) {
        emit inputRejected(error);
        return;
    }
    ++m_started;
    m_inFlight = true;
    m_watcher.setFuture(QtConcurrent::run([in = std::move(in)]() { return evaluateCaught(in); }));
    emit started();
}

void EvaluationController::evaluateNow() {
    m_debounce.stop();
    m_pending = false;
    if (m_inFlight) {
        // Let the running evaluation's (older) result arrive first, so the pages end on this one.
        m_watcher.waitForFinished();
        QCoreApplication::processEvents(QEventLoop::ExcludeUserInputEvents);
    }
    EvalInput in;
    QString error;
    if (!m_provider(in, error)) {
        emit inputRejected(error);
        return;
    }
    ++m_started;
    deliver(evaluateCaught(in));
}

bool EvaluationController::waitForIdle(int timeoutMs) {
    QElapsedTimer t;
    t.start();
    while (isBusy()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    QCoreApplication::processEvents();
    return true;
}

void EvaluationController::deliver(const EvalOutcome& outcome) {
    ++m_delivered;
    emit finished(outcome);
}

} // namespace rooflab::gui

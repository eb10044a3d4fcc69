#pragma once
/// @brief The "Workload and scenario" dock: platform choice, workload kind, model, stack, phase, batch, prompt,
/// context, chunk, output, TP/PP/EP, datatypes and the GEMM shape. It owns the model and stack caches and builds
/// the workload part of an EvalInput through the spec's ScenarioBuilder (the spec layer checks the ranges). Every
/// change emits changed(); errors show in its inline label.
#include "models/evaluation.hpp"
#include "spec/request.hpp"

#include <QList>
#include <QString>
#include <QWidget>
#include <map>
#include <memory>

class QComboBox;
class QLabel;
class QSettings;
class QSpinBox;

namespace rooflab::report {
struct ReportInput;
}

namespace rooflab::gui {

class ScenarioPanel : public QWidget {
    Q_OBJECT
public:
    /// The integer controls, named as the Request codec names them (batch, prompt, context, chunk, output, tp,
    /// pp, ep).
    enum class Field { Batch, Prompt, Context, Chunk, Output, Tp, Pp, Ep };

    explicit ScenarioPanel(QWidget* parent = nullptr);

    // --- platform choice (the platform itself lives on the platform page) ----------------------------------
    /// Shows the platform loaded from `path` as current, adding an entry for a file outside the shipped list.
    void showPlatform(const QString& key, const QString& name, const QString& path);
    /// The shipped name or file path of the platform chosen in the combo.
    QString platformKey() const;

    // --- workload ------------------------------------------------------------------------------------------
    /// A preset by name or a config.json/YAML by path (loaded now). False with an inline error.
    bool selectModel(const QString& nameOrPath);
    bool selectStack(const QString& name);
    /// prefill, decode, chunked or request.
    bool setPhase(const QString& phase);
    /// Sets an integer control. A value outside the control's range is refused with an inline error naming the
    /// field (the control keeps its value) instead of being clamped silently.
    bool setValue(Field field, qint64 value);
    qint64 value(Field field) const;
    /// Activation datatype by name (bf16, fp16, fp8_e4m3, ...). False when there is no such type.
    bool setActivationType(const QString& dtype);
    void setGemmWorkload(int m, int n, int k);
    /// Points per sweep (batch and context); 400 by default, clamped to [2, 100000].
    void setSweepPoints(int perSweep);
    int sweepPoints() const { return m_sweepPoints; }

    WorkloadKind kind() const;
    GuiPhase phase() const;
    QString modelKey() const;   ///< preset name or config path
    QString modelLabel() const; ///< as shown
    QString stackName() const;
    /// The current stack as the last buildInput() loaded it, nullptr before (the confidence badge reads it).
    const StackProfile* cachedStack() const;
    /// @brief One line about the selected model (also the model combo's tooltip): type, layers, hidden size,
    /// heads, and the MLP width that is used: the dense one, or for MoE the expert width (an all-MoE config's
    /// dense intermediate_size is unused). Empty for a GEMM or a model that does not load.
    QString modelDescription() const;
    static QString describeModel(const LlmArch& a);

    /// @brief Fills the workload part of `in` (kind, model, stack, phase, scenario, GEMM, sweep points) from the
    /// controls. False with `error` when the model or stack does not load or a value is out of range.
    bool buildInput(EvalInput& in, QString& error);
    /// @brief The report of the scenario the panel shows, on `platform` as shown (unsaved edits included), with
    /// the dataset at `datasetPath` (may be empty). False with `error` for a GEMM workload or no platform.
    bool fillReportInput(report::ReportInput& in, const Platform& platform, const QString& datasetPath,
                         QString* error) const;
    /// @brief The scenario the panel shows as the engine's Request (the Request codec writes it as a scenario file
    /// and `rooflab predict --scenario` runs it): model by preset name or config path, stack, phase, every
    /// integer control and the datatypes; a GEMM as its shape and datatype. `platform` goes into the request.
    Request toRequest(const QString& platform) const;
    /// @brief Shows `r` in the controls (the inverse of toRequest; the platform is the window's business). Options
    /// the panel has no control for (dp, micro-batches, sequence parallelism, overlap, chunk offset) are named in
    /// `warning` when they differ from their defaults. False with `error` when the model, stack or a value is
    /// refused; CPU-kernel requests are refused.
    bool applyRequest(const Request& r, QString* error, QString* warning = nullptr);
    /// The engine phase of a GUI phase (a request is shown by its prefill step).
    static Phase stepPhase(GuiPhase phase);

    // --- messages and session ------------------------------------------------------------------------------
    /// Shows `message` in the inline error label (hidden when empty); does not emit errorOccurred.
    void setErrorText(const QString& message);
    QString errorText() const;
    void saveState(QSettings& s) const;
    /// Restores model, stack, phase, values and datatypes saved by saveState().
    void restoreState(const QSettings& s);

public slots:
    /// File dialog for a model config.
    void chooseConfigFile();

signals:
    /// A control changed: the scenario the panel describes is different.
    void changed();
    /// The user picked a platform in the combo (shipped name or file path).
    void platformActivated(const QString& key);
    /// An error shown inline (the window mirrors it in its status bar).
    void errorOccurred(const QString& message);

private:
    /// The scenario controls (token counts, layout, datatypes) as a builder; the phase is the caller's.
    ScenarioBuilder controlsBuilder() const;
    void buildForm();
    void updateControlsForKind();
    void reportError(const QString& message);
    QSpinBox* spinFor(Field field) const;

    int m_sweepPoints = 400;
    std::map<QString, std::shared_ptr<const LlmArch>> m_archCache;
    std::map<QString, StackProfile> m_stackCache;

    QComboBox* m_platformCombo = nullptr;
    QComboBox* m_kindCombo = nullptr;
    QComboBox* m_modelCombo = nullptr;
    QComboBox* m_stackCombo = nullptr;
    QComboBox* m_phaseCombo = nullptr;
    QSpinBox* m_batch = nullptr;
    QSpinBox* m_prompt = nullptr;
    QSpinBox* m_context = nullptr;
    QSpinBox* m_chunk = nullptr;
    QSpinBox* m_outputTokens = nullptr;
    QSpinBox* m_tp = nullptr;
    QSpinBox* m_pp = nullptr;
    QSpinBox* m_ep = nullptr;
    QComboBox* m_weights = nullptr;
    QComboBox* m_kv = nullptr;
    QComboBox* m_act = nullptr;
    QSpinBox* m_gemmM = nullptr;
    QSpinBox* m_gemmN = nullptr;
    QSpinBox* m_gemmK = nullptr;
    QComboBox* m_gemmType = nullptr;
    QList<QWidget*> m_llmOnly, m_gemmOnly;
    QLabel* m_errorLabel = nullptr;
};

} // namespace rooflab::gui

#include "scenario_panel.hpp"

#include "io/data_paths.hpp"
#include "io/model_loader.hpp"
#include "io/stack_loader.hpp"
#include "report/report.hpp"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <algorithm>

namespace rooflab::gui {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}
QString qs(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

QSpinBox* spin(int lo, int hi, int value) {
    auto* s = new QSpinBox;
    s->setRange(lo, hi);
    s->setValue(value);
    s->setAccelerated(true);
    s->setKeyboardTracking(false);
    return s;
}

QComboBox* dtypeCombo(DType value) {
    auto* c = new QComboBox;
    for (std::size_t t = 0; t < kDTypeCount; ++t)
        c->addItem(qs(dtypeName(DType(t))));
    c->setCurrentIndex(static_cast<int>(value));
    return c;
}

DType dtypeOf(const QComboBox* c) {
    return DType(static_cast<unsigned char>(std::max(0, c->currentIndex())));
}

// The codec's key of each Field (also the QSettings key of the session).
const char* const kFieldKeys[] = {"batch", "prompt", "context", "chunk", "output", "tp", "pp", "ep"};
constexpr ScenarioPanel::Field kFields[] = {ScenarioPanel::Field::Batch,   ScenarioPanel::Field::Prompt,
                                            ScenarioPanel::Field::Context, ScenarioPanel::Field::Chunk,
                                            ScenarioPanel::Field::Output,  ScenarioPanel::Field::Tp,
                                            ScenarioPanel::Field::Pp,      ScenarioPanel::Field::Ep};

QString fieldKey(ScenarioPanel::Field f) {
    return QString::fromLatin1(kFieldKeys[static_cast<int>(f)]);
}

} // namespace

ScenarioPanel::ScenarioPanel(QWidget* parent) : QWidget(parent) {
    buildForm();
}

void ScenarioPanel::buildForm() {
    auto* form = new QFormLayout(this);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto changedNow = [this] { emit changed(); };

    m_platformCombo = new QComboBox;
    for (const auto& n : io::listPlatformNames())
        m_platformCombo->addItem(qs(n), qs(n));
    connect(m_platformCombo, &QComboBox::activated, this,
            [this](int i) { emit platformActivated(m_platformCombo->itemData(i).toString()); });
    form->addRow(tr("Plat&form"), m_platformCombo);

    m_kindCombo = new QComboBox;
    m_kindCombo->addItems({tr("LLM inference"), tr("GEMM")});
    connect(m_kindCombo, &QComboBox::currentIndexChanged, this, [this] {
        updateControlsForKind();
        emit changed();
    });
    form->addRow(tr("&Workload"), m_kindCombo);

    m_modelCombo = new QComboBox;
    for (const auto& n : io::listModelNames())
        m_modelCombo->addItem(qs(n), qs(n));
    const int def = m_modelCombo->findText(QStringLiteral("llama-3.1-8b"));
    if (def >= 0)
        m_modelCombo->setCurrentIndex(def);
    connect(m_modelCombo, &QComboBox::currentIndexChanged, this, changedNow);
    auto* loadCfg = new QPushButton(tr("Load config.json…"));
    connect(loadCfg, &QPushButton::clicked, this, &ScenarioPanel::chooseConfigFile);
    form->addRow(tr("&Model"), m_modelCombo);
    form->addRow(QString(), loadCfg);
    m_llmOnly << m_modelCombo << loadCfg;

    m_stackCombo = new QComboBox;
    for (const auto& n : io::listStackNames())
        m_stackCombo->addItem(qs(n));
    const int eager = m_stackCombo->findText(QStringLiteral("pytorch-eager"));
    if (eager >= 0)
        m_stackCombo->setCurrentIndex(eager);
    connect(m_stackCombo, &QComboBox::currentIndexChanged, this, changedNow);
    form->addRow(tr("S&tack"), m_stackCombo);

    m_phaseCombo = new QComboBox;
    m_phaseCombo->addItems(
        {QStringLiteral("prefill"), QStringLiteral("decode"), QStringLiteral("chunked"), QStringLiteral("request")});
    m_phaseCombo->setCurrentIndex(1);
    connect(m_phaseCombo, &QComboBox::currentIndexChanged, this, changedNow);
    form->addRow(tr("P&hase"), m_phaseCombo);

    constexpr int kBig = 1 << 30;
    m_batch = spin(1, 1 << 20, 1);
    m_prompt = spin(1, kBig, 2048);
    m_context = spin(0, kBig, 2048);
    m_chunk = spin(1, kBig, 512);
    m_outputTokens = spin(1, kBig, 256);
    m_tp = spin(1, 1024, 1);
    m_pp = spin(1, 1024, 1);
    m_ep = spin(1, 1024, 1);
    m_weights = dtypeCombo(DType::bf16);
    m_kv = dtypeCombo(DType::bf16);
    m_act = dtypeCombo(DType::bf16);
    const std::pair<QString, QWidget*> rows[] = {{tr("&Batch"), m_batch},
                                                 {tr("Prom&pt tokens"), m_prompt},
                                                 {tr("&Context tokens"), m_context},
                                                 {tr("Chun&k tokens"), m_chunk},
                                                 {tr("O&utput tokens"), m_outputTokens},
                                                 {tr("TP"), m_tp},
                                                 {tr("PP"), m_pp},
                                                 {tr("EP"), m_ep},
                                                 {tr("Weights dtype"), m_weights},
                                                 {tr("KV dtype"), m_kv},
                                                 {tr("Activation dtype"), m_act}};
    for (const auto& [label, field] : rows) {
        form->addRow(label, field);
        m_llmOnly << field;
        if (auto* s = qobject_cast<QSpinBox*>(field))
            connect(s, &QSpinBox::valueChanged, this, changedNow);
        else if (auto* c = qobject_cast<QComboBox*>(field))
            connect(c, &QComboBox::currentIndexChanged, this, changedNow);
    }
    m_llmOnly << m_stackCombo << m_phaseCombo;

    m_gemmM = spin(1, kBig, 8192);
    m_gemmN = spin(1, kBig, 8192);
    m_gemmK = spin(1, kBig, 8192);
    m_gemmType = dtypeCombo(DType::bf16);
    for (auto* s : {m_gemmM, m_gemmN, m_gemmK}) {
        connect(s, &QSpinBox::valueChanged, this, changedNow);
        m_gemmOnly << s;
    }
    connect(m_gemmType, &QComboBox::currentIndexChanged, this, changedNow);
    m_gemmOnly << m_gemmType;
    form->addRow(tr("GEMM M"), m_gemmM);
    form->addRow(tr("GEMM N"), m_gemmN);
    form->addRow(tr("GEMM K"), m_gemmK);
    form->addRow(tr("GEMM dtype"), m_gemmType);

    m_errorLabel = new QLabel;
    m_errorLabel->setWordWrap(true);
    m_errorLabel->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_errorLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errorLabel->hide();
    form->addRow(m_errorLabel);
    updateControlsForKind();
}

void ScenarioPanel::updateControlsForKind() {
    const bool gemm = kind() == WorkloadKind::Gemm;
    for (QWidget* w : m_llmOnly)
        w->setEnabled(!gemm);
    for (QWidget* w : m_gemmOnly)
        w->setEnabled(gemm);
}

// ---------------------------------------------------------------- platform choice

void ScenarioPanel::showPlatform(const QString& key, const QString& name, const QString& path) {
    int i = m_platformCombo->findData(key);
    if (i < 0) {
        m_platformCombo->addItem(name, path);
        i = m_platformCombo->count() - 1;
    }
    m_platformCombo->setCurrentIndex(i);
}

QString ScenarioPanel::platformKey() const {
    return m_platformCombo->currentData().toString();
}

// ---------------------------------------------------------------- workload

bool ScenarioPanel::selectModel(const QString& nameOrPath) {
    int i = m_modelCombo->findData(nameOrPath);
    if (i < 0)
        i = m_modelCombo->findText(nameOrPath);
    if (i < 0) {
        try {
            auto arch = std::make_shared<const LlmArch>(io::loadModel(nameOrPath.toStdString()));
            m_archCache[nameOrPath] = arch;
            m_modelCombo->addItem(qs(arch->name.empty() ? QFileInfo(nameOrPath).fileName().toStdString() : arch->name),
                                  nameOrPath);
            i = m_modelCombo->count() - 1;
            m_modelCombo->setItemData(i, describeModel(*arch) + QLatin1Char('\n') + nameOrPath, Qt::ToolTipRole);
        } catch (const std::exception& e) {
            reportError(tr("Model: %1").arg(QString::fromUtf8(e.what())));
            return false;
        }
    }
    m_kindCombo->setCurrentIndex(0);
    m_modelCombo->setCurrentIndex(i);
    emit changed(); // also when the model was already selected: the user asked for it again
    return true;
}

bool ScenarioPanel::selectStack(const QString& name) {
    const int i = m_stackCombo->findText(name);
    if (i < 0) {
        reportError(tr("Stack: unknown stack '%1'").arg(name));
        return false;
    }
    m_stackCombo->setCurrentIndex(i);
    return true;
}

bool ScenarioPanel::setPhase(const QString& phase) {
    const int i = m_phaseCombo->findText(phase.toLower());
    if (i < 0) {
        reportError(tr("Phase: '%1' is not one of prefill, decode, chunked, request").arg(phase));
        return false;
    }
    m_phaseCombo->setCurrentIndex(i);
    return true;
}

QSpinBox* ScenarioPanel::spinFor(Field field) const {
    switch (field) {
    case Field::Batch:
        return m_batch;
    case Field::Prompt:
        return m_prompt;
    case Field::Context:
        return m_context;
    case Field::Chunk:
        return m_chunk;
    case Field::Output:
        return m_outputTokens;
    case Field::Tp:
        return m_tp;
    case Field::Pp:
        return m_pp;
    case Field::Ep:
        return m_ep;
    }
    return m_batch;
}

bool ScenarioPanel::setValue(Field field, qint64 value) {
    QSpinBox* box = spinFor(field);
    if (value < box->minimum() || value > box->maximum()) {
        reportError(
            tr("%1: %2 is outside %3..%4").arg(fieldKey(field)).arg(value).arg(box->minimum()).arg(box->maximum()));
        return false;
    }
    box->setValue(static_cast<int>(value));
    return true;
}

qint64 ScenarioPanel::value(Field field) const {
    return spinFor(field)->value();
}

bool ScenarioPanel::setActivationType(const QString& dtype) {
    const int i = m_act->findText(dtype);
    if (i >= 0)
        m_act->setCurrentIndex(i);
    return i >= 0;
}

void ScenarioPanel::setGemmWorkload(int m, int n, int k) {
    m_kindCombo->setCurrentIndex(1);
    m_gemmM->setValue(m);
    m_gemmN->setValue(n);
    m_gemmK->setValue(k);
}

void ScenarioPanel::setSweepPoints(int perSweep) {
    perSweep = std::clamp(perSweep, 2, 100000);
    if (perSweep == m_sweepPoints)
        return;
    m_sweepPoints = perSweep;
    emit changed();
}

WorkloadKind ScenarioPanel::kind() const {
    return m_kindCombo->currentIndex() == 1 ? WorkloadKind::Gemm : WorkloadKind::Llm;
}

GuiPhase ScenarioPanel::phase() const {
    return GuiPhase(static_cast<unsigned char>(m_phaseCombo->currentIndex()));
}

QString ScenarioPanel::modelKey() const {
    return m_modelCombo->currentData().toString();
}

QString ScenarioPanel::modelLabel() const {
    return m_modelCombo->currentText();
}

QString ScenarioPanel::describeModel(const LlmArch& a) {
    int dense = 0;
    for (const auto& g : a.groups)
        dense += g.moe ? 0 : g.count;
    QString text = tr("%1: %2 layers, hidden %3, %4 heads / %5 KV heads")
                       .arg(qs(a.modelType))
                       .arg(a.numLayers)
                       .arg(a.hiddenSize)
                       .arg(a.numHeads)
                       .arg(a.numKvHeads);
    if (a.isMoe()) {
        text +=
            tr(", MoE %1 experts (top-%2), expert width %3").arg(a.numExperts).arg(a.topK).arg(a.moeIntermediateSize);
        if (dense > 0)
            text += tr(", %1 dense layers of width %2").arg(dense).arg(a.intermediateSize);
    } else {
        text += tr(", MLP width %1").arg(a.intermediateSize);
    }
    return text;
}

QString ScenarioPanel::modelDescription() const {
    if (kind() != WorkloadKind::Llm)
        return {};
    auto it = m_archCache.find(modelKey());
    if (it != m_archCache.end() && it->second)
        return describeModel(*it->second);
    try {
        return describeModel(io::loadModel(modelKey().toStdString()));
    } catch (const std::exception&) {
        return {};
    }
}

QString ScenarioPanel::stackName() const {
    return m_stackCombo->currentText();
}

const StackProfile* ScenarioPanel::cachedStack() const {
    const auto it = m_stackCache.find(stackName());
    return it == m_stackCache.end() ? nullptr : &it->second;
}

Phase ScenarioPanel::stepPhase(GuiPhase phase) {
    switch (phase) {
    case GuiPhase::Decode:
        return Phase::Decode;
    case GuiPhase::Chunked:
        return Phase::Chunked;
    case GuiPhase::Prefill:
    case GuiPhase::Request:
        break;
    }
    return Phase::Prefill;
}

bool ScenarioPanel::buildInput(EvalInput& in, QString& error) {
    in.kind = kind();
    if (in.kind == WorkloadKind::Gemm) {
        in.gemm.m = m_gemmM->value();
        in.gemm.n = m_gemmN->value();
        in.gemm.k = m_gemmK->value();
        in.gemm.dtype = dtypeOf(m_gemmType);
        in.gemm.weightType = in.gemm.dtype;
        in.gemm.name = "gemm";
        return true;
    }
    try {
        const QString key = modelKey();
        auto& arch = m_archCache[key];
        if (!arch)
            arch = std::make_shared<const LlmArch>(io::loadModel(key.toStdString()));
        in.model = arch;
        const QString stack = stackName();
        auto sit = m_stackCache.find(stack);
        if (sit == m_stackCache.end())
            sit = m_stackCache
                      .emplace(stack,
                               stack.isEmpty() ? StackProfile::defaultProfile() : io::loadStack(stack.toStdString()))
                      .first;
        in.stack = sit->second;
    } catch (const std::exception& e) {
        error = QString::fromUtf8(e.what());
        return false;
    }
    in.phase = phase();
    in.sweepPoints = m_sweepPoints;
    try {
        in.scenario = controlsBuilder().build();
    } catch (const std::exception& e) {
        error = QString::fromUtf8(e.what());
        return false;
    }
    return true;
}

bool ScenarioPanel::fillReportInput(report::ReportInput& in, const Platform& platform, const QString& datasetPath,
                                    QString* error) const {
    if (kind() == WorkloadKind::Gemm) {
        if (error)
            *error = tr("Reports cover LLM workloads; switch the workload to an LLM");
        return false;
    }
    if (platform.name.empty()) {
        if (error)
            *error = tr("No platform loaded");
        return false;
    }
    in = report::ReportInput{};
    in.platform = platform.file.empty() ? platform.name : platform.file;
    in.platformData = platform;
    in.measurements = datasetPath.toStdString();
    in.model = modelKey().toStdString();
    if (!stackName().isEmpty())
        in.stack = stackName().toStdString();
    in.phase = m_phaseCombo->currentText().toStdString();
    in.batch = m_batch->value();
    in.prompt = m_prompt->value();
    in.context = m_context->value();
    in.chunk = m_chunk->value();
    in.output = m_outputTokens->value();
    in.tp = m_tp->value();
    in.pp = m_pp->value();
    in.ep = m_ep->value();
    in.weights = std::string(dtypeName(dtypeOf(m_weights)));
    in.kv = std::string(dtypeName(dtypeOf(m_kv)));
    in.act = std::string(dtypeName(dtypeOf(m_act)));
    return true;
}

Request ScenarioPanel::toRequest(const QString& platform) const {
    Request r;
    r.platform = platform.toStdString();
    if (kind() == WorkloadKind::Gemm) {
        GemmWork g;
        g.gemm.m = m_gemmM->value();
        g.gemm.n = m_gemmN->value();
        g.gemm.k = m_gemmK->value();
        g.gemm.dtype = dtypeOf(m_gemmType);
        g.gemm.weightType = g.gemm.dtype;
        g.gemm.name = "gemm";
        r.workload = g;
        return r;
    }
    LlmTarget t;
    t.model = modelKey().toStdString();
    t.stackName = stackName().isEmpty() ? std::string(kDefaultStackName) : stackName().toStdString();
    if (phase() == GuiPhase::Request)
        r.workload = LlmRequest{t};
    else
        r.workload = LlmStep{t};
    ScenarioBuilder b = controlsBuilder();
    b.phase(stepPhase(phase()));
    r.scenario = b.unchecked();
    return r;
}

bool ScenarioPanel::applyRequest(const Request& r, QString* error, QString* warning) {
    auto fail = [&](const QString& message) {
        if (error)
            *error = message;
        return false;
    };
    if (const auto* g = std::get_if<GemmWork>(&r.workload)) {
        if (g->gemm.m > m_gemmM->maximum() || g->gemm.n > m_gemmN->maximum() || g->gemm.k > m_gemmK->maximum())
            return fail(
                tr("GEMM %1 x %2 x %3 is larger than the panel shows").arg(g->gemm.m).arg(g->gemm.n).arg(g->gemm.k));
        setGemmWorkload(int(g->gemm.m), int(g->gemm.n), int(g->gemm.k));
        m_gemmType->setCurrentIndex(static_cast<int>(g->gemm.dtype));
        return true;
    }
    const LlmTarget* t = r.llm();
    if (!t)
        return fail(tr("the GUI shows LLM and GEMM scenarios; run CPU kernels with `rooflab predict --scenario`"));
    if (!selectModel(QString::fromStdString(t->model)))
        return fail(errorText());
    if (!selectStack(QString::fromStdString(t->stackName)))
        return fail(errorText());
    const Scenario& s = r.scenario;
    const bool whole = std::holds_alternative<LlmRequest>(r.workload);
    setPhase(whole ? QStringLiteral("request") : qs(phaseName(s.phase)));
    const std::pair<Field, qint64> values[] = {{Field::Batch, s.batch},
                                               {Field::Prompt, s.prompt},
                                               {Field::Context, s.context},
                                               {Field::Chunk, s.chunk},
                                               {Field::Output, s.outputTokens},
                                               {Field::Tp, s.tp},
                                               {Field::Pp, s.pp},
                                               {Field::Ep, s.ep}};
    for (const auto& [field, v] : values)
        if (!setValue(field, v))
            return fail(errorText());
    m_weights->setCurrentIndex(static_cast<int>(s.weights));
    m_kv->setCurrentIndex(static_cast<int>(s.kv));
    m_act->setCurrentIndex(static_cast<int>(s.act));
    QStringList ignored;
    const Scenario def;
    if (s.dp != def.dp)
        ignored << tr("dp %1").arg(s.dp);
    if (s.microbatches != def.microbatches)
        ignored << tr("microbatches %1").arg(s.microbatches);
    if (s.sequenceParallel)
        ignored << tr("sp");
    if (s.overlapComm)
        ignored << tr("overlap");
    if (s.chunkOffset != def.chunkOffset)
        ignored << tr("chunk_offset %1").arg(s.chunkOffset);
    if (s.cacheLength != def.cacheLength)
        ignored << tr("cache_length %1").arg(s.cacheLength);
    if (warning)
        *warning =
            ignored.isEmpty()
                ? QString()
                : tr("the panel has no control for %1; evaluated without").arg(ignored.join(QStringLiteral(", ")));
    return true;
}

void ScenarioPanel::chooseConfigFile() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Load model config"), QString(),
                                                      tr("Model configs (*.json *.yaml *.yml);;All files (*)"));
    if (!path.isEmpty())
        selectModel(path);
}

// ---------------------------------------------------------------- messages and session

void ScenarioPanel::setErrorText(const QString& message) {
    m_errorLabel->setText(message);
    m_errorLabel->setVisible(!message.isEmpty());
}

QString ScenarioPanel::errorText() const {
    return m_errorLabel->text();
}

void ScenarioPanel::reportError(const QString& message) {
    setErrorText(message);
    emit errorOccurred(message);
}

void ScenarioPanel::saveState(QSettings& s) const {
    s.setValue(QStringLiteral("session/model"), modelKey());
    s.setValue(QStringLiteral("session/stack"), stackName());
    s.setValue(QStringLiteral("session/phase"), m_phaseCombo->currentText());
    for (Field f : kFields)
        s.setValue(QStringLiteral("session/") + fieldKey(f), spinFor(f)->value());
    const std::pair<const char*, QComboBox*> combos[] = {
        {"weights", m_weights}, {"kv", m_kv}, {"act", m_act}, {"kind", m_kindCombo}};
    for (const auto& [key, box] : combos)
        s.setValue(QStringLiteral("session/") + QString::fromLatin1(key), box->currentIndex());
}

void ScenarioPanel::restoreState(const QSettings& s) {
    const QString model = s.value(QStringLiteral("session/model")).toString();
    if (!model.isEmpty())
        selectModel(model);
    selectStack(s.value(QStringLiteral("session/stack"), QStringLiteral("pytorch-eager")).toString());
    setPhase(s.value(QStringLiteral("session/phase"), QStringLiteral("decode")).toString());
    // A stored value outside today's range is clamped by the spin box: an old session must not raise errors.
    for (Field f : kFields)
        spinFor(f)->setValue(s.value(QStringLiteral("session/") + fieldKey(f), spinFor(f)->value()).toInt());
    const std::pair<const char*, QComboBox*> combos[] = {
        {"weights", m_weights}, {"kv", m_kv}, {"act", m_act}, {"kind", m_kindCombo}};
    for (const auto& [key, box] : combos)
        box->setCurrentIndex(
            s.value(QStringLiteral("session/") + QString::fromLatin1(key), box->currentIndex()).toInt());
}

ScenarioBuilder ScenarioPanel::controlsBuilder() const {
    ScenarioBuilder b;
    b.batch(m_batch->value())
        .prompt(m_prompt->value())
        .context(m_context->value())
        .chunk(m_chunk->value())
        .outputTokens(m_outputTokens->value())
        .tp(m_tp->value())
        .pp(m_pp->value())
        .ep(m_ep->value())
        .weights(dtypeOf(m_weights))
        .kv(dtypeOf(m_kv))
        .act(dtypeOf(m_act));
    return b;
}

} // namespace rooflab::gui

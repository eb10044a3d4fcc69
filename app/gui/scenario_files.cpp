#include "scenario_files.hpp"

#include "codec/request_codec.hpp"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSettings>

namespace rooflab::gui {
namespace {

const QString kRecentKey = QStringLiteral("scenarios/recent");

QString qs(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

/// A word for a POSIX shell: as is when it is plain, else in single quotes.
QString shellWord(const QString& w) {
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_./:=+,@%-]+$"));
    if (plain.match(w).hasMatch())
        return w;
    QString q = w;
    q.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + q + QLatin1Char('\'');
}

} // namespace

ScenarioFiles::ScenarioFiles(QWidget* window, Sources sources, QObject* parent)
    : QObject(parent), m_window(window), m_sources(std::move(sources)) {}

void ScenarioFiles::addToMenu(QMenu* menu) {
    QAction* open = menu->addAction(tr("Open &scenario…"));
    open->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    connect(open, &QAction::triggered, this, &ScenarioFiles::chooseOpen);
    QAction* save = menu->addAction(tr("Sa&ve scenario as…"));
    save->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_S));
    connect(save, &QAction::triggered, this, &ScenarioFiles::chooseSave);
    m_recentMenu = menu->addMenu(tr("&Recent scenarios"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &ScenarioFiles::rebuildRecentMenu);
    rebuildRecentMenu();
    QAction* copy = menu->addAction(tr("Copy as CLI co&mmand"));
    copy->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    connect(copy, &QAction::triggered, this, &ScenarioFiles::copyCliCommand);
}

bool ScenarioFiles::saveScenario(const QString& path, QString* error) {
    const Request r = m_sources.current();
    const bool json = QFileInfo(path).suffix().compare(QStringLiteral("json"), Qt::CaseInsensitive) == 0;
    const std::string text = json ? spec::encodeRequest(r).dump(2) + "\n" : spec::encodeRequestYaml(r);
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text.data(), qint64(text.size())) != qint64(text.size()) ||
        !f.commit()) {
        if (error)
            *error = tr("could not write %1: %2").arg(path, f.errorString());
        return false;
    }
    addRecent(path);
    return true;
}

bool ScenarioFiles::loadScenario(const QString& path, QString* error) {
    Request r;
    try {
        r = spec::loadRequestFile(path.toStdString());
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
    // A model or platform named by a relative path means "beside the scenario file" when such a file is there.
    const QDir dir = QFileInfo(path).absoluteDir();
    auto besideFile = [&](std::string& name) {
        const QString n = QString::fromStdString(name);
        if (!n.isEmpty() && QFileInfo(n).isRelative() && QFileInfo::exists(dir.filePath(n)))
            name = dir.filePath(n).toStdString();
    };
    if (LlmTarget* t = r.llm())
        besideFile(t->model);
    besideFile(r.platform);
    if (!m_sources.apply(r, error))
        return false;
    addRecent(path);
    return true;
}

QStringList ScenarioFiles::recentScenarios() const {
    QStringList out;
    for (const QString& p : QSettings().value(kRecentKey).toStringList())
        if (QFileInfo::exists(p))
            out << p;
    return out;
}

void ScenarioFiles::addRecent(const QString& path) {
    QSettings s;
    QStringList list = s.value(kRecentKey).toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    list.removeAll(abs);
    list.prepend(abs);
    while (list.size() > kMaxRecent)
        list.removeLast();
    s.setValue(kRecentKey, list);
}

void ScenarioFiles::rebuildRecentMenu() {
    if (!m_recentMenu)
        return;
    m_recentMenu->clear();
    const QStringList recent = recentScenarios();
    for (const QString& p : recent) {
        QAction* a = m_recentMenu->addAction(QFileInfo(p).fileName());
        a->setToolTip(p);
        connect(a, &QAction::triggered, this, [this, p] {
            QString error;
            if (!loadScenario(p, &error))
                emit errorOccurred(tr("Scenario: %1").arg(error));
        });
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

QString ScenarioFiles::cliCommandFor(const Request& r) {
    QStringList w{QStringLiteral("rooflab"), QStringLiteral("predict")};
    auto opt = [&w](const char* name, const QString& value) { w << QString::fromLatin1(name) << shellWord(value); };
    auto num = [&opt](const char* name, qint64 v) { opt(name, QString::number(v)); };
    if (const auto* g = std::get_if<GemmWork>(&r.workload)) {
        w << QStringLiteral("gemm");
        if (!r.platform.empty())
            opt("--platform", QString::fromStdString(r.platform));
        num("--m", g->gemm.m);
        num("--n", g->gemm.n);
        num("--k", g->gemm.k);
        if (g->gemm.batch != 1)
            num("--batch", g->gemm.batch);
        opt("--dtype", qs(dtypeName(g->gemm.dtype)));
        if (g->gemm.weightType != g->gemm.dtype)
            opt("--weights", qs(dtypeName(g->gemm.weightType)));
        return w.join(QLatin1Char(' '));
    }
    const LlmTarget* t = r.llm();
    if (!t)
        return {};
    const Scenario& s = r.scenario;
    const bool whole = std::holds_alternative<LlmRequest>(r.workload);
    w << QStringLiteral("llm");
    if (!r.platform.empty())
        opt("--platform", QString::fromStdString(r.platform));
    opt("--model", QString::fromStdString(t->model));
    opt("--stack", QString::fromStdString(t->stackName));
    opt("--phase", whole ? QStringLiteral("request") : qs(phaseName(s.phase)));
    num("--batch", s.batch);
    num("--prompt", s.prompt);
    num("--context", s.context);
    num("--chunk", s.chunk);
    num("--output", s.outputTokens);
    num("--tp", s.tp);
    num("--pp", s.pp);
    num("--ep", s.ep);
    opt("--weights", qs(dtypeName(s.weights)));
    opt("--kv", qs(dtypeName(s.kv)));
    opt("--act", qs(dtypeName(s.act)));
    return w.join(QLatin1Char(' '));
}

QString ScenarioFiles::cliCommand() const {
    return cliCommandFor(m_sources.current());
}

void ScenarioFiles::chooseOpen() {
    const QString path = QFileDialog::getOpenFileName(m_window, tr("Open scenario"), QString(),
                                                      tr("Scenarios (*.yaml *.yml *.json);;All files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!loadScenario(path, &error))
        emit errorOccurred(tr("Scenario: %1").arg(error));
    else
        emit statusMessage(tr("Scenario loaded from %1").arg(path));
}

void ScenarioFiles::chooseSave() {
    const QString path = QFileDialog::getSaveFileName(m_window, tr("Save scenario"), QStringLiteral("scenario.yaml"),
                                                      tr("YAML scenario (*.yaml);;JSON scenario (*.json)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!saveScenario(path, &error))
        emit errorOccurred(error);
    else
        emit statusMessage(tr("Scenario saved to %1 (run it with: rooflab predict --scenario %1)").arg(path));
}

void ScenarioFiles::copyCliCommand() {
    const QString cmd = cliCommand();
    if (QClipboard* c = QApplication::clipboard())
        c->setText(cmd);
    emit statusMessage(tr("Copied: %1").arg(cmd));
}

} // namespace rooflab::gui

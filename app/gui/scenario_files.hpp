#pragma once
/// @brief File > Open/Save scenario, Recent scenarios and Edit > Copy as CLI command. A scenario file is the
/// Request codec's YAML (or JSON, by suffix), the same file `rooflab predict --scenario FILE` runs headless; the
/// recent list lives in QSettings. It reads and applies the scenario through Sources, so it knows no page and is
/// tested alone.
#include "spec/request.hpp"

#include <QObject>
#include <QString>
#include <QStringList>
#include <functional>

class QMenu;
class QWidget;

namespace rooflab::gui {

class ScenarioFiles : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxRecent = 8;

    struct Sources {
        std::function<Request()> current;                          ///< the scenario shown, platform included
        std::function<bool(const Request&, QString* error)> apply; ///< shows a loaded scenario
    };

    ScenarioFiles(QWidget* window, Sources sources, QObject* parent = nullptr);

    /// Adds Open scenario…, Save scenario as…, Recent scenarios and Copy as CLI command to `menu`.
    void addToMenu(QMenu* menu);

    /// Writes the current scenario to `path` (YAML; JSON when the suffix is .json) and records it as recent.
    bool saveScenario(const QString& path, QString* error);
    /// Reads `path` through the codec (errors name file, line and key) and applies it; records it as recent.
    /// A model path in the file that is relative resolves against the file's folder first.
    bool loadScenario(const QString& path, QString* error);
    /// Most recent first; files that no longer exist are left out.
    QStringList recentScenarios() const;
    /// @brief The `rooflab predict llm|gemm` command line that predicts the current scenario (arguments quoted for
    /// a POSIX shell).
    QString cliCommand() const;
    /// The same for any request.
    static QString cliCommandFor(const Request& r);

public slots:
    void chooseOpen();
    void chooseSave();
    void copyCliCommand();

signals:
    void errorOccurred(const QString& message);
    void statusMessage(const QString& message);

private:
    void addRecent(const QString& path);
    void rebuildRecentMenu();

    QWidget* m_window = nullptr;
    Sources m_sources;
    QMenu* m_recentMenu = nullptr;
};

} // namespace rooflab::gui

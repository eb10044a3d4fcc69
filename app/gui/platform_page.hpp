#pragma once
/// @brief The Platform page: the shipped platforms, the values of the current one with their provenance, and its
/// YAML editor, validated as you type (valid edits become the current platform at once). It owns the current
/// Platform and its PlatformModel, and a cache of the models of other platforms (the compare page's).
#include "analysis/platform_model.hpp"
#include "hardware/platform.hpp"

#include <QString>
#include <QTimer>
#include <QWidget>
#include <map>
#include <memory>

class QLabel;
class QListWidget;
class QPlainTextEdit;

namespace rooflab::gui {

class PlatformValuesModel;

class PlatformPage : public QWidget {
    Q_OBJECT
public:
    explicit PlatformPage(QWidget* parent = nullptr);

    /// Loads a shipped platform by name or a platform file by path into the editor and makes it current. False
    /// (and errorOccurred) on failure; the current platform stays.
    bool selectPlatform(const QString& nameOrPath);
    const Platform& platform() const { return m_platform; }
    /// nullptr until a platform loaded.
    std::shared_ptr<const PlatformModel> platformModel() const { return m_platformModel; }
    /// The platform's shipped name (file base name) or, for an edited platform without a file, its name.
    QString platformKey() const;
    /// @brief The model of another platform by name (loaded once, then cached). nullptr with `error`.
    std::shared_ptr<const PlatformModel> modelFor(const QString& name, QString& error);

    QPlainTextEdit* editor() const { return m_editor; }
    QString editorStatus() const;
    PlatformValuesModel* valuesModel() const { return m_valuesModel; }

signals:
    /// A platform file was loaded: the platform chooser shows `key` (`name` and `path` for a file outside the list).
    void platformLoaded(const QString& key, const QString& name, const QString& path);
    /// The current platform changed (`edited`: from the editor, not saved).
    void platformChanged(bool edited);
    /// The "Save Platform As…" button.
    void saveAsRequested();
    void errorOccurred(const QString& message);

private:
    void setPlatform(const Platform& p, bool edited);
    void onListRowChanged(int row);
    void validateEditor();
    void setEditorStatus(const QString& text, bool ok);

    Platform m_platform;
    std::shared_ptr<const PlatformModel> m_platformModel;
    std::map<QString, std::shared_ptr<const PlatformModel>> m_otherModels;
    bool m_loadingEditor = false;
    QTimer m_editTimer; ///< validates the editor 250 ms after the last keystroke

    QListWidget* m_list = nullptr;
    PlatformValuesModel* m_valuesModel = nullptr;
    QPlainTextEdit* m_editor = nullptr;
    QLabel* m_editorStatus = nullptr;
};

} // namespace rooflab::gui

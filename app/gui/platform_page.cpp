#include "platform_page.hpp"

#include "io/data_paths.hpp"
#include "io/platform_loader.hpp"
#include "models/table_models.hpp"
#include "table_view.hpp"
#include "units/errors.hpp"

#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTextBlock>
#include <QVBoxLayout>
#include <filesystem>

namespace rooflab::gui {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

} // namespace

PlatformPage::PlatformPage(QWidget* parent) : QWidget(parent) {
    m_valuesModel = new PlatformValuesModel(this);
    m_editTimer.setSingleShot(true);
    m_editTimer.setInterval(250);
    connect(&m_editTimer, &QTimer::timeout, this, &PlatformPage::validateEditor);

    auto* split = new QSplitter(Qt::Horizontal);
    m_list = new QListWidget;
    for (const auto& n : io::listPlatformNames())
        m_list->addItem(qs(n));
    connect(m_list, &QListWidget::currentRowChanged, this, &PlatformPage::onListRowChanged);
    split->addWidget(m_list);
    split->addWidget(makeTableView(m_valuesModel));

    auto* editorBox = new QWidget;
    auto* el = new QVBoxLayout(editorBox);
    el->setContentsMargins(0, 0, 0, 0);
    el->addWidget(new QLabel(tr("Platform file (YAML) — validated as you type; valid edits are evaluated at once")));
    m_editor = new QPlainTextEdit;
    m_editor->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    connect(m_editor, &QPlainTextEdit::textChanged, this, [this] {
        if (!m_loadingEditor)
            m_editTimer.start();
    });
    el->addWidget(m_editor, 1);
    m_editorStatus = new QLabel;
    m_editorStatus->setWordWrap(true);
    m_editorStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    el->addWidget(m_editorStatus);
    auto* buttons = new QHBoxLayout;
    auto* revert = new QPushButton(tr("Revert"));
    connect(revert, &QPushButton::clicked, this, [this] {
        if (m_list->currentItem())
            onListRowChanged(m_list->currentRow());
    });
    auto* saveAs = new QPushButton(tr("Save Platform As…"));
    connect(saveAs, &QPushButton::clicked, this, &PlatformPage::saveAsRequested);
    buttons->addWidget(revert);
    buttons->addWidget(saveAs);
    buttons->addStretch();
    el->addLayout(buttons);
    split->addWidget(editorBox);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 4);
    split->setStretchFactor(2, 4);
    split->setSizes({150, 600, 460});

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
}

bool PlatformPage::selectPlatform(const QString& nameOrPath) {
    try {
        const std::string path = io::findPlatformFile(nameOrPath.toStdString());
        Platform p = io::loadPlatformFile(path);
        QFile f(qs(path));
        QString text;
        if (f.open(QIODevice::ReadOnly | QIODevice::Text))
            text = QString::fromUtf8(f.readAll());
        m_loadingEditor = true;
        m_editor->setPlainText(text);
        m_editor->setExtraSelections({});
        m_loadingEditor = false;
        m_editTimer.stop();
        setEditorStatus(tr("✓ %1 — valid, %2").arg(qs(path)).arg(tr("as shipped")), true);
        setPlatform(p, false);
        const QString key = QFileInfo(qs(path)).completeBaseName();
        const QList<QListWidgetItem*> items = m_list->findItems(key, Qt::MatchExactly);
        m_list->blockSignals(true);
        if (!items.isEmpty())
            m_list->setCurrentItem(items.front());
        m_list->blockSignals(false);
        emit platformLoaded(key, qs(p.name), qs(path));
        return true;
    } catch (const std::exception& e) {
        emit errorOccurred(tr("Platform: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
}

QString PlatformPage::platformKey() const {
    return m_platform.file.empty() ? qs(m_platform.name) : QFileInfo(qs(m_platform.file)).completeBaseName();
}

std::shared_ptr<const PlatformModel> PlatformPage::modelFor(const QString& name, QString& error) {
    auto it = m_otherModels.find(name);
    if (it != m_otherModels.end())
        return it->second;
    try {
        auto pm = std::make_shared<const PlatformModel>(
            PlatformModel::from(io::loadPlatformFile(io::findPlatformFile(name.toStdString()))));
        m_otherModels[name] = pm;
        return pm;
    } catch (const std::exception& e) {
        error = tr("Compare platform %1: %2").arg(name, QString::fromUtf8(e.what()));
        return nullptr;
    }
}

QString PlatformPage::editorStatus() const {
    return m_editorStatus->text();
}

void PlatformPage::setPlatform(const Platform& p, bool edited) {
    m_platform = p;
    m_platformModel = std::make_shared<const PlatformModel>(PlatformModel::from(p));
    m_valuesModel->setPlatform(p);
    emit platformChanged(edited);
}

void PlatformPage::onListRowChanged(int row) {
    if (row >= 0 && m_list->item(row))
        selectPlatform(m_list->item(row)->text());
}

void PlatformPage::setEditorStatus(const QString& text, bool ok) {
    m_editorStatus->setStyleSheet(ok ? QStringLiteral("color: #1b5e20;") : QStringLiteral("color: #b00020;"));
    m_editorStatus->setText(text);
}

void PlatformPage::validateEditor() {
    const std::string base =
        m_platform.file.empty() ? std::string() : std::filesystem::path(m_platform.file).parent_path().string();
    const std::string name = m_platform.file.empty() ? std::string("edited platform") : m_platform.file;
    try {
        Platform p = io::loadPlatformString(m_editor->toPlainText().toStdString(), name, base);
        p.file = m_platform.file;
        m_editor->setExtraSelections({});
        setPlatform(p, true);
        setEditorStatus(tr("✓ valid (edited, not saved) — %1 values; evaluating the edited platform")
                            .arg(m_valuesModel->rowCount()),
                        true);
    } catch (const InputError& e) {
        setEditorStatus(e.line() > 0 ? tr("✗ line %1: %2").arg(e.line()).arg(QString::fromUtf8(e.what()))
                                     : tr("✗ %1").arg(QString::fromUtf8(e.what())),
                        false);
        QList<QTextEdit::ExtraSelection> sel;
        if (e.line() > 0) {
            QTextEdit::ExtraSelection s;
            s.format.setBackground(QColor(255, 205, 205));
            s.format.setProperty(QTextFormat::FullWidthSelection, true);
            s.cursor = QTextCursor(m_editor->document()->findBlockByNumber(e.line() - 1));
            sel << s;
        }
        m_editor->setExtraSelections(sel);
    } catch (const std::exception& e) {
        setEditorStatus(tr("✗ %1").arg(QString::fromUtf8(e.what())), false);
    }
}

} // namespace rooflab::gui
